//! `cargo xtask fuzz`: the libFuzzer targets of `fuzz/` (cargo-fuzz layout), built on the stable
//! toolchain with `RUSTC_BOOTSTRAP=1` (cargo-fuzz needs `-Z` flags; TOOLCHAIN.md §7), seeded
//! from the files the features make and from the kit's own protocol traffic.
//!
//! Each run keeps its corpus in `fuzz/corpus/<target>` (it grows from run to run) and prints one
//! line of figures; a crash leaves its input in `fuzz/artifacts/<target>/` and fails the command.

use crate::cargo;
use clap::Args;
use std::path::Path;
use std::process::{Command, Stdio};

/// The targets, with what each one feeds its input to.
pub const TARGETS: &[(&str, &str)] = &[
    (
        "request_xml",
        "要求ファイル: Request::from_bytes, check for every kind, render again",
    ),
    (
        "result_xml",
        "結果ファイル: ResultMessage::from_bytes as a HIS reads it",
    ),
    (
        "encoding",
        "XML declaration, UTF-8 / Shift_JIS decode, encode back",
    ),
    (
        "aes_zip",
        "AES-256 ZIP of an encrypted request (crypt::open)",
    ),
    ("account_csv", "アカウント一括登録 CSV (account_csv::parse)"),
    ("reader_info", "ReaderInfo.ini: parse, render, parse again"),
    ("property", "UserDefinition.property / encrypt.conf"),
    (
        "task_xml",
        "Task Scheduler XML (UTF-16): parse, export, parse again",
    ),
    ("bypass", "proxy bypass list (例外) and routing through it"),
    ("sntp", "SNTP packets: server answer and client reading"),
    (
        "card_apdu",
        "APDU sequences to the simulated My Number Card",
    ),
    (
        "vpcd_frame",
        "vpcd frame stream (control bytes and APDUs) to the card",
    ),
    ("file_name", "req/res file names: parse and print back"),
];

#[derive(Args)]
pub struct FuzzArgs {
    /// A target of `--list`, or `all` for each in turn.
    target: Option<String>,
    /// Seconds per target.
    #[arg(long, default_value_t = 60)]
    time: u64,
    /// Name the targets and stop.
    #[arg(long)]
    list: bool,
    /// libFuzzer's memory limit per run, in MB: an input that needs more is a finding.
    #[arg(long, default_value_t = 2048)]
    rss_limit_mb: u64,
}

pub fn run(args: FuzzArgs) -> i32 {
    if args.list || args.target.is_none() {
        for (name, what) in TARGETS {
            println!("{name:<12} {what}");
        }
        return if args.list { 0 } else { 2 };
    }
    let target = args.target.unwrap_or_default();
    let chosen: Vec<&str> = if target == "all" {
        TARGETS.iter().map(|t| t.0).collect()
    } else if TARGETS.iter().any(|t| t.0 == target) {
        vec![target.as_str()]
    } else {
        eprintln!("fuzz: no target {target}; `cargo xtask fuzz --list` names them");
        return 2;
    };
    if let Err(e) = ensure_cargo_fuzz() {
        eprintln!("fuzz: {e}");
        return 1;
    }
    if let Err(e) = seed(&chosen) {
        eprintln!("fuzz: seeds: {e}");
        return 1;
    }
    println!(
        "fuzz: {} target(s), {} s each, optimised build with sanitizer coverage (RUSTC_BOOTSTRAP=1 on stable)",
        chosen.len(),
        args.time
    );
    let mut failed = 0;
    for t in chosen {
        match run_one(t, args.time, args.rss_limit_mb) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                failed += 1;
                println!("fuzz {t}: FAILED: {e}");
            }
        }
    }
    i32::from(failed > 0)
}

fn cargo_fuzz() -> Command {
    let mut c = cargo();
    c.arg("fuzz")
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(crate::workspace_root().join("fuzz"));
    c
}

