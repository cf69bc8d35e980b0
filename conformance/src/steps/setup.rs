//! Operations 1–3 and the checklist \[000\], played on the fake terminal: a person's hands on
//! Windows settings (proxy, `netsh`, power, tasks), the setup tool applying a site profile,
//! and the audit that checks the terminal against the manual.

use crate::KitWorld;
use anyhow::{Context, Result, ensure};
use cucumber::gherkin::{Step, StepType};
use cucumber::{given, then, when};
use oqs_certs::{ClientSpec, Pki};
use oqs_host::{CertificateStore, Host};
use oqs_proto::site::{PowerMode, SiteProfile};

/// A site profile as the scenarios use it: 配信拠点起点, auto power, A and C, certificate from
/// the test PKI, with the site's `changes`; the text is the file the setup tool reads.
pub(crate) fn site_profile(w: &KitWorld, changes: impl FnOnce(&mut SiteProfile)) -> Result<String> {
    let t = w.terminal()?;
    let p12 = w.sim().dir().join(format!("{}.p12", t.name()));
    let code = w.code.clone().unwrap_or_else(|| {
        oqs_sim::world::DEFAULT_INSTITUTION
            .parse()
            .expect("10 digits")
    });
    std::fs::write(
        &p12,
        Pki::shared()
            .client(&ClientSpec::new(code.as_str(), t.name()))
            .to_pkcs12("1357"),
    )?;
    let mut profile = SiteProfile::example(code.as_str(), &p12.display().to_string());
    changes(&mut profile);
    Ok(profile.to_toml())
}

/// The setup tool applies the site profile with `changes`. As an action (`もし`), a refusal is
/// what the person sees on the screen; as a premise (`前提`, "…を適用した"), a refusal is a
/// broken premise and fails the step.
pub(crate) fn apply(
    w: &mut KitWorld,
    changes: impl FnOnce(&mut SiteProfile),
    step: &Step,
) -> Result<()> {
    let text = site_profile(w, changes)?;
    let t = w.terminal()?.clone();
    w.screen = match oqs_setup::apply(t.as_ref(), &text) {
        Ok(steps) => steps.join("\n"),
        Err(e) if step.ty == StepType::Given => {
            anyhow::bail!("セットアップツールがプロファイルを適用できませんでした: {e}")
        }
        Err(e) => e.to_string(),
    };
    Ok(())
}

#[given(regex = r"^セットアップツールで操作1〜12をサイトのプロファイルどおりに適用した$")]
#[when(regex = r"^セットアップツールで操作1〜12をサイトのプロファイルどおりに適用する$")]
async fn apply_profile(w: &mut KitWorld, step: &Step) -> Result<()> {
    apply(w, |_| {}, step)
}

#[when(
    regex = r"^セットアップツールで(再起動の時刻|Windows Update のインストール時刻)を「(\d\d:\d\d)」にしたプロファイルを適用する$"
)]
async fn apply_with_time(w: &mut KitWorld, what: String, at: String, step: &Step) -> Result<()> {
    let restart = what == "再起動の時刻";
    apply(
        w,
        |p| match restart {
            true => p.restart_at = Some(at),
            false => p.update_at = Some(at),
        },
        step,
    )
}

#[given(regex = r"^手動プロキシ セットアップで次のとおり入力して保存した:$")]
#[when(regex = r"^手動プロキシ セットアップで次のとおり入力して保存する:$")]
async fn manual_proxy(w: &mut KitWorld, step: &Step) -> Result<()> {
    let table = step.table.as_ref().context("表がありません")?;
    let get = |k: &str| {
        table
            .rows
            .iter()
            .find(|r| r.first().map(String::as_str) == Some(k))
            .and_then(|r| r.get(1).cloned())
            .with_context(|| format!("表に「{k}」がありません"))
    };
    let (address, port, bypass) = (get("アドレス")?, get("ポート")?, get("例外")?);
    w.terminal()?
        .set_manual_proxy(&address, port.parse().unwrap_or(0), &bypass)?;
    Ok(())
}

