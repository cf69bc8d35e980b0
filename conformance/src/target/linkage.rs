//! The linkage app of a scenario: the kit's own, in-process, or an external program speaking
//! the kit's line protocol (`conformance/TARGETS.md`):
//!
//! - the kit starts the program with `OQS_*` variables naming the terminal and its folders;
//! - the program prints `OQS-KIT ready` once it watches `req`, and `OQS-KIT published <file>`
//!   for each result it moved into `res`; any other line on stdout or stderr is its log;
//! - to wait for the app to have looked at `req`, the kit writes `sync <n>` on its stdin and
//!   the program answers `OQS-KIT synced <n>` once a whole look at `req` that began after it
//!   read the line is done (answers included);
//! - the kit closes the program's stdin to stop it (OQSComAppRestart's first half), and kills
//!   its process group for a crash.

use super::Program;
use crate::KitWorld;
use anyhow::{Context, Result, bail};
use oqs_host::{Host, WinPath};
use oqs_linkage::{CrashPoint, Fault, LinkageApp, Options};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin};
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
                    // a HIS target's requests are inspected as they arrive: the app waits the
                    // settle time, so the inspector keeps each request before it is taken
                    moved_at_once: super::current().his.is_none(),
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

    /// Stops after the request in hand; the results it published.
    pub async fn stop(self) -> Result<Vec<String>> {
        match self {
            Self::Builtin(a) => Ok(a.stop().await),
            Self::External(e) => e.stop().await,
        }
    }

    /// Ends at once, as a killed process; the results it said it published.
    pub async fn crash(self) -> Vec<String> {
        match self {
            Self::Builtin(a) => {
                let p = a.published();
                a.crash();
                p
            }
            Self::External(mut e) => {
                super::process::kill_group(&e.child);
                let _ = e.child.wait().await;
                e.drain().await;
                lock(&e.shared.published).clone()
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
                e.drain().await;
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

/// Log lines kept of an external program, as the kit's own app keeps.
const KEPT: usize = 10_000;

fn keep(list: &Mutex<Vec<String>>, line: String) {
    let mut l = lock(list);
    if l.len() == KEPT {
        l.remove(0);
    }
    l.push(line);
}

/// An external linkage program (its process group killed when the scenario's World goes).
pub struct External {
    child: Child,
    _group: super::process::Group,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    /// The highest `synced <n>` answered, and the last `sync <n>` asked.
    synced: watch::Receiver<u64>,
    asked: u64,
    ready: watch::Receiver<bool>,
    readers: Vec<JoinHandle<()>>,
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
        let mut cmd = super::process::command(&p.command)?;
        cmd.envs(environment(w, fault)?)
            .envs(&p.env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| {
            format!(
                "外部の連携アプリケーション「{}」を起動できません",
                p.command.join(" ")
            )
        })?;
        let group = super::process::Group::of(&child);
        let shared = Arc::new(Shared::default());
        let (synced_tx, synced) = watch::channel(0u64);
        let (ready_tx, ready) = watch::channel(false);
        let stdout = child.stdout.take().context("stdout")?;
        let stderr = child.stderr.take().context("stderr")?;
        let s = shared.clone();
        let out = tokio::spawn(super::process::each_line(stdout, move |line| {
            match line.strip_prefix("OQS-KIT ") {
                Some("ready") => {
                    ready_tx.send_replace(true);
                }
                Some(ev) if ev.starts_with("synced ") => {
                    if let Ok(n) = ev["synced ".len()..].trim().parse::<u64>() {
                        synced_tx.send_modify(|m| *m = (*m).max(n));
                    }
                }
                Some(ev) if ev.starts_with("published ") => {
                    lock(&s.published).push(ev["published ".len()..].trim().to_owned());
                }
                _ => keep(&s.log, line),
            }
        }));
        let s = shared.clone();
        let err = tokio::spawn(super::process::each_line(stderr, move |line| {
            keep(&s.log, line)
        }));
        let mut me = Self {
            stdin: child.stdin.take(),
            child,
            _group: group,
            shared,
            synced,
            asked: 0,
            ready,
            readers: vec![out, err],
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
                // it ended before `ready`: what it printed, to the last line, is the reason
                super::process::kill_group(&me.child);
                me.drain().await;
                let out = lock(&me.shared.log).join("\n");
                Ok(Err(NotStarted(out)))
            }
            Err(_) => bail!(
                "外部の連携アプリケーションが {} 秒たっても `OQS-KIT ready` と言いません（stdout は行ごとに flush してください）。出力:\n{}",
                START_LIMIT.as_secs(),
                lock(&me.shared.log).join("\n")
            ),
        }
    }

    /// `n` round trips of `sync`: each answer comes after a whole look at `req` that began
    /// after the question, so what the scenario did before is seen.
    async fn wait_scans(&mut self, n: u64) -> Result<()> {
        for _ in 0..n {
            self.asked += 1;
            let k = self.asked;
            let stdin = self
                .stdin
                .as_mut()
                .context("外部の連携アプリケーションは停止しています")?;
            let asked = async {
                stdin.write_all(format!("sync {k}\n").as_bytes()).await?;
                stdin.flush().await
            };
            if let Err(e) = asked.await {
                bail!(
                    "外部の連携アプリケーションに `sync {k}` を送れません（終了しています？）: {e}。出力:\n{}",
                    lock(&self.shared.log).join("\n")
                );
            }
            match tokio::time::timeout(SCAN_LIMIT, self.synced.wait_for(|s| *s >= k)).await {
                Ok(Ok(_)) => {}
                Ok(Err(_)) => bail!(
                    "外部の連携アプリケーションが終了しています。出力:\n{}",
                    lock(&self.shared.log).join("\n")
                ),
                Err(_) => bail!(
                    "外部の連携アプリケーションが {} 秒たっても `OQS-KIT synced {k}` と言いません",
                    SCAN_LIMIT.as_secs()
                ),
            }
        }
        Ok(())
    }

    /// Reads what the ended program left in its pipes.
    async fn drain(&mut self) {
        for r in self.readers.drain(..) {
            let _ = tokio::time::timeout(STOP_LIMIT, r).await;
        }
    }

    async fn stop(mut self) -> Result<Vec<String>> {
        drop(self.stdin.take());
        match tokio::time::timeout(STOP_LIMIT, self.child.wait()).await {
            Ok(status) => {
                status?;
                self.drain().await;
                Ok(lock(&self.shared.published).clone())
            }
            Err(_) => {
                super::process::kill_group(&self.child);
                bail!(
                    "外部の連携アプリケーションが標準入力を閉じても {} 秒以内に終了しません（停止の合図です）",
                    STOP_LIMIT.as_secs()
                )
            }
        }
    }
}
