//! The test PKI of the kit, made with rcgen at run time and never committed:
//!
//! - a test root CA named like the real one, **"Online Billing NW Common Root CA"**, marked as a
//!   test CA in its O and OU so it can never be mistaken for the production CA;
//! - a *foreign* CA with the very same name but another key (what a rogue or wrong CA looks like);
//! - one server certificate for the manual's host names, issued by a separate *web* root that
//!   stands for the public CAs Windows trusts out of the box (the common root CA only ever signs
//!   terminal certificates, and is trusted once op 6 imports it);
//! - client certificates per terminal whose subject carries the 10-digit institution code (CN)
//!   and the terminal name (OU), valid, expired or not yet valid;
//! - PKCS#12 export and import with a 4-digit password, as the certificate site hands them out.
//!
//! Keys are ECDSA P-256 (ring cannot generate RSA keys, see TOOLCHAIN.md §3). Everything is
//! generated once per process and cached: [`Pki::shared`].
//!
//! | module | what it holds |
//! |---|---|
//! | [`inspect`](mod@inspect) | a certificate read as Windows' certificate dialog shows it (the components' reader, re-exported) |
//! | [`jpki`] | the test JPKI: RSA-2048 certificates of My Number Cards |
//! | [`pkcs12`] | PKCS#12 files with a 4-digit password, as the certificate site hands them out |
//! | [`store`] | certificates as a Windows certificate store lists them (re-exported) |

pub mod inspect;
pub mod jpki;
pub mod pkcs12;
pub mod store;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use time::{OffsetDateTime, macros::datetime};

pub use inspect::{CertInfo, inspect, thumbprint};

/// The issuer name every terminal certificate shows on its 個人 tab.
pub use oqs_proto::institution::ROOT_CA_NAME;
/// O of the test CA: says loudly that this is not the real one.
pub const TEST_ORG: &str = "oqs-kit TEST CA - NOT FOR PRODUCTION";
/// The root that issues the test server certificate: a stand-in for Windows' built-in roots.
pub const WEB_ROOT_NAME: &str = "oqs-kit Test Public Root CA";

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("証明書の生成に失敗しました: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("「{path}」に書き込めません: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// When a client certificate is valid. Windows are fixed instants so that a cached certificate
/// means the same thing in every World; the simulator's clock starts inside [`Validity::Current`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Validity {
    /// 2024-06-10 – 2027-06-10 (three years, like a real terminal certificate).
    Current,
    /// 2021-03-10 – 2024-06-10: the manual's own example period, long past.
    Expired,
    /// 2028-01-01 – 2031-01-01.
    NotYetValid,
}

impl Validity {
    pub fn window(self) -> (OffsetDateTime, OffsetDateTime) {
        match self {
            Self::Current => (
                datetime!(2024-06-10 00:00 +9),
                datetime!(2027-06-10 23:59:59 +9),
            ),
            Self::Expired => (
                datetime!(2021-03-10 00:00 +9),
                datetime!(2024-06-10 23:59:59 +9),
            ),
            Self::NotYetValid => (
                datetime!(2028-01-01 00:00 +9),
                datetime!(2031-01-01 23:59:59 +9),
            ),
        }
    }
}

/// Which CA signs a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Authority {
    /// The (test) Online Billing NW Common Root CA.
    Common,
    /// A CA with the same name and another key.
    Foreign,
}

/// What a client certificate says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientSpec {
    pub institution_code: String,
    pub terminal: String,
    pub validity: Validity,
    pub authority: Authority,
}

impl ClientSpec {
    pub fn new(institution_code: &str, terminal: &str) -> Self {
        Self {
            institution_code: institution_code.to_owned(),
            terminal: terminal.to_owned(),
            validity: Validity::Current,
            authority: Authority::Common,
        }
    }
    pub fn validity(mut self, v: Validity) -> Self {
        self.validity = v;
        self
    }
    pub fn authority(mut self, a: Authority) -> Self {
        self.authority = a;
        self
    }
}

