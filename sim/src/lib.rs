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
//! | [`reader`] | My Number Cards, the face and generic card readers, in process or behind vpcd |
//! | [`provision`] | a terminal set up as the manual's operations leave it, in one call |
//!
//! A World in a few lines: one seed drives every random choice, every service listens on
//! `127.0.0.1:0`, and time is the World's own clock.
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oqs_host::Clock;
//! use oqs_sim::World;
//!
//! let world = World::builder().seed(42).build()?;
//! let server = world.qualification().await?;
//! assert!(server.addr().ip().is_loopback());
//! // the usage application registered the kit's institution, with its master account
//! let code = "1312345678".parse()?;
//! let master = world.with_site(&code, |s| s.master_id.clone()).expect("registered");
//! assert!(oqs_proto::account::is_master_id(&master));
//! // a scenario jumps 60 days at once; nothing waits
//! let before = world.clock().now();
//! world.clock().advance(time::Duration::days(60));
//! assert_eq!(world.clock().now() - before, time::Duration::days(60));
//! # Ok(())
//! # }
//! ```

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
/// The test PKI the simulated certificate site issues from. Component libraries never depend
/// on it; their tests reach it through the simulator, their dev-dependency (`cargo xtask deps`
/// refuses a component's direct dependency on it, tests included).
pub use oqs_certs as certs;
pub use world::{World, WorldBuilder};

/// The production URL of the qualification system, as the desktop shortcut holds it [000 op7].
pub const PORTAL_URL: &str = "https://hweb.oqs.onshikaku.org/web/";
