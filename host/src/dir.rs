//! A terminal whose state lives in a directory: `C:\` as real files, the certificate stores and
//! Credential Manager as small files beside it. The simulator creates and inspects terminals
//! like this, and a component running as its own process (a vendor target, the crash soak)
//! opens the same directory, so both see one terminal.
//!
//! ```text
//! <root>/C/…                                 C:\ (names matched case-insensitively, like NTFS)
//! <root>/state/credentials/<hex>.json        generic credentials
//! <root>/state/certs/<store>/<thumbprint>.der + .key (PKCS#8) + .json (the store's columns)
//! <root>/state/names                         the World's name table (see [`StaticNames`])
//! <root>/state/windows.json                  the Windows settings ([`crate::WindowsState`])
//! ```

use crate::certificates::{ALL_STORES, CertificateStore, StoreName, StoredCertificate};
use crate::credentials::{CredentialManager, GenericCredential};
use crate::files::{Files, WinPath};
use crate::{Clock, Host, Resolver};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct TerminalDir {
    root: PathBuf,
    clock: Arc<dyn Clock>,
    names: Arc<dyn Resolver>,
}

impl std::fmt::Debug for TerminalDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalDir")
            .field("root", &self.root)
            .finish()
    }
}

impl TerminalDir {
    /// Opens a terminal directory from a component process: the name table the simulator
    /// wrote (`state/names`), and the terminal's time: standing still at `at` (RFC 3339, as in
    /// the simulator), read at every use from a file (`file:<path>`, see [`FileClock`]), or
    /// the system clock.
    pub fn open_from_process(root: &Path, at: Option<&str>) -> io::Result<Self> {
        let clock: Arc<dyn Clock> = match at {
            Some(at) => match at.strip_prefix("file:") {
                Some(path) => Arc::new(FileClock::open(Path::new(path))?),
                None => Arc::new(FixedClock(crate::clock::parse_rfc3339(at).map_err(
                    |e| io::Error::new(io::ErrorKind::InvalidInput, format!("--at {at}: {e}")),
                )?)),
            },
            None => Arc::new(crate::SystemClock),
        };
        let names = StaticNames::parse(
            &std::fs::read_to_string(Self::names_file(root)).unwrap_or_default(),
        )?;
        Self::open(root, clock, Arc::new(names))
    }

    /// Opens (creating if missing) the terminal under `root`.
    pub fn open(root: &Path, clock: Arc<dyn Clock>, names: Arc<dyn Resolver>) -> io::Result<Self> {
        for d in ["C", "state/credentials"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        let t = Self {
            root: root.into(),
            clock,
            names,
        };
        for store in ALL_STORES {
            std::fs::create_dir_all(t.store_dir(store))?;
        }
        Ok(t)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The name table file of this terminal (written by the simulator).
    pub fn names_file(root: &Path) -> PathBuf {
        root.join("state/names")
    }

    fn store_dir(&self, store: StoreName) -> PathBuf {
        self.root.join("state/certs").join(match store {
            StoreName::My => "My",
            StoreName::Root => "Root",
            StoreName::MachineMy => "LocalMachine/My",
            StoreName::MachineRoot => "LocalMachine/Root",
        })
    }

    fn credential_path(&self, target: &str) -> PathBuf {
        let hex: String = target
            .to_lowercase()
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.root
            .join("state/credentials")
            .join(format!("{hex}.json"))
    }
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Writes through a temporary file and a rename, so a reader never sees half a file.
impl TerminalDir {
    fn windows_file(&self) -> PathBuf {
        self.root.join("state").join("windows.json")
    }
}

/// A terminal directory without `state/windows.json` is a fresh Windows.
impl crate::SystemSettings for TerminalDir {
    fn load(&self) -> io::Result<crate::WindowsState> {
        match std::fs::read(self.windows_file()) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", self.windows_file().display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(crate::WindowsState::fresh()),
            Err(e) => Err(e),
        }
    }

    fn save(&self, state: &crate::WindowsState) -> io::Result<()> {
        let text = serde_json::to_vec_pretty(state).map_err(invalid)?;
        write_atomic(&self.windows_file(), &text)
    }
}

pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, data)?;
    std::fs::rename(tmp, path)
}

#[derive(Serialize, Deserialize)]
struct CredFile {
    target: String,
    user: String,
    password: String,
}

