//! What a person does on the terminal's Windows in operation 2 [000]: install .NET Framework 4.8,
//! run the face library installer (`OqsInstall.exe`), and add its three extensions to Edge with
//! developer mode on — and the warning Edge may show at its next start, whose 「無効にする」
//! button turns the extensions off (the manual says to close it with × instead).

use super::FakeTerminal;
use oqs_host::windows::{CERTPROP_POLICY, InstalledApp};
use oqs_host::{Files, SystemSettings, WinPath};
use std::io;

/// Where the face library installer copies the extensions [000 op2].
pub const EXT_DIR: &str = r"C:\Program Files\OQS-Auth\ext";
/// The text of Edge's warning at start-up when extensions run in developer mode.
pub const DEVELOPER_MODE_WARNING: &str = "開発者モード拡張機能を無効にしてください";

#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(
        "このアプリケーションを実行するには、.NET Framework 4.8 をインストールする必要があります。先に .NET Framework 4.8 をインストールしてください"
    )]
    NoDotNet,
    #[error(
        "「{0}」が見つかりません。ブラウザ拡張プラグインのインストーラーを実行し、{EXT_DIR} を確認してください"
    )]
    NoFile(String),
    #[error(
        "拡張機能を追加できません: 開発者モードがオフです。拡張機能の画面で開発者モードをオンにしてから、.crx をドラッグしてドロップしてください"
    )]
    DeveloperModeOff,
    #[error("端末の状態を読み書きできません: {0}")]
    Io(#[from] io::Error),
}

impl FakeTerminal {
    fn edit(&self, f: impl FnOnce(&mut oqs_host::WindowsState)) -> io::Result<()> {
        let mut w = self.load()?;
        f(&mut w);
        self.save(&w)
    }

    /// .NET Framework 4.8 のインストール.
    pub fn install_dotnet48(&self) -> io::Result<()> {
        self.edit(|w| w.dotnet48 = true)
    }

    /// ブラウザ拡張プラグイン（顔認証ライブラリ含む）のインストーラー: copies the three
    /// extensions, writes `Version.info`, turns the CertPropSvc policy off. Takes effect after
    /// a restart, as the manual says.
    pub fn run_face_library_installer(&self, version: &str) -> Result<(), ActionError> {
        let w = self.load()?;
        if !w.dotnet48 {
            return Err(ActionError::NoDotNet);
        }
        for (path, bytes) in oqs_proto::site::face_library_files(version) {
            self.write_file(&win(&path), &bytes)?;
        }
        self.edit(|w| {
            w.cert_propagation_disabled = true;
            if !w.pending_restart.iter().any(|c| c == CERTPROP_POLICY) {
                w.pending_restart.push(CERTPROP_POLICY.into());
            }
            let library = oqs_proto::distro::App::FaceLibrary.label();
            w.apps.retain(|a| a.name != library);
            w.apps.push(InstalledApp {
                name: library.into(),
                version: version.into(),
                installed_by: w.logged_on.clone(),
            });
        })?;
        Ok(())
    }

    /// 操作10 [A]: the face reader vendor's software, installed by whoever is logged on.
    pub fn install_face_reader_software(&self, vendor: &str) -> io::Result<()> {
        self.edit(|w| {
            let name = format!("{}{vendor}", oqs_proto::site::FACE_READER_SOFTWARE);
            w.apps.retain(|a| a.name != name);
            w.apps.push(InstalledApp {
                name,
                version: "1.0".into(),
                installed_by: w.logged_on.clone(),
            });
        })
    }

    /// Windows にログオンするユーザーを切り替える.
    pub fn log_on_as(&self, user: &str) -> io::Result<()> {
        self.edit(|w| w.logged_on = Some(user.into()))
    }

    /// 拡張機能 → 開発者モード.
    pub fn edge_developer_mode(&self, on: bool) -> io::Result<()> {
        self.edit(|w| w.edge.developer_mode = on)
    }

    /// A `.crx` dragged onto Edge's extensions page, then 「拡張機能の追加」.
    pub fn edge_add_extension(&self, file: &str) -> Result<(), ActionError> {
        let path = format!("{EXT_DIR}\\{file}");
        if !self.resolve(&win(&path))?.exists() {
            return Err(ActionError::NoFile(path));
        }
        let w = self.load()?;
        if !w.edge.developer_mode {
            return Err(ActionError::DeveloperModeOff);
        }
        self.edit(|w| {
            if !w.edge.extensions.iter().any(|e| e == file) {
                w.edge.extensions.push(file.into());
            }
            w.edge.disabled.retain(|e| e != file);
            if let Some(lib) = w
                .apps
                .iter()
                .find(|a| a.name == oqs_proto::distro::App::FaceLibrary.label())
            {
                w.edge.added_from.insert(file.into(), lib.version.clone());
            }
            w.edge.added_message = Some(file.into());
        })?;
        Ok(())
    }

    /// The 追加完了 message closed with its 「×」, without 「同期を有効にする」 [004 4]. Whether
    /// a message was open to close.
    pub fn edge_close_added_message(&self) -> io::Result<bool> {
        let mut open = false;
        self.edit(|w| open = w.edge.added_message.take().is_some())?;
        Ok(open)
    }

    /// 拡張機能 → 削除 → 削除 (the confirmation) [004 3].
    pub fn edge_remove_extension(&self, file: &str) -> io::Result<bool> {
        let mut removed = false;
        self.edit(|w| {
            removed = w.edge.extensions.iter().any(|e| e == file);
            w.edge.extensions.retain(|e| e != file);
            w.edge.disabled.retain(|e| e != file);
            w.edge.added_from.remove(file);
        })?;
        Ok(removed)
    }

    /// 「同期を有効にする」 (the manual: do not click it; it also closes the 追加完了 message)
    /// or turning sync off again.
    pub fn edge_sync(&self, on: bool) -> io::Result<()> {
        self.edit(|w| {
            w.edge.sync = on;
            if on {
                w.edge.added_message = None;
            }
        })
    }

    /// スタート → 電源 → 再起動.
    pub fn restart(&self) -> io::Result<()> {
        self.edit(|w| w.restart())
    }

    /// スタート → 電源 → シャットダウン, then the power button.
    pub fn shut_down_and_start(&self) -> io::Result<()> {
        self.edit(|w| w.shut_down_and_start())
    }

    /// 拡張機能の画面で、無効になった拡張機能をオンに戻す.
    pub fn edge_turn_on(&self, file: &str) -> io::Result<()> {
        self.edit(|w| w.edge.disabled.retain(|e| e != file))
    }

    /// Edge starts again: extensions added from files may bring the developer-mode warning.
    pub fn edge_restart(&self) -> io::Result<Option<&'static str>> {
        let w = self.load()?;
        Ok((!w.edge.extensions.is_empty()).then_some(DEVELOPER_MODE_WARNING))
    }

    /// The warning's buttons: 「無効にする」 (`disable`) or × (close).
    pub fn edge_answer_warning(&self, disable: bool) -> io::Result<()> {
        if disable {
            self.edit(|w| w.edge.disabled = w.edge.extensions.clone())?;
        }
        Ok(())
    }
}

fn win(p: &str) -> WinPath {
    WinPath::parse(p).expect("the manual's paths are valid")
}
