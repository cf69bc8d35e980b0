//! `oqs-linkage`: the reference linkage app as a process, for vendor targets and the crash soak.
//!
//! ```text
//! oqs-linkage run --terminal <dir> [--at <RFC 3339> | --clock-file <file>]   watch req, answer into res
//! oqs-linkage delete-forgotten --terminal <dir> [--at …]                    忘れファイル削除 once
//! ```
//! `<dir>` is a terminal directory made by the simulator (`C/…`, `state/…`, `state/names`).
//! Every option can also come from the environment the conformance kit gives an external
//! linkage target (`OQS_TERMINAL`, `OQS_CLOCK_FILE`, `OQS_KIT_EVENTS`, …; see
//! `conformance/TARGETS.md`), so this binary is its own worked example of a target.

use clap::{Parser, Subcommand};
use oqs_host::Host;
use oqs_host::dir::TerminalDir;
use oqs_linkage::{CrashPoint, Fault, LinkageApp, Options};
use oqs_proto::profile::Profile;
use std::io::{BufRead, IsTerminal};
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
    #[arg(long, env = "OQS_TERMINAL")]
    terminal: PathBuf,
    /// The terminal's time, standing still (as in the simulator); the system clock if absent.
    #[arg(long, conflicts_with = "clock_file")]
    at: Option<String>,
    /// A file holding the terminal's time (RFC 3339), read at every use: the simulator
    /// rewrites it whenever its clock moves.
    #[arg(long, env = "OQS_CLOCK_FILE")]
    clock_file: Option<PathBuf>,
    /// A profile replacing the kit's (result codes, folders…).
    #[arg(long, env = "OQS_PROFILE")]
    profile: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Watch `req` and answer into `res` until killed (or Ctrl-C).
    Run {
        #[command(flatten)]
        terminal: Terminal,
        /// Rescan interval in milliseconds.
        #[arg(long, env = "OQS_RESCAN_MS", default_value_t = 1000)]
        rescan_ms: u64,
        /// Settle time of a request file in milliseconds.
        #[arg(long, env = "OQS_SETTLE_MS", default_value_t = 200)]
        settle_ms: u64,
        /// Speak the kit's line protocol: `OQS-KIT ready`, `OQS-KIT published <file>` and
        /// `OQS-KIT synced <n>` (for a `sync <n>` line on stdin) on stdout; stop when stdin
        /// closes.
        #[arg(long, env = "OQS_KIT_EVENTS", value_parser = clap::builder::FalseyValueParser::new())]
        kit_events: bool,
        /// Die right after a step of the file protocol for the N-th request:
        /// `claimed:N`, `prepared:N`, `consumed:N` or `published:N` (the kit's crash scenarios).
        #[arg(long, env = "OQS_FAULT", value_parser = parse_fault)]
        fault: Option<Fault>,
    },
    /// Remove results older than ResponseFileStayTime, once.
    DeleteForgotten {
        #[command(flatten)]
        terminal: Terminal,
    },
}

fn parse_fault(s: &str) -> Result<Fault, String> {
    let bad = || format!("「{s}」: claimed:N, prepared:N, consumed:N, published:N のどれかです");
    let (at, n) = s.split_once(':').ok_or_else(bad)?;
    let at = match at {
        "claimed" => CrashPoint::Claimed,
        "prepared" => CrashPoint::Prepared,
        "consumed" => CrashPoint::Consumed,
        "published" => CrashPoint::Published,
        _ => return Err(bad()),
    };
    let request = n.parse().map_err(|_| bad())?;
    Ok(Fault { at, request })
}

fn open(t: &Terminal) -> anyhow::Result<(Arc<dyn Host>, Profile)> {
    let at = match (&t.at, &t.clock_file) {
        (_, Some(f)) => Some(format!("file:{}", f.display())),
        (at, None) => at.clone(),
    };
    let host = TerminalDir::open_from_process(&t.terminal, at.as_deref())?;
    let profile = match &t.profile {
        Some(p) => Profile::parse(&std::fs::read_to_string(p)?)?,
        None => Profile::builtin().clone(),
    };
    Ok((Arc::new(host), profile))
}

fn main() {
    let cli = Cli::parse();
    let log = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "oqs_linkage=info".into()),
        )
        .with_ansi(std::io::stdout().is_terminal());
    // under the kit, each line already carries the terminal's time; the machine's would
    // differ from run to run
    if matches!(
        cli.cmd,
        Cmd::Run {
            kit_events: true,
            ..
        }
    ) {
        log.without_time().init();
    } else {
        log.init();
    }
    let code = match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("oqs-linkage: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

/// Runs the app until Ctrl-C or, under the kit (`--kit-events`), until stdin closes; tells
/// the kit `ready`, each result `published`, and `synced <n>` once a whole scan has passed
/// since the kit asked `sync <n>`.
async fn serve(mut app: LinkageApp, kit_events: bool, fault: Option<Fault>) {
    if kit_events {
        println!("OQS-KIT ready");
    }
    // The kit's lines on stdin; their end is the kit's stop (portable, unlike signals).
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    if kit_events {
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
    } else {
        drop(lines_tx);
    }
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let (mut scans, mut told) = (0u64, 0usize);
    // `sync <n>` questions, with the scans done when each was read
    let mut syncs: Vec<(u64, String)> = Vec::new();
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            line = lines.recv(), if kit_events => match line {
                None => break,
                Some(l) => if let Some(n) = l.strip_prefix("sync ") {
                    syncs.push((scans, n.trim().to_owned()));
                },
            },
            alive = app.wait_scans(1) => {
                if !alive {
                    // an injected fault: die as a killed process would
                    eprintln!("oqs-linkage: injected fault {fault:?}");
                    std::process::exit(FAULT_EXIT);
                }
                scans += 1;
                if kit_events {
                    let published = app.published();
                    for name in published.iter().skip(told) {
                        println!("OQS-KIT published {name}");
                    }
                    told = published.len();
                    // the scan in progress when a question came may have begun before it:
                    // the one after that is a whole look
                    syncs.retain(|(at, n)| {
                        let due = scans >= at + 2;
                        if due {
                            println!("OQS-KIT synced {n}");
                        }
                        !due
                    });
                }
            }
        }
    }
    app.stop().await;
}

/// The exit code of a run stopped by an injected fault (as if killed).
const FAULT_EXIT: i32 = 70;

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
            kit_events,
            fault,
        } => {
            let (host, profile) = open(&terminal)?;
            let options = Options {
                rescan: std::time::Duration::from_millis(rescan_ms),
                settle: std::time::Duration::from_millis(settle_ms),
                profile,
                fault,
                ..Options::default()
            };
            rt.block_on(async {
                let app = LinkageApp::start(host, options).await?;
                serve(app, kit_events, fault).await;
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
