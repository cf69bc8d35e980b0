//! The Windows settings of a terminal that the setup manual touches, as one readable value:
//! users, .NET, the smart-card certificate propagation policy, Edge, power, proxy and WinHTTP,
//! internet time, display scaling, Task Scheduler, the Windows Update policy and active hours,
//! shares, installed apps and the firewall. A component reads it, changes it and writes it back
//! through [`SystemSettings`]; the simulator keeps it in `state/windows.json`, where a person can
//! read it and make a manual's mistake by hand.

use serde::{Deserialize, Serialize};
use std::io;

/// A local Windows user. Names are case-sensitive where the manual says so (`OqsComApp`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// 管理者 (local Administrators) rather than 標準ユーザー
    pub administrator: bool,
    pub password: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    /// Extensions added from `.crx` files, by file name (`delegate.crx`, …).
    pub extensions: Vec<String>,
    /// Extensions turned off (拡張機能 → オフ, or 「無効にする」 on the developer-mode warning).
    #[serde(default)]
    pub disabled: Vec<String>,
    /// 開発者モード
    pub developer_mode: bool,
    /// 同期
    pub sync: bool,
    /// The face library version each extension was added from (file → version): after the
    /// library is updated, extensions added before must be removed and added again \[004\].
    #[serde(default)]
    pub added_from: std::collections::BTreeMap<String, String>,
    /// The 追加完了 message Edge shows after an extension is added (the extension's file
    /// name), with its offer to turn sync on, until it is closed [004 4].
    #[serde(default)]
    pub added_message: Option<String>,
    /// The sign-in screen 「同期を有効にする」 opens [004: 「サインイン画面が出てきますが、
    /// サインインせず「×」で閉じてください」].
    #[serde(default)]
    pub signin_open: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceKind {
    #[default]
    Desktop,
    Laptop,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Power {
    pub device: DeviceKind,
    /// Running on battery (laptops).
    pub on_battery: bool,
    /// Minutes until sleep on AC; `None` = なし.
    pub sleep_on_ac: Option<u32>,
    /// Minutes until sleep on battery (laptops); `None` = なし.
    pub sleep_on_battery: Option<u32>,
    /// 高速スタートアップを有効にする
    pub fast_startup: bool,
}

impl Default for Power {
    /// Windows' own defaults: sleep after 30 (AC) / 15 (battery) minutes, fast startup on.
    fn default() -> Self {
        Self {
            device: DeviceKind::Desktop,
            on_battery: false,
            sleep_on_ac: Some(30),
            sleep_on_battery: Some(15),
            fast_startup: true,
        }
    }
}

/// 手動プロキシ セットアップ (the user's proxy, which Edge uses).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProxy {
    pub enabled: bool,
    pub address: String,
    pub port: u16,
    /// 次のエントリで始まるアドレス以外にプロキシサーバーを使います — exactly as typed.
    pub bypass: String,
}

/// The WinHTTP proxy (what services such as the distribution app use). `None` in
/// [`WindowsState::winhttp`] means 直接アクセス.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WinHttpProxy {
    pub server: String,
    pub bypass: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternetTime {
    /// インターネット時刻サーバーと同期する
    pub enabled: bool,
    pub server: String,
    /// How far this PC's clock is ahead of true time, in milliseconds (negative: behind).
    /// 今すぐ更新 brings it back to (about) zero.
    #[serde(default)]
    pub skew_ms: i64,
    /// The message of the last 今すぐ更新, as the dialog showed it.
    #[serde(default)]
    pub last_update: Option<String>,
}

