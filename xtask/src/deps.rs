//! `cargo xtask deps`: the dependency rule of DESIGN.md, checked on `cargo metadata`.
//! Dependencies point down the picture — conformance → components → proto/host; sim →
//! proto/host; components never depend on the simulator or the test PKI, and the simulator
//! never on a component. A crate's tests (dev-dependencies) get their own, wider row: a
//! component's tests use the simulator (and through it the test PKI), never the PKI directly.
//!
//! Where this table is more precise than DESIGN's map: `oqs-certs` (the test PKI) sits on
//! proto/host and under the simulator, whose certificate site it is; `oqs-client` is the
//! components' shared server client; `oqs-testkit` holds test helpers only.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The workspace's crates by layer: a crate's normal dependencies on workspace crates must be
/// in its row. Build-dependencies count as normal ones.
const ALLOWED: &[(&str, &[&str])] = &[
    ("oqs-proto", &[]),
    ("oqs-host", &[]),
    ("oqs-testkit", &[]),
    ("oqs-certs", &["oqs-proto", "oqs-host"]),
    ("oqs-sim", &["oqs-proto", "oqs-host", "oqs-certs"]),
    // components: each other's libraries only where one is shared (the client)
    ("oqs-client", &["oqs-proto", "oqs-host"]),
    ("oqs-linkage", &["oqs-proto", "oqs-host", "oqs-client"]),
    ("oqs-driver", &["oqs-proto", "oqs-host", "oqs-client"]),
    ("oqs-setup", &["oqs-proto", "oqs-host"]),
    ("oqs-distro", &["oqs-proto", "oqs-host"]),
    (
        "oqs-conformance",
        &[
            "oqs-proto",
            "oqs-host",
            "oqs-testkit",
            "oqs-certs",
            "oqs-sim",
            "oqs-client",
            "oqs-linkage",
            "oqs-driver",
            "oqs-setup",
            "oqs-distro",
        ],
    ),
    (
        "xtask",
        &[
            "oqs-proto",
            "oqs-host",
            "oqs-testkit",
            "oqs-certs",
            "oqs-sim",
            "oqs-client",
            "oqs-linkage",
            "oqs-driver",
            "oqs-setup",
            "oqs-distro",
            "oqs-conformance",
        ],
    ),
];

/// What a crate's tests may use beyond its own row (dev-dependencies).
const ALLOWED_DEV: &[(&str, &[&str])] = &[
    ("oqs-proto", &["oqs-testkit"]),
    ("oqs-host", &["oqs-testkit"]),
    ("oqs-testkit", &[]),
    ("oqs-certs", &["oqs-testkit"]),
    ("oqs-sim", &["oqs-testkit"]),
    // a component's tests run it against the simulator, and may set a terminal up with the
    // setup tool; the test PKI comes through the simulator
    ("oqs-client", &["oqs-testkit", "oqs-sim"]),
    ("oqs-linkage", &["oqs-testkit", "oqs-sim", "oqs-setup"]),
    ("oqs-driver", &["oqs-testkit", "oqs-sim", "oqs-setup"]),
    ("oqs-setup", &["oqs-testkit", "oqs-sim"]),
    ("oqs-distro", &["oqs-testkit", "oqs-sim", "oqs-setup"]),
    ("oqs-conformance", &[]),
    ("xtask", &[]),
];

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
    dependencies: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Dependency {
    name: String,
    /// `null` (normal), `"dev"` or `"build"`.
    kind: Option<String>,
}

/// Every breach of the rule in `metadata` (the JSON of `cargo metadata --no-deps`), one line
/// each, naming the crate, the dependency and the rule.
pub fn breaches(metadata: &str) -> Result<Vec<String>, String> {
    let m: Metadata = serde_json::from_str(metadata)
        .map_err(|e| format!("cargo metadata の出力を読めません: {e}"))?;
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let allowed_dev: BTreeMap<&str, &[&str]> = ALLOWED_DEV.iter().copied().collect();
    let members: Vec<&Package> = m
        .packages
        .iter()
        .filter(|p| m.workspace_members.contains(&p.id))
        .collect();
    // the workspace's crates: its members and every crate of the table
    let ours: Vec<&str> = members
        .iter()
        .map(|p| p.name.as_str())
        .chain(allowed.keys().copied())
        .collect();
    let mut out = Vec::new();
    for p in &members {
        let Some(row) = allowed.get(p.name.as_str()) else {
            out.push(format!(
                "{}: not in the layer table of xtask/src/deps.rs (add it where DESIGN.md draws it)",
                p.name
            ));
            continue;
        };
        let dev_row = allowed_dev
            .get(p.name.as_str())
            .copied()
            .unwrap_or_default();
        for d in p
            .dependencies
            .iter()
            .filter(|d| ours.contains(&d.name.as_str()))
        {
            let name = d.name.as_str();
            if d.kind.as_deref() == Some("dev") {
                if !row.contains(&name) && !dev_row.contains(&name) {
                    out.push(format!(
                        "{} → {} (dev): a crate's tests may use {}",
                        p.name,
                        name,
                        list(&[*row, dev_row].concat())
                    ));
                }
            } else if !row.contains(&name) {
                out.push(format!(
                    "{} → {}: dependencies point down (conformance → components → proto/host; sim → proto/host/certs); {} may use {}",
                    p.name,
                    name,
                    p.name,
                    list(row)
                ));
            }
        }
    }
    Ok(out)
}

