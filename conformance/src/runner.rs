//! Runs the features: filters (`--tags`, `--name`, from cucumber's own CLI), one seed for the
//! run with a seed per scenario derived from it, reports under `target/conformance/`, and a
//! closing line CI can count (`cucumber: N passed, N failed, N skipped`).

use crate::KitWorld;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::tag::Ext as _;
use cucumber::{World as _, WriterExt as _, cli, event, writer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Options of the kit on top of cucumber's own (`--name`, `--tags`, `--concurrency`, …).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct KitOpts {
    /// Seed of the run; each scenario's World derives its own from it and the scenario's place.
    /// Printed at the start and with every failure.
    #[arg(long, env = "OQS_SEED")]
    pub seed: Option<u64>,
    /// Where junit.xml and cucumber.json go [default: <workspace>/target/conformance].
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// The features folder [default: <workspace>/features].
    #[arg(long, value_name = "DIR")]
    pub features: Option<PathBuf>,
    /// After the run, print per manual the steps and こんなときは branches claimed (`@m-<id>`)
    /// by passing scenarios, and the ones left (data: <features>/manual-steps.toml).
    #[arg(long)]
    pub coverage: bool,
    /// Fail when coverage is under this: `70` (all manuals) and/or `000=80,001=60` (per
    /// manual). Implies --coverage.
    #[arg(long, value_name = "SPEC")]
    pub coverage_min: Option<String>,
    /// Check that every step matches exactly one step definition and every `@m-` claim an
    /// entry, without running anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Run only shard K of N (`2/3`): scenarios are split by a stable hash of their place
    /// (feature file and line), so N machines with K = 1..N run each scenario exactly once.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
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

/// `(uri, line)` of every scenario that did not pass in a Cucumber JSON report.
pub fn failed_places(json: &[u8]) -> Result<Vec<(String, usize)>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("cucumber.json を読めません: {e}"))?;
    let mut out = Vec::new();
    for f in v.as_array().into_iter().flatten() {
        let uri = f["uri"].as_str().unwrap_or_default();
        for (e, passed) in crate::report::scenarios(f) {
            let line = e["line"].as_u64().unwrap_or(0) as usize;
            if !passed && !out.iter().any(|(u, l)| u == uri && *l == line) {
                out.push((uri.to_owned(), line));
            }
        }
    }
    Ok(out)
}

/// Whether a scenario is at one of `places`. The filter sees an outline's rows one by one,
/// each at its own row's line, as the report records them: exactly the failed rows rerun.
fn at_any(places: &[(String, usize)], file: &Path, scenario: &cucumber::gherkin::Scenario) -> bool {
    let file = file.display().to_string();
    places.iter().any(|(uri, line)| {
        *line == scenario.position.line
            && crate::report::is_feature(&file, uri.trim_start_matches('/'))
    })
}

