//! The command: `oqs-setup apply` on a fresh terminal directory, then `oqs-setup audit` prints
//! only ✓ and exits 0; a mistake made by hand in `state/windows.json` turns its line ✗ and the
//! exit code 1; `--json` lists every item.

use oqs_proto::site::SiteProfile;
use std::process::Command;

fn setup() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oqs-setup"))
}

const AT: &str = "2025-04-01T09:00:00+09:00";

/// `oqs-setup apply <terminal> <profile>`, which must succeed; its standard output.
fn apply(terminal: &std::path::Path, profile: &std::path::Path) -> String {
    let out = setup()
        .arg("apply")
        .arg(terminal)
        .arg(profile)
        .args(["--at", AT])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn apply_then_audit_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let terminal = dir.path().join("pc01");
    let p12 = dir.path().join("1312345678.p12");
    std::fs::write(
        &p12,
        oqs_sim::certs::Pki::shared()
            .client(&oqs_sim::certs::ClientSpec::new("1312345678", "pc01"))
            .to_pkcs12("1357"),
    )
    .unwrap();
    let profile = dir.path().join("site.toml");
    std::fs::write(
        &profile,
        SiteProfile::example("1312345678", &p12.display().to_string()).to_toml(),
    )
    .unwrap();

    assert!(apply(&terminal, &profile).contains("操作1"));

    let audit = |json: bool| {
        let mut c = setup();
        c.arg("audit").arg(&terminal).args(["--at", AT]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let out = audit(false);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.lines().all(|l| l.starts_with('✓')), "{text}");

    // fast startup turned back on by hand in the state file
    let state = terminal.join("state").join("windows.json");
    let s = std::fs::read_to_string(&state).unwrap();
    std::fs::write(
        &state,
        s.replace("\"fast_startup\": false", "\"fast_startup\": true"),
    )
    .unwrap();
    let out = audit(false);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let bad: Vec<&str> = text.lines().filter(|l| l.starts_with('✗')).collect();
    assert_eq!(bad.len(), 1, "{text}");
    assert!(bad[0].contains("高速スタートアップ"), "{}", bad[0]);

    let out = audit(true);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert!(
        items
            .iter()
            .any(|i| i["id"] == "fast_startup" && i["ok"] == false)
    );

    // a profile the manual forbids: nothing applied, exit 2 with the reason
    let bad_profile = dir.path().join("bad.toml");
    let mut bad = SiteProfile::example("1312345678", &p12.display().to_string());
    bad.restart_at = Some("04:05".into());
    std::fs::write(&bad_profile, bad.to_toml()).unwrap();
    let out = setup()
        .arg("apply")
        .arg(dir.path().join("pc02"))
        .arg(&bad_profile)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("3:50〜4:10"));
}

/// Two terminals of one clinic set up from profiles naming the same `.p12`: each terminal's
/// own audit is all ✓, and only the site audit shows the shared certificate, on both.
#[test]
fn a_certificate_installed_on_two_terminals_fails_the_site_audit_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let p12 = dir.path().join("1312345678.p12");
    let cert = |terminal: &str| {
        oqs_sim::certs::Pki::shared()
            .client(&oqs_sim::certs::ClientSpec::new("1312345678", terminal))
            .to_pkcs12("1357")
    };
    std::fs::write(&p12, cert("pc01")).unwrap();
    let profile = dir.path().join("site.toml");
    std::fs::write(
        &profile,
        SiteProfile::example("1312345678", &p12.display().to_string()).to_toml(),
    )
    .unwrap();
    let (pc01, pc02) = (dir.path().join("pc01"), dir.path().join("pc02"));
    for t in [&pc01, &pc02] {
        apply(t, &profile);
    }
    let site = || {
        setup()
            .arg("audit")
            .args([&pc01, &pc02])
            .args(["--at", AT, "--json"])
            .output()
            .unwrap()
    };
    let failing = |out: &std::process::Output| -> Vec<(String, String)> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .flat_map(|t| {
                let name = t["terminal"].as_str().unwrap().to_owned();
                t["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|l| l["ok"] == false)
                    .map(move |l| (name.clone(), l["id"].as_str().unwrap().to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let out = site();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        failing(&out),
        [
            ("pc01".to_owned(), "certificate_shared".to_owned()),
            ("pc02".to_owned(), "certificate_shared".to_owned())
        ]
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pc02 にもあります"), "{text}");

    // the remedy: pc02 gets its own certificate
    std::fs::write(&p12, cert("pc02")).unwrap();
    let host = oqs_host::dir::TerminalDir::open_from_process(&pc02, Some(AT)).unwrap();
    for c in oqs_host::CertificateStore::list(&host, oqs_host::certificates::StoreName::My).unwrap()
    {
        oqs_host::CertificateStore::remove(
            &host,
            oqs_host::certificates::StoreName::My,
            &c.thumbprint,
        )
        .unwrap();
    }
    drop(host);
    apply(&pc02, &profile);
    let out = site();
    assert_eq!(failing(&out), Vec::<(String, String)>::new());
    assert_eq!(out.status.code(), Some(0));
}
