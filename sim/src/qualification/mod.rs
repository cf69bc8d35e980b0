//! The mock オンライン資格確認等システム: an HTTPS server that only lets in terminals with a
//! client certificate from the test common root CA, identifies the institution from the
//! certificate's subject, and serves a small web API over the sans-I/O [`registry::Registry`].
//!
//! ## Pages (what a browser sees)
//! | request | answer |
//! |---|---|
//! | `GET /web/` on `hweb.oqs.onshikaku.org` | the portal: 「オンライン資格確認等システム」 and 「システムの利用を始める」 |
//! | `GET /web/` on `hweb.oqs-st.onshikaku.org` | the 「接続検証環境」 page (a mistyped shortcut) |
//! | `GET /web/?mode=etsuran` | the 「医療情報閲覧用端末」 page |
//! | `/web/login`, `/web/menu`, `/web/accounts…`, `/web/check/…` and the rest [`portal::is_screen`] names | the portal's screens ([`portal`]) |
//!
//! ## JSON API (bodies in `oqs_proto::api`; session in `Authorization: Bearer <session>`)
//! | method and path | body → answer |
//! |---|---|
//! | `GET /web/api/institution` | → `InstitutionInfo` of the client certificate's institution |
//! | `POST /web/api/login` | `LoginRequest` → `LoginResponse` |
//! | `POST /web/api/logout` | → 204 |
//! | `POST /web/api/password` | `PasswordChange` → `{"result": "更新しました。"}` |
//! | `POST /web/api/accounts/unlock` | `AccountUnlock` (master/admin): ends a lock from wrong passwords |
//! | `POST /web/api/master-reset` | `MasterReset` → `IssuedAccount` (the new initial password) |
//! | `GET /web/api/accounts` | → `[AccountSummary]` (master/admin) |
//! | `POST /web/api/accounts` | `NewAccount` → `IssuedAccount` (master/admin) |
//! | `GET /web/api/settings` | → `EnvironmentSettings` |
//! | `PUT /web/api/settings` | `SettingsChange` → `EnvironmentSettings` (admin only) |
//! | `POST /web/api/qualification` | `SearchInfo` → `QualificationResult` |
//! | `POST /web/api/reference-numbers` | `ReferenceNumberRegistration` → the same, normalised |
//! | `POST /web/api/accounts/bulk` | `AccountBulkUpload` (Shift_JIS CSV, hex) → `AccountBulkAccepted` (master/admin; 1 minute apart) |
//! | `GET /web/api/accounts/bulk` | → `[AccountBulkStatus]` (アカウント一括登録結果) |
//! | `GET /web/api/accounts/bulk/<受付番号>` | → `AccountBulkUpload` (the result file) |
//! | `POST /web/api/card/challenge` | → `CardChallenge` (one-time, 5 minutes) |
//! | `POST /web/api/card/check` | `CardCheck` → `CardCheckResult` (資格確認 with a My Number Card) |
//! | `POST /web/api/bulk/qualification` | `[SearchInfo]` → `BulkAccepted` (受付番号) |
//! | `GET /web/api/bulk/qualification/<受付番号>` | → `BulkCheckDownload` (`ready: false` while processing) |
//! | `POST /web/api/bulk/reference-numbers` | `[ReferenceNumberRegistration]` → `BulkAccepted` |
//! | `GET /web/api/bulk/reference-numbers/<受付番号>` | → `BulkRegistrationDownload` |
//!
//! Every refusal is an `ApiError` `{code, message, details}` with the manual's words.

pub mod account_bulk;
pub mod cards;
pub mod gate;
pub mod insured;
pub mod portal;
pub mod reception;
pub mod registry;
pub mod tls;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use oqs_certs::Pki;
use oqs_host::Clock;
use oqs_proto::api::{
    AccountBulkUpload, AccountUnlock, ApiError, CardCheck, LoginRequest, MasterReset, NewAccount,
    PasswordChange, ReferenceNumberRegistration,
};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::profile::ServerProfile;
use oqs_proto::qualification::SearchInfo;
use oqs_proto::settings::SettingsChange;
use registry::{Refusal, Registry};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tls::{Rejection, RejectionLog, TerminalVerifier};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use crate::names::hosts::{QUALIFICATION as HOST, VERIFICATION as VERIFICATION_HOST};