/// A feature's path relative to the features folder, `/`-separated: how shards, manifests
/// and the service logs name it on every machine.
fn relative(root: &Path, feature: &cucumber::gherkin::Feature) -> String {
    feature
        .path
        .as_deref()
        .map(|p| {
            p.strip_prefix(root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .unwrap_or_default()
}

/// A JSON file the run or an earlier one wrote, if it is there and reads.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard「{s}」: K/N の形で、1 ≤ K ≤ N にしてください（例: 2/3）");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The shard (1-based) of `n` a scenario at `file:line` belongs to (FNV-1a of its place).
pub fn shard_of(file: &str, line: usize, n: u64) -> u64 {
    fnv1a(
        0,
        file.bytes().chain([b':']).chain(line.to_string().bytes()),
    ) % n
        + 1
}

/// FNV-1a from the standard offset basis xor `start`: stable across machines and Rust versions.
fn fnv1a(start: u64, bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes
        .into_iter()
        .fold(0xcbf2_9ce4_8422_2325 ^ start, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Ids claimed by passing scenarios (with their names), and by any scenario.
#[derive(Default)]
struct Claims {
    /// id → the strongest observation of it in a passing scenario
    passed: BTreeMap<String, crate::catalogue::Observes>,
    any: BTreeSet<String>,
}

/// How scenarios ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn default_report_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join("conformance")
}

/// FNV-1a: a seed per scenario that does not depend on run order or the Rust version.
pub fn scenario_seed(run_seed: u64, feature: &str, scenario: &str, line: usize) -> u64 {
    fnv1a(
        run_seed,
        feature
            .bytes()
            .chain([0])
            .chain(scenario.bytes())
            .chain(line.to_le_bytes()),
    )
}

/// Parses the command line (or, under a libtest-style harness, uses the defaults), runs the
/// features and returns the process exit code.
pub async fn run_cli(libtest_mode: bool) -> i32 {
    type Opts<W> =
        cli::Opts<cucumber::parser::basic::Cli, cucumber::runner::basic::Cli, W, KitOpts>;
    let opts = if libtest_mode {
        Opts::<_>::default()
    } else {
        Opts::<_>::parsed()
    };
    let mut opts = opts;
    let kit = opts.custom.clone();
    let seed = kit
        .seed
        .or_else(|| std::env::var("OQS_SEED").ok().and_then(|s| s.parse().ok()))
        .unwrap_or_else(rand::random);
    let report_dir = kit.report_dir.clone().unwrap_or_else(default_report_dir);
    let features = kit
        .features
        .clone()
        .unwrap_or_else(|| workspace_root().join("features"));
    // cucumber reports features by their resolved absolute path; so do shards and manifests
    let features = features.canonicalize().unwrap_or(features);
    let target = match kit.target.as_deref().map(crate::target::Target::load) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            eprintln!("{e}");
            return 2;
        }
        None => None,
    };
    let manifest_path = kit
        .expected_failures
        .clone()
        .or_else(|| target.as_ref().and_then(|t| t.expected_failures.clone()));
    let manifest = match manifest_path
        .as_deref()
        .map(crate::expected::Manifest::load)
    {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            eprintln!("{e}");
            return 2;
        }
        None => None,
    };
    if kit.dry_run {
        let (by_name, by_tags) = (opts.re_filter.clone(), opts.tags_filter.clone());
        let keep = move |f: &cucumber::gherkin::Feature,
                         rule_tags: &[String],
                         sc: &cucumber::gherkin::Scenario| {
            by_name.as_ref().is_none_or(|re| re.is_match(&sc.name))
                && by_tags.as_ref().is_none_or(|t| {
                    t.eval(
                        f.tags
                            .iter()
                            .chain(rule_tags)
                            .chain(&sc.tags)
                            .chain(sc.examples.iter().flat_map(|e| &e.tags)),
                    )
                })
        };
        return dry_run(&features, manifest.as_ref(), target.as_ref(), &keep);
    }
    // read before this run's reports replace it
    let rerun = if kit.rerun_failed {
        let path = report_dir.join("cucumber.json");
        let places = std::fs::read(&path)
            .map_err(|e| format!("前回の実行結果「{}」を読めません: {e}", path.display()))
            .and_then(|b| failed_places(&b));
        match places {
            Ok(p) if p.is_empty() => {
                println!("前回の実行で失敗したシナリオはありません");
                return 0;
            }
            Ok(p) => {
                println!("rerunning {} failed scenario(s) of the last run", p.len());
                Some(p)
            }
            Err(e) => {
                eprintln!("{e}");
                return 2;
            }
        }
    } else {
        None
    };
    if let Err(e) = std::fs::create_dir_all(&report_dir) {
        eprintln!(
            "レポートの出力先「{}」を作れません: {e}",
            report_dir.display()
        );
        return 2;
    }
    let open = |name: &str| {
        let p = report_dir.join(name);
        std::fs::File::create(&p).map_err(|e| format!("「{}」を作れません: {e}", p.display()))
    };
    let (junit, json) = match (open("junit.xml"), open("cucumber.json")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return 2;
        }
    };
    println!(
        "oqs-kit conformance: seed {seed} (rerun with --seed {seed}), features {}",
        features.display()
    );
    let mut left_out = Vec::new();
    if let Some(t) = target {
        println!(
            "target: {} ({})",
            t.name,
            t.file
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        for (what, cmd, _) in t.programs() {
            println!("target: {what} = {cmd}");
        }
        if let Err(e) = t.build() {
            eprintln!("{e}");
            return 2;
        }
        if t.driver.is_some() {
            if let Some(why) = pcsc_unavailable() {
                eprintln!(
                    "a driver target talks PC/SC to the kit's readers (pcscd + vpcd), which cannot run here: {why}"
                );
                return 2;
            }
            // one pcscd per machine: reader scenarios run one at a time
            opts.runner.concurrency = Some(1);
            println!("target: driver scenarios run one at a time (one pcscd per machine)");
        }
        for (tag, why) in t.left_out() {
            println!("@{tag} scenarios left out: {why}");
            left_out.push(tag);
        }
        if let Err(e) = crate::target::set_current(t) {
            eprintln!("{e}");
            return 2;
        }
    }
    let skip_pcsc = pcsc_unavailable();
    if let Some(why) = &skip_pcsc {
        println!("@pcsc scenarios left out: {why}");
    }
    if skip_pcsc.is_some() {
        left_out.push("pcsc".into());
    }
    if let Some(why) = browser_unavailable() {
        println!("@browser scenarios left out: {why}");
        left_out.push("browser".into());
    }
    for tag in left_out {
        let not = TagOperation::Not(Box::new(TagOperation::Tag(tag)));
        opts.tags_filter = Some(match opts.tags_filter.take() {
            Some(t) => TagOperation::And(Box::new(t), Box::new(not)),
            None => not,
        });
    }

    // The run's own filter: name, tags and shard together (cucumber applies a custom filter
    // only when no --name or --tags is given, so those are taken over here).
    let by_name = opts.re_filter.take();
    let by_tags = opts.tags_filter.take();
    let shard = kit.shard;
    let root = features.clone();
    let keep = move |feature: &cucumber::gherkin::Feature,
                     rule: Option<&cucumber::gherkin::Rule>,
                     scenario: &cucumber::gherkin::Scenario| {
        let name_ok = by_name
            .as_ref()
            .is_none_or(|re| re.is_match(&scenario.name));
        let tags_ok = by_tags.as_ref().is_none_or(|t| {
            t.eval(
                feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| &r.tags))
                    .chain(scenario.tags.iter()),
            )
        });
        let shard_ok = shard.is_none_or(|(k, n)| {
            shard_of(&relative(&root, feature), scenario.position.line, n) == k
        });
        let rerun_ok = rerun.as_ref().is_none_or(|places| {
            feature
                .path
                .as_deref()
                .is_some_and(|p| at_any(places, p, scenario))
        });
        name_ok && tags_ok && shard_ok && rerun_ok
    };
    if let Some((k, n)) = shard {
        println!("shard {k}/{n}");
    }

    let counts = Arc::new(Mutex::new(Counts::default()));
    let tally = counts.clone();
    let claims = Arc::new(Mutex::new(Claims::default()));
    let claiming = claims.clone();
    let outcomes = Arc::new(Mutex::new(Vec::<crate::expected::Outcome>::new()));
    let recording = outcomes.clone();
    let service_logs = Arc::new(Mutex::new(crate::report::ServiceLogs::new()));
    let keeping_logs = service_logs.clone();
    // the last screen of each browser scenario: files under screens/, an index beside them
    let screens_dir = report_dir.join(crate::report::SCREENS);
    let _ = std::fs::remove_dir_all(&screens_dir);
    let screens = Arc::new(Mutex::new(
        std::collections::BTreeMap::<String, String>::new(),
    ));
    let keeping_screens = (screens.clone(), screens_dir.clone());
    let features_root = features.clone();
    // On a terminal: a progress bar, and the step-by-step output in run.log.
    let interactive = crate::progress::wanted();
    let steps_out: Box<dyn std::io::Write> = if interactive {
        let log = report_dir.join("run.log");
        match std::fs::File::create(&log) {
            Ok(f) => {
                println!("step-by-step output: {}", log.display());
                Box::new(f)
            }
            Err(e) => {
                eprintln!("「{}」を作れません: {e}", log.display());
                return 2;
            }
        }
    } else {
        Box::new(std::io::stdout())
    };
    let total = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writer = writer::Basic::raw(steps_out, writer::Coloring::Never, 0)
        .summarized()
        .tee::<KitWorld, _>(writer::JUnit::for_tee(junit, 0))
        .tee::<KitWorld, _>(writer::Json::for_tee(json))
        .tee::<KitWorld, _>(
            crate::progress::Total(total.clone())
                .discard_stats_writes()
                .discard_arbitrary_writes(),
        )
        .normalized();
    let bar = interactive.then(|| crate::progress::Bar::start(total, counts.clone()));
    let bar_lock = bar.as_ref().map(|b| b.lock.clone());
    // a rerun plays the same components against the same manifest
    let rerun_extra: String = [
        ("--target", kit.target.as_deref()),
        ("--expected-failures", kit.expected_failures.as_deref()),
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
    .collect();
    let fuzz_seeds = std::env::var_os(crate::fuzz_seeds::VAR).map(PathBuf::from);
    let result = KitWorld::cucumber()
        .before(move |feature, _rule, scenario, world| {
            let s = scenario_seed(seed, &feature.name, &scenario.name, scenario.position.line);
            Box::pin(async move {
                world.start(s).expect("the simulated World could not start");
            })
        })
        .after(move |feature, rule, scenario, ev, #[allow(unused_mut)] mut world| {
            let passed = matches!(ev, event::ScenarioFinished::StepPassed);
            if let Some(path) = &feature.path {
                // the steps as they ran: the feature's background, the rule's, then its own
                let steps: Vec<&cucumber::gherkin::Step> = feature
                    .background
                    .iter()
                    .chain(rule.iter().flat_map(|r| r.background.iter()))
                    .flat_map(|b| b.steps.iter())
                    .chain(scenario.steps.iter())
                    .collect();
                let played = crate::claims::of_scenario(&steps, &crate::claims::of_file(path));
                let mut cl = claiming.lock().unwrap_or_else(|e| e.into_inner());
                for c in played {
                    if passed && let Some(o) = c.observed && !c.does_nothing {
                        let best = cl.passed.entry(c.id.clone()).or_insert(o);
                        *best = (*best).max(o);
                    }
                    cl.any.insert(c.id);
                }
            }
            if let (Some(dest), Some(w)) = (&fuzz_seeds, world.as_deref()) {
                if let Some(sim) = &w.sim {
                    crate::fuzz_seeds::harvest(sim.dir(), dest);
                }
                if let Some(r) = &w.linkage.his_request {
                    crate::fuzz_seeds::harvest_request(r, dest);
                }
            }
            let rel = relative(&features_root, feature);
            // the browser goes with its scenario (it holds one of a few browser slots)
            #[cfg(feature = "browser")]
            let closing = world.as_mut().and_then(|w| w.chromium.take());
            #[cfg(feature = "browser")]
            if let Some(png) = closing.as_ref().and_then(|c| c.screenshot.as_ref()) {
                let file = crate::report::screen_file(&rel, scenario.position.line);
                let (index, dir) = &keeping_screens;
                if std::fs::create_dir_all(dir)
                    .and_then(|()| std::fs::write(dir.join(&file), png))
                    .is_ok()
                {
                    index
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(format!("{rel}:{}", scenario.position.line), file);
                }
            }
            #[cfg(not(feature = "browser"))]
            let _ = &keeping_screens;
            if !passed && let Some(w) = world.as_deref() {
                keeping_logs
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(format!("{rel}:{}", scenario.position.line), w.failure_context());
            }
            recording
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(crate::expected::Outcome {
                    feature: rel,
                    scenario: scenario.name.clone(),
                    line: scenario.position.line,
                    passed,
                    failed_step: None,
                });
            let mut c = tally.lock().unwrap_or_else(|e| e.into_inner());
            match ev {
                event::ScenarioFinished::StepPassed => c.passed += 1,
                event::ScenarioFinished::StepSkipped => c.skipped += 1,
                event::ScenarioFinished::StepFailed(..) | event::ScenarioFinished::BeforeHookFailed(_) => {
                    c.failed += 1;
                    let s = world.map(|w| w.seed).unwrap_or_default();
                    let line = format!(
                        "FAILED «{}» ({}:{}), World seed {s}; rerun: cargo xtask conformance --seed {seed} --name '^{}$'{rerun_extra}",
                        scenario.name,
                        feature
                            .path
                            .as_deref()
                            .map(repo_relative)
                            .unwrap_or_default(),
                        scenario.position.line,
                        regex_escape(&scenario.name),
                    );
                    match &bar_lock {
                        Some(l) => crate::progress::Bar::println(l, &line),
                        None => eprintln!("{line}"),
                    }
                }
            }
            #[cfg(feature = "browser")]
            return Box::pin(async move {
                if let Some(c) = closing {
                    c.quit().await;
                }
            });
            #[cfg(not(feature = "browser"))]
            Box::pin(async {})
        })
        .with_writer(writer)
        .fail_on_skipped()
        .with_cli(opts)
        .filter_run(features.clone(), keep)
        .await;
    drop(bar);
    let c = *counts.lock().unwrap_or_else(|e| e.into_inner());
    use cucumber::writer::Stats as _;
    let mut failed = result.execution_has_failed() || c.failed > 0 || c.skipped > 0;
    let mut expected_shown: Vec<crate::evidence::Expected> = Vec::new();
    if let Some(m) = &manifest {
        let mut o = outcomes.lock().unwrap_or_else(|e| e.into_inner()).clone();
        // the failed step of each failure, from the report cucumber has written by now
        if let Some(json) = &read_json(&report_dir.join("cucumber.json")) {
            crate::expected::fill_failed_steps(&mut o, json);
        }
        let verdict = crate::expected::judge(m, &o);
        print!("{verdict}");
        expected_shown = verdict
            .met
            .iter()
            .map(|(o, reason)| (o.feature.clone(), o.line, reason.clone()))
            .collect();
        // with a manifest, the listed failures are the expected result
        failed = !verdict.ok() || result.parsing_errors() > 0;
    }
    let logs = service_logs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let kept_screens = screens.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if !kept_screens.is_empty()
        && let Err(e) = std::fs::write(
            screens_dir.join("index.json"),
            serde_json::to_vec_pretty(&kept_screens).unwrap_or_default(),
        )
    {
        eprintln!("{}: {e}", crate::report::SCREENS);
    }
    if let Err(e) = std::fs::write(
        report_dir.join(crate::report::SERVICE_LOGS),
        serde_json::to_vec_pretty(&logs).unwrap_or_default(),
    ) {
        eprintln!("{}: {e}", crate::report::SERVICE_LOGS);
    }
    let coverage_failed = if kit.coverage || kit.coverage_min.is_some() {
        let cl = claims.lock().unwrap_or_else(|e| e.into_inner());
        match report_coverage(&features, &report_dir, &cl, kit.coverage_min.as_deref()) {
            Ok(ok) => !ok,
            Err(e) => {
                eprintln!("coverage: {e}");
                return 2;
            }
        }
    } else {
        false
    };
    if !expected_shown.is_empty() {
        // listed failures are the expected result: JUnit shows them skipped, with the reason
        let path = report_dir.join("junit.xml");
        let rewritten = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|x| crate::evidence::junit_with_expected(&x, &expected_shown))
            .and_then(|x| std::fs::write(&path, x).map_err(|e| e.to_string()));
        if let Err(e) = rewritten {
            eprintln!("junit.xml: {e}");
        }
    }
    let verdict = match (failed, coverage_failed, expected_shown.len()) {
        (true, _, _) => "FAILED".to_owned(),
        (false, true, _) => "FAILED: coverage under the required floor".to_owned(),
        (false, false, 0) => "PASSED".to_owned(),
        (false, false, n) => {
            format!("PASSED with {n} expected failure(s), as the manifest lists")
        }
    };
    let info = run_info(&verdict, seed, &features, manifest_path.as_deref());
    let header = match &crate::target::current().file {
        Some(f) => format!(
            "seed {seed}, target {} ({})",
            crate::target::current().name,
            f.display()
        ),
        None => format!("seed {seed}, the kit's own components"),
    };
    let page = write_html(&report_dir, &features, &header, &info, &expected_shown);
    println!(
        "reports: {}, {} and {}",
        report_dir.join("junit.xml").display(),
        report_dir.join("cucumber.json").display(),
        page.as_deref()
            .map_or_else(|e| format!("(no HTML: {e})"), |p| p.display().to_string())
    );
    println!("seed: {seed}");
    if kit.bundle {
        match bundle(
            &report_dir,
            &info,
            manifest_path.as_deref(),
            kit.target.as_deref(),
        ) {
            Ok(p) => println!("evidence bundle: {}", p.display()),
            Err(e) => {
                eprintln!("evidence bundle: {e}");
                return 2;
            }
        }
    }
    println!("verdict: {verdict}");
    if expected_shown.is_empty() {
        println!(
            "cucumber: {} passed, {} failed, {} skipped",
            c.passed, c.failed, c.skipped
        );
    } else {
        println!(
            "cucumber: {} passed, {} failed ({} of them expected), {} skipped",
            c.passed,
            c.failed,
            expected_shown.len(),
            c.skipped
        );
    }
    if failed || coverage_failed { 1 } else { 0 }
}

