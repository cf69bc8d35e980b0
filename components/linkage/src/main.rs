//! `oqs-linkage`: the reference linkage app as a process, for vendor targets and the crash soak.
//!
//! ```text
//! oqs-linkage run --terminal <dir> [--at <RFC 3339>]       watch req, answer into res
//! oqs-linkage delete-forgotten --terminal <dir> [--at …]   忘れファイル削除 once
//! ```
//! `<dir>` is a terminal directory made by the simulator (`C/…`, `state/…`, `state/names`).

use clap::{Parser, Subcommand};
use oqs_host::Host;
use oqs_host::dir::TerminalDir;
use oqs_linkage::{LinkageApp, Options};
use oqs_proto::profile::Profile;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    version,
    about = "The oqs-kit reference linkage app (連携アプリケーション)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct Terminal {
    /// The terminal directory.
    #[arg(long)]
    terminal: PathBuf,
    /// The terminal's time, standing still (as in the simulator); the system clock if absent.
    #[arg(long)]
    at: Option<String>,
    /// A profile replacing the kit's (result codes, folders…).
    #[arg(long)]
    profile: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Watch `req` and answer into `res` until killed (or Ctrl-C).
    Run {
        #[command(flatten)]
        terminal: Terminal,
        /// Rescan interval in milliseconds.
        #[arg(long, default_value_t = 1000)]
        rescan_ms: u64,
        /// Settle time of a request file in milliseconds.
        #[arg(long, default_value_t = 200)]
        settle_ms: u64,
    },
    /// Remove results older than ResponseFileStayTime, once.
    DeleteForgotten {
        #[command(flatten)]
        terminal: Terminal,
    },
}

fn open(t: &Terminal) -> anyhow::Result<(Arc<dyn Host>, Profile)> {
    let host = TerminalDir::open_from_process(&t.terminal, t.at.as_deref())?;
    let profile = match &t.profile {
        Some(p) => Profile::parse(&std::fs::read_to_string(p)?)?,
        None => Profile::builtin().clone(),
    };
    Ok((Arc::new(host), profile))
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "oqs_linkage=info".into()),
        )
        .init();
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("oqs-linkage: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match cli.cmd {
        Cmd::Run {
            terminal,
            rescan_ms,
            settle_ms,
        } => {
            let (host, profile) = open(&terminal)?;
            rt.block_on(async {
                let app = LinkageApp::start(
                    host,
                    Options {
                        rescan: std::time::Duration::from_millis(rescan_ms),
                        settle: std::time::Duration::from_millis(settle_ms),
                        profile,
                        fault: None,
                    },
                )
                .await?;
                let _ = tokio::signal::ctrl_c().await;
                app.stop().await;
                anyhow::Ok(())
            })
        }
        Cmd::DeleteForgotten { terminal } => {
            let (host, profile) = open(&terminal)?;
            for n in oqs_linkage::app::delete_forgotten(host.as_ref(), &profile)? {
                println!("削除しました: {n}");
            }
            Ok(())
        }
    }
}
