//! What a person does on the terminal's Windows in operation 2 \[000\]: install .NET Framework 4.8,
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
    pub fn run_face_library_installer(&self, version: &str) -> Result<&'static str, ActionError> {
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
        // what the installer shows at its end [000 op2: 「セットアップが完了すると、セットアップ
        // ウィザード完了が表示されます。」]
        Ok("セットアップウィザード完了")
    }

    /// 操作10 \[A\]: the face reader vendor's software, installed by whoever is logged on.
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

    /// A `.crx` dragged onto Edge's extensions page, then 「拡張機能の追加」. Returns the
    /// 追加完了 message Edge shows [000 op2: 「Microsoft Edgeに拡張機能（目視確認操作アプリケーシ
    /// ョン）が追加されました。」; the extension's name as 004 spells it].
    pub fn edge_add_extension(&self, file: &str) -> Result<String, ActionError> {
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
        let name = oqs_proto::site::extension_name(file).unwrap_or(file);
        Ok(format!(
            "Microsoft Edgeに拡張機能（{name}）が追加されました。"
        ))
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

    /// 「同期を有効にする」 on the 追加完了 message (the manual: do not click it): the message
    /// closes and Edge's sign-in screen opens; sync is not on until someone signs in \[004\].
    pub fn edge_click_enable_sync(&self) -> io::Result<()> {
        self.edit(|w| {
            w.edge.added_message = None;
            w.edge.signin_open = true;
        })
    }

    /// The sign-in screen closed with 「×」 without signing in \[004\]. Whether it was open.
    pub fn edge_close_signin(&self) -> io::Result<bool> {
        let mut open = false;
        self.edit(|w| open = std::mem::take(&mut w.edge.signin_open))?;
        Ok(open)
    }

    /// Signing in on the sign-in screen: sync turns on (what the manual warns against).
    /// Whether the screen was open.
    pub fn edge_sign_in(&self) -> io::Result<bool> {
        let mut open = false;
        self.edit(|w| {
            open = std::mem::take(&mut w.edge.signin_open);
            w.edge.sync |= open;
        })?;
        Ok(open)
    }

    /// 設定 → プロファイル → 同期 → 同期をオフにする.
    pub fn edge_turn_sync_off(&self) -> io::Result<()> {
        self.edit(|w| w.edge.sync = false)
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

// ---------------------------------------------------------------------------------------------
// Windows settings changed by hand [000 op1, op3, op4, op11–12; 002; 003]: users, the proxy and
// `netsh winhttp`, power, Task Scheduler, shared folders, the firewall, Windows Update and the
// display. Each method is named for what the person does in Windows; the one fact of the
// machine (desktop or laptop) says so.
// ---------------------------------------------------------------------------------------------

impl FakeTerminal {
    /// デスクトップPCかノートPCか: a fact of the machine, not a person's action.
    pub fn set_up_as(&self, device: oqs_host::windows::DeviceKind) -> io::Result<()> {
        self.edit(|w| w.power.device = device)
    }

    /// 電源ケーブル（ACアダプター）を抜く: a laptop runs on battery.
    pub fn unplug_power_cable(&self) -> io::Result<()> {
        self.edit(|w| w.power.on_battery = true)
    }

    /// 電源ケーブルを接続する: back on mains power.
    pub fn connect_power_cable(&self) -> io::Result<()> {
        self.edit(|w| w.power.on_battery = false)
    }

    /// コントロールパネル → 電源オプション → プラン設定の変更 → コンピューターをスリープ状態にする:
    /// 電源に接続 (`on_ac`) and バッテリー駆動 (`on_battery`), in minutes; `None` = なし.
    pub fn set_sleep_after(&self, on_ac: Option<u32>, on_battery: Option<u32>) -> io::Result<()> {
        self.edit(|w| {
            w.power.sleep_on_ac = on_ac;
            w.power.sleep_on_battery = on_battery;
        })
    }

    /// コントロールパネル → 電源オプション → 電源ボタンの動作を選択する → 現在利用可能ではない設定を
    /// 変更します → シャットダウン設定の「高速スタートアップを有効にする（推奨）」 checked (`on`) or
    /// not → 変更の保存.
    pub fn set_fast_startup(&self, on: bool) -> io::Result<()> {
        self.edit(|w| w.power.fast_startup = on)
    }

    /// 設定 → ネットワークとインターネット → プロキシ → 手動プロキシ セットアップ: プロキシ サーバーを
    /// 使う オン, アドレス, ポート and the exceptions (次のエントリで始まるアドレス以外に…) exactly as
    /// typed → 保存.
    pub fn set_manual_proxy(&self, address: &str, port: u16, bypass: &str) -> io::Result<()> {
        self.edit(|w| {
            w.proxy.enabled = true;
            w.proxy.address = address.to_owned();
            w.proxy.port = port;
            w.proxy.bypass = bypass.to_owned();
        })
    }

    /// 手動プロキシ セットアップ: the exceptions typed in again as `bypass` → 保存.
    pub fn retype_proxy_bypass(&self, bypass: &str) -> io::Result<()> {
        self.edit(|w| w.proxy.bypass = bypass.to_owned())
    }

    /// 手動プロキシ セットアップ: `entry` deleted from the exceptions, with its semicolon → 保存.
    pub fn delete_proxy_bypass_entry(&self, entry: &str) -> io::Result<()> {
        self.edit(|w| {
            w.proxy.bypass = w
                .proxy
                .bypass
                .split(';')
                .filter(|e| *e != entry)
                .collect::<Vec<_>>()
                .join(";");
        })
    }

    /// 手動プロキシ セットアップ: the semicolon before `entry` deleted by mistake → 保存.
    pub fn delete_semicolon_before_proxy_bypass_entry(&self, entry: &str) -> io::Result<()> {
        self.edit(|w| {
            w.proxy.bypass = w.proxy.bypass.replace(&format!(";{entry}"), entry);
        })
    }

    /// 管理者のコマンドプロンプトで `netsh winhttp import proxy source=ie`: the user proxy becomes
    /// the WinHTTP proxy. Returns what the command prints (the WinHTTP settings now).
    pub fn netsh_winhttp_import_proxy_source_ie(&self) -> io::Result<String> {
        self.edit(oqs_host::WindowsState::import_winhttp_from_ie)?;
        self.netsh_winhttp_show_proxy()
    }

    /// 管理者のコマンドプロンプトで `netsh winhttp show proxy`: what it prints.
    pub fn netsh_winhttp_show_proxy(&self) -> io::Result<String> {
        let w = self.load()?;
        Ok(oqs_proto::site::netsh_show_proxy(
            w.winhttp
                .as_ref()
                .map(|h| (h.server.as_str(), h.bypass.as_str())),
        ))
    }

    /// 管理者のコマンドプロンプトで `netsh winhttp reset proxy`: WinHTTP back to 直接アクセス, as on
    /// a terminal where `netsh winhttp import` was never run. Returns what the command prints.
    pub fn netsh_winhttp_reset_proxy(&self) -> io::Result<String> {
        self.edit(|w| w.winhttp = None)?;
        self.netsh_winhttp_show_proxy()
    }

    /// コンピューターの管理 → ローカル ユーザーとグループ → ユーザー → 新しいユーザー, then
    /// グループ Administrators に追加. A user of the same name is replaced.
    pub fn create_local_administrator(&self, name: &str, password: &str) -> io::Result<()> {
        self.edit(|w| {
            w.users.retain(|u| u.name != name);
            w.users.push(oqs_host::windows::User {
                name: name.to_owned(),
                administrator: true,
                password: password.to_owned(),
            });
        })
    }

    /// Ctrl+Alt+Del → パスワードの変更 for Windows user `user`. Tasks keep the password stored
    /// when they were registered until it is typed in again.
    pub fn change_windows_password(&self, user: &str, password: &str) -> io::Result<()> {
        self.edit(|w| {
            for u in &mut w.users {
                if u.name == user {
                    u.password = password.to_owned();
                }
            }
        })
    }

    /// タスク スケジューラ → タスク スケジューラ ライブラリ → the task → 削除 → はい.
    pub fn delete_task(&self, name: &str) -> io::Result<()> {
        self.edit(|w| w.tasks.retain(|t| t.name != name))
    }

    /// タスク スケジューラ → every task run as `user` → プロパティ → OK, with `password` typed in
    /// the ユーザー アカウントのパスワード prompt.
    pub fn reenter_task_passwords(&self, user: &str, password: &str) -> io::Result<()> {
        self.edit(|w| {
            for t in &mut w.tasks {
                if t.run_as == user {
                    t.stored_password = Some(password.to_owned());
                }
            }
        })
    }

    /// タスク スケジューラ → the task → プロパティ → トリガー → 編集 → 毎日, 開始 `at` (HH:MM): the
    /// task's only trigger.
    pub fn set_task_daily_at(&self, name: &str, at: &str) -> io::Result<()> {
        self.edit(|w| {
            for t in &mut w.tasks {
                if t.name == name {
                    t.triggers = vec![oqs_host::windows::Trigger::Daily { at: at.to_owned() }];
                }
            }
        })
    }

    /// エクスプローラー → the folder → プロパティ → 共有 → 詳細な共有 → 「このフォルダーを共有する」
    /// → アクセス許可: `account` with 変更 and 読み取り (読み取り/書き込み). Replaces the folder's
    /// earlier share.
    pub fn share_folder_read_write(&self, path: &str, account: &str) -> io::Result<()> {
        self.edit(|w| {
            w.shares.retain(|x| !x.path.eq_ignore_ascii_case(path));
            w.shares.push(oqs_host::windows::Share {
                path: path.to_owned(),
                account: account.to_owned(),
                access: oqs_host::windows::Access::ReadWrite,
            });
        })
    }

    /// … 共有 → 詳細な共有 → 「このフォルダーを共有する」のチェックを外す.
    pub fn stop_sharing_folder(&self, path: &str) -> io::Result<()> {
        self.edit(|w| w.shares.retain(|x| !x.path.eq_ignore_ascii_case(path)))
    }

    /// … 共有 → 詳細な共有 → アクセス許可: 「変更」の許可のチェックを外す (読み取りのみ), for
    /// every account the folder is shared with.
    pub fn make_share_read_only(&self, path: &str) -> io::Result<()> {
        self.edit(|w| {
            for x in &mut w.shares {
                if x.path.eq_ignore_ascii_case(path) {
                    x.access = oqs_host::windows::Access::Read;
                }
            }
        })
    }

    /// Windows Defender ファイアウォール → 詳細設定 → 送信の規則 → 新しい規則 → ポート `port` →
    /// 接続をブロックする (or the site's network equipment dropping the same port).
    pub fn firewall_block_port(&self, port: u16) -> io::Result<()> {
        self.edit(|w| {
            if !w.blocked_ports.contains(&port) {
                w.blocked_ports.push(port);
            }
        })
    }

    /// Windows Defender ファイアウォール → 詳細設定 → the rule blocking `port` → 削除: the port
    /// is open again.
    pub fn firewall_open_port(&self, port: u16) -> io::Result<()> {
        self.edit(|w| w.blocked_ports.retain(|p| *p != port))
    }

    /// 設定 → 更新とセキュリティ → Windows Update → アクティブ時間の変更 → 「アクティブ時間を自動的に
    /// 調整する」 on or off.
    pub fn set_active_hours_auto_adjust(&self, on: bool) -> io::Result<()> {
        self.edit(|w| w.active_hours.auto_adjust = on)
    }

    /// gpedit.msc → コンピューターの構成 → 管理用テンプレート → Windows コンポーネント → Windows
    /// Update → 自動更新を構成する: 「有効」 (`true`, keeping the options already chosen) or
    /// 「未構成」 (`false`).
    pub fn set_automatic_updates_policy(&self, enabled: bool) -> io::Result<()> {
        self.edit(|w| w.windows_update.enabled = enabled)
    }

    /// 設定 → システム → ディスプレイ → 拡大縮小とレイアウト: `percent` (100 = 100%).
    pub fn set_display_scaling(&self, percent: u32) -> io::Result<()> {
        self.edit(|w| w.display_scaling = percent)
    }
}