/// A certificate with its private key and the chain up to (and including) its root.
#[derive(Clone)]
pub struct Identity {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    /// PKCS#8 DER.
    pub key_der: Vec<u8>,
    pub key_pem: String,
    /// Issuer certificates, nearest first (here: the root).
    pub chain_der: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subject = inspect(&self.cert_der)
            .map(|i| i.subject)
            .unwrap_or_default();
        f.debug_struct("Identity")
            .field("subject", &subject)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The file a certificate site hands out: PKCS#12, AES-256, with `password`.
    pub fn to_pkcs12(&self, password: &str) -> Vec<u8> {
        pkcs12::export(self, password, pkcs12::Cipher::Aes256)
    }
}

/// A certificate authority: its certificate and the key it signs with.
pub struct Ca {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(cn: &str, ou: &str) -> Result<Self, CertError> {
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CountryName, "JP");
        p.distinguished_name
            .push(DnType::OrganizationName, TEST_ORG);
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, ou);
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        p.not_before = datetime!(2020-01-01 00:00 UTC);
        p.not_after = datetime!(2040-01-01 00:00 UTC);
        let key = KeyPair::generate()?;
        let cert = p.self_signed(&key)?;
        Ok(Self {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(p, key),
        })
    }

    fn sign(&self, p: CertificateParams) -> Result<Identity, CertError> {
        let key = KeyPair::generate()?;
        let cert = p.signed_by(&key, &self.issuer)?;
        Ok(Identity {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
            chain_der: vec![self.cert_der.clone()],
        })
    }
}

/// Host names the test server certificate is valid for: every HTTPS name of the manuals,
/// the verification environment, and loopback for people poking with curl.
pub const SERVER_NAMES: &[&str] = &[
    "hweb.oqs.onshikaku.org",
    "hweb.oqs-st.onshikaku.org",
    "www.lineauth.mnw",
    "cert.obn.managedpki.ne.jp",
    "crldownload.obn.managedpki.ne.jp",
    "pweb.base.oqs-pdl.org",
    "d2vhvuj0j7c8bh.cloudfront.net",
    "localhost",
];

/// The process-wide test PKI.
pub struct Pki {
    /// The (test) Online Billing NW Common Root CA: signs terminal certificates.
    pub root: Ca,
    /// Same name as `root`, another key.
    pub foreign: Ca,
    /// Signs the server certificate; every fake terminal trusts it from the start.
    pub web_root: Ca,
    server: Identity,
    clients: Mutex<HashMap<ClientSpec, Arc<Identity>>>,
}

static SHARED: OnceLock<Pki> = OnceLock::new();

