//! Running the real `oqs-conformance` binary from integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .into()
}

/// A binary of another package of the workspace, built beside `oqs-conformance` (`cargo
/// xtask test` builds them; a binary of this package comes from `CARGO_BIN_EXE_*`).
#[allow(dead_code)] // each test file uses its own part of this module
pub fn sibling(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_BIN_EXE_oqs-conformance"))
        .parent()
        .unwrap()
        .join(name);
    assert!(
        p.exists(),
        "{} is not built: run `cargo build --workspace` (cargo xtask test does)",
        p.display()
    );
    p
}

/// Runs the scenarios named by `name` (a regex) against `target` (a file in `dir`, named
/// relative to it as a vendor would), with reports in `dir`. Returns the exit code and
/// everything printed.
#[allow(dead_code)] // each test file uses its own part of this module
pub fn run_kit(target: &Path, dir: &Path, name: &str) -> (i32, String) {
    let target = target.file_name().unwrap().to_string_lossy().into_owned();
    kit(dir, &["--target", &target, "--name", name])
}

/// Runs the runner in `dir` with seed 7, the kit's features and reports in `dir/reports`,
/// then `args`. Returns the exit code and everything printed.
pub fn kit(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_oqs-conformance"))
        .current_dir(dir)
        .args(["--seed", "7", "--report-dir"])
        .arg(dir.join("reports"))
        .arg("--features")
        .arg(root().join("features"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}
