//! The expected-failures manifest: the scenarios a vendor's build is known to fail, each with
//! its reason. A run with a manifest fails on a failure the manifest does not list, and on a
//! listed failure that now passes (a stale entry) — surprises in both directions — and prints
//! a ready-to-paste entry for each new failure.
//!
//! ```toml
//! [[expected]]
//! feature = "linkage/check_from_his.feature"   # relative to the features folder
//! scenario = "…the scenario's name as the run prints it…"
//! reason = "our HIS writes Shift_JIS without the XML declaration (ticket 123)"
//! ```

use serde::Deserialize;
use std::path::Path;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub feature: String,
    pub scenario: String,
    /// Only `fail` for now: the scenario is expected to fail.
    #[serde(default = "fail")]
    pub outcome: String,
    pub reason: String,
}

fn fail() -> String {
    "fail".into()
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    #[serde(default)]
    pub expected: Vec<Entry>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "期待される失敗の一覧「{}」を読めません: {e}",
                path.display()
            )
        })?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let m: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        for e in &m.expected {
            if e.outcome != "fail" {
                return Err(format!(
                    "「{}」: outcome は fail だけです（「{}」）",
                    e.scenario, e.outcome
                ));
            }
            let r = e.reason.trim();
            if r.is_empty() || r.starts_with("TODO") {
                return Err(format!(
                    "「{}」: reason（失敗する理由）を書いてください",
                    e.scenario
                ));
            }
        }
        Ok(m)
    }
}

/// How one scenario ended in this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Relative to the features folder, `/`-separated.
    pub feature: String,
    pub scenario: String,
    pub passed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Failed and not listed: the run fails.
    pub unexpected: Vec<Outcome>,
    /// Listed but passed: the run fails until the entry is removed.
    pub stale: Vec<Entry>,
    /// Listed and failed, as expected.
    pub expected: Vec<Entry>,
    /// Listed but not run (left out by tags, name or shard).
    pub not_run: Vec<Entry>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty()
    }
}

/// Rows of an outline whose name has no placeholder share one name: an entry for it is met
/// when any of them failed, and stale only when all of them passed.
pub fn judge(m: &Manifest, outcomes: &[Outcome]) -> Verdict {
    let mut v = Verdict::default();
    for e in &m.expected {
        let mine: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.feature == e.feature && o.scenario == e.scenario)
            .collect();
        if mine.is_empty() {
            v.not_run.push(e.clone());
        } else if mine.iter().all(|o| o.passed) {
            v.stale.push(e.clone());
        } else {
            v.expected.push(e.clone());
        }
    }
    for o in outcomes.iter().filter(|o| !o.passed) {
        let listed = m
            .expected
            .iter()
            .any(|e| e.feature == o.feature && e.scenario == o.scenario);
        if !listed && !v.unexpected.contains(o) {
            v.unexpected.push(o.clone());
        }
    }
    v
}

/// A manifest entry for a new failure, to paste once its reason is written.
pub fn paste_entry(o: &Outcome) -> String {
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "[[expected]]\nfeature = \"{}\"\nscenario = \"{}\"\nreason = \"TODO: why this build fails it\"\n",
        q(&o.feature),
        q(&o.scenario)
    )
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "expected failures: {} as listed, {} unexpected, {} stale, {} not run",
            self.expected.len(),
            self.unexpected.len(),
            self.stale.len(),
            self.not_run.len()
        )?;
        for o in &self.unexpected {
            writeln!(
                f,
                "UNEXPECTED FAILURE {} «{}» — if it is expected, add to the manifest:\n{}",
                o.feature,
                o.scenario,
                paste_entry(o)
            )?;
        }
        for e in &self.stale {
            writeln!(
                f,
                "STALE ENTRY {} «{}» now passes — remove it from the manifest (reason was: {})",
                e.feature, e.scenario, e.reason
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(scenario: &str, passed: bool) -> Outcome {
        Outcome {
            feature: "linkage/x.feature".into(),
            scenario: scenario.into(),
            passed,
        }
    }

    const M: &str = r#"
[[expected]]
feature = "linkage/x.feature"
scenario = "broken"
reason = "our build writes UTF-16"

[[expected]]
feature = "linkage/x.feature"
scenario = "fixed since"
reason = "was a bug"

[[expected]]
feature = "linkage/x.feature"
scenario = "not in this shard"
reason = "slow"
"#;

    #[test]
    fn surprises_both_ways_fail_the_run_and_a_new_failure_gets_a_paste_ready_entry() {
        let m = Manifest::parse(M).unwrap();
        let v = judge(
            &m,
            &[
                o("broken", false),
                o("fixed since", true),
                o("new one", false),
                o("fine", true),
            ],
        );
        assert_eq!(v.expected.len(), 1);
        assert_eq!(v.unexpected, [o("new one", false)]);
        assert_eq!(v.stale.len(), 1);
        assert_eq!(v.not_run[0].scenario, "not in this shard");
        assert!(!v.ok());
        let entry = paste_entry(&v.unexpected[0]);
        // the pasted entry parses once the TODO reason is replaced
        assert!(Manifest::parse(&entry).is_err());
        let filled = entry.replace("TODO: why this build fails it", "known");
        assert_eq!(
            Manifest::parse(&filled).unwrap().expected[0].scenario,
            "new one"
        );
        let only_expected = judge(&m, &[o("broken", false), o("fine", true)]);
        assert!(only_expected.ok());
        // an outline's rows sharing the listed name: one failing row meets the entry
        let rows = judge(&m, &[o("broken", true), o("broken", false)]);
        assert!(
            rows.ok() && rows.stale.is_empty() && rows.expected.len() == 1,
            "{rows:?}"
        );
    }

    #[test]
    fn a_reason_is_mandatory_and_outcomes_other_than_fail_are_refused() {
        let no_reason = "[[expected]]\nfeature = \"a\"\nscenario = \"b\"\nreason = \"\"\n";
        assert!(Manifest::parse(no_reason).unwrap_err().contains("reason"));
        let missing = "[[expected]]\nfeature = \"a\"\nscenario = \"b\"\n";
        assert!(Manifest::parse(missing).is_err());
        let pass =
            "[[expected]]\nfeature = \"a\"\nscenario = \"b\"\noutcome = \"pass\"\nreason = \"x\"\n";
        assert!(Manifest::parse(pass).unwrap_err().contains("fail"));
    }
}
