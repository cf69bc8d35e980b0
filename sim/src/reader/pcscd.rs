//! A real PC/SC stack for the `@pcsc` scenarios, tools and benchmarks: `pcscd -f -c <dir>` as a
//! child process with one vsmartcard-vpcd device per reader, each on a free loopback port,
//! as TOOLCHAIN.md §1 found works without systemd:
//!
//! - one pcscd per machine (it ignores `PCSCLITE_CSOCK_NAME`), so the harness refuses to start
//!   while another runs, and callers run `@serial`;
//! - a pcscd killed with SIGKILL leaves `/run/pcscd/pcscd.comm` and `pcscd.pid`, which make
//!   the next one refuse to start: they are removed first, and ours is stopped with SIGTERM;
//! - vpcd polls for a card every 400 ms, so callers wait for "card present".
//!
//! A developer does the same by hand: `sudo pcscd -f -c DIR` with a file in DIR like the one
//! [`Pcscd::start`] writes, then `cargo xtask sim --pcsc`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Debian's vsmartcard-vpcd driver.
pub const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why this machine cannot start a pcscd with vpcd readers, if it cannot.
pub fn unavailable() -> Option<String> {
    if !have("pcscd") {
        return Some("pcscd is not installed (apt-get install pcscd)".into());
    }
    if !Path::new(VPCD_DRIVER).exists() {
        return Some("the vpcd driver is not installed (apt-get install vsmartcard-vpcd)".into());
    }
    // SAFETY: a plain query of the process's user id.
    if unsafe { libc::geteuid() } != 0 {
        return Some("starting pcscd needs root (it owns /run/pcscd)".into());
    }
    if Command::new("pgrep")
        .args(["-x", "pcscd"])
        .status()
        .is_ok_and(|s| s.success())
    {
        return Some("a pcscd is already running (there is one per machine); stop it first".into());
    }
    None
}

/// A running pcscd with one vpcd device of two slots, listed by PC/SC as
/// `<friendly name> 00 00` (cards connect to `127.0.0.1:port`) and `<friendly name> 00 01`
/// (`port + 1`). One device only: Debian's vpcd keeps its state per slot index, so a second
/// device's slots collide with the first's and no card is ever detected (seen here with three
/// devices). Dropped → SIGTERM, and pcscd's files are gone.
pub struct Pcscd {
    child: Child,
    _conf: tempfile::TempDir,
    pub friendly_name: String,
    pub port: u16,
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        // SAFETY: signalling our own child by its pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        for _ in 0..60 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        clear_stale_files();
    }
}

fn clear_stale_files() {
    let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
    let _ = std::fs::remove_file("/run/pcscd/pcscd.pid");
}

/// A free loopback port whose successor is free too (vpcd listens on both slots' ports).
fn free_port_pair() -> std::io::Result<u16> {
    for _ in 0..50 {
        let a = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        let p = a.local_addr()?.port();
        if p < 65000 && std::net::TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return Ok(p);
        }
    }
    Err(std::io::Error::other("no two free consecutive ports"))
}

impl Pcscd {
    /// Starts pcscd with the vpcd device and waits until pcscd takes clients. Fails with
    /// [`unavailable`]'s reason where that says so.
    pub fn start(friendly_name: &str) -> Result<Self, String> {
        if let Some(why) = unavailable() {
            return Err(why);
        }
        let conf = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = free_port_pair().map_err(|e| e.to_string())?;
        std::fs::write(
            conf.path().join("vpcd"),
            format!(
                "FRIENDLYNAME \"{friendly_name}\"\nDEVICENAME /dev/null:0x{port:X}\nLIBPATH {VPCD_DRIVER}\nCHANNELID 0x{port:X}\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        clear_stale_files();
        let child = Command::new("pcscd")
            .arg("-f")
            .arg("-c")
            .arg(conf.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("pcscd を起動できません: {e}"))?;
        let me = Self {
            child,
            _conf: conf,
            friendly_name: friendly_name.into(),
            port,
        };
        // the socket appears once pcscd is ready for clients
        let ready = (0..150).any(|_| {
            let ok = Path::new("/run/pcscd/pcscd.comm").exists();
            if !ok {
                std::thread::sleep(Duration::from_millis(20));
            }
            ok
        });
        if !ready {
            return Err("pcscd started but did not open /run/pcscd/pcscd.comm".into());
        }
        Ok(me)
    }

    /// Where a card in `slot` (0 or 1) connects.
    pub fn slot_addr(&self, slot: u8) -> std::net::SocketAddr {
        ([127, 0, 0, 1], self.port + u16::from(slot.min(1))).into()
    }

    /// The PC/SC reader name of `slot`.
    pub fn slot_name(&self, slot: u8) -> String {
        format!("{} 00 {:02}", self.friendly_name, slot.min(1))
    }

    /// Puts `card` into `slot` (connects the card to its vpcd port, retrying while vpcd
    /// is still loading). pcscd notices it at its next 400 ms poll.
    pub async fn insert(
        &self,
        slot: u8,
        card: super::vpcd::SharedCard,
        removal: super::vpcd::Removal,
    ) -> std::io::Result<super::vpcd::Inserted> {
        let addr = self.slot_addr(slot);
        let mut last = None;
        for _ in 0..150 {
            match super::vpcd::insert(addr, card.clone(), removal).await {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("vpcd does not listen")))
    }
}