pub type SharedRegistry = Arc<Mutex<Registry>>;

/// A running server. Dropping it stops it and every open connection.
pub struct QualificationServer {
    addr: SocketAddr,
    rejections: RejectionLog,
    faults: Arc<ServerFaults>,
    task: JoinHandle<()>,
}

/// Faults the server itself shows, switched by a scenario: so many of the next API requests are
/// answered `503` (the service overloaded or in maintenance). Network faults (latency, resets,
/// TLS alerts) are the relay's: [`crate::net::fault`].
#[derive(Default)]
pub struct ServerFaults {
    unavailable_next: std::sync::atomic::AtomicU32,
    unavailable_sent: std::sync::atomic::AtomicU32,
}

impl ServerFaults {
    pub fn unavailable_next(&self, n: u32) {
        self.unavailable_next
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// 503 answers sent so far.
    pub fn unavailable_sent(&self) -> u32 {
        self.unavailable_sent
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    fn take_unavailable(&self) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        let took = self
            .unavailable_next
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if took {
            self.unavailable_sent.fetch_add(1, SeqCst);
        }
        took
    }
}

impl Drop for QualificationServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl QualificationServer {
    /// Binds `127.0.0.1:0` and serves until dropped, within `limits`.
    pub async fn start(
        registry: SharedRegistry,
        clock: Arc<dyn Clock>,
        pki: &Pki,
        limits: ServerProfile,
    ) -> std::io::Result<Self> {
        let limits = Arc::new(limits);
        let rejections = RejectionLog::default();
        let config = server_config(pki, clock.clone(), rejections.clone())?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let log = rejections.clone();
        let gate = Arc::new(gate::Gate::default());
        let faults: Arc<ServerFaults> = Arc::default();
        let f = faults.clone();
        let task = crate::net::accept_loop(listener, "qualification server", move |tcp, _| {
            let ctx = Ctx {
                registry: registry.clone(),
                clock: clock.clone(),
                code: None,
                limits: limits.clone(),
                faults: f.clone(),
            };
            serve_connection(acceptor.clone(), tcp, ctx, log.clone(), gate.clone())
        });
        tracing::info!(%addr, "qualification server listening");
        Ok(Self {
            addr,
            rejections,
            faults,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults this server shows when a scenario asks.
    pub fn faults(&self) -> &ServerFaults {
        &self.faults
    }

    /// Every terminal turned away so far, with its reason.
    pub fn rejections(&self) -> &RejectionLog {
        &self.rejections
    }
}

pub(crate) fn server_config(
    pki: &Pki,
    clock: Arc<dyn Clock>,
    log: RejectionLog,
) -> std::io::Result<rustls::ServerConfig> {
    let io = |e: rustls::Error| std::io::Error::other(e);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.root.cert_der.clone()))
        .map_err(io)?;
    let inner = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(std::io::Error::other)?;
    let verifier = Arc::new(TerminalVerifier { inner, clock, log });
    let server = pki.server();
    let chain = std::iter::once(&server.cert_der)
        .chain(&server.chain_der)
        .map(|d| CertificateDer::from(d.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key_der.clone()));
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(io)?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

#[derive(Clone)]
struct Ctx {
    registry: SharedRegistry,
    clock: Arc<dyn Clock>,
    /// The institution of the connection's client certificate, once known to be registered.
    code: Option<InstitutionCode>,
    limits: Arc<ServerProfile>,
    faults: Arc<ServerFaults>,
}

/// After a refused handshake (the alert is written): close the sending side and read what the
/// client still sends, for at most a second, before closing. Closing with unread bytes resets
/// the connection, and a reset can overtake the alert — the browser then shows a connection
/// error instead of ERR_BAD_SSL_CLIENT_AUTH_CERT (nginx's lingering close, for the same reason).
async fn linger(mut tcp: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let _ = tcp.shutdown().await;
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        tokio::io::copy(&mut tcp, &mut tokio::io::sink()),
    )
    .await;
}

/// The institution of the client's certificate, when the registry has it (an unregistered
/// one is logged: the connection's requests are refused).
fn registered_code(
    tls: &tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    ctx: &Ctx,
    log: &RejectionLog,
) -> Option<InstitutionCode> {
    let code = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .and_then(|c| oqs_certs::inspect(c).ok())
        .and_then(|i| i.institution_code)
        .and_then(|c| c.parse::<InstitutionCode>().ok())?;
    let registered = ctx
        .registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .is_registered(&code);
    if !registered {
        log.record(Rejection::UnregisteredInstitution(code.to_string()));
        return None;
    }
    Some(code)
}

/// One connection: the handshake within its time and place in the [`gate::Gate`], then HTTP
/// with the profile's header (and idle) timeout, for as long as the client keeps its place.
async fn serve_connection(
    acceptor: tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
    mut ctx: Ctx,
    log: RejectionLog,
    gate: Arc<gate::Gate>,
) {
    let limits = ctx.limits.clone();
    let secs = std::time::Duration::from_secs;
    let ticket = gate.handshake(limits.max_handshakes);
    let handshake = tokio::time::timeout(
        secs(limits.handshake_timeout_seconds),
        acceptor.accept(tcp).into_fallible(),
    );
    let accepted = tokio::select! {
        r = handshake => r,
        _ = ticket.evicted() => return,
    };
    drop(ticket);
    let tls = match accepted {
        Err(_) => {
            tracing::debug!("TLS handshake took too long");
            return;
        }
        Ok(Ok(t)) => t,
        Ok(Err((e, tcp))) => {
            // the alert is on its way; the connection closes politely without holding this task
            tokio::spawn(linger(tcp));
            let no_cert = e
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())
                .is_some_and(|r| matches!(r, rustls::Error::NoCertificatesPresented));
            if no_cert {
                log.record(Rejection::NoCertificate);
            } else {
                tracing::debug!("TLS handshake failed: {e}");
            }
            return;
        }
    };
    ctx.code = registered_code(&tls, &ctx, &log);
    // the client is its certificate (each terminal has its own); one without a certificate
    // still gets its answer, in one shared place
    let client = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map_or_else(String::new, |c| oqs_certs::thumbprint(c));
    let ticket = gate.client(&client, limits.max_connections_per_client);
    let svc = hyper::service::service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, std::convert::Infallible>(route(req, ctx).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(secs(limits.header_timeout_seconds))
        .serve_connection(TokioIo::new(tls), svc);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => if let Err(e) = r {
            tracing::debug!("connection ended: {e}");
        },
        _ = ticket.evicted() => {
            // its client opened newer ones: a request in hand is answered first
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(secs(limits.body_timeout_seconds), conn).await;
            tracing::debug!("connection closed: its client opened newer ones");
        }
    }
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_default()
}

fn refusal(r: &Refusal) -> Response<Full<Bytes>> {
    json(
        StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST),
        &r.to_api(),
    )
}

