//! Certificates as a Windows terminal handles them, for the components (feature `pki`):
//! reading a certificate the way the certificate dialog shows it, the store's columns, and
//! opening a PKCS#12 file as the import wizard does. The test PKI (`oqs-certs`) makes
//! certificates; this reads them, so no component depends on the test PKI.

pub mod pkcs12;

use crate::certificates::StoredCertificate;
use ::time::OffsetDateTime;
use std::io;
use x509_parser::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// The full subject, RFC 4514 style.
    pub subject: String,
    pub common_name: String,
    pub organizational_unit: Option<String>,
    pub issuer: String,
    pub issuer_common_name: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub is_ca: bool,
    /// The subject CN when it is a 10-digit 医療機関コード.
    pub institution_code: Option<String>,
    /// DER of the issuer Name (with its SEQUENCE header), to match TLS root hints.
    pub issuer_der: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("証明書を読み取れません (not a DER X.509 certificate): {0}")]
pub struct InspectError(String);

fn first<'a>(mut it: impl Iterator<Item = &'a AttributeTypeAndValue<'a>>) -> Option<String> {
    it.next().and_then(|a| a.as_str().ok()).map(str::to_owned)
}

pub fn inspect(der: &[u8]) -> Result<CertInfo, InspectError> {
    let (_, c) = X509Certificate::from_der(der).map_err(|e| InspectError(e.to_string()))?;
    let common_name = first(c.subject().iter_common_name()).unwrap_or_default();
    let institution_code = (common_name.len() == 10
        && common_name.bytes().all(|b| b.is_ascii_digit()))
    .then(|| common_name.clone());
    Ok(CertInfo {
        subject: c.subject().to_string(),
        organizational_unit: first(c.subject().iter_organizational_unit()),
        issuer: c.issuer().to_string(),
        issuer_common_name: first(c.issuer().iter_common_name()).unwrap_or_default(),
        not_before: c.validity().not_before.to_datetime(),
        not_after: c.validity().not_after.to_datetime(),
        is_ca: c.is_ca(),
        institution_code,
        common_name,
        issuer_der: c.issuer().as_raw().to_vec(),
    })
}

/// SHA-1 of the DER in upper-case hex: the 拇印 (thumbprint) Windows shows.
pub fn thumbprint(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    d.as_ref().iter().map(|b| format!("{b:02X}")).collect()
}

/// A store entry for a DER certificate, with the columns read from the certificate itself.
pub fn stored(
    der: &[u8],
    key: Option<Vec<u8>>,
    exportable: bool,
    strong: bool,
) -> io::Result<StoredCertificate> {
    let info = inspect(der).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(StoredCertificate {
        issued_to: info.common_name,
        issued_by: info.issuer_common_name,
        not_before: info.not_before,
        not_after: info.not_after,
        thumbprint: thumbprint(der),
        der: der.to_vec(),
        private_key: key,
        exportable,
        strong_protection: strong,
    })
}
