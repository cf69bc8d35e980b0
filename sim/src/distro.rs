//! 配信サーバー: the distribution server behind both choices of the distro app —
//! 配信拠点 (`pweb.base.oqs-pdl.org`, on the closed network) and クラウド
//! (`d2vhvuj0j7c8bh.cloudfront.net`, on the internet, reached through the proxy) [000 op11; 002].
//!
//! Terminals authenticate with their client certificate (mutual TLS, as the qualification
//! server: without op 6's certificate the distro app reaches no server, and 配信実績 shows no
//! institution code [000 op11 03 こんなときは]). The
//! release catalog is delivered in batches — the distro app itself first, then the face
//! library and the linkage app, then the reader app — one batch per download → restart round.
//! On release day answers are slow: a batch becomes ready only some (sim) minutes after it is
//! first asked for.
//!
//! API (\[K\]): `GET /distro/api/ping` (接続確認), `POST /distro/api/check` (a
//! [`CheckRequest`] → [`CheckResponse`]), `GET /distro/api/package/<app>/<version>`.

use crate::qualification::tls::RejectionLog;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use oqs_certs::Pki;
use oqs_host::Clock;
use oqs_proto::distro::{App, CheckRequest, CheckResponse, Package, Version};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One release of the catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    pub app: App,
    pub version: Version,
    /// Delivered in this round (1 first).
    pub batch: u32,
    pub bytes: u64,
}

/// The releases the World's server starts with: newer than what the setup tool installs,
/// in three batches (at most 3 rounds, as the manual says [001 step 13]).
pub fn default_catalog() -> Vec<Release> {
    let r = |app, v: &str, batch, bytes| Release {
        app,
        version: v.parse().expect("catalog version"),
        batch,
        bytes,
    };
    vec![
        r(App::DistroApp, "1.0.6", 1, 4_200_000),
        r(App::FaceLibrary, "2.3.1", 2, 38_000_000),
        r(App::LinkageApp, "2.2.1", 2, 12_000_000),
        r(App::ReaderApp, "1.0.0.4", 3, 95_000_000),
    ]
}

/// What the server saw of one terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub institution_code: String,
    pub computer_name: String,
    /// The host name the terminal used (base or cloud).
    pub host: String,
    pub last_check: OffsetDateTime,
    pub installed: Vec<(App, Version)>,
}

