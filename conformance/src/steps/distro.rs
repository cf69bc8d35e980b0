//! The distribution app [000 op11; 001 step 13; 002; 003; 004]: its management tool's buttons,
//! the service's runs, restarts, and the network faults of seed 002. Steps are phrase → call →
//! assert; the app is `oqs_distro::DistroApp` on the scenario's terminal.

use crate::KitWorld;
use anyhow::{Context, Result, ensure};
use cucumber::{given, then, when};
use oqs_distro::DistroApp;
use oqs_host::{CertificateStore, Host};
use oqs_proto::distro::{App, Record, ServerChoice, Status};
use oqs_proto::site::{Network, ProxySpec, StopAutoUpdate};
use oqs_sim::names::hosts;

/// The distribution app on the scenario's terminal [000 op11; 001 step 13; 002; 003; 004]: how
/// many restarts it asked for, and the boots counted when its notice was answered.
#[derive(Default)]
pub struct DistroScene {
    /// Restart rounds the agent's Status asked for before it settled.
    pub rounds: usize,
    /// Windows boots counted when a notification was answered, to show it restarted nothing.
    pub boots_seen: Option<u32>,
}

fn app(w: &KitWorld) -> Result<DistroApp> {
    let t = w.terminal()?.clone();
    let name = t.name().to_owned();
    Ok(DistroApp::new(t, &name))
}

#[given(regex = r"^セットアップツールで、ネットワーク構成「([^」]+)」のプロファイルを適用した$")]
async fn apply_network(w: &mut KitWorld, network: String) -> Result<()> {
    let network: Network = network.parse().map_err(anyhow::Error::msg)?;
    let text = crate::steps::setup::site_profile(w, |p| {
        p.network = network;
        if network != Network::BaseOrigin {
            // the values asked of the carrier; the World's proxy stands for the carrier's
            p.proxy = Some(ProxySpec {
                address: hosts::PROXY.into(),
                port: 8080,
                bypass: oqs_proto::site::BYPASS.into(),
                ntp: None,
            });
        }
    })?;
    let t = w.terminal()?.clone();
    let done =
        oqs_setup::apply(t.as_ref(), &text).map_err(|e| anyhow::anyhow!("適用できません: {e}"))?;
    w.screen = done.join("\n");
    Ok(())
}

#[given(
    regex = r"^セットアップツールで、自動アップデートを停止する理由「([^」]+)」のプロファイルを適用した$"
)]
async fn apply_stop_auto_update(w: &mut KitWorld, why: String) -> Result<()> {
    let why: StopAutoUpdate = why.parse().map_err(anyhow::Error::msg)?;
    let text = crate::steps::setup::site_profile(w, |p| p.stop_auto_update = Some(why))?;
    let t = w.terminal()?.clone();
    oqs_setup::apply(t.as_ref(), &text).map_err(|e| anyhow::anyhow!("適用できません: {e}"))?;
    Ok(())
}

#[given(regex = r"^配信サーバーとプロキシが稼働している$")]
async fn servers_running(w: &mut KitWorld) -> Result<()> {
    // through the fault relay, as for the qualification server
    w.sim().distro_relay().await?;
    w.sim().proxy().await?;
    Ok(())
}

#[given(
    regex = r"^オンライン資格確認配信アプリケーション管理ツールで「配信サーバーへの接続確認」をクリックした$"
)]
#[when(
    regex = r"^オンライン資格確認配信アプリケーション管理ツールで「配信サーバーへの接続確認」をクリックする$"
)]
async fn connection_check(w: &mut KitWorld) -> Result<()> {
    w.screen = match app(w)?.connection_check().await? {
        Ok(m) => m.to_owned(),
        Err(f) => f.to_string(),
    };
    Ok(())
}

#[given(
    regex = r"^オンライン資格確認配信アプリケーション管理ツールで「今すぐダウンロード」をクリックした$"
)]
#[when(
    regex = r"^オンライン資格確認配信アプリケーション管理ツールで「今すぐダウンロード」をクリックする$"
)]
async fn download_now(w: &mut KitWorld) -> Result<()> {
    w.screen = app(w)?.download_now().await?.to_owned();
    Ok(())
}

