//! The virtual My Number Card in a real reader: pcscd with the vsmartcard-vpcd driver, read by
//! OpenSC's tools (TOOLCHAIN.md §1). Runs when pcscd, the vpcd driver and opensc-tool are
//! installed and the test may start pcscd (root, none running); otherwise it says why and
//! passes. There is one pcscd per machine, so this is the only test that starts one.

use oqs_sim::reader::mynumber::{CardContents, FormFactor, MyNumberCard};
use oqs_sim::reader::vpcd::{self, Removal, SharedCard};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

fn card() -> SharedCard {
    Arc::new(Mutex::new(MyNumberCard::new(
        CardContents::transport_sample(FormFactor::Card),
    )))
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why this machine cannot run the test, if it cannot.
fn unavailable() -> Option<String> {
    for tool in ["pcscd", "opensc-tool"] {
        if !have(tool) {
            return Some(format!("{tool} is not installed"));
        }
    }
    if !Path::new(VPCD_DRIVER).exists() {
        return Some("vsmartcard-vpcd is not installed".into());
    }
    // SAFETY: a plain query of the process's user id.
    if unsafe { libc::geteuid() } != 0 {
        return Some("starting pcscd needs root".into());
    }
    if Command::new("pgrep")
        .args(["-x", "pcscd"])
        .status()
        .is_ok_and(|s| s.success())
    {
        return Some("a pcscd is already running (one per machine)".into());
    }
    None
}

/// pcscd as a child, stopped with SIGTERM so it removes its socket and pid file.
struct Pcscd(Child);

impl Drop for Pcscd {
    fn drop(&mut self) {
        // SAFETY: signalling our own child by its pid.
        unsafe {
            libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM);
        }
        for _ in 0..60 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // It did not stop: kill it and clear what it leaves behind.
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
        let _ = std::fs::remove_file("/run/pcscd/pcscd.pid");
    }
}

fn opensc(args: &[&str]) -> String {
    // bounded: an opensc-tool waiting on a reader must not hang the test run
    let o = Command::new("timeout")
        .arg("10")
        .arg("opensc-tool")
        .args(args)
        .output()
        .unwrap();

    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

// The card answers from a runtime thread while opensc-tool blocks this one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opensc_reads_the_virtual_card_through_pcscd_and_vpcd() {
    if let Some(why) = unavailable() {
        eprintln!("skipped: {why}");
        return;
    }
    // A free port for the reader (vpcd listens on it and the next one).
    let port = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.local_addr().unwrap().port().min(65000)
    };
    let conf = tempfile::tempdir().unwrap();
    std::fs::write(
        conf.path().join("vpcd"),
        format!(
            "FRIENDLYNAME \"oqs-kit Reader\"\nDEVICENAME /dev/null:0x{port:X}\nLIBPATH {VPCD_DRIVER}\nCHANNELID 0x{port:X}\n"
        ),
    )
    .unwrap();
    // A pcscd killed earlier leaves these behind and a new one refuses to start.
    let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
    let _ = std::fs::remove_file("/run/pcscd/pcscd.pid");
    let _pcscd = Pcscd(
        Command::new("pcscd")
            .arg("-f")
            .arg("-c")
            .arg(conf.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut inserted = None;
    for _ in 0..100 {
        if let Ok(i) = vpcd::insert(addr, card(), Removal::OnRequest).await {
            inserted = Some(i);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let inserted = inserted.expect("vpcd listens on its port");
    // vpcd polls for cards every 400 ms
    let mut atr = String::new();
    for _ in 0..40 {
        atr = opensc(&["-r", "0", "-a"]);
        if atr.contains("3b:e0") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(atr.contains("3b:e0:00:ff:81:31:fe:45:14"), "ATR: {atr}");
    let readers = opensc(&["-l"]);
    assert!(readers.contains("oqs-kit Reader"), "{readers}");
    let select = opensc(&[
        "-r",
        "0",
        "-s",
        "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
        "-s",
        "00 A4 02 0C 02 00 06",
        "-s",
        "00 B0 00 00 20",
    ]);
    assert!(select.contains("SW1=0x90, SW2=0x00"), "{select}");
    assert!(select.contains("JPKIAPICCTOKEN2"), "{select}");
    inserted.remove();
}
