//! パスワードについて: the password rules, end to end through the web API.

use super::jst_date;
use crate::KitWorld;
use anyhow::{Context, Result, anyhow, bail, ensure};
use cucumber::{given, then, when};
use oqs_host::Clock;
use oqs_proto::account::AccountKind;

async fn login_general(w: &mut KitWorld, id: &str) -> Result<()> {
    let pw = w.ensure_account(AccountKind::General, id).await?;
    let r = w.login(id, &pw).await.map_err(|e| anyhow!("{e}"))?;
    ensure!(r.password_change_required.is_none(), "{}", w.screen);
    Ok(())
}

#[given(regex = r"^一般アカウント「([^」]+)」のパスワードが「([^」]+)」である$")]
async fn password_is(w: &mut KitWorld, id: String, pw: String) -> Result<()> {
    login_general(w, &id).await?;
    if w.portal.passwords.get(&id) != Some(&pw) {
        w.change_password(&pw, &pw)
            .await
            .map_err(|e| anyhow!("{e}"))?;
    }
    w.portal.session = None;
    Ok(())
}

#[when(regex = r"^一般アカウント「([^」]+)」のパスワードを「(.+)」に変更する$")]
async fn change_to(w: &mut KitWorld, id: String, pw: String) -> Result<()> {
    login_general(w, &id).await?;
    let _ = w.change_password(&pw, &pw).await;
    Ok(())
}

#[when(
    regex = r"^一般アカウント「([^」]+)」の新パスワードに「(.+)」、新パスワード（確認）に「(.+)」を入力し、変更をクリックする$"
)]
async fn change_mismatch(w: &mut KitWorld, id: String, new: String, confirm: String) -> Result<()> {
    login_general(w, &id).await?;
    let _ = w.change_password(&new, &confirm).await;
    Ok(())
}

#[given(regex = r"^一般アカウント「([^」]+)」のパスワードを順に((?:「[^」]+」)+)に変更してある$")]
async fn changed_in_order(w: &mut KitWorld, id: String, list: String) -> Result<()> {
    for pw in list.split(['「', '」']).filter(|s| !s.is_empty()) {
        login_general(w, &id).await?;
        w.change_password(pw, pw)
            .await
            .map_err(|e| anyhow!("「{pw}」: {e}"))?;
    }
    w.portal.session = None;
    Ok(())
}

/// Observes: simulator — the portal's password-change answer (w.portal.last_change)
#[then(regex = r"^変更は受け付けられる$")]
async fn accepted(w: &mut KitWorld) -> Result<()> {
    match &w.portal.last_change {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => bail!("拒否されました: {e}"),
        None => bail!("パスワードを変更していません"),
    }
}

/// Observes: simulator — the portal's password-change refusal and its w.screen text
#[then(regex = r"^変更は「(.+)」のため拒否される$")]
async fn refused(w: &mut KitWorld, why: String) -> Result<()> {
    ensure!(
        matches!(w.portal.last_change, Some(Err(_))),
        "受け付けられました"
    );
    ensure!(
        w.screen.contains(&why),
        "理由に「{why}」がありません:\n{}",
        w.screen
    );
    Ok(())
}

/// Observes: simulator — the portal's login answers for the old and new password
#[then(regex = r"^一般アカウント「([^」]+)」は(新しいパスワード|元のパスワード)でログインできる$")]
async fn can_login_with(w: &mut KitWorld, id: String, which: String) -> Result<()> {
    let before = w.portal.before_change.clone().context("変更していません")?;
    let attempted = w.portal.attempted.clone().context("変更していません")?;
    let (good, bad) = if which == "新しいパスワード" {
        (attempted, before)
    } else {
        (before, attempted)
    };
    w.login(&id, &good)
        .await
        .map_err(|e| anyhow!("「{good}」でログインできません: {e}"))?;
    if good != bad {
        ensure!(
            w.login(&id, &bad).await.is_err(),
            "「{bad}」でもログインできてしまいます"
        );
    }
    Ok(())
}

#[given(
    regex = r"^一般アカウント「([^」]+)」のパスワードを(\d{4}/\d{2}/\d{2})に「([^」]+)」に変更してある$"
)]
async fn changed_on(w: &mut KitWorld, id: String, date: String, pw: String) -> Result<()> {
    login_general(w, &id).await?;
    w.change_password(&pw, &pw)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    w.portal.session = None;
    let at = jst_date(&date)?;
    let now = w.sim().clock().now();
    if at.date() != now.to_offset(oqs_host::clock::JST).date() {
        // A day before the certificates' validity cannot be reached over TLS: arrange the record.
        let code = w.code()?;
        ensure!(
            w.sim().registry().backdate_password(&code, &id, at),
            "{id} がありません"
        );
    }
    Ok(())
}

#[when(
    regex = r"^(\d{4}/\d{2}/\d{2})に一般アカウント「([^」]+)」がパスワード「([^」]+)」でログインする$"
)]
async fn login_on(w: &mut KitWorld, date: String, id: String, pw: String) -> Result<()> {
    let at = jst_date(&date)?;
    let clock = w.sim().clock();
    if at > clock.now() {
        clock.set(at);
    }
    w.login(&id, &pw).await.map_err(|e| anyhow!("{e}"))?;
    Ok(())
}