/// A path as shown to people: relative to the kit's checkout when inside it.
pub fn repo_relative(p: &Path) -> String {
    let root = workspace_root();
    let root = root.canonicalize().unwrap_or(root);
    let p = p.canonicalize().unwrap_or_else(|_| p.to_owned());
    p.strip_prefix(&root).unwrap_or(&p).display().to_string()
}

/// `report.html` from the run's `cucumber.json`.
fn write_html(
    report_dir: &Path,
    features: &Path,
    header: &str,
    info: &crate::evidence::RunInfo,
    expected: &[crate::evidence::Expected],
) -> Result<PathBuf, String> {
    let json = std::fs::read(report_dir.join("cucumber.json")).map_err(|e| e.to_string())?;
    let v: serde_json::Value = serde_json::from_slice(&json).map_err(|e| e.to_string())?;
    let manual = crate::coverage::ManualSteps::load(&features.join("manual-steps.toml")).ok();
    let logs = read_json(&report_dir.join(crate::report::SERVICE_LOGS)).unwrap_or_default();
    let screens =
        read_json(&report_dir.join(crate::report::SCREENS).join("index.json")).unwrap_or_default();
    let claims = crate::dry_run::feature_files(features)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(features).unwrap_or(&p).display().to_string();
            (rel.replace('\\', "/"), crate::claims::of_file(&p))
        })
        .collect();
    let page = crate::report::html(
        &v,
        &crate::report::Context {
            manual: manual.as_ref(),
            header,
            logs,
            screens,
            claims,
            run: info.clone(),
            expected: expected.to_vec(),
        },
    );
    let path = report_dir.join("report.html");
    std::fs::write(&path, page).map_err(|e| e.to_string())?;
    Ok(path)
}

