//! Operation 7: オンライン資格確認等システムに接続する — the desktop shortcut, the certificate
//! dialog, the master account, and the troubleshooting branches.

use crate::KitWorld;
use anyhow::{Context, Result, anyhow, ensure};
use cucumber::{given, then, when};
use oqs_host::Host;
use oqs_host::files::WinPath;
use oqs_proto::api::{ChangeReason, IssuedAccount, LoginResponse, MasterReset};
use oqs_sim::windows::edge::{ApiFailure, Visit};
use std::collections::HashMap;

/// The person's browser at the portal (オンライン資格確認等システム): the desktop shortcut and
/// the last visit (operation 7), the login, accounts issued (operation 8), passwords
/// (パスワードについて), 環境設定 (operation 9) and a lookup by typed insurance data
/// (operation 12, part).
#[derive(Default)]
pub struct PortalScene {
    /// The 受付番号 the portal gave the last アカウント一括登録 upload \[001\].
    pub bulk_reception: Option<String>,
    /// The desktop shortcut's URL (項目の場所).
    pub shortcut: Option<String>,
    pub visit: Option<Visit>,
    /// How many rejections the qualification server had logged before the last visit.
    pub rejections_seen: usize,
    /// The browser's current login.
    pub session: Option<LoginResponse>,
    /// Who is logged in in the real browser (`@browser`), as the person typed it.
    pub browser_user: Option<String>,
    pub last_issued: Option<IssuedAccount>,
    /// Passwords the scenario knows, by user ID.
    pub passwords: HashMap<String, String>,
    /// The outcome of the last password change, the password before it and the one tried.
    pub last_change: Option<Result<(), ApiFailure>>,
    pub before_change: Option<String>,
    pub attempted: Option<String>,
    pub settings: Option<oqs_proto::settings::EnvironmentSettings>,
    /// The insurance data typed for a lookup, and its result.
    pub search: Option<oqs_proto::qualification::SearchInfo>,
    pub lookup: Option<oqs_proto::qualification::QualificationResult>,
    /// The text of the PDF the person opened last (`@browser`).
    pub opened_pdf: Option<String>,
}

impl PortalScene {
    /// The password the scenario knows for `id` (given, issued, or changed to).
    pub fn password_of(&self, id: &str) -> Result<String> {
        self.passwords
            .get(id)
            .cloned()
            .with_context(|| format!("ユーザID「{id}」のパスワードを知りません"))
    }
}

const DESKTOP: &str = r"C:\Users\OqsComApp\Desktop";

fn shortcut_path(w: &KitWorld) -> Result<std::path::PathBuf> {
    let name = w
        .portal
        .shortcut
        .clone()
        .context("ショートカットがありません")?;
    let p = WinPath::parse(&format!(r"{DESKTOP}\{name}.url"))?;
    Ok(w.terminal()?.files().resolve(&p)?)
}

fn write_shortcut(w: &KitWorld, url: &str) -> Result<()> {
    let path = shortcut_path(w)?;
    std::fs::create_dir_all(path.parent().context("desktop")?)?;
    std::fs::write(&path, format!("[InternetShortcut]\r\nURL={url}\r\n"))?;
    Ok(())
}

#[given(regex = r"^項目の場所に「(.+)」と入力してショートカット「([^」]+)」を作成した$")]
async fn create_shortcut(w: &mut KitWorld, url: String, name: String) -> Result<()> {
    w.portal.shortcut = Some(name);
    write_shortcut(w, &url)
}

#[when(regex = r"^ショートカットのプロパティでURLを「(.+)」に直す$")]
async fn fix_shortcut(w: &mut KitWorld, url: String) -> Result<()> {
    write_shortcut(w, &url)
}

/// The URL the desktop shortcut opens (its `.url` file, as Windows reads it).
pub fn shortcut_url(w: &KitWorld) -> Result<String> {
    let text = std::fs::read_to_string(shortcut_path(w)?)?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix("URL="))
        .context("ショートカットにURLがありません")?
        .to_owned())
}

#[when(regex = r"^作成されたショートカットをダブルクリックする$")]
async fn double_click(w: &mut KitWorld) -> Result<()> {
    let url = shortcut_url(w)?;
    w.browse(&url).await
}

