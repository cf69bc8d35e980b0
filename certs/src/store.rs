//! Certificates as a Windows certificate store lists them.

use oqs_host::certificates::StoredCertificate;
use std::io;

/// A store entry for a DER certificate, with the columns read from the certificate itself.
pub fn stored(
    der: &[u8],
    key: Option<Vec<u8>>,
    exportable: bool,
    strong: bool,
) -> io::Result<StoredCertificate> {
    let info = crate::inspect(der).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(StoredCertificate {
        issued_to: info.common_name,
        issued_by: info.issuer_common_name,
        not_before: info.not_before,
        not_after: info.not_after,
        thumbprint: crate::thumbprint(der),
        der: der.to_vec(),
        private_key: key,
        exportable,
        strong_protection: strong,
    })
}
