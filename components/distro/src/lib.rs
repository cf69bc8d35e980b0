//! The distribution app (配信アプリケーション, OQSDistroApp) and its management tool
//! (オンライン資格確認配信アプリケーション管理ツール) [000 op11; 001 step 13; 002; 003; 004].
//!
//! The service runs when Windows starts it: its task `OQS_exec_distroappstart` fires at a full
//! boot on mains power (not after fast startup's resume, not on battery). Each run asks the
//! server for the next batch, downloads it, and waits for a restart (再起動待ち); the next full
//! boot applies it (new `Version.info`, new versions in Windows' app list). A batch at a time:
//! two or three download → restart rounds until 未適用更新ファイルなし.
//!
//! The buttons are [`DistroApp::connection_check`] (配信サーバーへの接続確認),
//! [`DistroApp::download_now`] (今すぐダウンロード), [`DistroApp::record`] (配信実績の確認),
//! [`DistroApp::save_settings`] (設定の変更) and [`DistroApp::versions`] (アプリバージョン情報).
//! How it reaches its server (WinHTTP's proxy, then mutual TLS) is [`net`].

pub mod net;

use hyper::Method;
use net::{Connection, NetError};
use oqs_host::clock::{JST, parse_rfc3339, rfc3339};
use oqs_host::windows::{InstalledApp, WindowsState};
use oqs_host::{Host, WinPath};
use oqs_proto::distro::{
    App, CheckRequest, CheckResponse, DOWNLOAD_DIR, Package, RECORD_FILE, Record, SETTINGS_FILE,
    STATE_FILE, ServerChoice, Settings, Status, Version, reinstall_below,
};
use serde::{Deserialize, Serialize};
use std::io;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The task that starts the service [000 op11 02].
pub const TASK: &str = "OQS_exec_distroappstart";
/// How often the service asks the server by itself (the task repeats hourly).
const PERIOD: Duration = Duration::hours(1);
/// Installing a batch after its download (アップデート中), on an ordinary day \[K\]: seed 001
/// step 13 says the restart notice comes 「暫く待つと(1分~3分)」 after 今すぐダウンロード.
const INSTALL_TIME: Duration = Duration::minutes(2);
/// The same on a release day, when everything is slower \[K\] (seed 002: download and install
/// take 「20分程度」 in all).
const SLOW_INSTALL_TIME: Duration = Duration::minutes(5);

/// 今すぐダウンロード's answer \[004\].
pub const DOWNLOAD_ACCEPTED: &str = "ダウンロード依頼の受付";
/// 配信サーバーへの接続確認's answers [000 op11 03].
pub const CONNECTED: &str = "接続成功";
pub const NOT_CONNECTED: &str = "接続失敗";

#[derive(Debug, thiserror::Error)]
pub enum DistroError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Settings(String),
    /// The service is not running, so nothing happens and 配信実績 is not written.
    #[error("配信アプリケーションのサービスが動いていません: {0}")]
    NotRunning(String),
}

/// A failed 接続確認: what went wrong and the manual's remedy for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    pub cause: String,
    pub remedy: &'static str,
}

impl std::fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{NOT_CONNECTED}: {} → {}", self.cause, self.remedy)
    }
}

/// What the service keeps between runs \[K\].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    status: Option<Status>,
    institution_code: String,
    /// Downloaded, waiting for a full boot.
    pending: Vec<Package>,
    /// Full boots counted when `pending` was downloaded.
    downloaded_at_full_boot: u32,
    /// A batch the server has not made ready yet (release day), and when it will be.
    waiting_until: Option<String>,
    /// When installing the downloaded batch is done (release day).
    installing_until: Option<String>,
    /// 今すぐダウンロード was pressed since the last run.
    requested: bool,
    /// When the next periodic run is due (再開予定時刻).
    next_run: Option<String>,
    last_error: Option<String>,
}