/// The facts of this run for the report header and `run.txt`.
fn run_info(
    verdict: &str,
    seed: u64,
    features: &Path,
    manifest: Option<&Path>,
) -> crate::evidence::RunInfo {
    use crate::evidence::{RunInfo, command_line, kit_commit, sha256_file};
    let mut info = RunInfo::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    info.push("verdict", verdict);
    // the wall-clock date of the evidence itself; scenarios run on the World's clock
    info.push(
        "date",
        time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    );
    info.push("kit", format!("oqs-kit {}", env!("CARGO_PKG_VERSION")));
    info.push("kit commit", kit_commit(&workspace_root()));
    info.push("command", command_line("cargo xtask conformance", &args));
    let tags = args
        .iter()
        .position(|a| a == "--tags" || a == "-t")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| {
            args.iter()
                .find_map(|a| a.strip_prefix("--tags=").map(str::to_owned))
        });
    info.push(
        "tag filter",
        tags.unwrap_or_else(|| "(none: every scenario)".into()),
    );
    info.push("seed", seed.to_string());
    info.push("features", repo_relative(features));
    let t = crate::target::current();
    match &t.file {
        Some(f) => {
            info.push("target", format!("{} ({})", t.name, f.display()));
            info.push("target file sha256", sha256_file(f));
            for (role, exe) in t.executables() {
                info.push(
                    &format!("{role} program"),
                    format!("{} sha256 {}", exe.display(), sha256_file(&exe)),
                );
            }
        }
        None => info.push("target", "the kit's own components"),
    }
    if let Some(m) = manifest {
        info.push(
            "expected failures",
            format!("{} sha256 {}", m.display(), sha256_file(m)),
        );
    }
    info
}

