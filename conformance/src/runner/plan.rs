//! The run plan: every option resolved once, low to high — the kit's defaults, then the
//! target file, then the environment (`OQS_SEED`), then the command line — and every file an
//! option names read before anything runs, so a mistake stops the run with exit code 2 and
//! nothing half done.

use super::error::RunError;
use super::select::Selection;
use crate::KitWorld;
use crate::expected::Manifest;
use crate::target::Target;
use cucumber::{cli, parser, runner};
use std::path::{Path, PathBuf};

/// Options of the kit on top of cucumber's own (`--name`, `--tags`, `--concurrency`, …).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct KitOpts {
    /// Seed of the run; each scenario's World derives its own from it and the scenario's place.
    /// Printed at the start and with every failure.
    #[arg(long, env = "OQS_SEED")]
    pub seed: Option<u64>,
    /// Where junit.xml and cucumber.json go (default: target/conformance in the workspace).
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// The features folder (default: features in the workspace).
    #[arg(long, value_name = "DIR")]
    pub features: Option<PathBuf>,
    /// After the run, print per manual the steps and こんなときは branches claimed (`@m-<id>`)
    /// by passing scenarios, and the ones left (data: `<features>/manual-steps.toml`).
    #[arg(long)]
    pub coverage: bool,
    /// Fail (exit 3) when coverage is under this: `70` (all manuals) and/or `000=80,001=60`
    /// (per manual). Implies --coverage.
    #[arg(long, value_name = "SPEC")]
    pub coverage_min: Option<String>,
    /// Check that every step matches exactly one step definition and every `@m-` claim an
    /// entry, without running anything (exit 4 on problems).
    #[arg(long)]
    pub dry_run: bool,
    /// Run only shard K of N (`2/3`): scenarios are split by a stable hash of their place
    /// (feature file and line), so N machines with K = 1..N run each scenario exactly once.
    #[arg(long, value_name = "K/N", value_parser = super::select::parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Run only the scenarios that failed in the last run (read from its cucumber.json in the
    /// report folder); of an outline, the rows that failed.
    #[arg(long)]
    pub rerun_failed: bool,
    /// The expected-failures manifest (TOML, each entry with its reason): listed failures do
    /// not fail the run; a failure not listed, or a listed one that passes, does.
    #[arg(long, value_name = "FILE")]
    pub expected_failures: Option<PathBuf>,
    /// Also write `evidence.zip`: the HTML report, Cucumber JSON, JUnit XML, coverage, the
    /// target file, the expected-failures manifest, kit version and seed.
    #[arg(long)]
    pub bundle: bool,
    /// A target file (TOML) naming external programs to run in place of the kit's own
    /// components (see conformance/TARGETS.md). Its `expected_failures` manifest applies
    /// unless --expected-failures is given.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
}

/// cucumber's options with the kit's: what `--help` lists.
pub type Options = cli::Opts<
    parser::basic::Cli,
    runner::basic::Cli,
    <super::execute::KitWriter as cucumber::Writer<KitWorld>>::Cli,
    KitOpts,
>;

/// What the run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Play the selected scenarios.
    Run,
    /// Check steps and claims without playing anything.
    DryRun,
    /// Nothing to do, and why (`--rerun-failed` after a run without failures).
    Nothing(String),
}

/// A run, decided.
pub struct Plan {
    pub mode: Mode,
    pub seed: u64,
    /// The features folder, resolved: cucumber reports features by their absolute path, and
    /// shards and manifests name them relative to it.
    pub features: PathBuf,
    pub report_dir: PathBuf,
    pub target: Option<Target>,
    pub target_file: Option<PathBuf>,
    pub manifest: Option<Manifest>,
    pub manifest_file: Option<PathBuf>,
    pub selection: Selection,
    /// Tags this machine or the target cannot play, each with why.
    pub left_out: Vec<(String, String)>,
    /// Print coverage, and hold it to this floor when given.
    pub coverage: Option<Option<String>>,
    /// The manuals' entries (`<features>/manual-steps.toml`), read when coverage is asked for.
    pub manual_steps: Option<crate::coverage::ManualSteps>,
    pub bundle: bool,
    /// cucumber's own options (concurrency, output), the filters taken out.
    pub cucumber: Options,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub fn default_report_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("conformance")
}

/// The manuals' entries, and the coverage floor checked for form before the run (a typo in
/// `--coverage-min` should not cost a whole run).
fn manual_steps(
    features: &Path,
    min: Option<&str>,
) -> Result<crate::coverage::ManualSteps, RunError> {
    use crate::coverage::{ManualSteps, Report};
    let steps = ManualSteps::load(&features.join("manual-steps.toml")).map_err(RunError::Usage)?;
    if let Some(spec) = min {
        Report::new(&steps, &Default::default(), &Default::default())
            .check(spec)
            .map_err(RunError::Usage)?;
    }
    Ok(steps)
}

/// The target file and the expected-failures manifest; low to high: the target file's
/// manifest, then `--expected-failures`.
#[allow(clippy::type_complexity)]
fn components(
    kit: &KitOpts,
) -> Result<(Option<Target>, Option<PathBuf>, Option<Manifest>), RunError> {
    let target = kit
        .target
        .as_deref()
        .map(Target::load)
        .transpose()
        .map_err(RunError::Usage)?;
    let manifest_file = kit
        .expected_failures
        .clone()
        .or_else(|| target.as_ref().and_then(|t| t.expected_failures.clone()));
    let manifest = manifest_file
        .as_deref()
        .map(Manifest::load)
        .transpose()
        .map_err(RunError::Usage)?;
    Ok((target, manifest_file, manifest))
}