/// The service runs by itself while time passes (its task and timers): after the sim clock
/// moves, it gets its turn, as it would have on a running terminal.
async fn service_in_background(w: &KitWorld) -> Result<()> {
    let a = app(w)?;
    if a.service_running()?.is_ok() {
        a.run().await?;
    }
    Ok(())
}

/// Observes: component — the distribution agent's own restart notification (restart_notice)
#[then(regex = r"^再起動を求める通知が表示されている$")]
async fn notice_shown(w: &mut KitWorld) -> Result<()> {
    ensure!(
        app(w)?.restart_notice()?,
        "再起動を求める通知は表示されていません（Status={}）",
        app(w)?.status()?.map(|s| s.to_string()).unwrap_or_default()
    );
    Ok(())
}

#[when(regex = r"^配信アプリケーションのサービスが動く$")]
async fn service_runs(w: &mut KitWorld) -> Result<()> {
    w.screen = match app(w)?.run().await {
        Ok(st) => format!("Status={st}"),
        Err(e) => e.to_string(),
    };
    Ok(())
}

#[when(
    regex = r"^オンライン資格確認配信アプリケーション管理ツールで「配信実績の確認」をクリックする$"
)]
async fn record(w: &mut KitWorld) -> Result<()> {
    let a = app(w)?;
    w.screen = match a.record()? {
        Some(t) => t,
        None => {
            let why = a.service_running()?.err().unwrap_or_default();
            format!("配信実績が出力されていません。{why}")
        }
    };
    Ok(())
}

/// Observes: component — the distribution agent's 配信実績 record text file
#[then(
    regex = r"^配信実績に医療機関コード「(\d{10})」とコンピューター名「([^」]+)」が出力されている$"
)]
async fn record_shows(w: &mut KitWorld, code: String, computer: String) -> Result<()> {
    let text = app(w)?.record()?.context("配信実績が出力されていません")?;
    let r = Record::parse(&text).map_err(anyhow::Error::msg)?;
    ensure!(
        r.institution_code == code && r.computer_name == computer,
        "配信実績:\n{text}"
    );
    Ok(())
}

/// The Status line of 配信実績 as a person reads it (the agent's record text file).
fn record_status(w: &mut KitWorld) -> Result<Status> {
    let text = app(w)?.record()?.context("配信実績が出力されていません")?;
    let r = Record::parse(&text).map_err(anyhow::Error::msg)?;
    Ok(r.status)
}

/// Observes: component — the Status line of the agent's 配信実績 record text file
#[then(regex = r"^配信実績の Status は「([^」]+)」である$")]
async fn status_is(w: &mut KitWorld, want: String) -> Result<()> {
    let st = record_status(w)?;
    ensure!(st.to_string() == want, "Status={st}");
    Ok(())
}

/// Observes: component — the Status line of the agent's 配信実績 record text file
#[then(regex = r"^配信実績の Status は未適用更新ファイルなしの定期実行待ちである$")]
async fn status_done(w: &mut KitWorld) -> Result<()> {
    let st = record_status(w)?;
    ensure!(
        matches!(
            st,
            Status::Scheduled {
                nothing_pending: true,
                ..
            }
        ),
        "Status={st}"
    );
    Ok(())
}

#[given(
    regex = r"^再起動を求める通知が出なくなるまで、「今すぐダウンロード」と再起動を繰り返した$"
)]
#[when(regex = r"^再起動を求める通知が出なくなるまで、「今すぐダウンロード」と再起動を繰り返す$")]
async fn rounds(w: &mut KitWorld) -> Result<()> {
    let a = app(w)?;
    let t = w.terminal()?.clone();
    let mut n = 0;
    loop {
        a.download_now().await?;
        // 「しばらくして」: wait while it downloads and installs, a minute at a time
        for _ in 0..60 {
            if !matches!(a.status()?, Some(Status::Updating | Status::Downloading)) {
                break;
            }
            w.sim().clock().advance(time::Duration::minutes(1));
            a.run().await?;
        }
        if a.status()? != Some(Status::RestartPending) {
            break;
        }
        n += 1;
        ensure!(n <= 10, "10 回繰り返しても再起動の通知が出続けます");
        t.restart()?;
        // the service starts with Windows
        a.run().await?;
    }
    w.distro.rounds = n;
    Ok(())
}