/// `evidence.zip`: what a vendor hands over.
fn bundle(
    report_dir: &Path,
    info: &crate::evidence::RunInfo,
    manifest: Option<&Path>,
    target: Option<&Path>,
) -> Result<PathBuf, String> {
    use std::io::Write as _;
    let path = report_dir.join("evidence.zip");
    let file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut add = |name: &str, bytes: &[u8]| -> Result<(), String> {
        zip.start_file(name, opts).map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())
    };
    for name in [
        "report.html",
        "cucumber.json",
        "junit.xml",
        "coverage.json",
        crate::report::SERVICE_LOGS,
    ] {
        if let Ok(b) = std::fs::read(report_dir.join(name)) {
            add(name, &b)?;
        }
    }
    if let Some(m) = manifest {
        add(
            "expected-failures.toml",
            &std::fs::read(m).map_err(|e| e.to_string())?,
        )?;
    }
    if let Some(t) = target {
        add("target.toml", &std::fs::read(t).map_err(|e| e.to_string())?)?;
    }
    add("run.txt", info.text().as_bytes())?;
    zip.finish().map_err(|e| e.to_string())?;
    Ok(path)
}

/// `merge <cucumber.json>... [--out DIR]`.
pub fn merge_cli(args: &[String]) -> i32 {
    let mut inputs = Vec::new();
    let mut out = default_report_dir().join("merged");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--out" {
            match it.next() {
                Some(d) => out = PathBuf::from(d),
                None => {
                    eprintln!("merge: --out DIR");
                    return 2;
                }
            }
        } else {
            inputs.push(PathBuf::from(a));
        }
    }
    if inputs.is_empty() {
        eprintln!("merge: cucumber.json を1つ以上指定してください");
        return 2;
    }
    let mut reports = Vec::new();
    for p in &inputs {
        match std::fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
        {
            Ok(v) => reports.push(v),
            Err(e) => {
                eprintln!("merge: {}: {e}", p.display());
                return 2;
            }
        }
    }
    let merged = crate::report::merge(&reports);
    // each run's service logs sit beside its cucumber.json
    let mut logs = crate::report::ServiceLogs::new();
    for p in &inputs {
        if let Some(l) =
            read_json::<crate::report::ServiceLogs>(&p.with_file_name(crate::report::SERVICE_LOGS))
        {
            logs.extend(l);
        }
    }
    let features = workspace_root().join("features");
    let result = std::fs::create_dir_all(&out)
        .and_then(|()| {
            std::fs::write(
                out.join("cucumber.json"),
                serde_json::to_vec_pretty(&merged).unwrap_or_default(),
            )
        })
        .and_then(|()| {
            std::fs::write(
                out.join(crate::report::SERVICE_LOGS),
                serde_json::to_vec_pretty(&logs).unwrap_or_default(),
            )
        })
        .map_err(|e| e.to_string())
        .and_then(|()| {
            write_html(
                &out,
                &features,
                &format!("merged from {} runs", inputs.len()),
                &crate::evidence::RunInfo::default(),
                &[],
            )
        });
    match result {
        Ok(page) => {
            println!(
                "merged {} runs: {} and {}",
                inputs.len(),
                out.join("cucumber.json").display(),
                page.display()
            );
            0
        }
        Err(e) => {
            eprintln!("merge: {e}");
            2
        }
    }
}