fn bad_request(msg: String) -> Response<Full<Bytes>> {
    error(StatusCode::BAD_REQUEST, "bad_request", msg)
}

fn html(title: &str, body: &str) -> Response<Full<Bytes>> {
    let page = format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
    );
    Response::builder()
        .header("content-type", "text/html; charset=utf-8")
        .body(Full::new(Bytes::from(page)))
        .unwrap_or_default()
}

/// \[kit\] The largest request body the API takes (and the portal's file upload).
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// A request's body, at most `max` bytes and within `secs` (the profile's body timeout), or
/// the words for why not (for the API's JSON error and the screens' page alike).
async fn read_body(req: Request<Incoming>, secs: u64, max: usize) -> Result<Bytes, String> {
    Ok(tokio::time::timeout(
        std::time::Duration::from_secs(secs),
        Limited::new(req.into_body(), max).collect(),
    )
    .await
    .map_err(|_| format!("リクエストの本文が{secs}秒以内に届きませんでした"))?
    .map_err(|e| format!("リクエストを受信できません: {e}"))?
    .to_bytes())
}

async fn body<T: DeserializeOwned>(
    req: Request<Incoming>,
    limit: u64,
) -> Result<T, Response<Full<Bytes>>> {
    let bytes = read_body(req, limit, MAX_BODY_BYTES)
        .await
        .map_err(bad_request)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| bad_request(format!("リクエストの形式に誤りがあります: {e}")))
}

