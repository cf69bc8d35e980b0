//! `cargo xtask test`: `cargo test --workspace`, streamed as it runs, then one closing line
//! summing every libtest block and the cucumber suite, so a log reader sees the real count
//! rather than the doc-tests' `0 passed`. A test that could not run for want of a tool or a
//! privilege records itself through `oqs_testkit::skip` and is counted as skipped, not passed.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

#[derive(Default, Debug, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Tally {
    /// Tests that returned early because they could not run here: libtest counted them as
    /// passed.
    pub fn count_skips(&mut self, n: u64) {
        let n = n.min(self.passed);
        self.passed -= n;
        self.skipped += n;
    }
}

/// Adds the counts of one output line, if it is a closing line of libtest or of the suite.
pub fn add_line(t: &mut Tally, line: &str) {
    let num = |s: &str, word: &str| -> Option<u64> {
        let i = s.find(word)?;
        s[..i]
            .trim_end()
            .rsplit([' ', '.', ';', ','])
            .next()?
            .parse()
            .ok()
    };
    if let Some(rest) = line.trim().strip_prefix("test result: ") {
        t.passed += num(rest, " passed").unwrap_or(0);
        t.failed += num(rest, " failed").unwrap_or(0);
        t.skipped += num(rest, " ignored").unwrap_or(0);
    } else if let Some(rest) = line.trim().strip_prefix("cucumber: ") {
        t.passed += num(rest, " passed").unwrap_or(0);
        t.failed += num(rest, " failed").unwrap_or(0);
        t.skipped += num(rest, " skipped").unwrap_or(0);
    }
}

/// Whether libpcsclite can be linked here (Debian: `libpcsclite-dev`): then the driver's real
/// PC/SC backend is built and tested too.
pub fn have_libpcsclite() -> bool {
    std::process::Command::new("pkg-config")
        .args(["--exists", "libpcsclite"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether Chromium and its WebDriver are installed (Debian: `chromium chromium-driver`):
/// then the `@browser` scenarios are built.
pub fn have_chromium() -> bool {
    ["chromium", "chromedriver"]
        .iter()
        .all(|tool| oqs_testkit::which(tool).is_some())
}

/// The cargo features of the conformance runner on this machine.
pub fn conformance_features() -> Vec<&'static str> {
    let mut f = Vec::new();
    if have_libpcsclite() {
        f.push("pcsc");
    }
    if have_chromium() {
        f.push("browser");
    }
    f
}

pub fn run(extra: &[String]) -> i32 {
    let mut cmd = crate::cargo();
    cmd.args(["test", "--workspace", "--no-fail-fast"]);
    let mut features: Vec<String> = conformance_features()
        .iter()
        .map(|f| format!("oqs-conformance/{f}"))
        .collect();
    if have_libpcsclite() {
        features.push("oqs-driver/pcsc".into());
    } else {
        println!(
            "libpcsclite not found (apt-get install libpcsclite-dev): the PC/SC backend is not built"
        );
    }
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let skip_log =
        std::env::temp_dir().join(format!("oqs-xtask-test-skips-{}", std::process::id()));
    let _ = std::fs::remove_file(&skip_log);
    cmd.env(oqs_testkit::SKIP_LOG, &skip_log);
    let child = cmd.args(extra).stdout(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cargo を起動できません: {e}");
            return 1;
        }
    };
    let mut tally = Tally::default();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            add_line(&mut tally, &line);
        }
    }
    let status = child.wait().map(|s| s.success()).unwrap_or(false);
    let skips = std::fs::read_to_string(&skip_log)
        .map(|t| oqs_testkit::read_log(&t))
        .unwrap_or_default();
    let _ = std::fs::remove_file(&skip_log);
    for (test, why) in &skips {
        println!("skipped: {test}: {why}");
    }
    tally.count_skips(skips.len() as u64);
    if !status && tally.failed == 0 {
        // a build error or a crash: no test block reported a failure, yet it failed
        tally.failed += 1;
    }
    println!(
        "tests: {} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.skipped
    );
    if status { 0 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_libtest_and_cucumber_lines() {
        let mut t = Tally::default();
        for l in [
            "test result: ok. 18 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.38s",
            "test result: FAILED. 4 passed; 1 failed; 2 ignored; 0 measured; 0 filtered out",
            "cucumber: 84 passed, 0 failed, 0 skipped",
            "running 5 tests",
        ] {
            add_line(&mut t, l);
        }
        assert_eq!(
            t,
            Tally {
                passed: 106,
                failed: 1,
                skipped: 2
            }
        );
        t.count_skips(3);
        assert_eq!((t.passed, t.skipped), (103, 5));
    }
}