#[given(
    regex = r"^管理者のコマンドプロンプトで「netsh winhttp (import proxy source=ie|show proxy)」を実行した$"
)]
#[when(
    regex = r"^管理者のコマンドプロンプトで「netsh winhttp (import proxy source=ie|show proxy)」を実行する$"
)]
async fn netsh(w: &mut KitWorld, cmd: String) -> Result<()> {
    let t = w.terminal()?.clone();
    w.screen = if cmd.starts_with("import") {
        t.netsh_winhttp_import_proxy_source_ie()?
    } else {
        t.netsh_winhttp_show_proxy()?
    };
    Ok(())
}

#[when(regex = r"^電源とスリープで、スリープを「なし」にする$")]
async fn sleep_never(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.set_sleep_after(None, None)?)
}

#[given(regex = r"^「高速スタートアップを有効にする（推奨）」にチェックが入っている$")]
async fn fast_startup_on(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.set_fast_startup(true)?)
}

#[when(
    regex = r"^「高速スタートアップを有効にする（推奨）」のチェックを外し、変更の保存をクリックする$"
)]
async fn fast_startup_off(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.set_fast_startup(false)?)
}

#[given(regex = r"^Windows を再起動した$")]
#[when(regex = r"^Windows を再起動する$")]
async fn restart(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.restart()?)
}

#[given(regex = r"^Windows をシャットダウンし、電源を入れた$")]
#[when(regex = r"^Windows をシャットダウンし、電源を入れる$")]
async fn shut_down_and_start(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.shut_down_and_start()?)
}

/// Observes: simulator — the fake Windows' list of tasks started at the last boot
#[then(regex = r"^タスク「([^」]+)」はスタートアップ時に(開始した|開始していない)$")]
async fn started_at_boot(w: &mut KitWorld, task: String, what: String) -> Result<()> {
    let s = w.terminal()?.system().load()?;
    let started = s.started_at_boot.contains(&task);
    ensure!(
        started == (what == "開始した"),
        "タスク「{task}」はスタートアップ時に{}（開始したタスク: {:?}、完全な起動: {}）",
        if started {
            "開始しました"
        } else {
            "開始していません"
        },
        s.started_at_boot,
        s.last_boot_full
    );
    Ok(())
}

#[given(regex = r"^(?:ノート|デスクトップ)PCがバッテリー駆動になっている$")]
async fn on_battery(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?;
    t.set_up_as(oqs_host::windows::DeviceKind::Laptop)?;
    t.unplug_power_cable()?;
    Ok(())
}

#[when(regex = r"^電源ケーブルを接続する$")]
async fn on_ac(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.connect_power_cable()?)
}

#[given(regex = r"^Windowsユーザー「([^」]+)」を管理者で作成し、そのユーザーでログオンした$")]
#[when(regex = r"^Windowsユーザー「([^」]+)」を管理者で作成し、そのユーザーでログオンする$")]
async fn create_user(w: &mut KitWorld, name: String) -> Result<()> {
    let t = w.terminal()?;
    t.create_local_administrator(&name, "Oqs#Terminal2025")?;
    t.log_on_as(&name)?;
    Ok(())
}

#[when(regex = r"^端末を監査する$")]
async fn run_audit(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?.clone();
    w.screen = oqs_setup::audit(t.as_ref())
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    Ok(())
}

fn audit_line(w: &KitWorld, item: &str) -> Result<oqs_setup::Line> {
    let t = w.terminal()?;
    oqs_setup::audit(t.as_ref())
        .into_iter()
        .find(|l| l.item == item)
        .with_context(|| format!("監査に「{item}」の項目がありません"))
}