/// `yyyy/MM/dd HH:mm` in JST, as 再開予定時刻 shows.
fn shown(t: OffsetDateTime) -> String {
    let t = t.to_offset(JST);
    format!(
        "{:04}/{:02}/{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

fn win(p: &str) -> WinPath {
    WinPath::parse(p).expect("the kit's paths are valid")
}

/// The distro app on one terminal.
pub struct DistroApp {
    host: Arc<dyn Host>,
    computer_name: String,
}

impl DistroApp {
    pub fn new(host: Arc<dyn Host>, computer_name: &str) -> Self {
        Self {
            host,
            computer_name: computer_name.to_owned(),
        }
    }

    pub fn settings(&self) -> Result<Settings, DistroError> {
        match self.host.files().read_if_exists(&win(SETTINGS_FILE))? {
            Some(b) => Settings::parse(&String::from_utf8_lossy(&b)).map_err(DistroError::Settings),
            None => Ok(Settings::default()),
        }
    }

    /// 設定の変更 → OK. The advanced fields must stay empty [000 op11 01].
    pub fn save_settings(&self, s: &Settings) -> Result<(), DistroError> {
        if !s.extension_path.is_empty() || !s.developer_code.is_empty() {
            return Err(DistroError::Settings(
                "詳細設定（拡張機能パス・開発者コード）は空欄のままにしてください".into(),
            ));
        }
        self.host
            .files()
            .write_file(&win(SETTINGS_FILE), s.render().as_bytes())?;
        Ok(())
    }

    fn state(&self) -> Result<State, DistroError> {
        match self.host.files().read_if_exists(&win(STATE_FILE))? {
            Some(b) => serde_json::from_slice(&b).map_err(|e| {
                // never start over silently: a pending batch would be lost
                DistroError::Settings(format!(
                    "{STATE_FILE} を読めません（{e}）。ファイルを削除すると配信アプリケーションは最初から確認し直します"
                ))
            }),
            None => Ok(State::default()),
        }
    }

    fn save_state(&self, s: &State) -> Result<(), DistroError> {
        let bytes = serde_json::to_vec_pretty(s).map_err(io::Error::other)?;
        self.host.files().write_file(&win(STATE_FILE), &bytes)?;
        Ok(())
    }

    /// アプリバージョン情報: the versions installed now (apps not installed are left out).
    pub fn versions(&self) -> Result<Vec<(App, Version)>, DistroError> {
        let mut out = Vec::new();
        for app in App::ALL {
            let v = match app.version_info() {
                Some(path) => self
                    .host
                    .files()
                    .read_if_exists(&win(path))?
                    .and_then(|b| oqs_proto::version_info::parse(&b)),
                None => self
                    .host
                    .system()
                    .load()?
                    .apps
                    .iter()
                    .find(|a| a.name.starts_with(oqs_proto::site::FACE_READER_SOFTWARE))
                    .map(|a| a.version.clone()),
            };
            if let Some(v) = v.and_then(|v| v.parse().ok()) {
                out.push((app, v));
            }
        }
        Ok(out)
    }

    /// Whether Windows runs the service now, and if not, why (the manual's 確認観点).
    pub fn service_running(&self) -> Result<Result<(), String>, DistroError> {
        let w = self.host.system().load()?;
        Ok(if w.power.on_battery {
            Err("バッテリー駆動では配信アプリケーションは動作しません。電源ケーブルを接続してください".into())
        } else if w.task(TASK).is_none() {
            Err(format!(
                "タスク「{TASK}」が登録されていません（操作11「02 タスクの登録」）"
            ))
        } else if !w.started_at_boot.iter().any(|t| t == TASK) {
            Err(if w.last_boot_full {
                format!(
                    "タスク「{TASK}」は前回の起動で開始していません（タスクのユーザーとパスワードを確認してください）"
                )
            } else {
                "高速スタートアップの起動ではタスクが開始しません。高速スタートアップを無効にし（操作3）、再起動してください".into()
            })
        } else {
            Ok(())
        })
    }

    /// 配信サーバーへの接続確認 [000 op11 03; 002 ①].
    pub async fn connection_check(
        &self,
    ) -> Result<Result<&'static str, ConnectFailure>, DistroError> {
        let settings = self.settings()?;
        let own = self
            .versions()?
            .into_iter()
            .find(|(a, _)| *a == App::DistroApp)
            .map(|(_, v)| v);
        if settings.server == ServerChoice::Cloud
            && own.as_ref().is_some_and(|v| *v < reinstall_below())
        {
            return Ok(Err(ConnectFailure {
                cause: format!(
                    "配信アプリケーションのバージョン {} は 1.0.4 より前です",
                    own.map(|v| v.to_string()).unwrap_or_default()
                ),
                remedy: "ネットワーク事業者起点・医療機関等起点の構成では、最新の配信アプリケーションを再インストールしてください（操作11）",
            }));
        }
        let host = settings.server.host();
        let result = async {
            let mut c = Connection::open(self.host.clone(), host).await?;
            c.call(Method::GET, "/distro/api/ping", Vec::new()).await
        }
        .await;
        let w = self.host.system().load()?;
        Ok(match result {
            Ok(_) => Ok(CONNECTED),
            Err(e) => Err(ConnectFailure {
                remedy: remedy(&e, &settings, &w),
                cause: e.to_string(),
            }),
        })
    }

    /// 今すぐダウンロード → 「ダウンロード依頼の受付」; the service runs at once.
    pub async fn download_now(&self) -> Result<&'static str, DistroError> {
        let mut s = self.state()?;
        s.requested = true;
        self.save_state(&s)?;
        // the request is accepted even when the service is not running; it then waits
        let _ = self.run().await;
        Ok(DOWNLOAD_ACCEPTED)
    }

    /// The notification 「再起動してください」 while a batch waits for a restart [001 step 13 ③].
    pub fn restart_notice(&self) -> Result<bool, DistroError> {
        Ok(self.state()?.status == Some(Status::RestartPending))
    }

    /// 「確認しました」 or × on that notification: it closes and restarts nothing (the person
    /// restarts from the Start menu) [001 step 13 ※].
    pub fn acknowledge_notice(&self) -> Result<(), DistroError> {
        let s = self.state()?;
        self.save_state(&s)
    }

    /// 配信実績の確認: the text Notepad shows, or `None` when the service never ran (the
    /// こんなときは of op 11: fast startup, the task). Without the certificate the service
    /// runs but reaches no server: 配信実績 then has no institution code and
    /// `Status=サーバー接続待ち`.
    pub fn record(&self) -> Result<Option<String>, DistroError> {
        Ok(self
            .host
            .files()
            .read_if_exists(&win(RECORD_FILE))?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The status 配信実績 shows now.
    pub fn status(&self) -> Result<Option<Status>, DistroError> {
        Ok(self.state()?.status)
    }

    /// One run of the service: apply what a full boot allows, then ask the server and
    /// download. What Windows' task does every hour; 今すぐダウンロード does it now.
    pub async fn run(&self) -> Result<Status, DistroError> {
        self.service_running()?.map_err(DistroError::NotRunning)?;
        let now = self.host.clock().now();
        let w = self.host.system().load()?;
        let mut s = self.state()?;
        let settings = self.settings()?;
        if !s.pending.is_empty() && w.full_boots > s.downloaded_at_full_boot {
            self.apply(&s.pending)?;
            s.pending.clear();
            // the run after a restart asks for the next batch at once
            s.installing_until = None;
            s.waiting_until = None;
            s.next_run = None;
            s.status = Some(Status::WaitingForServer);
        }
        let requested = std::mem::take(&mut s.requested);
        let status = if let Some(until) = s
            .installing_until
            .as_deref()
            .and_then(|t| parse_rfc3339(t).ok())
        {
            if now < until {
                Status::Updating
            } else {
                s.installing_until = None;
                Status::RestartPending
            }
        } else if !s.pending.is_empty() {
            Status::RestartPending
        } else if !settings.auto_update && !requested {
            Status::Stopped
        } else if !requested
            && matches!(s.status, Some(Status::Scheduled { .. }))
            && s.next_run
                .as_deref()
                .and_then(|t| parse_rfc3339(t).ok())
                .is_some_and(|t| now < t)
        {
            // not yet time for the periodic run
            s.status.clone().unwrap_or(Status::WaitingForServer)
        } else {
            let underway = requested || s.status == Some(Status::Downloading);
            match self
                .fetch(&settings, &mut s, now, underway, w.full_boots)
                .await
            {
                Ok(st) => {
                    s.last_error = None;
                    st
                }
                Err(e) => {
                    s.last_error = Some(e.to_string());
                    Status::WaitingForServer
                }
            }
        };
        match &status {
            Status::Scheduled {
                nothing_pending: true,
                ..
            } => s.next_run = Some(rfc3339(now + PERIOD)),
            Status::Scheduled { .. } => s.next_run = s.waiting_until.clone(),
            _ => {}
        }
        s.status = Some(status.clone());
        self.save_state(&s)?;
        self.write_record(&s, &status)?;
        Ok(status)
    }

    async fn fetch(
        &self,
        settings: &Settings,
        s: &mut State,
        now: OffsetDateTime,
        underway: bool,
        full_boots: u32,
    ) -> Result<Status, NetError> {
        let host = settings.server.host();
        let mut c = Connection::open(self.host.clone(), host).await?;
        let q = CheckRequest {
            computer_name: self.computer_name.clone(),
            installed: self.versions().unwrap_or_default(),
        };
        let body = serde_json::to_vec(&q).unwrap_or_default();
        let bytes = c.call(Method::POST, "/distro/api/check", body).await?;
        let answer: CheckResponse = serde_json::from_slice(&bytes).map_err(|e| NetError::Http {
            host: host.into(),
            reason: e.to_string(),
        })?;
        s.institution_code = answer.institution_code.clone();
        if answer.batch.is_empty() {
            s.waiting_until = None;
            return Ok(Status::Scheduled {
                nothing_pending: true,
                resume_at: shown(now + PERIOD),
            });
        }
        if let Some(ready) = answer.ready_at.as_deref() {
            // a download under way (asked for) shows as such; a periodic run that finds a batch
            // not yet ready comes back when it is
            s.waiting_until = Some(ready.to_owned());
            return Ok(if underway {
                Status::Downloading
            } else {
                Status::Scheduled {
                    nothing_pending: false,
                    resume_at: parse_rfc3339(ready).ok().map(shown).unwrap_or_default(),
                }
            });
        }
        let slow_day = s.waiting_until.take().is_some();
        for p in &answer.batch {
            let data = c
                .call(
                    Method::GET,
                    &format!("/distro/api/package/{}/{}", p.app.slug(), p.version),
                    Vec::new(),
                )
                .await?;
            let path = format!("{DOWNLOAD_DIR}\\{}-{}.pkg", p.app.slug(), p.version);
            self.host
                .files()
                .write_file(&win(&path), &data)
                .map_err(|e| NetError::Http {
                    host: host.into(),
                    reason: e.to_string(),
                })?;
        }
        s.pending = answer.batch;
        s.downloaded_at_full_boot = full_boots;
        // downloaded: it installs for a while (アップデート中) before asking for a restart, so
        // 配信実績 shows the change seed 004 tells a person to look for after 今すぐダウンロード
        let takes = if slow_day {
            SLOW_INSTALL_TIME
        } else {
            INSTALL_TIME
        };
        s.installing_until = Some(rfc3339(now + takes));
        Ok(Status::Updating)
    }

    /// A full boot installs the downloaded batch.
    fn apply(&self, batch: &[Package]) -> Result<(), DistroError> {
        let mut w = self.host.system().load()?;
        for p in batch {
            let path = format!("{DOWNLOAD_DIR}\\{}-{}.pkg", p.app.slug(), p.version);
            if self.host.files().read_if_exists(&win(&path))?.is_none() {
                // a download that vanished is fetched again on the next run
                continue;
            }
            if p.app == App::FaceLibrary {
                // the installer lays down the new extensions (and its Version.info)
                for (file, bytes) in oqs_proto::site::face_library_files(&p.version.to_string()) {
                    self.host.files().write_file(&win(&file), &bytes)?;
                }
            }
            if let Some(vi) = p.app.version_info() {
                self.host.files().write_file(
                    &win(vi),
                    &oqs_proto::version_info::render(&p.version.to_string()),
                )?;
            }
            let name = p.app.label();
            match w.apps.iter_mut().find(|a| {
                a.name == name
                    || (p.app == App::ReaderApp
                        && a.name.starts_with(oqs_proto::site::FACE_READER_SOFTWARE))
            }) {
                Some(a) => a.version = p.version.to_string(),
                None => w.apps.push(InstalledApp {
                    name: name.into(),
                    version: p.version.to_string(),
                    installed_by: Some("OQSDistroApp".into()),
                }),
            }
            if let Ok(p) = self.host.files().resolve(&win(&path)) {
                let _ = std::fs::remove_file(p);
            }
        }
        self.host.system().save(&w)?;
        Ok(())
    }

    fn write_record(&self, s: &State, status: &Status) -> Result<(), DistroError> {
        let r = Record {
            institution_code: s.institution_code.clone(),
            computer_name: self.computer_name.clone(),
            status: status.clone(),
            versions: self.versions()?,
        };
        self.host
            .files()
            .write_file(&win(RECORD_FILE), r.render().as_bytes())?;
        Ok(())
    }

    /// The last error of the service's own runs (サーバー接続待ち's reason).
    pub fn last_error(&self) -> Result<Option<String>, DistroError> {
        Ok(self.state()?.last_error)
    }
}

/// The manual's fix for a failed connection check [002 ①].
fn remedy(e: &NetError, settings: &Settings, w: &WindowsState) -> &'static str {
    match e {
        NetError::NoCertificate => "操作6のとおり電子証明書をインストールしてください",
        NetError::ProxyRefused { .. } if settings.server == ServerChoice::Base => {
            "プロキシの例外設定を確認してください（例外設定していないアドレスがある、設定値のセミコロンが抜けている）"
        }
        NetError::ProxyRefused { .. } => {
            "プロキシで d2vhvuj0j7c8bh.cloudfront.net への接続が許可されているか、ネットワーク事業者に確認してください"
        }
        NetError::NameNotResolved { .. } if w.winhttp.is_none() => {
            "プロキシ設定のコマンド（netsh winhttp import proxy source=ie）を実行してください"
        }
        NetError::NameNotResolved { .. } | NetError::Unreachable { .. } => {
            "接続先の配信サーバーの選択（設定の変更: 配信拠点(推奨) / クラウド）と通信回線の設定を確認してください"
        }
        NetError::Tls { .. } | NetError::Http { .. } => {
            "時間を置いて再度確認してください。解消しない場合は通信回線の設定を確認してください"
        }
    }
}
