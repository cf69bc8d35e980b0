//! A test JPKI: the stand-in for J-LIS's certification authorities that issue the two
//! certificates on every My Number Card — 利用者証明用電子証明書 (authentication) and
//! 署名用電子証明書 (signing) — with RSA-2048 keys, as real cards have.
//!
//! ring cannot generate RSA keys (TOOLCHAIN.md §3) and the pure-Rust `rsa` crate takes about a
//! second per 2048-bit key even optimised, so the keys come from a committed pool of test keys
//! (`certs/fixtures/rsa2048-NN.pem`, PKCS#8, made once with the `rsa` crate). Certificates are
//! made at run time with rcgen. The card signs with the `rsa` crate because COMPUTE DIGITAL
//! SIGNATURE receives a ready DigestInfo: PKCS#1 v1.5 padding with no hashing of its own, which
//! ring does not offer.

use crate::{CertError, TEST_ORG};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256, SerialNumber,
};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use rustls_pki_types::PrivatePkcs8KeyDer;
use std::sync::{Arc, OnceLock};
use time::macros::datetime;

const POOL: [&str; 10] = [
    include_str!("../fixtures/rsa2048-00.pem"),
    include_str!("../fixtures/rsa2048-01.pem"),
    include_str!("../fixtures/rsa2048-02.pem"),
    include_str!("../fixtures/rsa2048-03.pem"),
    include_str!("../fixtures/rsa2048-04.pem"),
    include_str!("../fixtures/rsa2048-05.pem"),
    include_str!("../fixtures/rsa2048-06.pem"),
    include_str!("../fixtures/rsa2048-07.pem"),
    include_str!("../fixtures/rsa2048-08.pem"),
    include_str!("../fixtures/rsa2048-09.pem"),
];

/// O of the test JPKI CAs (the real ones say `JPKI`).
pub const JPKI_TEST_ORG: &str = "JPKI TEST - oqs-kit, NOT J-LIS";

/// An RSA-2048 private key from the committed test pool.
pub struct RsaKey {
    key: RsaPrivateKey,
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RsaKey(2048, test pool)")
    }
}

impl RsaKey {
    /// Key `i` of the pool (wraps around), parsed once per process.
    pub fn pool(i: usize) -> Arc<RsaKey> {
        static KEYS: OnceLock<Vec<Arc<RsaKey>>> = OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            POOL.iter()
                .map(|pem| {
                    let key = RsaPrivateKey::from_pkcs8_pem(pem).expect("committed test key");
                    let pkcs8 = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key)
                        .expect("re-encode")
                        .as_bytes()
                        .to_vec();
                    Arc::new(RsaKey { key, pkcs8 })
                })
                .collect()
        });
        keys[i % keys.len()].clone()
    }

    /// PKCS#1 v1.5 signature (type 1 padding) over `digest_info` as given — what
    /// COMPUTE DIGITAL SIGNATURE does. `None` when it does not fit a 2048-bit block.
    pub fn sign_digest_info(&self, digest_info: &[u8]) -> Option<Vec<u8>> {
        self.key
            .sign(Pkcs1v15Sign::new_unprefixed(), digest_info)
            .ok()
    }

    /// The public exponent and modulus, big-endian (what a card's key EFs publish).
    pub fn public_parts(&self) -> (Vec<u8>, Vec<u8>) {
        use rsa::traits::PublicKeyParts;
        (self.key.e().to_bytes_be(), self.key.n().to_bytes_be())
    }

    fn key_pair(&self) -> Result<KeyPair, CertError> {
        Ok(KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(self.pkcs8.as_slice()),
            &PKCS_RSA_SHA256,
        )?)
    }
}

/// DigestInfo (SHA-256) of `message`: what a card's key signs (PKCS#1 v1.5).
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let hash = ring::digest::digest(&ring::digest::SHA256, message);
    [
        &oqs_proto::reader::jpki::SHA256_DIGEST_INFO_PREFIX[..],
        hash.as_ref(),
    ]
    .concat()
}

/// Checks an RSA PKCS#1 v1.5 SHA-256 signature over `message` with the public key of
/// `cert_der` (the check a server makes on a card's answer to its challenge).
pub fn verify_card_signature(cert_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(cert_der) else {
        return false;
    };
    let spki = &cert.tbs_certificate.subject_pki.subject_public_key.data;
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, spki)
        .verify(message, signature)
        .is_ok()
}

/// Whether `cert_der` was signed (RSA PKCS#1 v1.5 SHA-256) by the key of `issuer_der` and
/// names it as issuer: the chain check a server makes on a card's certificate.
pub fn issued_by(cert_der: &[u8], issuer_der: &[u8]) -> bool {
    let (Ok((_, cert)), Ok((_, issuer))) = (
        x509_parser::parse_x509_certificate(cert_der),
        x509_parser::parse_x509_certificate(issuer_der),
    ) else {
        return false;
    };
    cert.issuer() == issuer.subject()
        && ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &issuer.tbs_certificate.subject_pki.subject_public_key.data,
        )
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .is_ok()
}

struct JpkiCaCert {
    cert_der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

impl JpkiCaCert {
    fn new(ou: &str, key: &RsaKey) -> Result<Self, CertError> {
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CountryName, "JP");
        p.distinguished_name
            .push(DnType::OrganizationName, JPKI_TEST_ORG);
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, ou);
        p.distinguished_name.push(DnType::CommonName, TEST_ORG);
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.not_before = datetime!(2020-01-01 00:00 UTC);
        p.not_after = datetime!(2040-01-01 00:00 UTC);
        let kp = key.key_pair()?;
        let cert = p.self_signed(&kp)?;
        Ok(Self {
            cert_der: cert.der().to_vec(),
            issuer: Issuer::new(p, kp),
        })
    }
}

