//! What the workspace's tests and tools share about the machine they run on.
//!
//! Skips: libtest has no way for a test to say "skipped" at run time: a test that returns
//! early counts as passed. So a test that cannot run here (a tool
//! or a privilege missing) calls [`skip`], which says why and appends a line to the file named
//! by `OQS_SKIP_LOG`; `cargo xtask test` sets that variable and counts those tests as skipped,
//! not passed.

use std::io::Write as _;

/// A variable cargo sets only for the package it builds or runs (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, …). A nested cargo call must not inherit them: build scripts track some
/// (ring's does), so every call would rebuild ring and everything above it.
pub fn is_cargo_package_var(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME"
                | "CARGO_BIN_NAME"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_TARGET_TMPDIR"
                | "CARGO_RUSTC_CURRENT_DIR"
        )
}

/// The variable `cargo xtask test` sets to the file skipped tests are written to.
pub const SKIP_LOG: &str = "OQS_SKIP_LOG";

/// This test cannot run here because of `why`: print it and record the skip. The caller
/// returns right after.
pub fn skip(why: &str) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("?");
    eprintln!("skipped: {test}: {why}");
    if let Some(path) = std::env::var_os(SKIP_LOG) {
        // one short line per write with O_APPEND: lines of parallel tests do not interleave
        let line = format!("{test}\t{}\n", why.replace(['\n', '\t'], " "));
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
    }
}

/// Where `tool` is on the PATH (the shell's `command -v`), if it is.
pub fn which(tool: &str) -> Option<std::path::PathBuf> {
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// Whether `tool` is on the PATH; when it is not, [`missing_tool`] says so (a skip, or a
/// failure under CI) and the caller returns.
pub fn require_tool(tool: &str, install: &str) -> bool {
    let found = which(tool).is_some();
    if !found {
        missing_tool(tool, install);
    }
    found
}

/// `tool` is not on PATH: a failure under CI (`CI` set; `.ci/run` installs it with
/// `install`), a skip elsewhere.
pub fn missing_tool(tool: &str, install: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install {tool} ({install}, in .ci/run)"
    );
    skip(&format!("{tool} is not on PATH ({install})"));
}

/// The skips recorded in a log file: `(test, why)`.
pub fn read_log(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(t, w)| (t.to_owned(), w.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_is_written_with_the_tests_name_and_read_back() {
        let dir = std::env::temp_dir().join(format!("oqs-testkit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("skips");
        // SAFETY: only this test of the crate touches the variable
        unsafe { std::env::set_var(SKIP_LOG, &log) };
        skip("7z is not on PATH\t(apt-get install p7zip-full)");
        unsafe { std::env::remove_var(SKIP_LOG) };
        let got = read_log(&std::fs::read_to_string(&log).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(got.len(), 1);
        assert!(
            got[0]
                .0
                .ends_with("a_skip_is_written_with_the_tests_name_and_read_back")
        );
        assert_eq!(got[0].1, "7z is not on PATH (apt-get install p7zip-full)");
    }
}
