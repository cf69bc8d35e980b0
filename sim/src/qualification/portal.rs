//! The portal's screens as a person's browser sees them: server-rendered HTML over the same
//! mutual TLS as the JSON API, with no scripts and no external assets (it works offline), and
//! the same registry rules behind both. The session is a cookie (`OQSSESSION`, HttpOnly,
//! Secure, SameSite=Strict); forms post `application/x-www-form-urlencoded`.
//!
//! | screen | path |
//! |---|---|
//! | ログイン | `GET /web/login`, `POST /web/login` (ユーザID, パスワード) |
//! | パスワード変更 | `GET /web/password`, `POST /web/password` (forced after an initial or expired password) |
//! | メニュー | `GET /web/menu` |
//! | 環境設定 | `GET /web/settings`, `POST /web/settings` (文字コード and each service's 利用する/利用しない) |
//! | アカウント管理 | `GET /web/accounts` (一覧), `GET`/`POST /web/accounts/new` (登録: 権限区分, ユーザID, ユーザ名) |
//! | ログアウト | `POST /web/logout` |
//!
//! Screen names, buttons and messages are the manuals' (000 ops 7–8, パスワードについて); the
//! refusals are the registry's, the same words the API answers with.

use super::registry::{Refusal, Registry};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::settings::{CharacterCode, Usage};
use time::OffsetDateTime;

/// The paths of the screens (the rest of `/web/` is the top page and the API).
pub fn is_screen(path: &str) -> bool {
    matches!(
        path,
        "/web/login"
            | "/web/password"
            | "/web/menu"
            | "/web/logout"
            | "/web/accounts"
            | "/web/accounts/new"
            | "/web/settings"
    )
}

const COOKIE: &str = "OQSSESSION";

/// What a screen handler needs of the connection.
pub struct Screen<'a> {
    pub code: &'a InstitutionCode,
    pub now: OffsetDateTime,
    pub body_secs: u64,
}

