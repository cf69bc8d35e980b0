//! The terminal's file system, addressed by Windows paths (`C:\OQS\req`). A component never
//! builds host paths itself: it asks [`Files::resolve`], so the same code runs on a real
//! terminal and inside the simulator's temp directory.

use std::io;
use std::path::PathBuf;

/// A parsed absolute Windows path: drive letter and components, compared case-insensitively
/// like NTFS does.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WinPath {
    pub drive: char,
    pub components: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WinPathError {
    #[error("「{0}」は C:\\ のようなドライブから始まる絶対パスではありません")]
    NotAbsolute(String),
    #[error("パス「{0}」に使えない文字または「..」が含まれています")]
    BadComponent(String),
}

impl WinPath {
    pub fn parse(s: &str) -> Result<Self, WinPathError> {
        let b = s.as_bytes();
        if b.len() < 3
            || !b[0].is_ascii_alphabetic()
            || b[1] != b':'
            || !(b[2] == b'\\' || b[2] == b'/')
        {
            return Err(WinPathError::NotAbsolute(s.to_owned()));
        }
        let mut components = Vec::new();
        for c in s[3..]
            .split(['\\', '/'])
            .filter(|c| !c.is_empty() && *c != ".")
        {
            if c == ".." || c.contains(['<', '>', ':', '"', '|', '?', '*', '\0']) {
                return Err(WinPathError::BadComponent(s.to_owned()));
            }
            components.push(c.to_owned());
        }
        Ok(Self {
            drive: (b[0] as char).to_ascii_uppercase(),
            components,
        })
    }

    /// The components lower-cased, for case-insensitive comparison.
    pub fn key(&self) -> Vec<String> {
        self.components.iter().map(|c| c.to_lowercase()).collect()
    }

    pub fn join(&self, name: &str) -> Result<Self, WinPathError> {
        Self::parse(&format!("{self}\\{name}"))
    }
}

impl std::fmt::Display for WinPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:\\{}", self.drive, self.components.join("\\"))
    }
}

pub trait Files: Send + Sync {
    /// Where a Windows path lives on this machine. The file need not exist.
    fn resolve(&self, path: &WinPath) -> io::Result<PathBuf>;

    /// The file's bytes, or `None` when it does not exist (a configuration file the installer
    /// did not write means its defaults).
    fn read_if_exists(&self, path: &WinPath) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.resolve(path)?) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes the file whole, making its folders: under a temporary name first, then renamed,
    /// so a reader never sees half of it.
    fn write_file(&self, path: &WinPath, bytes: &[u8]) -> io::Result<()> {
        let local = self.resolve(path)?;
        if let Some(dir) = local.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = local.with_extension("tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_windows_paths() {
        let p = WinPath::parse(r"c:\OQS\req\").unwrap();
        assert_eq!(p.to_string(), r"C:\OQS\req");
        assert_eq!(p.key(), vec!["oqs", "req"]);
        assert_eq!(p.join("a.xml").unwrap().to_string(), r"C:\OQS\req\a.xml");
        assert!(WinPath::parse(r"OQS\req").is_err());
        assert!(WinPath::parse(r"C:\OQS\..\Windows").is_err());
    }
}
