//! Faults on the way to a service, switched by a scenario (the World's relay and the server's
//! 503s, `oqs_sim::net::fault`): the line drops, connections are reset or refused with a TLS
//! alert, the server is slow or busy. The components must recover with nothing lost.

use crate::KitWorld;
use anyhow::Result;
use cucumber::{given, then, when};
use oqs_proto::linkage::message::ResultMessage;
use std::time::Duration;

#[given(
    regex = r"^オンライン資格確認等システムとの回線が切れ、次の接続(\d+)本がリセットされ、次の(\d+)本がTLSのアラートで断られる$"
)]
#[when(
    regex = r"^オンライン資格確認等システムとの回線が切れ、次の接続(\d+)本がリセットされ、次の(\d+)本がTLSのアラートで断られる$"
)]
async fn qualification_line_drops(w: &mut KitWorld, resets: u32, alerts: u32) -> Result<()> {
    let relay = w.sim().qualification_relay().await?;
    relay.set(|t| {
        t.reset_next = resets;
        t.tls_alert_next = alerts;
    });
    relay.cut();
    Ok(())
}

#[given(regex = r"^オンライン資格確認等システムが次の要求(\d+)件に「503」を返す$")]
#[when(regex = r"^オンライン資格確認等システムが次の要求(\d+)件に「503」を返す$")]
async fn qualification_busy(w: &mut KitWorld, n: u32) -> Result<()> {
    w.sim().qualification().await?.faults().unavailable_next(n);
    Ok(())
}

#[given(regex = r"^オンライン資格確認等システムとの通信に(\d+)ミリ秒の遅延が入る$")]
async fn qualification_slow(w: &mut KitWorld, ms: u64) -> Result<()> {
    let relay = w.sim().qualification_relay().await?;
    relay.set(|t| t.latency = Duration::from_millis(ms));
    relay.cut();
    Ok(())
}

#[given(regex = r"^配信サーバーとの回線が切れ、次の接続(\d+)本がリセットされる$")]
#[when(regex = r"^配信サーバーとの回線が切れ、次の接続(\d+)本がリセットされる$")]
async fn distro_line_drops(w: &mut KitWorld, resets: u32) -> Result<()> {
    let relay = w.sim().distro_relay().await?;
    relay.set(|t| t.reset_next = resets);
    relay.cut();
    Ok(())
}

#[when(regex = r"^配信サーバーとの回線が戻る$")]
async fn distro_line_back(w: &mut KitWorld) -> Result<()> {
    w.sim().distro_relay().await?.clear();
    Ok(())
}

/// Observes: simulator — the fault relay's own count of what it did to connections
#[then(regex = r"^障害はすべて起きた（リセット(\d+)本、TLSのアラート(\d+)本、503が(\d+)件）$")]
async fn faults_happened(w: &mut KitWorld, resets: u64, alerts: u64, busy: u32) -> Result<()> {
    let c = w.sim().qualification_relay().await?.counts();
    let sent = w.sim().qualification().await?.faults().unavailable_sent();
    anyhow::ensure!(
        (c.reset, c.alerted, sent) == (resets, alerts, busy),
        "リセット{}本、アラート{}本、503が{}件でした（ある要求がこれらに出会わなかった）",
        c.reset,
        c.alerted,
        sent
    );
    Ok(())
}

/// Observes: component — each result file of the batch, read as a HIS reads it
#[then(regex = r"^すべての結果ファイルの処理結果区分は「1」（正常）である$")]
async fn batch_all_normal(w: &mut KitWorld) -> Result<()> {
    let res = crate::steps::linkage::res_folder(w)?;
    for i in 0..w.linkage.batch {
        let name = format!("OQSsiquc01res_BATCH{i:04}.xml");
        let m = ResultMessage::from_bytes(&std::fs::read(res.join(&name))?)?;
        anyhow::ensure!(
            m.segment() == "1",
            "「{name}」の処理結果区分は「{}」です: {}",
            m.segment(),
            m.message_header
                .error_message
                .as_deref()
                .unwrap_or_default()
        );
    }
    Ok(())
}