/// One screen request.
pub async fn serve(
    req: Request<Incoming>,
    s: Screen<'_>,
    registry: &std::sync::Mutex<Registry>,
) -> Response<Full<Bytes>> {
    let reg = || registry.lock().unwrap_or_else(|e| e.into_inner());
    let token = session(&req);
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_owned();
    match (method, path.as_str()) {
        (Method::GET, "/web/login") => login_page(None),
        (Method::POST, "/web/login") => {
            let f = match form(req, s.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            let login = reg().login(s.code, f.get("user_id"), f.get("password"), s.now);
            match login {
                Ok(r) => {
                    let to = if r.password_change_required.is_some() {
                        "/web/password"
                    } else {
                        "/web/menu"
                    };
                    see_other(to, Some(&r.session))
                }
                Err(e) => login_page(Some(&e)),
            }
        }
        (Method::GET, "/web/menu") => {
            let who = reg().who(s.code, &token, false, s.now);
            menu_or_away(who)
        }
        (Method::GET, "/web/password") => {
            // one lock for both questions: a guard held in a `match` lives to its end
            let (may_change, restricted) = {
                let r = reg();
                (
                    r.who(s.code, &token, true, s.now).is_ok(),
                    r.who(s.code, &token, false, s.now).err(),
                )
            };
            if may_change {
                password_page(restricted.as_ref(), None)
            } else {
                see_other("/web/login", None)
            }
        }
        (Method::POST, "/web/password") => {
            let f = match form(req, s.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            let r = reg().change_password(
                s.code,
                &token,
                f.get("old_password"),
                f.get("new_password"),
                f.get("new_password_confirm"),
                s.now,
            );
            match r {
                Ok(()) => done_page(),
                Err(Refusal::NotLoggedIn) => see_other("/web/login", None),
                Err(e) => password_page(None, Some(&e)),
            }
        }
        (Method::GET, "/web/accounts") => {
            let list = reg().accounts(s.code, &token, s.now);
            match list {
                Ok(l) => accounts_page(&l),
                Err(e) => away(e),
            }
        }
        (Method::GET, "/web/accounts/new") => {
            let may = reg().admin_session(s.code, &token, s.now);
            match may {
                Ok(_) => new_account_page(None),
                Err(e) => away(e),
            }
        }
        (Method::POST, "/web/accounts/new") => {
            let f = match form(req, s.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            let Some(kind) = oqs_proto::account::AccountKind::from_label(f.get("kind")) else {
                return new_account_page(Some(&format!(
                    "[kit] 権限区分「{}」はありません",
                    f.get("kind")
                )));
            };
            let new = oqs_proto::api::NewAccount {
                kind,
                user_id: f.get("user_id").into(),
                user_name: f.get("user_name").into(),
                user_name_kana: String::new(),
            };
            let issued = reg().register_account(s.code, &token, new, s.now);
            match issued {
                Ok(i) => issued_page(&i),
                Err(e @ (Refusal::NotLoggedIn | Refusal::PasswordChangeRequired(_))) => away(e),
                Err(e) => new_account_page(Some(&e.to_api().message)),
            }
        }
        (Method::GET, "/web/settings") => {
            let current = reg().settings(s.code, &token, s.now);
            match current {
                Ok(c) => settings_page(&c, None),
                Err(e) => away(e),
            }
        }
        (Method::POST, "/web/settings") => {
            let f = match form(req, s.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            let current = reg().settings(s.code, &token, s.now);
            let current = match current {
                Ok(c) => c,
                Err(e) => return away(e),
            };
            // only what the person changed is asked for: a field left as it was is no change
            let mut change = oqs_proto::settings::SettingsChange::default();
            let unknown = |what: &str, v: &str| {
                page(
                    StatusCode::BAD_REQUEST,
                    "環境設定",
                    &paragraph(&format!("[kit] {what}「{v}」は選べません")),
                )
            };
            let cc = f.get("character_code");
            match CharacterCode::from_label(cc) {
                Some(cc) if cc != current.character_code => change.character_code = Some(cc),
                Some(_) => {}
                None => return unknown("文字コード", cc),
            }
            for svc in oqs_proto::settings::ALL_SERVICES {
                let v = f.get(&service_field(svc));
                match Usage::from_label(v) {
                    Some(u) if u != current.usage(svc) => {
                        change.services.insert(svc, u);
                    }
                    Some(_) => {}
                    None => return unknown(svc.label(), v),
                }
            }
            let changed = reg().change_settings(s.code, &token, change, s.now);
            match changed {
                Ok(c) => settings_page(&c, Some(Ok(()))),
                Err(e @ (Refusal::NotLoggedIn | Refusal::PasswordChangeRequired(_))) => away(e),
                Err(e) => settings_page(&current, Some(Err(&e))),
            }
        }
        (Method::POST, "/web/logout") => {
            reg().logout(&token);
            let mut r = see_other("/web/", None);
            if let Ok(v) = format!("{COOKIE}=; Path=/web; Max-Age=0; Secure; HttpOnly").parse() {
                r.headers_mut().insert("set-cookie", v);
            }
            r
        }
        _ => page(
            StatusCode::METHOD_NOT_ALLOWED,
            "オンライン資格確認等システム",
            "<p>[kit] この画面はこの方法では開けません。</p>",
        ),
    }
}

/// The menu for a session that may use it; the password change or the login otherwise.
fn menu_or_away(
    who: Result<(InstitutionCode, String, oqs_proto::account::AccountKind), Refusal>,
) -> Response<Full<Bytes>> {
    match who {
        Ok((_, user, kind)) => menu_page(&user, kind.label()),
        Err(Refusal::PasswordChangeRequired(_)) => see_other("/web/password", None),
        Err(_) => see_other("/web/login", None),
    }
}

/// Where a session that may not see a screen goes: the password change, the login, or a page
/// saying it lacks the right.
fn away(e: Refusal) -> Response<Full<Bytes>> {
    match e {
        Refusal::PasswordChangeRequired(_) => see_other("/web/password", None),
        Refusal::NotLoggedIn => see_other("/web/login", None),
        e => page(StatusCode::FORBIDDEN, "アカウント管理", &error_box(&e)),
    }
}

/// The session cookie of a request; empty when there is none.
fn session(req: &Request<Incoming>) -> String {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .unwrap_or_default()
        .to_owned()
}

/// A posted form's fields.
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
}

async fn form(req: Request<Incoming>, secs: u64) -> Result<Form, Response<Full<Bytes>>> {
    let bytes = super::read_body(req, secs, 64 << 10)
        .await
        .map_err(|msg| page(StatusCode::BAD_REQUEST, "入力エラー", &paragraph(&msg)))?;
    Ok(Form(
        form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    ))
}

/// Text for HTML: the five characters that mean markup, escaped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn paragraph(text: &str) -> String {
    format!("<p>{}</p>", escape(text))
}

/// A refusal as the screen shows it: the message, and the rules a new password broke.
fn error_box(e: &Refusal) -> String {
    let api = e.to_api();
    let details: String = api
        .details
        .iter()
        .map(|d| format!("<li>{}</li>", escape(d)))
        .collect();
    let list = if details.is_empty() {
        String::new()
    } else {
        format!("<ul>{details}</ul>")
    };
    format!(
        "<div class=\"error\" role=\"alert\"><p>{}</p>{list}</div>",
        escape(&api.message)
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response<Full<Bytes>> {
    let page = format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><header>オンライン資格確認等システム</header><h1>{title}</h1>{body}</body></html>"
    );
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::from(page)))
        .unwrap_or_default()
}

/// 303 to `to`, setting the session cookie when one is given.
fn see_other(to: &str, session: Option<&str>) -> Response<Full<Bytes>> {
    let mut b = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", to);
    if let Some(s) = session {
        b = b.header(
            "set-cookie",
            format!("{COOKIE}={s}; Path=/web; Secure; HttpOnly; SameSite=Strict"),
        );
    }
    b.body(Full::new(Bytes::new())).unwrap_or_default()
}

fn field(label: &str, name: &str, kind: &str) -> String {
    format!(
        "<p><label for=\"{name}\">{label}</label> <input id=\"{name}\" name=\"{name}\" type=\"{kind}\"></p>"
    )
}

fn login_page(error: Option<&Refusal>) -> Response<Full<Bytes>> {
    let body = format!(
        "{}<form method=\"post\" action=\"/web/login\">{}{}<p><button type=\"submit\">ログイン</button></p></form>",
        error.map(error_box).unwrap_or_default(),
        field("ユーザID", "user_id", "text"),
        field("パスワード", "password", "password"),
    );
    page(StatusCode::OK, "ログイン", &body)
}

fn menu_page(user: &str, kind: &str) -> Response<Full<Bytes>> {
    // the screens the kit serves are links; the others are named as the menu names them
    let items = [
        ("資格確認", None),
        ("アカウント管理", Some("/web/accounts")),
        ("環境設定", Some("/web/settings")),
        ("顔認証付きカードリーダー操作", None),
        ("照会番号", None),
    ]
    .iter()
    .map(|(i, link)| match link {
        Some(href) => format!("<li><a href=\"{href}\">{i}</a></li>"),
        None => format!("<li>{i}</li>"),
    })
    .collect::<String>();
    let body = format!(
        "<p class=\"user\">{}（{}）</p><ul class=\"menu\">{items}</ul>\
         <p><a href=\"/web/password\">パスワード変更</a></p>\
         <form method=\"post\" action=\"/web/logout\"><button type=\"submit\">ログアウト</button></form>",
        escape(user),
        escape(kind)
    );
    page(StatusCode::OK, "メニュー", &body)
}

fn password_page(reason: Option<&Refusal>, error: Option<&Refusal>) -> Response<Full<Bytes>> {
    // the reason a restricted session must change its password first
    let reason = match reason {
        Some(Refusal::PasswordChangeRequired(r)) => paragraph(r.message()),
        _ => String::new(),
    };
    let body = format!(
        "{reason}{}<form method=\"post\" action=\"/web/password\">{}{}{}<p><button type=\"submit\">変更</button></p></form>",
        error.map(error_box).unwrap_or_default(),
        field("現在のパスワード", "old_password", "password"),
        field("新パスワード", "new_password", "password"),
        field("新パスワード（確認）", "new_password_confirm", "password"),
    );
    page(StatusCode::OK, "パスワード変更", &body)
}

fn accounts_page(list: &[oqs_proto::api::AccountSummary]) -> Response<Full<Bytes>> {
    let rows: String = list
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&a.user_id),
                escape(&a.user_name),
                a.kind.label()
            )
        })
        .collect();
    let body = format!(
        "<p><a href=\"/web/accounts/new\">新規登録</a></p>\
         <table class=\"accounts\"><thead><tr><th>ユーザID</th><th>ユーザ名</th><th>権限区分</th></tr></thead>\
         <tbody>{rows}</tbody></table><p><a href=\"/web/menu\">メニューへ</a></p>"
    );
    page(StatusCode::OK, "アカウント管理", &body)
}