/// Observes: component — restart rounds the agent's Status asked for (kit-counted in `rounds`)
#[then(regex = r"^再起動は(\d+)回で済んだ$")]
async fn restarts(w: &mut KitWorld, n: usize) -> Result<()> {
    ensure!(
        w.distro.rounds == n,
        "再起動は {} 回でした",
        w.distro.rounds
    );
    Ok(())
}

#[given(regex = r"^配信アプリケーションの設定の変更で配信サーバーを「([^」]+)」にした$")]
#[when(regex = r"^配信アプリケーションの設定の変更で配信サーバーを「([^」]+)」にする$")]
async fn choose_server(w: &mut KitWorld, label: String) -> Result<()> {
    let a = app(w)?;
    let mut s = a.settings()?;
    s.server = ServerChoice::from_label(&label).context("配信拠点(推奨) か クラウド")?;
    a.save_settings(&s)?;
    Ok(())
}

#[when(regex = r"^設定の変更の詳細設定で開発者コードに「([^」]+)」と入力して OK をクリックする$")]
async fn developer_code(w: &mut KitWorld, code: String) -> Result<()> {
    let a = app(w)?;
    let mut s = a.settings()?;
    s.developer_code = code;
    w.screen = match a.save_settings(&s) {
        Ok(()) => "保存しました".into(),
        Err(e) => e.to_string(),
    };
    Ok(())
}

#[given(
    regex = r"^医療機関のネットワークは配信拠点につながっていない（ネットワーク事業者起点の構成）$"
)]
async fn carrier_network(w: &mut KitWorld) -> Result<()> {
    w.sim().names().set_reachable(hosts::DISTRO_BASE, false);
    Ok(())
}

#[given(
    regex = r"^プロキシの例外から「([^」]+)」を消して netsh winhttp import proxy source=ie を実行した$"
)]
async fn bypass_without(w: &mut KitWorld, entry: String) -> Result<()> {
    let t = w.terminal()?;
    t.delete_proxy_bypass_entry(&entry)?;
    t.netsh_winhttp_import_proxy_source_ie()?;
    Ok(())
}

#[given(
    regex = r"^プロキシの例外の「([^」]+)」の前のセミコロンを消して netsh winhttp import proxy source=ie を実行した$"
)]
async fn bypass_semicolon(w: &mut KitWorld, entry: String) -> Result<()> {
    let t = w.terminal()?;
    t.delete_semicolon_before_proxy_bypass_entry(&entry)?;
    t.netsh_winhttp_import_proxy_source_ie()?;
    Ok(())
}

#[given(
    regex = r"^WinHTTP のプロキシ設定は直接アクセスのままである（netsh winhttp import をしていない）$"
)]
async fn winhttp_direct(w: &mut KitWorld) -> Result<()> {
    w.terminal()?.netsh_winhttp_reset_proxy()?;
    Ok(())
}

#[when(
    regex = r"^プロキシの例外を手順書どおりに入力し直し、netsh winhttp import proxy source=ie を実行する$"
)]
async fn bypass_fixed(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?;
    t.retype_proxy_bypass(oqs_proto::site::BYPASS)?;
    t.netsh_winhttp_import_proxy_source_ie()?;
    Ok(())
}

#[given(regex = r"^配信アプリケーションのバージョンは「([^」]+)」である$")]
async fn own_version(w: &mut KitWorld, v: String) -> Result<()> {
    let t = w.terminal()?;
    t.files().write_file(
        &oqs_host::WinPath::parse(oqs_proto::version_info::DISTRO_APP)?,
        &oqs_proto::version_info::render(&v),
    )?;
    Ok(())
}

#[when(regex = r"^最新の配信アプリケーション「([^」]+)」を再インストールする$")]
async fn reinstall(w: &mut KitWorld, v: String) -> Result<()> {
    own_version(w, v).await
}

