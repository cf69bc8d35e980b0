//! The linkage app of a scenario: the kit's own, in-process, or an external program speaking
//! the kit's line protocol (`conformance/TARGETS.md`):
//!
//! - the kit starts the program with `OQS_*` variables naming the terminal and its folders;
//! - the program prints `OQS-KIT ready` once it watches `req`, `OQS-KIT scan` after each look
//!   at `req`, and `OQS-KIT published <file>` for each result it moved into `res`; any other
//!   line on stdout or stderr is its log;
//! - the kit closes the program's stdin to stop it (OQSComAppRestart's first half), and kills
//!   it for a crash.

use super::Program;
use crate::KitWorld;
use anyhow::{Context, Result, bail};
use oqs_host::{Host, WinPath};
use oqs_linkage::{CrashPoint, Fault, LinkageApp, Options};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::sync::watch;

/// Scenario pacing: file-system timing only, the terminal's time is the World's.
pub const RESCAN: Duration = Duration::from_millis(25);
pub const SETTLE: Duration = Duration::from_millis(40);

/// Guards against a target that hangs (not timing tests).
const START_LIMIT: Duration = Duration::from_secs(30);
const STOP_LIMIT: Duration = Duration::from_secs(15);
const SCAN_LIMIT: Duration = Duration::from_secs(60);

pub enum Linkage {
    Builtin(LinkageApp),
    External(Box<External>),
}

/// Why the app did not start: what the person sees (the error, or the program's output).
pub struct NotStarted(pub String);

impl Linkage {
    /// Starts the run's linkage app on the scenario's terminal.
    pub async fn start(w: &KitWorld, fault: Option<Fault>) -> Result<Result<Self, NotStarted>> {
        w.sim().qualification().await?;
        match &super::current().linkage {
            None => {
                let options = Options {
                    rescan: RESCAN,
                    settle: SETTLE,
                    fault,
                    ..Options::default()
                };
                Ok(LinkageApp::start(w.terminal()?.clone(), options)
                    .await
                    .map(Self::Builtin)
                    .map_err(|e| NotStarted(e.to_string())))
            }
            Some(p) => Ok(External::start(w, p, fault)
                .await?
                .map(|e| Self::External(Box::new(e)))),
        }
    }

    pub fn log(&self) -> Vec<String> {
        match self {
            Self::Builtin(a) => a.log(),
            Self::External(e) => lock(&e.shared.log).clone(),
        }
    }

    pub fn published(&self) -> Vec<String> {
        match self {
            Self::Builtin(a) => a.published(),
            Self::External(e) => lock(&e.shared.published).clone(),
        }
    }

    /// Waits until the app has looked at `req` `n` more times.
    pub async fn wait_scans(&mut self, n: u64) -> Result<()> {
        match self {
            Self::Builtin(a) => {
                a.wait_scans(n).await;
                Ok(())
            }
            Self::External(e) => e.wait_scans(n).await,
        }
    }

    /// Stops after the request in hand.
    pub async fn stop(self) -> Result<()> {
        match self {
            Self::Builtin(a) => {
                a.stop().await;
                Ok(())
            }
            Self::External(e) => e.stop().await,
        }
    }

    /// Ends at once, as a killed process.
    pub async fn crash(self) {
        match self {
            Self::Builtin(a) => a.crash(),
            Self::External(mut e) => {
                let _ = e.child.kill().await;
            }
        }
    }

