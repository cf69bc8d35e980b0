//! `oqs-conformance`: runs the kit's features. `cargo xtask conformance` calls this.
//! Options: `--tags '@op-6'`, `--name REGEX`, `--seed N`, `--report-dir DIR`, `--features DIR`,
//! `--coverage`, `--dry-run`, `--shard K/N`, `--rerun-failed`, `--expected-failures FILE`,
//! `--bundle`, and the rest of cucumber's (`--help`).
//!
//! `oqs-conformance merge <cucumber.json>... [--out DIR]` merges the JSON of several runs (the
//! shards of a CI matrix) into one `cucumber.json` and `report.html`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("merge") {
        std::process::exit(oqs_conformance::runner::merge_cli(&args[2..]));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(oqs_conformance::run_cli(false));
    std::process::exit(code);
}
