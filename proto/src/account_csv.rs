//! アカウント一括登録用ファイル [001 supplement]: a CSV of accounts the master or admin
//! account uploads, **Shift_JIS only** whatever the site's character code, and the result file
//! the server gives back. Columns (\[K\], mirroring the single registration form, with the
//! password the terminal's Credential Manager and ReaderInfo.ini already hold):
//!
//! ```text
//! 権限区分,ユーザID,パスワード,ユーザ名,ユーザ名(カナ)
//! 連携アプリケーション用アカウント,R0RENK01,Renkei#Kit2025a,連携アプリケーション,ﾚﾝｹｲ
//! 顔認証用アカウント,F0FACE01,Kao#Ninsho2025a,顔認証付きカードリーダー,ｶｵﾆﾝｼｮｳ
//! ```
//! The result file repeats each row with エラー詳細: the row's error, or
//! 「【入力チェックエラーなし:未登録】」 when another row's error kept the whole file out.

use crate::account::AccountKind;
use crate::linkage::encoding::{self, EncodingError};
use crate::settings::CharacterCode;

pub const HEADER: [&str; 5] = [
    "権限区分",
    "ユーザID",
    "パスワード",
    "ユーザ名",
    "ユーザ名(カナ)",
];
/// Result file marker of a good row in a file that was refused for another row.
pub const NOT_REGISTERED_OK: &str = "【入力チェックエラーなし:未登録】";
pub const REGISTERED: &str = "【登録完了】";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRow {
    pub kind: AccountKind,
    pub user_id: String,
    pub password: String,
    pub user_name: String,
    pub user_name_kana: String,
}

/// A row as uploaded, with what was wrong with it if anything (checked by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowResult {
    pub fields: Vec<String>,
    pub detail: String,
}

/// Why the file as a whole cannot be read (登録失敗(ファイル構造エラー)).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StructureError {
    #[error(
        "アカウント一括登録用ファイルは Shift-JIS で作成してください（環境設定情報の文字コードに関わらず Shift-JIS のみです）: {0}"
    )]
    Encoding(String),
    #[error(
        "1行目の見出しが「権限区分,ユーザID,パスワード,ユーザ名,ユーザ名(カナ)」ではありません: {0}"
    )]
    Header(String),
    #[error("{line} 行目の項目数が {found} です（{} 項目）", HEADER.len())]
    Columns { line: usize, found: usize },
    #[error("登録するアカウントがありません")]
    Empty,
    #[error("CSV として読めません: {0}")]
    Csv(String),
}

impl StructureError {
    /// Whether the file is not a Shift-JIS CSV at all (登録失敗 (CSV形式エラー), the status seed
    /// 001's result screen shows), rather than a CSV of the wrong shape (登録失敗(ファイル構造
    /// エラー), in its status table). Which cause gives which status is inferred: the seed
    /// names both, not their causes.
    pub fn is_csv_format(&self) -> bool {
        matches!(self, Self::Encoding(_) | Self::Csv(_))
    }
}

/// One uploaded row: its fields as written, and the account or the reason it is not one.
pub type ParsedRow = (Vec<String>, Result<AccountRow, String>);

/// The upload's rows.
pub fn parse(bytes: &[u8]) -> Result<Vec<ParsedRow>, StructureError> {
    // UTF-8 with a BOM (what Excel's "CSV UTF-8" writes) is refused by name before decoding
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(StructureError::Encoding("UTF-8 (BOM付き) です".into()));
    }
    let text = encoding::decode(bytes, CharacterCode::ShiftJis)
        .map_err(|e| StructureError::Encoding(e.to_string()))?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| StructureError::Csv(e.to_string()))?;
        // the record's number: the file's line for files without multi-line fields (csv's own
        // record positions lag by a line with CRLF endings, so they are not used)
        let line = i + 1;
        let fields: Vec<String> = rec.iter().map(|f| f.trim().to_owned()).collect();
        if i == 0 {
            if fields != HEADER {
                return Err(StructureError::Header(fields.join(",")));
            }
            continue;
        }
        if fields.iter().all(String::is_empty) {
            continue;
        }
        if fields.len() != HEADER.len() {
            return Err(StructureError::Columns {
                line,
                found: fields.len(),
            });
        }
        let row = match AccountKind::from_label(&fields[0]) {
            None => Err(format!("権限区分「{}」は登録できません", fields[0])),
            Some(kind) => Ok(AccountRow {
                kind,
                user_id: fields[1].clone(),
                password: fields[2].clone(),
                user_name: fields[3].clone(),
                user_name_kana: fields[4].clone(),
            }),
        };
        rows.push((fields, row));
    }
    if rows.is_empty() {
        return Err(StructureError::Empty);
    }
    Ok(rows)
}

