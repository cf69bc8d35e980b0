//! Coverage of the manuals: every numbered step and troubleshooting branch of the five manuals
//! is an entry in `features/manual-steps.toml`; a step claims the entries it plays with a
//! `# m: <id>` line directly above it ([`crate::claims`]). An entry counts as covered when a
//! scenario playing a claiming step passed in this run, and as **verified against a
//! component** when a `then` at or after that step read a component's output (a file's bytes,
//! a network answer, an exit status, a report's text) rather than the simulator's own state.

use crate::catalogue::Observes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The tag prefix of the old scenario-level claims (`@m-000-op3-05`), refused by the dry run.
pub const TAG_PREFIX: &str = "m-";

#[derive(Clone, Debug, Deserialize)]
pub struct ManualSteps {
    pub manual: Vec<Manual>,
    pub step: Vec<Entry>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Manual {
    pub seed: String,
    pub title: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
    pub id: String,
    pub heading: String,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A numbered step.
    Step,
    /// こんなときは / 注意: a troubleshooting branch.
    Branch,
}

impl Entry {
    /// The manual an entry belongs to: its id's first part.
    pub fn seed(&self) -> &str {
        self.id.split('-').next().unwrap_or_default()
    }
}

impl ManualSteps {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let s: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = BTreeSet::new();
        for e in &s.step {
            if !seen.insert(e.id.as_str()) {
                return Err(format!("the id {} is there twice", e.id));
            }
            if !s.manual.iter().any(|m| m.seed == e.seed()) {
                return Err(format!(
                    "the manual of the id {} ({}) is not among the [[manual]] entries",
                    e.id,
                    e.seed()
                ));
            }
        }
        Ok(s)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ManualCoverage {
    pub seed: String,
    pub title: String,
    pub steps: (usize, usize),
    pub branches: (usize, usize),
    /// Covered entries some passing scenario verified against a component's output.
    pub component_verified: usize,
    /// Covered entries whose strongest check is what a real browser showed of the portal.
    pub browser_verified: usize,
    /// Covered entries played only against the simulator.
    pub simulator_only: usize,
    /// Each covered entry's id and its strongest check, so a reader of coverage.json can see
    /// which entries are still simulator-only.
    pub verified_by: BTreeMap<String, Observes>,
    /// `(id, heading, kind)` of what no passing scenario claims.
    pub uncovered: Vec<(String, String, Kind)>,
}

impl ManualCoverage {
    pub fn covered(&self) -> usize {
        self.steps.0 + self.branches.0
    }
    pub fn total(&self) -> usize {
        self.steps.1 + self.branches.1
    }
    pub fn percent(&self) -> f64 {
        percent(self.covered(), self.total())
    }
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        100.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub manuals: Vec<ManualCoverage>,
    /// Ids claimed by some scenario that the data file does not have (a typo in a tag).
    pub unknown: Vec<String>,
}

impl Report {
    /// `passed`: id → the strongest observation of it in a passing scenario; `claimed`:
    /// every id any scenario claims, passing or not (to find typos even in failing scenarios).
    pub fn new(
        steps: &ManualSteps,
        passed: &BTreeMap<String, Observes>,
        claimed: &BTreeSet<String>,
    ) -> Self {
        let known: BTreeSet<&str> = steps.step.iter().map(|e| e.id.as_str()).collect();
        let manuals = steps
            .manual
            .iter()
            .map(|m| {
                let mine: Vec<&Entry> = steps.step.iter().filter(|e| e.seed() == m.seed).collect();
                let count = |k: Kind| {
                    let of: Vec<_> = mine.iter().filter(|e| e.kind == k).collect();
                    (
                        of.iter().filter(|e| passed.contains_key(&e.id)).count(),
                        of.len(),
                    )
                };
                ManualCoverage {
                    seed: m.seed.clone(),
                    title: m.title.clone(),
                    steps: count(Kind::Step),
                    branches: count(Kind::Branch),
                    component_verified: mine
                        .iter()
                        .filter(|e| passed.get(&e.id) == Some(&Observes::Component))
                        .count(),
                    browser_verified: mine
                        .iter()
                        .filter(|e| passed.get(&e.id) == Some(&Observes::Browser))
                        .count(),
                    simulator_only: mine
                        .iter()
                        .filter(|e| passed.get(&e.id) == Some(&Observes::Simulator))
                        .count(),
                    verified_by: mine
                        .iter()
                        .filter_map(|e| passed.get(&e.id).map(|o| (e.id.clone(), *o)))
                        .collect(),
                    uncovered: mine
                        .iter()
                        .filter(|e| !passed.contains_key(&e.id))
                        .map(|e| (e.id.clone(), e.heading.clone(), e.kind))
                        .collect(),
                }
            })
            .collect();
        let unknown = claimed
            .iter()
            .filter(|id| !known.contains(id.as_str()))
            .cloned()
            .collect();
        Self { manuals, unknown }
    }

