//! `oqs-setup`: the setup tool as a command.
//!
//! ```text
//! oqs-setup apply <terminal-dir> <profile.toml>    operations 1–12 from the site profile
//! oqs-setup audit <terminal-dir>... [--json]       the checklist; exit 1 when anything fails.
//!                                                  Several terminals of one site: each one's
//!                                                  lines plus the shared-certificate check
//! ```

use clap::{Parser, Subcommand};
use oqs_host::dir::TerminalDir;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    version,
    about = "The oqs-kit setup tool (操作1〜12 and the checklist)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Apply operations 1–12 to a terminal directory from a site profile.
    Apply {
        terminal: PathBuf,
        profile: PathBuf,
        /// The terminal's time (RFC 3339); the system clock if absent.
        #[arg(long)]
        at: Option<String>,
    },
    /// Check a terminal against the manual.
    Audit {
        /// One terminal directory, or all of a site's (checks that no two share a certificate).
        #[arg(required = true)]
        terminals: Vec<PathBuf>,
        /// One terminal: an array of lines. Several: an array of {terminal, lines}.
        #[arg(long)]
        json: bool,
        #[arg(long)]
        at: Option<String>,
    },
}

fn main() {
    let code = match run(Cli::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("oqs-setup: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.cmd {
        Cmd::Apply {
            terminal,
            profile,
            at,
        } => {
            let host = TerminalDir::open_from_process(&terminal, at.as_deref())?;
            let text = std::fs::read_to_string(&profile)?;
            for step in oqs_setup::apply(&host, &text)? {
                println!("{step}");
            }
            Ok(0)
        }
        Cmd::Audit {
            terminals,
            json,
            at,
        } => {
            let hosts = terminals
                .iter()
                .map(|t| TerminalDir::open_from_process(t, at.as_deref()))
                .collect::<Result<Vec<_>, _>>()?;
            let ok = |lines: &[oqs_setup::Line]| lines.iter().all(|l| l.ok);
            if let [host] = hosts.as_slice() {
                let lines = oqs_setup::audit(host);
                if json {
                    println!("{}", serde_json::to_string_pretty(&lines)?);
                } else {
                    for l in &lines {
                        println!("{l}");
                    }
                }
                return Ok(if ok(&lines) { 0 } else { 1 });
            }
            let names: Vec<String> = terminals
                .iter()
                .map(|t| {
                    t.file_name()
                        .map_or_else(|| t.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            let site: Vec<(&str, &dyn oqs_host::Host)> = names
                .iter()
                .map(String::as_str)
                .zip(hosts.iter().map(|h| h as &dyn oqs_host::Host))
                .collect();
            let report = oqs_setup::audit_site(&site);
            if json {
                let v: Vec<_> = report
                    .iter()
                    .map(|(t, lines)| serde_json::json!({ "terminal": t, "lines": lines }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (t, lines) in &report {
                    println!("== {t}");
                    for l in lines {
                        println!("{l}");
                    }
                }
            }
            Ok(if report.iter().all(|(_, l)| ok(l)) {
                0
            } else {
                1
            })
        }
    }
}
