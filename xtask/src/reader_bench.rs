//! `cargo xtask bench reader`: the virtual card's speed.
//!
//! - In process: APDUs/s of the card state machine alone and through the in-process reader
//!   (what every scenario uses), and RSA-2048 signatures/s (COMPUTE DIGITAL SIGNATURE).
//! - Through the real PC/SC stack (pcscd + vsmartcard-vpcd, one device each): APDU round trip
//!   p50/p99 for our card, for an echo card that answers `90 00` at once (the floor: what
//!   pcscd, vpcd and the socket cost), and for vsmartcard's own Python card `vicc` when
//!   installed (Debian `vsmartcard-vpicc`) — all in the same run, so the ratios compare.

use crate::bench::built_binary_with;
use oqs_host::readers::{ReaderKind, Readers};
use oqs_proto::reader::jpki::JPKI_AP;
use oqs_sim::World;
use oqs_sim::reader::mynumber::{FormFactor, MyNumberCard};
use oqs_sim::reader::pcscd::{self, Pcscd};
use oqs_sim::reader::vpcd::{EchoCard, Removal, SharedCard};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// APDUs per in-process measurement.
    #[arg(long, default_value_t = 200_000)]
    apdus: usize,
    /// Round trips per PC/SC reader.
    #[arg(long, default_value_t = 2000)]
    round_trips: usize,
}

fn select_jpki() -> Vec<u8> {
    [&[0x00, 0xA4, 0x04, 0x0C, 10][..], &JPKI_AP].concat()
}

/// SELECT JPKI-AP, SELECT token EF, READ BINARY 32: a typical exchange.
fn exchange() -> [Vec<u8>; 3] {
    [
        select_jpki(),
        vec![0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06],
        vec![0x00, 0xB0, 0x00, 0x00, 0x20],
    ]
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let world = World::builder().seed(1).build()?;
    let card = world.issue_card(0, FormFactor::Card, "1234");
    in_process(&world, &card, &args)?;
    through_pcscd(card, &args)
}

/// The card alone, through the in-process reader, and its RSA signatures.
fn in_process(world: &World, card: &Arc<Mutex<MyNumberCard>>, args: &Args) -> anyhow::Result<()> {
    println!(
        "reader bench ({}): in process ({} APDUs each)",
        crate::bench::BUILD,
        args.apdus
    );
    let cmds = exchange();
    let rate = |f: &mut dyn FnMut(&[u8])| {
        let t = Instant::now();
        for i in 0..args.apdus {
            f(&cmds[i % 3]);
        }
        args.apdus as f64 / t.elapsed().as_secs_f64()
    };
    let direct = {
        let mut c = card.lock().unwrap_or_else(|e| e.into_inner());
        rate(&mut |a| {
            c.process(a);
        })
    };
    let readers = world.readers().clone();
    let r = readers.attach(ReaderKind::Generic, "BENCH");
    r.insert(card.clone());
    let mut ch = readers.connect(&r.entry().name)?;
    let via_reader = rate(&mut |a| {
        let _ = ch.transmit(a);
    });
    println!("  card state machine          {direct:>12.0} APDUs/s");
    println!(
        "  through in-process reader   {via_reader:>12.0} APDUs/s ({:.2}x of the bare card)",
        via_reader / direct
    );
    let signs = {
        let mut c: std::sync::MutexGuard<'_, MyNumberCard> =
            card.lock().unwrap_or_else(|e| e.into_inner());
        c.reset();
        c.process(&select_jpki());
        c.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]);
        c.process(&[0x00, 0x20, 0x00, 0x80, 4, b'1', b'2', b'3', b'4']);
        c.process(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17]);
        let di = [
            &oqs_proto::reader::jpki::SHA256_DIGEST_INFO_PREFIX[..],
            &[7u8; 32],
        ]
        .concat();
        let apdu = [&[0x80, 0x2A, 0x00, 0x80, di.len() as u8][..], &di, &[0]].concat();
        let n = 50;
        let t = Instant::now();
        for _ in 0..n {
            c.process(&apdu);
        }
        n as f64 / t.elapsed().as_secs_f64()
    };
    println!("  RSA-2048 signatures         {signs:>12.1} /s (COMPUTE DIGITAL SIGNATURE)");
    Ok(())
}

