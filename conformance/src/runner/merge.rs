//! `oqs-conformance merge <cucumber.json>... [--out DIR]`: the runs of a CI matrix's shards
//! as one `cucumber.json`, one `service-logs.json` and one `report.html`. Exit codes: 0
//! merged, 2 an argument or an input file is wrong, 6 the merged files cannot be written.

use super::error::{RunError, exit};
use super::reporters::{read_json, write_html};
use std::path::{Path, PathBuf};

/// Parses the arguments, merges, prints where the result is; returns the exit code.
pub fn merge_cli(args: &[String]) -> i32 {
    let result =
        parse(args).and_then(|(inputs, out)| merge(&inputs, &out).map(|p| (inputs, out, p)));
    match result {
        Ok((inputs, out, page)) => {
            println!(
                "merged {} runs: {} and {}",
                inputs.len(),
                out.join("cucumber.json").display(),
                page.display()
            );
            exit::PASSED
        }
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

fn parse(args: &[String]) -> Result<(Vec<PathBuf>, PathBuf), RunError> {
    let mut inputs = Vec::new();
    let mut out = super::plan::default_report_dir().join("merged");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--out" {
            let dir = it
                .next()
                .ok_or_else(|| RunError::Usage("merge: --out needs a folder: --out DIR".into()))?;
            out = PathBuf::from(dir);
        } else {
            inputs.push(PathBuf::from(a));
        }
    }
    if inputs.is_empty() {
        return Err(RunError::Usage(
            "merge: name one or more cucumber.json files: merge <cucumber.json>... [--out DIR]"
                .into(),
        ));
    }
    Ok((inputs, out))
}

/// Merges the runs into `out`; returns the HTML page's path.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<PathBuf, RunError> {
    let mut reports = Vec::new();
    for p in inputs {
        let v = std::fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            .map_err(|e| RunError::Usage(format!("merge: cannot read {}: {e}", p.display())))?;
        reports.push(v);
    }
    let merged = crate::report::merge(&reports);
    // each run's service logs sit beside its cucumber.json
    let mut logs = crate::report::ServiceLogs::new();
    for p in inputs {
        if let Some(l) =
            read_json::<crate::report::ServiceLogs>(&p.with_file_name(crate::report::SERVICE_LOGS))
        {
            logs.extend(l);
        }
    }
    let features = super::workspace_root().join("features");
    std::fs::create_dir_all(out)
        .and_then(|()| {
            std::fs::write(
                out.join("cucumber.json"),
                serde_json::to_vec_pretty(&merged).unwrap_or_default(),
            )
        })
        .and_then(|()| {
            std::fs::write(
                out.join(crate::report::SERVICE_LOGS),
                serde_json::to_vec_pretty(&logs).unwrap_or_default(),
            )
        })
        .map_err(|e| RunError::Reports(format!("merge: cannot write to {}: {e}", out.display())))?;
    write_html(
        out,
        &features,
        &format!("merged from {} runs", inputs.len()),
        &crate::evidence::RunInfo::default(),
        &[],
    )
    .map_err(|e| RunError::Reports(format!("merge: report.html: {e}")))
}
