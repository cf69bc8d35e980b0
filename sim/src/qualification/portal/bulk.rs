//! アカウント一括登録 and アカウント一括登録結果 [001 supplement 3-② ⑥–⑭]: the CSV file is
//! chosen in the browser and posted as `multipart/form-data`; 登録確認's OK hands it to the
//! registry (the same rules as the API's), whose 受付番号 登録完了 shows. The result list
//! refreshes itself every minute (a meta refresh: the screens have no scripts) and has 更新.
//!
//! | screen | path |
//! |---|---|
//! | アカウント一括登録 | `GET`/`POST /web/accounts/bulk` (the file, then 登録確認) |
//! | 登録完了 | `POST /web/accounts/bulk/confirm` |
//! | アカウント一括登録結果 | `GET /web/accounts/bulk/results` |
//! | 結果 (CSV) | `GET /web/accounts/bulk/result?n=<受付番号>` |

use super::{Ctx, Reply, escape, see_other};
use crate::qualification::registry::Refusal;
use bytes::Bytes;
use hyper::Method;

/// \[kit\] The largest account file the screen takes (the API's request limit).
pub const MAX_FILE_BYTES: usize = crate::qualification::MAX_BODY_BYTES;

/// \[kit\] What the screen says when 登録 is clicked with no file chosen.
const NO_FILE: &str = "[kit] アカウント一括登録用ファイルを選択してください";

pub async fn serve(c: Ctx<'_>, method: Method, path: &str, req: super::Req) -> Reply {
    match (method, path) {
        (Method::GET, "/web/accounts/bulk") => {
            // the guard must end before the page locks again
            let may = c.reg().admin_session(c.code, c.token, c.now);
            // a file chosen and left at 登録確認 (キャンセル) is not registered later
            c.remember(|m| m.upload = None);
            match may {
                Ok(_) => upload_page(&c, None),
                Err(e) => super::away(e),
            }
        }
        (Method::POST, "/web/accounts/bulk") => {
            let may = c.reg().admin_session(c.code, c.token, c.now);
            if let Err(e) = may {
                return super::away(e);
            }
            match chosen_file(req, c.body_secs).await {
                Ok(file) => {
                    c.remember(|m| m.upload = Some(file));
                    confirm_page(&c)
                }
                Err(msg) => upload_page(&c, Some(&msg)),
            }
        }
        (Method::POST, "/web/accounts/bulk/confirm") => {
            let file = c.reg().memo(c.code, c.token).and_then(|m| m.upload.take());
            let Some(file) = file else {
                return see_other("/web/accounts/bulk", None);
            };
            let accepted = c.reg().account_bulk_upload(c.code, c.token, file, c.now);
            match accepted {
                Ok(a) => c.screen(
                    "登録完了",
                    &format!(
                        "<p class=\"done\">受付番号は{}です。</p><p>(受付時刻:{})</p>\
                         <p><a href=\"/web/accounts/bulk\">OK</a></p>",
                        escape(&a.reception_number),
                        escape(&a.received_at)
                    ),
                ),
                Err(e @ (Refusal::NotLoggedIn | Refusal::PasswordChangeRequired(_))) => {
                    super::away(e)
                }
                Err(e) => upload_page(&c, Some(&e.to_api().message)),
            }
        }
        (Method::GET, "/web/accounts/bulk/results") => {
            let list = c.reg().account_bulk_list(c.code, c.token, c.now);
            match list {
                Ok(l) => results_page(&c, &l),
                Err(e) => super::away(e),
            }
        }
        (Method::GET, "/web/accounts/bulk/result") => {
            let n = super::query(&req, "n");
            let file = c.reg().account_bulk_result(c.code, c.token, &n, c.now);
            match file {
                Ok(f) => super::download(&format!("{n}.csv"), "text/csv; charset=Shift_JIS", f),
                Err(e) => super::away(e),
            }
        }
        _ => super::not_here(),
    }
}

/// The file of the form's `file` field, as chosen (its bytes are not decoded here: the
/// registry judges the encoding).
async fn chosen_file(req: super::Req, secs: u64) -> Result<Vec<u8>, String> {
    let boundary = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or(NO_FILE)?;
    let body = crate::qualification::read_body(req, secs, MAX_FILE_BYTES + 4096)
        .await
        .map_err(|e| {
            format!("{e}（[kit] アカウント一括登録用ファイルは{MAX_FILE_BYTES}バイトまでです）")
        })?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|e| format!("[kit] 送られたフォームを読めません: {e}"))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| format!("[kit] ファイルを受信できません: {e}"))?;
            if name.is_empty() && bytes.is_empty() {
                break;
            }
            if bytes.len() > MAX_FILE_BYTES {
                return Err(format!(
                    "[kit] アカウント一括登録用ファイルは{MAX_FILE_BYTES}バイトまでです。ファイルを分けて登録してください"
                ));
            }
            return Ok(bytes.to_vec());
        }
    }
    Err(NO_FILE.into())
}

fn upload_page(c: &Ctx<'_>, error: Option<&str>) -> Reply {
    let error = error.map(super::alert).unwrap_or_default();
    let body = format!(
        "{error}<form method=\"post\" action=\"/web/accounts/bulk\" enctype=\"multipart/form-data\">\
         <p><label for=\"file\">アカウント一括登録用ファイル</label> <input id=\"file\" name=\"file\" type=\"file\" accept=\".csv\"></p>\
         <p><button type=\"submit\">登録</button></p></form>\
         <p>※アップロードは1分以上間隔を空けてください。</p>\
         <p>※アップロードするCSVの文字コードは環境設定情報に関わらずShift-JISのみとなります。</p>\
         <p><a href=\"/web/menu\">戻る</a></p>"
    );
    c.screen("アカウント一括登録", &body)
}

fn confirm_page(c: &Ctx<'_>) -> Reply {
    c.screen(
        "登録確認",
        "<p>登録します。よろしいですか？</p><form method=\"post\" action=\"/web/accounts/bulk/confirm\">\
         <p><button type=\"submit\">OK</button> <a href=\"/web/accounts/bulk\">キャンセル</a></p></form>",
    )
}

fn results_page(c: &Ctx<'_>, list: &[oqs_proto::api::AccountBulkStatus]) -> Reply {
    let rows: String = list
        .iter()
        .map(|s| {
            let n = escape(&s.reception_number);
            let link = if s.downloadable {
                let q: String =
                    form_urlencoded::byte_serialize(s.reception_number.as_bytes()).collect();
                format!("<a href=\"/web/accounts/bulk/result?n={q}\" download>ダウンロード</a>")
            } else {
                String::new()
            };
            format!(
                "<tr><td>{n}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{link}</td></tr>",
                escape(&s.status),
                escape(&s.received_at),
                s.completed_at.as_deref().map(escape).unwrap_or_default(),
                s.count.map(|n| n.to_string()).unwrap_or_default(),
            )
        })
        .collect();
    let body = format!(
        "<table class=\"bulk-results\"><thead><tr><th>受付番号</th><th>登録状況</th><th>受付日時</th>\
         <th>完了日時</th><th>処理件数</th><th>結果</th></tr></thead><tbody>{rows}</tbody></table>\
         <p>一覧の登録状況は1分ごとに自動更新されます。</p>\
         <p><a href=\"/web/accounts/bulk/results\">更新</a> <a href=\"/web/menu\">戻る</a></p>"
    );
    let mut r = c.screen("アカウント一括登録結果", &body);
    // 1分毎に自動更新 without a script
    if let Ok(v) = "60".parse() {
        r.headers_mut().insert("refresh", v);
    }
    r
}
