//! The World's clock. It stands still unless a scenario moves it, so a run is the same every
//! time; it can jump (60 days on, or to 03:55 the same day) at once.

use oqs_host::Clock;
use oqs_host::clock::JST;
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime, Time};

/// The instant every World starts at unless told otherwise: a weekday morning, inside the
/// validity of the test client certificates.
pub const DEFAULT_START: OffsetDateTime = time::macros::datetime!(2025-04-01 09:00 +9);

#[derive(Clone, Debug)]
pub struct SimClock(Arc<Mutex<OffsetDateTime>>);

impl SimClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(start)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set(&self, at: OffsetDateTime) {
        *self.lock() = at;
    }

    pub fn advance(&self, by: Duration) {
        *self.lock() += by;
    }

    /// Moves to the next time `hh:mm` JST comes round (today if still ahead, else tomorrow).
    pub fn advance_to_time_of_day(&self, at: Time) {
        let mut now = self.lock();
        let local = now.to_offset(JST);
        let mut target = local.replace_time(at);
        if target <= local {
            target += Duration::days(1);
        }
        *now = target;
    }
}

impl Default for SimClock {
    fn default() -> Self {
        Self::new(DEFAULT_START)
    }
}

impl Clock for SimClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
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
}
