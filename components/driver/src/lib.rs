//! The kit's reference reader driver (the face library's part of the terminal, OqsFaceApp):
//! checks with a My Number Card — or a smartphone carrying one — at face and generic readers.
//!
//! | module | what it does |
//! |---|---|
//! | [`jpki`] | the card's JPKI-AP: token, 利用者証明用電子証明書, PIN, signature |
//! | [`bindings`] | the login-name tool: `ReaderInfo.ini`, 接続中/未接続/未登録, 新規追加, 撤去 |
//! | [`settings`] | institution code, `OQS_CRYPT_PASS`, face output settings |
//! | [`check`] | the check flows of operation 12 (03–07) against the qualification server |
//! | [`face_output`] | `OQSsiquc01res_face_…xml` in `FaceDataDir` |
//! | `pcsc` (feature `pcsc`) | readers through the real PC/SC stack (`pcsc` crate → pcscd) |
//!
//! Readers come in through [`oqs_host::Readers`]: the simulator's in-process readers by
//! default, or PC/SC.

pub mod bindings;
pub mod check;
pub mod face_output;
pub mod jpki;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod settings;

pub use check::{COMPLETED, CheckError, CheckOutcome, CheckRequest, Driver, Operator};
