//! `oqs-distro`: the distribution app's management tool as a command, on a terminal directory.
//!
//! ```text
//! oqs-distro <terminal-dir> check        配信サーバーへの接続確認 (exit 1 on 接続失敗)
//! oqs-distro <terminal-dir> download     今すぐダウンロード
//! oqs-distro <terminal-dir> run          one run of the service (what the hourly task does)
//! oqs-distro <terminal-dir> record       配信実績の確認
//! oqs-distro <terminal-dir> versions     アプリバージョン情報
//! oqs-distro <terminal-dir> server <配信拠点(推奨)|クラウド>   設定の変更
//! ```

use clap::{Parser, Subcommand};
use oqs_distro::DistroApp;
use oqs_host::dir::TerminalDir;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(version, about = "The oqs-kit distribution app (配信アプリケーション)")]
struct Cli {
    terminal: PathBuf,
    /// コンピューター名 [default: the terminal directory's name]
    #[arg(long)]
    computer: Option<String>,
    /// The terminal's time (RFC 3339); the system clock if absent.
    #[arg(long)]
    at: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    Check,
    Download,
    Run,
    Record,
    Versions,
    Server { choice: String },
}

fn main() {
    let code = match run(Cli::parse()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("oqs-distro: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let host = Arc::new(TerminalDir::open_from_process(
        &cli.terminal,
        cli.at.as_deref(),
    )?);
    let computer = cli.computer.unwrap_or_else(|| {
        cli.terminal
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    let app = DistroApp::new(host, &computer);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        Ok(match cli.cmd {
            Cmd::Check => match app.connection_check().await? {
                Ok(m) => {
                    println!("{m}");
                    0
                }
                Err(f) => {
                    println!("{f}");
                    1
                }
            },
            Cmd::Download => {
                println!("{}", app.download_now().await?);
                0
            }
            Cmd::Run => {
                println!("Status={}", app.run().await?);
                0
            }
            Cmd::Record => match app.record()? {
                Some(t) => {
                    print!("{t}");
                    0
                }
                None => {
                    println!("配信実績が出力されていません（高速スタートアップ・タスクの登録を確認してください）");
                    1
                }
            },
            Cmd::Versions => {
                for (a, v) in app.versions()? {
                    println!("{}: {v}", a.label());
                }
                0
            }
            Cmd::Server { choice } => {
                let mut s = app.settings()?;
                s.server = oqs_proto::distro::ServerChoice::from_label(&choice)
                    .ok_or_else(|| anyhow::anyhow!("「{choice}」は 配信拠点(推奨) か クラウド です"))?;
                app.save_settings(&s)?;
                println!("配信サーバー: {}", s.server.label());
                0
            }
        })
    })
}
