//! The kit's reference linkage app (連携アプリケーション, OqsComApp): the HIS drops request files
//! into `C:\OQS\req`, the app asks the qualification server and answers into `C:\OQS\res`.
//!
//! | module | what it does |
//! |---|---|
//! | [`settings`] | reads Credential Manager (`OQS_LOGIN_KEY`, …) and the config files at start |
//! | [`answer`] | the core with no I/O: request file → request, server answer → result file |
//! | [`folders`] | `req`/`res`/work folders and the claim → prepare → publish protocol |
//! | [`app`] | the running app: watch, settle, answer, publish, forgotten-file deletion |
//! | `par` | a group's work spread over a few threads (flushes, decryption, sealing) |
//!
//! Guarantee: every request file that lands in `req` gets exactly one answer in `res`, across
//! crashes and restarts; an answer never overwrites a file; a file still being written is not
//! read.

pub mod answer;
pub mod app;
pub mod folders;
mod par;
pub mod settings;

pub use app::{CrashPoint, Fault, LinkageApp, Options};
pub use oqs_client as client;
pub use settings::{Settings, SetupError};