/// A file to upload, in Shift_JIS.
pub fn render(rows: &[AccountRow]) -> Result<Vec<u8>, EncodingError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(HEADER).expect("in memory");
    for r in rows {
        w.write_record([
            r.kind.label(),
            &r.user_id,
            &r.password,
            &r.user_name,
            &r.user_name_kana,
        ])
        .expect("in memory");
    }
    let text = String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in");
    encoding::encode(&text, CharacterCode::ShiftJis)
}

/// The result file: each row and its エラー詳細, in Shift_JIS.
pub fn render_result(rows: &[RowResult]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    let mut header: Vec<&str> = HEADER.to_vec();
    header.push("エラー詳細");
    w.write_record(&header).expect("in memory");
    for r in rows {
        let mut rec = r.fields.clone();
        rec.push(r.detail.clone());
        w.write_record(&rec).expect("in memory");
    }
    let text = String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in");
    // a name Shift_JIS cannot hold came in as Shift_JIS, so it can always go back out
    encoding::encode(&text, CharacterCode::ShiftJis).unwrap_or_else(|_| text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<AccountRow> {
        vec![
            AccountRow {
                kind: AccountKind::Linkage,
                user_id: "R0RENK01".into(),
                password: "Renkei#Kit2025a".into(),
                user_name: "連携アプリケーション".into(),
                user_name_kana: "ﾚﾝｹｲ".into(),
            },
            AccountRow {
                kind: AccountKind::Face,
                user_id: "F0FACE01".into(),
                password: "Kao#Ninsho2025a".into(),
                user_name: "顔認証付きカードリーダー".into(),
                user_name_kana: "ｶｵﾆﾝｼｮｳ".into(),
            },
        ]
    }

    #[test]
    fn a_shift_jis_file_round_trips() {
        let bytes = render(&rows()).unwrap();
        let parsed = parse(&bytes).unwrap();
        let got: Vec<AccountRow> = parsed.into_iter().map(|(_, r)| r.unwrap()).collect();
        assert_eq!(got, rows());
    }

    #[test]
    fn utf8_wrong_headers_and_columns_are_structure_errors() {
        let text = "権限区分,ユーザID,パスワード,ユーザ名,ユーザ名(カナ)\r\n連携アプリケーション用アカウント,R0RENK01,x,連携,ﾚﾝｹｲ\r\n";
        let e = parse(text.as_bytes()).unwrap_err();
        assert!(matches!(e, StructureError::Encoding(_)), "{e}");
        let bom = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
        assert!(parse(&bom).unwrap_err().to_string().contains("Shift-JIS"));
        let sjis = |t: &str| encoding::encode(t, CharacterCode::ShiftJis).unwrap();
        let e = parse(&sjis("ID,PW\r\nR0RENK01,x\r\n")).unwrap_err();
        assert!(matches!(e, StructureError::Header(_)), "{e}");
        let e = parse(&sjis("権限区分,ユーザID,パスワード,ユーザ名,ユーザ名(カナ)\r\n連携アプリケーション用アカウント,R0RENK01\r\n")).unwrap_err();
        assert_eq!(e, StructureError::Columns { line: 2, found: 2 });
        let rows = parse(&sjis(
            "権限区分,ユーザID,パスワード,ユーザ名,ユーザ名(カナ)\r\n社長,X1,p,n,k\r\n",
        ))
        .unwrap();
        assert!(rows[0].1.as_ref().unwrap_err().contains("社長"));
    }
}