/// Observes: component — the agent's アプリバージョン情報 (Version.info the setup tool / agent wrote)
#[then(regex = r"^アプリバージョン情報で「([^」]+)」は「([^」]+)」である$")]
async fn version_is(w: &mut KitWorld, label: String, want: String) -> Result<()> {
    let app_kind = App::ALL
        .into_iter()
        .find(|a| a.label() == label)
        .with_context(|| {
            format!("「{label}」は配信アプリケーションが更新するアプリではありません")
        })?;
    let got = app(w)?
        .versions()?
        .into_iter()
        .find(|(a, _)| *a == app_kind)
        .map(|(_, v)| v.to_string())
        .unwrap_or_default();
    ensure!(got == want, "「{label}」は {got}");
    Ok(())
}

/// Observes: component — the agent's アプリバージョン情報, against the sim distro server's catalog
#[then(regex = r"^どのアプリも配信サーバーの最新バージョンと一致している$")]
async fn all_latest(w: &mut KitWorld) -> Result<()> {
    let catalog = w.sim().distro().await?.catalog();
    let have = app(w)?.versions()?;
    for r in catalog {
        let got = have
            .iter()
            .find(|(a, _)| *a == r.app)
            .map(|(_, v)| v.clone());
        ensure!(
            got.as_ref() == Some(&r.version),
            "「{}」は {:?}、最新は {}",
            r.app.label(),
            got.map(|v| v.to_string()),
            r.version
        );
    }
    Ok(())
}

#[given(regex = r"^今日は配信開始当日で、更新ファイルの準備に(\d+)分かかる$")]
async fn release_day(w: &mut KitWorld, minutes: i64) -> Result<()> {
    w.sim()
        .distro()
        .await?
        .set_release_day(Some(time::Duration::minutes(minutes)));
    Ok(())
}

#[when(regex = r"^(\d+)分待つ$")]
async fn wait(w: &mut KitWorld, minutes: i64) -> Result<()> {
    w.sim().clock().advance(time::Duration::minutes(minutes));
    service_in_background(w).await
}

#[given(regex = r"^配信アプリケーションの自動アップデートを停止した$")]
async fn stop_auto_update(w: &mut KitWorld) -> Result<()> {
    let a = app(w)?;
    let mut s = a.settings()?;
    s.auto_update = false;
    a.save_settings(&s)?;
    Ok(())
}

#[given(regex = r"^タスク「OQS_exec_distroappstart」が登録されていない$")]
async fn no_task(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.delete_task(oqs_distro::TASK)?)
}

#[given(regex = r"^個人ストアから電子証明書を削除した$")]
async fn no_certificate(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?;
    for c in t.list(oqs_host::certificates::StoreName::My)? {
        t.remove(oqs_host::certificates::StoreName::My, &c.thumbprint)?;
    }
    Ok(())
}

/// Observes: simulator — the World proxy's access log
#[then(regex = r"^プロキシのアクセスログに「([^」]+)」への接続が(\d{3})で記録されている$")]
async fn proxy_log(w: &mut KitWorld, host: String, status: u16) -> Result<()> {
    let log = w.sim().proxy().await?.log();
    ensure!(
        log.iter()
            .any(|a| a.target.starts_with(&format!("{host}:")) && a.status == status),
        "プロキシのアクセスログ: {log:?}"
    );
    Ok(())
}

/// Observes: simulator — the World proxy's access log
#[then(regex = r"^プロキシには配信サーバーへの接続が記録されていない$")]
async fn proxy_untouched(w: &mut KitWorld) -> Result<()> {
    let log = w.sim().proxy().await?.log();
    ensure!(
        !log.iter().any(|a| a.target.starts_with(hosts::DISTRO_BASE)
            || a.target.starts_with(hosts::DISTRO_CLOUD)),
        "プロキシのアクセスログ: {log:?}"
    );
    Ok(())
}

/// Observes: component — raw Version.info bytes the setup tool / distribution agent wrote
#[then(regex = r"^「([^」]+\\Version\.info)」のバージョンは「([^」]+)」である$")]
async fn version_file(w: &mut KitWorld, path: String, want: String) -> Result<()> {
    let t = w.terminal()?;
    let bytes = t
        .files()
        .read_if_exists(&oqs_host::WinPath::parse(&path)?)?
        .with_context(|| format!("「{path}」がありません"))?;
    let got = oqs_proto::version_info::parse(&bytes).unwrap_or_default();
    ensure!(got == want, "「{path}」のバージョンは {got}");
    Ok(())
}