/// Round trips through pcscd and vpcd: the card against the echo card (the floor) in both
/// slots, then vicc when it is installed.
fn through_pcscd(card: Arc<Mutex<MyNumberCard>>, args: &Args) -> anyhow::Result<()> {
    println!(
        "reader bench: through pcscd + vpcd ({} round trips each, SELECT JPKI-AP)",
        args.round_trips
    );
    if let Some(why) = pcscd::unavailable() {
        println!("  skipped: {why}");
        return Ok(());
    }
    let have_vicc = oqs_testkit::which("vicc").is_some();
    let driver = built_binary_with("oqs-driver", &["pcsc"])?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let apdu = oqs_proto::api::hex(&select_jpki());
    // One vpcd device has two slots (see oqs_sim::reader::pcscd), and slot 0 answers ~10 µs
    // slower than slot 1 whatever card sits in it (measured with the echo card in both). So
    // each subject is measured in a pass with the echo card (the floor) in the other slot of
    // the same pcscd, in alternating rounds (order swapped each round), and our card in both
    // slots in turn: the geometric mean of the two passes' ratios cancels the slot's bias.
    let shim = tempfile::tempdir()?;
    let pc = Pc {
        rt: &rt,
        driver: &driver,
        apdu: &apdu,
        shim: &shim,
    };
    let ours: SharedCard = card.clone();
    let mut ratios = Vec::new();
    let mut ours_at = Vec::new();
    for slot in [0u8, 1] {
        let label = format!("our My Number Card, slot {slot}");
        match pc.pass(Subject::Card(ours.clone()), slot, args.round_trips)? {
            Ok((c, f)) => {
                print_pass(&label, args.round_trips, c, f);
                ratios.push((c.0 / f.0, c.1 / f.1));
                ours_at.push(c);
            }
            Err(why) => println!("  {label:<32} {why}"),
        }
    }
    if let [a, b] = ratios.as_slice() {
        println!(
            "  our My Number Card: {:.2}x the floor at p50, {:.2}x at p99 (geometric mean of both slots)",
            (a.0 * b.0).sqrt(),
            (a.1 * b.1).sqrt()
        );
    }
    let label = "vicc (vsmartcard, Python)";
    if !have_vicc {
        println!(
            "  {label:<32} skipped: vicc is not installed (apt-get install vsmartcard-vpicc python3-pycryptodome)"
        );
        return Ok(());
    }
    // vicc answers in tens of milliseconds: fewer of its round trips say as much
    let trips = (args.round_trips / 10).max(20);
    match pc.pass(Subject::Vicc, 0, trips)? {
        Ok((v, f)) => {
            print_pass(label, trips, v, f);
            if let Some(o) = ours_at.first() {
                println!(
                    "  our card vs vicc, both in slot 0: p50 {:.4}x, p99 {:.4}x",
                    o.0 / v.0,
                    o.1 / v.1
                );
            }
        }
        Err(why) => println!("  {label:<32} {why}"),
    }
    Ok(())
}

/// (p50, p99) in microseconds.
type P = (f64, f64);

fn print_pass(label: &str, trips: usize, c: P, f: P) {
    println!(
        "  {label:<32} p50 {:>8.3} ms   p99 {:>8.3} ms   (median of {ROUNDS} rounds of {trips})",
        c.0 / 1e3,
        c.1 / 1e3
    );
    println!(
        "  {:<32} p50 {:>8.3} ms   p99 {:>8.3} ms   → {:.2}x at p50, {:.2}x at p99",
        "  echo card (floor), other slot",
        f.0 / 1e3,
        f.1 / 1e3,
        c.0 / f.0,
        c.1 / f.1
    );
}

const ROUNDS: usize = 5;

enum Subject {
    Card(SharedCard),
    /// vsmartcard's own card, a separate Python process.
    Vicc,
}

/// What every pass through PC/SC needs.
struct Pc<'a> {
    rt: &'a tokio::runtime::Runtime,
    driver: &'a std::path::Path,
    apdu: &'a str,
    shim: &'a tempfile::TempDir,
}

