//! 配信アプリケーション (OQSDistroApp) [000 op11; 001 step 13; 002; 003; 004]: the server choice,
//! the apps it updates and their versions, its status strings, the 配信実績 text, its settings
//! file and the JSON of the kit's distribution server.
//!
//! Known from the manuals: the two server choices, the buttons' answers, every status string,
//! that 配信実績 shows `[Information]`, `Status=…`, the institution code and the computer name,
//! that updates come in batches applied at restart. Inferred (\[K\], the kit's own): the file
//! locations under `C:\ProgramData\OQS\OQSDistroApp\`, the key names of 配信実績 other than
//! `Status`, the settings file layout, and the wire format.

use serde::{Deserialize, Serialize};
use std::fmt;

/// 設定の変更 → 配信サーバー.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerChoice {
    #[serde(rename = "配信拠点(推奨)")]
    Base,
    #[serde(rename = "クラウド")]
    Cloud,
}

impl ServerChoice {
    pub fn label(self) -> &'static str {
        match self {
            Self::Base => "配信拠点(推奨)",
            Self::Cloud => "クラウド",
        }
    }

    pub fn from_label(s: &str) -> Option<Self> {
        match s.trim() {
            "配信拠点(推奨)" | "配信拠点（推奨）" | "配信拠点" => {
                Some(Self::Base)
            }
            "クラウド" => Some(Self::Cloud),
            _ => None,
        }
    }

    /// The server's host name \[DOMAIN\].
    pub fn host(self) -> &'static str {
        match self {
            Self::Base => "pweb.base.oqs-pdl.org",
            Self::Cloud => "d2vhvuj0j7c8bh.cloudfront.net",
        }
    }
}

/// The apps the distro app keeps up to date \[002\].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum App {
    #[serde(rename = "配信アプリケーション")]
    DistroApp,
    #[serde(rename = "顔認証ライブラリ")]
    FaceLibrary,
    #[serde(rename = "連携アプリケーション")]
    LinkageApp,
    #[serde(rename = "顔認証付きカードリーダーアプリケーション")]
    ReaderApp,
}

impl App {
    pub const ALL: [App; 4] = [
        App::DistroApp,
        App::FaceLibrary,
        App::LinkageApp,
        App::ReaderApp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::DistroApp => "配信アプリケーション",
            Self::FaceLibrary => "顔認証ライブラリ",
            Self::LinkageApp => "連携アプリケーション",
            Self::ReaderApp => "顔認証付きカードリーダーアプリケーション",
        }
    }

    /// Its name in the distribution API's paths \[K\].
    pub fn slug(self) -> &'static str {
        match self {
            Self::DistroApp => "distro-app",
            Self::FaceLibrary => "face-library",
            Self::LinkageApp => "linkage-app",
            Self::ReaderApp => "reader-app",
        }
    }

    /// Its `Version.info`, for the apps that have one \[002\].
    pub fn version_info(self) -> Option<&'static str> {
        match self {
            Self::DistroApp => Some(crate::version_info::DISTRO_APP),
            Self::FaceLibrary => Some(crate::version_info::FACE_LIBRARY),
            Self::LinkageApp => Some(crate::version_info::LINKAGE_APP),
            Self::ReaderApp => None,
        }
    }

    /// The key of its version in 配信実績 \[K\].
    fn record_key(self) -> &'static str {
        match self {
            Self::DistroApp => "DistroAppVersion",
            Self::FaceLibrary => "FaceLibraryVersion",
            Self::LinkageApp => "ComAppVersion",
            Self::ReaderApp => "ReaderAppVersion",
        }
    }
}

/// A dotted version (`1.0.4`, `1.0.0.4`), shown as written and compared part by part, missing
/// parts counting as 0 (`2.2` = `2.2.0`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Version(Vec<u32>);

impl Version {
    fn trimmed(&self) -> &[u32] {
        let mut n = self.0.len();
        while n > 1 && self.0[n - 1] == 0 {
            n -= 1;
        }
        &self.0[..n]
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.trimmed() == other.trimmed()
    }
}

impl Eq for Version {}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.trimmed().hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.trimmed().cmp(other.trimmed())
    }
}

impl std::str::FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Result<Vec<u32>, _> = s.trim().split('.').map(str::parse).collect();
        match parts {
            Ok(p) if !p.is_empty() => Ok(Self(p)),
            _ => Err(format!("バージョン「{s}」を解釈できません（例: 1.0.4）")),
        }
    }
}

