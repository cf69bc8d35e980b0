//! What a vendor attaches to a verification submission, beside the reports: which kit (version,
//! commit, a dirty-tree mark), when, the full command line and filters, the target file and a
//! SHA-256 of each of its programs, and the verdict with expected failures shown as such — in
//! the HTML report's header, in `run.txt` of the bundle, and in a JUnit file where a listed
//! failure is `skipped`, not a failure.

use std::path::Path;

/// The facts of one run, as lines of `key: value`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunInfo {
    pub lines: Vec<(String, String)>,
}

impl RunInfo {
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.lines.push((key.to_owned(), value.into()));
    }

    /// `key: value` lines (`run.txt`).
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect()
    }
}

/// The kit's commit, `abc1234… (dirty: uncommitted changes)` when the work tree differs, or
/// why it is unknown.
pub fn kit_commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "HEAD"]) {
        // untracked files count: a new feature or step file changes what runs
        Some(head) => match git(&["status", "--porcelain"]) {
            Some(s) if s.is_empty() => head,
            Some(_) => format!("{head} (dirty: uncommitted changes)"),
            None => format!("{head} (work tree state unknown)"),
        },
        None => "unknown (not a git checkout, or git is not installed)".into(),
    }
}

/// The SHA-256 of a file, in hex, or why it could not be read.
pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest as _;
    match std::fs::read(path) {
        Ok(bytes) => sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        Err(e) => format!("(cannot read: {e})"),
    }
}

/// A command line as a person would type it again (arguments quoted for a POSIX shell).
pub fn command_line(prefix: &str, args: &[String]) -> String {
    let quote = |a: &String| {
        if !a.is_empty()
            && a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+".contains(c))
        {
            a.clone()
        } else {
            format!("'{}'", a.replace('\'', r"'\''"))
        }
    };
    std::iter::once(prefix.to_owned())
        .chain(args.iter().map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A failed scenario the manifest's entry met (at its step, if it names one): `(feature
/// relative to the features folder, the scenario's line — an outline row's own —, reason)`.
pub type Expected = (String, usize, String);

/// The reason the failed scenario at `uri`:`line` was expected, if an entry met it.
pub fn expected_reason<'a>(expected: &'a [Expected], uri: &str, line: usize) -> Option<&'a str> {
    expected
        .iter()
        .find(|(f, l, _)| *l == line && crate::report::is_feature(uri, f))
        .map(|(_, _, r)| r.as_str())
}

/// cucumber's JUnit names a testcase `Scenario: <name>: <path>:<line>:<column>`: its path
/// and line.
fn testcase_place(name: &str) -> Option<(&str, usize)> {
    let rest = name.split_once(": ")?.1;
    let (_, place) = rest.rsplit_once(": ")?;
    let mut parts = place.rsplitn(3, ':');
    let (_column, line, path) = (parts.next()?, parts.next()?, parts.next()?);
    Some((path, line.parse().ok()?))
}

/// The run's JUnit XML with each listed failure turned into `<skipped message="expected
/// failure: <reason>"/>`, and the suites' `failures` counts lowered to match.
pub fn junit_with_expected(xml: &str, expected: &[Expected]) -> Result<String, String> {
    use quick_xml::events::{BytesStart, Event};
    let reason_of = |e: &BytesStart| {
        let name = attr(e, b"name")?;
        let (path, line) = testcase_place(&name)?;
        expected_reason(expected, path, line).map(str::to_owned)
    };
    let per_suite = expected_per_suite(xml, &reason_of)?;
    let mut w = quick_xml::Writer::new(Vec::new());
    let mut r = quick_xml::Reader::from_str(xml);
    let mut suite = 0;
    let mut skipping_failure = false;
    let mut reason: Option<String> = None;
    let io = |e: std::io::Error| e.to_string();
    loop {
        let ev = r.read_event().map_err(|e| format!("junit.xml: {e}"))?;
        match ev {
            Event::Eof => break,
            Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                let n = per_suite.get(suite).copied().unwrap_or(0);
                suite += 1;
                w.write_event(Event::Start(suite_less(&e, n)?))
                    .map_err(io)?;
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                reason = reason_of(&e);
                w.write_event(Event::Start(e)).map_err(io)?;
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if e.name().as_ref() == b"failure" && reason.is_some() =>
            {
                let why = reason.take().unwrap_or_default();
                let mut s = BytesStart::new("skipped");
                s.push_attribute(("message", format!("expected failure: {why}").as_str()));
                w.write_event(Event::Empty(s)).map_err(io)?;
                // a <failure>…</failure> has content to drop; a <failure/> has none
                skipping_failure = matches!(ev, Event::Start(_));
            }
            Event::End(e) if e.name().as_ref() == b"failure" && skipping_failure => {
                skipping_failure = false;
            }
            _ if skipping_failure => {}
            other => w.write_event(other).map_err(io)?,
        }
    }
    String::from_utf8(w.into_inner()).map_err(|e| e.to_string())
}

