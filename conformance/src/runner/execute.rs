//! Plays the plan's scenarios through cucumber and records what each one did: its outcome,
//! the manual entries it claimed, the services' logs of a failure, a browser's last screen.

use super::error::RunError;
use super::plan::Plan;
use super::select::{regex_escape, relative, scenario_seed};
use crate::KitWorld;
use crate::catalogue::Observes;
use crate::progress::{Bar, Total};
use cucumber::gherkin::{Feature, Rule, Scenario, Step};
use cucumber::writer::{self, Stats as _, discard};
use cucumber::{World as _, WriterExt as _, event};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};

/// The writers of a run: step-by-step text (stdout, or `run.log` under a progress bar),
/// JUnit XML, Cucumber JSON, and the scenario count for the bar.
pub type KitWriter = writer::Normalize<
    KitWorld,
    writer::Tee<
        writer::Tee<
            writer::Tee<
                writer::Summarize<writer::Basic<Box<dyn std::io::Write>>>,
                discard::Arbitrary<discard::Stats<writer::JUnit<KitWorld, std::fs::File>>>,
            >,
            discard::Arbitrary<discard::Stats<writer::Json<std::fs::File>>>,
        >,
        discard::Arbitrary<discard::Stats<Total>>,
    >,
>;

/// How scenarios ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Ids claimed by passing scenarios (with the strongest observation), and by any scenario.
#[derive(Default)]
pub struct Claims {
    pub passed: BTreeMap<String, Observes>,
    pub any: BTreeSet<String>,
}

/// What the scenarios left behind, besides cucumber's own reports.
#[derive(Default)]
pub struct Findings {
    pub claims: Claims,
    pub outcomes: Vec<crate::expected::Outcome>,
    /// `feature:line` → the services' logs of a failed scenario
    pub logs: crate::report::ServiceLogs,
    /// `feature:line` → the file of a browser scenario's last screen, under `screens/`
    pub screens: BTreeMap<String, String>,
}

/// A run, played.
pub struct Outcome {
    pub counts: Counts,
    /// cucumber's own verdict: a failed or skipped step, a failed hook, a parsing error.
    pub execution_failed: bool,
    pub parsing_errors: usize,
    pub found: Findings,
}

/// Creates the report folder and plays the plan (after the target's build).
pub async fn run(mut plan: Plan) -> Result<(Plan, Outcome), RunError> {
    let report_dir = plan.report_dir.clone();
    std::fs::create_dir_all(&report_dir).map_err(|e| {
        RunError::Reports(format!(
            "cannot create the report folder {}: {e}",
            report_dir.display()
        ))
    })?;
    for line in plan.describe() {
        println!("{line}");
    }
    if let Some(t) = plan.target.take() {
        t.build().map_err(RunError::TargetBuild)?;
        crate::target::set_current(t).map_err(RunError::Usage)?;
    }
    // On a terminal: a progress bar, and the step-by-step output in run.log.
    let interactive = crate::progress::wanted();
    let (writer, total) = writers(&report_dir, interactive)?;
    let counts = Arc::new(Mutex::new(Counts::default()));
    let bar = interactive.then(|| Bar::start(total, counts.clone()));
    let recorder = Arc::new(Recorder {
        seed: plan.seed,
        root: plan.features.clone(),
        screens_dir: report_dir.join(crate::report::SCREENS),
        fuzz_seeds: std::env::var_os(crate::fuzz_seeds::VAR).map(PathBuf::from),
        rerun_flags: plan.rerun_flags(),
        counts: counts.clone(),
        found: Arc::default(),
        bar_lock: bar.as_ref().map(|b| b.lock.clone()),
    });
    let _ = std::fs::remove_dir_all(&recorder.screens_dir);
    let selection = std::mem::take(&mut plan.selection);
    let keep = move |f: &Feature, r: Option<&Rule>, s: &Scenario| {
        selection.keeps(f, r.map_or(&[][..], |r| &r.tags), s)
    };
    let seed = plan.seed;
    let finishing = recorder.clone();
    let result = KitWorld::cucumber()
        .before(move |feature, _rule, scenario, world| {
            let s = scenario_seed(seed, &feature.name, &scenario.name, scenario.position.line);
            Box::pin(async move {
                world.start(s).expect("the simulated World could not start");
            })
        })
        .after(
            move |feature, rule, scenario, ev, #[allow(unused_mut)] mut world| {
                // the browser goes with its scenario (it holds one of a few browser slots)
                #[cfg(feature = "browser")]
                let closing = world.as_mut().and_then(|w| w.chromium.take());
                #[cfg(feature = "browser")]
                let screen = closing.as_ref().and_then(|c| c.screenshot.as_deref());
                #[cfg(not(feature = "browser"))]
                let screen = None;
                finishing.finished(feature, rule, scenario, ev, world.as_deref(), screen);
                #[cfg(feature = "browser")]
                return Box::pin(async move {
                    if let Some(c) = closing {
                        c.quit().await;
                    }
                });
                #[cfg(not(feature = "browser"))]
                Box::pin(async {})
            },
        )
        .with_writer(writer)
        .fail_on_skipped()
        .with_cli(std::mem::take(&mut plan.cucumber))
        .filter_run(plan.features.clone(), keep)
        .await;
    drop(bar);
    let counts = *counts.lock().unwrap_or_else(|e| e.into_inner());
    let found = std::mem::take(&mut *recorder.found.lock().unwrap_or_else(|e| e.into_inner()));
    let outcome = Outcome {
        counts,
        execution_failed: result.execution_has_failed(),
        parsing_errors: result.parsing_errors(),
        found,
    };
    Ok((plan, outcome))
}

