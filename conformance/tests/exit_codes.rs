//! The runner's documented exit codes (`conformance/src/runner/error.rs`), as a script sees
//! them: a wrong option or file stops the run before any scenario with 2 and says which file,
//! nothing to rerun is 0, a scenario that fails is 1, a dry run's problem 4, and `merge`
//! keeps the same codes.

mod common;

use common::kit;
use std::path::Path;
use std::process::Command;

#[test]
fn a_wrong_option_or_file_stops_the_run_before_any_scenario_with_2() {
    let d = tempfile::tempdir().unwrap();
    let (code, out) = kit(d.path(), &["--target", "acme.toml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("cannot read the target file acme.toml"),
        "{out}"
    );
    let (code, out) = kit(
        d.path(),
        &["--coverage-min", "000=eighty", "--tags", "@op-6"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--coverage-min '000=eighty': not a number"),
        "{out}"
    );
    // nothing ran: no scenario, no report
    assert!(!out.contains("cucumber:"), "{out}");
    assert!(!d.path().join("reports/cucumber.json").exists());
    let (code, out) = kit(d.path(), &["--rerun-failed"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot read the last run's report"), "{out}");
    let (code, out) = kit(d.path(), &["--shard", "4/3"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("1 <= K <= N"), "{out}");
}

#[test]
fn the_last_run_without_failures_leaves_nothing_to_rerun_and_exits_0() {
    let d = tempfile::tempdir().unwrap();
    let reports = d.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("cucumber.json"),
        r#"[{"uri":"features/x.feature","elements":[{"type":"scenario","line":3,"steps":[{"result":{"status":"passed"}}]}]}]"#,
    )
    .unwrap();
    let (code, out) = kit(d.path(), &["--rerun-failed"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing to rerun"), "{out}");
    // a report that is not one is a wrong file, not an empty rerun
    std::fs::write(reports.join("cucumber.json"), "not json").unwrap();
    let (code, out) = kit(d.path(), &["--rerun-failed"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not a Cucumber JSON report"), "{out}");
}

#[test]
fn a_dry_run_problem_is_4_and_a_clean_one_0() {
    let d = tempfile::tempdir().unwrap();
    let features = d.path().join("features");
    std::fs::create_dir_all(&features).unwrap();
    std::fs::copy(
        common::root().join("features/manual-steps.toml"),
        features.join("manual-steps.toml"),
    )
    .unwrap();
    std::fs::write(
        features.join("x.feature"),
        "# language: ja\n機能: x\n  シナリオ: a\n    前提 資格確認端末「PC」がある\n",
    )
    .unwrap();
    let dry = |d: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_oqs-conformance"))
            .arg("--features")
            .arg(d.join("features"))
            .arg("--dry-run")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code().unwrap_or(-1), text)
    };
    let (code, out) = dry(d.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 problem(s)"), "{out}");
    std::fs::write(
        features.join("y.feature"),
        "# language: ja\n機能: y\n  シナリオ: b\n    もし 存在しない手順を実行する\n",
    )
    .unwrap();
    let (code, out) = dry(d.path());
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("y.feature:4: no step definition matches \"もし 存在しない手順を実行する\""),
        "{out}"
    );
}

#[test]
fn merge_exits_2_on_a_missing_input_and_0_when_merged() {
    let d = tempfile::tempdir().unwrap();
    let merge = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_oqs-conformance"))
            .arg("merge")
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code().unwrap_or(-1), text)
    };
    let (code, out) = merge(&[]);
    assert_eq!(code, 2, "{out}");
    let missing = d.path().join("missing.json");
    let (code, out) = merge(&[missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("merge: cannot read"), "{out}");
    let a = d.path().join("a.json");
    std::fs::write(
        &a,
        r#"[{"uri":"features/x.feature","name":"x","elements":[{"type":"scenario","name":"s","line":3,"steps":[{"keyword":"Given ","name":"g","result":{"status":"passed"}}]}]}]"#,
    )
    .unwrap();
    let out_dir = d.path().join("merged");
    let (code, out) = merge(&[a.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let merged = std::fs::read_to_string(out_dir.join("cucumber.json")).unwrap();
    assert!(merged.contains("features/x.feature"), "{merged}");
    assert!(out_dir.join("report.html").exists());
}
