//! Operation 3's インターネット時刻 [000 op3 04–06]: the server typed in, 今すぐ更新 over real
//! SNTP to the World's pool, and the manual's こんなときは branches.

use crate::KitWorld;
use anyhow::{Result, ensure};
use cucumber::{given, then, when};
use oqs_host::Host;

#[given(regex = r"^配信拠点のNTPサーバーが稼働している$")]
async fn ntp_running(w: &mut KitWorld) -> Result<()> {
    w.sim().ntp()?;
    Ok(())
}

#[given(regex = r"^端末の時計が(\d+)分(進んで|遅れて)いる$")]
async fn skewed(w: &mut KitWorld, minutes: i64, way: String) -> Result<()> {
    let by = time::Duration::minutes(if way == "進んで" {
        minutes
    } else {
        -minutes
    });
    w.terminal()?.set_clock_skew(by)?;
    Ok(())
}

#[given(
    regex = r"^インターネット時刻設定でサーバーに「([^」]*)」を入力し、今すぐ更新をクリックした$"
)]
#[when(
    regex = r"^インターネット時刻設定でサーバーに「([^」]*)」を入力し、今すぐ更新をクリックする$"
)]
async fn type_and_update(w: &mut KitWorld, server: String) -> Result<()> {
    let t = w.terminal()?.clone();
    t.set_time_server(&server)?;
    w.screen = t.update_time_now()?.message().to_owned();
    Ok(())
}

#[when(regex = r"^今すぐ更新をクリックする$")]
async fn update_again(w: &mut KitWorld) -> Result<()> {
    w.screen = w.terminal()?.update_time_now()?.message().to_owned();
    Ok(())
}

/// Observes: simulator — the fake terminal's local clock against the sim clock
#[then(regex = r"^端末の時計は正しい時刻になっている$")]
async fn clock_right(w: &mut KitWorld) -> Result<()> {
    let t = w.terminal()?;
    let (local, now) = (t.local_time()?, t.clock().now());
    ensure!(
        (local - now).abs() < time::Duration::seconds(1),
        "端末の時計が {} ずれています",
        local - now
    );
    Ok(())
}

/// Observes: simulator — the sim NTP servers' answer counts
#[then(regex = r"^NTPサーバー(\d+)台がそれぞれ(\d+)回ずつ応答した$")]
async fn each_answered(w: &mut KitWorld, servers: usize, times: u64) -> Result<()> {
    let served: Vec<u64> = w
        .sim()
        .ntp()?
        .servers()
        .iter()
        .map(|s| s.served())
        .collect();
    ensure!(
        served.len() == servers && served.iter().all(|&n| n == times),
        "NTPサーバーの応答回数: {served:?}"
    );
    Ok(())
}

#[given(regex = r"^ネットワーク機器がDNSラウンドロビンに対応していない$")]
async fn no_round_robin(w: &mut KitWorld) -> Result<()> {
    w.sim().names().set_round_robin_supported(false);
    Ok(())
}

#[when(regex = r"^ネットワーク機器をDNSラウンドロビンに対応させる$")]
async fn round_robin_fixed(w: &mut KitWorld) -> Result<()> {
    w.sim().names().set_round_robin_supported(true);
    Ok(())
}

#[given(regex = r"^ファイアウォールでポート(\d+)が閉じられている$")]
async fn port_closed(w: &mut KitWorld, port: u16) -> Result<()> {
    Ok(w.terminal()?.firewall_block_port(port)?)
}

#[when(regex = r"^ファイアウォールでポート(\d+)を開ける$")]
async fn port_opened(w: &mut KitWorld, port: u16) -> Result<()> {
    Ok(w.terminal()?.firewall_open_port(port)?)
}

/// Observes: simulator — the sim NTP pool's answer count
#[then(regex = r"^NTPサーバーには問い合わせが届いていない$")]
async fn nothing_reached(w: &mut KitWorld) -> Result<()> {
    let served = w.sim().ntp()?.served();
    ensure!(served == 0, "NTPサーバーが {served} 回応答しています");
    Ok(())
}
