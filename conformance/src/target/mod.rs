//! Targets: which build plays each component of the terminal in a run. The kit's own
//! components are the default (`builtin`); a target file names external programs instead — a
//! vendor's linkage app, reader driver or receipt computer — and the same features run against
//! them. The adapter protocol each program must speak is in `conformance/TARGETS.md`.
//!
//! ```toml
//! name = "oqs-kit's own linkage app as an external program"
//! expected_failures = "self-linkage.expected.toml"   # optional, beside this file
//!
//! [linkage]
//! build = ["cargo", "build", "--quiet", "-p", "oqs-linkage"]
//! command = ["${KIT_BIN}/oqs-linkage", "run"]
//! supports = ["fault-injection"]
//! env = { RUST_LOG = "oqs_linkage=info" }
//! ```

pub mod linkage;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// An external program standing in for one component.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Run once, in the target file's folder, before any scenario (e.g. `cargo build`).
    #[serde(default)]
    pub build: Vec<String>,
    /// The program and its arguments. `${KIT_BIN}` is the folder of the kit's own binaries,
    /// `${TARGET_DIR}` the target file's folder; a relative program path is taken from there.
    pub command: Vec<String>,
    /// Extra environment (on top of the kit's `OQS_*` variables).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Optional abilities the program has (`fault-injection`); scenarios that need one it
    /// lacks are left out of the run, and the run says so.
    #[serde(default)]
    pub supports: Vec<String>,
}

/// Abilities a program may declare in `supports`, with the tag of the scenarios needing them.
pub const ABILITIES: &[(&str, &str)] = &[(
    "fault-injection",
    "stops dead at a step of the file protocol when OQS_FAULT says so",
)];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    expected_failures: Option<PathBuf>,
    #[serde(default)]
    linkage: Option<Program>,
}

/// A loaded target: the programs, with paths resolved against the target file's folder.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub name: String,
    pub description: Option<String>,
    /// The target file (None: every component is the kit's own).
    pub file: Option<PathBuf>,
    pub expected_failures: Option<PathBuf>,
    pub linkage: Option<Program>,
}

static CURRENT: OnceLock<Target> = OnceLock::new();

/// The target of this run (the kit's own components unless the runner set one).
pub fn current() -> &'static Target {
    CURRENT.get_or_init(Target::default)
}

/// Sets the run's target; once, before any scenario.
pub fn set_current(t: Target) -> Result<(), String> {
    CURRENT
        .set(t)
        .map_err(|_| "the run's target is already set".to_owned())
}