fn attr(e: &quick_xml::events::BytesStart, key: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// How many failures of each suite the manifest expects (`reason_of` a testcase).
fn expected_per_suite(
    xml: &str,
    reason_of: &dyn Fn(&quick_xml::events::BytesStart) -> Option<String>,
) -> Result<Vec<usize>, String> {
    use quick_xml::events::Event;
    let mut per_suite = Vec::new();
    let mut r = quick_xml::Reader::from_str(xml);
    let mut reason: Option<String> = None;
    loop {
        match r.read_event().map_err(|e| format!("junit.xml: {e}"))? {
            Event::Start(e) if e.name().as_ref() == b"testsuite" => per_suite.push(0usize),
            Event::Start(e) if e.name().as_ref() == b"testcase" => reason = reason_of(&e),
            Event::Start(e) | Event::Empty(e)
                if e.name().as_ref() == b"failure" && reason.is_some() =>
            {
                if let Some(n) = per_suite.last_mut() {
                    *n += 1;
                }
                reason = None;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(per_suite)
}

/// A `<testsuite>` with `n` fewer failures and `n` skipped.
fn suite_less(
    e: &quick_xml::events::BytesStart,
    n: usize,
) -> Result<quick_xml::events::BytesStart<'static>, String> {
    let mut out = quick_xml::events::BytesStart::new("testsuite");
    for a in e.attributes().flatten() {
        let v = a
            .normalized_value(quick_xml::XmlVersion::Explicit1_0)
            .map_err(|e| e.to_string())?;
        let v = match a.key.as_ref() {
            b"failures" => (v.parse::<usize>().unwrap_or(0).saturating_sub(n)).to_string(),
            _ => v.into_owned(),
        };
        out.push_attribute((
            std::str::from_utf8(a.key.as_ref()).unwrap_or("?"),
            v.as_str(),
        ));
    }
    if n > 0 {
        out.push_attribute(("skipped", n.to_string().as_str()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JUNIT: &str = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite id="0" name="Feature: a" tests="2" errors="0" failures="2" time="1"><testcase name="Scenario: 古い結果が削除される: work/x/features/000-setup/linkage_restart.feature:12:3" time="0.1"><failure type="Step Panicked" message="exists=false"/><system-out><![CDATA[log]]></system-out></testcase><testcase name="Scenario: ほか: work/x/features/000-setup/linkage_restart.feature:30:3" time="0.1"><failure type="Step Panicked" message="boom">detail</failure></testcase></testsuite></testsuites>"#;

    #[test]
    fn a_listed_failure_becomes_skipped_with_its_reason_and_leaves_the_count() {
        let expected = vec![(
            "000-setup/linkage_restart.feature".to_owned(),
            12,
            "our app keeps results 7 days (ticket 12)".to_owned(),
        )];
        let out = junit_with_expected(JUNIT, &expected).unwrap();
        assert!(
            out.contains(r#"failures="1""#) && out.contains(r#"skipped="1""#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"<skipped message="expected failure: our app keeps results 7 days (ticket 12)"/>"#
            ),
            "{out}"
        );
        // the other failure stays a failure, with its content; the log stays
        assert!(out.contains(r#"message="boom">detail</failure>"#), "{out}");
        assert!(out.contains("<![CDATA[log]]>"), "{out}");
        assert_eq!(out.matches("<failure").count(), 1, "{out}");
        // nothing listed: unchanged counts
        let same = junit_with_expected(JUNIT, &[]).unwrap();
        assert!(
            same.contains(r#"failures="2""#) && !same.contains("skipped"),
            "{same}"
        );
    }

    #[test]
    fn a_command_line_can_be_pasted_back() {
        let args = [
            "--tags".to_owned(),
            "@C and not @pcsc".to_owned(),
            "--target".to_owned(),
            "t.toml".to_owned(),
        ];
        assert_eq!(
            command_line("cargo xtask conformance", &args),
            "cargo xtask conformance --tags '@C and not @pcsc' --target t.toml"
        );
    }

    #[test]
    fn a_programs_digest_is_its_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("prog");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(sha256_file(&dir.path().join("missing")).contains("cannot read"));
    }
}
