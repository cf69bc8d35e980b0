//! `cargo xtask <command>`: the kit's entry points.
//!
//! | command | what it does |
//! |---|---|
//! | `conformance [cucumber options]` | runs the features (`--tags`, `--name`, `--seed`, …); reports in `target/conformance/` |
//! | `test` | runs every test of the workspace and ends with one `tests: N passed, N failed, N skipped` line |
//! | `sim [--pcsc]` | starts a World on loopback, prints addresses and certificate paths, runs until Ctrl-C; `--pcsc` adds a real pcscd with a virtual card |
//! | `deps` | checks that workspace dependencies point down as DESIGN.md draws them |
//! | `long-fns` | checks that no function is over 80 lines without a reason written above it |
//! | `certs` | writes the test PKI (roots, server, one terminal's certificate and .p12) to a folder |
//! | `bench suite` | scenarios/s of the whole suite and World start time |
//! | `bench linkage` | linkage app requests/s and req→res latency (plain vs encrypted), crash soak |
//! | `bench proxy` | the proxy: CONNECT set-up, added latency and throughput vs direct and vs tinyproxy |
//! | `fuzz <target>\|all [--time S]` | libFuzzer targets of `fuzz/` (cargo-fuzz, stable + `RUSTC_BOOTSTRAP=1`); `--list` names them |
//! | `bench server` | the mTLS qualification server vs nginx (`ssl_verify_client on`): req/s, p50/p99, keep-alive and new handshakes |
//! | `bench reader` | the virtual card: APDUs/s in process; round trips through pcscd + vpcd vs an echo card and vicc |

mod bench;
mod deps;
mod fuzz;
mod linkage_bench;
mod long_fns;
mod proxy_bench;
mod reader_bench;
mod server_bench;
mod sim;
mod test;

use clap::{Parser, Subcommand};
use std::process::{Command, ExitCode};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "oqs-kit tasks")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the conformance suite; every argument goes to the runner (see `cargo xtask conformance -- --help`).
    Conformance {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run all tests (unit, property, integration, and the suite) and print one closing count.
    Test {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Start a simulated World and keep it running until Ctrl-C.
    Sim(sim::SimArgs),
    /// Write the test PKI to a folder: CA bundle, server certificate, a terminal's certificate,
    /// key and PKCS#12. Keys are new on every run.
    Certs(sim::CertArgs),
    /// Fuzz a parser with libFuzzer (cargo-fuzz on stable); `--list` names the targets.
    Fuzz(fuzz::FuzzArgs),
    /// Check that the workspace's dependencies point down as DESIGN.md draws them.
    Deps,
    /// Check that no function is over 80 lines without a reason written above it.
    LongFns,
    /// Benchmarks; they print figures, they assert nothing.
    Bench {
        #[command(subcommand)]
        what: bench::Bench,
    },
}

/// The workspace's folder (xtask lives in it).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// A nested cargo call that sees the same environment as the user's own `cargo`: without the
/// variables cargo sets for the package it is running (xtask's `CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_*`, …). Build scripts track some of them (ring's does), so leaving them in made
/// every `cargo xtask conformance` rebuild ring, rustls and every oqs crate.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (k, _) in std::env::vars_os() {
        if oqs_testkit::is_cargo_package_var(&k.to_string_lossy()) {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `cargo run` of the conformance runner, with PC/SC where libpcsclite is there and the
/// browser where Chromium is; its own arguments follow.
pub fn conformance() -> Command {
    let mut c = cargo();
    c.args([
        "run",
        "--quiet",
        "--package",
        "oqs-conformance",
        "--bin",
        "oqs-conformance",
    ]);
    let features = test::conformance_features();
    if !features.is_empty() {
        c.args(["--features", &features.join(",")]);
    }
    c.arg("--");
    c
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Cmd::Conformance { args } => {
            let status = conformance().args(args).status();
            match status {
                Ok(s) => s.code().unwrap_or(1),
                Err(e) => {
                    eprintln!("cargo を起動できません: {e}");
                    1
                }
            }
        }
        Cmd::Test { args } => test::run(&args),
        Cmd::Sim(args) => sim::run(args),
        Cmd::Certs(args) => sim::certs(args),
        Cmd::Fuzz(args) => fuzz::run(args),
        Cmd::Deps => deps::run(),
        Cmd::LongFns => long_fns::run(),
        Cmd::Bench { what } => match bench::optimised_rerun() {
            // benchmarks measure optimised code: a debug xtask runs its bench-profile self
            Some(code) => code,
            None => bench::run(what),
        },
    };
    ExitCode::from(code.clamp(0, 255) as u8)
}