impl Pki {
    /// The PKI of this process, generated on first use.
    pub fn shared() -> &'static Pki {
        SHARED.get_or_init(|| Pki::generate().expect("test PKI generation (ECDSA P-256) failed"))
    }

    /// A fresh PKI with new keys.
    pub fn generate() -> Result<Self, CertError> {
        let root = Ca::new(ROOT_CA_NAME, "Test Root")?;
        let foreign = Ca::new(ROOT_CA_NAME, "Test Root")?;
        let web_root = Ca::new(WEB_ROOT_NAME, "Test Web Root")?;
        let server = {
            let mut p = CertificateParams::new(
                SERVER_NAMES
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
            )?;
            p.subject_alt_names
                .push(SanType::IpAddress([127, 0, 0, 1].into()));
            p.distinguished_name = DistinguishedName::new();
            p.distinguished_name.push(DnType::CountryName, "JP");
            p.distinguished_name
                .push(DnType::OrganizationName, TEST_ORG);
            p.distinguished_name
                .push(DnType::CommonName, SERVER_NAMES[0]);
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.not_before = datetime!(2020-01-01 00:00 UTC);
            p.not_after = datetime!(2039-12-31 00:00 UTC);
            web_root.sign(p)?
        };
        Ok(Self {
            root,
            foreign,
            web_root,
            server,
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// The server certificate for [`SERVER_NAMES`].
    pub fn server(&self) -> &Identity {
        &self.server
    }

    /// The client certificate of a terminal, made once per spec.
    pub fn client(&self, spec: &ClientSpec) -> Arc<Identity> {
        let mut map = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = map.get(spec) {
            return id.clone();
        }
        let id = Arc::new(
            self.make_client(spec)
                .expect("client certificate generation failed"),
        );
        map.insert(spec.clone(), id.clone());
        id
    }

    fn make_client(&self, spec: &ClientSpec) -> Result<Identity, CertError> {
        let mut p = CertificateParams::new(Vec::<String>::new())?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CountryName, "JP");
        p.distinguished_name
            .push(DnType::OrganizationName, TEST_ORG);
        p.distinguished_name
            .push(DnType::OrganizationalUnitName, spec.terminal.as_str());
        p.distinguished_name
            .push(DnType::CommonName, spec.institution_code.as_str());
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        (p.not_before, p.not_after) = spec.validity.window();
        match spec.authority {
            Authority::Common => self.root.sign(p),
            Authority::Foreign => self.foreign.sign(p),
        }
    }

    /// Writes the roots, the server certificate and a terminal's client certificate (PEM and
    /// PKCS#12 with `p12_password`) into `dir`, for people using curl or a browser. `ca.pem`
    /// holds both roots, so it verifies the server and the client certificate alike.
    pub fn write_files(
        &self,
        dir: &Path,
        client: &ClientSpec,
        p12_password: &str,
    ) -> Result<PkiFiles, CertError> {
        let id = self.client(client);
        let files = PkiFiles {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join(format!("{}.pem", client.institution_code)),
            client_key: dir.join(format!("{}.key", client.institution_code)),
            client_p12: dir.join(format!("{}.p12", client.institution_code)),
        };
        let write = |path: &Path, data: &[u8]| {
            std::fs::write(path, data).map_err(|source| CertError::Write {
                path: path.to_owned(),
                source,
            })
        };
        std::fs::create_dir_all(dir).map_err(|source| CertError::Write {
            path: dir.to_owned(),
            source,
        })?;
        write(
            &files.ca,
            format!("{}{}", self.web_root.cert_pem, self.root.cert_pem).as_bytes(),
        )?;
        write(&files.server_cert, self.server.cert_pem.as_bytes())?;
        write(&files.server_key, self.server.key_pem.as_bytes())?;
        write(&files.client_cert, id.cert_pem.as_bytes())?;
        write(&files.client_key, id.key_pem.as_bytes())?;
        write(&files.client_p12, &id.to_pkcs12(p12_password))?;
        Ok(files)
    }
}

/// Paths written by [`Pki::write_files`].
#[derive(Clone, Debug)]
pub struct PkiFiles {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub client_p12: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_subject_carries_code_and_terminal() {
        let pki = Pki::shared();
        let id = pki.client(&ClientSpec::new("1312345678", "RECEPTION-01"));
        let info = inspect(&id.cert_der).unwrap();
        assert_eq!(info.common_name, "1312345678");
        assert_eq!(info.organizational_unit.as_deref(), Some("RECEPTION-01"));
        assert_eq!(info.issuer_common_name, ROOT_CA_NAME);
        assert_eq!(info.institution_code.as_deref(), Some("1312345678"));
        assert!(
            info.issuer.contains("TEST"),
            "test CA must say so: {}",
            info.issuer
        );
    }

    #[test]
    fn validity_windows_are_as_named() {
        let pki = Pki::shared();
        for v in [Validity::Current, Validity::Expired, Validity::NotYetValid] {
            let id = pki.client(&ClientSpec::new("1312345678", "T1").validity(v));
            let info = inspect(&id.cert_der).unwrap();
            assert_eq!((info.not_before, info.not_after), v.window(), "{v:?}");
        }
    }

    #[test]
    fn foreign_ca_has_the_same_name_and_another_key() {
        let pki = Pki::shared();
        let a = inspect(&pki.root.cert_der).unwrap();
        let b = inspect(&pki.foreign.cert_der).unwrap();
        assert_eq!(a.common_name, b.common_name);
        assert_ne!(pki.root.cert_der, pki.foreign.cert_der);
        assert!(a.is_ca && b.is_ca);
    }

    #[test]
    fn clients_are_cached_per_spec() {
        let pki = Pki::shared();
        let s = ClientSpec::new("1312345678", "T1");
        assert!(Arc::ptr_eq(&pki.client(&s), &pki.client(&s)));
        assert!(!Arc::ptr_eq(
            &pki.client(&s),
            &pki.client(&s.clone().validity(Validity::Expired))
        ));
    }
}
