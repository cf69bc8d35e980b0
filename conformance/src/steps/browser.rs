//! The portal's screens in a real browser (`@browser`): Chromium plays the terminal's Edge,
//! with the terminal's client certificate, and the person reads and clicks what the mock
//! server's HTML shows (operations 7 and 8, パスワードについて). The browser starts at the
//! scenario's first action in it, with the certificates the terminal has at that moment.

use crate::KitWorld;
use crate::browser::{Chromium, Seen};
use anyhow::{Context, Result, ensure};
use cucumber::{given, then, when};
use oqs_proto::account::AccountKind;

pub(crate) async fn chromium(w: &mut KitWorld) -> Result<&mut Chromium> {
    if w.chromium.is_none() {
        let host = w.terminal()?.clone();
        let downloads = crate::steps::succession::local(w, crate::steps::succession::DOWNLOADS)?;
        std::fs::create_dir_all(&downloads)?;
        let c = Chromium::start(host.as_ref(), w.sim(), &downloads).await?;
        w.chromium = Some(c);
    }
    w.chromium.as_mut().context("ブラウザがありません")
}

/// What the browser shows now; the screen text is kept for the failure report.
pub(crate) async fn seen(w: &mut KitWorld) -> Result<Seen> {
    let s = chromium(w).await?.seen().await?;
    w.screen = format!("{}\n{}", s.title, s.text);
    Ok(s)
}

#[when(regex = r"^ブラウザのアドレスバーに「(https?://[^」]+)」と入力して開く$")]
async fn open(w: &mut KitWorld, url: String) -> Result<()> {
    // a rejection the server logs from now on is this visit's
    w.portal.rejections_seen = w.sim().qualification().await?.rejections().all().len();
    chromium(w).await?.open(&url).await?;
    seen(w).await.map(drop)
}

#[when(regex = r"^作成されたショートカットをダブルクリックしてブラウザで開く$")]
async fn open_shortcut(w: &mut KitWorld) -> Result<()> {
    let url = crate::steps::portal::shortcut_url(w)?;
    open(w, url).await
}

#[when(regex = r"^画面の「([^」]+)」をクリックする$")]
async fn click(w: &mut KitWorld, text: String) -> Result<()> {
    chromium(w).await?.click(&text).await?;
    seen(w).await.map(drop)
}

#[when(regex = r"^画面の「([^」]+)」に「([^」]*)」と入力する$")]
async fn type_into(w: &mut KitWorld, label: String, value: String) -> Result<()> {
    chromium(w).await?.type_into(&label, &value).await
}

/// Types the user ID and password on the login screen and clicks ログイン.
pub(crate) async fn log_in(w: &mut KitWorld, id: &str, pw: &str) -> Result<()> {
    let c = chromium(w).await?;
    c.type_into("ユーザID", id).await?;
    c.type_into("パスワード", pw).await?;
    c.click("ログイン").await?;
    w.portal.browser_user = Some(id.to_owned());
    seen(w).await.map(drop)
}

#[when(
    regex = r"^ログイン画面でマスタアカウントのユーザIDとパスワードを入力し、「ログイン」をクリックする$"
)]
async fn master_login(w: &mut KitWorld) -> Result<()> {
    let (id, pw) = credentials(w, "マスタアカウント", String::new()).await?;
    log_in(w, &id, &pw).await
}

#[when(
    regex = r"^ログイン画面でユーザID「([^」]+)」と控えた初期パスワードを入力し、「ログイン」をクリックする$"
)]
async fn issued_login(w: &mut KitWorld, id: String) -> Result<()> {
    let pw = w.portal.password_of(&id)?;
    log_in(w, &id, &pw).await
}

/// The user ID and password the person has for `who`: the master's from the usage
/// application letter; another account made through the portal API with a password the
/// person knows. The scenario knows it from now on.
async fn credentials(w: &mut KitWorld, who: &str, user: String) -> Result<(String, String)> {
    let (id, pw) = if who == "マスタアカウント" {
        w.master_credentials()?
    } else {
        let kind = AccountKind::from_label(who).context("権限区分")?;
        let pw = w.ensure_account(kind, &user).await?;
        (user, pw)
    };
    w.portal.passwords.entry(id.clone()).or_insert(pw.clone());
    Ok((id, pw))
}

