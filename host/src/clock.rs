//! Time, always through a [`Clock`], so the simulator can jump 60 days or to 03:55 at once.

use time::{OffsetDateTime, UtcOffset};

/// Japan Standard Time, the offset every manual's time is in.
pub const JST: UtcOffset = time::macros::offset!(+9);

pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;

    /// The current instant in JST.
    fn now_jst(&self) -> OffsetDateTime {
        self.now().to_offset(JST)
    }
}

/// The operating system's clock, for components running on a real machine. Never used by the
/// simulator or in tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
