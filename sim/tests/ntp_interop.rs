//! The SNTP server answered by a real client from Debian: chrony (`chronyd -Q`), which can ask
//! any port, so the server binds `127.0.0.1:0` like every service of the kit. (ntpsec's `ntpdig`
//! and `ntpdate` ask only port 123, TOOLCHAIN.md §5, so they are not used.) Skipped, saying why,
//! without chrony, except in CI, which installs it.
//!
//! The sim clock is not the machine's clock, so the client reports some large offset; what
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
        oqs_testkit::missing_tool(tool, "apt-get install chrony");
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