impl Pc<'_> {
    /// One pcscd with `subject` in `slot` and the echo card in the other slot: the medians of
    /// both, or why the subject could not be measured.
    fn pass(
        &self,
        subject: Subject,
        slot: u8,
        trips: usize,
    ) -> anyhow::Result<Result<(P, P), String>> {
        let pcscd = Pcscd::start("oqs-kit Bench").map_err(anyhow::Error::msg)?;
        let echo: SharedCard = Arc::new(Mutex::new(EchoCard));
        let _echo = self
            .rt
            .block_on(pcscd.insert(1 - slot, echo, Removal::OnRequest))?;
        let mut _card = None;
        let mut vicc = None;
        let log = self.shim.path().join("vicc.log");
        match subject {
            Subject::Card(c) => {
                _card = Some(
                    self.rt
                        .block_on(pcscd.insert(slot, c, Removal::OnRequest))?,
                )
            }
            Subject::Vicc => {
                vicc = Some(
                    Command::new("vicc")
                        .env("PYTHONPATH", vicc_python_path(self.shim)?)
                        .args(["--type", "iso7816", "-H", "127.0.0.1", "-P"])
                        .arg(pcscd.slot_addr(slot).port().to_string())
                        .stdout(Stdio::null())
                        .stderr(std::fs::File::create(&log)?)
                        .spawn()?,
                )
            }
        }
        let result = if both_detected(self.driver, vicc.as_mut())? {
            let (mut subject_p, mut floor_p) = (Vec::new(), Vec::new());
            for round in 0..ROUNDS {
                let mut order = [(slot, &mut subject_p), (1 - slot, &mut floor_p)];
                if round % 2 == 1 {
                    order.reverse();
                }
                for (s, into) in order {
                    into.push(latency(self.driver, &pcscd.slot_name(s), trips, self.apdu)?);
                }
            }
            Ok((medians(&subject_p), medians(&floor_p)))
        } else {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            Err(format!(
                "not detected by pcscd after 10 s {}",
                said.lines().last().unwrap_or("").trim()
            ))
        };
        if let Some(mut v) = vicc {
            let _ = v.kill();
            let _ = v.wait();
        }
        Ok(result)
    }
}

/// Waits until pcscd shows an ATR in both slots (vpcd takes a card at pcscd's presence poll);
/// `false` after 10 s or once vicc has exited.
fn both_detected(
    driver: &std::path::Path,
    mut vicc: Option<&mut std::process::Child>,
) -> anyhow::Result<bool> {
    for _ in 0..100 {
        let out = Command::new(driver).arg("readers").output()?;
        let seen = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("\t3B"))
            .count();
        if seen >= 2 {
            return Ok(true);
        }
        if let Some(v) = vicc.as_deref_mut()
            && v.try_wait()?.is_some()
        {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(false)
}

/// One `oqs-driver latency` run: (p50, p99) in microseconds.
fn latency(driver: &std::path::Path, reader: &str, trips: usize, apdu: &str) -> anyhow::Result<P> {
    let out = Command::new(driver)
        .args(["latency", "--reader", reader, "--count"])
        .arg(trips.to_string())
        .args(["--apdu", apdu])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |k: &str| -> Option<f64> {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .and_then(|v| v.parse().ok())
    };
    match (field("p50_us="), field("p99_us=")) {
        (Some(p50), Some(p99)) => Ok((p50, p99)),
        _ => anyhow::bail!(
            "oqs-driver latency on {reader} failed: {}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    }
}

/// The medians of the rounds' p50s and p99s.
fn medians(rounds: &[P]) -> P {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (
        median(rounds.iter().map(|r| r.0).collect()),
        median(rounds.iter().map(|r| r.1).collect()),
    )
}

/// Debian bookworm's vicc does not start as packaged: python3-virtualsmartcard installs its
/// module one level too deep (`…/site-packages/virtualsmartcard/virtualsmartcard`, off Python's
/// path) and imports PyCrypto's `Crypto`, which Debian ships as pycryptodome's `Cryptodome`
/// (python3-pycryptodome). The path and a `Crypto` → `Cryptodome` link make it run.
fn vicc_python_path(shim: &tempfile::TempDir) -> anyhow::Result<String> {
    let cryptodome = std::path::Path::new("/usr/lib/python3/dist-packages/Cryptodome");
    let link = shim.path().join("Crypto");
    if cryptodome.exists() && !link.exists() {
        std::os::unix::fs::symlink(cryptodome, &link)?;
    }
    Ok(format!(
        "{}:/usr/lib/python3/site-packages/virtualsmartcard",
        shim.path().display()
    ))
}
