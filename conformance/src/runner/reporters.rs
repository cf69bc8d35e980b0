//! From a played run to its verdict and reports: the expected-failures verdict, coverage,
//! the services' logs, the browser screens, JUnit with expected failures as skipped, the HTML
//! page, the evidence bundle and the closing lines CI counts.

use super::error::{RunError, exit};
use super::execute::{Claims, Outcome};
use super::plan::Plan;
use crate::evidence::{Expected, RunInfo};
use std::path::{Path, PathBuf};

/// The run's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Passed; `expected` failures are the ones the manifest lists.
    Passed {
        expected: usize,
    },
    Failed,
    /// The scenarios passed, coverage did not reach its floor.
    CoverageUnder,
}

impl Verdict {
    pub fn exit_code(&self) -> i32 {
        match self {
            Verdict::Passed { .. } => exit::PASSED,
            Verdict::Failed => exit::FAILED,
            Verdict::CoverageUnder => exit::COVERAGE,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Passed { expected: 0 } => f.write_str("PASSED"),
            Verdict::Passed { expected } => write!(
                f,
                "PASSED with {expected} expected failure(s), as the manifest lists"
            ),
            Verdict::Failed => f.write_str("FAILED"),
            Verdict::CoverageUnder => f.write_str("FAILED: coverage under the required floor"),
        }
    }
}

/// Judges the run and writes every report; prints where they are and the closing lines.
pub fn report(plan: &Plan, mut outcome: Outcome) -> Result<Verdict, RunError> {
    let dir = &plan.report_dir;
    let (failed, expected) = judge(plan, &mut outcome);
    keep_findings(dir, &outcome);
    let coverage_met = match &plan.coverage {
        Some(min) => report_coverage(plan, &outcome.found.claims, min.as_deref())?,
        None => true,
    };
    if !expected.is_empty() {
        // listed failures are the expected result: JUnit shows them skipped, with the reason
        let path = dir.join("junit.xml");
        let rewritten = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|x| crate::evidence::junit_with_expected(&x, &expected))
            .and_then(|x| std::fs::write(&path, x).map_err(|e| e.to_string()));
        if let Err(e) = rewritten {
            eprintln!("junit.xml: {e}");
        }
    }
    let verdict = match (failed, coverage_met) {
        (true, _) => Verdict::Failed,
        (false, false) => Verdict::CoverageUnder,
        (false, true) => Verdict::Passed {
            expected: expected.len(),
        },
    };
    let info = run_info(&verdict.to_string(), plan);
    let t = crate::target::current();
    let header = match &t.file {
        Some(f) => format!("seed {}, target {} ({})", plan.seed, t.name, f.display()),
        None => format!("seed {}, the kit's own components", plan.seed),
    };
    let page = write_html(dir, &plan.features, &header, &info, &expected);
    println!(
        "reports: {}, {} and {}",
        dir.join("junit.xml").display(),
        dir.join("cucumber.json").display(),
        page.as_deref()
            .map_or_else(|e| format!("(no HTML: {e})"), |p| p.display().to_string())
    );
    println!("seed: {}", plan.seed);
    if plan.bundle {
        let p =
            bundle(plan, &info).map_err(|e| RunError::Reports(format!("evidence bundle: {e}")))?;
        println!("evidence bundle: {}", p.display());
    }
    println!("verdict: {verdict}");
    let c = outcome.counts;
    let of_them = match expected.len() {
        0 => String::new(),
        n => format!(" ({n} of them expected)"),
    };
    println!(
        "cucumber: {} passed, {} failed{of_them}, {} skipped",
        c.passed, c.failed, c.skipped
    );
    Ok(verdict)
}

/// Whether the run failed, and the failures the manifest expects (place and reason). With a
/// manifest, the listed failures are the expected result and surprises both ways fail.
fn judge(plan: &Plan, outcome: &mut Outcome) -> (bool, Vec<Expected>) {
    let c = outcome.counts;
    let Some(m) = &plan.manifest else {
        return (
            outcome.execution_failed || c.failed > 0 || c.skipped > 0,
            Vec::new(),
        );
    };
    let o = &mut outcome.found.outcomes;
    // the failed step of each failure, from the report cucumber has written by now
    if let Some(json) = &read_json(&plan.report_dir.join("cucumber.json")) {
        crate::expected::fill_failed_steps(o, json);
    }
    let verdict = crate::expected::judge(m, o);
    print!("{verdict}");
    let expected = verdict
        .met
        .iter()
        .map(|(o, reason)| (o.feature.clone(), o.line, reason.clone()))
        .collect();
    (!verdict.ok() || outcome.parsing_errors > 0, expected)
}

/// The services' logs of the failures and the index of the browser screens, beside the
/// Cucumber JSON (the HTML page and `merge` read them there).
fn keep_findings(dir: &Path, outcome: &Outcome) {
    let found = &outcome.found;
    let screens = dir.join(crate::report::SCREENS).join("index.json");
    if !found.screens.is_empty()
        && let Err(e) = std::fs::write(
            &screens,
            serde_json::to_vec_pretty(&found.screens).unwrap_or_default(),
        )
    {
        eprintln!("{}: {e}", screens.display());
    }
    if let Err(e) = std::fs::write(
        dir.join(crate::report::SERVICE_LOGS),
        serde_json::to_vec_pretty(&found.logs).unwrap_or_default(),
    ) {
        eprintln!("{}: {e}", crate::report::SERVICE_LOGS);
    }
}

