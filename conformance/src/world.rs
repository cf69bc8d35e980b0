//! The cucumber World of the kit. It owns one simulated World (built in the runner's `before`
//! hook with the scenario's own seed), one fake terminal, and what the person at the terminal
//! last saw. Helpers here do the multi-step chores scenarios take for granted (e.g. "logged in
//! as the admin account"), always through the same web API a person's browser uses.
//!
//! What belongs to one area lives in that area's scene, defined next to the area's steps:
//! [`CertificateScene`] (operation 6), [`PortalScene`] (the browser at the portal),
//! [`LinkageScene`] (the linkage app and the HIS's files), [`DistroScene`] (the distribution
//! app) and [`ReaderScene`] (card readers). What every area shares stays on [`KitWorld`].

use crate::steps::certificate::CertificateScene;
use crate::steps::distro::DistroScene;
use crate::steps::linkage::LinkageScene;
use crate::steps::portal::PortalScene;
use crate::steps::reader::ReaderScene;
use anyhow::{Context, Result, anyhow, bail};
use oqs_proto::account::AccountKind;
use oqs_proto::api::{IssuedAccount, LoginRequest, LoginResponse, NewAccount, PasswordChange};
use oqs_proto::institution::{InstitutionCode, InstitutionKind};
use oqs_sim::qualification::registry::SiteSpec;
use oqs_sim::windows::FakeTerminal;
use oqs_sim::windows::edge::{ApiFailure, Edge};
use oqs_sim::{PORTAL_URL, World};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

#[derive(cucumber::World)]
#[world(init = Self::empty)]
pub struct KitWorld {
    /// This scenario's seed (printed on failure).
    pub seed: u64,
    pub(crate) sim: Option<World>,
    terminal: Option<Arc<FakeTerminal>>,
    /// The institution of the terminal's certificate.
    pub code: Option<InstitutionCode>,
    /// What the screen shows now: page text, a dialog, or an error message.
    pub screen: String,
    /// The other terminals of the site, for audits of several terminals together.
    pub site_peers: Vec<String>,
    /// Who drives the card readers (the kit's driver, or the target's program).
    pub driver_role: crate::target::driver::ReaderDriver,
    /// Who plays the receipt computer (the kit, or the target's HIS).
    pub his: crate::target::his::ReceiptComputer,
    /// The certificate file, the import wizard and the last import (operation 6).
    pub certificate: CertificateScene,
    /// The browser at the portal: shortcut, visit, login, accounts, passwords, settings,
    /// lookups (operations 7–9, パスワードについて, 12 in part).
    pub portal: PortalScene,
    /// The linkage app and the HIS's request/result files (operations 5 and 12 \[C\]).
    pub linkage: LinkageScene,
    /// The distribution app's restarts and notices (000 op 11; 001 step 13; 002–004).
    pub distro: DistroScene,
    /// Readers, cards and the driver of a reader scenario (operation 12, 03–07).
    pub reader: Option<ReaderScene>,
    /// The real browser of a `@browser` scenario, started at its first action.
    #[cfg(feature = "browser")]
    pub chromium: Option<crate::browser::Chromium>,
}

impl std::fmt::Debug for KitWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KitWorld")
            .field("seed", &self.seed)
            .field("code", &self.code)
            .field("session", &self.portal.session.as_ref().map(|s| &s.user_id))
            .field("screen", &self.screen)
            .finish_non_exhaustive()
    }
}

pub fn api_url(path: &str) -> String {
    format!(
        "https://{}/web/api/{path}",
        oqs_sim::names::hosts::QUALIFICATION
    )
}

impl KitWorld {
    fn empty() -> Self {
        Self {
            seed: 0,
            sim: None,
            terminal: None,
            code: None,
            screen: String::new(),
            site_peers: Vec::new(),
            driver_role: Default::default(),
            his: Default::default(),
            certificate: CertificateScene::default(),
            portal: PortalScene::default(),
            linkage: LinkageScene::default(),
            distro: DistroScene::default(),
            reader: None,
            #[cfg(feature = "browser")]
            chromium: None,
        }
    }

    /// Builds the simulated World of this scenario (called by the runner before each scenario).
    pub fn start(&mut self, seed: u64) -> Result<()> {
        self.seed = seed;
        // which component plays each role is chosen here, once
        self.his = crate::target::his::ReceiptComputer::of_run();
        self.driver_role = crate::target::driver::ReaderDriver::of_run();
        // The default clinic only; a step that needs another site registers it (`ensure_site`).
        let world = World::builder().seed(seed).build()?;
        self.sim = Some(world);
        Ok(())
    }

