//! 資格確認書／処方箋で確認 [000 op 12 08]: the 検索条件 screen (保険者番号, 記号, 番号, 枝番,
//! 生年月日) and 資格情報確認, which shows the answer of the same registry lookup the API and the
//! linkage app get.
//!
//! | screen | path |
//! |---|---|
//! | 検索条件 | `GET /web/check/insurance` |
//! | 資格情報確認 | `POST /web/check/insurance` |

use super::{Ctx, Reply, error_box, escape, field};
use hyper::Method;
use oqs_proto::qualification::{QualificationResult, SearchInfo};

pub async fn serve(c: Ctx<'_>, method: Method, path: &str, req: super::Req) -> Reply {
    match (method, path) {
        (Method::GET, "/web/check/insurance") => {
            let who = c.reg().who(c.code, c.token, false, c.now).map(drop);
            match who {
                Ok(()) => search_page(&c, None),
                Err(e) => super::away(e),
            }
        }
        (Method::POST, "/web/check/insurance") => {
            let f = match super::form(req, c.body_secs).await {
                Ok(f) => f,
                Err(r) => return r,
            };
            let q = SearchInfo {
                insurer_number: f.get("insurer_number").into(),
                insured_card_symbol: f.get("insured_card_symbol").into(),
                insured_identification_number: f.get("insured_identification_number").into(),
                insured_branch_number: f.get("insured_branch_number").into(),
                birthdate: f.get("birthdate").into(),
                ..SearchInfo::default()
            };
            let answer = c.reg().lookup(c.code, c.token, q, c.now);
            match answer {
                Ok(r) => result_page(&c, &r, "/web/check/insurance"),
                Err(
                    e @ (crate::qualification::registry::Refusal::NotLoggedIn
                    | crate::qualification::registry::Refusal::PasswordChangeRequired(_)),
                ) => super::away(e),
                Err(e) => search_page(&c, Some(&error_box(&e))),
            }
        }
        _ => super::not_here(),
    }
}

fn search_page(c: &Ctx<'_>, error: Option<&str>) -> Reply {
    let body = format!(
        "{}<form method=\"post\" action=\"/web/check/insurance\">{}{}{}{}{}\
         <p><button type=\"submit\">検索</button></p></form><p><a href=\"/web/menu\">戻る</a></p>",
        error.unwrap_or_default(),
        field("保険者番号", "insurer_number", "text"),
        field("記号", "insured_card_symbol", "text"),
        field("番号", "insured_identification_number", "text"),
        field("枝番", "insured_branch_number", "text"),
        field("生年月日", "birthdate", "text"),
    );
    c.screen("検索条件", &body)
}

/// 資格情報確認: the validity and the records; 戻る goes `back`.
pub(super) fn result_page(c: &Ctx<'_>, r: &QualificationResult, back: &str) -> Reply {
    let rows: String = r
        .result_list
        .iter()
        .map(|rec| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&rec.name),
                escape(&rec.name_kana),
                escape(&rec.birthdate),
                escape(&rec.insurer_number),
                escape(&rec.insurer_name),
                escape(&rec.insured_identification_number),
            )
        })
        .collect();
    let body = format!(
        "<p>資格有効性: <span class=\"validity\">{}</span></p>\
         <table class=\"qualification\"><thead><tr><th>氏名</th><th>氏名（カナ）</th><th>生年月日</th>\
         <th>保険者番号</th><th>保険者名</th><th>被保険者証番号</th></tr></thead><tbody>{rows}</tbody></table>\
         <p><a href=\"{back}\">戻る</a></p>",
        r.qualification_validity.label()
    );
    c.screen("資格情報確認", &body)
}
