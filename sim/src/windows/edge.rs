//! Microsoft Edge on the fake terminal, as far as the manuals use it: open a URL, show the
//! 「認証用の証明書の選択」 dialog when the server asks for a client certificate and the 個人
//! store holds one from a CA the server names, trust only what 信頼されたルート証明機関 holds,
//! and report failures as the browser would. Everything goes through the `oqs-host` traits:
//! names from the resolver, time from the clock, certificates from the stores.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use oqs_host::Host;
use oqs_host::certificates::StoreName;
use oqs_host::https::{self, ConnectError, rustls_cause};
use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::ServerName;
use rustls::sign::CertifiedKey;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex};

/// What a failed page load looks like, with the browser's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrowseError {
    #[error(
        "このページに到達できません: {host} のサーバー IP アドレスが見つかりませんでした (DNS_PROBE_FINISHED_NXDOMAIN)"
    )]
    NameNotResolved { host: String },
    #[error("このページに到達できません: {host} で接続が拒否されました (ERR_CONNECTION_REFUSED)")]
    ConnectionRefused { host: String },
    #[error("この接続ではプライバシーが保護されません (NET::ERR_CERT_AUTHORITY_INVALID): {detail}")]
    UntrustedServer { detail: String },
    #[error(
        "このページに到達できません: ログイン証明書が拒否された可能性があります (ERR_BAD_SSL_CLIENT_AUTH_CERT): {detail}"
    )]
    ClientCertificateRejected { detail: String },
    #[error("URL「{0}」を開けません")]
    BadUrl(String),
    #[error("接続が切断されました: {0}")]
    Network(String),
}

/// A response the browser received.
#[derive(Clone, Debug)]
pub struct Page {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Page {
    /// The `<title>` of an HTML page.
    pub fn title(&self) -> Option<&str> {
        let s = self.body.find("<title>")? + 7;
        let e = self.body[s..].find("</title>")? + s;
        Some(&self.body[s..e])
    }
}

/// One navigation: whether the certificate dialog appeared (and what it listed), and how it ended.
#[derive(Clone, Debug)]
pub struct Visit {
    /// 認証用の証明書の選択: the certificates offered (発行先 / 発行者), or `None` when the
    /// dialog never appeared.
    pub certificate_prompt: Option<Vec<String>>,
    pub outcome: Result<Page, BrowseError>,
}

const NAVIGATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The browser of one terminal.
pub struct Edge {
    host: Arc<dyn Host>,
}

type Candidate = (Vec<u8>, String, Arc<CertifiedKey>);

/// The certificate selection dialog: offers the 個人 certificates whose issuer the server named,
/// and the person clicks OK on the first.
#[derive(Debug)]
struct CertificateDialog {
    candidates: Vec<Candidate>,
    shown: Mutex<Option<Vec<String>>>,
}

/// A Name's content without its outer SEQUENCE header (the form TLS root hints may take).
fn strip_sequence(der: &[u8]) -> &[u8] {
    if der.len() < 2 || der[0] != 0x30 {
        return der;
    }
    let header = if der[1] < 0x80 {
        2
    } else {
        2 + (der[1] & 0x7f) as usize
    };
    der.get(header..).unwrap_or(der)
}

impl ResolvesClientCert for CertificateDialog {
    fn resolve(&self, hints: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        let matching: Vec<_> = self
            .candidates
            .iter()
            .filter(|(issuer, _, _)| {
                hints.is_empty()
                    || hints
                        .iter()
                        .any(|h| *h == issuer.as_slice() || *h == strip_sequence(issuer))
            })
            .collect();
        let first = matching.first()?;
        *self.shown.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(matching.iter().map(|c| c.1.clone()).collect());
        Some(first.2.clone())
    }