    pub fn sim(&self) -> &World {
        self.sim
            .as_ref()
            .expect("the runner builds the World before each scenario")
    }

    pub fn terminal(&self) -> Result<&Arc<FakeTerminal>> {
        self.terminal
            .as_ref()
            .context("シナリオに資格確認端末がありません (add 「資格確認端末「…」がある」)")
    }

    pub fn open_terminal(&mut self, name: &str) -> Result<()> {
        self.terminal = Some(Arc::new(self.sim().terminal(name)?));
        Ok(())
    }

    /// Uses a terminal set up elsewhere (e.g. `oqs_sim::provision`).
    pub fn set_terminal(&mut self, t: FakeTerminal) {
        self.terminal = Some(Arc::new(t));
    }

    pub fn edge(&self) -> Result<Edge> {
        Ok(Edge::new(self.terminal()?.clone()))
    }

    pub fn code(&self) -> Result<InstitutionCode> {
        self.code
            .clone()
            .context("端末に電子証明書の医療機関コードがありません")
    }

    /// Registers a site in the qualification server unless it exists.
    pub fn ensure_site(&self, code: &InstitutionCode, kind: InstitutionKind, emergency: bool) {
        let now = oqs_host::Clock::now(self.sim().clock());
        self.sim().registry().ensure_site(
            SiteSpec {
                code: code.clone(),
                name: format!("テスト{}", kind.label()),
                kind,
                emergency_authorized: emergency,
            },
            now,
        );
    }

    /// The master account ID and password of the usage application letter.
    pub fn master_credentials(&self) -> Result<(String, String)> {
        let code = self.code()?;
        let known = self.sim().with_site(&code, |s| {
            (
                s.master_id.clone(),
                s.current_password(&s.master_id)
                    .unwrap_or_default()
                    .to_owned(),
            )
        });
        let (id, letter_pw) =
            known.with_context(|| format!("医療機関コード「{code}」は利用登録されていません"))?;
        let pw = self.portal.passwords.get(&id).cloned().unwrap_or(letter_pw);
        Ok((id, pw))
    }

    pub fn master_reset_secret(&self) -> Result<(String, String)> {
        let code = self.code()?;
        self.sim()
            .with_site(&code, |s| {
                (
                    oqs_proto::account::reset_id_of(&s.master_id),
                    s.secret_number.clone(),
                )
            })
            .context("site not registered")
    }

    /// Calls the web API as the current browser session.
    pub async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<R, ApiFailure> {
        let edge = self
            .edge()
            .map_err(|e| ApiFailure::Garbled(e.to_string()))?;
        let session = self.portal.session.as_ref().map(|s| s.session.clone());
        edge.api(method, &api_url(path), session.as_deref(), body)
            .await
    }

    /// Shows a failure on the screen and keeps it.
    pub fn show_failure(&mut self, f: &ApiFailure) {
        self.screen = match f.refusal() {
            Some(e) => std::iter::once(e.message.clone())
                .chain(e.details.iter().cloned())
                .collect::<Vec<_>>()
                .join("\n"),
            None => f.to_string(),
        };
    }

    /// ログイン: the browser session becomes this account's.
    pub async fn login(
        &mut self,
        user_id: &str,
        password: &str,
    ) -> Result<LoginResponse, ApiFailure> {
        let body = LoginRequest {
            user_id: user_id.into(),
            password: password.into(),
        };
        match self
            .call::<_, LoginResponse>("POST", "login", Some(&body))
            .await
        {
            Ok(r) => {
                self.screen = match r.password_change_required {
                    Some(reason) => format!("パスワード変更\n{}", reason.message()),
                    None => "メニュー".into(),
                };
                self.portal.session = Some(r.clone());
                Ok(r)
            }
            Err(e) => {
                self.show_failure(&e);
                self.portal.session = None;
                Err(e)
            }
        }
    }

