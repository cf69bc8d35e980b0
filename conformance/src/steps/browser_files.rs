//! Files through the portal's screens in the real browser [001 supplement ①]: the master reset
//! ID's login, the ユーザ設定情報 PDF the browser saves to the terminal's ダウンロード folder
//! (read as a person's viewer reads it, by pdftotext), and the アカウント一括登録 CSV chosen in
//! the browser's file field and its result list.

use crate::KitWorld;
use crate::steps::browser::{chromium, log_in, seen};
use crate::steps::succession::{DOWNLOADS, local};
use anyhow::{Context, Result, bail, ensure};
use cucumber::{given, then, when};
use oqs_host::WinPath;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a download may take to appear complete in the folder.
const DOWNLOAD_LIMIT: Duration = Duration::from_secs(20);

/// A completed `.pdf` in the terminal's ダウンロード folder — the one named `name`, or the
/// newest — waiting for the browser to finish writing it (Chromium writes `*.crdownload`
/// first and renames it when done).
async fn downloaded_pdf(w: &KitWorld, name: Option<&str>) -> Result<PathBuf> {
    let dir = local(w, DOWNLOADS)?;
    let deadline = tokio::time::Instant::now() + DOWNLOAD_LIMIT;
    loop {
        let mut pdfs: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("pdf")))
            .filter(|p| name.is_none_or(|n| p.file_name().is_some_and(|f| f == n)))
            .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
            .collect();
        pdfs.sort();
        if let Some((_, p)) = pdfs.pop() {
            return Ok(p);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "ダウンロードフォルダ（{DOWNLOADS}）に{}がありません（{}秒待ちました）",
                name.map_or("PDFファイル".to_owned(), |n| format!("「{n}」")),
                DOWNLOAD_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How long pdftotext may take over one sheet.
const PDFTOTEXT_LIMIT: Duration = Duration::from_secs(10);

/// The text of a PDF as a person's viewer shows it: pdftotext (poppler), line layout kept.
async fn pdf_text(path: &Path) -> Result<String> {
    let run = tokio::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(PDFTOTEXT_LIMIT, run)
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "pdftotext が{}秒以内に終わりません",
                PDFTOTEXT_LIMIT.as_secs()
            )
        })?
        .context("pdftotext がありません（apt-get install poppler-utils poppler-data）")?;
    ensure!(
        out.status.success(),
        "{} はPDFとして読めません: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8(out.stdout)?)
}

/// The value written after `item` on its line of the sheet (the two-column table).
fn sheet_value(text: &str, item: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix(item)?;
        // 「ユーザID」 and 「リセット用ユーザID」 and 「ユーザ名」 are different items
        rest.starts_with(char::is_whitespace)
            .then(|| rest.trim().to_owned())
    })
}

#[when(
    regex = r"^ログイン画面でマスタアカウントリセット用IDと秘密の番号を入力し、「ログイン」をクリックする$"
)]
async fn reset_login(w: &mut KitWorld) -> Result<()> {
    // what the usage application letter gives the person
    let (id, secret) = w.master_reset_secret()?;
    log_in(w, &id, &secret).await
}

#[when(regex = r"^ダウンロードしたPDFファイルを開く$")]
async fn open_pdf(w: &mut KitWorld) -> Result<()> {
    let p = downloaded_pdf(w, None).await?;
    w.portal.opened_pdf = Some(pdf_text(&p).await?);
    Ok(())
}

#[when(
    regex = r"^ログイン画面で(?:ユーザID「([^」]+)」と)?ダウンロードしたPDFに記載の(?:ユーザIDと)?パスワードを入力し、「ログイン」をクリックする$"
)]
async fn pdf_login(w: &mut KitWorld, user: String) -> Result<()> {
    let text = pdf_text(&downloaded_pdf(w, None).await?).await?;
    let id = match user.as_str() {
        "" => sheet_value(&text, "ユーザID").context("PDFにユーザIDがありません")?,
        u => u.to_owned(),
    };
    let pw = sheet_value(&text, "パスワード").context("PDFにパスワードがありません")?;
    w.portal.passwords.insert(id.clone(), pw.clone());
    log_in(w, &id, &pw).await
}

#[when(
    regex = r"^ログイン画面でユーザID「([^」]+)」とパスワード「([^」]+)」を入力し、「ログイン」をクリックする$"
)]
async fn typed_login(w: &mut KitWorld, id: String, pw: String) -> Result<()> {
    w.portal.passwords.insert(id.clone(), pw.clone());
    log_in(w, &id, &pw).await
}

/// Observes: browser — the PDF Chromium saved from the portal into the terminal's ダウンロード
/// folder, read by pdftotext
#[then(regex = r"^ダウンロードフォルダにユーザ設定情報のPDFファイル「([^」]+)」が保存される$")]
async fn pdf_saved(w: &mut KitWorld, name: String) -> Result<()> {
    let expected = match name.as_str() {
        "マスタアカウントのユーザID.pdf" => {
            format!("{}.pdf", w.master_credentials()?.0)
        }
        n => n.to_owned(),
    };
    let p = downloaded_pdf(w, Some(&expected)).await?;
    let text = pdf_text(&p).await?;
    ensure!(
        text.contains("オンライン資格確認等システムユーザ設定情報"),
        "ユーザ設定情報ではありません:\n{text}"
    );
    Ok(())
}