impl Default for InternetTime {
    fn default() -> Self {
        Self {
            enabled: true,
            server: "time.windows.com".into(),
            skew_ms: 0,
            last_update: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// 毎日 at HH:MM
    Daily { at: String },
    /// スタートアップ時, with a delay in seconds
    AtStartup { delay_seconds: u32 },
    /// Every `minutes`, starting at start-up + `delay_seconds`.
    Repeat { delay_seconds: u32, minutes: u32 },
}

/// A Task Scheduler task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub name: String,
    /// The program and its arguments (`shutdown /r /t 0`).
    pub command: String,
    pub run_as: String,
    /// ユーザーがログオンしているかどうかにかかわらず実行する (the user's password is stored)
    pub run_whether_logged_on: bool,
    pub stored_password: Option<String>,
    /// 最上位の特権で実行する
    pub highest_privileges: bool,
    pub triggers: Vec<Trigger>,
    /// 条件: AC 電源を使用している場合のみタスクを開始する
    pub ac_only: bool,
    pub enabled: bool,
}

/// Group policy 自動更新を構成する.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePolicy {
    pub enabled: bool,
    /// 4 = 自動ダウンロードしインストール日時を指定
    pub option: u8,
    /// 0 = 毎日
    pub day: u8,
    /// HH:MM
    pub time: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveHours {
    /// アクティブ時間を自動的に調整する
    pub auto_adjust: bool,
    pub start: u8,
    pub end: u8,
}

impl Default for ActiveHours {
    fn default() -> Self {
        Self {
            auto_adjust: true,
            start: 8,
            end: 17,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// 読み取り
    Read,
    /// 読み取り/書き込み
    ReadWrite,
}

/// A shared folder and who may use it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub path: String,
    pub account: String,
    pub access: Access,
}

/// An installed application (プログラムと機能).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstalledApp {
    pub name: String,
    pub version: String,
    /// The Windows user logged on when it was installed.
    #[serde(default)]
    pub installed_by: Option<String>,
}

/// Everything above, for one terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowsState {
    pub users: Vec<User>,
    pub logged_on: Option<String>,
    /// .NET Framework 4.8 installed and enabled
    pub dotnet48: bool,
    /// スマートカードの証明書の伝達 (CertPropSvc) turned off by policy, as the face library
    /// installer does.
    pub cert_propagation_disabled: bool,
    pub edge: Edge,
    pub power: Power,
    pub proxy: UserProxy,
    pub winhttp: Option<WinHttpProxy>,
    pub time: InternetTime,
    /// 拡大縮小とレイアウト, percent
    pub display_scaling: u32,
    pub tasks: Vec<Task>,
    pub windows_update: UpdatePolicy,
    pub active_hours: ActiveHours,
    pub shares: Vec<Share>,
    pub apps: Vec<InstalledApp>,
    /// Ports the firewall (or the site's network) blocks.
    pub blocked_ports: Vec<u16>,
    /// Boots so far, and whether the last one was a full boot (not fast startup's resume).
    pub boots: u32,
    pub last_boot_full: bool,
    /// Changes made that Windows applies only at a full boot (「設定を有効にするため、Windows
    /// を再起動します」): installer policies, updates.
    #[serde(default)]
    pub pending_restart: Vec<String>,
    /// Tasks the last boot started through their at-start-up triggers, in order.
    #[serde(default)]
    pub started_at_boot: Vec<String>,
    /// Full boots so far (restarts, and shutdowns without fast startup): what applies updates.
    #[serde(default)]
    pub full_boots: u32,
}