    /// パスワード変更 for the current session.
    pub async fn change_password(&mut self, new: &str, confirm: &str) -> Result<(), ApiFailure> {
        let user = self
            .portal
            .session
            .as_ref()
            .map(|s| s.user_id.clone())
            .unwrap_or_default();
        let old = self
            .portal
            .passwords
            .get(&user)
            .cloned()
            .unwrap_or_default();
        let body = PasswordChange {
            old_password: old,
            new_password: new.into(),
            new_password_confirm: confirm.into(),
        };
        self.portal.before_change = Some(body.old_password.clone());
        self.portal.attempted = Some(new.to_owned());
        let r = self
            .call::<_, serde_json::Value>("POST", "password", Some(&body))
            .await;
        match &r {
            Ok(_) => {
                self.portal.passwords.insert(user, new.into());
                if let Some(s) = self.portal.session.as_mut() {
                    s.password_change_required = None;
                }
                self.screen = "更新しました。".into();
            }
            Err(e) => self.show_failure(e),
        }
        self.portal.last_change = Some(r.clone().map(|_| ()));
        r.map(|_| ())
    }

    /// Logs in as the master account of the letter (or its changed password).
    pub async fn login_master(&mut self) -> Result<()> {
        let (id, pw) = self.master_credentials()?;
        self.portal
            .passwords
            .entry(id.clone())
            .or_insert(pw.clone());
        self.login(&id, &pw)
            .await
            .map_err(|e| anyhow!("master login failed: {e}"))?;
        Ok(())
    }

    /// Makes sure an account exists with a password the scenario knows, registering it as the
    /// master account and changing its initial password on first login, as a person would.
    /// Leaves the browser logged out.
    pub async fn ensure_account(&mut self, kind: AccountKind, user_id: &str) -> Result<String> {
        if kind == AccountKind::Master {
            return Ok(self.master_credentials()?.1);
        }
        if let Some(pw) = self.portal.passwords.get(user_id) {
            return Ok(pw.clone());
        }
        self.login_master().await?;
        let issued: IssuedAccount = self
            .call(
                "POST",
                "accounts",
                Some(&NewAccount {
                    kind,
                    user_id: user_id.into(),
                    user_name: format!("{}{user_id}", kind.label()),
                    user_name_kana: String::new(),
                }),
            )
            .await
            .map_err(|e| anyhow!("registering {user_id}: {e}"))?;
        self.portal
            .passwords
            .insert(user_id.into(), issued.initial_password.clone());
        self.login(user_id, &issued.initial_password)
            .await
            .map_err(|e| anyhow!("first login of {user_id}: {e}"))?;
        let pw = format!("Kit#9a{user_id}");
        self.change_password(&pw, &pw)
            .await
            .map_err(|e| anyhow!("first change of {user_id}: {e}"))?;
        self.portal.session = None;
        Ok(pw)
    }

    /// Logged in as `user_id` (made if needed), ready to use the menu.
    pub async fn login_as(&mut self, kind: AccountKind, user_id: &str) -> Result<()> {
        let pw = self.ensure_account(kind, user_id).await?;
        let r = self
            .login(user_id, &pw)
            .await
            .map_err(|e| anyhow!("login of {user_id}: {e}"))?;
        if let Some(reason) = r.password_change_required {
            bail!(
                "{user_id} must change its password first: {}",
                reason.message()
            );
        }
        Ok(())
    }

    /// Opens a URL in Edge and shows what it shows.
    pub async fn browse(&mut self, url: &str) -> Result<()> {
        self.portal.rejections_seen = self.sim().qualification().await?.rejections().len();
        let v = self.edge()?.open(url).await;
        self.screen = match &v.outcome {
            Ok(p) => p.body.clone(),
            Err(e) => e.to_string(),
        };
        self.portal.visit = Some(v);
        Ok(())
    }

    /// What a person needs beside a failed step: the World's seed, the screen, the linkage
    /// app's last log lines and the simulated services' logs (kept with the report).
    pub fn failure_context(&self) -> String {
        let mut out = format!("World seed: {}\n", self.seed);
        if !self.screen.is_empty() {
            out.push_str(&format!("画面:\n  {}\n", self.screen.replace('\n', "\n  ")));
        }
        if let Some(app) = &self.linkage.app {
            let log = app.log();
            let tail = &log[log.len().saturating_sub(30)..];
            out.push_str(&format!(
                "連携アプリケーションのログ（最後の{}行）:\n",
                tail.len()
            ));
            for l in tail {
                out.push_str(&format!("  {l}\n"));
            }
        }
        if let Some(sim) = &self.sim {
            out.push_str(&sim.service_log());
        }
        out
    }

    pub fn portal_url() -> &'static str {
        PORTAL_URL
    }
}
