//! How the distro app reaches its server: through WinHTTP's settings, not the user's proxy —
//! which is why `netsh winhttp import proxy source=ie` matters \[002\]. Direct when WinHTTP has no
//! proxy or the bypass list matches the host; otherwise a CONNECT tunnel through the proxy.
//! Then mutual TLS with the terminal's client certificate, and HTTP/1.1.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use oqs_host::Host;
use oqs_host::certificates::StoreName;
use oqs_host::https::{self, OneCertificate};
use oqs_host::windows::WindowsState;
use oqs_proto::bypass::{BypassList, Route};
use oqs_proto::institution::ROOT_CA_NAME;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// Why the server could not be reached; each carries what a person can do.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum NetError {
    #[error(
        "個人ストアに Online Billing NW Common Root CA 発行の電子証明書がありません。操作6のとおり電子証明書をインストールしてください"
    )]
    NoCertificate,
    #[error("{host} を解決できません（{reason}）")]
    NameNotResolved { host: String, reason: String },
    #[error("{host} に接続できません: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("プロキシ {proxy} が {host} への接続を拒否しました（{status}: {message}）")]
    ProxyRefused {
        proxy: String,
        host: String,
        status: u16,
        message: String,
    },
    #[error("{host} との TLS 接続に失敗しました: {reason}")]
    Tls { host: String, reason: String },
    #[error("{host} の応答が不正です: {reason}")]
    Http { host: String, reason: String },
}

/// WinHTTP's route to `host` on port 443: `None` = direct, else the proxy `host:port`.
pub fn winhttp_route(w: &WindowsState, host: &str) -> Option<(String, u16)> {
    let p = w.winhttp.as_ref()?;
    if BypassList::parse(&p.bypass).route("https", host, 443) == Route::Direct {
        return None;
    }
    let server = p.server.trim_start_matches("http://");
    let (h, port) = server.rsplit_once(':').unwrap_or((server, "80"));
    Some((h.to_owned(), port.parse().unwrap_or(80)))
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An HTTP/1.1 connection to `host:443` over mutual TLS, by WinHTTP's route.
pub struct Connection {
    host: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(terminal: Arc<dyn Host>, host: &str) -> Result<Self, NetError> {
        let cert = terminal
            .certificates()
            .list(StoreName::My)
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.issued_by == ROOT_CA_NAME)
            .find_map(|c| https::certified_key(&c))
            .ok_or(NetError::NoCertificate)?;
        let w = terminal
            .system()
            .load()
            .map_err(|e| NetError::Unreachable {
                host: host.into(),
                reason: e.to_string(),
            })?;
        let io: Box<dyn Io> = match winhttp_route(&w, host) {
            None => Box::new(
                https::connect_tcp(terminal.as_ref(), host, 443)
                    .await
                    .map_err(|e| match e {
                        https::ConnectError::NameNotResolved { .. } => NetError::NameNotResolved {
                            host: host.into(),
                            reason: terminal
                                .names()
                                .resolve(host, 443)
                                .err()
                                .map(|e| e.to_string())
                                .unwrap_or_default(),
                        },
                        e => NetError::Unreachable {
                            host: host.into(),
                            reason: e.to_string(),
                        },
                    })?,
            ),
            Some((proxy, port)) => tunnel(terminal.as_ref(), &proxy, port, host).await?,
        };
        let cfg = https::client_config(terminal.clone(), Arc::new(OneCertificate(cert))).map_err(
            |e| NetError::Tls {
                host: host.into(),
                reason: e.to_string(),
            },
        )?;
        let name = ServerName::try_from(host.to_owned()).map_err(|e| NetError::Tls {
            host: host.into(),
            reason: e.to_string(),
        })?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg))
            .connect(name, io)
            .await
            .map_err(|e| NetError::Tls {
                host: host.into(),
                reason: https::rustls_cause(&e).map_or(e.to_string(), |r| r.to_string()),
            })?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| NetError::Http {
                host: host.into(),
                reason: cause(&e),
            })?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Self {
            host: host.into(),
            sender,
        })
    }

    /// One request; the body of a 200 answer.
    pub async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Bytes, NetError> {
        let http = |reason: String| NetError::Http {
            host: self.host.clone(),
            reason,
        };
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| http(e.to_string()))?;
        // the previous answer may still be finishing on this connection
        self.sender.ready().await.map_err(|e| http(cause(&e)))?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| http(cause(&e)))?;
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| http(cause(&e)))?
            .to_bytes();
        if status != StatusCode::OK {
            return Err(http(format!(
                "{status}: {}",
                String::from_utf8_lossy(&bytes)
            )));
        }
        Ok(bytes)
    }
}

/// CONNECT `host:443` through the proxy, the tunnel as the stream.
async fn tunnel(
    terminal: &dyn Host,
    proxy: &str,
    port: u16,
    host: &str,
) -> Result<Box<dyn Io>, NetError> {
    let unreachable = |reason: String| NetError::Unreachable {
        host: format!("プロキシ {proxy}:{port}"),
        reason,
    };
    let tcp = https::connect_tcp(terminal, proxy, port)
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(tcp))
            .await
            .map_err(|e| unreachable(cause(&e)))?;
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let authority = format!("{host}:443");
    let req = Request::builder()
        .method(Method::CONNECT)
        .uri(&authority)
        .header("host", &authority)
        .body(Full::new(Bytes::new()))
        .map_err(|e| unreachable(e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| unreachable(cause(&e)))?;
    if resp.status() != StatusCode::OK {
        let status = resp.status().as_u16();
        let message = resp
            .into_body()
            .collect()
            .await
            .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
            .unwrap_or_default();
        return Err(NetError::ProxyRefused {
            proxy: format!("{proxy}:{port}"),
            host: host.into(),
            status,
            message,
        });
    }
    let upgraded = hyper::upgrade::on(resp)
        .await
        .map_err(|e| unreachable(cause(&e)))?;
    Ok(Box::new(TokioIo::new(upgraded)))
}

fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    https::rustls_cause(e).map_or_else(
        || {
            let mut s = e.to_string();
            let mut cur = e.source();
            while let Some(c) = cur {
                s = format!("{s}: {c}");
                cur = c.source();
            }
            s
        },
        |r| r.to_string(),
    )
}