    pub fn overall(&self) -> f64 {
        let (n, of) = self
            .manuals
            .iter()
            .fold((0, 0), |(n, of), m| (n + m.covered(), of + m.total()));
        percent(n, of)
    }

    /// The table, then every uncovered entry per manual.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "coverage of the manuals (entries played by a claiming step of a passing scenario):\n",
        );
        out.push_str(
            "  seed  steps        branches     all      component-verified  browser-verified  simulator-only\n",
        );
        for m in &self.manuals {
            out.push_str(&format!(
                "  {:<4}  {:>3}/{:<3} {:>3.0}%  {:>3}/{:<3} {:>3.0}%  {:>5.1}%  {:>4} {:>5.1}%         {:>4} {:>5.1}%       {:>4} {:>5.1}%     {}\n",
                m.seed,
                m.steps.0,
                m.steps.1,
                percent(m.steps.0, m.steps.1),
                m.branches.0,
                m.branches.1,
                percent(m.branches.0, m.branches.1),
                m.percent(),
                m.component_verified,
                percent(m.component_verified, m.total()),
                m.browser_verified,
                percent(m.browser_verified, m.total()),
                m.simulator_only,
                percent(m.simulator_only, m.total()),
                m.title
            ));
        }
        out.push_str(&format!("  all: {:.1}%\n", self.overall()));
        for m in &self.manuals {
            if m.uncovered.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "uncovered in {} ({}):\n",
                m.seed,
                m.uncovered.len()
            ));
            for (id, heading, kind) in &m.uncovered {
                let k = if *kind == Kind::Branch {
                    " [こんなときは]"
                } else {
                    ""
                };
                out.push_str(&format!("  {id:<16} {heading}{k}\n"));
            }
        }
        if !self.unknown.is_empty() {
            out.push_str(&format!(
                "claims of ids not in manual-steps.toml: {}\n",
                self.unknown
                    .iter()
                    .map(|i| format!("m: {i}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        out
    }

    /// `spec`: `70` (all manuals together) and/or `000=80,001=60` (per manual); a part
    /// prefixed `component:` (`component:000=25`, `component:30`) holds the component-verified
    /// figure instead of all covered entries. The failures, each naming the figure and the
    /// threshold.
    pub fn check(&self, spec: &str) -> Result<Vec<String>, String> {
        let mut failures = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (component, part) = match part.strip_prefix("component:") {
                Some(rest) => (true, rest.trim()),
                None => (false, part),
            };
            let (seed, min) = match part.split_once('=') {
                Some((s, m)) => (Some(s.trim()), m.trim()),
                None => (None, part),
            };
            let min: f64 = min.trim_end_matches('%').parse().map_err(|_| {
                format!("--coverage-min '{part}': not a number (e.g. 70, or 000=80,001=60)")
            })?;
            let (got, what) = match seed {
                None if component => {
                    let (n, of) = self.manuals.iter().fold((0, 0), |(n, of), m| {
                        (n + m.component_verified, of + m.total())
                    });
                    (percent(n, of), "all manuals".to_owned())
                }
                None => (self.overall(), "all manuals".to_owned()),
                Some(s) => {
                    let m = self
                        .manuals
                        .iter()
                        .find(|m| m.seed == s)
                        .ok_or_else(|| format!("--coverage-min: there is no manual {s}"))?;
                    if component {
                        (
                            percent(m.component_verified, m.total()),
                            format!("manual {s}"),
                        )
                    } else {
                        (m.percent(), format!("manual {s}"))
                    }
                }
            };
            let figure = if component {
                "component-verified coverage"
            } else {
                "coverage"
            };
            if got < min {
                failures.push(format!(
                    "{figure} of {what} is {got:.1}%, under the required {min}%"
                ));
            }
        }
        if !self.unknown.is_empty() {
            failures.push(format!("{} claim(s) of unknown ids", self.unknown.len()));
        }
        Ok(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = r#"
[[manual]]
seed = "000"
title = "セットアップ手順書"
[[manual]]
seed = "003"
title = "運用の注意"

[[step]]
id = "000-op3-05"
heading = "5 インターネット時刻設定が表示されます。"
kind = "step"
[[step]]
id = "000-op3-b1"
heading = "こんなときは！ 同期が失敗した場合"
kind = "branch"
[[step]]
id = "003-restart-01"
heading = "1日1回再起動"
kind = "step"
"#;

    fn passed(ids: &[&str]) -> BTreeMap<String, Observes> {
        ids.iter()
            .map(|i| ((*i).to_owned(), Observes::Simulator))
            .collect()
    }

    #[test]
    fn counts_per_manual_and_lists_what_is_left() {
        let s = ManualSteps::parse(DATA).unwrap();
        let claimed: BTreeSet<String> = ["000-op3-05".into(), "000-op9-99".into()].into();
        let r = Report::new(&s, &passed(&["000-op3-05"]), &claimed);
        assert_eq!(r.manuals[0].steps, (1, 1));
        assert_eq!(r.manuals[0].branches, (0, 1));
        assert_eq!(r.manuals[1].percent(), 0.0);
        assert!((r.overall() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.unknown, ["000-op9-99"]);
        let text = r.render();
        assert!(
            text.contains("000-op3-b1") && text.contains("[こんなときは]"),
            "{text}"
        );
        assert!(text.contains("m: 000-op9-99"), "{text}");
    }

    #[test]
    fn entries_verified_against_a_component_are_counted_apart() {
        let s = ManualSteps::parse(DATA).unwrap();
        let mut p = passed(&["000-op3-05", "000-op3-b1"]);
        p.insert("000-op3-b1".into(), Observes::Component);
        let r = Report::new(&s, &p, &BTreeSet::new());
        assert_eq!(
            (r.manuals[0].component_verified, r.manuals[0].simulator_only),
            (1, 1)
        );
        let text = r.render();
        assert!(text.contains("component-verified"), "{text}");
        assert!(text.contains("   1  50.0%"), "{text}");
    }

    #[test]
    fn thresholds_overall_and_per_manual() {
        let s = ManualSteps::parse(DATA).unwrap();
        let r = Report::new(&s, &passed(&["000-op3-05", "000-op3-b1"]), &BTreeSet::new());
        assert!(r.check("60").unwrap().is_empty());
        assert!(r.check("000=100").unwrap().is_empty());
        let f = r.check("70,003=50").unwrap();
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].contains("66.7%") && f[0].contains("70"), "{f:?}");
        assert!(r.check("abc").is_err());
        // the component-verified figure has floors of its own
        let mut p = passed(&["000-op3-05", "000-op3-b1"]);
        p.insert("000-op3-b1".into(), Observes::Component);
        let r = Report::new(&s, &p, &BTreeSet::new());
        assert!(r.check("component:000=50").unwrap().is_empty());
        let f = r.check("component:000=60,component:30").unwrap();
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with("component-verified coverage of manual 000 is 50.0%"),
            "{f:?}"
        );
        assert!(r.check("009=1").is_err());
    }

    #[test]
    fn duplicate_ids_and_unknown_manuals_are_refused() {
        let dup =
            format!("{DATA}\n[[step]]\nid = \"000-op3-05\"\nheading = \"x\"\nkind = \"step\"\n");
        assert!(ManualSteps::parse(&dup).unwrap_err().contains("twice"));
        let orphan =
            format!("{DATA}\n[[step]]\nid = \"007-x-01\"\nheading = \"x\"\nkind = \"step\"\n");
        assert!(ManualSteps::parse(&orphan).unwrap_err().contains("007"));
    }
}
