//! Mutual TLS of the qualification server: only terminals holding a client certificate from the
//! (test) Online Billing NW Common Root CA get in. Each refusal is recorded with a distinct
//! reason, and validity is judged by the World's clock, not the wall clock.

use oqs_host::Clock;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};
use std::sync::{Arc, Mutex};

/// Why a terminal was turned away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// No client certificate was presented.
    NoCertificate,
    /// Signed by a CA other than the common root (even one with the same name).
    ForeignCa,
    /// Past its validity.
    Expired,
    /// Before its validity.
    NotYetValid,
    /// The subject is not a 10-digit institution code.
    NotAnInstitutionCertificate(String),
    /// A valid certificate whose institution has no usage registration.
    UnregisteredInstitution(String),
    /// Anything else webpki refused.
    BadCertificate(String),
}

impl Rejection {
    /// A stable word for logs and scenarios.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoCertificate => "no_certificate",
            Self::ForeignCa => "foreign_ca",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::NotAnInstitutionCertificate(_) => "not_an_institution_certificate",
            Self::UnregisteredInstitution(_) => "unregistered_institution",
            Self::BadCertificate(_) => "bad_certificate",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::NoCertificate => "クライアント証明書が提示されませんでした。電子証明書が正しくインストールされていることを確認してください".into(),
            Self::ForeignCa => "Online Billing NW Common Root CA が発行した電子証明書ではありません。正しい電子証明書をインストールしてください".into(),
            Self::Expired => "電子証明書の有効期限が切れています。電子証明書を更新してください".into(),
            Self::NotYetValid => "電子証明書の有効期間が開始していません。端末の時刻と証明書の有効期間を確認してください".into(),
            Self::NotAnInstitutionCertificate(s) => {
                format!("電子証明書のサブジェクト「{s}」が医療機関コード（10桁）ではありません")
            }
            Self::UnregisteredInstitution(c) => {
                format!("医療機関コード「{c}」は利用登録されていません。利用申請の内容を確認してください")
            }
            Self::BadCertificate(e) => format!("電子証明書を検証できません: {e}"),
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message(), self.code())
    }
}

/// Every rejection of one server, in order. Waiters are woken on each new entry, so a test
/// waits for "the next rejection" instead of sleeping.
#[derive(Clone, Debug, Default)]
pub struct RejectionLog(Arc<LogInner>);

#[derive(Debug, Default)]
struct LogInner {
    entries: Mutex<Vec<Rejection>>,
    added: tokio::sync::Notify,
}

impl RejectionLog {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Rejection>> {
        self.0.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn record(&self, r: Rejection) {
        tracing::warn!(
            reason = r.code(),
            "qualification server rejected a terminal: {}",
            r.message()
        );
        self.entries().push(r);
        self.0.added.notify_waiters();
    }

    pub fn all(&self) -> Vec<Rejection> {
        self.entries().clone()
    }

    pub fn last(&self) -> Option<Rejection> {
        self.entries().last().cloned()
    }

    /// How many rejections so far: remember it before an action, then [`Self::next_after`].
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// The first rejection recorded after the first `seen` ones, waiting for it if needed.
    pub async fn next_after(&self, seen: usize) -> Rejection {
        loop {
            let added = self.0.added.notified();
            tokio::pin!(added);
            // Register before looking, so an entry pushed in between still wakes us.
            added.as_mut().enable();
            if let Some(r) = self.entries().get(seen) {
                return r.clone();
            }
            added.await;
        }
    }
}

/// webpki's verifier, asked with the World's time, with every refusal recorded.
pub struct TerminalVerifier {
    pub inner: Arc<dyn ClientCertVerifier>,
    pub clock: Arc<dyn Clock>,
    pub log: RejectionLog,
}

impl std::fmt::Debug for TerminalVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TerminalVerifier(now={})", self.clock.now())
    }
}

fn classify(e: &Error) -> Rejection {
    match e {
        Error::InvalidCertificate(c) => match c {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                Rejection::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                Rejection::NotYetValid
            }
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                Rejection::ForeignCa
            }
            other => Rejection::BadCertificate(format!("{other:?}")),
        },
        other => Rejection::BadCertificate(other.to_string()),
    }
}

impl ClientCertVerifier for TerminalVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _wall_clock: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            self.clock.now().unix_timestamp().max(0) as u64,
        ));
        match self
            .inner
            .verify_client_cert(end_entity, intermediates, now)
        {
            Ok(v) => match oqs_certs::inspect(end_entity) {
                Ok(info) if info.institution_code.is_some() => Ok(v),
                Ok(info) => {
                    self.log
                        .record(Rejection::NotAnInstitutionCertificate(info.common_name));
                    Err(Error::InvalidCertificate(
                        CertificateError::ApplicationVerificationFailure,
                    ))
                }
                Err(e) => {
                    self.log.record(Rejection::BadCertificate(e.to_string()));
                    Err(Error::InvalidCertificate(CertificateError::BadEncoding))
                }
            },
            Err(e) => {
                self.log.record(classify(&e));
                Err(e)
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