fn create(dir: &Path, name: &str) -> Result<std::fs::File, RunError> {
    let p = dir.join(name);
    std::fs::File::create(&p)
        .map_err(|e| RunError::Reports(format!("cannot create {}: {e}", p.display())))
}

/// The run's writers, and the scenario count they learn for the progress bar.
fn writers(dir: &Path, interactive: bool) -> Result<(KitWriter, Arc<AtomicUsize>), RunError> {
    let (junit, json) = (create(dir, "junit.xml")?, create(dir, "cucumber.json")?);
    let steps_out: Box<dyn std::io::Write> = if interactive {
        println!("step-by-step output: {}", dir.join("run.log").display());
        Box::new(create(dir, "run.log")?)
    } else {
        Box::new(std::io::stdout())
    };
    let total = Arc::new(AtomicUsize::new(0));
    let writer = writer::Basic::raw(steps_out, writer::Coloring::Never, 0)
        .summarized()
        .tee::<KitWorld, _>(writer::JUnit::for_tee(junit, 0))
        .tee::<KitWorld, _>(writer::Json::for_tee(json))
        .tee::<KitWorld, _>(
            Total(total.clone())
                .discard_stats_writes()
                .discard_arbitrary_writes(),
        )
        .normalized();
    Ok((writer, total))
}

/// Records each scenario as it finishes (cucumber's `after` hook).
struct Recorder {
    seed: u64,
    root: PathBuf,
    screens_dir: PathBuf,
    /// `OQS_FUZZ_SEEDS`: where the files the scenarios exchanged go as fuzzing seeds
    fuzz_seeds: Option<PathBuf>,
    rerun_flags: String,
    counts: Arc<Mutex<Counts>>,
    found: Arc<Mutex<Findings>>,
    bar_lock: Option<Arc<Mutex<()>>>,
}

impl Recorder {
    fn finished(
        &self,
        feature: &Feature,
        rule: Option<&Rule>,
        scenario: &Scenario,
        ev: &event::ScenarioFinished,
        world: Option<&KitWorld>,
        screen: Option<&[u8]>,
    ) {
        let passed = matches!(ev, event::ScenarioFinished::StepPassed);
        let rel = relative(&self.root, feature);
        let place = format!("{rel}:{}", scenario.position.line);
        // files first, without the lock: the scenarios finishing meanwhile wait for nothing
        let played = feature
            .path
            .as_deref()
            .map(|path| played(path, feature, rule, scenario))
            .unwrap_or_default();
        if let (Some(dest), Some(w)) = (&self.fuzz_seeds, world) {
            if let Some(sim) = &w.sim {
                crate::fuzz_seeds::harvest(sim.dir(), dest);
            }
            if let Some(r) = &w.linkage.his_request {
                crate::fuzz_seeds::harvest_request(r, dest);
            }
        }
        let screen_file = screen.and_then(|png| {
            let file = crate::report::screen_file(&rel, scenario.position.line);
            std::fs::create_dir_all(&self.screens_dir)
                .and_then(|()| std::fs::write(self.screens_dir.join(&file), png))
                .ok()
                .map(|()| file)
        });
        let logs = (!passed)
            .then(|| world.map(KitWorld::failure_context))
            .flatten();
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        claim(&mut found.claims, played, passed);
        if let Some(file) = screen_file {
            found.screens.insert(place.clone(), file);
        }
        if let Some(text) = logs {
            found.logs.insert(place, text);
        }
        found.outcomes.push(crate::expected::Outcome {
            feature: rel,
            scenario: scenario.name.clone(),
            line: scenario.position.line,
            passed,
            failed_step: None,
        });
        drop(found);
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        match ev {
            event::ScenarioFinished::StepPassed => c.passed += 1,
            event::ScenarioFinished::StepSkipped => c.skipped += 1,
            event::ScenarioFinished::StepFailed(..)
            | event::ScenarioFinished::BeforeHookFailed(_) => {
                c.failed += 1;
                self.say_failed(feature, scenario, world.map(|w| w.seed).unwrap_or_default());
            }
        }
    }

    /// The failure line: the place, the World's seed and the command that replays it alone.
    fn say_failed(&self, feature: &Feature, scenario: &Scenario, world_seed: u64) {
        let line = format!(
            "FAILED «{}» ({}:{}), World seed {world_seed}; rerun: cargo xtask conformance --seed {} --name '^{}$'{}",
            scenario.name,
            feature
                .path
                .as_deref()
                .map(super::repo_relative)
                .unwrap_or_default(),
            scenario.position.line,
            self.seed,
            regex_escape(&scenario.name),
            self.rerun_flags,
        );
        match &self.bar_lock {
            Some(l) => Bar::println(l, &line),
            None => eprintln!("{line}"),
        }
    }
}

/// The `# m:` claims a scenario played, as it ran: the feature's background, the rule's, then
/// its own steps.
fn played(
    path: &Path,
    feature: &Feature,
    rule: Option<&Rule>,
    scenario: &Scenario,
) -> Vec<crate::claims::Claim> {
    let steps: Vec<&Step> = feature
        .background
        .iter()
        .chain(rule.iter().flat_map(|r| r.background.iter()))
        .flat_map(|b| b.steps.iter())
        .chain(scenario.steps.iter())
        .collect();
    crate::claims::of_scenario(&steps, &crate::claims::of_file(path))
}

/// Only a passing scenario's observed claims count as covered.
fn claim(claims: &mut Claims, played: Vec<crate::claims::Claim>, passed: bool) {
    for c in played {
        if passed
            && let Some(o) = c.observed
            && !c.does_nothing
        {
            let best = claims.passed.entry(c.id.clone()).or_insert(o);
            *best = (*best).max(o);
        }
        claims.any.insert(c.id);
    }
}
