//! HTTPS as Windows gives it to programs (SChannel under WinHTTP and Edge): server certificates
//! checked against the 信頼されたルート証明機関 stores at the host's time, the client
//! certificate taken from the 個人 store, names resolved by the host. The fake Edge and the
//! components build their connections from these pieces, so they trust and fail alike.

use crate::Host;
use crate::certificates::{StoreName, StoredCertificate};
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// The host's clock as rustls's time source: certificate validity is judged by the terminal's
/// time, which the simulator controls.
pub struct HostTime(pub Arc<dyn Host>);

impl std::fmt::Debug for HostTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostTime")
    }
}

impl rustls::time_provider::TimeProvider for HostTime {
    fn current_time(&self) -> Option<UnixTime> {
        let secs = self.0.clock().now().unix_timestamp();
        Some(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            secs.max(0) as u64,
        )))
    }
}

/// Why a connection could not be made, before any HTTP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("{host} の名前解決ができません")]
    NameNotResolved { host: String },
    #[error("{host} に接続できません（接続が拒否されました）")]
    Refused { host: String },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("「{0}」はホスト名として使えません")]
    BadName(String),
}

/// A key pair from the 個人 store in the form rustls signs with; `None` without a usable key.
pub fn certified_key(c: &StoredCertificate) -> Option<Arc<CertifiedKey>> {
    let key = c.private_key.as_ref()?;
    let signing = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.clone())))
        .ok()?;
    Some(Arc::new(CertifiedKey::new(
        vec![CertificateDer::from(c.der.clone())],
        signing,
    )))
}

/// Always offers one certificate (a program configured with its certificate, unlike a browser
/// that asks the person).
#[derive(Debug)]
pub struct OneCertificate(pub Arc<CertifiedKey>);

impl ResolvesClientCert for OneCertificate {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

/// A TLS client configuration that trusts what the host's root stores hold (CurrentUser and
/// LocalMachine), at the host's time, and answers certificate requests with `client`.
pub fn client_config(
    host: Arc<dyn Host>,
    client: Arc<dyn ResolvesClientCert>,
) -> Result<ClientConfig, ConnectError> {
    let tls = |e: &dyn std::fmt::Display| ConnectError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    let store = host.certificates();
    for s in [StoreName::Root, StoreName::MachineRoot] {
        for c in store.list(s).map_err(|e| tls(&e))? {
            // A malformed root is skipped, as Windows ignores it.
            let _ = roots.add(CertificateDer::from(c.der));
        }
    }
    let time = Arc::new(HostTime(host.clone()));
    let builder = ClientConfig::builder_with_details(provider, time)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?;
    let mut cfg = if roots.is_empty() {
        // webpki refuses an empty root store: a host that trusts nothing refuses every server.
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NothingTrusted))
            .with_client_cert_resolver(client)
    } else {
        builder
            .with_root_certificates(roots)
            .with_client_cert_resolver(client)
    };
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// Resolves `name` through the host and connects to the first address that answers.
pub async fn connect_tcp(
    host: &dyn Host,
    name: &str,
    port: u16,
) -> Result<TcpStream, ConnectError> {
    let addrs = host
        .names()
        .resolve(name, port)
        .map_err(|_| ConnectError::NameNotResolved { host: name.into() })?;
    for a in addrs {
        if let Ok(s) = TcpStream::connect(a).await {
            let _ = s.set_nodelay(true);
            return Ok(s);
        }
    }
    Err(ConnectError::Refused { host: name.into() })
}

/// TCP, then TLS with `cfg`, to `name:port`.
pub async fn connect(
    host: &dyn Host,
    name: &str,
    port: u16,
    cfg: Arc<ClientConfig>,
) -> Result<TlsStream<TcpStream>, ConnectError> {
    let tcp = connect_tcp(host, name, port).await?;
    let server_name =
        ServerName::try_from(name.to_owned()).map_err(|_| ConnectError::BadName(name.into()))?;
    tokio_rustls::TlsConnector::from(cfg)
        .connect(server_name, tcp)
        .await
        .map_err(|e| ConnectError::Tls(rustls_cause(&e).map_or(e.to_string(), |r| r.to_string())))
}

/// The rustls error somewhere in an error's chain (hyper and tokio wrap it).
pub fn rustls_cause(e: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r.clone());
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(r) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(r.clone());
        }
        cur = err.source();
    }
    None
}

/// The verifier of a host whose root stores are empty.
#[derive(Debug)]
struct NothingTrusted;

fn unknown_issuer<T>() -> Result<T, rustls::Error> {
    Err(rustls::Error::InvalidCertificate(
        rustls::CertificateError::UnknownIssuer,
    ))
}

impl rustls::client::danger::ServerCertVerifier for NothingTrusted {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        unknown_issuer()
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        unknown_issuer()
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        unknown_issuer()
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}