fn bearer(req: &Request<Incoming>) -> String {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

fn reply<T: Serialize>(r: Result<T, Refusal>) -> Response<Full<Bytes>> {
    match r {
        Ok(v) => json(StatusCode::OK, &v),
        Err(e) => refusal(&e),
    }
}

/// The body as `T`, answered by `answer`; a body that is not a `T` gets the 400 [`body`] says.
async fn with_body<T: DeserializeOwned, R: Serialize>(
    req: Request<Incoming>,
    limit: u64,
    answer: impl FnOnce(T) -> Result<R, Refusal>,
) -> Response<Full<Bytes>> {
    match body::<T>(req, limit).await {
        Ok(b) => reply(answer(b)),
        Err(r) => r,
    }
}

fn error(status: StatusCode, code: &str, message: String) -> Response<Full<Bytes>> {
    json(
        status,
        &ApiError {
            code: code.into(),
            message,
            details: vec![],
        },
    )
}

/// One request of a client whose certificate the TLS layer has checked: refused when its
/// institution is not registered or the API is made unavailable, else a portal screen or the
/// API.
async fn route(req: Request<Incoming>, ctx: Ctx) -> Response<Full<Bytes>> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let Some(code) = ctx.code.clone() else {
        return error(
            StatusCode::FORBIDDEN,
            "unregistered_institution",
            "この電子証明書の医療機関等は利用登録されていません。利用申請の内容を確認してください"
                .into(),
        );
    };
    if req.uri().path().starts_with("/web/api/") && ctx.faults.take_unavailable() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "[kit] オンライン資格確認等システムは一時的に利用できません。しばらくしてから再度実行してください".into(),
        );
    }
    let call = Call {
        code,
        token: bearer(&req),
        now: ctx.clock.now(),
        secs: ctx.limits.body_timeout_seconds,
        registry: &ctx.registry,
    };
    if portal::is_screen(&path) {
        let screen = portal::Screen {
            code: &call.code,
            now: call.now,
            body_secs: call.secs,
        };
        return portal::serve(req, screen, &ctx.registry).await;
    }
    if req.method() == Method::GET && (path == "/web" || path.is_empty()) {
        return landing(&req, &call);
    }
    api(req, &path, call).await
}

/// What one API call works with.
struct Call<'a> {
    code: InstitutionCode,
    token: String,
    now: time::OffsetDateTime,
    /// the body's time limit
    secs: u64,
    registry: &'a Mutex<Registry>,
}

impl Call<'_> {
    fn reg(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The page a browser opens at the server's address: the verification environment, the
/// medical information viewer's login, or the institution's start page.
fn landing(req: &Request<Incoming>, c: &Call<'_>) -> Response<Full<Bytes>> {
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase())
        .unwrap_or_default();
    let query = req.uri().query().unwrap_or_default();
    if host == VERIFICATION_HOST {
        html(
            "接続検証環境",
            "<p>オンライン資格確認等システム 接続検証環境です。本番環境ではありません。</p>",
        )
    } else if query.split('&').any(|kv| kv == "mode=etsuran") {
        html(
            "医療情報閲覧用端末",
            "<p>医療情報閲覧用端末のログイン画面です。</p>",
        )
    } else {
        let name = c
            .reg()
            .site(&c.code)
            .map(|s| s.info.name.clone())
            .unwrap_or_default();
        html(
            "オンライン資格確認等システム",
            &format!("<p>{name}</p><a href=\"/web/login\">システムの利用を始める</a>"),
        )
    }
}

