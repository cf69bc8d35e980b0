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

pub mod driver;
pub mod his;
pub mod linkage;
pub mod process;

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

/// A receipt computer (HIS): one command per action a scenario makes it take. Arguments may
/// hold placeholders the kit fills in (`{file}`, `{encoding}`, …; see TARGETS.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct His {
    #[serde(default)]
    pub build: Vec<String>,
    /// Write a qualification check request into `req`.
    pub check: Vec<String>,
    /// Take a result file out of `res` (read it, then delete it).
    pub take: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

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
    #[serde(default)]
    driver: Option<Program>,
    #[serde(default)]
    his: Option<His>,
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
    /// A reader driver, run once per check against the kit's PC/SC readers (pcscd + vpcd).
    pub driver: Option<Program>,
    pub his: Option<His>,
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
            .map_err(|e| format!("cannot read the target file {}: {e}", path.display()))?;
        let f: TargetFile =
            toml::from_str(&text).map_err(|e| format!("target file {}: {e}", path.display()))?;
        // `acme.toml` has the parent "": the current folder
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = |what: String| format!("target file {}: {what}", path.display());
        let mut t = Target {
            name: f.name,
            description: f.description,
            file: Some(path.to_path_buf()),
            expected_failures: f.expected_failures.map(|p| dir.join(p)),
            linkage: f.linkage,
            driver: f.driver,
            his: f.his,
        };
        if let Some(p) = t.driver.as_mut() {
            if p.command.is_empty() {
                return Err(bad("[driver] command is empty".into()));
            }
            if let Some(s) = p.supports.first() {
                return Err(bad(format!(
                    "[driver] supports '{s}': a driver has no abilities to declare"
                )));
            }
            resolve(&mut p.command, &dir);
            expand_all(p.build.iter_mut().chain(p.env.values_mut()), &dir);
        }
        if let Some(p) = t.linkage.as_mut() {
            if p.command.is_empty() {
                return Err(bad("[linkage] command is empty".into()));
            }
            if let Some(unknown) = p
                .supports
                .iter()
                .find(|s| !ABILITIES.iter().any(|(a, _)| a == *s))
            {
                let known: Vec<_> = ABILITIES.iter().map(|(a, _)| *a).collect();
                return Err(bad(format!(
                    "[linkage] supports '{unknown}': not a known ability (known: {})",
                    known.join(", ")
                )));
            }
            resolve(&mut p.command, &dir);
            expand_all(p.build.iter_mut().chain(p.env.values_mut()), &dir);
        }
        if let Some(h) = t.his.as_mut() {
            for (what, cmd) in [("check", &mut h.check), ("take", &mut h.take)] {
                if cmd.is_empty() {
                    return Err(bad(format!("[his] {what} is empty")));
                }
                resolve(cmd, &dir);
            }
            expand_all(h.build.iter_mut().chain(h.env.values_mut()), &dir);
        }
        Ok(t)
    }

    /// Each external component with its command line (for people) and build command.
    pub fn programs(&self) -> Vec<(&'static str, String, &[String])> {
        let mut v = Vec::new();
        if let Some(p) = &self.linkage {
            v.push(("linkage", p.command.join(" "), p.build.as_slice()));
        }
        if let Some(p) = &self.driver {
            v.push(("driver", p.command.join(" "), p.build.as_slice()));
        }
        if let Some(h) = &self.his {
            let cmds = format!("check: {} / take: {}", h.check.join(" "), h.take.join(" "));
            v.push(("his", cmds, h.build.as_slice()));
        }
        v
    }

    /// The files each external command runs, `(role, path)`: its program (a bare name looked
    /// up on PATH as the system would) and every argument that names a file by a path (a
    /// script given to an interpreter: `python3 ${TARGET_DIR}/his.py`). What the evidence
    /// hashes and the dry run requires to exist.
    pub fn executables(&self) -> Vec<(&'static str, PathBuf)> {
        let mut v: Vec<(&'static str, &[String])> = Vec::new();
        if let Some(p) = &self.linkage {
            v.push(("linkage", &p.command));
        }
        if let Some(p) = &self.driver {
            v.push(("driver", &p.command));
        }
        if let Some(h) = &self.his {
            v.push(("his check", &h.check));
            v.push(("his take", &h.take));
        }
        let mut out = Vec::new();
        for (role, argv) in v {
            let Some((prog, args)) = argv.split_first() else {
                continue;
            };
            let p = Path::new(prog);
            out.push((
                role,
                if p.components().count() > 1 {
                    p.to_path_buf()
                } else {
                    std::env::var_os("PATH")
                        .iter()
                        .flat_map(std::env::split_paths)
                        .map(|d| d.join(prog))
                        .find(|c| c.is_file())
                        .unwrap_or_else(|| p.to_path_buf())
                },
            ));
            // a path argument, not an option or a placeholder the kit fills in per action
            out.extend(
                args.iter()
                    .filter(|a| a.contains('/') && !a.starts_with('-') && !a.contains('{'))
                    .map(|a| (role, PathBuf::from(a))),
            );
        }
        out
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
        if self.driver.is_some() {
            out.push((
                "reader-hardware".into(),
                "the face reader's power, cable and idle screen are the simulator's, out of an external driver's reach over PC/SC".into(),
            ));
        }
        out
    }

    /// Runs each program's `build` command (in the target file's folder).
    pub fn build(&self) -> Result<(), String> {
        let dir = self
            .file
            .as_deref()
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        for (what, _, build) in self.programs() {
            let Some((prog, args)) = build.split_first() else {
                continue;
            };
            let line = build.join(" ");
            println!("target: building {what}: {line}");
            let mut cmd = std::process::Command::new(prog);
            // without the variables cargo set for the kit's own package: a `cargo build` here
            // would otherwise see another CARGO_MANIFEST_DIR and rebuild ring and all it feeds
            for (k, _) in std::env::vars_os() {
                if oqs_testkit::is_cargo_package_var(&k.to_string_lossy()) {
                    cmd.env_remove(k);
                }
            }
            let status = cmd
                .args(args)
                .current_dir(dir)
                .status()
                .map_err(|e| format!("[{what}] build '{line}' cannot start: {e}"))?;
            if !status.success() {
                return Err(format!("[{what}] build '{line}' failed ({status})"));
            }
        }
        Ok(())
    }
}