fn list(crates: &[&str]) -> String {
    if crates.is_empty() {
        "no workspace crate".to_owned()
    } else {
        crates.join(", ")
    }
}

pub fn run() -> i32 {
    let out = crate::cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            return 2;
        }
        Err(e) => {
            eprintln!("cannot run cargo metadata: {e}");
            return 2;
        }
    };
    match breaches(&String::from_utf8_lossy(&out.stdout)) {
        Ok(b) if b.is_empty() => {
            println!("deps: every workspace dependency points down as DESIGN.md draws it");
            0
        }
        Ok(b) => {
            for line in &b {
                eprintln!("deps: {line}");
            }
            eprintln!("deps: {} breach(es) of the dependency rule", b.len());
            1
        }
        Err(e) => {
            eprintln!("deps: {e}");
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate and its `(dependency, kind)`s.
    type Crate<'a> = (&'a str, &'a [(&'a str, Option<&'a str>)]);

    /// `cargo metadata` of a workspace of `crates`.
    fn metadata(crates: &[Crate<'_>]) -> String {
        let packages: Vec<serde_json::Value> = crates
            .iter()
            .map(|(name, deps)| {
                serde_json::json!({
                    "id": format!("{name} 0.1.0"),
                    "name": name,
                    "dependencies": deps.iter().map(|(d, k)| serde_json::json!({"name": d, "kind": k})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let members: Vec<String> = crates.iter().map(|(n, _)| format!("{n} 0.1.0")).collect();
        serde_json::json!({"packages": packages, "workspace_members": members}).to_string()
    }

    #[test]
    fn the_workspace_as_it_is_keeps_the_rule() {
        let out = std::process::Command::new(env!("CARGO"))
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .current_dir(crate::workspace_root())
            .output()
            .unwrap();
        assert!(out.status.success());
        let b = breaches(&String::from_utf8_lossy(&out.stdout)).unwrap();
        assert!(b.is_empty(), "{b:#?}");
    }

    #[test]
    fn an_upward_dependency_is_a_breach_naming_both_crates() {
        let m = metadata(&[
            ("oqs-proto", &[("oqs-sim", None)]),
            ("oqs-sim", &[("oqs-proto", None)]),
        ]);
        let b = breaches(&m).unwrap();
        assert_eq!(b.len(), 1, "{b:?}");
        assert!(b[0].starts_with("oqs-proto → oqs-sim"), "{}", b[0]);
    }

    #[test]
    fn a_component_may_not_use_the_simulator_or_the_test_pki_but_its_tests_may() {
        let m = metadata(&[(
            "oqs-setup",
            &[
                ("oqs-certs", None),
                ("oqs-sim", Some("dev")),
                ("oqs-proto", None),
                ("serde", None),
            ],
        )]);
        let b = breaches(&m).unwrap();
        assert_eq!(b.len(), 1, "{b:?}");
        assert!(b[0].starts_with("oqs-setup → oqs-certs"), "{}", b[0]);
        // a build-dependency counts as a normal one; the runner is off limits even for tests,
        // and so is a component for the simulator's tests
        let m = metadata(&[(
            "oqs-sim",
            &[
                ("oqs-linkage", Some("build")),
                ("oqs-conformance", Some("dev")),
                ("oqs-setup", Some("dev")),
            ],
        )]);
        assert_eq!(breaches(&m).unwrap().len(), 3);
        // a component's tests take the test PKI through the simulator, not directly
        let m = metadata(&[("oqs-driver", &[("oqs-certs", Some("dev"))])]);
        let b = breaches(&m).unwrap();
        assert!(b[0].starts_with("oqs-driver → oqs-certs (dev)"), "{b:?}");
        // nor does a format crate's test use the simulator
        let m = metadata(&[("oqs-proto", &[("oqs-sim", Some("dev"))])]);
        assert_eq!(breaches(&m).unwrap().len(), 1);
    }

    #[test]
    fn a_new_crate_must_be_placed_in_the_table() {
        let b = breaches(&metadata(&[("oqs-new", &[])])).unwrap();
        assert!(b[0].contains("layer table"), "{b:?}");
    }
}