// One arm per endpoint of the API (oqs-proto's `api` module): the table reads best whole, so
// this function is longer than the house's 80 lines.
async fn api(req: Request<Incoming>, path: &str, c: Call<'_>) -> Response<Full<Bytes>> {
    let (code, token, now, secs) = (&c.code, c.token.as_str(), c.now, c.secs);
    match (req.method().clone(), path) {
        (Method::GET, "/web/api/institution") => reply(
            c.reg()
                .site(code)
                .map(|s| s.info.clone())
                .ok_or(Refusal::UnregisteredInstitution(code.to_string())),
        ),
        (Method::POST, "/web/api/login") => {
            with_body(req, secs, |b: LoginRequest| {
                c.reg().login(code, &b.user_id, &b.password, now)
            })
            .await
        }
        (Method::POST, "/web/api/logout") => {
            c.reg().logout(token);
            Response::builder()
                .status(204)
                .body(Full::default())
                .unwrap_or_default()
        }
        (Method::POST, "/web/api/password") => {
            with_body(req, secs, |b: PasswordChange| {
                c.reg()
                    .change_password(
                        code,
                        token,
                        &b.old_password,
                        &b.new_password,
                        &b.new_password_confirm,
                        now,
                    )
                    .map(|()| serde_json::json!({"result": "更新しました。"}))
            })
            .await
        }
        (Method::POST, "/web/api/accounts/unlock") => {
            with_body(req, secs, |b: AccountUnlock| {
                c.reg()
                    .unlock_account(code, token, &b.user_id, now)
                    .map(|()| serde_json::json!({"result": "ロックを解除しました。"}))
            })
            .await
        }
        (Method::POST, "/web/api/master-reset") => {
            with_body(req, secs, |b: MasterReset| {
                c.reg()
                    .reset_master(code, &b.reset_id, &b.secret_number, now)
            })
            .await
        }
        (Method::GET, "/web/api/accounts") => reply(c.reg().accounts(code, token, now)),
        (Method::POST, "/web/api/accounts") => {
            with_body(req, secs, |b: NewAccount| {
                c.reg().register_account(code, token, b, now)
            })
            .await
        }
        (Method::GET, "/web/api/settings") => reply(c.reg().settings(code, token, now)),
        (Method::PUT, "/web/api/settings") => {
            with_body(req, secs, |b: SettingsChange| {
                c.reg().change_settings(code, token, b, now)
            })
            .await
        }
        (Method::POST, "/web/api/qualification") => {
            with_body(req, secs, |b: SearchInfo| {
                let mut r = c.reg();
                r.qualification_queries += 1;
                r.lookup(code, token, b, now)
            })
            .await
        }
        (Method::POST, "/web/api/reference-numbers") => {
            with_body(req, secs, |b: ReferenceNumberRegistration| {
                c.reg().register_reference(code, token, b, now)
            })
            .await
        }
        (Method::POST, "/web/api/accounts/bulk") => {
            match body::<AccountBulkUpload>(req, secs).await {
                Ok(b) => match oqs_proto::api::unhex(&b.file) {
                    Some(file) => reply(c.reg().account_bulk_upload(code, token, file, now)),
                    None => bad_request("file は16進数で送ってください".into()),
                },
                Err(r) => r,
            }
        }
        (Method::GET, "/web/api/accounts/bulk") => {
            reply(c.reg().account_bulk_list(code, token, now))
        }
        (Method::GET, p) if p.starts_with("/web/api/accounts/bulk/") => {
            let n = &p["/web/api/accounts/bulk/".len()..];
            reply(
                c.reg()
                    .account_bulk_result(code, token, n, now)
                    .map(|b| AccountBulkUpload {
                        file: oqs_proto::api::hex(&b),
                    }),
            )
        }
        (Method::POST, "/web/api/card/challenge") => {
            reply(c.reg().card_challenge(code, token, now))
        }
        (Method::POST, "/web/api/card/check") => {
            with_body(req, secs, |b: CardCheck| {
                c.reg().card_check(code, token, b, now)
            })
            .await
        }
        (Method::POST, "/web/api/bulk/qualification") => {
            with_body(req, secs, |b: Vec<SearchInfo>| {
                c.reg().bulk_check_upload(code, token, b, now)
            })
            .await
        }
        (Method::POST, "/web/api/bulk/reference-numbers") => {
            with_body(req, secs, |b: Vec<ReferenceNumberRegistration>| {
                c.reg().bulk_registration_upload(code, token, b, now)
            })
            .await
        }
        (Method::GET, p) if p.starts_with("/web/api/bulk/qualification/") => {
            let n = &p["/web/api/bulk/qualification/".len()..];
            reply(c.reg().bulk_check_download(code, token, n, now))
        }
        (Method::GET, p) if p.starts_with("/web/api/bulk/reference-numbers/") => {
            let n = &p["/web/api/bulk/reference-numbers/".len()..];
            reply(c.reg().bulk_registration_download(code, token, n, now))
        }
        (m, p) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{m} {p} はありません"),
        ),
    }
}