fn new_account_page(error: Option<&str>) -> Response<Full<Bytes>> {
    let kinds: String = oqs_proto::account::ALL_KINDS
        .iter()
        .filter(|k| **k != oqs_proto::account::AccountKind::Master)
        .map(|k| format!("<option>{}</option>", k.label()))
        .collect();
    let error = error
        .map(|e| format!("<div class=\"error\" role=\"alert\">{}</div>", paragraph(e)))
        .unwrap_or_default();
    let body = format!(
        "{error}<form method=\"post\" action=\"/web/accounts/new\">\
         <p><label for=\"kind\">権限区分</label> <select id=\"kind\" name=\"kind\">{kinds}</select></p>{}{}\
         <p><button type=\"submit\">登録</button></p></form>",
        field("ユーザID", "user_id", "text"),
        field("ユーザ名", "user_name", "text"),
    );
    page(StatusCode::OK, "アカウント管理（登録）", &body)
}

fn issued_page(i: &oqs_proto::api::IssuedAccount) -> Response<Full<Bytes>> {
    let body = format!(
        "<p class=\"done\">登録しました。</p><table class=\"issued\">\
         <tr><th>ユーザID</th><td>{}</td></tr><tr><th>権限区分</th><td>{}</td></tr>\
         <tr><th>初期パスワード</th><td class=\"initial-password\">{}</td></tr></table>\
         <p><a href=\"/web/accounts\">アカウント一覧へ</a></p>",
        escape(&i.user_id),
        i.kind.label(),
        escape(&i.initial_password)
    );
    page(StatusCode::OK, "アカウント管理（登録）", &body)
}