/// The places of the last run's failures, read before this run's reports replace them.
fn last_failures(report_dir: &Path) -> Result<Vec<(String, usize)>, RunError> {
    let path = report_dir.join("cucumber.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        RunError::Usage(format!(
            "cannot read the last run's report {}: {e}",
            path.display()
        ))
    })?;
    super::select::failed_places(&bytes)
        .map_err(|e| RunError::Usage(format!("{}: {e}", path.display())))
}

impl Plan {
    /// Resolves the options. Reads the target file, the manifest and (for `--rerun-failed`) the
    /// last run's report; checks that a driver target can reach PC/SC here.
    pub fn resolve(mut cucumber: Options) -> Result<Plan, RunError> {
        let kit = cucumber.custom.clone();
        let seed = kit
            .seed
            .or_else(|| std::env::var("OQS_SEED").ok().and_then(|s| s.parse().ok()))
            .unwrap_or_else(rand::random);
        let report_dir = kit.report_dir.clone().unwrap_or_else(default_report_dir);
        let features = kit
            .features
            .clone()
            .unwrap_or_else(|| workspace_root().join("features"));
        let features = features.canonicalize().unwrap_or(features);
        let (target, manifest_file, manifest) = components(&kit)?;
        let mut selection = Selection {
            by_name: cucumber.re_filter.take(),
            by_tags: cucumber.tags_filter.take(),
            shard: kit.shard,
            rerun: None,
            root: features.clone(),
        };
        let mut plan = Plan {
            mode: Mode::Run,
            seed,
            features,
            report_dir,
            target,
            target_file: kit.target.clone(),
            manifest,
            manifest_file,
            selection: Selection::default(),
            left_out: Vec::new(),
            coverage: None,
            manual_steps: None,
            bundle: kit.bundle,
            cucumber,
        };
        if kit.dry_run {
            plan.mode = Mode::DryRun;
            plan.selection = selection;
            return Ok(plan);
        }
        if kit.rerun_failed {
            let places = last_failures(&plan.report_dir)?;
            if places.is_empty() {
                plan.mode =
                    Mode::Nothing("the last run had no failed scenario: nothing to rerun".into());
                return Ok(plan);
            }
            selection.rerun = Some(places);
        }
        // a dry run and a run with nothing to do check no coverage and need no PC/SC
        plan.coverage =
            (kit.coverage || kit.coverage_min.is_some()).then(|| kit.coverage_min.clone());
        if let Some(min) = &plan.coverage {
            plan.manual_steps = Some(manual_steps(&plan.features, min.as_deref())?);
        }
        plan.left_out = plan.machine_limits()?;
        for (tag, _) in &plan.left_out {
            selection.leave_out(tag);
        }
        plan.selection = selection;
        if plan.target.as_ref().is_some_and(|t| t.driver.is_some()) {
            // one pcscd per machine: reader scenarios run one at a time
            plan.cucumber.runner.concurrency = Some(1);
        }
        Ok(plan)
    }

    /// The tags the target or this machine cannot play. A driver target without PC/SC here
    /// is an error: it is what the run is for.
    fn machine_limits(&self) -> Result<Vec<(String, String)>, RunError> {
        let mut out = self
            .target
            .as_ref()
            .map(Target::left_out)
            .unwrap_or_default();
        let pcsc = super::pcsc_unavailable();
        if let (Some(why), Some(_)) = (&pcsc, self.target.as_ref().and_then(|t| t.driver.as_ref()))
        {
            return Err(RunError::Environment(format!(
                "a driver target talks PC/SC to the kit's readers (pcscd + vpcd), which cannot run here: {why}"
            )));
        }
        out.extend(pcsc.map(|why| ("pcsc".to_owned(), why)));
        out.extend(super::browser_unavailable().map(|why| ("browser".to_owned(), why)));
        Ok(out)
    }

    /// The lines a run starts with: the seed to rerun it, what plays the components, what is
    /// left out and why.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "oqs-kit conformance: seed {} (rerun with --seed {}), features {}",
            self.seed,
            self.seed,
            self.features.display()
        )];
        if let Some(t) = &self.target {
            let file = t.file.as_deref().map(|p| p.display().to_string());
            lines.push(format!("target: {} ({})", t.name, file.unwrap_or_default()));
            for (what, cmd, _) in t.programs() {
                lines.push(format!("target: {what} = {cmd}"));
            }
            if t.driver.is_some() {
                lines.push(
                    "target: driver scenarios run one at a time (one pcscd per machine)".into(),
                );
            }
        }
        for (tag, why) in &self.left_out {
            lines.push(format!("@{tag} scenarios left out: {why}"));
        }
        if let Some(places) = &self.selection.rerun {
            lines.push(format!(
                "rerunning {} failed scenario(s) of the last run",
                places.len()
            ));
        }
        if let Some((k, n)) = self.selection.shard {
            lines.push(format!("shard {k}/{n}"));
        }
        lines
    }

    /// The flags a failure's rerun line repeats: the same components against the same manifest.
    pub fn rerun_flags(&self) -> String {
        let manifest = self.cucumber.custom.expected_failures.as_deref();
        [
            ("--target", self.target_file.as_deref()),
            ("--expected-failures", manifest),
        ]
        .into_iter()
        .filter_map(|(flag, p)| {
            p.map(|p| {
                format!(
                    " {flag} '{}'",
                    p.display().to_string().replace('\'', r"'\''")
                )
            })
        })
        .collect()
    }
}
