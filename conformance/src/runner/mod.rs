//! The runner as a library: the command line is resolved once into a [`Plan`], the plan is
//! played into an [`Outcome`](execute::Outcome), and the reporters turn it into a verdict,
//! the reports and an exit code ([`exit`]). `oqs-conformance` and the `cargo test` harness
//! are thin calls of [`run_cli`].
//!
//! | module | what it holds |
//! |---|---|
//! | [`plan`] | the options (`KitOpts` beside cucumber's) and the plan they resolve to |
//! | [`select`] | which scenarios run (name, tags, left-out tags, shard, last failures) and each one's seed |
//! | [`execute`] | cucumber wired to the kit: hooks, writers, what each scenario left behind |
//! | [`reporters`] | verdict, expected failures, coverage, HTML, evidence bundle, the closing lines |
//! | [`merge`] | the runs of a CI matrix's shards as one report |
//! | [`error`] | [`RunError`] and the documented exit codes |

pub mod error;
pub mod execute;
pub mod merge;
pub mod plan;
pub mod reporters;
pub mod select;

pub use error::{RunError, exit};
pub use execute::Counts;
pub use merge::merge_cli;
pub use plan::{KitOpts, Mode, Options, Plan, workspace_root};
pub use select::{failed_places, scenario_seed, shard_of};

use std::path::Path;

/// Parses the command line (or, under a libtest-style harness, uses the defaults), runs the
/// features and returns the process exit code ([`exit`]).
pub async fn run_cli(libtest_mode: bool) -> i32 {
    let opts = if libtest_mode {
        Options::default()
    } else {
        <Options as clap::Parser>::parse()
    };
    match run(opts).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

/// Plan → play → report; the exit code of the verdict.
pub async fn run(opts: Options) -> Result<i32, RunError> {
    let plan = Plan::resolve(opts)?;
    match &plan.mode {
        Mode::Nothing(why) => {
            println!("{why}");
            Ok(exit::PASSED)
        }
        Mode::DryRun => dry_run(&plan),
        Mode::Run => {
            let (plan, outcome) = execute::run(plan).await?;
            Ok(reporters::report(&plan, outcome)?.exit_code())
        }
    }
}

/// `--dry-run`: steps, claims, the target's programs and the manifest's entries, checked
/// without playing anything.
fn dry_run(plan: &Plan) -> Result<i32, RunError> {
    let s = &plan.selection;
    let keep =
        |f: &cucumber::gherkin::Feature, rule_tags: &[String], sc: &cucumber::gherkin::Scenario| {
            let tags = f
                .tags
                .iter()
                .chain(rule_tags)
                .chain(&sc.tags)
                .chain(sc.examples.iter().flat_map(|e| &e.tags));
            s.named(sc, tags)
        };
    let mut r = crate::dry_run::check_filtered(&plan.features, &keep)
        .map_err(|e| RunError::Usage(format!("dry run: {e}")))?;
    crate::dry_run::check_target(&mut r, plan.target.as_ref());
    if let Some(m) = &plan.manifest {
        crate::dry_run::check_manifest(&mut r, m);
    }
    for p in &r.problems {
        println!("{p}");
    }
    let left_out = match r.left_out {
        0 => String::new(),
        n => format!(" ({n} @pcsc/@browser left out: built without feature `pcsc`/`browser`)"),
    };
    println!(
        "dry run: {} features, {} scenarios, {} steps checked{left_out}; {} problem(s)",
        r.features,
        r.scenarios,
        r.steps,
        r.problems.len()
    );
    Ok(if r.problems.is_empty() {
        exit::PASSED
    } else {
        exit::DRY_RUN
    })
}

/// A path as shown to people: relative to the kit's checkout when inside it.
pub fn repo_relative(p: &Path) -> String {
    let root = workspace_root();
    let root = root.canonicalize().unwrap_or(root);
    let p = p.canonicalize().unwrap_or_else(|_| p.to_owned());
    p.strip_prefix(&root).unwrap_or(&p).display().to_string()
}

/// Why the `@pcsc` scenarios cannot run here, if they cannot: the runner leaves them out and
/// says so (the in-process readers cover the same flows everywhere).
pub fn pcsc_unavailable() -> Option<String> {
    if !cfg!(feature = "pcsc") {
        return Some(
            "built without feature `pcsc` (cargo xtask conformance turns it on where libpcsclite-dev is installed)"
                .into(),
        );
    }
    oqs_sim::reader::pcscd::unavailable()
}

/// Why the `@browser` scenarios cannot run here, if they cannot (the in-process Edge plays the
/// portal everywhere else).
pub fn browser_unavailable() -> Option<String> {
    #[cfg(feature = "browser")]
    {
        crate::browser::unavailable()
    }
    #[cfg(not(feature = "browser"))]
    Some(
        "built without feature `browser` (cargo xtask conformance turns it on where chromium and chromium-driver are installed)"
            .into(),
    )
}