#[when(regex = r"^本番環境「(.+)」を開く$")]
async fn open_url(w: &mut KitWorld, url: String) -> Result<()> {
    w.browse(&url).await
}

/// Observes: simulator — the sim Edge's certificate prompt on the last visit
#[then(regex = r"^認証用の証明書の選択が表示され、発行者「(.+)」の証明書が表示される$")]
async fn dialog_shown(w: &mut KitWorld, issuer: String) -> Result<()> {
    let v = w
        .portal
        .visit
        .as_ref()
        .context("まだページを開いていません")?;
    let shown = v
        .certificate_prompt
        .as_ref()
        .context("認証用の証明書の選択が表示されませんでした")?;
    ensure!(shown.iter().any(|c| c.ends_with(&issuer)), "{shown:?}");
    Ok(())
}

/// Observes: simulator — the sim Edge's certificate prompt on the last visit
#[then(regex = r"^認証用の証明書の選択は表示されない$")]
async fn dialog_not_shown(w: &mut KitWorld) -> Result<()> {
    let v = w
        .portal
        .visit
        .as_ref()
        .context("まだページを開いていません")?;
    ensure!(
        v.certificate_prompt.is_none(),
        "表示されました: {:?}",
        v.certificate_prompt
    );
    Ok(())
}

/// Observes: simulator — the sim Edge's visit outcome and w.screen
#[then(regex = r"^ページは表示されず「(.+)」と表示される$")]
async fn page_failed(w: &mut KitWorld, text: String) -> Result<()> {
    let v = w
        .portal
        .visit
        .as_ref()
        .context("まだページを開いていません")?;
    ensure!(v.outcome.is_err(), "ページが表示されました");
    ensure!(w.screen.contains(&text), "{}", w.screen);
    Ok(())
}

/// Observes: simulator — w.screen from the sim Edge's last visit
#[then(regex = r"^ログイン画面は表示されない$")]
async fn no_login_page(w: &mut KitWorld) -> Result<()> {
    ensure!(!w.screen.contains("システムの利用を始める"), "{}", w.screen);
    Ok(())
}

/// Observes: simulator — the qualification server's rejection log
#[then(regex = r"^オンライン資格確認等システムは「([a-z_]+)」の理由で接続を拒否した$")]
async fn rejected_for(w: &mut KitWorld, code: String) -> Result<()> {
    let server = w.sim().qualification().await?;
    // The server may log a rejection just after the browser read the alert: wait for the entry
    // that follows the ones logged before the visit (the bound only stops a hung run).
    let next = server.rejections().next_after(w.portal.rejections_seen);
    let r = tokio::time::timeout(std::time::Duration::from_secs(30), next)
        .await
        .map_err(|_| anyhow!("オンライン資格確認等システムは接続を拒否していません"))?;
    ensure!(
        r.code() == code,
        "拒否の理由は「{}」でした: {}",
        r.code(),
        r.message()
    );
    Ok(())
}

#[when(regex = r"^利用申請時に入手したマスタアカウントのIDとパスワードでログインする$")]
#[given(regex = r"^利用申請時に入手したマスタアカウントのIDとパスワードでログインする$")]
async fn master_login(w: &mut KitWorld) -> Result<()> {
    let (id, pw) = w.master_credentials()?;
    w.portal.passwords.entry(id.clone()).or_insert(pw.clone());
    let _ = w.login(&id, &pw).await;
    Ok(())
}

/// Observes: simulator — the portal's login answer with the sim's own master credentials
#[then(regex = r"^利用申請時に入手したマスタアカウントのIDとパスワードでログインできる$")]
async fn master_can_login(w: &mut KitWorld) -> Result<()> {
    let (id, pw) = w.master_credentials()?;
    let r = w.login(&id, &pw).await.map_err(|e| anyhow!("{e}"))?;
    ensure!(
        r.password_change_required.is_none(),
        "{:?}",
        r.password_change_required
    );
    Ok(())
}

