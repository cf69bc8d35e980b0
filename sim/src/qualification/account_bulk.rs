//! アカウント一括登録 [001 supplement]: the master or admin account uploads a Shift_JIS CSV of
//! accounts, gets a 受付番号 (`yyyyMMddHHmmssSSS_<master ID>`), and the list shows 登録待ち until
//! the server has processed it (the profile's bulk processing minutes of the sim clock), then
//! 登録完了, 登録完了(一部ID重複あり), 登録失敗(入力チェックエラー) (nothing registered) or
//! 登録失敗(ファイル構造エラー) or 登録失敗 (CSV形式エラー) (not a Shift-JIS CSV at all); the
//! result file is downloadable. Uploads need a minute between
//! them.

use super::registry::{Refusal, Registry};
use oqs_proto::account::AccountKind;
use oqs_proto::account_csv::{self, NOT_REGISTERED_OK, REGISTERED, RowResult};
use oqs_proto::api::{AccountBulkAccepted, AccountBulkStatus};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::password;
use oqs_proto::profile::Profile;
use time::{Duration, OffsetDateTime};

pub const WAITING: &str = "登録待ち";
pub const DONE: &str = "登録完了";
pub const DONE_WITH_DUPLICATES: &str = "登録完了(一部ID重複あり)";
pub const INPUT_ERROR: &str = "登録失敗(入力チェックエラー)";
pub const STRUCTURE_ERROR: &str = "登録失敗(ファイル構造エラー)";
/// As seed 001's result screen spells it (with a space).
pub const CSV_FORMAT_ERROR: &str = "登録失敗 (CSV形式エラー)";

pub struct AccountBulkJob {
    received_at: OffsetDateTime,
    ready_at: OffsetDateTime,
    file: Vec<u8>,
    outcome: Option<Outcome>,
}

struct Outcome {
    status: &'static str,
    count: Option<usize>,
    result: Vec<u8>,
}

fn stamp_ms(t: OffsetDateTime) -> String {
    let t = t.to_offset(oqs_host::clock::JST);
    format!(
        "{}{:03}",
        oqs_proto::linkage::message::stamp(t),
        t.millisecond()
    )
}