/// The form field of a service's 利用する/利用しない.
fn service_field(s: oqs_proto::settings::Service) -> String {
    format!(
        "service_{}",
        oqs_proto::settings::ALL_SERVICES
            .iter()
            .position(|x| *x == s)
            .unwrap_or(0)
    )
}

fn select(label: &str, name: &str, options: &[&str], chosen: &str) -> String {
    let opts: String = options
        .iter()
        .map(|o| {
            let sel = if *o == chosen { " selected" } else { "" };
            format!("<option{sel}>{o}</option>")
        })
        .collect();
    format!(
        "<p><label for=\"{name}\">{label}</label> <select id=\"{name}\" name=\"{name}\">{opts}</select></p>"
    )
}

fn settings_page(
    c: &oqs_proto::settings::EnvironmentSettings,
    outcome: Option<Result<(), &Refusal>>,
) -> Response<Full<Bytes>> {
    let note = match outcome {
        Some(Ok(())) => "<p class=\"done\">更新しました。</p>".to_owned(),
        Some(Err(e)) => error_box(e),
        None => String::new(),
    };
    let codes = [CharacterCode::Utf8.label(), CharacterCode::ShiftJis.label()];
    let usages = [Usage::Use.label(), Usage::NotUsed.label()];
    let services: String = oqs_proto::settings::ALL_SERVICES
        .iter()
        .map(|s| select(s.label(), &service_field(*s), &usages, c.usage(*s).label()))
        .collect();
    let body = format!(
        "{note}<form method=\"post\" action=\"/web/settings\">{}{services}\
         <p><button type=\"submit\">更新</button></p></form><p><a href=\"/web/menu\">メニューへ</a></p>",
        select(
            "文字コード",
            "character_code",
            &codes,
            c.character_code.label()
        ),
    );
    page(StatusCode::OK, "環境設定", &body)
}

fn done_page() -> Response<Full<Bytes>> {
    page(
        StatusCode::OK,
        "パスワード変更",
        "<p class=\"done\">更新しました。</p><p><a href=\"/web/menu\">メニューへ</a></p>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn screens_are_their_paths_only() {
        for p in [
            "/web/login",
            "/web/password",
            "/web/menu",
            "/web/logout",
            "/web/accounts",
            "/web/accounts/new",
            "/web/settings",
        ] {
            assert!(is_screen(p), "{p}");
        }
        assert!(!is_screen("/web/api/login"));
        assert!(!is_screen("/web"));
    }
}