impl CredentialManager for TerminalDir {
    fn read_generic(&self, target: &str) -> io::Result<Option<GenericCredential>> {
        match std::fs::read(self.credential_path(target)) {
            Ok(b) => {
                let c: CredFile = serde_json::from_slice(&b).map_err(invalid)?;
                Ok(Some(GenericCredential {
                    target: c.target,
                    user: c.user,
                    password: c.password,
                }))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write_generic(&self, c: GenericCredential) -> io::Result<()> {
        let path = self.credential_path(&c.target);
        let body = serde_json::to_vec_pretty(&CredFile {
            target: c.target,
            user: c.user,
            password: c.password,
        })?;
        write_atomic(&path, &body)
    }

    fn delete_generic(&self, target: &str) -> io::Result<bool> {
        match std::fs::remove_file(self.credential_path(target)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn list_generic(&self) -> io::Result<Vec<GenericCredential>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(self.root.join("state/credentials"))? {
            let path = e?.path();
            if path.extension().is_some_and(|x| x == "json") {
                let c: CredFile = serde_json::from_slice(&std::fs::read(path)?).map_err(invalid)?;
                out.push(GenericCredential {
                    target: c.target,
                    user: c.user,
                    password: c.password,
                });
            }
        }
        out.sort_by_key(|a| a.target.to_lowercase());
        Ok(out)
    }
}

/// The columns of a store entry, kept beside its DER.
#[derive(Serialize, Deserialize)]
struct CertMeta {
    issued_to: String,
    issued_by: String,
    #[serde(with = "time::serde::rfc3339")]
    not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    not_after: OffsetDateTime,
    exportable: bool,
    strong_protection: bool,
}

impl CertificateStore for TerminalDir {
    fn list(&self, store: StoreName) -> io::Result<Vec<StoredCertificate>> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(self.store_dir(store))? {
            let path = e?.path();
            if path.extension().is_some_and(|x| x == "der") {
                let der = std::fs::read(&path)?;
                let meta: CertMeta =
                    serde_json::from_slice(&std::fs::read(path.with_extension("json"))?)
                        .map_err(invalid)?;
                let thumbprint = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(StoredCertificate {
                    issued_to: meta.issued_to,
                    issued_by: meta.issued_by,
                    not_before: meta.not_before,
                    not_after: meta.not_after,
                    thumbprint,
                    der,
                    private_key: std::fs::read(path.with_extension("key")).ok(),
                    exportable: meta.exportable,
                    strong_protection: meta.strong_protection,
                });
            }
        }
        out.sort_by(|a, b| a.thumbprint.cmp(&b.thumbprint));
        Ok(out)
    }

    fn add(&self, store: StoreName, cert: StoredCertificate) -> io::Result<()> {
        let base = self.store_dir(store).join(&cert.thumbprint);
        if let Some(k) = &cert.private_key {
            write_atomic(&base.with_extension("key"), k)?;
        }
        let meta = serde_json::to_vec_pretty(&CertMeta {
            issued_to: cert.issued_to,
            issued_by: cert.issued_by,
            not_before: cert.not_before,
            not_after: cert.not_after,
            exportable: cert.exportable,
            strong_protection: cert.strong_protection,
        })
        .map_err(invalid)?;
        write_atomic(&base.with_extension("json"), &meta)?;
        // The DER last: a certificate is in the store once its .der exists.
        write_atomic(&base.with_extension("der"), &cert.der)
    }

    fn remove(&self, store: StoreName, thumbprint: &str) -> io::Result<bool> {
        let base = self.store_dir(store).join(thumbprint.to_ascii_uppercase());
        let existed = base.with_extension("der").exists();
        // The DER first, for the same reason.
        for ext in ["der", "key", "json"] {
            let _ = std::fs::remove_file(base.with_extension(ext));
        }
        Ok(existed)
    }
}

impl Files for TerminalDir {
    fn resolve(&self, path: &WinPath) -> io::Result<PathBuf> {
        if path.drive != 'C' {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("ドライブ {}: はこの端末にありません", path.drive),
            ));
        }
        // NTFS is case-insensitive: reuse an existing entry whatever its case.
        let mut p = self.root.join("C");
        for c in &path.components {
            let existing = std::fs::read_dir(&p).ok().and_then(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name())
                    .find(|n| n.to_string_lossy().to_lowercase() == c.to_lowercase())
            });
            p.push(existing.unwrap_or_else(|| c.into()));
        }
        Ok(p)
    }
}

impl Host for TerminalDir {
    fn files(&self) -> &dyn Files {
        self
    }
    fn credentials(&self) -> &dyn CredentialManager {
        self
    }
    fn certificates(&self) -> &dyn CertificateStore {
        self
    }
    fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
    fn system(&self) -> &dyn crate::SystemSettings {
        self
    }

    fn names(&self) -> &dyn Resolver {
        self.names.as_ref()
    }
}

/// A fixed name table, read from a file of `host port address…` lines — how the World's
/// names reach a component running as its own process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StaticNames(BTreeMap<(String, u16), Vec<SocketAddr>>);

impl StaticNames {
    pub fn parse(text: &str) -> io::Result<Self> {
        let mut t = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let mut words = line.split_whitespace();
            let (Some(host), Some(port)) = (words.next(), words.next()) else {
                continue;
            };
            let bad = || {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "名前表の{}行目「{line}」は「ホスト名 ポート アドレス…」ではありません",
                        i + 1
                    ),
                )
            };
            let port: u16 = port.parse().map_err(|_| bad())?;
            let addrs = words
                .map(|w| w.parse::<SocketAddr>().map_err(|_| bad()))
                .collect::<io::Result<Vec<_>>>()?;
            t.insert((host.to_ascii_lowercase(), port), addrs);
        }
        Ok(Self(t))
    }

    pub fn render(entries: &[(String, u16, Vec<SocketAddr>)]) -> String {
        entries
            .iter()
            .map(|(h, p, a)| {
                let addrs: Vec<String> = a.iter().map(ToString::to_string).collect();
                format!("{h} {p} {}\n", addrs.join(" "))
            })
            .collect()
    }
}