/// Observes: component — the oqs-setup audit line for the item
#[given(regex = r"^監査の「([^」]+)」は(✓|✗)である$")]
#[then(regex = r"^監査の「([^」]+)」は(✓|✗)である$")]
async fn audit_item(w: &mut KitWorld, item: String, mark: String) -> Result<()> {
    let l = audit_line(w, &item)?;
    ensure!(l.ok == (mark == "✓"), "{l}");
    Ok(())
}

/// Observes: component — the oqs-setup audit lines
#[then(regex = r"^監査の項目はすべて✓である$")]
async fn audit_all(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?;
    let bad: Vec<String> = oqs_setup::audit(t.as_ref())
        .into_iter()
        .filter(|l| !l.ok)
        .map(|l| l.to_string())
        .collect();
    ensure!(bad.is_empty(), "✗ の項目:\n{}", bad.join("\n"));
    Ok(())
}

#[given(
    regex = r"^資格確認端末「([^」]+)」も、この端末と同じ電子証明書ファイルでセットアップした$"
)]
async fn peer_with_same_certificate(w: &mut KitWorld, name: String) -> Result<()> {
    let text = site_profile(w, |_| {})?;
    let peer = w.sim().terminal(&name)?;
    oqs_setup::apply(&peer, &text)?;
    w.site_peers.push(name);
    Ok(())
}

#[when(
    regex = r"^資格確認端末「([^」]+)」から電子証明書を削除し、その端末用の電子証明書でセットアップし直す$"
)]
async fn peer_gets_its_own(w: &mut KitWorld, name: String) -> Result<()> {
    let peer = w.sim().terminal(&name)?;
    for c in peer.list(oqs_host::certificates::StoreName::My)? {
        peer.remove(oqs_host::certificates::StoreName::My, &c.thumbprint)?;
    }
    let p12 = w.sim().dir().join(format!("{name}.p12"));
    std::fs::write(
        &p12,
        Pki::shared()
            .client(&ClientSpec::new(oqs_sim::world::DEFAULT_INSTITUTION, &name))
            .to_pkcs12("1357"),
    )?;
    let text = SiteProfile::example(
        oqs_sim::world::DEFAULT_INSTITUTION,
        &p12.display().to_string(),
    )
    .to_toml();
    oqs_setup::apply(&peer, &text)?;
    Ok(())
}

