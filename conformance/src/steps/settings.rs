//! Operation 9: 環境設定 — character code and the service flags; admin only.

use crate::KitWorld;
use anyhow::{Context, Result, anyhow, ensure};
use cucumber::{then, when};
use oqs_proto::account::AccountKind;
use oqs_proto::settings::{CharacterCode, EnvironmentSettings, Service, SettingsChange, Usage};

async fn current(w: &KitWorld) -> Result<EnvironmentSettings> {
    w.call::<(), _>("GET", "settings", None)
        .await
        .map_err(|e| anyhow!("{e}"))
}

async fn change(w: &mut KitWorld, c: SettingsChange) -> Result<()> {
    match w
        .call::<_, EnvironmentSettings>("PUT", "settings", Some(&c))
        .await
    {
        Ok(s) => {
            w.screen = "設定しました。".into();
            w.portal.settings = Some(s);
        }
        Err(e) => w.show_failure(&e),
    }
    Ok(())
}

#[when(regex = r"^環境設定を開く$")]
async fn open(w: &mut KitWorld) -> Result<()> {
    w.portal.settings = Some(current(w).await?);
    Ok(())
}

/// Observes: simulator — the portal's environment settings (GET settings)
#[then(regex = r"^文字コードは「([^」]+)」である$")]
async fn code_is(w: &mut KitWorld, want: String) -> Result<()> {
    let s = current(w).await?;
    ensure!(
        s.character_code.label() == want,
        "文字コードは「{}」です",
        s.character_code.label()
    );
    Ok(())
}

/// Observes: simulator — the portal's environment settings (GET settings)
#[then(regex = r"^「(.+)」は「(利用する|利用しない)」である$")]
async fn usage_is(w: &mut KitWorld, service: String, want: String) -> Result<()> {
    let svc = Service::from_label(&service)
        .with_context(|| format!("「{service}」という設定はありません"))?;
    let s = current(w).await?;
    ensure!(
        s.usage(svc).label() == want,
        "「{service}」は「{}」です",
        s.usage(svc).label()
    );
    Ok(())
}

#[when(regex = r"^文字コードを「([^」]+)」に変更する$")]
async fn set_code(w: &mut KitWorld, code: String) -> Result<()> {
    let c = CharacterCode::from_label(&code)
        .with_context(|| format!("文字コード「{code}」はありません"))?;
    change(
        w,
        SettingsChange {
            character_code: Some(c),
            ..Default::default()
        },
    )
    .await
}

#[when(regex = r"^「(.+)」を「(利用する|利用しない)」に変更する$")]
async fn set_usage(w: &mut KitWorld, service: String, usage: String) -> Result<()> {
    let svc = Service::from_label(&service)
        .with_context(|| format!("「{service}」という設定はありません"))?;
    let u = Usage::from_label(&usage).context("usage")?;
    change(
        w,
        SettingsChange {
            character_code: None,
            services: [(svc, u)].into(),
        },
    )
    .await
}

/// Observes: simulator — the portal's environment settings, as the admin account
#[then(regex = r"^管理アカウントで見ると文字コードは「([^」]+)」のままである$")]
async fn admin_sees(w: &mut KitWorld, want: String) -> Result<()> {
    w.login_as(AccountKind::Admin, "OnsKANRI").await?;
    code_is(w, want).await
}