impl TryFrom<String> for Version {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Version> for String {
    fn from(v: Version) -> String {
        v.to_string()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// The version from which carrier- and institution-origin sites need not reinstall [000 op11 03].
pub fn reinstall_below() -> Version {
    Version(vec![1, 0, 4])
}

/// 配信実績's `Status=` [001 step 13; 004].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// 停止中: press 今すぐダウンロード.
    Stopped,
    /// サーバー接続待ち: press 今すぐダウンロード.
    WaitingForServer,
    /// ダウンロード中: wait and check again.
    Downloading,
    /// アップデート中: wait and check again.
    Updating,
    /// 再起動待ち: restart now.
    RestartPending,
    /// サーバー接続の定期実行待ち… [再開予定時刻：…]: done.
    Scheduled {
        nothing_pending: bool,
        /// 再開予定時刻 as shown, `yyyy/MM/dd HH:mm`.
        resume_at: String,
    },
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stopped => f.write_str("停止中"),
            Self::WaitingForServer => f.write_str("サーバー接続待ち"),
            Self::Downloading => f.write_str("ダウンロード中"),
            Self::Updating => f.write_str("アップデート中"),
            Self::RestartPending => f.write_str("再起動待ち"),
            Self::Scheduled {
                nothing_pending,
                resume_at,
            } => write!(
                f,
                "サーバー接続の定期実行待ち{} [再開予定時刻：{resume_at}]",
                if *nothing_pending {
                    "(未適用更新ファイルなし)"
                } else {
                    ""
                }
            ),
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        Ok(match s {
            "停止中" => Self::Stopped,
            "サーバー接続待ち" => Self::WaitingForServer,
            "ダウンロード中" => Self::Downloading,
            "アップデート中" => Self::Updating,
            "再起動待ち" => Self::RestartPending,
            _ => {
                let rest = s
                    .strip_prefix("サーバー接続の定期実行待ち")
                    .ok_or_else(|| {
                        format!("Status「{s}」は配信アプリケーションの状態ではありません")
                    })?;
                let (nothing_pending, rest) = match rest.strip_prefix("(未適用更新ファイルなし)")
                {
                    Some(r) => (true, r),
                    None => (false, rest),
                };
                let resume_at = rest
                    .trim()
                    .strip_prefix("[再開予定時刻：")
                    .and_then(|r| r.strip_suffix(']'))
                    .ok_or_else(|| format!("Status「{s}」に再開予定時刻がありません"))?
                    .to_owned();
                Self::Scheduled {
                    nothing_pending,
                    resume_at,
                }
            }
        })
    }
}

impl Status {
    /// What the manual says to do on seeing it, in seed 004's words (1 ④ and its end). For the
    /// periodic wait without 「未適用更新ファイルなし」 the manuals disagree: 004 says to go again
    /// from step 3, while 001 (step 13) accepts it as done; the kit quotes 004.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::RestartPending => "メモ帳を閉じてからPCの再起動を実施してください。",
            Self::Downloading | Self::Updating => {
                "メモ帳を閉じ、少し置いてから再度「配信実績の確認」を押してStatusが「再起動待ち」になったことを確認し、PCの再起動を実施してください。"
            }
            Self::Stopped | Self::WaitingForServer => {
                "メモ帳を閉じ「今すぐダウンロード」を押してから、再度「配信実績の確認」を押し、Statusの表記が「アップデート中」 、「ダウンロード中」に変化することを確認してください。 「停止中」、「サーバー接続待ち」から変わらなければ少し置いてから試してください。"
            }
            Self::Scheduled {
                nothing_pending: false,
                ..
            } => "「未適用更新ファイルなし」と表示が出ない場合は、手順3から再度実施してください。",
            Self::Scheduled { .. } => "[kit] 「未適用更新ファイルなし」: 最新化は終わっています",
        }
    }
}

/// Where the distro app keeps its files \[K\].
pub const SETTINGS_FILE: &str = r"C:\ProgramData\OQS\OQSDistroApp\settings.ini";
pub const RECORD_FILE: &str = r"C:\ProgramData\OQS\OQSDistroApp\配信実績.txt";
pub const STATE_FILE: &str = r"C:\ProgramData\OQS\OQSDistroApp\state.json";
pub const DOWNLOAD_DIR: &str = r"C:\ProgramData\OQS\OQSDistroApp\download";

/// 設定の変更: the server, and the advanced fields that must stay empty [000 op11].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub server: ServerChoice,
    /// 拡張機能パス (must stay empty)
    pub extension_path: String,
    /// 開発者コード (must stay empty)
    pub developer_code: String,
    /// Auto-update stopped: sites sharing the HIS PC, Windows 10 Pro, updating by hand [000 op11].
    pub auto_update: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            server: ServerChoice::Base,
            extension_path: String::new(),
            developer_code: String::new(),
            auto_update: true,
        }
    }
}

