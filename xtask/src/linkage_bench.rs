//! `cargo xtask bench linkage`: the reference linkage app against the simulated server on
//! loopback, through real files and real mTLS. Figures only: requests/s and req→res latency,
//! plain and encrypted side by side, then a crash soak that kills the app process (SIGKILL) at
//! random points while requests flow and counts lost and duplicated answers.

use crate::bench::{built_binary, ms, percentile};
use oqs_host::{Host, WinPath};
use oqs_linkage::{LinkageApp, Options};
use oqs_proto::linkage::crypt::{self, CryptPass};
use oqs_proto::linkage::message::{Request, ResultMessage};
use oqs_proto::profile::Profile;
use oqs_proto::qualification::{QualificationResult, QualificationValidity, SearchInfo};
use oqs_proto::settings::CharacterCode;
use oqs_sim::World;
use oqs_sim::provision::{LinkageTerminal, linkage_terminal};
use oqs_sim::windows::FakeTerminal;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Requests per throughput run.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Sequential requests for the latency figures.
    #[arg(long, default_value_t = 100)]
    latency: usize,
    /// Rounds of each measurement; the figures are their medians.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    /// Requests in the crash soak (0 skips it).
    #[arg(long, default_value_t = 1000)]
    soak: usize,
    /// Seed of the World and of the soak's kill points.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Settle time of a request file (ms): the app reads a file once it has not changed this long.
    #[arg(long, default_value_t = 20)]
    settle_ms: u64,
}

const CODE: &str = "1312345678";
const PASS: &str = "Bench2025";

struct Site {
    world: World,
    terminal: Arc<FakeTerminal>,
    search: SearchInfo,
}

async fn site(seed: u64) -> anyhow::Result<Site> {
    let world = World::builder().seed(seed).build()?;
    let mut spec = LinkageTerminal::new("BENCH-01", &CODE.parse()?);
    spec.crypt_pass = Some(PASS.into());
    let terminal = Arc::new(linkage_terminal(&world, &spec).await?);
    let search = world
        .registry()
        .insured
        .example(QualificationValidity::Valid);
    Ok(Site {
        world,
        terminal,
        search,
    })
}

fn folder(t: &FakeTerminal, win: &str) -> anyhow::Result<PathBuf> {
    let p = t.files().resolve(&WinPath::parse(win)?)?;
    std::fs::create_dir_all(&p)?;
    Ok(p)
}

fn request_bytes(search: &SearchInfo, afi: &str) -> Vec<u8> {
    Request::qualification_check(CODE, "20250401", Some(afi), search.clone())
        .to_bytes(CharacterCode::Utf8)
        .expect("UTF-8 holds everything")
}

/// The request file for suffix `s`: (name, bytes, result name).
fn request_file(search: &SearchInfo, s: &str, encrypted: bool) -> (String, Vec<u8>, String) {
    let xml = request_bytes(search, s);
    if encrypted {
        let pass: CryptPass = PASS.parse().expect("valid");
        let inner = format!("OQSsiquc01req_{s}.xml");
        (
            format!("OQSsiquc01req_{s}.zip"),
            crypt::seal(&inner, &xml, &pass),
            format!("OQSsiquc01res_{s}.zip"),
        )
    } else {
        (
            format!("OQSsiquc01req_{s}.xml"),
            xml,
            format!("OQSsiquc01res_{s}.xml"),
        )
    }
}

/// Write elsewhere, then move into `req` (as HIS clients do).
fn drop_file(req: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = req.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, req.join(name))
}

