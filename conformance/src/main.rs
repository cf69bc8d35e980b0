//! `oqs-conformance`: runs the kit's features. `cargo xtask conformance` calls this.
//! Options: `--tags '@op-6'`, `--name REGEX`, `--seed N`, `--report-dir DIR`, `--features DIR`,
//! and the rest of cucumber's (`--help`).

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(oqs_conformance::run_cli(false));
    std::process::exit(code);
}