    /// Waits until the app ends by itself (an injected fault).
    pub async fn wait_ended(&mut self) -> Result<()> {
        match self {
            Self::Builtin(a) => {
                a.wait_ended().await;
                Ok(())
            }
            Self::External(e) => {
                tokio::time::timeout(SCAN_LIMIT, e.child.wait())
                    .await
                    .context("外部の連携アプリケーションが OQS_FAULT の時点で終了しません")??;
                Ok(())
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<String>>,
    published: Mutex<Vec<String>>,
}

/// An external linkage program (killed when the scenario's World goes).
pub struct External {
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    scans: watch::Receiver<u64>,
    ready: watch::Receiver<bool>,
}

/// `OQS_FAULT`'s value for a fault.
fn fault_spec(f: Fault) -> String {
    let at = match f.at {
        CrashPoint::Claimed => "claimed",
        CrashPoint::Prepared => "prepared",
        CrashPoint::Consumed => "consumed",
        CrashPoint::Published => "published",
    };
    format!("{at}:{}", f.request)
}

/// The variables a linkage target is started with (documented in TARGETS.md).
pub fn environment(w: &KitWorld, fault: Option<Fault>) -> Result<Vec<(String, String)>> {
    let t = w.terminal()?;
    let profile = oqs_proto::profile::Profile::builtin();
    let dir = |win: &str| -> Result<String> {
        let p = t.files().resolve(&WinPath::parse(win)?)?;
        std::fs::create_dir_all(&p)?;
        Ok(p.display().to_string())
    };
    let l = &profile.linkage;
    let mut env = super::environment(w)?;
    env.extend([
        ("OQS_REQ_DIR".into(), dir(&l.request_dir)?),
        ("OQS_RES_DIR".into(), dir(&l.result_dir)?),
        ("OQS_FACE_DIR".into(), dir(&l.face_dir)?),
        ("OQS_CONFIG_DIR".into(), dir(&l.config_dir)?),
        ("OQS_RESCAN_MS".into(), RESCAN.as_millis().to_string()),
        ("OQS_SETTLE_MS".into(), SETTLE.as_millis().to_string()),
    ]);
    if let Some(f) = fault {
        env.push(("OQS_FAULT".into(), fault_spec(f)));
    }
    Ok(env)
}

impl External {
    async fn start(
        w: &KitWorld,
        p: &Program,
        fault: Option<Fault>,
    ) -> Result<Result<Self, NotStarted>> {
        let (prog, args) = p.command.split_first().context("command が空です")?;
        let mut cmd = tokio::process::Command::new(prog);
        cmd.args(args)
            .envs(environment(w, fault)?)
            .envs(&p.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().with_context(|| {
            format!(
                "外部の連携アプリケーション「{}」を起動できません",
                p.command.join(" ")
            )
        })?;
        let shared = Arc::new(Shared::default());
        let (scans_tx, scans) = watch::channel(0u64);
        let (ready_tx, ready) = watch::channel(false);
        let stdout = child.stdout.take().context("stdout")?;
        let stderr = child.stderr.take().context("stderr")?;
        let s = shared.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match line.strip_prefix("OQS-KIT ") {
                    Some("ready") => {
                        ready_tx.send_replace(true);
                    }
                    Some("scan") => {
                        scans_tx.send_modify(|n| *n += 1);
                    }
                    Some(ev) if ev.starts_with("published ") => {
                        lock(&s.published).push(ev["published ".len()..].trim().to_owned());
                    }
                    _ => lock(&s.log).push(line),
                }
            }
        });
        let s = shared.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                lock(&s.log).push(line);
            }
        });
        let mut me = Self {
            stdin: child.stdin.take(),
            child,
            shared,
            scans,
            ready,
        };
        let ready = tokio::time::timeout(START_LIMIT, async {
            tokio::select! {
                r = me.ready.wait_for(|r| *r) => r.is_ok(),
                _ = me.child.wait() => false,
            }
        })
        .await;
        match ready {
            Ok(true) => Ok(Ok(me)),
            Ok(false) => {
                // let the readers take the last lines the program wrote
                tokio::time::sleep(Duration::from_millis(50)).await;
                let out = lock(&me.shared.log).join("\n");
                Ok(Err(NotStarted(out)))
            }
            Err(_) => bail!(
                "外部の連携アプリケーションが {} 秒たっても `OQS-KIT ready` と言いません。出力:\n{}",
                START_LIMIT.as_secs(),
                lock(&me.shared.log).join("\n")
            ),
        }
    }

    async fn wait_scans(&mut self, n: u64) -> Result<()> {
        let target = *self.scans.borrow() + n;
        match tokio::time::timeout(SCAN_LIMIT, self.scans.wait_for(|s| *s >= target)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => bail!(
                "外部の連携アプリケーションが終了しています。出力:\n{}",
                lock(&self.shared.log).join("\n")
            ),
            Err(_) => bail!(
                "外部の連携アプリケーションが {} 秒間 `OQS-KIT scan` と言いません",
                SCAN_LIMIT.as_secs()
            ),
        }
    }

    async fn stop(mut self) -> Result<()> {
        drop(self.stdin.take());
        match tokio::time::timeout(STOP_LIMIT, self.child.wait()).await {
            Ok(status) => {
                status?;
                Ok(())
            }
            Err(_) => {
                let _ = self.child.kill().await;
                bail!(
                    "外部の連携アプリケーションが標準入力を閉じても {} 秒以内に終了しません（停止の合図です）",
                    STOP_LIMIT.as_secs()
                )
            }
        }
    }
}