#[given(
    regex = r"^ブラウザで(マスタアカウント|管理アカウント|一般アカウント)(?:「([^」]+)」)?でログインしている$"
)]
async fn logged_in(w: &mut KitWorld, who: String, user: String) -> Result<()> {
    let (id, pw) = credentials(w, &who, user).await?;
    chromium(w)
        .await?
        .open(&format!("{}login", crate::world::KitWorld::portal_url()))
        .await?;
    log_in(w, &id, &pw).await?;
    let s = seen(w).await?;
    ensure!(s.title == "メニュー", "ログインできません: {}", s.text);
    Ok(())
}

#[when(regex = r"^画面の「([^」]+)」にチェックを付ける$")]
async fn tick(w: &mut KitWorld, label: String) -> Result<()> {
    chromium(w).await?.tick(&label).await
}

#[when(regex = r"^画面の「([^」]+)」で「([^」]+)」を選ぶ$")]
async fn choose(w: &mut KitWorld, label: String, option: String) -> Result<()> {
    chromium(w).await?.choose(&label, &option).await
}

#[when(regex = r"^画面に表示されたユーザIDと初期パスワードを控える$")]
async fn note_issued(w: &mut KitWorld) -> Result<()> {
    let c = chromium(w).await?;
    let id = c.text_of("table.issued tr:first-child td").await?;
    let pw = c.text_of("td.initial-password").await?;
    ensure!(!pw.is_empty(), "初期パスワードが表示されていません");
    w.portal.passwords.insert(id, pw);
    Ok(())
}

#[when(
    regex = r"^ログイン画面でマスタアカウントのユーザIDと誤ったパスワード「([^」]+)」を入力し、「ログイン」をクリックする$"
)]
async fn master_wrong_login(w: &mut KitWorld, pw: String) -> Result<()> {
    let (id, _) = w.master_credentials()?;
    log_in(w, &id, &pw).await
}

#[when(
    regex = r"^パスワード変更画面で現在のパスワードと、新パスワード「([^」]+)」、新パスワード（確認）「([^」]+)」を入力し、「変更」をクリックする$"
)]
async fn change(w: &mut KitWorld, new: String, confirm: String) -> Result<()> {
    let id = match w.portal.browser_user.clone() {
        Some(id) => id,
        None => w.master_credentials()?.0,
    };
    let old = w.portal.password_of(&id)?;
    let c = chromium(w).await?;
    c.type_into("現在のパスワード", &old).await?;
    c.type_into("新パスワード", &new).await?;
    c.type_into("新パスワード（確認）", &confirm).await?;
    c.click("変更").await?;
    let s = seen(w).await?;
    if s.text.contains("更新しました") {
        w.portal.passwords.insert(id, new);
    }
    Ok(())
}

/// Observes: browser — the portal screen (the mock server's HTML) as Chromium rendered it
#[then(regex = r"^ブラウザに「([^」]+)」画面が表示される$")]
async fn screen_is(w: &mut KitWorld, title: String) -> Result<()> {
    let s = seen(w).await?;
    ensure!(
        s.title == title,
        "表示されているのは「{}」画面です（{}）\n{}",
        s.title,
        s.url,
        s.text
    );
    Ok(())
}

/// Observes: browser — the text of the page Chromium shows (the portal's screen, or the
/// browser's own error page)
#[then(regex = r"^ブラウザに「(.+)」と表示される$")]
async fn text_shown(w: &mut KitWorld, text: String) -> Result<()> {
    let s = seen(w).await?;
    ensure!(
        s.text.contains(&text) || s.title.contains(&text),
        "「{text}」は表示されていません（{}）\n{}",
        s.url,
        s.text
    );
    Ok(())
}

