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
    println!(
        "reader bench ({}): in process ({} APDUs each)",
        crate::bench::BUILD,
        args.apdus
    );
    let card = world.issue_card(0, FormFactor::Card, "1234");
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

    println!(
        "reader bench: through pcscd + vpcd ({} round trips each, SELECT JPKI-AP)",
        args.round_trips
    );
    if let Some(why) = pcscd::unavailable() {
        println!("  skipped: {why}");
        return Ok(());
    }
    let have_vicc = Command::new("sh")
        .args(["-c", "command -v vicc"])
        .output()
        .is_ok_and(|o| o.status.success());
    let driver = built_binary_with("oqs-driver", &["pcsc"])?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let apdu = oqs_proto::api::hex(&select_jpki());
    // one vpcd device has two slots (see oqs_sim::reader::pcscd): each round puts a card in
    // slot 0 and the echo card in slot 1, so every figure has its floor from the same pcscd
    let mut results = Vec::new();
    let shim = tempfile::tempdir()?;
    for (label, ours) in [
        ("our My Number Card", true),
        ("vicc (vsmartcard, Python)", false),
    ] {
        if !ours && !have_vicc {
            println!(
                "  {label:<28} skipped: vicc is not installed (apt-get install vsmartcard-vpicc python3-pycryptodome)"
            );
            continue;
        }
        let pcscd = Pcscd::start("oqs-kit Bench").map_err(anyhow::Error::msg)?;
        let echo: SharedCard = Arc::new(Mutex::new(EchoCard));
        let _echo = rt.block_on(pcscd.insert(1, echo, Removal::OnRequest))?;
        let mut _card = None;
        let mut vicc = None;
        if ours {
            let c: SharedCard = card.clone();
            _card = Some(rt.block_on(pcscd.insert(0, c, Removal::OnRequest))?);
        } else {
            vicc = Some(
                Command::new("vicc")
                    .env("PYTHONPATH", vicc_python_path(&shim)?)
                    .args(["--type", "iso7816", "-H", "127.0.0.1", "-P"])
                    .arg(pcscd.port.to_string())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?,
            );
        }
        // vpcd takes a card at pcscd's presence poll: wait until both slots show an ATR
        let mut seen = 0;
        for _ in 0..100 {
            let out = Command::new(&driver).arg("readers").output()?;
            seen = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| l.contains("\t3B"))
                .count();
            if seen >= 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if seen < 2 {
            println!("  {label:<28} only {seen} of 2 cards detected by pcscd after 10 s");
        }
        for (what, slot) in [(label, 0u8), ("echo card (floor)", 1)] {
            let out = Command::new(&driver)
                .args(["latency", "--reader", &pcscd.slot_name(slot), "--count"])
                .arg(args.round_trips.to_string())
                .args(["--apdu", &apdu])
                .output()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let field = |k: &str| -> Option<f64> {
                text.split_whitespace()
                    .find_map(|w| w.strip_prefix(k))
                    .and_then(|v| v.parse().ok())
            };
            match (field("p50_us="), field("p99_us=")) {
                (Some(p50), Some(p99)) => {
                    println!(
                        "  {what:<28} p50 {:>8.3} ms   p99 {:>8.3} ms",
                        p50 / 1e3,
                        p99 / 1e3
                    );
                    results.push((what, p50));
                }
                _ => println!(
                    "  {what:<28} failed: {}{}",
                    text.trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            }
        }
        if let [.., (_, p50), (_, floor)] = results.as_slice() {
            println!("  {label:<28} {:.2}x the floor", p50 / floor);
        }
        results.clear();
        if let Some(mut v) = vicc {
            let _ = v.kill();
            let _ = v.wait();
        }
    }
    Ok(())
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
