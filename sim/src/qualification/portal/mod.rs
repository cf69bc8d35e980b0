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
//! | アカウント情報管理 | under `/web/accounts` (`accounts`) |
//! | アカウント一括登録 | under `/web/accounts/bulk` (`bulk`) |
//! | マイナンバーカードで確認 | under `/web/check/card` (`card`) |
//! | 資格確認書／処方箋で確認 | `/web/check/insurance` (`lookup`) |
//! | ログアウト | `GET /web/logout` (ログアウトします。OK / キャンセル), `POST /web/logout` |
//!
//! Screen names, buttons and messages are the manuals' (000 ops 7–8, パスワードについて); the
//! refusals are the registry's, the same words the API answers with.

mod accounts;
mod bulk;
mod card;
mod lookup;
mod user_sheet;

use crate::qualification::registry::{Refusal, Registry};
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
        "/web/login" | "/web/password" | "/web/menu" | "/web/logout" | "/web/settings"
    ) || path == "/web/accounts"
        || path.starts_with("/web/accounts/")
        || path.starts_with("/web/check/")
}

const COOKIE: &str = "OQSSESSION";

/// What a screen handler needs of the connection.
pub struct Screen<'a> {
    pub code: &'a InstitutionCode,
    pub now: OffsetDateTime,
    pub body_secs: u64,
}

type Req = Request<Incoming>;
type Reply = Response<Full<Bytes>>;

/// One screen request's connection, session and registry.
struct Ctx<'a> {
    code: &'a InstitutionCode,
    now: OffsetDateTime,
    body_secs: u64,
    token: &'a str,
    registry: &'a std::sync::Mutex<Registry>,
}

impl Ctx<'_> {
    fn reg(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps something in this session's memo for its next screen (nothing without a session).
    fn remember(&self, f: impl FnOnce(&mut crate::qualification::registry::ScreenMemo)) {
        if let Some(m) = self.reg().memo(self.code, self.token) {
            f(m);
        }
    }

    /// The account this session issued last (登録完了, パスワード初期化), if it did.
    fn issued(&self) -> Option<oqs_proto::api::IssuedAccount> {
        self.reg()
            .memo(self.code, self.token)
            .and_then(|m| m.issued.clone())
    }

    fn institution_name(&self) -> String {
        self.reg()
            .site(self.code)
            .map(|s| s.info.name.clone())
            .unwrap_or_default()
    }

    /// A screen of a logged-in session: the header names the institution and offers メニュー
    /// and ログアウト (top right in the manual's screenshots).
    fn screen(&self, title: &str, body: &str) -> Reply {
        let nav = format!(
            "<nav><span class=\"institution\">{}</span> <a href=\"/web/menu\">メニュー</a> <a href=\"/web/logout\">ログアウト</a></nav>{body}",
            escape(&self.institution_name())
        );
        page(StatusCode::OK, title, &nav)
    }
}