/// Observes: browser — the PDF the portal served, as the person's viewer shows it
#[then(regex = r"^PDFに「([^」]+)」は「([^」]*)」と記載されている$")]
async fn pdf_says(w: &mut KitWorld, item: String, value: String) -> Result<()> {
    let text = w
        .portal
        .opened_pdf
        .clone()
        .context("PDFファイルを開いていません")?;
    let shown = sheet_value(&text, &item)
        .with_context(|| format!("PDFに「{item}」がありません:\n{text}"))?;
    let expected = match value.as_str() {
        "新しい医療機関コード" | "この端末の医療機関コード" => {
            w.code()?.to_string()
        }
        v => v.to_owned(),
    };
    ensure!(shown == expected, "PDFの「{item}」は「{shown}」です");
    Ok(())
}

/// Observes: browser — the initial password cell as Chromium shows it
#[then(regex = r"^ブラウザに初期パスワードが「●」で表示される$")]
async fn masked(w: &mut KitWorld) -> Result<()> {
    seen(w).await?;
    let shown = chromium(w).await?.text_of("td.initial-password").await?;
    ensure!(
        !shown.is_empty() && shown.chars().all(|c| c == '●'),
        "初期パスワードの欄: {shown}"
    );
    Ok(())
}

/// Observes: browser — the search result list as Chromium shows it
#[then(regex = r"^ブラウザのアカウント一覧には「([^」]+)」だけが表示される$")]
async fn only_listed(w: &mut KitWorld, kind: String) -> Result<()> {
    seen(w).await?;
    let rows = chromium(w).await?.rows("table.accounts").await?;
    ensure!(
        !rows.is_empty() && rows.iter().all(|r| r.get(2) == Some(&kind)),
        "アカウント一覧: {rows:?}"
    );
    Ok(())
}

#[given(
    regex = r"^フォルダ「([^」]+)」に、次のアカウントを書いた(Shift-JIS|UTF-8)のCSVファイル「([^」]+)」がある:$"
)]
async fn csv_file(
    w: &mut KitWorld,
    dir: String,
    code: String,
    name: String,
    step: &cucumber::gherkin::Step,
) -> Result<()> {
    let file = crate::steps::succession::account_file(step, &code)?;
    let path = local(w, &WinPath::parse(&dir)?.join(&name)?.to_string())?;
    std::fs::create_dir_all(path.parent().context("フォルダ")?)?;
    std::fs::write(path, file)?;
    Ok(())
}

#[when(regex = r"^画面の「([^」]+)」でファイル「([^」]+)」を選択する$")]
async fn choose_file(w: &mut KitWorld, label: String, win: String) -> Result<()> {
    let path = local(w, &win)?;
    ensure!(path.exists(), "ファイル「{win}」がありません");
    chromium(w).await?.choose_file(&label, &path).await
}

/// Observes: browser — アカウント一括登録結果 as Chromium shows it (the newest upload first)
#[then(
    regex = r"^ブラウザのアカウント一括登録結果の最新の登録状況は「([^」]+)」(?:、処理件数は「(\d+)」)?である$"
)]
async fn bulk_status(w: &mut KitWorld, status: String, count: String) -> Result<()> {
    seen(w).await?;
    let rows = chromium(w).await?.rows("table.bulk-results").await?;
    let latest = rows.first().context("アカウント一括登録結果がありません")?;
    ensure!(
        latest.get(1) == Some(&status),
        "登録状況: {:?} ({latest:?})",
        latest.get(1)
    );
    if !count.is_empty() {
        ensure!(
            latest.get(4) == Some(&count),
            "処理件数: {:?}",
            latest.get(4)
        );
    }
    Ok(())
}

/// Observes: browser — the 登録完了 screen's text as Chromium shows it
#[then(
    regex = r"^ブラウザに表示された受付番号は「受付時刻（ミリ秒まで）_マスタアカウントID」の形である$"
)]
async fn reception_shape(w: &mut KitWorld) -> Result<()> {
    let s = seen(w).await?;
    let n = s
        .text
        .split("受付番号は")
        .nth(1)
        .and_then(|r| r.split("です。").next())
        .context("受付番号が表示されていません")?;
    let (ts, id) = n.split_once('_').context("「_」がありません")?;
    ensure!(
        ts.len() == 17 && ts.bytes().all(|b| b.is_ascii_digit()),
        "{n}"
    );
    ensure!(id == w.master_credentials()?.0, "{n}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_items_are_told_apart() {
        let text = "  ユーザID          H0123456\n  ユーザ名          マスター\n  リセット用ユーザID  H0123456R\n";
        assert_eq!(sheet_value(text, "ユーザID").as_deref(), Some("H0123456"));
        assert_eq!(
            sheet_value(text, "リセット用ユーザID").as_deref(),
            Some("H0123456R")
        );
        assert_eq!(sheet_value(text, "パスワード"), None);
    }
}
