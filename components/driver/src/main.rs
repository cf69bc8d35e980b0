//! `oqs-driver`: the reference reader driver as a process, for vendors' readers and tools.
//!
//! ```text
//! oqs-driver bindings --terminal <dir>                          ReaderInfo.ini: serial, login, mode
//! oqs-driver mode --terminal <dir> --serial <S> --mode 無人運転   顔認証付きカードリーダー操作
//! oqs-driver readers                                            PC/SC readers and their cards (feature pcsc)
//! oqs-driver check --terminal <dir> --reader <PC/SC name> --serial <S> --method 暗証番号 --pin 1234
//!            [--face] [--user <一般利用者> --password <…>]      one check (feature pcsc)
//! ```
//! `check` also takes the kit's `OQS_*` variables, so this binary is the worked example of a
//! driver target (`conformance/TARGETS.md`).
//! `<dir>` is a terminal directory made by the simulator (`cargo xtask sim --pcsc` prints it).

use clap::{Parser, Subcommand};
use oqs_host::dir::TerminalDir;
use oqs_proto::reader::ReaderMode;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    version,
    about = "The oqs-kit reference reader driver (顔認証ライブラリ)"
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
}

impl Terminal {
    fn open(&self) -> std::io::Result<TerminalDir> {
        let at = match (&self.at, &self.clock_file) {
            (_, Some(f)) => Some(format!("file:{}", f.display())),
            (at, None) => at.clone(),
        };
        TerminalDir::open_from_process(&self.terminal, at.as_deref())
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Show the readers bound in ReaderInfo.ini.
    Bindings {
        #[command(flatten)]
        terminal: Terminal,
    },
    /// Set a bound face reader's 運転モード (無人運転, 目視確認, 暗証番号認証固定).
    Mode {
        #[command(flatten)]
        terminal: Terminal,
        #[arg(long)]
        serial: String,
        #[arg(long)]
        mode: String,
    },
    /// List the PC/SC readers and the ATR of each card present.
    Readers,
    /// APDU round trips through PC/SC (for `cargo xtask bench reader`): one line of
    /// `n= p50_us= p99_us=` for reader `--reader`.
    Latency {
        #[arg(long)]
        reader: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// The command APDU, hex.
        #[arg(long)]
        apdu: String,
    },
    /// Run one check at a PC/SC reader against the terminal's qualification server.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    terminal: Terminal,
    /// The PC/SC reader name (see `oqs-driver readers`).
    #[arg(long, env = "OQS_READER")]
    reader: String,
    /// The reader's serial (as bound in ReaderInfo.ini for a face reader).
    #[arg(long, env = "OQS_SERIAL")]
    serial: String,
    /// The reader is a face reader.
    #[arg(long)]
    face: bool,
    /// `face` or `generic` (the kit's OQS_READER_KIND; `face` is the same as --face).
    #[arg(long, env = "OQS_READER_KIND")]
    kind: Option<String>,
    /// The face reader device's decision (its camera against the card's photo): 一致する
    /// (default) or 一致しない.
    #[arg(long, env = "OQS_FACE_MATCH", default_value = "一致する")]
    face_match: String,
    /// 顔認証, 暗証番号, 目視確認, iPhone, Android
    #[arg(long, env = "OQS_METHOD")]
    method: String,
    #[arg(long, env = "OQS_PIN")]
    pin: Option<String>,
    /// The general user or admin logged in at the browser (generic readers).
    #[arg(long, env = "OQS_USER")]
    user: Option<String>,
    #[arg(long, env = "OQS_PASSWORD")]
    password: Option<String>,
    /// A profile replacing the kit's.
    #[arg(long, env = "OQS_PROFILE")]
    profile: Option<PathBuf>,
    /// Also print the outcome in the kit's line protocol (`OQS-KIT validity <label>`,
    /// `OQS-KIT records <n>`, `OQS-KIT face-file <path>`).
    #[arg(long, env = "OQS_KIT_EVENTS", value_parser = clap::builder::FalseyValueParser::new())]
    kit_events: bool,
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("oqs-driver: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Bindings { terminal } => {
            let host = terminal.open()?;
            let info = oqs_driver::bindings::load(&host)?;
            if info.readers.is_empty() {
                println!("登録されたカードリーダーはありません（ReaderInfo.ini なし、または空）");
            }
            for (serial, b) in &info.readers {
                println!("{serial}\t{}\t{}", b.login_name, b.mode.label());
            }
            Ok(())
        }
        Cmd::Mode {
            terminal,
            serial,
            mode,
        } => {
            let host = terminal.open()?;
            let m = ReaderMode::from_label(&mode).ok_or_else(|| {
                anyhow::anyhow!(
                    "運転モード「{mode}」はありません（無人運転・目視確認・暗証番号認証固定）"
                )
            })?;
            oqs_driver::bindings::set_mode(&host, &serial, m)?;
            println!("{serial}: {}", m.label());
            Ok(())
        }
        #[cfg(feature = "pcsc")]
        Cmd::Readers => pcsc_cli::readers(),
        #[cfg(feature = "pcsc")]
        Cmd::Latency {
            reader,
            count,
            apdu,
        } => pcsc_cli::latency(&reader, count, &apdu),
        #[cfg(feature = "pcsc")]
        Cmd::Check(args) => pcsc_cli::check(args),
        #[cfg(not(feature = "pcsc"))]
        Cmd::Readers | Cmd::Check(_) | Cmd::Latency { .. } => anyhow::bail!(
            "この oqs-driver は PC/SC なしでビルドされています。libpcsclite-dev を入れて `cargo build -p oqs-driver --features pcsc` でビルドしてください"
        ),
    }
}

