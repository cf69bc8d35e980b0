//! `oqs-setup`: the setup tool as a command.
//!
//! ```text
//! oqs-setup apply <terminal-dir> <profile.toml>    operations 1–12 from the site profile
//! oqs-setup audit <terminal-dir> [--json]          the checklist; exit 1 when anything fails
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
        terminal: PathBuf,
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
        Cmd::Audit { terminal, json, at } => {
            let host = TerminalDir::open_from_process(&terminal, at.as_deref())?;
            let lines = oqs_setup::audit(&host);
            if json {
                println!("{}", serde_json::to_string_pretty(&lines)?);
            } else {
                for l in &lines {
                    println!("{l}");
                }
            }
            Ok(if lines.iter().all(|l| l.ok) { 0 } else { 1 })
        }
    }
}