/// A JSON file the run or an earlier one wrote, if it is there and reads.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// `report.html` from the run's `cucumber.json`.
pub fn write_html(
    report_dir: &Path,
    features: &Path,
    header: &str,
    info: &RunInfo,
    expected: &[Expected],
) -> Result<PathBuf, String> {
    let json = std::fs::read(report_dir.join("cucumber.json")).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_slice(&json).map_err(|e| e.to_string())?;
    let manual = crate::coverage::ManualSteps::load(&features.join("manual-steps.toml")).ok();
    let logs = read_json(&report_dir.join(crate::report::SERVICE_LOGS)).unwrap_or_default();
    let screens =
        read_json(&report_dir.join(crate::report::SCREENS).join("index.json")).unwrap_or_default();
    let claims = crate::dry_run::feature_files(features)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(features).unwrap_or(&p).display().to_string();
            (rel.replace('\\', "/"), crate::claims::of_file(&p))
        })
        .collect();
    let page = crate::report::html(
        &v,
        &crate::report::Context {
            manual: manual.as_ref(),
            header,
            logs,
            screens,
            claims,
            run: info.clone(),
            expected: expected.to_vec(),
        },
    );
    let path = report_dir.join("report.html");
    std::fs::write(&path, page).map_err(|e| e.to_string())?;
    Ok(path)
}

/// The facts of this run for the report header and `run.txt`.
fn run_info(verdict: &str, plan: &Plan) -> RunInfo {
    use crate::evidence::{command_line, kit_commit, sha256_file};
    let mut info = RunInfo::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    info.push("verdict", verdict);
    // the wall-clock date of the evidence itself; scenarios run on the World's clock
    info.push(
        "date",
        time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    );
    info.push("kit", format!("oqs-kit {}", env!("CARGO_PKG_VERSION")));
    info.push("kit commit", kit_commit(&super::workspace_root()));
    info.push("command", command_line("cargo xtask conformance", &args));
    let tags = args
        .iter()
        .position(|a| a == "--tags" || a == "-t")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| {
            args.iter()
                .find_map(|a| a.strip_prefix("--tags=").map(str::to_owned))
        });
    info.push(
        "tag filter",
        tags.unwrap_or_else(|| "(none: every scenario)".into()),
    );
    info.push("seed", plan.seed.to_string());
    info.push("features", super::repo_relative(&plan.features));
    let t = crate::target::current();
    match &t.file {
        Some(f) => {
            info.push("target", format!("{} ({})", t.name, f.display()));
            info.push("target file sha256", sha256_file(f));
            for (role, exe) in t.executables() {
                info.push(
                    &format!("{role} program"),
                    format!("{} sha256 {}", exe.display(), sha256_file(&exe)),
                );
            }
        }
        None => info.push("target", "the kit's own components"),
    }
    if let Some(m) = &plan.manifest_file {
        info.push(
            "expected failures",
            format!("{} sha256 {}", m.display(), sha256_file(m)),
        );
    }
    info
}

/// `evidence.zip`: what a vendor hands over.
fn bundle(plan: &Plan, info: &RunInfo) -> Result<PathBuf, String> {
    use std::io::Write as _;
    let path = plan.report_dir.join("evidence.zip");
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut add = |name: &str, bytes: &[u8]| -> Result<(), String> {
        zip.start_file(name, opts).map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())
    };
    for name in [
        "report.html",
        "cucumber.json",
        "junit.xml",
        "coverage.json",
        crate::report::SERVICE_LOGS,
    ] {
        if let Ok(b) = std::fs::read(plan.report_dir.join(name)) {
            add(name, &b)?;
        }
    }
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    if let Some(m) = &plan.manifest_file {
        add("expected-failures.toml", &read(m)?)?;
    }
    if let Some(t) = &plan.target_file {
        add("target.toml", &read(t)?)?;
    }
    add("run.txt", info.text().as_bytes())?;
    zip.finish().map_err(|e| e.to_string())?;
    Ok(path)
}

/// Prints the coverage table, writes `coverage.json`, and says whether the floor holds.
fn report_coverage(plan: &Plan, claims: &Claims, min: Option<&str>) -> Result<bool, RunError> {
    use crate::coverage::Report;
    let Some(steps) = &plan.manual_steps else {
        return Ok(true);
    };
    let report = Report::new(steps, &claims.passed, &claims.any);
    print!("{}", report.render());
    let json = plan.report_dir.join("coverage.json");
    let body = serde_json::to_vec_pretty(&report).unwrap_or_default();
    std::fs::write(&json, body)
        .map_err(|e| RunError::Reports(format!("cannot write {}: {e}", json.display())))?;
    println!("coverage report: {}", json.display());
    let failures = match min {
        Some(spec) => report.check(spec).map_err(RunError::Usage)?,
        None if report.unknown.is_empty() => Vec::new(),
        None => vec![format!("{} tag(s) claim unknown ids", report.unknown.len())],
    };
    for f in &failures {
        eprintln!("COVERAGE: {f}");
    }
    Ok(failures.is_empty())
}