/// `(terminal, failing item)` of every ✗ in the audit of this terminal and its site peers.
fn site_failures(w: &KitWorld) -> Result<(Vec<(String, String)>, String)> {
    let mine = w.terminal()?.clone();
    let peers = w
        .site_peers
        .iter()
        .map(|n| w.sim().terminal(n))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut site: Vec<(&str, &dyn Host)> = vec![(mine.name(), mine.as_ref())];
    site.extend(peers.iter().map(|p| (p.name(), p as &dyn Host)));
    let report = oqs_setup::audit_site(&site);
    let text = report
        .iter()
        .map(|(t, lines)| {
            let l: Vec<String> = lines.iter().map(ToString::to_string).collect();
            format!("== {t}\n{}", l.join("\n"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let bad = report
        .into_iter()
        .flat_map(|(t, lines)| {
            lines
                .into_iter()
                .filter(|l| !l.ok)
                .map(move |l| (t.clone(), l.item.to_owned()))
        })
        .collect();
    Ok((bad, text))
}

#[when(regex = r"^サイトの端末をまとめて監査する$")]
async fn audit_site(w: &mut KitWorld) -> Result<()> {
    w.screen = site_failures(w)?.1;
    Ok(())
}

/// Observes: component — the oqs-setup site audit lines
#[then(regex = r"^まとめた監査で✗になるのは、どの端末も「([^」]+)」だけである$")]
async fn site_only(w: &mut KitWorld, item: String) -> Result<()> {
    let (bad, text) = site_failures(w)?;
    let terminals = 1 + w.site_peers.len();
    ensure!(
        bad.len() == terminals && bad.iter().all(|(_, i)| *i == item),
        "✗ の項目: {bad:?}\n{text}"
    );
    Ok(())
}

/// Observes: component — the oqs-setup site audit lines
#[then(regex = r"^まとめた監査の項目はすべて✓である$")]
async fn site_all(w: &mut KitWorld) -> Result<()> {
    let (bad, text) = site_failures(w)?;
    ensure!(bad.is_empty(), "✗ の項目: {bad:?}\n{text}");
    Ok(())
}

/// Observes: component — the oqs-setup audit lines
#[then(regex = r"^監査で✗になるのは「([^」]+)」だけである$")]
async fn audit_only(w: &mut KitWorld, item: String) -> Result<()> {
    let t = w.terminal()?;
    let bad: Vec<String> = oqs_setup::audit(t.as_ref())
        .into_iter()
        .filter(|l| !l.ok)
        .map(|l| l.item.to_string())
        .collect();
    ensure!(bad == vec![item.clone()], "✗ の項目: {bad:?}");
    Ok(())
}

#[given(regex = r"^タスクスケジューラからタスク「([^」]+)」を削除した$")]
async fn delete_task(w: &mut KitWorld, name: String) -> Result<()> {
    Ok(w.terminal()?.delete_task(&name)?)
}

#[when(
    regex = r"^タスクスケジューラで「([^」]+)」をインポートし、ユーザー「([^」]*)」とパスワード「([^」]*)」を指定する$"
)]
async fn import_task(w: &mut KitWorld, path: String, user: String, password: String) -> Result<()> {
    let t = w.terminal()?.clone();
    let password = if password == "（OqsComAppのパスワード）" {
        "Oqs#Terminal2025".to_owned()
    } else {
        password
    };
    w.screen = match oqs_setup::tasks::import(t.as_ref(), &path, &user, &password) {
        Ok(task) => format!("タスク「{}」を登録しました", task.name),
        Err(e) => e.to_string(),
    };
    Ok(())
}

/// Observes: simulator — the fake Task Scheduler's task (run-as user, stored password)
#[then(
    regex = r"^タスク「([^」]+)」が「([^」]+)」で、ログオンしているかどうかにかかわらず実行するように登録されている$"
)]
async fn task_registered(w: &mut KitWorld, name: String, user: String) -> Result<()> {
    let s = w.terminal()?.system().load()?;
    let t = s
        .task(&name)
        .with_context(|| format!("タスク「{name}」がありません"))?;
    ensure!(t.run_as == user, "実行ユーザー: {}", t.run_as);
    ensure!(
        t.run_whether_logged_on && t.stored_password.is_some(),
        "ログオンしているかどうかにかかわらず実行する ではありません"
    );
    Ok(())
}

/// Observes: simulator — the fake Task Scheduler's task triggers
#[then(
    regex = r"^タスク「([^」]+)」はスタートアップの(\d+)秒後に開始(?:し、(\d+)分ごとに繰り返)?す(?:る)?$"
)]
async fn task_trigger(w: &mut KitWorld, name: String, delay: u32, repeat: String) -> Result<()> {
    use oqs_host::windows::Trigger;
    let s = w.terminal()?.system().load()?;
    let t = s
        .task(&name)
        .with_context(|| format!("タスク「{name}」がありません"))?;
    let want = if repeat.is_empty() {
        Trigger::AtStartup {
            delay_seconds: delay,
        }
    } else {
        Trigger::Repeat {
            delay_seconds: delay,
            minutes: repeat.parse()?,
        }
    };
    ensure!(t.triggers.contains(&want), "トリガー: {:?}", t.triggers);
    Ok(())
}

/// Observes: simulator — the fake Task Scheduler's task AC-only flag
#[then(regex = r"^タスク「([^」]+)」はバッテリー駆動時には開始しない$")]
async fn task_ac_only(w: &mut KitWorld, name: String) -> Result<()> {
    let s = w.terminal()?.system().load()?;
    let t = s
        .task(&name)
        .with_context(|| format!("タスク「{name}」がありません"))?;
    ensure!(t.ac_only, "バッテリー駆動でも開始します");
    Ok(())
}

