//! The whole conformance suite as a test target (`harness = false`), so `cargo test` runs it.
//! Under nextest, answer its libtest-style listing and run with default options.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let libtest_flags = [
        "--list",
        "--exact",
        "--nocapture",
        "--format",
        "--test-threads",
        "--quiet",
        "-q",
    ];
    // `--test-threads=2` and friends may come with their value attached
    let libtest_mode = args.iter().skip(1).any(|a| {
        libtest_flags
            .iter()
            .any(|f| a == f || a.starts_with(&format!("{f}=")))
    });
    if args.iter().any(|a| a == "--list") {
        if !args.iter().any(|a| a == "--ignored") {
            println!("conformance: test");
        }
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    std::process::exit(rt.block_on(oqs_conformance::run_cli(libtest_mode)));
}
