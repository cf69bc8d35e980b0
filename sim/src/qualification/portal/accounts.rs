//! アカウント情報管理 [000 op 8, 001 supplement 1-①, 2-②, 補足]: アカウント管理(登録) with its
//! 登録確認 and 登録完了 (the initial password shown as ● until パスワード表示, and the
//! ユーザ設定情報 PDF), アカウント管理(更新) (検索, an account's detail), and the master reset
//! ID's パスワード初期化 with its パスワード screen and PDF.
//!
//! | screen | path |
//! |---|---|
//! | アカウント管理（登録） | `GET`/`POST /web/accounts/new` (`confirm=OK` registers) |
//! | 登録完了 | `GET /web/accounts/issued` (`?show=1`: パスワード表示) |
//! | ユーザ設定情報 (PDF) | `GET /web/accounts/sheet.pdf` |
//! | アカウント検索 | `GET /web/accounts` (`?search=1`: 検索) |
//! | アカウント管理 (detail) | `GET /web/accounts/detail?id=…`, `POST /web/accounts/initialize` |

use super::{Ctx, Reply, escape, field, see_other};
use crate::qualification::registry::{AccountDetail, Refusal};
use hyper::Method;
use oqs_proto::account::AccountKind;
use oqs_proto::api::{IssuedAccount, NewAccount};

/// The screens under `/web/accounts` (but アカウント一括登録's).
pub async fn serve(c: Ctx<'_>, method: Method, path: &str, req: super::Req) -> Reply {
    match (method, path) {
        (Method::GET, "/web/accounts/new") => {
            // the guard must end before the page locks again
            let may = c.reg().admin_session(c.code, c.token, c.now);
            match may {
                Ok(_) => new_page(&c, None),
                Err(e) => super::away(e),
            }
        }
        (Method::POST, "/web/accounts/new") => {
            let f = match super::form(req, c.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            register(&c, &f)
        }
        (Method::GET, "/web/accounts/issued") => {
            let show = super::query(&req, "show") == "1";
            // the master or an admin who registered it (a reset-ID session's password is in
            // its PDF only)
            let may = c.reg().admin_session(c.code, c.token, c.now);
            if let Err(e) = may {
                return super::away(e);
            }
            let issued = c.issued();
            match issued {
                Some(i) => issued_page(&c, &i, show),
                None => see_other("/web/menu", None),
            }
        }
        (Method::GET, "/web/accounts/sheet.pdf") => sheet(&c),
        (Method::GET, "/web/accounts") => {
            let search = super::query(&req, "search") == "1";
            search_page(&c, search)
        }
        (Method::GET, "/web/accounts/detail") => {
            let id = super::query(&req, "id");
            let d = c.reg().account_detail(c.code, c.token, &id, c.now);
            match d {
                Ok(d) => detail_page(&c, &d),
                Err(e) => super::away(e),
            }
        }
        (Method::POST, "/web/accounts/initialize") => {
            let issued = c.reg().reset_master_by_session(c.code, c.token, c.now);
            match issued {
                Ok(i) => {
                    c.remember(|m| m.issued = Some(i.clone()));
                    reissued_page(&c, &i)
                }
                Err(e) => super::away(e),
            }
        }
        _ => super::not_here(),
    }
}

/// 登録 shows 登録確認; its OK (`confirm=OK`) registers.
fn register(c: &Ctx<'_>, f: &super::Form) -> Reply {
    let Some(kind) = AccountKind::from_label(f.get("kind")) else {
        return new_page(
            c,
            Some(&format!("[kit] 権限区分「{}」はありません", f.get("kind"))),
        );
    };
    let new = NewAccount {
        kind,
        user_id: f.get("user_id").into(),
        user_name: f.get("user_name").into(),
        user_name_kana: f.get("user_name_kana").into(),
    };
    if f.get("confirm") != "OK" {
        return confirm_page(c, &new);
    }
    // OK clicked twice (or a reload): the first click registered it; show its 登録完了
    let done = c.issued();
    if done.is_some_and(|i| i.user_id == new.user_id && i.kind == new.kind) {
        return see_other("/web/accounts/issued", None);
    }
    let issued = c.reg().register_account(c.code, c.token, new, c.now);
    match issued {
        Ok(i) => {
            c.remember(|m| m.issued = Some(i));
            see_other("/web/accounts/issued", None)
        }
        Err(e @ (Refusal::NotLoggedIn | Refusal::PasswordChangeRequired(_))) => super::away(e),
        Err(e) => new_page(c, Some(&e.to_api().message)),
    }
}

fn new_page(c: &Ctx<'_>, error: Option<&str>) -> Reply {
    let kinds: String = oqs_proto::account::ALL_KINDS
        .iter()
        .filter(|k| **k != AccountKind::Master)
        .map(|k| format!("<option>{}</option>", k.label()))
        .collect();
    let error = error.map(super::alert).unwrap_or_default();
    let body = format!(
        "{error}<p class=\"institution\">機関コード: {} 医療機関名: {}</p>\
         <form method=\"post\" action=\"/web/accounts/new\">\
         <p><label for=\"kind\">権限区分</label> <select id=\"kind\" name=\"kind\">{kinds}</select></p>{}{}{}\
         <p><button type=\"submit\">登録</button></p></form>\
         <p><a href=\"/web/menu\">メニュー</a> <a href=\"/web/menu\">戻る</a></p>",
        c.code,
        escape(&c.institution_name()),
        field("ユーザID", "user_id", "text"),
        field("ユーザ名", "user_name", "text"),
        field("ユーザ名（カナ）", "user_name_kana", "text"),
    );
    c.screen("アカウント管理（登録）", &body)
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
        escape(value)
    )
}