/// What a person sees after an action of the simulated Windows: the text it showed, or why it
/// refused.
fn act<T: Into<String>, E: std::fmt::Display>(w: &mut KitWorld, r: std::result::Result<T, E>) {
    w.screen = match r {
        Ok(shown) => shown.into(),
        Err(e) => e.to_string(),
    };
}

#[given(regex = r"^\.NET Framework 4\.8 をインストールした$")]
#[when(regex = r"^\.NET Framework 4\.8 をインストールする$")]
async fn dotnet(w: &mut KitWorld) -> Result<()> {
    w.terminal()?.install_dotnet48()?;
    Ok(())
}

#[given(regex = r"^ブラウザ拡張プラグイン（顔認証ライブラリ含む）のインストーラーを実行した$")]
#[when(regex = r"^ブラウザ拡張プラグイン（顔認証ライブラリ含む）のインストーラーを実行する$")]
async fn face_library(w: &mut KitWorld) -> Result<()> {
    let r = w.terminal()?.run_face_library_installer("2.3.0");
    act(w, r);
    Ok(())
}

/// Observes: simulator — a file on the fake terminal (laid by the sim installer or setup apply)
#[then(regex = r"^「C:\\Program Files\\OQS-Auth\\ext」に「([^」]+)」がある$")]
async fn ext_file(w: &mut KitWorld, file: String) -> Result<()> {
    let p = w
        .terminal()?
        .files()
        .resolve(&oqs_host::WinPath::parse(&format!(
            r"C:\Program Files\OQS-Auth\ext\{file}"
        ))?)?;
    ensure!(p.exists(), "{} がありません", p.display());
    Ok(())
}

#[given(regex = r"^Edge の拡張機能の画面で開発者モードを(オン|オフ)にした$")]
#[when(regex = r"^Edge の拡張機能の画面で開発者モードを(オン|オフ)にする$")]
async fn developer_mode(w: &mut KitWorld, on: String) -> Result<()> {
    w.terminal()?.edge_developer_mode(on == "オン")?;
    Ok(())
}

#[given(
    regex = r"^「([a-z]+\.crx)」を Edge の画面にドラッグしてドロップし、拡張機能の追加をクリックした$"
)]
#[when(
    regex = r"^「([a-z]+\.crx)」を Edge の画面にドラッグしてドロップし、拡張機能の追加をクリックする$"
)]
async fn add_crx(w: &mut KitWorld, file: String) -> Result<()> {
    let r = w.terminal()?.edge_add_extension(&file);
    act(w, r);
    Ok(())
}

#[given(regex = r"^3つの拡張機能を開発者モードで追加し、開発者モードをオフにした$")]
async fn add_all(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?.clone();
    t.install_dotnet48()?;
    t.run_face_library_installer("2.3.0")?;
    // 「設定を有効にするため、Windowsを再起動します」 comes before the extensions
    t.restart()?;
    t.edge_developer_mode(true)?;
    for crx in oqs_proto::site::EXTENSIONS {
        t.edge_add_extension(crx)?;
    }
    t.edge_developer_mode(false)?;
    Ok(())
}

#[when(regex = r"^Edge を再起動する$")]
async fn edge_restart(w: &mut KitWorld) -> Result<()> {
    w.screen = w.terminal()?.edge_restart()?.unwrap_or_default().to_owned();
    Ok(())
}

#[when(regex = r"^警告の「(無効にする|×)」をクリックする$")]
async fn answer_warning(w: &mut KitWorld, button: String) -> Result<()> {
    w.terminal()?.edge_answer_warning(button == "無効にする")?;
    Ok(())
}

#[when(regex = r"^Edge の拡張機能の画面で3つの拡張機能をオンに戻す$")]
async fn turn_on(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?.clone();
    for crx in oqs_proto::site::EXTENSIONS {
        t.edge_turn_on(crx)?;
    }
    Ok(())
}

