//! What a terminal component needs from Windows, as small traits. Real components only ever see
//! these; the simulator's fake terminal implements them over a temp directory, and a vendor's
//! port could implement them over the real OS.
//!
//! | trait | Windows feature |
//! |---|---|
//! | [`Files`] | the file system under `C:\` |
//! | [`CredentialManager`] | 資格情報マネージャー, Windows 資格情報 → 汎用資格情報 |
//! | [`CertificateStore`] | the CurrentUser `My` (個人) and `Root` (信頼されたルート証明機関) stores |
//! | [`Clock`] | the system clock (NTP-synchronised on a real terminal) |
//! | [`Resolver`] | name resolution (DNS) |
//! | [`Readers`] | card readers through PC/SC (WinSCard), and face readers' cameras |
//! | [`SystemSettings`] | the Windows settings the manuals touch ([`WindowsState`]: users, power, proxy, tasks, …) |
//!
//! | module | what it holds |
//! |---|---|
//! | [`files`] | [`Files`] and [`WinPath`], Windows paths resolved on this machine |
//! | [`credentials`] | [`CredentialManager`] |
//! | [`certificates`] | [`CertificateStore`], its stores and entries |
//! | [`clock`] | [`Clock`] and the JST offset |
//! | [`names`] | [`Resolver`] |
//! | [`readers`] | [`Readers`]: PC/SC readers, card channels, face cameras |
//! | [`windows`] | [`SystemSettings`] and [`WindowsState`]: users, power, proxy, WinHTTP, tasks, Edge, apps, shares |
//! | `dir` (feature `dir`) | `TerminalDir`: a whole terminal kept in a directory |
//! | `https` (feature `https`) | TLS connections the way Windows makes them for its programs |
//! | `pki` (feature `pki`) | certificates read as the certificate dialog shows them, PKCS#12 opened as the import wizard does |

pub mod certificates;
pub mod clock;
pub mod credentials;
#[cfg(feature = "dir")]
pub mod dir;
pub mod files;
#[cfg(feature = "https")]
pub mod https;
pub mod names;
#[cfg(feature = "pki")]
pub mod pki;
pub mod readers;
pub mod windows;

pub use certificates::{CertificateStore, StoreName, StoredCertificate};
pub use clock::{Clock, SystemClock};
pub use credentials::{CredentialManager, GenericCredential};
pub use files::{Files, WinPath};
pub use names::Resolver;
pub use readers::{CardChannel, FaceMatch, ReaderEntry, ReaderError, ReaderKind, Readers};
pub use windows::{SystemSettings, WindowsState};

/// Everything a component may ask of its terminal.
pub trait Host: Send + Sync {
    fn files(&self) -> &dyn Files;
    fn credentials(&self) -> &dyn CredentialManager;
    fn certificates(&self) -> &dyn CertificateStore;
    fn clock(&self) -> &dyn Clock;
    fn names(&self) -> &dyn Resolver;
    fn system(&self) -> &dyn SystemSettings;
}