/// Who a card is issued to. The authentication certificate carries no personal data (as on
/// real cards); the signing certificate names the holder.
#[derive(Clone, Debug)]
pub struct CardHolderSpec {
    /// Distinguishes cards: picks the keys from the pool and makes the serial numbers.
    pub card_number: u32,
    pub name: String,
}

/// The certificates and keys written to a card at issue.
#[derive(Clone)]
pub struct CardCertificates {
    pub auth_cert: Vec<u8>,
    pub auth_ca: Vec<u8>,
    pub auth_key: Arc<RsaKey>,
    pub sign_cert: Vec<u8>,
    pub sign_ca: Vec<u8>,
    pub sign_key: Arc<RsaKey>,
}

/// The two test JPKI CAs (one for each certificate kind), sharing the pool's key 0.
pub struct JpkiCa {
    auth: JpkiCaCert,
    sign: JpkiCaCert,
}

impl JpkiCa {
    /// The test JPKI of this process, made on first use.
    pub fn shared() -> &'static JpkiCa {
        static CA: OnceLock<JpkiCa> = OnceLock::new();
        CA.get_or_init(|| {
            let key = RsaKey::pool(0);
            JpkiCa {
                auth: JpkiCaCert::new("JPKI for user authentication", &key).expect("test JPKI CA"),
                sign: JpkiCaCert::new("JPKI for digital signature", &key).expect("test JPKI CA"),
            }
        })
    }

    pub fn auth_ca_der(&self) -> &[u8] {
        &self.auth.cert_der
    }

    /// Issues both certificates of a card. Cards share the pool's 9 card keys round robin.
    pub fn issue(&self, spec: &CardHolderSpec) -> Result<CardCertificates, CertError> {
        let n = spec.card_number as usize;
        let auth_key = RsaKey::pool(1 + (2 * n) % 9);
        let sign_key = RsaKey::pool(1 + (2 * n + 1) % 9);
        let leaf = |cn: &str, serial: u64| -> Result<CertificateParams, CertError> {
            let mut p = CertificateParams::new(Vec::<String>::new())?;
            p.distinguished_name = DistinguishedName::new();
            p.distinguished_name.push(DnType::CountryName, "JP");
            p.distinguished_name.push(DnType::CommonName, cn);
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.serial_number = Some(SerialNumber::from(serial));
            // 5 birthdays after issue on real cards; the kit's cards are valid through the
            // whole simulated period
            p.not_before = datetime!(2024-01-01 00:00 UTC);
            p.not_after = datetime!(2034-01-01 00:00 UTC);
            Ok(p)
        };
        let serial = 0x4A50_0000_0000 + u64::from(spec.card_number);
        let auth = leaf(&format!("JPKI-AUTH-{:012}", spec.card_number), serial)?
            .signed_by(&auth_key.key_pair()?, &self.auth.issuer)?;
        let sign = leaf(&spec.name, serial)?.signed_by(&sign_key.key_pair()?, &self.sign.issuer)?;
        Ok(CardCertificates {
            auth_cert: auth.der().to_vec(),
            auth_ca: self.auth.cert_der.clone(),
            auth_key,
            sign_cert: sign.der().to_vec(),
            sign_ca: self.sign.cert_der.clone(),
            sign_key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::digest::{SHA256, digest};

    #[test]
    fn card_keys_make_signatures_the_certificate_verifies() {
        let ca = JpkiCa::shared();
        let card = ca
            .issue(&CardHolderSpec {
                card_number: 3,
                name: "山田　太郎".into(),
            })
            .unwrap();
        let challenge = b"server nonce 0123456789";
        let hash = digest(&SHA256, challenge);
        let di = [
            &oqs_proto::reader::jpki::SHA256_DIGEST_INFO_PREFIX[..],
            hash.as_ref(),
        ]
        .concat();
        let sig = card.auth_key.sign_digest_info(&di).unwrap();
        assert_eq!(sig.len(), 256);
        assert!(verify_card_signature(&card.auth_cert, challenge, &sig));
        assert!(!verify_card_signature(&card.auth_cert, b"another", &sig));
        // the signing key is another key: its signature does not pass for the auth cert
        let other = card.sign_key.sign_digest_info(&di).unwrap();
        assert!(!verify_card_signature(&card.auth_cert, challenge, &other));
    }

    #[test]
    fn card_certificates_chain_to_the_test_jpki_ca() {
        let ca = JpkiCa::shared();
        let card = ca
            .issue(&CardHolderSpec {
                card_number: 7,
                name: "佐藤　花子".into(),
            })
            .unwrap();
        for (leaf, issuer) in [
            (&card.auth_cert, &card.auth_ca),
            (&card.sign_cert, &card.sign_ca),
        ] {
            assert!(issued_by(leaf, issuer));
            let (_, leaf) = x509_parser::parse_x509_certificate(leaf).unwrap();
            let (_, issuer) = x509_parser::parse_x509_certificate(issuer).unwrap();
            assert!(issuer.subject().to_string().contains("TEST"));
            assert_eq!(
                leaf.public_key().algorithm.algorithm.to_id_string(),
                "1.2.840.113549.1.1.1"
            );
        }
        // not by the other CA, nor by the terminal PKI's root
        assert!(!issued_by(&card.auth_cert, &card.sign_ca));
        assert!(!issued_by(
            &card.auth_cert,
            &crate::Pki::shared().root.cert_der
        ));
        let (_, sign) = x509_parser::parse_x509_certificate(&card.sign_cert).unwrap();
        assert!(sign.subject().to_string().contains("佐藤"));
    }
}