impl Settings {
    pub fn render(&self) -> String {
        format!(
            "[Settings]\r\nServer={}\r\nExtensionPath={}\r\nDeveloperCode={}\r\nAutoUpdate={}\r\n",
            self.server.label(),
            self.extension_path,
            self.developer_code,
            if self.auto_update { "1" } else { "0" }
        )
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut s = Self::default();
        for line in text.lines().map(str::trim) {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            match k.trim() {
                "Server" => s.server = ServerChoice::from_label(v).ok_or_else(|| {
                    format!(
                        "settings.ini: Server「{v}」は 配信拠点(推奨) か クラウド にしてください"
                    )
                })?,
                "ExtensionPath" => s.extension_path = v.trim().to_owned(),
                "DeveloperCode" => s.developer_code = v.trim().to_owned(),
                "AutoUpdate" => s.auto_update = v.trim() != "0",
                _ => {}
            }
        }
        Ok(s)
    }
}

/// 配信実績の確認: the text file the button opens in Notepad.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub institution_code: String,
    pub computer_name: String,
    pub status: Status,
    pub versions: Vec<(App, Version)>,
}

impl Record {
    pub fn render(&self) -> String {
        let mut out = format!(
            "[Information]\r\nMedicalInstitutionCode={}\r\nComputerName={}\r\nStatus={}\r\n",
            self.institution_code, self.computer_name, self.status
        );
        for (app, v) in &self.versions {
            out.push_str(&format!("{}={v}\r\n", app.record_key()));
        }
        out
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        if !text.lines().any(|l| l.trim() == "[Information]") {
            return Err("配信実績に [Information] がありません".into());
        }
        let get = |k: &str| {
            text.lines()
                .filter_map(|l| l.trim().split_once('='))
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.trim().to_owned())
        };
        let versions = App::ALL
            .iter()
            .filter_map(|a| {
                get(a.record_key())
                    .and_then(|v| v.parse().ok())
                    .map(|v| (*a, v))
            })
            .collect();
        Ok(Self {
            institution_code: get("MedicalInstitutionCode").unwrap_or_default(),
            computer_name: get("ComputerName").unwrap_or_default(),
            status: get("Status")
                .ok_or("配信実績に Status がありません")?
                .parse()?,
            versions,
        })
    }
}

/// One package of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub app: App,
    pub version: Version,
    pub bytes: u64,
}

/// `POST /distro/api/check`: what the terminal has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRequest {
    pub computer_name: String,
    pub installed: Vec<(App, Version)>,
}

/// The answer: the next batch (empty when up to date), and whether it can be fetched yet
/// (on release day the server is slow: `ready_at` is later than now).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResponse {
    pub institution_code: String,
    pub batch: Vec<Package>,
    /// RFC 3339; `None` when the batch can be downloaded at once.
    pub ready_at: Option<String>,
    /// Batches still to come after this one.
    pub remaining_batches: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_part_by_part() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert!(v("1.0.10") > v("1.0.9"));
        assert!(v("1.0.0.4") > v("1.0"));
        assert_eq!(v("1.0.0"), v("1.0"));
        assert!(v("1.0.3") < reinstall_below());
        assert_eq!(v("1.0.0.4").to_string(), "1.0.0.4");
        assert_eq!(v("2.2.0").to_string(), "2.2.0");
        assert!(v("1.0") < v("1.0.0.4") && v("1.0.0.0") == v("1"));
        assert!("1.x".parse::<Version>().is_err());
    }

    #[test]
    fn every_status_string_of_the_manuals_round_trips() {
        for s in [
            "停止中",
            "サーバー接続待ち",
            "ダウンロード中",
            "アップデート中",
            "再起動待ち",
            "サーバー接続の定期実行待ち(未適用更新ファイルなし) [再開予定時刻：2025/04/01 10:00]",
            "サーバー接続の定期実行待ち [再開予定時刻：2025/04/01 10:00]",
        ] {
            let st: Status = s.parse().unwrap();
            assert_eq!(st.to_string(), s);
        }
        assert!("接続成功".parse::<Status>().is_err());
    }

    #[test]
    fn the_record_shows_code_computer_status_and_versions() {
        let r = Record {
            institution_code: "1312345678".into(),
            computer_name: "OQS-PC01".into(),
            status: Status::RestartPending,
            versions: vec![(App::DistroApp, "1.0.6".parse().unwrap())],
        };
        let text = r.render();
        assert!(text.starts_with("[Information]\r\n"));
        assert!(text.contains("Status=再起動待ち\r\n"));
        assert!(text.contains("1312345678") && text.contains("OQS-PC01"));
        assert_eq!(Record::parse(&text).unwrap(), r);
    }

    #[test]
    fn settings_round_trip_and_refuse_an_unknown_server() {
        let s = Settings {
            server: ServerChoice::Cloud,
            ..Settings::default()
        };
        assert_eq!(Settings::parse(&s.render()).unwrap(), s);
        assert!(Settings::parse("Server=どこか").is_err());
        assert_eq!(Settings::parse("").unwrap(), Settings::default());
    }
}
