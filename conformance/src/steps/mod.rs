//! The step library: one module per domain area. A step parses its phrase, calls the
//! simulator or a component, and asserts; chores live in [`crate::world::KitWorld`].

pub mod accounts;
#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "browser")]
pub mod browser_files;
pub mod certificate;
pub mod common;
pub mod distro;
pub mod faults;
pub mod internet_time;
pub mod linkage;
pub mod lookup;
pub mod password;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod portal;
pub mod reader;
pub mod settings;
pub mod setup;
pub mod succession;
#[cfg(test)]
pub mod test_only;

use anyhow::{Context, Result};
use time::{Date, OffsetDateTime};

/// `2025/04/01` as 09:00 JST that day.
pub fn jst_date(s: &str) -> Result<OffsetDateTime> {
    let d = Date::parse(s, time::macros::format_description!("[year]/[month]/[day]"))
        .with_context(|| format!("日付「{s}」は yyyy/MM/dd ではありません"))?;
    Ok(d.with_time(time::macros::time!(09:00))
        .assume_offset(oqs_host::clock::JST))
}
