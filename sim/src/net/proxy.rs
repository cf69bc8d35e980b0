//! 配信拠点のプロキシ (`proxy.base.oqs-pdl.org:8080`): a real forward proxy — CONNECT tunnels and
//! absolute-form HTTP requests — without authentication, as the manual says [000 op3].
//!
//! It resolves names through the World's name table (it is the network's proxy), lets through
//! only hosts on its allow list (cloud distribution must be on it), refuses everything during a
//! maintenance window (the manual: Windows Update fails then), and keeps an access log.

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use oqs_host::{Clock, Resolver};
use oqs_proto::bypass::host_matches;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::net::{TcpListener, TcpStream};

/// Hosts the proxy lets through unless told otherwise: internet hosts only — cloud
/// distribution (it must be allowed [000 op3]) and Windows Update. The closed network's own
/// hosts (`*.onshikaku.org`, the distribution base) are on the bypass list and reached
/// directly; asked for them, the proxy refuses, which is how a bypass-list mistake shows.
pub const DEFAULT_ALLOW: &[&str] = &[
    "d2vhvuj0j7c8bh.cloudfront.net",
    "*.windowsupdate.com",
    "*.update.microsoft.com",
];

/// A tunnel's bytes both ways. Each side's end is passed on as an orderly close (FIN), and once
/// one direction is done the other gets at most 10 s more. When the server ends first (after a
/// TLS alert, say), what it sent reaches the client before the close, and whatever the client
/// still sends is read and dropped: closing a socket with unread bytes would reset the
/// connection, and a reset can throw away the alert the client has not read yet (Chromium then
/// shows ERR_SOCKET_NOT_CONNECTED instead of the server's ERR_BAD_SSL_CLIENT_AUTH_CERT).
async fn relay<C>(client: C, upstream: TcpStream)
where
    C: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    let (mut cr, mut cw) = tokio::io::split(client);
    let (mut ur, mut uw) = upstream.into_split();
    let grace = std::time::Duration::from_secs(10);
    let to_server = async {
        let copied = tokio::io::copy(&mut cr, &mut uw).await;
        let _ = uw.shutdown().await;
        if copied.is_err() {
            // the server cannot take more: drain the client until it closes
            let _ = tokio::io::copy(&mut cr, &mut tokio::io::sink()).await;
        }
    };
    let to_client = async {
        let _ = tokio::io::copy(&mut ur, &mut cw).await;
        let _ = cw.shutdown().await;
    };
    let mut to_server = std::pin::pin!(to_server);
    let mut to_client = std::pin::pin!(to_client);
    // whichever direction ends first, the other gets the grace period and no more
    tokio::select! {
        () = &mut to_server => {
            let _ = tokio::time::timeout(grace, &mut to_client).await;
        }
        () = &mut to_client => {
            let _ = tokio::time::timeout(grace, &mut to_server).await;
        }
    }
}

/// One line of the access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub at: OffsetDateTime,
    pub client: SocketAddr,
    /// `CONNECT` or the method of a forwarded request.
    pub method: String,
    /// `host:port` asked for.
    pub target: String,
    /// What the proxy answered (200 for an established tunnel).
    pub status: u16,
}

