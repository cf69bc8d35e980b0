//! `--dry-run`: every step of every feature (background, scenario, each row of an outline's
//! examples) must match exactly one step definition, and every claim on the manuals must be
//! one a run can honour — checked without starting a World or running anything:
//! - a claim is a `# m: <id>` line directly above a step (`@m-` tags on a scenario are refused);
//! - it names an entry of `manual-steps.toml`;
//! - the step's definition does something, and a `then` at or after it observes something;
//! - every definition takes only the captures its regex has, and every `then` says what it
//!   observes (a component's output or the simulator).

use crate::KitWorld;
use cucumber::World as _;
use cucumber::gherkin::{self, GherkinEnv};
use std::path::{Path, PathBuf};

/// One thing a dry run found wrong, at its place in a feature file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub place: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.what)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub features: usize,
    pub scenarios: usize,
    pub steps: usize,
    /// Features and scenarios tagged `@pcsc` (`@browser`) in a build without the `pcsc`
    /// (`browser`) feature.
    pub left_out: usize,
    /// `(feature, name)` of every scenario as a run names it (outline names per example row).
    pub scenario_names: Vec<(String, String)>,
    /// The steps (background first, outline values filled in) of each `(feature, name)`; rows
    /// of an outline sharing a name share an entry.
    pub scenario_steps: std::collections::BTreeMap<(String, String), Vec<String>>,
    pub problems: Vec<Problem>,
}

/// The `.feature` files under `dir`, in a stable order.
pub fn feature_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "feature") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `<name>` placeholders of an outline step replaced by one examples row.
fn substitute(text: &str, header: &[String], row: &[String]) -> String {
    header
        .iter()
        .zip(row)
        .fold(text.to_owned(), |t, (h, v)| t.replace(&format!("<{h}>"), v))
}

/// Which scenarios a dry run looks at: `(feature, tags of its rule, scenario)`.
pub type Keep<'a> = &'a dyn Fn(&gherkin::Feature, &[String], &gherkin::Scenario) -> bool;

pub fn check(dir: &Path) -> Result<Report, String> {
    check_filtered(dir, &|_, _, _| true)
}

/// [`check`] of the scenarios `keep` selects (the run's `--tags` and `--name`).
pub fn check_filtered(dir: &Path, keep: Keep<'_>) -> Result<Report, String> {
    check_with(dir, keep, crate::catalogue::library())
}

/// The check against the step definitions `defs` (the library; a test adds its own).
fn check_with<'a>(
    dir: &Path,
    keep: Keep<'_>,
    defs: impl IntoIterator<Item = &'a crate::catalogue::StepDef>,
) -> Result<Report, String> {
    let steps = KitWorld::collection();
    let mut r = Report::default();
    let data = dir.join("manual-steps.toml");
    // without the data file there is nothing to check claims against: said, not skipped
    let known = match crate::coverage::ManualSteps::load(&data) {
        Ok(m) => Some(m.step.into_iter().map(|e| e.id).collect()),
        Err(e) => {
            r.problems.push(Problem {
                place: "manual-steps.toml".into(),
                what: format!("cannot check the claims on the manuals: {e}"),
            });
            None
        }
    };
    for (place, what) in crate::catalogue::definition_problems(defs) {
        r.problems.push(Problem { place, what });
    }
    for path in feature_files(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let shown = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .display()
            .to_string()
            .replace('\\', "/");
        let feature = gherkin::Feature::parse_path(&path, GherkinEnv::default())
            .map_err(|e| format!("{shown}: syntax error: {e}"))?;
        if left_out_here(&feature.tags) {
            r.left_out += 1;
            continue;
        }
        r.features += 1;
        let file = FileCheck {
            claims: crate::claims::of_file(&path),
            shown,
            known: known.as_ref(),
            steps: &steps,
        };
        file.feature(&mut r, &feature, keep);
    }
    Ok(r)
}

