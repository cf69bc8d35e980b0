//! PKCS#12 (.p12/.pfx) files opened as Windows' certificate import wizard opens them.

use p12_keystore::{KeyStore, Pkcs12ImportPolicy};

/// Why a PKCS#12 file could not be opened, in the words of the import wizard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pkcs12Error {
    #[error(
        "入力されたパスワードが正しくありません。(the certificate password is wrong; use the 4-digit password set when the certificate was downloaded)"
    )]
    WrongPassword,
    #[error(
        "電子証明書ファイルが壊れているか、PKCS#12 形式ではありません: {0} (download the certificate again)"
    )]
    Malformed(String),
    #[error(
        "電子証明書ファイルに秘密キーが含まれていません (export it again with the private key)"
    )]
    NoPrivateKey,
}

/// The contents of a PKCS#12 file with one private key.
#[derive(Clone)]
pub struct Pkcs12Contents {
    pub friendly_name: String,
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
    /// Issuer certificates that came along (the root CA for the certificate site's files).
    pub chain_der: Vec<Vec<u8>>,
}

pub fn import(data: &[u8], password: &str) -> Result<Pkcs12Contents, Pkcs12Error> {
    let ks =
        KeyStore::from_pkcs12(data, password, Pkcs12ImportPolicy::Strict).map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) => Pkcs12Error::WrongPassword,
            other => Pkcs12Error::Malformed(other.to_string()),
        })?;
    let (alias, chain) = ks.private_key_chain().ok_or(Pkcs12Error::NoPrivateKey)?;
    let mut certs = chain.certs().iter().map(|c| c.as_der().to_vec());
    let cert_der = certs.next().ok_or(Pkcs12Error::NoPrivateKey)?;
    Ok(Pkcs12Contents {
        friendly_name: alias.to_owned(),
        cert_der,
        key_der: chain.key().as_der().to_vec(),
        chain_der: certs.collect(),
    })
}