#[given(
    regex = r"^セットアップツールで、顔認証付きカードリーダー「(あり|なし)」・レセコン連携「(あり|なし)」・電源「(自動|手動)」のプロファイルを適用した$"
)]
#[when(
    regex = r"^セットアップツールで、顔認証付きカードリーダー「(あり|なし)」・レセコン連携「(あり|なし)」・電源「(自動|手動)」のプロファイルを適用する$"
)]
async fn apply_variant(
    w: &mut KitWorld,
    face: String,
    his: String,
    power: String,
    step: &Step,
) -> Result<()> {
    apply(
        w,
        |p| {
            p.face_reader = face == "あり";
            p.his_linkage = his == "あり";
            p.power = match power.as_str() {
                "自動" => PowerMode::Auto,
                _ => PowerMode::Manual,
            };
        },
        step,
    )
}

/// Observes: component — the oqs-setup audit lines (the item is absent)
#[then(regex = r"^監査に「([^」]+)」の項目はない$")]
async fn audit_absent(w: &mut KitWorld, item: String) -> Result<()> {
    ensure!(audit_line(w, &item).is_err(), "監査に「{item}」があります");
    Ok(())
}

#[given(regex = r"^共有フォルダ「([^」]+)」の共有を(解除した|読み取りのみにした)$")]
async fn unshare(w: &mut KitWorld, path: String, how: String) -> Result<()> {
    let t = w.terminal()?;
    if how == "解除した" {
        t.stop_sharing_folder(&path)?;
    } else {
        t.make_share_read_only(&path)?;
    }
    Ok(())
}

#[when(regex = r"^フォルダ「([^」]+)」を「([^」]+)」に読み取り/書き込みで共有する$")]
async fn share(w: &mut KitWorld, path: String, account: String) -> Result<()> {
    Ok(w.terminal()?.share_folder_read_write(&path, &account)?)
}

#[when(regex = r"^Windowsユーザー「([^」]+)」のパスワードを「([^」]+)」に変更する$")]
async fn change_windows_password(w: &mut KitWorld, name: String, password: String) -> Result<()> {
    Ok(w.terminal()?.change_windows_password(&name, &password)?)
}

#[when(
    regex = r"^タスクスケジューラで、OqsComApp で実行するすべてのタスクにパスワード「([^」]+)」を入力し直す$"
)]
async fn reenter_task_password(w: &mut KitWorld, password: String) -> Result<()> {
    Ok(w.terminal()?
        .reenter_task_passwords(oqs_proto::site::OQS_USER, &password)?)
}

/// Seed 003's default restart of automatic-power sites, as the kit keeps it
/// (`oqs_proto::site::RESTART_RULES`); that the vendor's restart is this task is the kit's
/// reading, as the scenario says.
#[given(
    regex = r"^\[kit\] 業者が設定した自動電源設定の再起動として、タスク「定刻に再起動」が手順書003の既定「(\d\d:\d\d)」に設定されている$"
)]
async fn restart_default(w: &mut KitWorld, at: String) -> Result<()> {
    let default = oqs_proto::site::RESTART_RULES.vendor_default;
    ensure!(
        at == default,
        "手順書003の既定は「{default}」です（「{at}」ではありません）"
    );
    Ok(w.terminal()?
        .set_task_daily_at(oqs_proto::site::RESTART_TASK, &at)?)
}

#[given(
    regex = r"^医療機関コード「(\d{10})」の電子証明書が、秘密キーをエクスポート可能にしてインストールされている$"
)]
async fn exportable_cert(w: &mut KitWorld, code: String) -> Result<()> {
    let t = w.terminal()?.clone();
    for c in t.list(oqs_host::certificates::StoreName::My)? {
        t.remove(oqs_host::certificates::StoreName::My, &c.thumbprint)?;
    }
    let p12 = Pki::shared()
        .client(&ClientSpec::new(&code, t.name()))
        .to_pkcs12("1357");
    t.import_pfx(
        &p12,
        "1357",
        oqs_sim::windows::ImportOptions {
            exportable: true,
            ..Default::default()
        },
        |_| true,
    )?;
    w.code = Some(code.parse()?);
    Ok(())
}