/// Observes: browser — Chromium's own error page: no portal page, an `ERR_…` code (alone,
/// ERR_BAD_SSL_CLIENT_AUTH_CERT; through the terminal's line under load it can also be
/// ERR_SOCKET_NOT_CONNECTED, so the step asks for an error, not one code)
#[then(regex = r"^ブラウザにはページが表示されず、接続のエラーが表示される$")]
async fn error_page(w: &mut KitWorld) -> Result<()> {
    let s = seen(w).await?;
    ensure!(
        s.text.contains("ERR_") && !s.text.contains("オンライン資格確認等システム"),
        "エラーではなくページが表示されています（{}）\n{}",
        s.url,
        s.text
    );
    Ok(())
}

/// Observes: browser — the option the 環境設定 screen shows chosen, as Chromium renders it
#[then(regex = r"^ブラウザの画面で「([^」]+)」は「([^」]+)」である$")]
async fn chosen(w: &mut KitWorld, label: String, value: String) -> Result<()> {
    seen(w).await?;
    let shown = chromium(w).await?.chosen(&label).await?;
    ensure!(shown == value, "「{label}」は「{shown}」です");
    Ok(())
}

/// Observes: browser — the アカウント管理 list as Chromium shows it
#[then(regex = r"^ブラウザのアカウント一覧にユーザID「([^」]+)」が「([^」]+)」として表示される$")]
async fn listed(w: &mut KitWorld, id: String, kind: String) -> Result<()> {
    seen(w).await?;
    let rows = chromium(w).await?.rows("table.accounts").await?;
    ensure!(
        rows.iter()
            .any(|r| r.first() == Some(&id) && r.get(2) == Some(&kind)),
        "アカウント一覧: {rows:?}"
    );
    Ok(())
}

/// Observes: browser — the text of the page Chromium shows
#[then(regex = r"^ブラウザに「(.+)」とは表示されない$")]
async fn text_not_shown(w: &mut KitWorld, text: String) -> Result<()> {
    let s = seen(w).await?;
    ensure!(
        !s.text.contains(&text),
        "「{text}」が表示されています（{}）",
        s.url
    );
    Ok(())
}

#[when(
    regex = r"^ログイン画面で(一般アカウント|管理アカウント)「([^」]+)」のユーザIDとパスワードを入力し、「ログイン」をクリックする$"
)]
async fn account_login(w: &mut KitWorld, who: String, user: String) -> Result<()> {
    let (id, pw) = credentials(w, &who, user).await?;
    log_in(w, &id, &pw).await
}

#[when(
    regex = r"^検索条件に照会する人の保険者番号、記号、番号、枝番、生年月日を入力し、「検索」をクリックする$"
)]
async fn search_insured(w: &mut KitWorld) -> Result<()> {
    // what the person reads off the 資格確認書 or 処方箋
    let q = w.portal.search.clone().context("照会する人がいません")?;
    let c = chromium(w).await?;
    c.type_into("保険者番号", q.insurer_number.trim()).await?;
    c.type_into("記号", &q.insured_card_symbol).await?;
    c.type_into("番号", &q.insured_identification_number)
        .await?;
    c.type_into("枝番", &q.insured_branch_number).await?;
    c.type_into("生年月日", &q.birthdate).await?;
    c.click("検索").await?;
    seen(w).await.map(drop)
}

/// How long a screen that reloads itself while it waits for the reader may take to show the
/// answer.
const READER_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Observes: browser — 資格情報確認 as Chromium shows it (the server's answer to the lookup,
/// or to the reader's card check, which the waiting screen reloads itself to show)
#[then(regex = r"^ブラウザの資格情報確認で資格有効性は「([^」]+)」、資格情報は(\d+)件である$")]
async fn qualification_shown(w: &mut KitWorld, validity: String, n: usize) -> Result<()> {
    let deadline = tokio::time::Instant::now() + READER_WAIT;
    let mut s = seen(w).await?;
    while s.title != "資格情報確認" && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        s = seen(w).await?;
    }
    ensure!(s.title == "資格情報確認", "{}\n{}", s.title, s.text);
    let c = chromium(w).await?;
    let shown = c.text_of("span.validity").await?;
    ensure!(shown == validity, "資格有効性は「{shown}」です");
    let rows = c.rows("table.qualification").await?;
    ensure!(rows.len() == n, "資格情報は{}件です: {rows:?}", rows.len());
    Ok(())
}