impl Target {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("ターゲットファイル「{}」を読めません: {e}", path.display()))?;
        let f: TargetFile = toml::from_str(&text)
            .map_err(|e| format!("ターゲットファイル「{}」: {e}", path.display()))?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut t = Target {
            name: f.name,
            description: f.description,
            file: Some(path.to_path_buf()),
            expected_failures: f.expected_failures.map(|p| dir.join(p)),
            linkage: f.linkage,
        };
        for (what, p) in t.programs_mut() {
            if p.command.is_empty() {
                return Err(format!(
                    "ターゲットファイル「{}」: [{what}] の command が空です",
                    path.display()
                ));
            }
            if let Some(unknown) = p
                .supports
                .iter()
                .find(|s| !ABILITIES.iter().any(|(a, _)| a == *s))
            {
                return Err(format!(
                    "ターゲットファイル「{}」: [{what}] supports の「{unknown}」は知らない能力です（{}）",
                    path.display(),
                    ABILITIES
                        .iter()
                        .map(|(a, _)| *a)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            for arg in p
                .command
                .iter_mut()
                .chain(p.build.iter_mut())
                .chain(p.env.values_mut())
            {
                *arg = expand(arg, &dir);
            }
            if let Some(first) = p.command.first_mut()
                && first.contains('/')
                && Path::new(first.as_str()).is_relative()
            {
                *first = dir.join(&*first).display().to_string();
            }
        }
        Ok(t)
    }

    fn programs_mut(&mut self) -> impl Iterator<Item = (&'static str, &mut Program)> {
        self.linkage.as_mut().map(|p| ("linkage", p)).into_iter()
    }

    pub fn programs(&self) -> impl Iterator<Item = (&'static str, &Program)> {
        self.linkage.as_ref().map(|p| ("linkage", p)).into_iter()
    }

    /// Tags of scenarios this target cannot run (an ability its programs lack), with why.
    pub fn left_out(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(p) = &self.linkage {
            for (ability, what) in ABILITIES {
                if !p.supports.iter().any(|s| s == ability) {
                    out.push((
                        (*ability).to_owned(),
                        format!("the linkage target does not declare `{ability}` ({what})"),
                    ));
                }
            }
        }
        out
    }

    /// Runs each program's `build` command (in the target file's folder).
    pub fn build(&self) -> Result<(), String> {
        let dir = self
            .file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for (what, p) in self.programs() {
            let Some((prog, args)) = p.build.split_first() else {
                continue;
            };
            println!("target: building {what}: {}", p.build.join(" "));
            let status = std::process::Command::new(prog)
                .args(args)
                .current_dir(if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    &dir
                })
                .status()
                .map_err(|e| {
                    format!(
                        "[{what}] build「{}」を実行できません: {e}",
                        p.build.join(" ")
                    )
                })?;
            if !status.success() {
                return Err(format!(
                    "[{what}] build「{}」が失敗しました（{status}）",
                    p.build.join(" ")
                ));
            }
        }
        Ok(())
    }
}

/// The folder of the kit's own binaries (`target/debug`), from this executable's place (the
/// test harness runs from `target/debug/deps`).
pub fn kit_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
    } else {
        dir
    }
}

fn expand(s: &str, target_dir: &Path) -> String {
    s.replace("${KIT_BIN}", &kit_bin().display().to_string())
        .replace("${TARGET_DIR}", &target_dir.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Target, String> {
        // kept: the target's paths point into it
        let d = tempfile::tempdir().unwrap().keep();
        let f = d.join("t.toml");
        std::fs::write(&f, text).unwrap();
        Target::load(&f)
    }

    #[test]
    fn paths_are_resolved_and_variables_expanded() {
        let t = load(
            "name = \"x\"\nexpected_failures = \"x.expected.toml\"\n[linkage]\ncommand = [\"bin/app\", \"--dir\", \"${TARGET_DIR}\"]\nenv = { K = \"${KIT_BIN}\" }\n",
        )
        .unwrap();
        let p = t.linkage.as_ref().unwrap();
        let dir = t
            .file
            .as_deref()
            .unwrap()
            .parent()
            .unwrap()
            .canonicalize()
            .unwrap();
        assert_eq!(p.command[0], dir.join("bin/app").display().to_string());
        assert_eq!(p.command[2], dir.display().to_string());
        assert_eq!(p.env["K"], kit_bin().display().to_string());
        assert_eq!(t.expected_failures, Some(dir.join("x.expected.toml")));
        // without fault injection, the crash scenarios are left out, and the run says why
        assert_eq!(t.left_out().len(), 1);
        assert_eq!(t.left_out()[0].0, "fault-injection");
    }

    #[test]
    fn mistakes_in_a_target_file_are_named() {
        let e = load("name = \"x\"\n[linkage]\ncommand = []\n").unwrap_err();
        assert!(e.contains("command が空です"), "{e}");
        let e = load("name = \"x\"\n[linkage]\ncommand = [\"a\"]\nsupports = [\"teleport\"]\n")
            .unwrap_err();
        assert!(
            e.contains("teleport") && e.contains("fault-injection"),
            "{e}"
        );
        let e = load("name = \"x\"\n[linkge]\ncommand = [\"a\"]\n").unwrap_err();
        assert!(e.contains("linkge"), "{e}");
    }
}