fn dry_run(
    features: &Path,
    manifest: Option<&crate::expected::Manifest>,
    target: Option<&crate::target::Target>,
    keep: crate::dry_run::Keep<'_>,
) -> i32 {
    match crate::dry_run::check_filtered(features, keep) {
        Ok(mut r) => {
            // a target's programs must be there to be run (after its build, if it has one)
            for (role, exe) in target.map(|t| t.executables()).unwrap_or_default() {
                if !exe.is_file() {
                    r.problems.push(crate::dry_run::Problem {
                        place: "target".into(),
                        what: format!(
                            "{role} のプログラム「{}」がありません（build があるなら先に実行してください）",
                            exe.display()
                        ),
                    });
                }
            }
            if let Some(m) = manifest {
                for e in &m.expected {
                    let key = (e.feature.clone(), e.scenario.clone());
                    let what = match (r.scenario_steps.get(&key), &e.step) {
                        (None, _) => format!(
                            "「{}」に「{}」というシナリオはありません",
                            e.feature, e.scenario
                        ),
                        (Some(steps), Some(step)) if !steps.contains(step) => format!(
                            "「{}」のシナリオ「{}」に「{step}」というステップはありません",
                            e.feature, e.scenario
                        ),
                        _ => continue,
                    };
                    r.problems.push(crate::dry_run::Problem {
                        place: "expected-failures manifest".into(),
                        what,
                    });
                }
            }
            for p in &r.problems {
                println!("{p}");
            }
            println!(
                "dry run: {} features, {} scenarios, {} steps checked{}; {} problem(s)",
                r.features,
                r.scenarios,
                r.steps,
                if r.left_out > 0 {
                    format!(
                        " ({} @pcsc/@browser left out: built without feature `pcsc`/`browser`)",
                        r.left_out
                    )
                } else {
                    String::new()
                },
                r.problems.len()
            );
            i32::from(!r.problems.is_empty())
        }
        Err(e) => {
            eprintln!("dry run: {e}");
            2
        }
    }
}