#[when(regex = r"^マスタアカウントのIDと誤ったパスワード「(.+)」でログインする$")]
async fn master_wrong(w: &mut KitWorld, pw: String) -> Result<()> {
    let (id, _) = w.master_credentials()?;
    ensure!(
        w.login(&id, &pw).await.is_err(),
        "ログインできてしまいました"
    );
    Ok(())
}

#[when(regex = r"^マスタアカウントのIDと誤ったパスワード「(.+)」で(\d+)回続けてログインする$")]
async fn master_wrong_times(w: &mut KitWorld, pw: String, times: u32) -> Result<()> {
    let (id, _) = w.master_credentials()?;
    wrong_times(w, &id, &pw, times).await
}

#[when(regex = r"^ユーザID「([^」]+)」に誤ったパスワード「(.+)」で(\d+)回続けてログインする$")]
async fn user_wrong_times(w: &mut KitWorld, id: String, pw: String, times: u32) -> Result<()> {
    wrong_times(w, &id, &pw, times).await
}

/// A person typing a wrong password `times` times; the screen shows the last answer.
async fn wrong_times(w: &mut KitWorld, id: &str, pw: &str, times: u32) -> Result<()> {
    for _ in 0..times {
        ensure!(w.login(id, pw).await.is_err(), "ログインできてしまいました");
    }
    Ok(())
}

#[when(regex = r"^ユーザID「([^」]+)」に正しいパスワードでログインする$")]
async fn user_right_login(w: &mut KitWorld, id: String) -> Result<()> {
    let pw = w.portal.password_of(&id)?;
    let _ = w.login(&id, &pw).await;
    Ok(())
}

#[when(regex = r"^マスタアカウントでログインし、アカウント管理で「([^」]+)」のロックを解除する$")]
async fn unlock(w: &mut KitWorld, id: String) -> Result<()> {
    w.login_master().await?;
    let body = oqs_proto::api::AccountUnlock { user_id: id };
    match w
        .call::<_, serde_json::Value>("POST", "accounts/unlock", Some(&body))
        .await
    {
        Ok(v) => w.screen = v["result"].as_str().unwrap_or_default().to_owned(),
        Err(e) => w.show_failure(&e),
    }
    Ok(())
}

/// Observes: simulator — the portal session and its settings API answer
#[then(regex = r"^メニューが表示され、オンライン資格確認等システムにログインできた$")]
async fn menu_shown(w: &mut KitWorld) -> Result<()> {
    let s = w.portal.session.as_ref().context("ログインしていません")?;
    ensure!(
        s.password_change_required.is_none(),
        "パスワード変更が必要です"
    );
    // The menu works: the session may read the site's settings.
    let _: oqs_proto::settings::EnvironmentSettings = w
        .call::<(), _>("GET", "settings", None)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

#[given(regex = r"^マスタアカウントで最後にログインしてから(\d+)日が経過した$")]
async fn days_pass(w: &mut KitWorld, days: i64) -> Result<()> {
    w.sim().clock().advance(time::Duration::days(days));
    Ok(())
}

/// Observes: simulator — the portal's login answer and w.screen
#[then(regex = r"^パスワード変更が表示され、「(.+)」と表示される$")]
async fn change_screen(w: &mut KitWorld, text: String) -> Result<()> {
    let s = w.portal.session.as_ref().context("ログインしていません")?;
    ensure!(
        s.password_change_required.is_some(),
        "パスワード変更が表示されていません"
    );
    ensure!(w.screen.contains(&text), "{}", w.screen);
    Ok(())
}

/// Observes: simulator — the portal's refusal of the settings API
#[then(regex = r"^パスワードを変更するまでメニューは表示されない$")]
async fn menu_blocked(w: &mut KitWorld) -> Result<()> {
    let r = w
        .call::<(), oqs_proto::settings::EnvironmentSettings>("GET", "settings", None)
        .await;
    let e = r.err().context("メニューが使えてしまいます")?;
    ensure!(
        e.refusal()
            .is_some_and(|r| r.code == "password_change_required"),
        "{e}"
    );
    Ok(())
}

#[when(
    regex = r"^(?:パスワード変更をクリックし、)?新パスワードと新パスワード（確認）に「(.+)」を入力し、変更をクリックする$"
)]
async fn change_pw(w: &mut KitWorld, new: String) -> Result<()> {
    let _ = w.change_password(&new, &new).await;
    Ok(())
}

