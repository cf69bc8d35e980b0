//! The shipped broken example target (`examples/targets/broken-linkage.toml`) against its
//! expected-failures manifest, through the real `oqs-conformance` binary and the real
//! `oqs-linkage` process: as shipped the run passes; with an entry removed it fails and prints
//! the entry to paste; with a defect fixed it fails for a stale entry.
//!
//! Needs `target/debug/oqs-linkage` (`cargo xtask test` builds the workspace's binaries).

mod common;

use common::{root, run_kit, sibling};
use std::path::Path;

/// A copy of the example target in `dir`, without its `build` step (the test does not run
/// cargo), with `edit` applied to the manifest and to the profile.
fn copy_target(dir: &Path, manifest: impl Fn(&str) -> String, profile: impl Fn(&str) -> String) {
    let ex = root().join("examples/targets");
    let target = std::fs::read_to_string(ex.join("broken-linkage.toml")).unwrap();
    let target: String = target
        .lines()
        .filter(|l| !l.starts_with("build ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("broken-linkage.toml"), target).unwrap();
    let m = std::fs::read_to_string(ex.join("broken-linkage.expected.toml")).unwrap();
    std::fs::write(dir.join("broken-linkage.expected.toml"), manifest(&m)).unwrap();
    std::fs::create_dir_all(dir.join("broken-linkage")).unwrap();
    let p = std::fs::read_to_string(ex.join("broken-linkage/profile.toml")).unwrap();
    std::fs::write(dir.join("broken-linkage/profile.toml"), profile(&p)).unwrap();
}

/// Runs the two scenarios the defects break and one they do not.
fn run(dir: &Path) -> (i32, String) {
    sibling("oqs-linkage");
    run_kit(
        &dir.join("broken-linkage.toml"),
        dir,
        "^(既定では1440分を過ぎた結果ファイルが削除される|XML宣言と実際の文字コードが違う要求ファイルには、読めない位置を示すエラーの結果を返す|資格有効性「有効」の人をレセコンから確認する)$",
    )
}

const RESTART_ENTRY: &str = "[[expected]]\nfeature = \"000-setup/linkage_restart.feature\"";

#[test]
fn the_broken_target_fails_exactly_what_its_manifest_lists() {
    let d = tempfile::tempdir().unwrap();
    copy_target(d.path(), str::to_owned, str::to_owned);
    let (code, out) = run(d.path());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("expected failures: 2 as listed, 0 unexpected, 0 stale"),
        "{out}"
    );
    assert!(
        out.contains("cucumber: 1 passed, 2 failed (2 of them expected)"),
        "{out}"
    );
    assert!(
        out.contains("verdict: PASSED with 2 expected failure(s)"),
        "{out}"
    );
    // a failure is rerun against the same target and manifest
    let rerun = out
        .lines()
        .find(|l| l.starts_with("FAILED «既定では1440分"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(rerun.contains("--target 'broken-linkage.toml'"), "{rerun}");
    assert!(
        // the feature's path in the checkout, not this machine's folder
        rerun.contains("(features/000-setup/linkage_restart.feature:"),
        "{rerun}"
    );
    let reports = d.path().join("reports");
    // the evidence: report.html shows them as expected, with the manifest's reasons
    let page = std::fs::read_to_string(reports.join("report.html")).unwrap();
    let manifest = std::fs::read_to_string(d.path().join("broken-linkage.expected.toml")).unwrap();
    let reasons: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("reason = \""))
        .map(|r| r.trim_end_matches('"'))
        .collect();
    assert_eq!(reasons.len(), 2, "{manifest}");
    for r in &reasons {
        let shown = r
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;");
        assert!(
            page.contains(&format!("⚠ expected failure ({shown}):")),
            "{r}\n{page}"
        );
    }
    assert!(
        page.contains("3 scenarios, 0 failed, 2 expected failure(s)"),
        "{page}"
    );
    assert!(!page.contains("class=\"fail\""), "{page}");
    assert!(
        page.contains("kit commit") && page.contains("sha256"),
        "{page}"
    );
    assert!(page.contains("linkage program"), "{page}");
    // JUnit: no failure for them, a skipped with the reason
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(!junit.contains("<failure"), "{junit}");
    assert_eq!(
        junit
            .matches("<skipped message=\"expected failure: ")
            .count(),
        2,
        "{junit}"
    );
}

#[test]
fn an_unlisted_failure_fails_the_run_with_an_entry_to_paste() {
    let d = tempfile::tempdir().unwrap();
    let without_restart = |m: &str| {
        let start = m.find(RESTART_ENTRY).unwrap();
        let end = start + m[start..].find("\n\n").unwrap() + 2;
        format!("{}{}", &m[..start], &m[end..])
    };
    copy_target(d.path(), without_restart, str::to_owned);
    let (code, out) = run(d.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 as listed, 1 unexpected, 0 stale"), "{out}");
    let paste = format!(
        "{RESTART_ENTRY}\nscenario = \"既定では1440分を過ぎた結果ファイルが削除される\"\nreason = \"TODO: why this build fails it\""
    );
    assert!(out.contains(&paste), "{out}");
}

#[test]
fn fixing_a_defect_makes_its_entry_stale() {
    let d = tempfile::tempdir().unwrap();
    let fixed = |p: &str| {
        assert!(p.contains("response_file_stay_time = 60"));
        p.replace(
            "response_file_stay_time = 60",
            "response_file_stay_time = 1440",
        )
    };
    copy_target(d.path(), str::to_owned, fixed);
    let (code, out) = run(d.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 as listed, 0 unexpected, 1 stale"), "{out}");
    assert!(
        out.contains("STALE ENTRY 000-setup/linkage_restart.feature «既定では1440分を過ぎた結果ファイルが削除される» now passes"),
        "{out}"
    );
}
