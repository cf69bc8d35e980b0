//! PKCS#12 (.p12/.pfx) files as the certificate site issues them and Windows imports them.
//! Written with p12-keystore: AES-256 by default (OpenSSL 3 reads it without `-legacy`),
//! 3DES/SHA-1 for old consumers.

use crate::Identity;
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
    PrivateKeyChain,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    /// PBES2 / PBKDF2 / AES-256-CBC, HMAC-SHA256 MAC.
    Aes256,
    /// pbeWithSHAAnd3-KeyTripleDES-CBC, HMAC-SHA1 MAC.
    TripleDes,
}

pub use oqs_host::pki::pkcs12::{Pkcs12Contents, Pkcs12Error, import};

pub fn export(id: &Identity, password: &str, cipher: Cipher) -> Vec<u8> {
    let alias = crate::inspect(&id.cert_der)
        .map(|i| i.common_name)
        .unwrap_or_else(|_| "client".into());
    let certs = std::iter::once(&id.cert_der)
        .chain(&id.chain_der)
        .map(|d| Certificate::from_der(d).expect("rcgen made this DER"));
    let chain = PrivateKeyChain::new(
        alias.as_bytes().to_vec(),
        PrivateKey::from_der(&id.key_der).expect("rcgen made this PKCS#8"),
        certs.collect::<Vec<_>>(),
    );
    let mut ks = KeyStore::new();
    ks.add_entry(&alias, KeyStoreEntry::PrivateKeyChain(chain));
    let w = ks.writer(password);
    let w = match cipher {
        Cipher::Aes256 => w,
        Cipher::TripleDes => w
            .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(MacAlgorithm::HmacSha1),
    };
    w.write()
        .expect("writing a PKCS#12 of a fresh key cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientSpec, Pki};
    use std::process::Command;

    fn id() -> std::sync::Arc<Identity> {
        Pki::shared().client(&ClientSpec::new("1312345678", "T1"))
    }

    #[test]
    fn round_trip_keeps_key_certificate_and_chain() {
        for cipher in [Cipher::Aes256, Cipher::TripleDes] {
            let id = id();
            let p12 = export(&id, "1357", cipher);
            let back = import(&p12, "1357").unwrap();
            assert_eq!(back.cert_der, id.cert_der);
            assert_eq!(back.key_der, id.key_der);
            assert_eq!(back.chain_der, id.chain_der);
            assert_eq!(back.friendly_name, "1312345678");
        }
    }

    #[test]
    fn wrong_password_and_truncation_are_told_apart() {
        let p12 = export(&id(), "1357", Cipher::Aes256);
        assert_eq!(import(&p12, "2468").err(), Some(Pkcs12Error::WrongPassword));
        let e = import(&p12[..p12.len() / 2], "1357").err().unwrap();
        assert!(matches!(e, Pkcs12Error::Malformed(_)), "{e:?}");
        assert!(e.to_string().contains("PKCS#12"));
        assert!(matches!(
            import(b"not a pfx", "1357"),
            Err(Pkcs12Error::Malformed(_))
        ));
    }

    /// OpenSSL must read what we write, without `-legacy`. Without openssl it is skipped (and
    /// says so), except in CI, which installs it: there a missing openssl is a failure.
    #[test]
    fn openssl_accepts_the_file() {
        if Command::new("openssl").arg("version").output().is_err() {
            oqs_testkit::missing_tool("openssl", "apt-get install openssl");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.p12");
        std::fs::write(&path, export(&id(), "1357", Cipher::Aes256)).unwrap();
        let ok = Command::new("openssl")
            .args(["pkcs12", "-info", "-noout", "-passin", "pass:1357", "-in"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let bad = Command::new("openssl")
            .args(["pkcs12", "-info", "-noout", "-passin", "pass:0000", "-in"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(!bad.status.success());
    }
}
