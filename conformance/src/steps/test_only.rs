//! Step definitions that exist only in the crate's own tests, to show that the dry run refuses
//! a claim on a step that does nothing and a definition whose regex lacks the captures its
//! function takes. `build.rs` marks them `test_only`, so the real dry run does not see them.

use crate::KitWorld;
use anyhow::Result;
use cucumber::{given, then};

#[given(regex = r"^（試験用）何もしない$")]
async fn does_nothing(_w: &mut KitWorld) -> Result<()> {
    Ok(())
}

#[given(regex = r"^（試験用）引数のない手順$")]
async fn miswired(_w: &mut KitWorld, _n: usize, _what: String) -> Result<()> {
    anyhow::bail!("never reached: cucumber fails on the missing captures first")
}

/// Observes: simulator — the terminal's name
#[then(regex = r"^（試験用）端末がある$")]
async fn has_terminal(w: &mut KitWorld) -> Result<()> {
    w.terminal()?;
    Ok(())
}
