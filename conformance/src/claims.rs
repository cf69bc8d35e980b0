//! Claims on the manuals, where they are made: a comment line `# m: <id> [<id> …]` directly
//! above the step line that plays the entries (several such lines may stack). A claim in a
//! background counts for every scenario of the feature; a claim in an outline for every row.
//! Gherkin drops comments, so the feature file's text is read here, by line number.

use std::collections::BTreeMap;

/// The ids claimed above each step line (1-based line numbers, as gherkin's positions), and
/// the `# m:` lines that sit above something else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileClaims {
    pub by_line: BTreeMap<usize, Vec<String>>,
    /// `(line, what)` of a claim line not directly above a step.
    pub misplaced: Vec<(usize, String)>,
}

/// Step keywords of `# language: ja` (and `*`).
const KEYWORDS: &[&str] = &[
    "前提",
    "もし",
    "ならば",
    "かつ",
    "しかし",
    "但し",
    "ただし",
    "*",
];

fn claim_ids(line: &str) -> Option<impl Iterator<Item = &str>> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let ids = rest.strip_prefix("m:")?;
    Some(ids.split_whitespace())
}

fn is_step(line: &str) -> bool {
    let t = line.trim_start();
    KEYWORDS.iter().any(|k| t.starts_with(k))
}

pub fn parse(text: &str) -> FileClaims {
    let mut out = FileClaims::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut pending: Vec<String> = Vec::new();
    let mut first = 0;
    for (i, line) in lines.iter().enumerate() {
        if let Some(ids) = claim_ids(line) {
            if pending.is_empty() {
                first = i + 1;
            }
            pending.extend(ids.map(str::to_owned));
            continue;
        }
        if pending.is_empty() {
            continue;
        }
        if is_step(line) {
            out.by_line.entry(i + 1).or_default().append(&mut pending);
        } else {
            out.misplaced.push((
                first,
                format!(
                    "\"# m: {}\" is not directly above a step line (a claim goes directly above the step that plays it)",
                    pending.join(" ")
                ),
            ));
            pending.clear();
        }
    }
    if !pending.is_empty() {
        out.misplaced.push((
            first,
            format!("\"# m: {}\" has no step below it", pending.join(" ")),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_attach_to_the_step_right_below_and_stack() {
        let text = "# language: ja\n機能: x\n  シナリオ: a\n    # m: 000-op2-01 000-op2-02\n    # m: 000-op2-03\n    もし 何かする\n    # 普通のコメント\n    ならば 見える\n";
        let c = parse(text);
        assert_eq!(
            c.by_line,
            BTreeMap::from([(
                6,
                vec![
                    "000-op2-01".into(),
                    "000-op2-02".into(),
                    "000-op2-03".into()
                ]
            )])
        );
        assert!(c.misplaced.is_empty());
    }

    #[test]
    fn a_claim_above_a_blank_line_a_scenario_or_nothing_is_misplaced() {
        let c = parse(
            "機能: x\n  # m: 000-a\n\n  シナリオ: a\n    # m: 000-b\n  シナリオ: b\n    もし x\n    # m: 000-c\n",
        );
        assert!(c.by_line.is_empty(), "{c:?}");
        let lines: Vec<usize> = c.misplaced.iter().map(|m| m.0).collect();
        assert_eq!(lines, [2, 5, 8]);
    }
}

/// One claim as a scenario plays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub id: String,
    /// The claiming step's line.
    pub line: usize,
    /// The claiming step's definition does nothing: it cannot play anything.
    pub does_nothing: bool,
    /// What the first `then` at or after the claiming step observes (the observation of that
    /// step, not a later one); `None`: nothing observes it.
    pub observed: Option<Observes>,
}

use crate::catalogue::{Observes, StepDef};
use cucumber::gherkin;

static STEPS: std::sync::LazyLock<cucumber::step::Collection<crate::KitWorld>> =
    std::sync::LazyLock::new(<crate::KitWorld as cucumber::World>::collection);

/// The definition a step runs, if exactly one matches.
pub fn definition(step: &gherkin::Step) -> Option<&'static StepDef> {
    let (_, _, loc, _) = STEPS.find(step).ok()??;
    crate::catalogue::at(&loc?)
}

/// The claims a scenario plays: `steps` in the order they run (background first), with their
/// original lines; `file`: the claims of their feature file.
pub fn of_scenario(steps: &[&gherkin::Step], file: &FileClaims) -> Vec<Claim> {
    let defs: Vec<Option<&StepDef>> = steps.iter().map(|s| definition(s)).collect();
    let observes: Vec<Option<Observes>> = steps
        .iter()
        .zip(&defs)
        .map(|(s, d)| {
            (s.ty == gherkin::StepType::Then)
                .then(|| d.and_then(|d| d.observes))
                .flatten()
        })
        .collect();
    let mut out = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let Some(ids) = file.by_line.get(&s.position.line) else {
            continue;
        };
        let observed = observes[i..].iter().flatten().next().copied();
        for id in ids {
            out.push(Claim {
                id: id.clone(),
                line: s.position.line,
                does_nothing: defs[i].is_some_and(|d| d.does_nothing),
                observed,
            });
        }
    }
    out
}

/// The claims of each feature file, read once per run.
pub fn of_file(path: &std::path::Path) -> std::sync::Arc<FileClaims> {
    type Cache = std::sync::Mutex<BTreeMap<std::path::PathBuf, std::sync::Arc<FileClaims>>>;
    static CACHE: std::sync::LazyLock<Cache> = std::sync::LazyLock::new(Default::default);
    let mut c = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    c.entry(path.to_path_buf())
        .or_insert_with(|| {
            std::sync::Arc::new(parse(&std::fs::read_to_string(path).unwrap_or_default()))
        })
        .clone()
}