/// Observes: simulator — the portal's login answer
#[then(regex = r"^新しいパスワード「(.+)」でマスタアカウントにログインできる$")]
async fn master_new_pw(w: &mut KitWorld, pw: String) -> Result<()> {
    let (id, _) = w.master_credentials()?;
    let r = w.login(&id, &pw).await.map_err(|e| anyhow!("{e}"))?;
    ensure!(r.password_change_required.is_none());
    Ok(())
}

/// Observes: simulator — the portal's login refusal
#[then(regex = r"^古いパスワードではログインできない$")]
async fn old_pw_refused(w: &mut KitWorld) -> Result<()> {
    let (id, _) = w.master_credentials()?;
    let old = w
        .portal
        .before_change
        .clone()
        .context("パスワードを変更していません")?;
    ensure!(
        w.login(&id, &old).await.is_err(),
        "古いパスワードでログインできました"
    );
    Ok(())
}

/// `wrong`: how far from the real 秘密の番号 the person's guess is (0: the right one).
async fn reset(w: &mut KitWorld, wrong: u32) -> Result<()> {
    let (reset_id, mut secret) = w.master_reset_secret()?;
    if wrong > 0 {
        let n: u32 = secret.parse()?;
        secret = format!("{:04}", (n + wrong) % 10_000);
    }
    let body = MasterReset {
        reset_id,
        secret_number: secret,
    };
    match w
        .call::<_, IssuedAccount>("POST", "master-reset", Some(&body))
        .await
    {
        Ok(i) => {
            w.screen = format!(
                "パスワード初期化\nユーザID {}\nパスワード {}",
                i.user_id, i.initial_password
            );
            w.portal.last_issued = Some(i);
        }
        Err(e) => w.show_failure(&e),
    }
    Ok(())
}

#[when(regex = r"^マスタアカウントリセット用IDと秘密の番号でパスワード初期化をクリックする$")]
async fn reset_master(w: &mut KitWorld) -> Result<()> {
    reset(w, 0).await
}

#[when(
    regex = r"^マスタアカウントリセット用IDと誤った秘密の番号で(\d+)回続けてパスワード初期化をクリックする$"
)]
async fn reset_master_wrong_times(w: &mut KitWorld, times: u32) -> Result<()> {
    for i in 1..=times {
        reset(w, i).await?;
    }
    Ok(())
}

#[when(regex = r"^ヘルプデスクがマスタアカウントリセット用IDのロックを解除する$")]
async fn help_desk_unlock(w: &mut KitWorld) -> Result<()> {
    let code = w.code()?;
    ensure!(
        w.sim().registry().help_desk_unlock_reset(&code),
        "医療機関コード「{code}」は利用登録されていません"
    );
    Ok(())
}

#[when(regex = r"^マスタアカウントリセット用IDと誤った秘密の番号でパスワード初期化をクリックする$")]
async fn reset_master_wrong(w: &mut KitWorld) -> Result<()> {
    reset(w, 1).await
}

/// Observes: simulator — the portal's master-reset answer against the sim registry
#[then(regex = r"^新しいパスワードが発行される$")]
async fn new_pw_issued(w: &mut KitWorld) -> Result<()> {
    let i = w
        .portal
        .last_issued
        .as_ref()
        .context("発行されていません")?;
    let (id, _) = w.master_credentials()?;
    ensure!(i.user_id == id, "{} != {id}", i.user_id);
    Ok(())
}

#[when(regex = r"^発行されたパスワードでマスタアカウントにログインする$")]
async fn login_issued(w: &mut KitWorld) -> Result<()> {
    let i = w.portal.last_issued.clone().context("発行されていません")?;
    w.portal
        .passwords
        .insert(i.user_id.clone(), i.initial_password.clone());
    let r = w
        .login(&i.user_id, &i.initial_password)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    ensure!(r.password_change_required == Some(ChangeReason::InitialPassword));
    Ok(())
}