struct Shared {
    names: Arc<dyn Resolver>,
    clock: Arc<dyn Clock>,
    allow: Mutex<Vec<String>>,
    maintenance: Mutex<Option<(OffsetDateTime, OffsetDateTime)>>,
    log: Mutex<Vec<Access>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct HttpProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

type Body = BoxBody<Bytes, hyper::Error>;

impl HttpProxy {
    /// Binds `127.0.0.1:0` and serves until dropped.
    pub async fn start(names: Arc<dyn Resolver>, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            names,
            clock,
            allow: Mutex::new(DEFAULT_ALLOW.iter().map(|s| (*s).to_owned()).collect()),
            maintenance: Mutex::new(None),
            log: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let task = crate::net::accept_loop(listener, "proxy", move |tcp, client| {
            let _ = tcp.set_nodelay(true);
            let s = s.clone();
            async move {
                let svc = hyper::service::service_fn(move |req| {
                    let s = s.clone();
                    async move { Ok::<_, std::convert::Infallible>(handle(req, client, s).await) }
                });
                if let Err(e) = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .with_upgrades()
                    .await
                {
                    tracing::debug!("proxy connection ended: {e}");
                }
            }
        });
        tracing::info!(%addr, "proxy listening");
        Ok(Self { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the allow list (host patterns with `*`).
    pub fn set_allow(&self, hosts: &[&str]) {
        *lock(&self.shared.allow) = hosts.iter().map(|s| (*s).to_owned()).collect();
    }

    /// Refuses everything from `start` to `end` (sim clock).
    pub fn set_maintenance(&self, window: Option<(OffsetDateTime, OffsetDateTime)>) {
        *lock(&self.shared.maintenance) = window;
    }

    /// The access log so far.
    pub fn log(&self) -> Vec<Access> {
        lock(&self.shared.log).clone()
    }
}

impl Drop for HttpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(
            Full::new(Bytes::from(body.to_owned()))
                .map_err(|never| match never {})
                .boxed(),
        )
        .unwrap_or_default()
}

async fn handle(
    mut req: Request<hyper::body::Incoming>,
    client: SocketAddr,
    s: Arc<Shared>,
) -> Response<Body> {
    let connect = req.method() == Method::CONNECT;
    let default_port = if connect { 443 } else { 80 };
    let (host, port) = match req.uri().authority() {
        Some(a) => (a.host().to_owned(), a.port_u16().unwrap_or(default_port)),
        None => {
            return text(
                StatusCode::BAD_REQUEST,
                "プロキシへの要求は CONNECT か絶対 URI（http://ホスト/…）にしてください",
            );
        }
    };
    let entry = Access {
        at: s.clock.now(),
        client,
        method: req.method().to_string(),
        target: format!("{host}:{port}"),
        status: 0,
    };
    let upstream = match admit(&s, &host, port, entry.at).await {
        Ok(t) => t,
        Err((status, why)) => {
            record(&s, &entry, status);
            return text(status, &why);
        }
    };
    if connect {
        let on_upgrade = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(up) => relay(TokioIo::new(up), upstream).await,
                Err(e) => tracing::debug!("CONNECT upgrade failed: {e}"),
            }
        });
        record(&s, &entry, StatusCode::OK);
        return Response::new(
            http_body_util::Empty::new()
                .map_err(|never| match never {})
                .boxed(),
        );
    }
    match forward(req, upstream).await {
        Ok(resp) => {
            record(&s, &entry, resp.status());
            resp.map(BodyExt::boxed)
        }
        Err((status, why)) => {
            record(&s, &entry, status);
            text(status, &format!("{}{why}", entry.target))
        }
    }
}

fn record(s: &Shared, entry: &Access, status: StatusCode) {
    let mut e = entry.clone();
    e.status = status.as_u16();
    lock(&s.log).push(e);
}

/// Whether the proxy lets the request through now (not in maintenance, an allowed host),
/// and the upstream connection; else the status and what the proxy says.
async fn admit(
    s: &Shared,
    host: &str,
    port: u16,
    now: OffsetDateTime,
) -> Result<TcpStream, (StatusCode, String)> {
    let in_maintenance = lock(&s.maintenance).is_some_and(|(a, b)| a <= now && now < b);
    if in_maintenance {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "プロキシサーバーはメンテナンス中です。時間をおいて再度実行してください".into(),
        ));
    }
    if !lock(&s.allow).iter().any(|p| host_matches(p, host)) {
        return Err((
            StatusCode::FORBIDDEN,
            format!("「{host}」への接続はプロキシで許可されていません"),
        ));
    }
    let upstream = match s.names.resolve(host, port) {
        Ok(addrs) => connect_any(&addrs).await,
        Err(e) => Err(e),
    };
    upstream.map_err(|e| {
        (
            StatusCode::BAD_GATEWAY,
            format!("{host}:{port} に接続できません: {e}"),
        )
    })
}

/// An absolute-form request sent on: the upstream gets the origin form and a Host header,
/// without the proxy's own headers. The error's text follows the target's name.
async fn forward(
    req: Request<hyper::body::Incoming>,
    upstream: TcpStream,
) -> Result<Response<hyper::body::Incoming>, (StatusCode, String)> {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let (mut parts, body) = req.into_parts();
    parts.uri = path.parse().map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            " の URI を解釈できません".to_owned(),
        )
    })?;
    parts.headers.remove("proxy-connection");
    parts.headers.remove("proxy-authorization");
    let req = Request::from_parts(parts, body);
    let answer = async {
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(upstream)).await?;
        tokio::spawn(conn);
        sender.send_request(req).await
    };
    answer.await.map_err(|e| {
        (
            StatusCode::BAD_GATEWAY,
            format!(" からの応答がありません: {e}"),
        )
    })
}

async fn connect_any(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "アドレスがありません");
    for a in addrs {
        match TcpStream::connect(a).await {
            Ok(t) => {
                let _ = t.set_nodelay(true);
                return Ok(t);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