/// 「登録します。よろしいですか？」 with OK and キャンセル (a page: the screens have no scripts).
fn confirm_page(c: &Ctx<'_>, new: &NewAccount) -> Reply {
    let body = format!(
        "<p>登録します。よろしいですか？</p><form method=\"post\" action=\"/web/accounts/new\">{}{}{}{}{}\
         <p><button type=\"submit\">OK</button> <a href=\"/web/accounts/new\">キャンセル</a></p></form>",
        hidden("kind", new.kind.label()),
        hidden("user_id", &new.user_id),
        hidden("user_name", &new.user_name),
        hidden("user_name_kana", &new.user_name_kana),
        hidden("confirm", "OK"),
    );
    c.screen("アカウント登録", &body)
}

fn masked(pw: &str, show: bool) -> String {
    if show {
        escape(pw)
    } else {
        "●".repeat(pw.chars().count())
    }
}

fn issued_page(c: &Ctx<'_>, i: &IssuedAccount, show: bool) -> Reply {
    let body = format!(
        "<p class=\"done\">登録しました。</p><table class=\"issued\">\
         <tr><th>ユーザID</th><td>{}</td></tr><tr><th>権限区分</th><td>{}</td></tr>\
         <tr><th>初期パスワード</th><td class=\"initial-password\">{}</td></tr></table>\
         <p><a href=\"/web/accounts/issued?show=1\">パスワード表示</a> \
         <a href=\"/web/accounts/sheet.pdf\" download>ダウンロード</a></p>\
         <p><a href=\"/web/accounts/new\">戻る</a></p>",
        escape(&i.user_id),
        i.kind.label(),
        masked(&i.initial_password, show),
    );
    c.screen("アカウント管理（登録）", &body)
}

/// The reset ID's パスワード screen after パスワード初期化: the password is in the PDF.
fn reissued_page(c: &Ctx<'_>, i: &IssuedAccount) -> Reply {
    let body = format!(
        "<p class=\"done\">パスワードを初期化しました。「ダウンロード」をクリックし、ユーザ設定情報を保存してください。</p>\
         <table class=\"issued\"><tr><th>ユーザID</th><td>{}</td></tr>\
         <tr><th>パスワード</th><td class=\"initial-password\">{}</td></tr></table>\
         <p><a href=\"/web/accounts/sheet.pdf\" download>ダウンロード</a></p>",
        escape(&i.user_id),
        masked(&i.initial_password, false),
    );
    c.screen("パスワード", &body)
}

