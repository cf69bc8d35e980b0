//! インターネット時刻 [000 op3 04–06]: the server typed into インターネット時刻設定 and its
//! 今すぐ更新 button, which asks that server over real SNTP through the World's name table.

use super::FakeTerminal;
use crate::net::ntp;
use oqs_host::clock::JST;
use oqs_host::{Host, SystemSettings};
use std::io;
use time::Duration;

/// How long 今すぐ更新 waits for an answer (a network wait, not a time source).
const WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The result of 今すぐ更新, with the dialog's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeUpdate {
    /// 「時計は … に … と正常に同期しました。」
    Synced { message: String, corrected_ms: i64 },
    /// 「… と同期中にエラーが発生しました。…」
    Failed { message: String },
}

impl TimeUpdate {
    pub fn message(&self) -> &str {
        match self {
            Self::Synced { message, .. } | Self::Failed { message } => message,
        }
    }
}

/// The manual's own text for a name that does not resolve [000 op3 こんなときは].
pub fn peer_not_resolved(server: &str) -> String {
    format!("{server} と同期中にエラーが発生しました。ピアは解決されていません。")
}

/// No answer (port 123 closed, server down). The manual quotes only the message above; this
/// is Windows' wording for a timeout.
pub fn timed_out(server: &str) -> String {
    format!(
        "{server} と同期中にエラーが発生しました。この操作を終了する前にタイムアウト期間が過ぎました。"
    )
}

impl FakeTerminal {
    /// インターネット時刻設定: サーバー and the check box インターネット時刻サーバーと同期する.
    pub fn set_time_server(&self, server: &str) -> io::Result<()> {
        let mut w = self.load()?;
        w.time.enabled = true;
        w.time.server = server.to_owned();
        self.save(&w)
    }

    /// Makes this PC's clock wrong by `by` (positive: ahead), at most ten years either way.
    pub fn set_clock_skew(&self, by: Duration) -> io::Result<()> {
        if by.abs() > Duration::days(3653) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("時計のずれ {by} は大きすぎます（10年以内にしてください）"),
            ));
        }
        let mut w = self.load()?;
        w.time.skew_ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.save(&w)
    }

    /// The time this PC shows (the World's time plus its skew).
    pub fn local_time(&self) -> io::Result<time::OffsetDateTime> {
        let w = self.load()?;
        Ok(self.clock().now() + Duration::milliseconds(w.time.skew_ms))
    }

    /// 今すぐ更新: resolve the server (UDP 123), ask the first address, set the clock.
    /// The outcome is kept in the state file as the dialog showed it.
    pub fn update_time_now(&self) -> io::Result<TimeUpdate> {
        let mut w = self.load()?;
        let server = w.time.server.trim().to_owned();
        let skew = Duration::milliseconds(w.time.skew_ms);
        let now = || self.clock().now() + skew;
        let outcome = match self.names().resolve(&server, 123) {
            Err(_) => TimeUpdate::Failed {
                message: peer_not_resolved(&server),
            },
            // the site's firewall drops the request: no answer ever comes
            Ok(_) if w.blocked_ports.contains(&123) => TimeUpdate::Failed {
                message: timed_out(&server),
            },
            Ok(addrs) => match ntp::query(addrs[0], &now, WAIT) {
                Ok(sample) => {
                    let corrected = i64::try_from(sample.offset_nanos / 1_000_000).unwrap_or(0);
                    w.time.skew_ms += corrected;
                    let shown = (self.clock().now() + Duration::milliseconds(w.time.skew_ms))
                        .to_offset(JST);
                    TimeUpdate::Synced {
                        message: format!(
                            "時計は {:04}/{:02}/{:02} {}:{:02} に {server} と正常に同期しました。",
                            shown.year(),
                            u8::from(shown.month()),
                            shown.day(),
                            shown.hour(),
                            shown.minute()
                        ),
                        corrected_ms: corrected,
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    TimeUpdate::Failed {
                        message: timed_out(&server),
                    }
                }
                Err(e) => TimeUpdate::Failed {
                    message: format!("{server} と同期中にエラーが発生しました。{e}"),
                },
            },
        };
        w.time.last_update = Some(outcome.message().to_owned());
        self.save(&w)?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::World;
    use crate::names::hosts;
    use oqs_host::Clock;

    #[test]
    fn update_now_corrects_the_clock_through_the_pool_in_turn() {
        let world = World::builder().build().unwrap();
        let pool = world.ntp().unwrap();
        let t = world.terminal("T1").unwrap();
        t.set_time_server(hosts::NTP).unwrap();
        t.set_clock_skew(Duration::minutes(-7)).unwrap();
        let r = t.update_time_now().unwrap();
        assert_eq!(
            r,
            TimeUpdate::Synced {
                message: "時計は 2025/04/01 9:00 に ntp.base.oqs-pdl.org と正常に同期しました。"
                    .into(),
                corrected_ms: 420_000,
            }
        );
        assert_eq!(t.local_time().unwrap(), world.clock().now());
        assert_eq!(
            t.load().unwrap().time.last_update.as_deref(),
            Some(r.message())
        );
        t.update_time_now().unwrap();
        // round robin: the second update asked another server
        let served: Vec<u64> = pool.servers().iter().map(|s| s.served()).collect();
        assert_eq!(served.iter().sum::<u64>(), 2);
        assert!(served.iter().all(|&n| n <= 1), "{served:?}");
    }

    #[test]
    fn a_typo_a_device_without_round_robin_and_a_closed_port_fail_with_their_messages() {
        let world = World::builder().build().unwrap();
        world.ntp().unwrap();
        let t = world.terminal("T1").unwrap();
        t.set_time_server("ntp.base.oqs-pd1.org").unwrap();
        assert_eq!(
            t.update_time_now().unwrap().message(),
            "ntp.base.oqs-pd1.org と同期中にエラーが発生しました。ピアは解決されていません。"
        );
        t.set_time_server(hosts::NTP).unwrap();
        world.names().set_round_robin_supported(false);
        assert_eq!(
            t.update_time_now().unwrap().message(),
            peer_not_resolved(hosts::NTP)
        );
        world.names().set_round_robin_supported(true);
        let mut w = t.load().unwrap();
        w.blocked_ports.push(123);
        t.save(&w).unwrap();
        assert_eq!(
            t.update_time_now().unwrap().message(),
            timed_out(hosts::NTP)
        );
        assert_eq!(world.ntp().unwrap().served(), 0);
    }
}
