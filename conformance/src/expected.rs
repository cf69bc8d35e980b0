//! The expected-failures manifest: the scenarios a vendor's build is known to fail, each with
//! its reason. A run with a manifest fails on a failure the manifest does not list, and on a
//! listed failure that now passes (a stale entry) — surprises in both directions — and prints
//! a ready-to-paste entry for each new failure.
//!
//! ```toml
//! [[expected]]
//! feature = "000-setup/linkage_check_from_his.feature"   # relative to the features folder
//! scenario = "…the scenario's name as the run prints it…"
//! reason = "our HIS writes Shift_JIS without the XML declaration (ticket 123)"
//! step = "…the step it must fail at…"   # optional: failing at another step is a surprise
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
    /// The step (its text, without the keyword) the scenario is expected to fail at; without
    /// it, failing at any step meets the entry.
    #[serde(default)]
    pub step: Option<String>,
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
                "cannot read the expected-failures manifest {}: {e}",
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
                    "\"{}\": outcome can only be fail (not \"{}\")",
                    e.scenario, e.outcome
                ));
            }
            let r = e.reason.trim();
            if r.is_empty() || r.starts_with("TODO") {
                return Err(format!(
                    "\"{}\": write the reason (why this build fails it)",
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
    /// The scenario's line (an outline row's own line).
    pub line: usize,
    pub passed: bool,
    /// The text of the step it failed at, when known (from the run's Cucumber JSON).
    pub failed_step: Option<String>,
}

/// Fills in the failed step of each failed outcome from the run's Cucumber JSON (a failed
/// background step counts as the scenario's).
pub fn fill_failed_steps(outcomes: &mut [Outcome], report: &serde_json::Value) {
    for f in report.as_array().into_iter().flatten() {
        let uri = f["uri"].as_str().unwrap_or_default();
        for o in outcomes
            .iter_mut()
            .filter(|o| !o.passed && crate::report::is_feature(uri, &o.feature))
        {
            let line = serde_json::Value::from(o.line);
            let failed =
                crate::report::steps_at(f, &line).find(|s| s["result"]["status"] == "failed");
            if let Some(s) = failed {
                o.failed_step = s["name"].as_str().map(str::to_owned);
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Failed and not listed: the run fails.
    pub unexpected: Vec<Outcome>,
    /// Listed but passed: the run fails until the entry is removed.
    pub stale: Vec<Entry>,
    /// Listed and failed, as expected.
    pub expected: Vec<Entry>,
    /// Each failed scenario (an outline row on its own) that an entry met, with its reason.
    pub met: Vec<(Outcome, String)>,
    /// Listed but not run (left out by tags, name or shard).
    pub not_run: Vec<Entry>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.unexpected.is_empty() && self.stale.is_empty()
    }
}

impl Entry {
    fn names(&self, o: &Outcome) -> bool {
        self.feature == o.feature && self.scenario == o.scenario
    }

    /// Whether a failed outcome is the failure this entry expects.
    fn meets(&self, o: &Outcome) -> bool {
        self.names(o)
            && !o.passed
            && self
                .step
                .as_ref()
                .is_none_or(|s| o.failed_step.as_ref() == Some(s))
    }
}

/// Rows of an outline whose name has no placeholder share one name: an entry for it is met
/// when any of them failed (at its step, if it names one), and stale only when all of them
/// passed.
pub fn judge(m: &Manifest, outcomes: &[Outcome]) -> Verdict {
    let mut v = Verdict::default();
    for e in &m.expected {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| e.names(o)).collect();
        if mine.is_empty() {
            v.not_run.push(e.clone());
        } else if mine.iter().all(|o| o.passed) {
            v.stale.push(e.clone());
        } else if mine.iter().any(|o| e.meets(o)) {
            v.expected.push(e.clone());
        }
    }
    for o in outcomes.iter().filter(|o| !o.passed) {
        match m.expected.iter().find(|e| e.meets(o)) {
            Some(e) => v.met.push((o.clone(), e.reason.clone())),
            None if !v.unexpected.contains(o) => v.unexpected.push(o.clone()),
            None => {}
        }
    }
    v
}

/// A manifest entry for a new failure, to paste once its reason is written; the failed step
/// is there as a comment, to pin the failure to it.
pub fn paste_entry(o: &Outcome) -> String {
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let step = o
        .failed_step
        .as_deref()
        .map(|s| {
            format!(
                "# step = \"{}\"   (uncomment to expect the failure at this step only)\n",
                q(s)
            )
        })
        .unwrap_or_default();
    format!(
        "[[expected]]\nfeature = \"{}\"\nscenario = \"{}\"\nreason = \"TODO: why this build fails it\"\n{step}",
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
            let at = o
                .failed_step
                .as_deref()
                .map(|s| format!(" at «{s}»"))
                .unwrap_or_default();
            writeln!(
                f,
                "UNEXPECTED FAILURE {} «{}»{at} — if it is expected, add to the manifest:\n{}",
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
            line: 1,
            passed,
            failed_step: (!passed).then(|| "step A".to_owned()),
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
    fn an_entry_naming_a_step_is_met_only_by_a_failure_at_that_step() {
        let m = Manifest::parse(
            "[[expected]]\nfeature = \"linkage/x.feature\"\nscenario = \"broken\"\nreason = \"r\"\nstep = \"step A\"\n",
        )
        .unwrap();
        assert!(judge(&m, &[o("broken", false)]).ok());
        let elsewhere = Outcome {
            failed_step: Some("step B".into()),
            ..o("broken", false)
        };
        let v = judge(&m, std::slice::from_ref(&elsewhere));
        assert_eq!(v.unexpected, [elsewhere]);
        assert!(v.expected.is_empty() && v.stale.is_empty());
        let shown = v.to_string();
        assert!(shown.contains("at «step B»"), "{shown}");
        assert!(shown.contains("# step = \"step B\""), "{shown}");
    }

    #[test]
    fn the_failed_step_comes_from_the_report_background_included() {
        let report = serde_json::json!([{"uri": "/f/linkage/x.feature", "elements": [
            {"type": "background", "line": 7, "steps": [{"name": "bg", "result": {"status": "passed"}}]},
            {"type": "scenario", "line": 7, "steps": [
                {"name": "step A", "result": {"status": "passed"}},
                {"name": "step B", "result": {"status": "failed"}}]},
            {"type": "background", "line": 9, "steps": [{"name": "bg", "result": {"status": "failed"}}]},
            {"type": "scenario", "line": 9, "steps": [{"name": "step A", "result": {"status": "skipped"}}]}
        ]}]);
        let mut out = [
            Outcome {
                line: 7,
                failed_step: None,
                ..o("a", false)
            },
            Outcome {
                line: 9,
                failed_step: None,
                ..o("b", false)
            },
        ];
        fill_failed_steps(&mut out, &report);
        assert_eq!(out[0].failed_step.as_deref(), Some("step B"));
        assert_eq!(out[1].failed_step.as_deref(), Some("bg"));
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
