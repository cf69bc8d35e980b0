//! Which scenarios a run plays: `--name`, `--tags`, the tags this machine cannot run, a shard
//! of a CI matrix, the failures of the last run; and the seed each scenario's World gets.

use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::gherkin::{Feature, Scenario};
use cucumber::tag::Ext as _;
use std::path::{Path, PathBuf};

/// The run's filter, resolved once. cucumber applies a custom filter only when no `--name` or
/// `--tags` is given, so the runner takes those over and applies everything here.
#[derive(Debug, Default)]
pub struct Selection {
    /// `--name`
    pub by_name: Option<cucumber::codegen::Regex>,
    /// `--tags`, with `not @tag` added for each tag left out on this machine
    pub by_tags: Option<TagOperation>,
    /// `--shard K/N`
    pub shard: Option<(u64, u64)>,
    /// `--rerun-failed`: the places of the last run's failures
    pub rerun: Option<Vec<(String, usize)>>,
    /// The features folder, to name a feature the same on every machine.
    pub root: PathBuf,
}

impl Selection {
    /// Adds `not @tag` to the tag filter.
    pub fn leave_out(&mut self, tag: &str) {
        let not = TagOperation::Not(Box::new(TagOperation::Tag(tag.to_owned())));
        self.by_tags = Some(match self.by_tags.take() {
            Some(t) => TagOperation::And(Box::new(t), Box::new(not)),
            None => not,
        });
    }

    /// `--name` and `--tags` over a scenario's own tags and those it inherits.
    pub fn named<'a>(
        &self,
        scenario: &Scenario,
        tags: impl Iterator<Item = &'a String> + Clone,
    ) -> bool {
        self.by_name
            .as_ref()
            .is_none_or(|re| re.is_match(&scenario.name))
            && self.by_tags.as_ref().is_none_or(|t| t.eval(tags))
    }

    /// Whether the run plays a scenario as cucumber hands it over (an outline's rows one by one).
    pub fn keeps(&self, feature: &Feature, rule_tags: &[String], scenario: &Scenario) -> bool {
        let tags = feature.tags.iter().chain(rule_tags).chain(&scenario.tags);
        let shard_ok = self.shard.is_none_or(|(k, n)| {
            shard_of(&relative(&self.root, feature), scenario.position.line, n) == k
        });
        let rerun_ok = self.rerun.as_ref().is_none_or(|places| {
            feature
                .path
                .as_deref()
                .is_some_and(|p| at_any(places, p, scenario))
        });
        self.named(scenario, tags) && shard_ok && rerun_ok
    }
}

/// `(uri, line)` of every scenario that did not pass in a Cucumber JSON report.
pub fn failed_places(json: &[u8]) -> Result<Vec<(String, usize)>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("not a Cucumber JSON report: {e}"))?;
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
fn at_any(places: &[(String, usize)], file: &Path, scenario: &Scenario) -> bool {
    let file = file.display().to_string();
    places.iter().any(|(uri, line)| {
        *line == scenario.position.line
            && crate::report::is_feature(&file, uri.trim_start_matches('/'))
    })
}

/// A feature's path relative to the features folder, `/`-separated: how shards, manifests
/// and the service logs name it on every machine.
pub fn relative(root: &Path, feature: &Feature) -> String {
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

pub fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard '{s}': write K/N with 1 <= K <= N (e.g. 2/3)");
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

/// A scenario name as an anchored `--name` pattern matches it.
pub fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn a_left_out_tag_joins_the_tag_filter() {
        let f = cucumber::gherkin::Feature::parse(
            "Feature: f\n  @pcsc\n  Scenario: a\n    Given x\n  Rule: r\n    @his\n    Scenario: b\n      Given x\n",
            cucumber::gherkin::GherkinEnv::default(),
        )
        .unwrap();
        let (a, b) = (&f.scenarios[0], &f.rules[0].scenarios[0]);
        let mut s = Selection::default();
        assert!(s.keeps(&f, &[], a));
        s.leave_out("pcsc");
        s.leave_out("browser");
        assert!(!s.keeps(&f, &[], a));
        assert!(s.keeps(&f, &[], b));
        // a rule's tags count as the scenario's
        assert!(!s.keeps(&f, &["browser".into()], b));
    }
}