/// オンライン資格確認等システムユーザ設定情報 of the account this session last issued.
fn sheet(c: &Ctx<'_>) -> Reply {
    let issued = c.issued();
    let Some(i) = issued else {
        return see_other("/web/login", None);
    };
    let (name, user_name, expires) = {
        let r = c.reg();
        let site = r.site(c.code);
        let acc = site.and_then(|s| s.account(&i.user_id));
        (
            site.map(|s| s.info.name.clone()).unwrap_or_default(),
            acc.map(|a| a.user_name.clone()).unwrap_or_default(),
            acc.and_then(|a| a.password_expires_at()),
        )
    };
    let mut lines: Vec<super::user_sheet::Line> = vec![
        ("利用環境".into(), "本番環境".into()),
        ("医療機関コード".into(), c.code.to_string()),
        ("医療機関等名".into(), name),
        ("ユーザID".into(), i.user_id.clone()),
        ("ユーザ名".into(), user_name),
        ("パスワード".into(), i.initial_password.clone()),
        (
            "パスワード有効期限".into(),
            expires.map_or("無期限".into(), super::jst_date),
        ),
    ];
    if i.kind == AccountKind::Master {
        lines.push((
            "リセット用ユーザID".into(),
            oqs_proto::account::reset_id_of(&i.user_id),
        ));
    }
    let pdf = super::user_sheet::render(
        "オンライン資格確認等システムユーザ設定情報",
        &lines,
        &[
            "※ 重要な情報が記載されていますので、取扱いに注意し大切に保管願います。",
            "※ オンライン資格確認等システムに初回ログイン時、パスワードの変更を行ってください。",
            "[kit] oqs-kit の模擬サーバーが発行したテスト用の書類です。",
        ],
    );
    super::download(&format!("{}.pdf", i.user_id), "application/pdf", pdf)
}

/// アカウント検索: 検索 lists the accounts (a reset-ID session sees the master only); each
/// row opens the account.
fn search_page(c: &Ctx<'_>, search: bool) -> Reply {
    let list = c.reg().searchable_accounts(c.code, c.token, c.now);
    let list = match list {
        Ok(l) => l,
        Err(e) => return super::away(e),
    };
    let rows: String = if search {
        list.iter()
            .map(|a| {
                let (id, name, kind) = (&a.user_id, &a.user_name, a.kind.label());
                // the manual double-clicks the row; here the ID and the kind open the account
                let href = format!(
                    "/web/accounts/detail?id={}",
                    form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
                );
                format!(
                    "<tr><td><a href=\"{href}\">{}</a></td><td>{}</td><td><a href=\"{href}\">{kind}</a></td></tr>",
                    escape(id),
                    escape(name),
                )
            })
            .collect()
    } else {
        String::new()
    };
    let body = format!(
        "<form method=\"get\" action=\"/web/accounts\"><input type=\"hidden\" name=\"search\" value=\"1\">\
         <p><button type=\"submit\">検索</button></p></form>\
         <table class=\"accounts\"><thead><tr><th>ユーザID</th><th>ユーザ名</th><th>権限区分</th></tr></thead>\
         <tbody>{rows}</tbody></table><p><a href=\"/web/menu\">戻る</a></p>"
    );
    c.screen("アカウント検索", &body)
}

fn detail_page(c: &Ctx<'_>, d: &AccountDetail) -> Reply {
    let reset = c.reg().is_reset_session(c.code, c.token);
    let initialize = if reset && d.kind == AccountKind::Master {
        "<form method=\"post\" action=\"/web/accounts/initialize\"><p><button type=\"submit\">パスワード初期化</button></p></form>"
    } else {
        ""
    };
    let body = format!(
        "<table class=\"account\"><tr><th>ユーザID</th><td>{}</td></tr><tr><th>権限区分</th><td>{}</td></tr>\
         <tr><th>ユーザ名</th><td>{}</td></tr><tr><th>ユーザ名（カナ）</th><td>{}</td></tr>\
         <tr><th>パスワード有効期限</th><td>{}</td></tr><tr><th>状態</th><td>{}</td></tr></table>\
         {initialize}<p><a href=\"/web/accounts?search=1\">戻る</a></p>",
        escape(&d.user_id),
        d.kind.label(),
        escape(&d.user_name),
        escape(&d.user_name_kana),
        d.password_expires_at
            .map_or("無期限".into(), super::jst_date),
        if d.locked {
            "ロック中"
        } else {
            "利用可"
        },
    );
    c.screen("アカウント管理", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_initial_password_is_shown_as_marks_until_asked() {
        assert_eq!(masked("aB3#", false), "●●●●");
        assert_eq!(masked("a<b", true), "a&lt;b");
    }
}