#[when(
    regex = r"^certmgr\.msc の個人から発行者が「Online Billing NW Common Root CA」の証明書を、秘密キーを含めてパスワード「(\d+)」でエクスポートする$"
)]
async fn export(w: &mut KitWorld, password: String) -> Result<()> {
    let t = w.terminal()?.clone();
    let now = oqs_host::Clock::now(w.sim().clock());
    let c = t
        .list(oqs_host::certificates::StoreName::My)?
        .into_iter()
        .find(|c| {
            c.issued_by == oqs_certs::ROOT_CA_NAME && c.not_before <= now && now < c.not_after
        })
        .context("有効期限内の証明書がありません")?;
    match t.export_pfx(&c.thumbprint, &password) {
        Ok(bytes) => {
            w.screen = oqs_sim::windows::EXPORT_DONE.into();
            w.certificate.download = Some(crate::steps::certificate::Download {
                bytes,
                password,
                code: c.issued_to.parse()?,
            });
        }
        Err(e) => w.screen = e.to_string(),
    }
    Ok(())
}

#[given(regex = r"^バックアップした電子証明書ファイルのパスワードを「(\d+)」と入力する$")]
#[when(regex = r"^バックアップした電子証明書ファイルのパスワードを「(\d+)」と入力する$")]
async fn backup_password(w: &mut KitWorld, password: String) -> Result<()> {
    let d = w
        .certificate
        .download
        .as_mut()
        .context("バックアップがありません")?;
    d.password = password;
    Ok(())
}

#[given(
    regex = r"^(?:アクティブ時間を自動的に調整する|グループポリシー「自動更新を構成する」|インターネット時刻サーバー|ディスプレイの拡大縮小)が「([^」]+)」になっている$"
)]
async fn setting_is(w: &mut KitWorld, step: &cucumber::gherkin::Step, value: String) -> Result<()> {
    let text = &step.value;
    let t = w.terminal()?;
    if text.starts_with("アクティブ時間") {
        t.set_active_hours_auto_adjust(value == "オン")?;
    } else if text.starts_with("グループポリシー") {
        t.set_automatic_updates_policy(value != "未構成")?;
    } else if text.starts_with("インターネット時刻") {
        t.set_time_server(&value)?;
    } else {
        t.set_display_scaling(value.trim_end_matches('%').parse().unwrap_or(100))?;
    }
    Ok(())
}

#[when(
    regex = r"^Windowsに「([^」]+)」でログオンし、顔認証付きカードリーダーのメーカー「([^」]+)」のソフトウェアをインストールする$"
)]
async fn vendor_software(w: &mut KitWorld, user: String, vendor: String) -> Result<()> {
    let t = w.terminal()?.clone();
    t.log_on_as(&user)?;
    t.install_face_reader_software(&vendor)?;
    Ok(())
}

#[given(
    regex = r"^端末は(デスクトップ|ノート)PCで、スリープは電源に接続時「([^」]+)」・バッテリー駆動時「([^」]+)」になっている$"
)]
async fn sleep_settings(w: &mut KitWorld, kind: String, ac: String, battery: String) -> Result<()> {
    let minutes = |v: &str| -> Option<u32> { v.trim_end_matches('分').parse().ok() };
    let t = w.terminal()?;
    t.set_up_as(if kind == "ノート" {
        oqs_host::windows::DeviceKind::Laptop
    } else {
        oqs_host::windows::DeviceKind::Desktop
    })?;
    t.set_sleep_after(minutes(&ac), minutes(&battery))?;
    Ok(())
}