impl Resolver for StaticNames {
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        self.0
            .get(&(host.to_ascii_lowercase(), port))
            .cloned()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{host} の名前解決ができません"),
                )
            })
    }
}

/// The simulator's clock seen from another process: a file holding one RFC 3339 instant,
/// rewritten (atomically) by the simulator whenever its clock moves, and read at every use.
/// If the file cannot be read for a moment, the last instant read stands.
#[derive(Debug)]
pub struct FileClock {
    path: PathBuf,
    last: std::sync::Mutex<OffsetDateTime>,
}

impl FileClock {
    pub fn open(path: &Path) -> io::Result<Self> {
        let first = Self::read(path)?;
        Ok(Self {
            path: path.into(),
            last: std::sync::Mutex::new(first),
        })
    }

    fn read(path: &Path) -> io::Result<OffsetDateTime> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            io::Error::new(e.kind(), format!("時計ファイル {}: {e}", path.display()))
        })?;
        crate::clock::parse_rfc3339(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "時計ファイル {} の「{}」は RFC 3339 の時刻ではありません: {e}",
                    path.display(),
                    text.trim()
                ),
            )
        })
    }
}

impl Clock for FileClock {
    fn now(&self) -> OffsetDateTime {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(t) = Self::read(&self.path) {
            *last = t;
        }
        *last
    }
}

/// A clock that stands still at one instant, like the simulator's between jumps.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terminal(dir: &Path) -> TerminalDir {
        TerminalDir::open(
            dir,
            Arc::new(FixedClock(OffsetDateTime::UNIX_EPOCH)),
            Arc::new(StaticNames::default()),
        )
        .unwrap()
    }

    #[test]
    fn credentials_persist_and_match_case_insensitively() {
        let dir = tempfile::tempdir().unwrap();
        let t = terminal(dir.path());
        t.write_generic(GenericCredential {
            target: "OQS_LOGIN_KEY".into(),
            user: "R0RENK01".into(),
            password: "Renk#0001".into(),
        })
        .unwrap();
        let t2 = terminal(dir.path());
        assert_eq!(
            t2.read_generic("oqs_login_key").unwrap().unwrap().user,
            "R0RENK01"
        );
        assert!(t2.delete_generic("OQS_LOGIN_KEY").unwrap());
        assert!(t2.read_generic("OQS_LOGIN_KEY").unwrap().is_none());
    }

    #[test]
    fn files_resolve_case_insensitively() {
        let dir = tempfile::tempdir().unwrap();
        let t = terminal(dir.path());
        let p = t.resolve(&WinPath::parse(r"C:\OQS\req").unwrap()).unwrap();
        std::fs::create_dir_all(&p).unwrap();
        assert_eq!(
            t.resolve(&WinPath::parse(r"c:\oqs\REQ").unwrap()).unwrap(),
            p
        );
        assert!(t.resolve(&WinPath::parse(r"D:\x").unwrap()).is_err());
    }

    #[test]
    fn file_clock_follows_the_file_and_keeps_the_last_good_instant() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("clock");
        std::fs::write(&f, "2025-04-01T09:00:00+09:00\n").unwrap();
        let t = TerminalDir::open_from_process(d.path(), Some(&format!("file:{}", f.display())))
            .unwrap();
        let at = |s: &str| crate::clock::parse_rfc3339(s).unwrap();
        assert_eq!(t.clock().now(), at("2025-04-01T09:00:00+09:00"));
        write_atomic(&f, b"2025-04-01T09:31:00+09:00").unwrap();
        assert_eq!(t.clock().now(), at("2025-04-01T09:31:00+09:00"));
        std::fs::write(&f, "garbage").unwrap();
        assert_eq!(t.clock().now(), at("2025-04-01T09:31:00+09:00"));
        std::fs::write(&f, "not a time").unwrap();
        let e = FileClock::open(&f).unwrap_err().to_string();
        assert!(e.contains("RFC 3339") && e.contains("not a time"), "{e}");
    }

    #[test]
    fn names_file_round_trips() {
        // A name file entry only: nothing binds or connects here.
        let a = SocketAddr::from(([127, 0, 0, 1], 4000));
        let text = StaticNames::render(&[("hweb.oqs.onshikaku.org".into(), 443, vec![a, a])]);
        let n = StaticNames::parse(&text).unwrap();
        assert_eq!(
            n.resolve("HWEB.oqs.onshikaku.org", 443).unwrap(),
            vec![a, a]
        );
        let e = n.resolve("nowhere.example", 443).unwrap_err();
        assert!(e.to_string().contains("nowhere.example"));
        assert!(StaticNames::parse("h x 1").is_err());
    }
}