async fn wait_for(path: &Path, limit: Duration) -> anyhow::Result<()> {
    let t0 = Instant::now();
    while !path.exists() {
        anyhow::ensure!(t0.elapsed() < limit, "{} did not appear", path.display());
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    Ok(())
}

struct Figures {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

async fn measure(args: &Args, encrypted: bool) -> anyhow::Result<Figures> {
    let s = site(args.seed).await?;
    if encrypted {
        std::fs::write(
            folder(&s.terminal, r"C:\ProgramData\OQS\OQSComApp\config")?.join("encrypt.conf"),
            b"OQSsiquc01=e\r\n",
        )?;
    }
    let options = Options {
        rescan: Duration::from_millis(100),
        settle: Duration::from_millis(args.settle_ms),
        ..Options::default()
    };
    let app = LinkageApp::start(s.terminal.clone(), options).await?;
    let (req, res) = (
        folder(&s.terminal, &Profile::builtin().linkage.request_dir)?,
        folder(&s.terminal, &Profile::builtin().linkage.result_dir)?,
    );
    // throughput: a batch dropped at once
    let files: Vec<_> = (0..args.requests)
        .map(|i| request_file(&s.search, &format!("T{i:06}"), encrypted))
        .collect();
    let t0 = Instant::now();
    for (name, bytes, _) in &files {
        drop_file(&req, name, bytes)?;
    }
    for (_, _, result) in &files {
        wait_for(&res.join(result), Duration::from_secs(300)).await?;
    }
    let rate = args.requests as f64 / t0.elapsed().as_secs_f64();
    // latency: one at a time, from the move into req to the result in res
    let mut lat = Vec::new();
    for i in 0..args.latency {
        let (name, bytes, result) = request_file(&s.search, &format!("L{i:06}"), encrypted);
        let t0 = Instant::now();
        drop_file(&req, &name, &bytes)?;
        wait_for(&res.join(result), Duration::from_secs(60)).await?;
        lat.push(t0.elapsed());
    }
    app.stop().await;
    lat.sort();
    drop(s.world);
    Ok(Figures {
        rate,
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
    })
}

/// The floor: the same requests sent by a program of the kit's own straight to the server on
/// one kept connection (what the app does, without files, parsing or sealing), one at a time.
async fn measure_floor(args: &Args) -> anyhow::Result<Figures> {
    let s = site(args.seed).await?;
    let host: Arc<dyn Host> = s.terminal.clone();
    let settings = oqs_linkage::Settings::load(host.as_ref(), Profile::builtin())?;
    let mut client = oqs_linkage::client::QualificationClient::new(
        host,
        settings.institution.clone(),
        settings.login.account(),
        "oqs-kit bench floor",
    );
    let mut ask = async || {
        client
            .call::<SearchInfo, QualificationResult>("POST", "qualification", Some(&s.search))
            .await
    };
    ask().await?; // logs in: the app is logged in before its first request too
    let t0 = Instant::now();
    for _ in 0..args.requests {
        ask().await?;
    }
    let rate = args.requests as f64 / t0.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    for _ in 0..args.latency {
        let t0 = Instant::now();
        ask().await?;
        lat.push(t0.elapsed());
    }
    lat.sort();
    Ok(Figures {
        rate,
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
    })
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let _ = oqs_certs::Pki::shared();
    println!(
        "linkage app, in-process, real files + mTLS on loopback ({}, settle {} ms, median of {} rounds):",
        crate::bench::BUILD,
        args.settle_ms,
        args.rounds
    );
    let median = |what: Option<bool>| -> anyhow::Result<Figures> {
        let mut runs = Vec::new();
        for _ in 0..args.rounds {
            runs.push(rt.block_on(async {
                match what {
                    Some(encrypted) => measure(&args, encrypted).await,
                    None => measure_floor(&args).await,
                }
            })?);
        }
        let mid = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let secs = |f: fn(&Figures) -> Duration| {
            Duration::from_secs_f64(mid(runs.iter().map(|r| f(r).as_secs_f64()).collect()))
        };
        Ok(Figures {
            rate: mid(runs.iter().map(|r| r.rate).collect()),
            p50: secs(|r| r.p50),
            p99: secs(|r| r.p99),
        })
    };
    let floor = median(None)?;
    let plain = median(Some(false))?;
    let enc = median(Some(true))?;
    println!(
        "  {:<15} {:>7.1} requests/s (one by one)       call p50 {:.2} ms  p99 {:.2} ms",
        "floor: server",
        floor.rate,
        ms(floor.p50),
        ms(floor.p99),
    );
    for (label, f) in [("plain .xml", &plain), ("encrypted .zip", &enc)] {
        println!(
            "  {label:<15} {:>7.1} requests/s ({} at once)   req→res p50 {:.2} ms  p99 {:.2} ms ({} one by one)",
            f.rate,
            args.requests,
            ms(f.p50),
            ms(f.p99),
            args.latency
        );
        println!(
            "  {:<15} vs the floor: throughput {:.2}x, p50 {:.2}x, p99 {:.2}x",
            "",
            f.rate / floor.rate.max(1e-9),
            f.p50.as_secs_f64() / floor.p50.as_secs_f64().max(1e-9),
            f.p99.as_secs_f64() / floor.p99.as_secs_f64().max(1e-9),
        );
    }
    println!(
        "  encrypted / plain: throughput {:.2}x, latency p50 {:.2}x",
        enc.rate / plain.rate.max(1e-9),
        enc.p50.as_secs_f64() / plain.p50.as_secs_f64().max(1e-9)
    );
    print_ceiling(enc.rate);
    if args.soak > 0 {
        rt.block_on(soak(&args))?;
    }
    Ok(())
}

/// What encrypted linkage can reach here at most: an encrypted request costs two WinZip-AES
/// key derivations (PBKDF2-HMAC-SHA1, 1,000 rounds: opening the request, sealing the
/// result), whatever the app does around them.
fn print_ceiling(encrypted_rate: f64) {
    let seal = {
        let pass: CryptPass = PASS.parse().expect("valid");
        let n = 50;
        let t0 = Instant::now();
        for _ in 0..n {
            std::hint::black_box(crypt::seal("x.xml", b"<a/>", &pass));
        }
        t0.elapsed() / n
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ceiling = cores as f64 / (2.0 * seal.as_secs_f64());
    println!(
        "  encrypted ceiling on this machine: {cores} cores / (2 x {:.2} ms per key derivation) = {ceiling:.0} requests/s with nothing else running; the app reaches {:.2}x of it",
        ms(seal),
        encrypted_rate / ceiling
    );
}

/// The crash soak: the app runs as its own process and is killed with SIGKILL at random
/// points while the HIS keeps dropping requests and taking results.
async fn soak(args: &Args) -> anyhow::Result<()> {
    let bin = built_binary("oqs-linkage")?;
    let s = site(args.seed).await?;
    let (req, res) = (
        folder(&s.terminal, &Profile::builtin().linkage.request_dir)?,
        folder(&s.terminal, &Profile::builtin().linkage.result_dir)?,
    );
    let at = oqs_host::Clock::now(s.world.clock())
        .format(&time::format_description::well_known::Rfc3339)?;
    let spawn = || {
        std::process::Command::new(&bin)
            .args(["run", "--terminal"])
            .arg(s.terminal.root())
            .args(["--at", &at, "--rescan-ms", "50", "--settle-ms"])
            .arg(args.settle_ms.to_string())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let mut child = spawn()?;
    let mut kills = 0u32;
    let mut next_kill = Instant::now() + Duration::from_millis(rng.random_range(20..200));
    let mut dropped = 0usize;
    // result name → ArbitraryFileIdentifier, as the HIS took it; a second take is a duplicate
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let mut duplicates = 0usize;
    let mut mismatched = 0usize;
    let expected: BTreeSet<String> = (0..args.soak)
        .map(|i| format!("OQSsiquc01res_S{i:06}.xml"))
        .collect();
    let t0 = Instant::now();
    let deadline = Duration::from_secs(600);
    while taken.len() < args.soak && t0.elapsed() < deadline {
        // the HIS drops a few requests at a time
        for _ in 0..rng.random_range(1..8) {
            if dropped < args.soak {
                let (name, bytes, _) = request_file(&s.search, &format!("S{dropped:06}"), false);
                drop_file(&req, &name, &bytes)?;
                dropped += 1;
            }
        }
        // and takes whatever results are there
        take_results(&res, &mut taken, &mut duplicates, &mut mismatched)?;
        if Instant::now() >= next_kill && dropped < args.soak {
            child.kill()?;
            child.wait()?;
            kills += 1;
            child = spawn()?;
            next_kill = Instant::now() + Duration::from_millis(rng.random_range(20..200));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // let it finish, then stop it
    child.kill()?;
    child.wait()?;
    let lost = expected.iter().filter(|n| !taken.contains_key(*n)).count();
    println!(
        "crash soak: {} requests, app process killed {kills} times (SIGKILL at random points), {:.1} s",
        args.soak,
        t0.elapsed().as_secs_f64()
    );
    println!(
        "  answered {} · lost {lost} · duplicated {duplicates} · answer for another request {mismatched}",
        taken.len()
    );
    Ok(())
}

/// The HIS takes every result in `res`: a name taken twice is a duplicate, a result whose
/// ArbitraryFileIdentifier is not its own request's answers another request.
fn take_results(
    res: &std::path::Path,
    taken: &mut BTreeMap<String, String>,
    duplicates: &mut usize,
    mismatched: &mut usize,
) -> anyhow::Result<()> {
    for e in std::fs::read_dir(res)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        let path = res.join(&name);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        std::fs::remove_file(&path)?;
        let afi = ResultMessage::from_bytes(&bytes)
            .ok()
            .and_then(|m| m.message_header.arbitrary_file_identifier)
            .unwrap_or_default();
        let own = name
            .trim_start_matches("OQSsiquc01res_")
            .trim_end_matches(".xml");
        if own != afi {
            *mismatched += 1;
        }
        if taken.insert(name, afi).is_some() {
            *duplicates += 1;
        }
    }
    Ok(())
}
