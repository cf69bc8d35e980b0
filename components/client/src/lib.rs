//! A terminal component's connection to the qualification server, shared by the linkage app
//! and the reader driver: mutual TLS with the terminal's client certificate from the 個人
//! store, one kept-alive HTTP/1.1 connection, and a session of the component's account (the
//! linkage account of `OQS_LOGIN_KEY`, a reader's face account) renewed when the server
//! forgets it.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use oqs_host::Host;
use oqs_host::certificates::StoreName;
use oqs_host::https::{self, OneCertificate};
use oqs_proto::api::{ApiError, LoginRequest, LoginResponse};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::settings::EnvironmentSettings;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The production name from the manual; the World's name table leads it to the simulator.
pub const SERVER: &str = "hweb.oqs.onshikaku.org";

/// Why a call did not give an answer. Each maps to a row of the profile's result table.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error(
        "個人ストアに医療機関コード「{0}」の電子証明書（秘密キー付き）がありません。操作6のとおり電子証明書をインストールしてください"
    )]
    NoCertificate(String),
    #[error("{SERVER} に接続できません: {0}")]
    Unreachable(String),
    #[error("{what}「{user}」でログインできません: {reason}。{remedy}")]
    Login {
        what: &'static str,
        user: String,
        reason: String,
        remedy: &'static str,
    },
    #[error("{0}")]
    Refused(ApiError),
    #[error("応答を読み取れません: {0}")]
    Garbled(String),
}

impl CallError {
    /// The id of the profile's result table this failure is reported with.
    pub fn result_id(&self) -> &'static str {
        match self {
            Self::NoCertificate(_) => "certificate_missing",
            Self::Unreachable(_) => "server_unreachable",
            Self::Login { .. } => "login_failed",
            Self::Refused(e) if matches!(e.code.as_str(), "bad_search" | "no_such_insured") => {
                "bad_search"
            }
            Self::Refused(e) if e.code == "unknown_reception" => "reception_unknown",
            Self::Refused(_) | Self::Garbled(_) => "server_refused",
        }
    }
}

/// The account a component logs in with, and what to tell a person when it cannot.
#[derive(Clone)]
pub struct Account {
    pub user: String,
    pub password: String,
    /// What the account is, in the manual's words (「連携用アカウント」).
    pub what: &'static str,
    /// Where to fix a refused login.
    pub remedy: &'static str,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Account({}, ***)", self.user)
    }
}

pub struct QualificationClient {
    host: Arc<dyn Host>,
    login: Account,
    institution: InstitutionCode,
    user_agent: &'static str,
    conn: Option<SendRequest<Full<Bytes>>>,
    session: Option<String>,
    /// The site's 環境設定, read at each login (the result files' character code).
    pub settings: Option<EnvironmentSettings>,
}

