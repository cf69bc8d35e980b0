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
//! With feature `dir`, [`dir::TerminalDir`] keeps a whole terminal in a directory; with feature
//! `https`, [`https`] builds TLS connections the way Windows does for its programs.
//!
//! Tasks, proxy/WinHTTP and power arrive with the issues that need them, as further traits
//! on [`Host`].

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
