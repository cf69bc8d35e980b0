//! The simulated world around an online qualification terminal (オンライン資格確認).
//!
//! | module | what it simulates |
//! |---|---|
//! | [`world`] | the [`World`]: seed, clock, name table, services on loopback |
//! | [`clock`] | the sim clock (jumps, never the wall clock) |
//! | [`distro`] | the distribution server (配信拠点 and クラウド), its catalog in batches |
//! | [`names`] | the name table standing in for DNS |
//! | [`net`] | the network's services: the NTP pool and the proxy |
//! | [`qualification`] | オンライン資格確認等システム with mutual TLS, accounts, settings, lookups |
//! | [`windows`] | the fake Windows terminal: `C:\`, certificate stores, Credential Manager, Edge |

pub mod clock;
pub mod distro;
pub mod names;
pub mod net;
pub mod provision;
pub mod qualification;
pub mod reader;
pub mod windows;
pub mod world;

pub use clock::SimClock;
pub use names::NameTable;
pub use world::{World, WorldBuilder};

/// The production URL of the qualification system, as the desktop shortcut holds it [000 op7].
pub const PORTAL_URL: &str = "https://hweb.oqs.onshikaku.org/web/";