/// Expands variables in a command line and takes a relative program path (one with a `/`)
/// from the target file's folder.
fn resolve(cmd: &mut [String], dir: &Path) {
    expand_all(cmd.iter_mut(), dir);
    if let Some(first) = cmd.first_mut()
        && first.contains('/')
        && Path::new(first.as_str()).is_relative()
    {
        *first = dir.join(&*first).display().to_string();
    }
}

fn expand_all<'a>(args: impl Iterator<Item = &'a mut String>, dir: &Path) {
    for arg in args {
        *arg = expand(arg, dir);
    }
}

/// The variables every external program is started with: the terminal, the World's names,
/// roots and clock (documented in TARGETS.md).
pub fn environment(w: &crate::KitWorld) -> anyhow::Result<Vec<(String, String)>> {
    let t = w.terminal()?;
    let root = t.root().to_path_buf();
    let kit = root.join("state").join("kit");
    std::fs::create_dir_all(&kit)?;
    // the World's names as they are now, its roots, and its clock
    oqs_sim::provision::write_names(w.sim(), t)?;
    let pki = w.sim().pki();
    let ca = kit.join("ca.pem");
    std::fs::write(
        &ca,
        format!("{}{}", pki.web_root.cert_pem, pki.root.cert_pem),
    )?;
    let clock = kit.join("clock");
    w.sim().clock().mirror_to(&clock)?;
    Ok(vec![
        ("OQS_TERMINAL".into(), root.display().to_string()),
        (
            "OQS_NAMES_FILE".into(),
            oqs_host::dir::TerminalDir::names_file(&root)
                .display()
                .to_string(),
        ),
        ("OQS_CA_FILE".into(), ca.display().to_string()),
        ("OQS_CLOCK_FILE".into(), clock.display().to_string()),
        ("OQS_KIT_EVENTS".into(), "1".into()),
        ("OQS_SEED".into(), w.seed.to_string()),
    ])
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

    /// The folder stays while the test holds it: the target's paths point into it.
    fn load_in(text: &str) -> (tempfile::TempDir, Result<Target, String>) {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("t.toml");
        std::fs::write(&f, text).unwrap();
        let t = Target::load(&f);
        (d, t)
    }

    fn load(text: &str) -> Result<Target, String> {
        load_in(text).1
    }

    #[test]
    fn paths_are_resolved_and_variables_expanded() {
        let (_dir, t) = load_in(
            "name = \"x\"\nexpected_failures = \"x.expected.toml\"\n[linkage]\ncommand = [\"bin/app\", \"--dir\", \"${TARGET_DIR}\"]\nenv = { K = \"${KIT_BIN}\" }\n",
        );
        let t = t.unwrap();
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
        assert!(e.contains("command is empty"), "{e}");
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