    fn has_certs(&self) -> bool {
        !self.candidates.is_empty()
    }
}

fn classify(e: &(dyn std::error::Error + 'static)) -> BrowseError {
    match rustls_cause(e) {
        Some(rustls::Error::InvalidCertificate(c)) => BrowseError::UntrustedServer {
            detail: format!("{c:?}"),
        },
        Some(rustls::Error::AlertReceived(a)) => BrowseError::ClientCertificateRejected {
            detail: format!("{a:?}"),
        },
        Some(other) => BrowseError::Network(other.to_string()),
        None => BrowseError::Network(e.to_string()),
    }
}

impl Edge {
    pub fn new(host: Arc<dyn Host>) -> Self {
        Self { host }
    }

    fn client_config(
        &self,
        dialog: Arc<CertificateDialog>,
    ) -> Result<rustls::ClientConfig, BrowseError> {
        https::client_config(self.host.clone(), dialog)
            .map_err(|e| BrowseError::Network(e.to_string()))
    }

    fn dialog(&self) -> Arc<CertificateDialog> {
        let mut candidates = Vec::new();
        for c in self
            .host
            .certificates()
            .list(StoreName::My)
            .unwrap_or_default()
        {
            let (Some(ck), Ok(info)) = (https::certified_key(&c), oqs_certs::inspect(&c.der))
            else {
                continue;
            };
            candidates.push((
                info.issuer_der,
                format!("{} / {}", c.issued_to, c.issued_by),
                ck,
            ));
        }
        Arc::new(CertificateDialog {
            candidates,
            shown: Mutex::new(None),
        })
    }

    /// Opens `url` (GET).
    pub async fn open(&self, url: &str) -> Visit {
        self.request("GET", url, None, None).await
    }

    /// A request as the site's scripts make it: JSON body, session bearer.
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        session: Option<&str>,
        json: Option<Vec<u8>>,
    ) -> Visit {
        let dialog = self.dialog();
        // A bound on the whole navigation, so a stuck peer fails the step instead of hanging it.
        let outcome = match tokio::time::timeout(
            NAVIGATION_TIMEOUT,
            self.fetch(method, url, session, json, dialog.clone()),
        )
        .await
        {
            Ok(o) => o,
            Err(_) => Err(BrowseError::Network(format!(
                "{}秒以内に応答がありません (ERR_TIMED_OUT)",
                NAVIGATION_TIMEOUT.as_secs()
            ))),
        };
        let certificate_prompt = dialog
            .shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Visit {
            certificate_prompt,
            outcome,
        }
    }

    async fn fetch(
        &self,
        method: &str,
        url: &str,
        session: Option<&str>,
        json: Option<Vec<u8>>,
        dialog: Arc<CertificateDialog>,
    ) -> Result<Page, BrowseError> {
        let uri: hyper::Uri = url.parse().map_err(|_| BrowseError::BadUrl(url.into()))?;
        if uri.scheme_str() != Some("https") {
            return Err(BrowseError::BadUrl(url.into()));
        }
        let host = uri
            .host()
            .ok_or_else(|| BrowseError::BadUrl(url.into()))?
            .to_owned();
        let port = uri.port_u16().unwrap_or(443);
        let tcp = https::connect_tcp(self.host.as_ref(), &host, port)
            .await
            .map_err(|e| match e {
                ConnectError::NameNotResolved { host } => BrowseError::NameNotResolved { host },
                _ => BrowseError::ConnectionRefused { host: host.clone() },
            })?;
        let cfg = self.client_config(dialog)?;
        let name =
            ServerName::try_from(host.clone()).map_err(|_| BrowseError::BadUrl(url.into()))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(name, tcp)
            .await
            .map_err(|e| classify(&e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| classify(&e))?;
        let mut driver = tokio::spawn(conn);
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let req = request(method, path, &host, session, json)?;
        let result = async {
            let resp = match sender.send_request(req).await {
                Ok(r) => r,
                // The request only sees "canceled"; the connection knows the TLS alert behind it.
                Err(e) => {
                    // A dead connection's task ends at once; its error names the TLS alert.
                    return match (&mut driver).await {
                        Ok(Err(conn_err)) => Err(classify(&conn_err)),
                        _ => Err(classify(&e)),
                    };
                }
            };
            page(resp).await
        }
        .await;
        driver.abort();
        result
    }

    /// Calls a JSON endpoint of the qualification web API and decodes the answer.
    pub async fn api<B: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        url: &str,
        session: Option<&str>,
        body: Option<&B>,
    ) -> Result<R, ApiFailure> {
        let json = body.map(|b| serde_json::to_vec(b).expect("API bodies serialise"));
        let visit = self.request(method, url, session, json).await;
        let page = visit.outcome.map_err(ApiFailure::Browse)?;
        if (200..300).contains(&page.status) {
            serde_json::from_str(if page.body.is_empty() {
                "null"
            } else {
                &page.body
            })
            .map_err(|e| ApiFailure::Garbled(format!("{e}: {}", page.body)))
        } else {
            match serde_json::from_str::<oqs_proto::api::ApiError>(&page.body) {
                Ok(error) => Err(ApiFailure::Refused {
                    status: page.status,
                    error,
                }),
                Err(_) => Err(ApiFailure::Garbled(format!(
                    "HTTP {}: {}",
                    page.status, page.body
                ))),
            }
        }
    }
}

/// Why an API call did not give what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiFailure {
    #[error("{0}")]
    Browse(BrowseError),
    #[error("HTTP {status}: {error}")]
    Refused {
        status: u16,
        error: oqs_proto::api::ApiError,
    },
    #[error("応答を読み取れません: {0}")]
    Garbled(String),
}

impl ApiFailure {
    /// The server's refusal, if the server refused.
    pub fn refusal(&self) -> Option<&oqs_proto::api::ApiError> {
        match self {
            Self::Refused { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The request Edge sends: its user agent, the portal session, a JSON body.
fn request(
    method: &str,
    path: &str,
    host: &str,
    session: Option<&str>,
    json: Option<Vec<u8>>,
) -> Result<Request<Full<Bytes>>, BrowseError> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header(
            "user-agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/oqs-kit",
        );
    if let Some(s) = session {
        req = req.header("authorization", format!("Bearer {s}"));
    }
    if json.is_some() {
        req = req.header("content-type", "application/json");
    }
    req.body(Full::new(Bytes::from(json.unwrap_or_default())))
        .map_err(|e| BrowseError::Network(e.to_string()))
}

/// The page a response shows: status, content type, body as text.
async fn page(resp: hyper::Response<hyper::body::Incoming>) -> Result<Page, BrowseError> {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| classify(&e))?
        .to_bytes();
    Ok(Page {
        status,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
