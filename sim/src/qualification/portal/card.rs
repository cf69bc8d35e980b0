//! マイナンバーカードで確認 [000 op 12 04–07]: 資格情報照会 (マイナンバーカード) asks how the
//! person is identified; the person then puts the card (or a smartphone) on the generic reader,
//! the terminal's reader software checks it with the server, and the screen, which reloads
//! itself while it waits (a `Refresh` header: the screens have no scripts), shows 資格情報確認.
//!
//! With 「スマホによる本人確認（カードリーダー使用）」 = 利用する the screen first offers
//! マイナンバーカード, iPhone and Android; otherwise the card's choices straight away.
//!
//! | screen | path |
//! |---|---|
//! | 資格情報照会 (マイナンバーカード) | `GET /web/check/card` (`?carrier=card`: マイナンバーカード chosen) |
//! | waiting for the reader | `POST /web/check/card` (`method`), `GET /web/check/card/wait` |

use super::{Ctx, Reply, escape, see_other};
use hyper::Method;
use oqs_proto::reader::IdentityMethod;
use oqs_proto::settings::{Service, Usage};

const TITLE: &str = "資格情報照会 (マイナンバーカード)";

pub async fn serve(c: Ctx<'_>, method: Method, path: &str, req: super::Req) -> Reply {
    match (method, path) {
        (Method::GET, "/web/check/card") => {
            let who = c.reg().who(c.code, c.token, false, c.now).map(drop);
            if let Err(e) = who {
                return super::away(e);
            }
            c.reg().cancel_card_check(c.code, c.token);
            let carrier = super::query(&req, "carrier");
            if smartphones(&c) && carrier != "card" {
                carriers_page(&c)
            } else {
                card_page(&c, None)
            }
        }
        (Method::POST, "/web/check/card") => {
            let f = match super::form(req, c.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            let method = match f.get("method") {
                "visual" if f.get("visual_done") != "1" => {
                    return card_page(
                        &c,
                        Some(
                            "[kit] 目視で本人確認完了にチェックを付けてから「目視確認」をクリックしてください",
                        ),
                    );
                }
                "visual" => IdentityMethod::Visual,
                "pin" => IdentityMethod::Pin,
                "iphone" if smartphones(&c) => IdentityMethod::IPhone,
                "android" if smartphones(&c) => IdentityMethod::Android,
                m => {
                    return card_page(
                        &c,
                        Some(&format!("[kit] 本人確認の方法「{m}」は選べません")),
                    );
                }
            };
            let asked = c.reg().ask_card_check(c.code, c.token, method, c.now);
            match asked {
                Ok(()) => see_other("/web/check/card/wait", None),
                Err(e) => super::away(e),
            }
        }
        (Method::GET, "/web/check/card/wait") => {
            use crate::qualification::cards::DeskState;
            let state = c.reg().card_answer(c.code, c.token, c.now);
            match state {
                Ok(DeskState::Answered(Ok(r))) => {
                    super::lookup::result_page(&c, &r, "/web/check/card")
                }
                Ok(DeskState::Answered(Err(msg))) => card_page(&c, Some(&msg)),
                Ok(DeskState::Waiting(m)) => waiting_page(&c, m),
                Ok(DeskState::Idle) => card_page(
                    &c,
                    Some(
                        "[kit] カードリーダーからの資格確認はありませんでした。本人確認の方法を選び直し、カードをもう一度置いてください",
                    ),
                ),
                Err(e) => super::away(e),
            }
        }
        _ => super::not_here(),
    }
}

/// Whether the site has スマホによる本人確認（カードリーダー使用） on.
fn smartphones(c: &Ctx<'_>) -> bool {
    c.reg()
        .site(c.code)
        .is_some_and(|s| s.settings.usage(Service::SmartphoneIdentity) == Usage::Use)
}

fn button(method: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/web/check/card\"><input type=\"hidden\" name=\"method\" value=\"{method}\">\
         <p><button type=\"submit\">{label}</button></p></form>"
    )
}

/// マイナンバーカード, iPhone or Android [05 ⑤, 06 ⑤, 07 ①].
fn carriers_page(c: &Ctx<'_>) -> Reply {
    let body = format!(
        "<p>マイナンバーカードのボタンを選択してください。</p>\
         <p><a href=\"/web/check/card?carrier=card\">マイナンバーカード</a></p>{}{}\
         <p><a href=\"/web/menu\">戻る</a></p>",
        button("iphone", "iPhone"),
        button("android", "Android"),
    );
    c.screen(TITLE, &body)
}

/// The card's choices: 目視確認 with 目視で本人確認完了, or 本人確認の暗証番号を入力 [04 ⑤, pin ①].
fn card_page(c: &Ctx<'_>, error: Option<&str>) -> Reply {
    let error = error.map(super::alert).unwrap_or_default();
    let body = format!(
        "{error}<form method=\"post\" action=\"/web/check/card\"><input type=\"hidden\" name=\"method\" value=\"visual\">\
         <p><input id=\"visual_done\" name=\"visual_done\" type=\"checkbox\" value=\"1\"> <label for=\"visual_done\">目視で本人確認完了</label></p>\
         <p><button type=\"submit\">目視確認</button></p></form>{}\
         <p><a href=\"/web/menu\">戻る</a></p>",
        button("pin", "本人確認の暗証番号を入力"),
    );
    c.screen(TITLE, &body)
}

fn waiting_page(c: &Ctx<'_>, asked: IdentityMethod) -> Reply {
    // the manual's words where it gives the screen's, the kit's otherwise
    let text = match asked {
        IdentityMethod::IPhone => {
            "生体認証を行った後、スマートフォンを汎用カードリーダーにかざしてください。"
        }
        IdentityMethod::Android => {
            "[kit] 汎用カードリーダーにAndroidスマートフォンをかざしてください。利用者証明用電子証明書の暗証番号入力をお願いしてください。"
        }
        _ => "[kit] 汎用カードリーダーに、マイナンバーカードを差し込むか、かざしてください。",
    };
    let mut r = c.screen(
        TITLE,
        &format!(
            "<p class=\"waiting\">{}</p><p><a href=\"/web/check/card\">戻る</a></p>",
            escape(text)
        ),
    );
    // the screen waits for the reader's check: it reloads itself every second
    if let Ok(v) = "1".parse() {
        r.headers_mut().insert("refresh", v);
    }
    r
}