fn jst(t: OffsetDateTime) -> String {
    t.to_offset(oqs_host::clock::JST)
        .format(time::macros::format_description!(
            "[year]/[month]/[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

impl Registry {
    /// アカウント一括登録: accepts the file for processing.
    pub fn account_bulk_upload(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        file: Vec<u8>,
        now: OffsetDateTime,
    ) -> Result<AccountBulkAccepted, Refusal> {
        let code = self.admin_session(code, token, now)?;
        let site = self.site_mut(&code)?;
        if let Some(last) = site.account_bulk.values().map(|j| j.received_at).max()
            && now - last < Duration::minutes(1)
        {
            return Err(Refusal::BulkTooSoon);
        }
        let reception_number = format!("{}_{}", stamp_ms(now), site.master_id);
        let minutes = Profile::builtin().linkage.bulk_processing_minutes;
        site.account_bulk.insert(
            reception_number.clone(),
            AccountBulkJob {
                received_at: now,
                ready_at: now + Duration::minutes(minutes.into()),
                file,
                outcome: None,
            },
        );
        Ok(AccountBulkAccepted {
            reception_number,
            received_at: jst(now),
        })
    }

    /// アカウント一括登録結果: every upload of the site, newest first, processed as due.
    pub fn account_bulk_list(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<AccountBulkStatus>, Refusal> {
        let code = self.admin_session(code, token, now)?;
        self.process_account_bulk(&code, now)?;
        let site = self.site_mut(&code)?;
        let mut v: Vec<AccountBulkStatus> = site
            .account_bulk
            .iter()
            .map(|(n, j)| AccountBulkStatus {
                reception_number: n.clone(),
                status: j.outcome.as_ref().map_or(WAITING, |o| o.status).into(),
                received_at: jst(j.received_at),
                completed_at: j.outcome.as_ref().map(|_| jst(j.ready_at)),
                count: j.outcome.as_ref().and_then(|o| o.count),
                downloadable: j.outcome.is_some(),
            })
            .collect();
        v.reverse();
        Ok(v)
    }

    /// The result file (Shift_JIS CSV) of a processed upload.
    pub fn account_bulk_result(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        reception: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, Refusal> {
        let code = self.admin_session(code, token, now)?;
        self.process_account_bulk(&code, now)?;
        let site = self.site_mut(&code)?;
        let job = site
            .account_bulk
            .get(reception)
            .ok_or_else(|| Refusal::UnknownReception(reception.into()))?;
        job.outcome
            .as_ref()
            .map(|o| o.result.clone())
            .ok_or(Refusal::BulkNotReady)
    }

    fn process_account_bulk(
        &mut self,
        code: &InstitutionCode,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let due: Vec<(String, Vec<u8>)> = self
            .site_mut(code)?
            .account_bulk
            .iter()
            .filter(|(_, j)| j.outcome.is_none() && j.ready_at <= now)
            .map(|(n, j)| (n.clone(), j.file.clone()))
            .collect();
        for (n, file) in due {
            let outcome = self.register_account_file(code, &file, now)?;
            if let Some(j) = self.site_mut(code)?.account_bulk.get_mut(&n) {
                j.outcome = Some(outcome);
            }
        }
        Ok(())
    }

    fn register_account_file(
        &mut self,
        code: &InstitutionCode,
        file: &[u8],
        now: OffsetDateTime,
    ) -> Result<Outcome, Refusal> {
        let rows = match account_csv::parse(file) {
            Ok(r) => r,
            Err(e) => {
                return Ok(Outcome {
                    status: if e.is_csv_format() {
                        CSV_FORMAT_ERROR
                    } else {
                        STRUCTURE_ERROR
                    },
                    count: None,
                    result: account_csv::render_result(&[RowResult {
                        fields: Vec::new(),
                        detail: e.to_string(),
                    }]),
                });
            }
        };
        let site_kind = self.site_mut(code)?.info.kind;
        // input checks first: one bad row keeps the whole file out
        let checked: Vec<_> = rows
            .iter()
            .map(|(fields, row)| (fields.clone(), row.clone(), row_error(row, site_kind)))
            .collect();
        if checked.iter().any(|(_, _, e)| e.is_some()) {
            let result = checked
                .into_iter()
                .map(|(fields, _, e)| RowResult {
                    fields,
                    detail: e.unwrap_or_else(|| NOT_REGISTERED_OK.into()),
                })
                .collect::<Vec<_>>();
            return Ok(Outcome {
                status: INPUT_ERROR,
                count: Some(0),
                result: account_csv::render_result(&result),
            });
        }
        let mut results = Vec::new();
        let mut registered = 0;
        let mut duplicates = 0;
        for (fields, row, _) in checked {
            let r = row.expect("checked above");
            let detail = if self.site_mut(code)?.account(&r.user_id).is_some() {
                duplicates += 1;
                format!("ユーザID「{}」は既に登録されています（ID重複）", r.user_id)
            } else {
                self.provision_account(code, r.kind, &r.user_id, &r.password, now)?;
                registered += 1;
                REGISTERED.into()
            };
            results.push(RowResult { fields, detail });
        }
        Ok(Outcome {
            status: if duplicates > 0 {
                DONE_WITH_DUPLICATES
            } else {
                DONE
            },
            count: Some(registered),
            result: account_csv::render_result(&results),
        })
    }
}

/// What keeps a row of an account file out: its own format, a master account, an ID the
/// account kind does not allow here, a password the rules refuse.
fn row_error(
    row: &Result<account_csv::AccountRow, String>,
    site_kind: oqs_proto::institution::InstitutionKind,
) -> Option<String> {
    match row {
        Err(e) => Some(e.clone()),
        Ok(r) if r.kind == AccountKind::Master => {
            Some("マスタアカウントは一括登録できません".into())
        }
        Ok(r) => r
            .kind
            .check_id(&r.user_id, site_kind)
            .err()
            .map(|e| e.to_string())
            .or_else(|| {
                password::check(&r.password, &[])
                    .err()
                    .map(|v| v.iter().map(|x| x.message()).collect::<Vec<_>>().join("／"))
            }),
    }
}
