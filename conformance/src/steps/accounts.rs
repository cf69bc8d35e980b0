//! Operation 8: アカウントを作成する — which account belongs where, registration by the master
//! and admin accounts, ID rules, and password expiry per kind.

use crate::KitWorld;
use anyhow::{Context, Result, anyhow, ensure};
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use oqs_proto::account::AccountKind;
use oqs_proto::api::{AccountSummary, IssuedAccount, NewAccount};

fn kind(label: &str) -> Result<AccountKind> {
    AccountKind::from_label(label)
        .with_context(|| format!("アカウントの種類「{label}」は知りません"))
}

/// Observes: simulator — the kit's own table of which unit each account kind belongs to
/// (oqs-proto), against the manual's table in the feature: a check of the kit's data, which
/// runs no component
#[then(regex = r"^アカウントは以下の単位で作成する$")]
async fn belongs(_w: &mut KitWorld, step: &Step) -> Result<()> {
    let table = step.table.as_ref().context("表がありません")?;
    for row in &table.rows {
        let got = kind(&row[0])?.belongs().label();
        ensure!(got == row[1], "{}は{got}です", row[0]);
    }
    Ok(())
}

#[given(regex = r"^マスタアカウントでログインしている$")]
async fn master(w: &mut KitWorld) -> Result<()> {
    w.login_master().await?;
    ensure!(
        w.portal
            .session
            .as_ref()
            .is_some_and(|s| s.password_change_required.is_none()),
        "マスタアカウントはパスワード変更を求められています"
    );
    Ok(())
}

#[given(regex = r"^管理アカウント「([^」]+)」でログインしている$")]
async fn admin(w: &mut KitWorld, id: String) -> Result<()> {
    w.login_as(AccountKind::Admin, &id).await
}

#[given(regex = r"^一般アカウント「([^」]+)」でログインしている$")]
async fn general(w: &mut KitWorld, id: String) -> Result<()> {
    w.login_as(AccountKind::General, &id).await
}

async fn register(w: &mut KitWorld, k: AccountKind, id: &str, name: &str) -> Result<()> {
    let body = NewAccount {
        kind: k,
        user_id: id.into(),
        user_name: name.into(),
        user_name_kana: String::new(),
    };
    match w
        .call::<_, IssuedAccount>("POST", "accounts", Some(&body))
        .await
    {
        Ok(i) => {
            w.screen = format!(
                "登録しました。\nユーザID {}\n初期パスワード {}",
                i.user_id, i.initial_password
            );
            w.portal
                .passwords
                .insert(i.user_id.clone(), i.initial_password.clone());
            w.portal.last_issued = Some(i);
        }
        Err(e) => {
            w.show_failure(&e);
            w.portal.last_issued = None;
        }
    }
    Ok(())
}

#[when(
    regex = r"^アカウント管理（登録）で権限区分「([^」]+)」、ユーザID「([^」]+)」、ユーザ名「([^」]+)」を登録する$"
)]
async fn register_by_class(
    w: &mut KitWorld,
    class: String,
    id: String,
    name: String,
) -> Result<()> {
    register(w, kind(&class)?, &id, &name).await
}

#[given(
    regex = r"^アカウント管理（登録）で「([^」]+)」、ユーザID「([^」]+)」、ユーザ名「([^」]+)」を登録する$"
)]
#[when(
    regex = r"^アカウント管理（登録）で「([^」]+)」、ユーザID「([^」]+)」、ユーザ名「([^」]+)」を登録する$"
)]
async fn register_kind(w: &mut KitWorld, k: String, id: String, name: String) -> Result<()> {
    register(w, kind(&k)?, &id, &name).await
}

/// Observes: simulator — the portal's account-registration answer (w.portal.last_issued)
#[then(regex = r"^ユーザID「([^」]+)」と初期パスワードが発行される$")]
async fn issued(w: &mut KitWorld, id: String) -> Result<()> {
    let i = w
        .portal
        .last_issued
        .as_ref()
        .with_context(|| format!("発行されていません: {}", w.screen))?;
    ensure!(i.user_id == id);
    ensure!(
        oqs_proto::password::check(&i.initial_password, &[]).is_ok(),
        "初期パスワードが条件を満たしません"
    );
    Ok(())
}