/// cargo-fuzz comes from crates.io the first time.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let have = cargo_fuzz()
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if have {
        return Ok(());
    }
    println!("fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)");
    let ok = cargo()
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(())
        .ok_or_else(|| "cargo install cargo-fuzz failed".into())
}

/// Fills empty corpora: the features' files (one conformance run with harvesting on), and the
/// protocol traffic the kit's own components send.
fn seed(targets: &[&str]) -> Result<(), String> {
    let corpus = crate::workspace_root().join("fuzz/corpus");
    let empty =
        |t: &str| std::fs::read_dir(corpus.join(t)).map_or(true, |mut d| d.next().is_none());
    if !targets.iter().any(|t| empty(t)) {
        return Ok(());
    }
    let harvest = crate::workspace_root().join("target/fuzz-seeds");
    if !harvest.join("request_xml").exists() {
        println!("fuzz: taking seeds from the features' files (one conformance run)");
        let status = crate::conformance()
            // conformance/src/fuzz_seeds.rs reads it
            .env("OQS_FUZZ_SEEDS", &harvest)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        // a failing scenario still leaves its files: seeds do not depend on the verdict
        if !harvest.join("request_xml").exists() {
            return Err(format!(
                "the conformance run ({status}) left no request files"
            ));
        }
    }
    protocol_seeds(&harvest).map_err(|e| e.to_string())?;
    for t in targets.iter().filter(|t| empty(t)) {
        let to = corpus.join(t);
        std::fs::create_dir_all(&to).map_err(|e| e.to_string())?;
        let mut n = 0;
        if let Ok(d) = std::fs::read_dir(harvest.join(t)) {
            for e in d.flatten() {
                std::fs::copy(e.path(), to.join(e.file_name())).map_err(|e| e.to_string())?;
                n += 1;
            }
        }
        println!("fuzz {t}: {n} seeds");
    }
    Ok(())
}

fn put(dir: &Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(name), bytes)
}

/// The card records what a driver sends it.
struct Recording {
    card: oqs_sim::reader::mynumber::MyNumberCard,
    apdus: Vec<Vec<u8>>,
}

