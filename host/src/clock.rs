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

/// An instant as RFC 3339, how the kit writes times into files and messages.
pub fn rfc3339(t: OffsetDateTime) -> String {
    // RFC 3339 only refuses years past 9999 and offsets with seconds: not the kit's times
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An RFC 3339 instant (surrounding whitespace ignored).
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
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