/// One screen request.
pub async fn serve(
    req: Request<Incoming>,
    s: Screen<'_>,
    registry: &std::sync::Mutex<Registry>,
) -> Response<Full<Bytes>> {
    let token = session(&req);
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let c = Ctx {
        code: s.code,
        now: s.now,
        body_secs: s.body_secs,
        token: &token,
        registry,
    };
    if path.starts_with("/web/accounts/bulk") {
        return bulk::serve(c, method, &path, req).await;
    }
    if path.starts_with("/web/accounts") {
        return accounts::serve(c, method, &path, req).await;
    }
    if path.starts_with("/web/check/card") {
        return card::serve(c, method, &path, req).await;
    }
    if path.starts_with("/web/check/") {
        return lookup::serve(c, method, &path, req).await;
    }
    match (method, path.as_str()) {
        (Method::GET, "/web/login") => login_page(None),
        (Method::POST, "/web/login") => {
            let f = match form(req, s.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            log_in(&c, &f)
        }
        (Method::GET, "/web/menu") => {
            if c.reg().is_reset_session(c.code, c.token) {
                return reset_menu_page(&c);
            }
            let who = c.reg().who(s.code, &token, false, s.now);
            menu_or_away(&c, who)
        }
        (Method::GET, "/web/password") => password_screen(&c),
        (Method::POST, "/web/password") => {
            let f = match form(req, s.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            change_password(&c, &f)
        }
        (Method::GET, "/web/settings") => {
            let current = c.reg().settings(s.code, &token, s.now);
            match current {
                Ok(cur) => settings_page(&cur, None),
                Err(e) => away(e),
            }
        }
        (Method::POST, "/web/settings") => {
            let f = match form(req, s.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            change_settings(&c, &f)
        }
        (Method::GET, "/web/logout") => page(
            StatusCode::OK,
            "ログアウト",
            "<p>ログアウトします。</p><form method=\"post\" action=\"/web/logout\">\
             <p><button type=\"submit\">OK</button> <a href=\"/web/menu\">キャンセル</a></p></form>",
        ),
        (Method::POST, "/web/logout") => log_out(&c),
        _ => not_here(),
    }
}

/// パスワード変更, for a session that may change its password (a restricted one says why).
fn password_screen(c: &Ctx<'_>) -> Reply {
    // one lock for both questions: a guard held in a `match` lives to its end
    let (may_change, restricted) = {
        let r = c.reg();
        (
            r.who(c.code, c.token, true, c.now).is_ok(),
            r.who(c.code, c.token, false, c.now).err(),
        )
    };
    if may_change {
        password_page(restricted.as_ref(), None)
    } else {
        see_other("/web/login", None)
    }
}

fn change_password(c: &Ctx<'_>, f: &Form) -> Reply {
    let r = c.reg().change_password(
        c.code,
        c.token,
        f.get("old_password"),
        f.get("new_password"),
        f.get("new_password_confirm"),
        c.now,
    );
    match r {
        Ok(()) => done_page(),
        Err(Refusal::NotLoggedIn) => see_other("/web/login", None),
        Err(e) => password_page(None, Some(&e)),
    }
}

/// ログアウト's OK: the session ends and its cookie goes.
fn log_out(c: &Ctx<'_>) -> Reply {
    c.reg().logout(c.token);
    let mut r = see_other("/web/", None);
    if let Ok(v) = format!("{COOKIE}=; Path=/web; Max-Age=0; Secure; HttpOnly").parse() {
        r.headers_mut().insert("set-cookie", v);
    }
    r
}

/// ログイン: an account's user ID and password, or the master reset ID (`H…R`) and its
/// 秘密の番号 [001 supplement 1-① ④].
fn log_in(c: &Ctx<'_>, f: &Form) -> Reply {
    let (id, pw) = (f.get("user_id"), f.get("password"));
    let is_reset_id = id
        .strip_suffix('R')
        .is_some_and(oqs_proto::account::is_master_id);
    if is_reset_id {
        let r = c.reg().reset_login(c.code, id, pw);
        return match r {
            Ok(token) => see_other("/web/menu", Some(&token)),
            Err(e) => login_page(Some(&e)),
        };
    }
    let login = c.reg().login(c.code, id, pw, c.now);
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

fn change_settings(c: &Ctx<'_>, f: &Form) -> Reply {
    let current = c.reg().settings(c.code, c.token, c.now);
    let current = match current {
        Ok(cur) => cur,
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
    let changed = c.reg().change_settings(c.code, c.token, change, c.now);
    match changed {
        Ok(cur) => settings_page(&cur, Some(Ok(()))),
        Err(e @ (Refusal::NotLoggedIn | Refusal::PasswordChangeRequired(_))) => away(e),
        Err(e) => settings_page(&current, Some(Err(&e))),
    }
}

fn not_here() -> Reply {
    page(
        StatusCode::METHOD_NOT_ALLOWED,
        "オンライン資格確認等システム",
        "<p>[kit] この画面はこの方法では開けません。</p>",
    )
}

/// The value of `key` in the request's query (empty when absent).
fn query(req: &Req, key: &str) -> String {
    form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A file the browser saves (its ダウンロード).
fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> Reply {
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .header(
            "content-disposition",
            format!("attachment; filename*=UTF-8''{encoded}"),
        )
        .body(Full::new(Bytes::from(bytes)))
        .unwrap_or_default()
}

/// A date as the screens and the PDF write it: `2021年08月23日` (JST).
fn jst_date(t: OffsetDateTime) -> String {
    let d = t.to_offset(oqs_host::clock::JST).date();
    format!("{}年{:02}月{:02}日", d.year(), u8::from(d.month()), d.day())
}

/// The menu for a session that may use it; the password change or the login otherwise.
fn menu_or_away(
    c: &Ctx<'_>,
    who: Result<(InstitutionCode, String, oqs_proto::account::AccountKind), Refusal>,
) -> Response<Full<Bytes>> {
    match who {
        Ok((_, user, kind)) => menu_page(c, &user, kind),
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
    let bytes = crate::qualification::read_body(req, secs, 64 << 10)
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

/// A message the screen shows as an error (the role a screen reader announces).
fn alert(text: &str) -> String {
    format!(
        "<div class=\"error\" role=\"alert\">{}</div>",
        paragraph(text)
    )
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

/// A menu entry: a link to a screen the kit serves, or the name of one it does not.
fn entry(label: &str, href: Option<&str>) -> String {
    match href {
        Some(h) => format!("<li><a href=\"{h}\">{label}</a></li>"),
        None => format!("<li>{label}</li>"),
    }
}

/// The menu as the manual's screenshot shows it [001 supplement ⑪]: what an account may use.
fn menu_page(c: &Ctx<'_>, user: &str, kind: oqs_proto::account::AccountKind) -> Reply {
    use oqs_proto::account::AccountKind;
    let admin = matches!(kind, AccountKind::Master | AccountKind::Admin);
    let mut items = vec![
        entry("お知らせ一覧", None),
        entry("マイナンバーカードで確認", Some("/web/check/card")),
        entry("資格確認書／処方箋で確認", Some("/web/check/insurance")),
    ];
    if admin {
        items.push(format!(
            "<li>アカウント一括登録<ul>{}{}</ul></li>",
            entry("アカウント一括登録", Some("/web/accounts/bulk")),
            entry("アカウント一括登録結果", Some("/web/accounts/bulk/results")),
        ));
    }
    // every account may see 環境設定; changing it is the admin's (the registry refuses others
    // with the manual's words, op 9 こんなときは)
    items.push(format!(
        "<li>環境設定情報管理<ul>{}</ul></li>",
        entry("環境設定情報更新", Some("/web/settings"))
    ));
    let account_items = if admin {
        format!(
            "{}{}",
            entry("アカウント管理(登録)", Some("/web/accounts/new")),
            entry("アカウント管理(更新)", Some("/web/accounts"))
        )
    } else {
        String::new()
    };
    items.push(format!(
        "<li>アカウント情報管理<ul>{account_items}{}</ul></li>",
        entry("パスワード変更", Some("/web/password"))
    ));
    if admin {
        items.push(format!(
            "<li>顔認証付きカードリーダー管理<ul>{}</ul></li>",
            entry("顔認証付きカードリーダー操作", None)
        ));
    }
    let body = format!(
        "<p class=\"user\">{}（{}）</p><ul class=\"menu\">{}</ul>",
        escape(user),
        kind.label(),
        items.concat()
    );
    c.screen("メニュー", &body)
}

/// What the master reset ID's session sees [001 supplement 1-① ⑤]: アカウント情報管理 with
/// アカウント管理(更新) only.
fn reset_menu_page(c: &Ctx<'_>) -> Reply {
    let body = format!(
        "<ul class=\"menu\">{}</ul>",
        entry("アカウント管理(更新)", Some("/web/accounts"))
    );
    c.screen("アカウント情報管理", &body)
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
        "<p class=\"done\">更新しました。</p><p><a href=\"/web/menu\">OK</a></p>",
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