impl QualificationClient {
    pub fn new(
        host: Arc<dyn Host>,
        institution: InstitutionCode,
        login: Account,
        user_agent: &'static str,
    ) -> Self {
        Self {
            host,
            login,
            institution,
            user_agent,
            conn: None,
            session: None,
            settings: None,
        }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, CallError> {
        let code = self.institution.as_str();
        let cert = self
            .host
            .certificates()
            .list(StoreName::My)
            .map_err(|e| CallError::Unreachable(e.to_string()))?
            .into_iter()
            .filter(|c| c.issued_to == code)
            .find_map(|c| https::certified_key(&c))
            .ok_or_else(|| CallError::NoCertificate(code.into()))?;
        let cfg = https::client_config(self.host.clone(), Arc::new(OneCertificate(cert)))
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        let tls = https::connect(self.host.as_ref(), SERVER, 443, Arc::new(cfg))
            .await
            .map_err(|e| CallError::Unreachable(e.to_string()))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| CallError::Unreachable(cause(&e)))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// One HTTP exchange on the kept connection; a connection the server closed is replaced
    /// once. Only requests that never reached the server are retried.
    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Bytes), CallError> {
        for attempt in 0..2 {
            let mut sender = match self.conn.take() {
                Some(s) if !s.is_closed() => s,
                _ => self.connect().await?,
            };
            if sender.ready().await.is_err() {
                continue;
            }
            let mut req = hyper::Request::builder()
                .method(method)
                .uri(format!("/web/api/{path}"))
                .header("host", SERVER)
                .header("user-agent", self.user_agent);
            if let Some(s) = &self.session {
                req = req.header("authorization", format!("Bearer {s}"));
            }
            if body.is_some() {
                req = req.header("content-type", "application/json");
            }
            let req = req
                .body(Full::new(Bytes::from(body.clone().unwrap_or_default())))
                .map_err(|e| CallError::Garbled(e.to_string()))?;
            match sender.send_request(req).await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let bytes = resp
                        .into_body()
                        .collect()
                        .await
                        .map_err(|e| CallError::Unreachable(cause(&e)))?
                        .to_bytes();
                    self.conn = Some(sender);
                    return Ok((status, bytes));
                }
                // A kept connection the server had closed fails before sending: try a new one.
                Err(e) if e.is_canceled() && attempt == 0 => continue,
                Err(e) => return Err(CallError::Unreachable(cause(&e))),
            }
        }
        Err(CallError::Unreachable("接続が切断されました".into()))
    }

    async fn json<B: Serialize, R: DeserializeOwned>(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<R, CallError> {
        let body = body.map(|b| serde_json::to_vec(b).expect("API bodies serialise"));
        let (status, bytes) = self.exchange(method, path, body).await?;
        if (200..300).contains(&status) {
            serde_json::from_slice(&bytes).map_err(|e| CallError::Garbled(e.to_string()))
        } else {
            Err(match serde_json::from_slice::<ApiError>(&bytes) {
                Ok(e) => CallError::Refused(e),
                Err(_) => CallError::Garbled(format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&bytes)
                )),
            })
        }
    }

    async fn log_in(&mut self) -> Result<(), CallError> {
        self.session = None;
        let body = LoginRequest {
            user_id: self.login.user.clone(),
            password: self.login.password.clone(),
        };
        let r: LoginResponse =
            self.json("POST", "login", Some(&body))
                .await
                .map_err(|e| match e {
                    // 503: the server did nothing; the caller asks again as for any call
                    CallError::Refused(api) if api.code == "service_unavailable" => {
                        CallError::Refused(api)
                    }
                    CallError::Refused(api) => CallError::Login {
                        what: self.login.what,
                        user: self.login.user.clone(),
                        reason: api.message,
                        remedy: self.login.remedy,
                    },
                    other => other,
                })?;
        if let Some(reason) = r.password_change_required {
            return Err(CallError::Login {
                what: self.login.what,
                user: self.login.user.clone(),
                reason: reason.message().into(),
                remedy: self.login.remedy,
            });
        }
        self.session = Some(r.session);
        self.settings = Some(self.json::<(), _>("GET", "settings", None).await?);
        Ok(())
    }

    /// Calls the API as the linkage account, logging in first or again when needed.
    pub async fn call<B: Serialize, R: DeserializeOwned>(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<R, CallError> {
        if self.session.is_none() {
            self.log_in().await?;
        }
        match self.json(method, path, body).await {
            Err(CallError::Refused(e)) if e.code == "not_logged_in" => {
                self.log_in().await?;
                self.json(method, path, body).await
            }
            other => other,
        }
    }

    /// Makes sure the session and the site's settings are known (for the character code).
    pub async fn ensure_session(&mut self) -> Result<(), CallError> {
        if self.session.is_none() {
            self.log_in().await?;
        }
        Ok(())
    }
}

/// The most telling message of an error chain (the TLS alert behind a closed connection).
fn cause(e: &(dyn std::error::Error + 'static)) -> String {
    https::rustls_cause(e).map_or_else(|| e.to_string(), |r| r.to_string())
}