impl oqs_host::readers::CardChannel for Recording {
    fn atr(&self) -> Vec<u8> {
        oqs_sim::reader::vpcd::MY_NUMBER_ATR.to_vec()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, oqs_host::readers::ReaderError> {
        self.apdus.push(apdu.to_vec());
        Ok(self.card.process(apdu))
    }
}

/// Seeds no feature file carries: the driver's APDUs (as a command sequence and as vpcd
/// frames), SNTP requests, encrypted requests under the fuzz target's password, task XML of
/// the installers, bypass lists.
fn protocol_seeds(dir: &Path) -> std::io::Result<()> {
    use oqs_driver::jpki::{Jpki, sha256_digest_info};
    use oqs_proto::reader::FormFactor;
    use oqs_sim::reader::mynumber::{CardContents, MyNumberCard};
    for (i, (form, pin)) in [
        (FormFactor::Card, "1234"),
        (FormFactor::Card, "9999"),
        (FormFactor::Android, "1234"),
        (FormFactor::IPhone, "1234"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut ch = Recording {
            card: MyNumberCard::new(CardContents::transport_sample(form)),
            apdus: Vec::new(),
        };
        // errors are part of the traffic too: the sequence is what was sent
        if let Ok(mut j) = Jpki::select(&mut ch) {
            let _ = j.form_factor();
            let _ = j.auth_certificate();
            let _ = j.auth_pin_tries_left();
            let _ = j.verify_auth_pin(pin);
            let _ = j.sign_with_auth_key(&sha256_digest_info(b"oqs-kit"));
        }
        // the target reads its first byte as the form factor (`b % 3`: card, Android, iPhone)
        let form_byte = match form {
            FormFactor::Card => 0,
            FormFactor::Android => 1,
            FormFactor::IPhone => 2,
        };
        let mut seq = vec![form_byte];
        let mut frames = vec![0x00, 0x01, 0x01, 0x00, 0x01, 0x04];
        for a in &ch.apdus {
            for out in [&mut seq, &mut frames] {
                out.extend_from_slice(&(a.len() as u16).to_be_bytes());
                out.extend_from_slice(a);
            }
        }
        put(dir, "card_apdu", &format!("driver-{i}"), &seq)?;
        put(dir, "vpcd_frame", &format!("driver-{i}"), &frames)?;
    }
    let t = oqs_proto::ntp::Timestamp(0xE8D0_0000_0000_0000);
    put(dir, "sntp", "request", &oqs_proto::ntp::request(t))?;
    for (name, task) in oqs_proto::task_xml::installer_tasks() {
        put(dir, "task_xml", name, &task.to_utf16())?;
    }
    for (i, list) in [
        "<local>",
        "*.example.jp;10.*;<local>",
        "https://oqs.example.jp:443;http://*.mhlw.go.jp",
        "192.168.1.*\noqs.example.jp",
    ]
    .iter()
    .enumerate()
    {
        put(dir, "bypass", &format!("list-{i}"), list.as_bytes())?;
    }
    // encrypted forms of the features' requests, under the password the target opens with
    let pass: oqs_proto::linkage::crypt::CryptPass = "Pass1234".parse().expect("valid");
    if let Ok(d) = std::fs::read_dir(dir.join("request_xml")) {
        for e in d.flatten().take(50) {
            let bytes = std::fs::read(e.path())?;
            let z = oqs_proto::linkage::crypt::seal("OQSsiquc01req_F.xml", &bytes, &pass);
            put(dir, "aes_zip", &e.file_name().to_string_lossy(), &z)?;
        }
    }
    Ok(())
}

/// One target for `secs` seconds; its figures as one line.
fn run_one(target: &str, secs: u64, rss_mb: u64) -> Result<String, String> {
    let corpus = crate::workspace_root().join("fuzz/corpus").join(target);
    let log = crate::workspace_root().join("target/fuzz-logs");
    std::fs::create_dir_all(&log).map_err(|e| e.to_string())?;
    let log = log.join(format!("{target}.log"));
    let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let status = cargo_fuzz()
        .args(["run", "-O", target])
        .arg(&corpus)
        .arg("--")
        .arg(format!("-max_total_time={secs}"))
        .arg(format!("-rss_limit_mb={rss_mb}"))
        .arg(format!("-malloc_limit_mb={rss_mb}"))
        .arg("-print_final_stats=1")
        .stdout(out.try_clone().map_err(|e| e.to_string())?)
        .stderr(out)
        .status()
        .map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let stat = |key: &str| {
        text.lines()
            .rev()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
            .unwrap_or_else(|| "?".into())
    };
    // the last status line: `#N DONE cov: C ft: F corp: K/S ...`
    let cov = text
        .lines()
        .rev()
        .find_map(|l| {
            let mut w = l.split_whitespace();
            w.position(|x| x == "cov:").and_then(|_| w.next())
        })
        .unwrap_or("?");
    let corpus_files = std::fs::read_dir(&corpus).map_or(0, |d| d.count());
    let crashes: Vec<String> =
        std::fs::read_dir(crate::workspace_root().join("fuzz/artifacts").join(target))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
    let line = format!(
        "fuzz {target}: {secs} s, {} execs ({} /s), cov {cov}, corpus {corpus_files}, peak RSS {} MB, artifacts {}",
        stat("stat::number_of_executed_units:"),
        stat("stat::average_exec_per_sec:"),
        stat("stat::peak_rss_mb:"),
        crashes.len(),
    );
    if status.success() {
        Ok(line)
    } else {
        Err(format!(
            "{line}; libFuzzer stopped ({status}), see {} and fuzz/artifacts/{target}/",
            log.display()
        ))
    }
}
