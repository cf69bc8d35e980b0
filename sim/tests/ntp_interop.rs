//! The SNTP server answered by real clients from Debian: chrony (`chronyd -Q`, any port) and
//! ntpsec's `ntpdig` (port 123 only, so as root with the port free). Skipped, saying why, when a
//! client is missing, except in CI, which installs them.
//!
//! The sim clock is not the machine's clock, so each client reports some large offset; what
//! the test checks is that a server moved one hour ahead is reported one hour further off.

use oqs_sim::SimClock;
use oqs_sim::net::ntp::NtpServer;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use time::Duration;

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--help").output().is_ok()
        || Command::new(tool).arg("-v").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install {tool} (.ci/run)"
        );
        eprintln!("{tool} not on PATH: skipping");
    }
    ok
}

/// The first number after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<f64> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let rest = rest.trim_start_matches([' ', '"', ':']);
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[test]
fn chrony_measures_the_servers_clock() {
    if !have("chronyd") {
        return;
    }
    let server = NtpServer::bind(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        Arc::new(SimClock::default()),
    )
    .unwrap();
    let ask = || {
        let out = Command::new("chronyd")
            .args(["-Q", "-t", "10", "-f", "/dev/null"])
            .arg(format!(
                "server 127.0.0.1 port {} iburst maxsamples 1",
                server.addr().port()
            ))
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        number_after(&text, "System clock wrong by")
            .unwrap_or_else(|| panic!("chronyd did not accept the answer: {text}"))
    };
    let before = ask();
    server.set_offset(Duration::hours(1));
    let after = ask();
    // chrony prints the correction the system clock would need: an hour more
    assert!(
        ((after - before) - 3600.0).abs() < 5.0,
        "before {before} s, after {after} s"
    );
    assert!(server.served() >= 2);
}

#[test]
fn ntpdig_measures_the_servers_clock_on_port_123() {
    if !have("ntpdig") {
        return;
    }
    // ntpdig cannot use another port (TOOLCHAIN.md §5)
    let server = match NtpServer::bind(
        SocketAddr::from(([127, 0, 0, 1], 123)),
        Arc::new(SimClock::default()),
    ) {
        Ok(s) => s,
        // an NTP daemon holds the port: nothing to learn here
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!("127.0.0.1:123 is in use (an NTP daemon?): skipping");
            return;
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI runs as root and must bind 127.0.0.1:123: {e}"
            );
            eprintln!("cannot bind 127.0.0.1:123 ({e}; not root?): skipping");
            return;
        }
    };
    let ask = || {
        let out = Command::new("ntpdig")
            .args(["-j", "-t", "5", "127.0.0.1"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        number_after(&text, "\"offset\"").unwrap_or_else(|| {
            panic!(
                "ntpdig did not accept the answer: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let before = ask();
    server.set_offset(Duration::hours(1));
    let after = ask();
    assert!(
        ((after - before) - 3600.0).abs() < 5.0,
        "before {before} s, after {after} s"
    );
}
