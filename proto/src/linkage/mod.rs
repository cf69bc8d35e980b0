//! The linkage app's file interface with the HIS (レセコン): request files dropped into
//! `C:\OQS\req`, result files answered into `C:\OQS\res` (INTERFACES.md §1).
//!
//! | module | what it holds |
//! |---|---|
//! | [`file_name`] | `<SYS><kind><nn>req_<suffix>.xml` ↔ `…res_<suffix>.xml`, kinds, extensions |
//! | [`encoding`] | UTF-8 / Shift_JIS by the XML declaration, strict in both directions |
//! | [`message`] | the request and result XML documents (`XmlMsg`) |
//! | [`config`] | `UserDefinition.property`, `UserDefinitionForFace.property`, `encrypt.conf` |
//! | [`crypt`] | `OQS_CRYPT_PASS` and the AES-256 password ZIP around a request or result |

pub mod config;
pub mod crypt;
pub mod encoding;
pub mod file_name;
pub mod message;

pub use file_name::{Direction, Extension, FileName, RequestKind};