/// Observes: simulator — the portal's account-registration answer (w.portal.last_issued)
#[then(regex = r"^登録は受け付けられる$")]
async fn accepted(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.portal.last_issued.is_some(),
        "拒否されました: {}",
        w.screen
    );
    Ok(())
}

/// Observes: simulator — the portal's registration refusal, as put in w.screen
#[then(regex = r"^登録は「([^」]+)」で始まる8桁のため拒否される$")]
async fn refused_prefix(w: &mut KitWorld, prefix: String) -> Result<()> {
    ensure!(w.portal.last_issued.is_none(), "登録されてしまいました");
    ensure!(
        w.screen.contains(&format!("「{prefix}」で始まる8桁")),
        "{}",
        w.screen
    );
    Ok(())
}

#[when(regex = r"^発行された初期パスワードでユーザID「([^」]+)」にログインする$")]
async fn login_initial(w: &mut KitWorld, id: String) -> Result<()> {
    let pw = w.portal.password_of(&id)?;
    let _ = w.login(&id, &pw).await;
    Ok(())
}

async fn list(w: &KitWorld) -> Result<Vec<AccountSummary>> {
    w.call::<(), _>("GET", "accounts", None)
        .await
        .map_err(|e| anyhow!("{e}"))
}

/// Observes: simulator — the portal's account list (GET accounts)
#[then(regex = r"^アカウント一覧にユーザID「([^」]+)」が「([^」]+)」として表示される$")]
async fn listed(w: &mut KitWorld, id: String, k: String) -> Result<()> {
    let k = kind(&k)?;
    let all = list(w).await?;
    ensure!(
        all.iter().any(|a| a.user_id == id && a.kind == k),
        "{all:?}"
    );
    Ok(())
}

/// Observes: simulator — the portal's account list (GET accounts)
#[then(regex = r"^アカウント一覧のユーザID「([^」]+)」のユーザ名は「([^」]+)」のままである$")]
async fn name_kept(w: &mut KitWorld, id: String, name: String) -> Result<()> {
    let all = list(w).await?;
    let a = all
        .iter()
        .find(|a| a.user_id == id)
        .context("一覧にありません")?;
    ensure!(a.user_name == name, "ユーザ名は「{}」です", a.user_name);
    Ok(())
}

#[given(regex = r"^「([^」]+)」ユーザID「([^」]+)」のパスワードを「([^」]+)」に変更してある$")]
async fn set_password_of(w: &mut KitWorld, k: String, id: String, pw: String) -> Result<()> {
    let current = w.ensure_account(kind(&k)?, &id).await?;
    w.login(&id, &current).await.map_err(|e| anyhow!("{e}"))?;
    w.change_password(&pw, &pw)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    w.portal.session = None;
    Ok(())
}

#[when(regex = r"^(\d+)日後にユーザID「([^」]+)」がパスワード「([^」]+)」でログインする$")]
async fn login_later(w: &mut KitWorld, days: i64, id: String, pw: String) -> Result<()> {
    w.sim().clock().advance(time::Duration::days(days));
    w.login(&id, &pw).await.map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Observes: simulator — the portal's login answer (session, password change flag)
#[then(regex = r"^メニューが表示される$")]
async fn menu(w: &mut KitWorld) -> Result<()> {
    let s = w
        .portal
        .session
        .as_ref()
        .with_context(|| format!("ログインしていません: {}", w.screen))?;
    ensure!(s.password_change_required.is_none(), "{}", w.screen);
    Ok(())
}

/// Observes: simulator — the portal's login answer (session, password change flag)
#[then(regex = r"^パスワードの変更を求められる$")]
async fn must_change(w: &mut KitWorld) -> Result<()> {
    let s = w
        .portal
        .session
        .as_ref()
        .with_context(|| format!("ログインしていません: {}", w.screen))?;
    ensure!(
        s.password_change_required.is_some(),
        "メニューが表示されました"
    );
    Ok(())
}