#[cfg(feature = "pcsc")]
mod pcsc_cli {
    use oqs_driver::pcsc::{Device, PcscReaders};
    use oqs_driver::{CheckRequest, Driver, Operator};
    use oqs_host::readers::{FaceMatch, ReaderKind, Readers};
    use oqs_proto::profile::Profile;
    use oqs_proto::reader::IdentityMethod;
    use std::sync::Arc;

    pub fn readers() -> anyhow::Result<()> {
        let r = PcscReaders::establish(Vec::new(), Arc::new(|_: &str| FaceMatch::Matched))?;
        let list = r.list();
        if list.is_empty() {
            println!("PC/SC のカードリーダーがありません");
        }
        for e in list {
            let card = match r.connect(&e.name) {
                Ok(c) => c
                    .atr()
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                Err(e) => e.to_string(),
            };
            println!("{}\t{card}", e.name);
        }
        Ok(())
    }

    pub fn latency(reader: &str, count: usize, apdu: &str) -> anyhow::Result<()> {
        let apdu = oqs_proto::api::unhex(apdu)
            .ok_or_else(|| anyhow::anyhow!("--apdu は16進数で指定してください"))?;
        let r = PcscReaders::establish(Vec::new(), Arc::new(|_: &str| FaceMatch::Matched))?;
        let mut ch = r.connect(reader)?;
        // warm-up: the first exchanges include connection set-up
        for _ in 0..10 {
            ch.transmit(&apdu)?;
        }
        let mut us = Vec::with_capacity(count);
        for _ in 0..count.max(1) {
            let t = std::time::Instant::now();
            ch.transmit(&apdu)?;
            us.push(t.elapsed().as_secs_f64() * 1e6);
        }
        us.sort_by(f64::total_cmp);
        let pct = |p: f64| us[((us.len() - 1) as f64 * p).round() as usize];
        println!(
            "n={} p50_us={:.1} p99_us={:.1}",
            us.len(),
            pct(0.5),
            pct(0.99)
        );
        Ok(())
    }

    pub fn check(a: super::CheckArgs) -> anyhow::Result<()> {
        let host = Arc::new(a.terminal.open()?);
        let profile = match &a.profile {
            Some(p) => Profile::parse(&std::fs::read_to_string(p)?)?,
            None => Profile::builtin().clone(),
        };
        let method = IdentityMethod::from_label(&a.method)
            .ok_or_else(|| anyhow::anyhow!("本人確認の方法「{}」はありません", a.method))?;
        let face = match a.kind.as_deref() {
            None | Some("generic") => a.face,
            Some("face") => true,
            Some(other) => anyhow::bail!("カードリーダーの種類「{other}」は face か generic です"),
        };
        // the face reader's camera is simulated: what it finds is given
        let found = match a.face_match.as_str() {
            "一致する" => FaceMatch::Matched,
            "一致しない" => FaceMatch::NotMatched,
            other => anyhow::bail!("顔認証の結果「{other}」は 一致する か 一致しない です"),
        };
        let readers = PcscReaders::establish(
            vec![Device {
                reader_name: a.reader,
                serial: a.serial.clone(),
                kind: if face {
                    ReaderKind::Face
                } else {
                    ReaderKind::Generic
                },
            }],
            Arc::new(move |_: &str| found),
        )?;
        let driver = Driver::new(host, Arc::new(readers), profile);
        let req = CheckRequest {
            serial: a.serial,
            method,
            pin: a.pin,
            operator: match (a.user, a.password) {
                (Some(user), Some(password)) => Some(Operator { user, password }),
                _ => None,
            },
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let out = rt.block_on(driver.check(&req))?;
        let validity = out.answer.result.qualification_validity.label();
        let records = out.answer.result.result_list.len();
        println!("{}", out.message);
        println!("資格有効性: {validity} ({records} 件)");
        if let Some(f) = &out.face_file {
            println!("結果ファイル: {}", f.display());
        }
        if a.kit_events {
            println!("OQS-KIT validity {validity}");
            println!("OQS-KIT records {records}");
            if let Some(f) = &out.face_file {
                println!("OQS-KIT face-file {}", f.display());
            }
        }
        Ok(())
    }
}
