//! The World's clock. It stands still unless a scenario moves it, so a run is the same every
//! time; it can jump (60 days on, or to 03:55 the same day) at once. For a person at
//! `cargo xtask sim` it can also run at real pace ([`SimClock::run_at_real_pace`]).

use oqs_host::Clock;
use oqs_host::clock::JST;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime, Time};

/// The instant every World starts at unless told otherwise: a weekday morning, inside the
/// validity of the test client certificates.
pub const DEFAULT_START: OffsetDateTime = time::macros::datetime!(2025-04-01 09:00 +9);

#[derive(Clone, Debug)]
pub struct SimClock(Arc<Mutex<Inner>>);

#[derive(Debug)]
struct Inner {
    now: OffsetDateTime,
    /// Files other processes read the time from ([`oqs_host::dir::FileClock`]).
    mirrors: Vec<PathBuf>,
}

impl SimClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            now: start,
            mirrors: Vec::new(),
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `path` holding the current instant (RFC 3339) from now on, so a component
    /// running as its own process (a vendor target) lives in the World's time.
    pub fn mirror_to(&self, path: &Path) -> std::io::Result<()> {
        let mut inner = self.lock();
        write_instant(path, inner.now)?;
        if !inner.mirrors.iter().any(|p| p == path) {
            inner.mirrors.push(path.into());
        }
        Ok(())
    }

    fn moved(inner: &Inner) {
        for p in &inner.mirrors {
            // A mirror that cannot be written shows up as the target living in the old time,
            // which the scenario reports; the World's own clock goes on.
            if let Err(e) = write_instant(p, inner.now) {
                tracing::warn!("時計ファイル {} を書けません: {e}", p.display());
            }
        }
    }

    pub fn set(&self, at: OffsetDateTime) {
        let mut inner = self.lock();
        inner.now = at;
        Self::moved(&inner);
    }

    pub fn advance(&self, by: Duration) {
        let mut inner = self.lock();
        inner.now += by;
        Self::moved(&inner);
    }

    /// Moves to the next time `hh:mm` JST comes round (today if still ahead, else tomorrow).
    pub fn advance_to_time_of_day(&self, at: Time) {
        let mut inner = self.lock();
        let local = inner.now.to_offset(JST);
        let mut target = local.replace_time(at);
        if target <= local {
            target += Duration::days(1);
        }
        inner.now = target;
        Self::moved(&inner);
    }
}

impl SimClock {
    /// Lets the clock run at real pace, for a person using `cargo xtask sim`: every second it
    /// moves on by the time that really passed, so the manual's time rules (the 10-minute
    /// incomplete request, forgotten-file deletion, password expiry) happen as they would.
    /// Scenarios never call it: their time moves only when a step moves it. Stops when the
    /// returned task is aborted.
    pub fn run_at_real_pace(&self) -> tokio::task::JoinHandle<()> {
        let clock = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            let mut last = tokio::time::Instant::now();
            loop {
                tick.tick().await;
                let now = tokio::time::Instant::now();
                clock.advance(Duration::try_from(now - last).unwrap_or_default());
                last = now;
            }
        })
    }
}

fn write_instant(path: &Path, at: OffsetDateTime) -> std::io::Result<()> {
    oqs_host::dir::write_atomic(path, oqs_host::clock::rfc3339(at).as_bytes())
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new(DEFAULT_START)
    }
}

impl Clock for SimClock {
    fn now(&self) -> OffsetDateTime {
        self.lock().now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, time};

    #[test]
    fn jumps() {
        let c = SimClock::new(datetime!(2025-04-01 09:00 +9));
        c.advance(Duration::days(60));
        assert_eq!(c.now(), datetime!(2025-05-31 09:00 +9));
        c.advance_to_time_of_day(time!(03:55));
        assert_eq!(c.now(), datetime!(2025-06-01 03:55 +9));
        c.advance_to_time_of_day(time!(04:10));
        assert_eq!(c.now(), datetime!(2025-06-01 04:10 +9));
    }

    #[tokio::test(start_paused = true)]
    async fn at_real_pace_the_clock_follows_the_time_that_passes() {
        let c = SimClock::new(datetime!(2025-04-01 09:00 +9));
        let task = c.run_at_real_pace();
        // tokio's paused time: ten seconds pass at once, and no wall clock is read
        tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
        assert_eq!(c.now(), datetime!(2025-04-01 09:00:10 +9));
        task.abort();
        let _ = task.await;
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        assert_eq!(c.now(), datetime!(2025-04-01 09:00:10 +9), "stopped");
    }

    #[test]
    fn another_process_reads_the_same_time_through_a_mirror() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("clock");
        let c = SimClock::new(datetime!(2025-04-01 09:00 +9));
        c.mirror_to(&f).unwrap();
        let other = oqs_host::dir::FileClock::open(&f).unwrap();
        assert_eq!(other.now(), datetime!(2025-04-01 09:00 +9));
        c.advance(Duration::minutes(31));
        assert_eq!(other.now(), datetime!(2025-04-01 09:31 +9));
        c.advance_to_time_of_day(time!(03:55));
        assert_eq!(other.now(), datetime!(2025-04-02 03:55 +9));
        c.set(datetime!(2026-01-01 00:00 +9));
        assert_eq!(other.now(), c.now());
    }
}