#[when(
    regex = r"^Edge の拡張機能の画面で「([^」]+)」の削除をクリックし、確認メッセージで削除をクリックする$"
)]
async fn remove_extension(w: &mut KitWorld, name: String) -> Result<()> {
    let file = oqs_proto::site::extension_file(&name)
        .with_context(|| format!("「{name}」はオンライン資格確認の拡張機能ではありません"))?;
    ensure!(
        w.terminal()?.edge_remove_extension(file)?,
        "拡張機能「{name}」は追加されていません"
    );
    Ok(())
}

/// Observes: simulator — the fake Edge's extension list
#[then(regex = r"^Edge に3つの拡張機能はない$")]
async fn no_extensions(w: &mut KitWorld) -> Result<()> {
    let s = w.terminal()?.system().load()?;
    ensure!(
        s.edge.extensions.is_empty(),
        "拡張機能が残っています: {:?}",
        s.edge.extensions
    );
    Ok(())
}

#[when(
    regex = r"^追加完了メッセージの「同期を有効にする」はクリックせず、右上の「×」をクリックする$"
)]
async fn close_sync_prompt(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.terminal()?.edge_close_added_message()?,
        "Edge に追加完了メッセージは表示されていません（拡張機能を追加した直後に閉じます）"
    );
    Ok(())
}

#[given(regex = r"^追加完了メッセージで「同期を有効にする」をクリックしてしまった$")]
#[when(regex = r"^追加完了メッセージで「同期を有効にする」をクリックしてしまう$")]
async fn sync_clicked(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.edge_click_enable_sync()?)
}

/// Observes: simulator — whether the simulated Edge shows its sign-in screen
#[then(regex = r"^Edge にサインイン画面が表示されている$")]
async fn signin_shown(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.terminal()?.system().load()?.edge.signin_open,
        "Edge にサインイン画面は表示されていません"
    );
    Ok(())
}

#[when(regex = r"^サインイン画面が出てきますが、サインインせず「×」で閉じる$")]
async fn signin_closed(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.terminal()?.edge_close_signin()?,
        "Edge にサインイン画面は表示されていません"
    );
    Ok(())
}

#[when(regex = r"^サインイン画面でサインインしてしまう$")]
async fn signed_in(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.terminal()?.edge_sign_in()?,
        "Edge にサインイン画面は表示されていません"
    );
    Ok(())
}

#[when(regex = r"^\[kit\] Edge の設定で同期をオフにする$")]
async fn sync_off(w: &mut KitWorld) -> Result<()> {
    Ok(w.terminal()?.edge_turn_sync_off()?)
}

/// Observes: simulator — the kit's own Status::advice text in oqs-proto (nothing run)
#[then(regex = r"^配信実績の Status「([^」]+)」に対する手順書の指示は「(.+)」である$")]
async fn advice(_w: &mut KitWorld, status: String, want: String) -> Result<()> {
    let st: Status = status.parse().map_err(anyhow::Error::msg)?;
    ensure!(st.advice().contains(&want), "「{status}」: {}", st.advice());
    Ok(())
}

#[when(regex = r"^再起動を求める通知の「(確認しました|×)」をクリックする$")]
async fn answer_notification(w: &mut KitWorld) -> Result<()> {
    let a = app(w)?;
    ensure!(a.restart_notice()?, "再起動を求める通知は出ていません");
    w.distro.boots_seen = Some(w.terminal()?.system().load()?.boots);
    a.acknowledge_notice()?;
    Ok(())
}

/// Observes: simulator — the fake terminal's boot counter
#[then(regex = r"^端末は再起動されていない$")]
async fn not_restarted(w: &mut KitWorld) -> Result<()> {
    let before = w.distro.boots_seen.context("通知に答えていません")?;
    let now = w.terminal()?.system().load()?.boots;
    ensure!(now == before, "端末が再起動されました（{before} → {now}）");
    Ok(())
}