impl WindowsState {
    /// A fresh Windows 10/11 Pro as delivered: one administrator who is not `OqsComApp`,
    /// scaling 100%, Windows' defaults elsewhere.
    pub fn fresh() -> Self {
        Self {
            users: vec![User {
                name: "admin".into(),
                administrator: true,
                password: String::new(),
            }],
            logged_on: Some("admin".into()),
            display_scaling: 100,
            boots: 1,
            last_boot_full: true,
            ..Self::default()
        }
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    pub fn task(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// `netsh winhttp import proxy source=ie`: the user proxy becomes the WinHTTP proxy.
    pub fn import_winhttp_from_ie(&mut self) {
        self.winhttp = self.proxy.enabled.then(|| WinHttpProxy {
            server: format!("{}:{}", self.proxy.address, self.proxy.port),
            bypass: self.proxy.bypass.clone(),
        });
    }

    /// シャットダウン then power on. With fast startup (Windows' default) the kernel session
    /// resumes from hibernation: pending changes stay pending and at-start-up task triggers do
    /// not fire, which is why the manual says the linkage and distribution apps then misbehave
    /// and updates fail [000 op3 08]. Without it the boot is full.
    pub fn shut_down_and_start(&mut self) {
        let full = !self.power.fast_startup;
        self.boot(full);
    }

    /// 再起動 is always a full boot, fast startup or not.
    pub fn restart(&mut self) {
        self.boot(true);
    }

    fn boot(&mut self, full: bool) {
        self.boots += 1;
        self.last_boot_full = full;
        self.started_at_boot.clear();
        if !full {
            return;
        }
        self.full_boots += 1;
        self.pending_restart.clear();
        let on_battery = self.power.on_battery;
        let logged_on = self.logged_on.clone();
        self.started_at_boot = self
            .tasks
            .iter()
            .filter(|t| t.enabled && !(t.ac_only && on_battery))
            .filter(|t| {
                t.triggers
                    .iter()
                    .any(|g| matches!(g, Trigger::AtStartup { .. } | Trigger::Repeat { .. }))
            })
            // a task that runs only when its user is logged on waits for that log-on; one that
            // runs either way logs on with the password stored at import, which must still work
            .filter(|t| {
                if t.run_whether_logged_on {
                    self.user(&t.run_as)
                        .is_some_and(|u| t.stored_password.as_deref() == Some(u.password.as_str()))
                } else {
                    logged_on.as_deref() == Some(&t.run_as)
                }
            })
            .map(|t| t.name.clone())
            .collect();
    }
}

/// What the face library installer leaves pending until Windows restarts: the policy
/// スマートカードからの証明書の伝達をオンにする = 無効 [000 op2 04].
pub const CERTPROP_POLICY: &str = "スマートカードからの証明書の伝達をオンにする（無効）";

/// Reads and writes a terminal's [`WindowsState`].
pub trait SystemSettings: Send + Sync {
    fn load(&self) -> io::Result<WindowsState>;
    fn save(&self, state: &WindowsState) -> io::Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_start_up_task() -> WindowsState {
        let mut w = WindowsState::fresh();
        w.users.push(User {
            name: "OqsComApp".into(),
            administrator: true,
            password: "pw".into(),
        });
        w.tasks.push(Task {
            name: "OQS_exec_distroappstart".into(),
            command: "OQSDistroApp.exe".into(),
            run_as: "OqsComApp".into(),
            run_whether_logged_on: true,
            stored_password: Some("pw".into()),
            highest_privileges: true,
            triggers: vec![Trigger::AtStartup { delay_seconds: 60 }],
            ac_only: true,
            enabled: true,
        });
        w.pending_restart.push("CertPropSvc".into());
        w
    }

    #[test]
    fn fast_startup_keeps_changes_pending_and_start_up_tasks_idle_until_a_restart() {
        let mut w = with_start_up_task();
        assert!(w.power.fast_startup, "Windows' default");
        w.shut_down_and_start();
        assert!(!w.last_boot_full);
        assert_eq!(w.pending_restart, ["CertPropSvc"]);
        assert!(w.started_at_boot.is_empty());
        w.restart();
        assert!(w.last_boot_full && w.pending_restart.is_empty());
        assert_eq!(w.started_at_boot, ["OQS_exec_distroappstart"]);
        // with fast startup off, shutting down is a full boot too
        let mut w = with_start_up_task();
        w.power.fast_startup = false;
        w.shut_down_and_start();
        assert_eq!(w.started_at_boot, ["OQS_exec_distroappstart"]);
        assert_eq!(w.boots, 2);
    }

    #[test]
    fn start_up_tasks_need_mains_power_and_a_working_stored_password() {
        let mut w = with_start_up_task();
        w.power.on_battery = true;
        w.restart();
        assert!(w.started_at_boot.is_empty(), "AC only");
        w.power.on_battery = false;
        w.users[1].password = "changed".into();
        w.restart();
        assert!(
            w.started_at_boot.is_empty(),
            "stored password no longer logs on"
        );
    }
}