/// Prints the coverage table, writes `coverage.json`, and says whether the thresholds hold.
fn report_coverage(
    features: &Path,
    report_dir: &Path,
    claims: &Claims,
    min: Option<&str>,
) -> Result<bool, String> {
    use crate::coverage::{ManualSteps, Report};
    let steps = ManualSteps::load(&features.join("manual-steps.toml"))?;
    let report = Report::new(&steps, &claims.passed, &claims.any);
    print!("{}", report.render());
    let json = report_dir.join("coverage.json");
    let body = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&json, body).map_err(|e| format!("「{}」を書けません: {e}", json.display()))?;
    println!("coverage report: {}", json.display());
    let failures = match min {
        Some(spec) => report.check(spec)?,
        None if report.unknown.is_empty() => Vec::new(),
        None => vec![format!("{} tag(s) claim unknown ids", report.unknown.len())],
    };
    for f in &failures {
        eprintln!("COVERAGE: {f}");
    }
    Ok(failures.is_empty())
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

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

#[cfg(test)]
mod shard_tests {
    use super::*;

    #[test]
    fn shards_partition_the_scenarios_stably() {
        let places: Vec<(String, usize)> = (0..300)
            .map(|i| (format!("dir{}/f{}.feature", i % 7, i % 13), i))
            .collect();
        let n = 3;
        let mut counts = [0usize; 3];
        for (f, l) in &places {
            let k = shard_of(f, *l, n);
            assert!((1..=n).contains(&k));
            // the same place always lands in the same shard, on every machine
            assert_eq!(k, shard_of(f, *l, n));
            counts[(k - 1) as usize] += 1;
        }
        assert_eq!(counts.iter().sum::<usize>(), places.len());
        assert!(counts.iter().all(|&c| c > 60), "{counts:?}");
        // FNV-1a is fixed: a recorded value guards the split CI matrices rely on
        assert_eq!(shard_of("setup/op01_user.feature", 10, 3), 3);
        assert_eq!(shard_of("setup/op01_user.feature", 10, 5), 2);
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod rerun_tests {
    use super::*;

    #[test]
    fn failed_places_are_the_scenarios_with_a_step_or_hook_not_passed() {
        let json = br#"[{"uri":"work/main/features/a.feature","elements":[
            {"type":"background","line":3,"steps":[{"result":{"status":"passed"}}]},
            {"type":"scenario","line":5,"steps":[{"result":{"status":"passed"}}]},
            {"type":"scenario","line":9,"steps":[{"result":{"status":"passed"}},{"result":{"status":"failed"}}]},
            {"type":"scenario","line":14,"before":[{"result":{"status":"failed"}}],"steps":[]},
            {"type":"scenario","line":20,"steps":[{"result":{"status":"skipped"}}]},
            {"type":"background","line":30,"steps":[{"result":{"status":"failed"}}]},
            {"type":"scenario","line":30,"steps":[]}
        ]}]"#;
        assert_eq!(
            failed_places(json).unwrap(),
            [
                ("work/main/features/a.feature".to_owned(), 9),
                ("work/main/features/a.feature".to_owned(), 14),
                ("work/main/features/a.feature".to_owned(), 20),
                ("work/main/features/a.feature".to_owned(), 30)
            ]
        );
        assert!(failed_places(b"not json").is_err());
    }
}