/// Tags a build without the `pcsc` (`browser`) feature cannot play: the steps exist only with
/// the feature, and the run leaves these scenarios out the same way.
fn left_out_here(tags: &[String]) -> bool {
    tags.iter().any(|t| {
        (t == "pcsc" && !cfg!(feature = "pcsc")) || (t == "browser" && !cfg!(feature = "browser"))
    })
}

/// One feature file under check.
struct FileCheck<'a> {
    /// The file relative to the features folder, `/`-separated.
    shown: String,
    claims: std::sync::Arc<crate::claims::FileClaims>,
    known: Option<&'a std::collections::BTreeSet<String>>,
    steps: &'a cucumber::step::Collection<KitWorld>,
}

impl FileCheck<'_> {
    fn feature(&self, r: &mut Report, feature: &gherkin::Feature, keep: Keep<'_>) {
        for (line, what) in &self.claims.misplaced {
            r.problems.push(Problem {
                place: format!("{}:{line}", self.shown),
                what: what.clone(),
            });
        }
        let background: Vec<&gherkin::Step> = feature
            .background
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.background.iter()))
            .flat_map(|b| b.steps.iter())
            .collect();
        for s in &background {
            self.step(r, s, s.value.clone());
        }
        let scenarios = feature.scenarios.iter().map(|sc| (sc, &[][..])).chain(
            feature
                .rules
                .iter()
                .flat_map(|r| r.scenarios.iter().map(move |sc| (sc, &r.tags[..]))),
        );
        for (sc, rule_tags) in scenarios {
            if !keep(feature, rule_tags, sc) {
                continue;
            }
            if left_out_here(&sc.tags) {
                r.left_out += 1;
                continue;
            }
            r.scenarios += 1;
            let tags = feature.tags.iter().chain(rule_tags).chain(&sc.tags);
            self.no_tag_claims(r, sc, tags.chain(sc.examples.iter().flat_map(|e| &e.tags)));
            self.scenario(r, &background, sc);
        }
    }

    /// A claim belongs on the step that plays it, not on a tag line.
    fn no_tag_claims<'t>(
        &self,
        r: &mut Report,
        sc: &gherkin::Scenario,
        tags: impl Iterator<Item = &'t String>,
    ) {
        let prefix = crate::coverage::TAG_PREFIX;
        for id in tags.filter_map(|t| t.strip_prefix(prefix)) {
            r.problems.push(Problem {
                place: format!("{}:{}", self.shown, sc.position.line),
                what: format!(
                    "@{prefix}{id} claims for a whole scenario: write \"# m: {id}\" directly above the step that plays it"
                ),
            });
        }
    }

    /// A scenario, or each row of an outline: its name and steps as a run names them, each
    /// step matched, its claims checked.
    fn scenario(&self, r: &mut Report, background: &[&gherkin::Step], sc: &gherkin::Scenario) {
        let rows: Vec<(&[String], &[String])> = sc
            .examples
            .iter()
            .filter_map(|e| e.table.as_ref())
            .flat_map(|t| {
                let header = t.rows.first().map(Vec::as_slice).unwrap_or_default();
                t.rows
                    .iter()
                    .skip(1)
                    .map(move |row| (header, row.as_slice()))
            })
            .collect();
        // a plain scenario is an outline of one row without placeholders
        let plays: Vec<(String, Vec<gherkin::Step>)> = if rows.is_empty() {
            vec![(sc.name.clone(), sc.steps.clone())]
        } else {
            rows.iter()
                .map(|(header, row)| {
                    let filled = sc.steps.iter().map(|s| {
                        let mut s = s.clone();
                        s.value = substitute(&s.value, header, row);
                        s
                    });
                    (substitute(&sc.name, header, row), filled.collect())
                })
                .collect()
        };
        for (name, steps) in plays {
            for (orig, s) in sc.steps.iter().zip(&steps) {
                self.step(r, orig, s.value.clone());
            }
            let all: Vec<&gherkin::Step> = background.iter().copied().chain(&steps).collect();
            self.claims_of(r, &all);
            let key = (self.shown.clone(), name);
            r.scenario_names.push(key.clone());
            r.scenario_steps
                .entry(key)
                .or_default()
                .extend(all.iter().map(|s| s.value.clone()));
        }
    }

    /// The step `s` with the text `text` (an outline row's values filled in) matches exactly
    /// one definition.
    fn step(&self, r: &mut Report, s: &gherkin::Step, text: String) {
        r.steps += 1;
        let mut step = s.clone();
        step.value = text;
        let place = format!("{}:{}", self.shown, s.position.line);
        let what = match self.steps.find(&step) {
            Ok(Some(_)) => return,
            Ok(None) => format!(
                "no step definition matches \"{} {}\"",
                s.keyword.trim(),
                step.value
            ),
            Err(e) => format!(
                "{} step definitions match \"{}\": {}",
                e.possible_matches.len(),
                step.value,
                e.possible_matches
                    .iter()
                    .map(|(re, loc)| format!(
                        "{re}{}",
                        loc.map(|l| format!(" ({}:{})", l.path, l.line))
                            .unwrap_or_default()
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        r.problems.push(Problem { place, what });
    }

    /// Each claim names an entry, sits on a step that does something, and is followed by an
    /// observation.
    fn claims_of(&self, r: &mut Report, steps: &[&gherkin::Step]) {
        for c in crate::claims::of_scenario(steps, &self.claims) {
            let place = format!("{}:{}", self.shown, c.line);
            let what = if self.known.is_some_and(|k| !k.contains(&c.id)) {
                format!("m: {} is not an entry of manual-steps.toml", c.id)
            } else if c.does_nothing {
                format!(
                    "m: {} sits on a step definition that does nothing (that step plays no part of the manual)",
                    c.id
                )
            } else if c.observed.is_none() {
                format!(
                    "m: {} has no \"then\" (ならば) observing something at or after it (a claim needs an observation)",
                    c.id
                )
            } else {
                continue;
            };
            let p = Problem { place, what };
            if !r.problems.contains(&p) {
                r.problems.push(p);
            }
        }
    }
}

/// A target's programs must be there to be run (after its build, if it has one).
pub fn check_target(r: &mut Report, target: Option<&crate::target::Target>) {
    for (role, exe) in target.map(|t| t.executables()).unwrap_or_default() {
        if !exe.is_file() {
            r.problems.push(Problem {
                place: "target".into(),
                what: format!(
                    "the {role} program {} is not there (run the target's build first, if it has one)",
                    exe.display()
                ),
            });
        }
    }
}

/// Each entry of an expected-failures manifest names a scenario (and step) the features have.
pub fn check_manifest(r: &mut Report, m: &crate::expected::Manifest) {
    for e in &m.expected {
        let key = (e.feature.clone(), e.scenario.clone());
        let what = match (r.scenario_steps.get(&key), &e.step) {
            (None, _) => format!("{} has no scenario \"{}\"", e.feature, e.scenario),
            (Some(steps), Some(step)) if !steps.contains(step) => format!(
                "the scenario \"{}\" of {} has no step \"{step}\"",
                e.scenario, e.feature
            ),
            _ => continue,
        };
        r.problems.push(Problem {
            place: "expected-failures manifest".into(),
            what,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kits_own_features_all_match_exactly_one_step() {
        let dir = crate::runner::workspace_root().join("features");
        let r = check(&dir).unwrap();
        assert!(r.features > 20 && r.steps > 1000, "{r:?}");
        assert!(r.problems.is_empty(), "{:#?}", r.problems);
    }

    #[test]
    fn a_definition_taking_captures_its_regex_lacks_fails_the_dry_run() {
        // the test-only library holds `#[given(regex = r"^（試験用）引数のない手順$")]` on a
        // function taking two values: the stray OQSComAppRestart Given had this shape
        let dir = features_with(
            "# language: ja\n機能: x\n  シナリオ: a\n    前提 資格確認端末「PC」がある\n",
        );
        let r = check_with(dir.path(), &|_, _, _| true, crate::catalogue::STEP_DEFS).unwrap();
        assert_eq!(r.problems.len(), 1, "{:#?}", r.problems);
        assert!(
            r.problems[0].place.contains("test_only.rs"),
            "{:#?}",
            r.problems
        );
        assert!(
            r.problems[0].what.contains("0 group(s)"),
            "{:#?}",
            r.problems
        );
        // the library as shipped has none
        assert!(check(dir.path()).unwrap().problems.is_empty());
    }

    #[test]
    fn a_filtered_dry_run_checks_only_the_scenarios_the_filter_keeps() {
        let dir = crate::runner::workspace_root().join("features");
        let all = check(&dir).unwrap();
        let op6 = check_filtered(&dir, &|f, _, sc| {
            f.tags.iter().chain(&sc.tags).any(|t| t == "op-6")
        })
        .unwrap();
        assert!(
            op6.scenarios > 0 && op6.scenarios < all.scenarios / 4,
            "{} of {}",
            op6.scenarios,
            all.scenarios
        );
        assert!(
            op6.scenario_names.iter().all(|(f, _)| f.contains("op06")),
            "{:?}",
            op6.scenario_names
        );
    }

    /// A features folder holding `x.feature` and the manuals' entries.
    fn features_with(feature: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.feature"), feature).unwrap();
        std::fs::copy(
            crate::runner::workspace_root().join("features/manual-steps.toml"),
            dir.path().join("manual-steps.toml"),
        )
        .unwrap();
        dir
    }

    fn problems_of(feature: &str) -> Vec<Problem> {
        check(features_with(feature).path()).unwrap().problems
    }

    #[test]
    fn claims_must_sit_on_a_step_that_does_something_and_be_observed() {
        let head = "# language: ja\n機能: x\n";
        // the old scenario-level tag
        let p = problems_of(&format!(
            "{head}  @m-000-op3-time-05\n  シナリオ: a\n    前提 資格確認端末「PC」がある\n    ならば （試験用）端末がある\n"
        ));
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].what.contains("claims for a whole scenario") && p[0].place == "x.feature:4",
            "{p:#?}"
        );
        // on a step that does nothing
        let p = problems_of(&format!(
            "{head}  シナリオ: a\n    # m: 000-op3-time-05\n    前提 （試験用）何もしない\n    ならば （試験用）端末がある\n"
        ));
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].what.contains("does nothing") && p[0].place == "x.feature:5",
            "{p:#?}"
        );
        // with nothing observed at or after it
        let p = problems_of(&format!(
            "{head}  シナリオ: a\n    ならば （試験用）端末がある\n    # m: 000-op3-time-05\n    前提 資格確認端末「PC」がある\n"
        ));
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].what.contains("observation"), "{p:#?}");
        // a claim above no step, and one naming no entry
        let p = problems_of(&format!(
            "{head}  # m: 000-op3-time-05\n  シナリオ: a\n    # m: 999-nope\n    前提 資格確認端末「PC」がある\n    ならば （試験用）端末がある\n"
        ));
        let what: Vec<&str> = p.iter().map(|p| p.what.as_str()).collect();
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            what[0].contains("is not directly above a step line") && what[1].contains("999-nope")
        );
        // played and observed: no problem
        assert!(
            problems_of(&format!(
                "{head}  背景:\n    # m: 000-op3-time-05\n    前提 資格確認端末「PC」がある\n  シナリオ: a\n    ならば （試験用）端末がある\n"
            ))
            .is_empty()
        );
    }

    #[test]
    fn an_unknown_step_and_an_outline_row_are_reported_with_their_place() {
        let dir = features_with(
            "# language: ja\n機能: x\n\n  @nope\n  シナリオ: a\n    前提 資格確認端末「PC」がある\n    もし 存在しない手順を実行する\n\n  シナリオテンプレート: b\n    ならば 「<文>」と表示される\n\n    例:\n      | 文 |\n      | あ |\n      | い |\n",
        );
        let r = check(dir.path()).unwrap();
        assert_eq!((r.scenarios, r.steps), (2, 4));
        let places: Vec<&str> = r.problems.iter().map(|p| p.place.as_str()).collect();
        assert_eq!(places, ["x.feature:7"], "{:#?}", r.problems);
        assert!(r.problems[0].what.contains("存在しない手順を実行する"));
    }
}
