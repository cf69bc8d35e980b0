//! `cargo xtask bench …`: figures, never assertions. Each benchmark prints a peer measured in
//! the same command so a ratio, not a machine, is what one compares.

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Subcommand)]
pub enum Bench {
    /// Scenarios/s of the whole conformance suite (default concurrency vs one at a time) and
    /// World start time (with and without the qualification server).
    Suite {
        /// World starts to time.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        starts: u32,
        /// Suite runs per concurrency setting (the figure is their median).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
    },
    /// The linkage app through the real server on loopback: requests/s and req→res latency,
    /// plain vs encrypted; then a crash soak killing the app process at random points.
    Linkage(crate::linkage_bench::Args),
    /// The virtual card: APDUs/s in process, and APDU round trips through pcscd + vpcd for our
    /// card, an echo card (the floor) and vsmartcard's vicc.
    Reader(crate::reader_bench::Args),
    /// The HTTP proxy: tunnel set-up, added round-trip latency and throughput against a direct
    /// connection and against Debian's tinyproxy.
    Proxy(crate::proxy_bench::Args),
    /// The mTLS qualification server against nginx (`ssl_verify_client on`, the same answer as a
    /// static file): requests/s and p50/p99, keep-alive and a new handshake per request.
    Server(crate::server_bench::Args),
}

/// The build the figures come from, said in every benchmark's output.
pub const BUILD: &str = if cfg!(debug_assertions) {
    "debug build (OQS_BENCH_DEBUG=1)"
} else {
    "optimised build, cargo profile `bench`"
};

/// In a debug xtask, runs the same `bench …` command from an optimised (bench-profile) build
/// of xtask and returns its exit code; `None` when this xtask is already optimised, or
/// `OQS_BENCH_DEBUG=1` asks to measure the debug build on purpose.
pub fn optimised_rerun() -> Option<i32> {
    if !cfg!(debug_assertions) || std::env::var_os("OQS_BENCH_DEBUG").is_some() {
        return None;
    }
    println!("building the optimised benchmarks (cargo profile `bench`)…");
    let status = crate::cargo()
        .args([
            "run",
            "--quiet",
            "--profile",
            "bench",
            "--package",
            "xtask",
            "--",
        ])
        .args(std::env::args_os().skip(1))
        .status();
    Some(match status {
        Ok(s) => s.code().unwrap_or(1),
        Err(e) => {
            eprintln!("cargo を起動できません: {e}");
            1
        }
    })
}

pub fn run(b: Bench) -> i32 {
    match b {
        Bench::Suite { starts, runs } => report(suite(starts, runs)),
        Bench::Linkage(args) => report(crate::linkage_bench::run(args)),
        Bench::Reader(args) => report(crate::reader_bench::run(args)),
        Bench::Proxy(args) => report(crate::proxy_bench::run(args)),
        Bench::Server(args) => report(crate::server_bench::run(args)),
    }
}

fn report(r: anyhow::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("bench failed: {e:#}");
            1
        }
    }
}

/// A free port on loopback for a peer program (nginx, tinyproxy) to listen on.
pub fn free_loopback_addr() -> std::io::Result<std::net::SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

/// Whether a peer program listens at `addr` within 2 s.
pub fn listening(addr: std::net::SocketAddr) -> bool {
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Builds a workspace binary in the benchmarks' own profile ([`BUILD`]) and returns its path.
pub fn built_binary(package: &str) -> anyhow::Result<PathBuf> {
    built_binary_with(package, &[])
}

/// The same with cargo features.
pub fn built_binary_with(package: &str, features: &[&str]) -> anyhow::Result<PathBuf> {
    let (profile, dir) = if cfg!(debug_assertions) {
        ("dev", "debug")
    } else {
        // the bench profile's artefacts live in `release`
        ("bench", "release")
    };
    let mut cmd = crate::cargo();
    cmd.args([
        "build",
        "--quiet",
        "--profile",
        profile,
        "--package",
        package,
        "--bin",
        package,
    ]);
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let status = cmd.status()?;
    anyhow::ensure!(
        status.success(),
        "building {package} (features {features:?}) failed"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    Ok(target.join(dir).join(package))
}

/// One suite run: (scenarios passed, wall time).
fn run_suite(bin: &PathBuf, extra: &[&str]) -> anyhow::Result<(u64, Duration)> {
    // Reports go to a scratch folder: a benchmark must not replace a real run's reports.
    let reports = std::env::temp_dir().join(format!("oqs-bench-{}", std::process::id()));
    let t0 = Instant::now();
    let out = std::process::Command::new(bin)
        .args(["--seed", "1", "--report-dir"])
        .arg(&reports)
        .args(extra)
        .output()?;
    let wall = t0.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("cucumber: "))
        .ok_or_else(|| anyhow::anyhow!("no closing line from the suite"))?;
    let passed: u64 = line["cucumber: ".len()..]
        .split(' ')
        .next()
        .unwrap_or("0")
        .parse()?;
    // a failed run keeps its reports: the failure must be readable, not just counted
    anyhow::ensure!(
        out.status.success(),
        "the suite failed: {line}; its reports are kept in {} (report.html names the failed step)",
        reports.display()
    );
    let _ = std::fs::remove_dir_all(&reports);
    Ok((passed, wall))
}

fn suite(starts: u32, runs: u32) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (mut bare, mut served) = (Vec::new(), Vec::new());
    rt.block_on(async {
        // warm the process-wide test PKI first: it is made once per process, not per World
        let _ = oqs_certs::Pki::shared();
        for i in 0..starts {
            let t0 = Instant::now();
            let w = oqs_sim::World::builder().seed(i as u64).build()?;
            bare.push(t0.elapsed());
            drop(w);
            let t0 = Instant::now();
            let w = oqs_sim::World::builder().seed(i as u64).build()?;
            w.qualification().await?;
            served.push(t0.elapsed());
        }
        anyhow::Ok(())
    })?;
    bare.sort();
    served.sort();
    println!("World start ({starts} starts):");
    println!(
        "  World only                  p50 {:.3} ms  p99 {:.3} ms",
        ms(percentile(&bare, 0.5)),
        ms(percentile(&bare, 0.99))
    );
    println!(
        "  World + qualification mTLS  p50 {:.3} ms  p99 {:.3} ms  (ratio p50 {:.2}x)",
        ms(percentile(&served, 0.5)),
        ms(percentile(&served, 0.99)),
        percentile(&served, 0.5).as_secs_f64() / percentile(&bare, 0.5).as_secs_f64().max(1e-9)
    );

    let bin = built_binary("oqs-conformance")?;
    let rate = |label: &str, extra: &[&str]| -> anyhow::Result<f64> {
        let mut rates = Vec::new();
        for _ in 0..runs {
            let (n, wall) = run_suite(&bin, extra)?;
            let r = n as f64 / wall.as_secs_f64();
            println!(
                "  {label:<22} {n} scenarios in {:.2} s = {r:.1} scenarios/s",
                wall.as_secs_f64()
            );
            rates.push(r);
        }
        rates.sort_by(f64::total_cmp);
        Ok(rates[rates.len() / 2])
    };
    println!("whole suite (median of {runs}, {BUILD}, includes process start):");
    let concurrent = rate("default concurrency", &[])?;
    let serial = rate("--concurrency 1", &["--concurrency", "1"])?;
    println!(
        "  speed-up from running scenarios concurrently: {:.2}x",
        concurrent / serial.max(1e-9)
    );
    Ok(())
}