struct Shared {
    clock: Arc<dyn Clock>,
    catalog: Mutex<Vec<Release>>,
    /// Release-day load: a batch is ready this long after it is first asked for.
    release_day: Mutex<Option<Duration>>,
    /// (code, computer, batch) → when first asked.
    first_asked: Mutex<BTreeMap<(String, String, u32), OffsetDateTime>>,
    seen: Mutex<BTreeMap<(String, String), Seen>>,
    pings: Mutex<Vec<(String, String)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct DistroServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl DistroServer {
    /// Binds `127.0.0.1:0` and serves until dropped.
    pub async fn start(clock: Arc<dyn Clock>, pki: &Pki) -> std::io::Result<Self> {
        let config =
            crate::qualification::server_config(pki, clock.clone(), RejectionLog::default())?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            clock,
            catalog: Mutex::new(default_catalog()),
            release_day: Mutex::new(None),
            first_asked: Mutex::new(BTreeMap::new()),
            seen: Mutex::new(BTreeMap::new()),
            pings: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let task = crate::net::accept_loop(listener, "distribution server", move |tcp, _| {
            let (acceptor, s) = (acceptor.clone(), s.clone());
            async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let conn = tls.get_ref().1;
                let host = conn.server_name().unwrap_or_default().to_owned();
                let code = conn
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .and_then(|c| oqs_certs::inspect(c).ok())
                    .and_then(|i| i.institution_code)
                    .unwrap_or_default();
                let svc = hyper::service::service_fn(move |req| {
                    let (s, host, code) = (s.clone(), host.clone(), code.clone());
                    async move { Ok::<_, std::convert::Infallible>(route(req, &s, &host, &code).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            }
        });
        tracing::info!(%addr, "distribution server listening");
        Ok(Self { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Publishes a release (replacing the app's earlier one).
    pub fn publish(&self, release: Release) {
        let mut c = lock(&self.shared.catalog);
        c.retain(|r| r.app != release.app);
        c.push(release);
    }

    /// The catalog now.
    pub fn catalog(&self) -> Vec<Release> {
        lock(&self.shared.catalog).clone()
    }

    /// 配信開始当日: batches are ready only `delay` after first asked for (`None`: at once).
    pub fn set_release_day(&self, delay: Option<Duration>) {
        *lock(&self.shared.release_day) = delay;
    }

    /// What the server knows of a terminal (by institution code and computer name).
    pub fn seen(&self, code: &str, computer: &str) -> Option<Seen> {
        lock(&self.shared.seen)
            .get(&(code.to_owned(), computer.to_owned()))
            .cloned()
    }

    /// 接続確認 pings so far: (institution code, host name used).
    pub fn pings(&self) -> Vec<(String, String)> {
        lock(&self.shared.pings).clone()
    }
}

impl Drop for DistroServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reply(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

async fn route(
    req: Request<Incoming>,
    s: &Shared,
    host: &str,
    code: &str,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/distro/api/ping") => {
            lock(&s.pings).push((code.to_owned(), host.to_owned()));
            text(StatusCode::OK, "OK")
        }
        (Method::POST, "/distro/api/check") => {
            let body = match Limited::new(req.into_body(), 1 << 16).collect().await {
                Ok(b) => b.to_bytes(),
                Err(_) => return text(StatusCode::PAYLOAD_TOO_LARGE, "要求が大きすぎます"),
            };
            let q: CheckRequest = match serde_json::from_slice(&body) {
                Ok(q) => q,
                Err(e) => {
                    return text(
                        StatusCode::BAD_REQUEST,
                        &format!("要求を解釈できません: {e}"),
                    );
                }
            };
            let answer = check(s, host, code, q);
            reply(
                StatusCode::OK,
                "application/json; charset=utf-8",
                serde_json::to_vec(&answer).unwrap_or_default(),
            )
        }
        (Method::GET, p) if p.starts_with("/distro/api/package/") => {
            let mut parts = p["/distro/api/package/".len()..].splitn(2, '/');
            let (app, version) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let catalog = lock(&s.catalog);
            let found = catalog
                .iter()
                .find(|r| r.app.slug() == app && r.version.to_string() == version);
            match found {
                // the payload stands for the installer: the version it installs
                Some(r) => reply(
                    StatusCode::OK,
                    "application/octet-stream",
                    format!("OQS package {} {}\r\n", r.app.label(), r.version).into_bytes(),
                ),
                None => text(StatusCode::NOT_FOUND, "その更新ファイルはありません"),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

/// The next batch for what the terminal has: the lowest batch among the releases newer than
/// its installed versions (apps it does not have are not offered).
fn check(s: &Shared, host: &str, code: &str, q: CheckRequest) -> CheckResponse {
    let now = s.clock.now();
    let catalog = lock(&s.catalog).clone();
    let pending: Vec<&Release> = catalog
        .iter()
        .filter(|r| {
            q.installed
                .iter()
                .any(|(app, v)| *app == r.app && *v < r.version)
        })
        .collect();
    let first = pending.iter().map(|r| r.batch).min();
    let batch: Vec<Package> = pending
        .iter()
        .filter(|r| Some(r.batch) == first)
        .map(|r| Package {
            app: r.app,
            version: r.version.clone(),
            bytes: r.bytes,
        })
        .collect();
    let mut batches: Vec<u32> = pending.iter().map(|r| r.batch).collect();
    batches.sort_unstable();
    batches.dedup();
    let ready_at = match (first, *lock(&s.release_day)) {
        (Some(b), Some(delay)) => {
            let mut f = lock(&s.first_asked);
            let asked = *f
                .entry((code.to_owned(), q.computer_name.clone(), b))
                .or_insert(now);
            let ready = asked + delay;
            (ready > now).then(|| oqs_host::clock::rfc3339(ready))
        }
        _ => None,
    };
    lock(&s.seen).insert(
        (code.to_owned(), q.computer_name.clone()),
        Seen {
            institution_code: code.to_owned(),
            computer_name: q.computer_name.clone(),
            host: host.to_owned(),
            last_check: now,
            installed: q.installed.clone(),
        },
    );
    CheckResponse {
        institution_code: code.to_owned(),
        batch,
        ready_at,
        remaining_batches: u32::try_from(batches.len().saturating_sub(1)).unwrap_or(0),
    }
}
