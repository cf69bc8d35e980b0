//! The running linkage app: watches `req` (file events, with a periodic rescan as fallback),
//! answers each request once its file has stopped changing, and publishes the answer with the
//! protocol of [`crate::folders`]. Start it, stop it (`OQSComAppRestart` is a stop and a start),
//! or let it crash: it picks up where it stopped.

use crate::answer::{self, Answer, Ctx, Failure, OutFile};
use crate::folders::{Folders, Published, Read, Stamp, base};
use crate::par::{cores, par_map};
use crate::settings::{Settings, SetupError};
use oqs_client::{CallError, QualificationClient};
use oqs_host::Host;
use oqs_proto::api::{
    BulkAccepted, BulkCheckDownload, BulkRegistrationDownload, ReferenceNumberRegistration,
};
use oqs_proto::linkage::message::Request;
use oqs_proto::linkage::{Extension, FileName, RequestKind};
use oqs_proto::profile::Profile;
use oqs_proto::qualification::{QualificationResult, SearchInfo};
use oqs_proto::settings::CharacterCode;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// How the app paces itself (file-system timing on this machine, not the terminal's clock),
/// and an optional injected crash.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rescan of `req` when no file event arrives (events can be lost, e.g. on network shares).
    pub rescan: Duration,
    /// A file must keep its size and time this long before it is read.
    pub settle: Duration,
    /// A file the file system reports as renamed into `req` is complete and taken at once;
    /// `false` makes it wait the settle time like a file written in place (an observer that
    /// must see each request before the app takes it, like the kit's HIS inspector, needs it).
    pub moved_at_once: bool,
    pub profile: Profile,
    /// Stop dead at a step of the file protocol, as a killed process would (for the scenarios
    /// that prove nothing is lost or answered twice at any point).
    pub fault: Option<Fault>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rescan: Duration::from_secs(1),
            settle: Duration::from_millis(200),
            moved_at_once: true,
            profile: Profile::builtin().clone(),
            fault: None,
        }
    }
}

/// The steps of the file protocol ([`crate::folders`]) a crash can follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// The request was moved into the work folder.
    Claimed,
    /// The answer was written, durably, into the work folder.
    Prepared,
    /// The request was removed.
    Consumed,
    /// The answer was moved into `res`.
    Published,
}

/// Crash right after `at` for the `request`-th request taken (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub at: CrashPoint,
    pub request: usize,
}

/// What the app did, for people (the log) and for scenarios. Both lists keep the newest
/// [`KEPT`] entries, so an app running for months does not grow without end.
#[derive(Default)]
struct Shared {
    log: Mutex<VecDeque<String>>,
    /// Answers published, by result file name, in order.
    published: Mutex<VecDeque<String>>,
}

const KEPT: usize = 10_000;

fn keep(list: &Mutex<VecDeque<String>>, line: String) {
    let mut l = list.lock().unwrap_or_else(|e| e.into_inner());
    if l.len() == KEPT {
        l.pop_front();
    }
    l.push_back(line);
}

pub struct LinkageApp {
    task: JoinHandle<()>,
    stop: Arc<Notify>,
    scans: watch::Receiver<u64>,
    shared: Arc<Shared>,
}

impl LinkageApp {
    /// Reads the settings (a missing credential stops the start with its name) and starts.
    pub async fn start(host: Arc<dyn Host>, options: Options) -> Result<Self, SetupError> {
        let settings = Settings::load(host.as_ref(), &options.profile)?;
        let folders = settings.folders(host.as_ref())?;
        let lock = single_instance(&folders, &settings).await?;
        let (scans_tx, scans) = watch::channel(0u64);
        let stop = Arc::new(Notify::new());
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            client: QualificationClient::new(
                host.clone(),
                settings.institution.clone(),
                settings.login.account(),
                "OqsComApp (oqs-kit)",
            ),
            host,
            settings,
            folders,
            options,
            shared: shared.clone(),
            seen: HashMap::new(),
            moved_in: Arc::default(),
            warned: BTreeSet::new(),
            taken: 0,
            crashed: false,
            unwritten: HashMap::new(),
            retry: None,
            _lock: lock,
        };
        let task = tokio::spawn(worker.run(stop.clone(), scans_tx));
        Ok(Self {
            task,
            stop,
            scans,
            shared,
        })
    }

    /// Stops after the request in hand (OQSComAppRestart's first half); the result files it
    /// published, in order.
    pub async fn stop(mut self) -> Vec<String> {
        self.stop.notify_one();
        let _ = (&mut self.task).await;
        self.published()
    }

    /// Ends at once, wherever it is (a crash, or the process killed).
    pub fn crash(self) {
        self.task.abort();
    }

    /// Waits until the app has ended by itself (an injected [`Fault`]).
    pub async fn wait_ended(&mut self) {
        let _ = (&mut self.task).await;
    }

    /// Waits until the app has looked at `req` `n` more times; false if it ended first.
    pub async fn wait_scans(&mut self, n: u64) -> bool {
        let target = *self.scans.borrow() + n;
        self.scans.wait_for(|s| *s >= target).await.is_ok()
    }

    /// The app's log lines so far (the newest 10,000).
    pub fn log(&self) -> Vec<String> {
        let l = self.shared.log.lock().unwrap_or_else(|e| e.into_inner());
        l.iter().cloned().collect()
    }

    /// Result files published so far, in order.
    pub fn published(&self) -> Vec<String> {
        let l = self
            .shared
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        l.iter().cloned().collect()
    }
}

/// An app dropped without `stop` ends like a killed process.
impl Drop for LinkageApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Requests answered together, at most: each step of the file protocol is made durable once
/// per group.
const GROUP: usize = 64;

/// What the app remembers of a file it has seen but not taken yet.
struct Seen {
    stamp: Stamp,
    since: Instant,
    /// The terminal's time when it was first seen (for the incomplete-request limit).
    first_seen: OffsetDateTime,
}

struct Worker {
    host: Arc<dyn Host>,
    settings: Settings,
    folders: Folders,
    client: QualificationClient,
    options: Options,
    shared: Arc<Shared>,
    seen: HashMap<String, Seen>,
    /// Names the file system reported as renamed into `req` and not written there since: a
    /// HIS that writes elsewhere and moves the file in (the interface's way) hands over a
    /// complete file, so it is taken at once instead of after the settle time.
    moved_in: Arc<Mutex<HashSet<String>>>,
    /// Names already warned about, so the log says it once.
    warned: BTreeSet<String>,
    /// Requests taken so far, and whether an injected fault has stopped the app.
    taken: usize,
    crashed: bool,
    /// Answers the server gave whose result could not be written yet (disk full, a folder
    /// gone), by request name: the next try writes them without asking the server again.
    unwritten: HashMap<String, OutFile>,
    /// When requests left in the work folder are tried again, and the wait after that.
    retry: Option<(Instant, Duration)>,
    /// Held while the app runs: a second app on the same terminal cannot start.
    _lock: std::fs::File,
}

/// Answers kept for a later write, at most: past it the server is asked again.
const UNWRITTEN: usize = 4096;

/// Takes the terminal's single-instance lock (`<work>\OQSComApp.lock`). A predecessor that
/// was killed a moment ago may still hold it for a moment: waits up to 2 s.
async fn single_instance(
    folders: &Folders,
    settings: &Settings,
) -> Result<std::fs::File, SetupError> {
    let path = folders.inflight.with_file_name("OQSComApp.lock");
    let io = |source| SetupError::Io {
        what: "ロックファイル",
        path: format!("{}\\OQSComApp.lock", settings.work_dir),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    for _ in 0..40 {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
    Err(SetupError::AlreadyRunning(settings.work_dir.to_string()))
}

impl Worker {
    fn log(&self, msg: impl std::fmt::Display) {
        let t = self
            .host
            .clock()
            .now_jst()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap_or_default();
        let line = format!("{t} {msg}");
        tracing::info!(target: "oqs_linkage", "{line}");
        keep(&self.shared.log, line);
    }

    /// Whether the injected fault strikes now, at `point` of the `request`-th request taken.
    fn crash_at(&mut self, point: CrashPoint, request: usize) -> bool {
        if self.options.fault == Some(Fault { at: point, request }) {
            self.crashed = true;
        }
        self.crashed
    }

    /// A file in `req` that cannot be read: it stays there, and the log says so once.
    fn warn_unreadable(&mut self, on_disk: &str, why: &dyn std::fmt::Display) {
        self.warn_once(
            format!("unreadable:{on_disk}"),
            format!(
                "要求ファイル「{on_disk}」を読めません: {why}。要求フォルダに残しています。HIS側でファイルを閉じているか、アクセス権を確認してください"
            ),
        );
    }

    fn warn_once(&mut self, key: String, msg: impl std::fmt::Display) {
        if self.warned.insert(key) {
            self.log(msg);
        }
    }

    async fn run(mut self, stop: Arc<Notify>, scans: watch::Sender<u64>) {
        let events = Arc::new(Notify::new());
        let _watcher = self.watch(events.clone(), self.moved_in.clone());
        self.log(format!(
            "連携アプリケーションを開始しました（要求: {}、結果: {}）",
            self.settings.request_dir, self.settings.result_dir
        ));
        if let Err(e) = self.client.ensure_session().await {
            self.log(format!("[{}] {e}", e.result_id()));
        }

        let mut count = 0u64;
        loop {
            let unsettled = match self.scan_once().await {
                Ok(u) => u,
                Err(e) => {
                    self.log(format!(
                        "要求フォルダ「{}」を読めません: {e}",
                        self.settings.request_dir
                    ));
                    false
                }
            };
            if self.crashed {
                return;
            }
            self.delete_forgotten();
            count += 1;
            scans.send_replace(count);
            let wait = if unsettled {
                self.options.settle
            } else {
                self.options.rescan
            };
            tokio::select! {
                _ = stop.notified() => break,
                _ = events.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
        self.log("連携アプリケーションを停止しました");
    }

    fn watch(
        &self,
        events: Arc<Notify>,
        moved_in: Arc<Mutex<HashSet<String>>>,
    ) -> Option<notify::RecommendedWatcher> {
        use notify::Watcher;
        use notify::event::{EventKind, ModifyKind, RenameMode};
        let mut w = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
            let Ok(ev) = e else {
                events.notify_one();
                return;
            };
            // Opening and reading (our own scans included) are not changes.
            if ev.kind.is_access() {
                return;
            }
            let name = |p: Option<&std::path::PathBuf>| {
                p.and_then(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            };
            let arrived = match ev.kind {
                EventKind::Modify(ModifyKind::Name(RenameMode::To)) => name(ev.paths.first()),
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => name(ev.paths.get(1)),
                _ => None,
            };
            {
                let mut m = moved_in.lock().unwrap_or_else(|e| e.into_inner());
                match arrived {
                    Some(n) => {
                        m.insert(n);
                    }
                    // created or written in place: the settle time applies again
                    None if ev.kind.is_create() || ev.kind.is_modify() => {
                        for n in ev.paths.iter().filter_map(|p| name(Some(p))) {
                            m.remove(&n);
                        }
                    }
                    None => {}
                }
            }
            events.notify_one();
        })
        .ok()?;
        match w.watch(&self.folders.req, notify::RecursiveMode::NonRecursive) {
            Ok(()) => Some(w),
            Err(e) => {
                self.log(format!(
                    "要求フォルダの監視を開始できません（{}秒ごとの確認で続けます）: {e}",
                    self.options.rescan.as_secs_f32()
                ));
                None
            }
        }
    }

    /// Finishes what a crash (or a failed disk operation) left half done: answers already
    /// prepared are published, after removing their request if that step was cut short;
    /// requests taken with no prepared answer are answered (nothing of theirs went out).
    /// Runs at start and before every scan.
    async fn resume(&mut self) -> std::io::Result<()> {
        let prepared = self.folders.prepared()?;
        // one answer that cannot go out (its request cannot be removed, `res` refuses it)
        // waits, named once; the others and the scan go on
        let mut consumed = Vec::new();
        for r in &prepared {
            let removed = Folders::requests_of(r)
                .iter()
                .try_for_each(|x| self.folders.consume(x));
            match removed {
                Ok(()) => consumed.push(r),
                Err(e) => self.warn_once(
                    format!("consume:{r}"),
                    format!("結果ファイル「{r}」の要求を作業フォルダから削除できません: {e}"),
                ),
            }
        }
        if !consumed.is_empty() {
            self.folders.sync_consumed();
            for r in consumed {
                if let Err(e) = self.publish(r) {
                    self.warn_once(
                        format!("publish:{r}"),
                        format!(
                            "結果ファイル「{r}」を結果フォルダ「{}」に出力できません: {e}",
                            self.settings.result_dir
                        ),
                    );
                }
            }
            self.folders.sync_published();
        }
        let inflight = self.folders.inflight()?;
        // a kept answer belongs to the request still waiting in the work folder, and to no
        // later request of the same name
        let waiting: BTreeSet<String> = inflight.iter().map(ToString::to_string).collect();
        self.unwritten.retain(|k, _| waiting.contains(k));
        if self.retry.is_some_and(|(at, _)| Instant::now() < at) {
            return Ok(());
        }
        let mut left = Vec::new();
        for x in inflight {
            if !self.unwritten.contains_key(&x.to_string()) {
                self.log(format!("処理途中だった要求「{x}」を処理します"));
            }
            self.taken += 1;
            left.push((x, self.taken, None));
        }
        self.answer_all(left).await;
        Ok(())
    }

    fn publish(&mut self, r: &FileName) -> std::io::Result<()> {
        match self.folders.publish(r)? {
            Published::Done => {
                keep(&self.shared.published, r.to_string());
                self.warned.remove(&format!("blocked:{r}"));
                self.log(format!("結果ファイル「{r}」を出力しました"));
            }
            Published::Blocked => self.warn_once(
                format!("blocked:{r}"),
                format!(
                    "結果フォルダに同名のファイル「{r}」が残っているため、新しい結果を出力できません。HIS側で取り出すと出力します"
                ),
            ),
        }
        Ok(())
    }

    /// One look into `req`; true when some file is still settling.
    async fn scan_once(&mut self) -> std::io::Result<bool> {
        self.recreate_folders()?;
        // Left-overs first; also answers waiting for a blocked name go out once it is free.
        self.resume().await?;
        if self.crashed {
            return Ok(false);
        }
        let scan = self.folders.scan()?;
        for (name, why) in &scan.ignored {
            self.warn_once(
                format!("ignored:{name}"),
                format!("要求フォルダのファイル「{name}」は処理しません: {why}"),
            );
        }
        for (name, why) in &scan.unreadable {
            self.warn_unreadable(name, why);
        }
        self.forget_gone(&scan);
        let (ready, unsettled) = self.settled(scan.requests)?;
        // every ready request is claimed, then answered as a group (see `answer_all`)
        let mut claimed = Vec::new();
        for (name, on_disk, first_seen) in ready {
            if self.crashed {
                break;
            }
            if let Some(c) = self.claim_one(name, &on_disk, first_seen) {
                claimed.push(c);
            }
        }
        if !claimed.is_empty() {
            self.folders.sync_claimed();
        }
        self.answer_all(claimed).await;
        Ok(unsettled)
    }

    /// A folder someone deleted is made again, and the log says so.
    fn recreate_folders(&mut self) -> std::io::Result<()> {
        for made in self.folders.recreate_missing()? {
            let name = if made == self.folders.res {
                format!("結果フォルダ「{}」", self.settings.result_dir)
            } else if made == self.folders.req {
                format!("要求フォルダ「{}」", self.settings.request_dir)
            } else {
                format!("作業フォルダ「{}」", self.settings.work_dir)
            };
            self.log(format!("{name}がなかったため作り直しました"));
        }
        Ok(())
    }

    /// Forgets what it knew of names that have left `req`, so every set stays bounded by what
    /// is in `req`, and the same trouble with a later file of that name is said again.
    fn forget_gone(&mut self, scan: &crate::folders::Scan) {
        // interface names (what `seen` keys) and names on disk (what file events and the
        // unreadable warnings carry; they differ for an upper-case extension)
        let present: BTreeSet<String> = scan
            .requests
            .iter()
            .flat_map(|r| [r.0.to_string(), r.1.clone()])
            .chain(scan.unreadable.iter().map(|u| u.0.clone()))
            .collect();
        let ignored: BTreeSet<&str> = scan.ignored.iter().map(|i| i.0.as_str()).collect();
        self.warned.retain(|w| match w.split_once(':') {
            Some((
                "ignored" | "duplicate" | "inflight" | "incomplete" | "unreadable" | "claim",
                n,
            )) => present.contains(n) || ignored.contains(n),
            _ => true,
        });
        self.seen.retain(|k, _| present.contains(k));
        // one arriving during this scan just waits the settle time
        self.moved_in
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k| present.contains(k));
    }

    /// The requests ready to be taken — settled (or moved in at once), and not waiting for
    /// another request of the same answer name — with the time each was first seen; and
    /// whether some file is still settling.
    #[allow(clippy::type_complexity)]
    fn settled(
        &mut self,
        requests: Vec<(FileName, String, Stamp)>,
    ) -> std::io::Result<(Vec<(FileName, String, OffsetDateTime)>, bool)> {
        let now = Instant::now();
        let mut unsettled = false;
        let mut ready = Vec::new();
        // one request per answer name at a time: `X.xml` and `X.zip` (or `X.XML`) answer into
        // the same name, so the second waits for the first to be answered and taken
        let mut bases = HashSet::new();
        let busy = self.folders.busy()?;
        for (name, on_disk, stamp) in requests {
            let key = name.to_string();
            if !bases.insert(base(&name)) {
                self.warn_once(
                    format!("inflight:{on_disk}"),
                    format!("要求ファイル「{on_disk}」は、同じ名前の別の要求を先に処理するため待機します"),
                );
                continue;
            }
            // A request of the same name still being answered (its answer failed to go out):
            // taking this one would overwrite it.
            if busy.contains(&base(&name)) {
                self.warn_once(
                    format!("inflight:{key}"),
                    format!("要求ファイル「{key}」は、同じ名前の前の要求を処理中のため待機します"),
                );
                continue;
            }
            if let Some(existing) = self.folders.result_in_res(&name) {
                self.warn_once(
                    format!("duplicate:{key}"),
                    format!(
                        "要求ファイル「{key}」は、同じ名前の前の要求の結果「{existing}」がまだ結果フォルダにあるため待機します。結果を取り出すか、要求ファイル名の任意部分を変えてください"
                    ),
                );
                continue;
            }
            let host_now = self.host.clock().now();
            let seen = self.seen.entry(key.clone()).or_insert(Seen {
                stamp,
                since: now,
                first_seen: host_now,
            });
            if seen.stamp != stamp {
                seen.stamp = stamp;
                seen.since = now;
                unsettled = true;
                continue;
            }
            let moved_in = self.options.moved_at_once
                && self
                    .moved_in
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    // the file system reports the name on disk
                    .contains(&on_disk);
            if !moved_in && now.duration_since(seen.since) < self.options.settle {
                unsettled = true;
                continue;
            }
            ready.push((name, on_disk, seen.first_seen));
        }
        Ok((ready, unsettled))
    }

    /// Reads a ready request while it is still in `req` (a file that cannot be read stays
    /// there, reported) and moves it to the work folder; `None` when it stays in `req`.
    fn claim_one(
        &mut self,
        name: FileName,
        on_disk: &str,
        first_seen: OffsetDateTime,
    ) -> Option<(FileName, usize, Option<Failure>)> {
        let key = name.to_string();
        let max = self.options.profile.linkage.max_request_bytes;
        let read = match crate::folders::read_at_most(&self.folders.req.join(on_disk), max) {
            Ok(r) => r,
            Err(e) => {
                self.warn_unreadable(on_disk, &e);
                return None;
            }
        };
        let mut incomplete = None;
        if let Read::Bytes(bytes) = &read
            && name.extension == Extension::Xml
            && answer::looks_incomplete(bytes)
        {
            incomplete = Some(self.still_writing(&key, first_seen)?);
        }
        if read == Read::TooLarge {
            incomplete = Some(too_large(on_disk, max));
        }
        match self.folders.claim(&name, on_disk) {
            Ok(true) => {}
            Ok(false) => return None,
            // held open by the HIS (a sharing violation on Windows): it waits in `req`
            Err(e) => {
                self.warn_once(
                    format!("claim:{on_disk}"),
                    format!(
                        "要求ファイル「{on_disk}」を作業フォルダに移せません（待機します）: {e}"
                    ),
                );
                return None;
            }
        }
        self.taken += 1;
        if self.crash_at(CrashPoint::Claimed, self.taken) {
            return None;
        }
        self.seen.remove(&key);
        self.moved_in
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(on_disk);
        self.warned.remove(&format!("incomplete:{key}"));
        self.warned.remove(&format!("unreadable:{on_disk}"));
        Some((name, self.taken, incomplete))
    }

    /// A request that looks half-written: `None` while it may still be being written (it
    /// waits), then the failure its result reports.
    fn still_writing(&mut self, key: &str, first_seen: OffsetDateTime) -> Option<Failure> {
        let minutes = self.options.profile.linkage.incomplete_request_minutes;
        let limit = time::Duration::minutes(minutes.into());
        if self.host.clock().now() - first_seen < limit {
            self.warn_once(
                format!("incomplete:{key}"),
                format!("要求ファイル「{key}」は書き込み途中のため待機します"),
            );
            return None;
        }
        Some(Failure::new(
            "incomplete_request",
            format!(
                "「{key}」が{}分以上書きかけのままです。HIS側で作り直してください",
                limit.whole_minutes()
            ),
        ))
    }

    fn ctx(&self, kind_prefix: &str) -> Ctx<'_> {
        Ctx {
            now: self.host.clock().now(),
            institution: &self.settings.institution,
            character_code: self
                .client
                .settings
                .as_ref()
                .map_or(CharacterCode::Utf8, |s| s.character_code),
            encrypted: self.settings.encrypt.encrypts(kind_prefix),
            crypt: self.settings.crypt.as_ref(),
            profile: &self.options.profile,
        }
    }

    /// Answers requests already in `inflight` (`(name, index among the requests taken, a
    /// failure decided already)`), following the file protocol in groups: every answer is
    /// prepared, then every request removed, then every answer published, each step made
    /// durable once for the group, so that at any crash each request is in exactly one of
    /// inflight, prepared or published, as with one request at a time. An error of the disk
    /// leaves a request (or its prepared answer) in the work folder, where the next scan's
    /// `resume` takes it up.
    async fn answer_all(&mut self, claimed: Vec<(FileName, usize, Option<Failure>)>) {
        // groups of a bounded size: the first answers go out while a long queue is still
        // being asked, and a group's answers held in memory stay few
        let mut claimed = claimed.into_iter().peekable();
        while claimed.peek().is_some() && !self.crashed {
            let group: Vec<_> = claimed.by_ref().take(GROUP).collect();
            self.answer_group(group).await;
        }
    }

    /// One group of [`Self::answer_all`].
    async fn answer_group(&mut self, claimed: Vec<(FileName, usize, Option<Failure>)>) {
        if self.crashed {
            return;
        }
        let answers = self.answer_files(claimed).await;
        let prepared = self.prepare(answers);
        if prepared.is_empty() {
            return;
        }
        self.folders.sync_prepared();
        let mut consumed = Vec::new();
        for (name, index, out) in prepared {
            if self.crashed {
                break;
            }
            if let Err(e) = self.folders.consume(&name) {
                self.log(format!("結果ファイル「{out}」を出力できません: {e}"));
                continue;
            }
            consumed.push((index, out));
            if self.crash_at(CrashPoint::Consumed, index) {
                break;
            }
        }
        self.folders.sync_consumed();
        for (index, out) in consumed {
            if self.crashed {
                break;
            }
            if let Err(e) = self.publish(&out) {
                self.log(format!("結果ファイル「{out}」を出力できません: {e}"));
                continue;
            }
            if self.crash_at(CrashPoint::Published, index) {
                break;
            }
        }
        self.folders.sync_published();
    }

    /// Writes the answers beside their final names (not yet visible to the HIS). An answer
    /// that cannot be written is kept, and the writes are tried again later with a growing
    /// wait, not every scan; the request stays in the work folder meanwhile.
    fn prepare(
        &mut self,
        answers: Vec<(FileName, usize, OutFile, std::time::SystemTime)>,
    ) -> Vec<(FileName, usize, FileName)> {
        let written = self.folders.prepare_all(
            &answers
                .iter()
                .map(|(_, _, f, at)| (f.name.clone(), f.bytes.as_slice(), *at))
                .collect::<Vec<_>>(),
        );
        let mut prepared = Vec::new();
        let mut failed = None;
        for ((name, index, file, _), w) in answers.into_iter().zip(written) {
            if self.crashed {
                break;
            }
            if let Err(e) = w {
                failed.get_or_insert_with(|| format!("結果ファイル「{}」: {e}", file.name));
                if self.unwritten.len() < UNWRITTEN {
                    self.unwritten.insert(name.to_string(), file);
                }
                continue;
            }
            self.unwritten.remove(&name.to_string());
            prepared.push((name, index, file.name));
            if self.crash_at(CrashPoint::Prepared, index) {
                break;
            }
        }
        match failed {
            Some(first) => {
                let wait = self.retry.map_or(Duration::from_secs(1), |(_, w)| {
                    (w * 2).min(Duration::from_secs(
                        self.options.profile.linkage.write_retry_max_seconds.into(),
                    ))
                });
                self.retry = Some((Instant::now() + wait, wait));
                self.log(format!(
                    "結果ファイルを出力できません（{first}）。サーバーの回答は保持し、{}秒後に書き込みを再試行します",
                    wait.as_secs()
                ));
            }
            // the wait starts again only when nothing is left unwritten
            None if self.unwritten.is_empty() => self.retry = None,
            None => {}
        }
        prepared
    }

    /// The answers to a group of requests in `inflight`, in three steps: the requests are read
    /// and opened (decrypted, parsed) on every core at once, the server is asked one request at
    /// a time on the kept connection, and the results are rendered (and sealed) on every core
    /// again. Decryption and sealing cost a key derivation each: done one after another they
    /// were most of an encrypted answer's time. A request whose file cannot be read for a
    /// moment (out of descriptors) gets no answer now and waits in the work folder.
    async fn answer_files(
        &mut self,
        claimed: Vec<(FileName, usize, Option<Failure>)>,
    ) -> Vec<(FileName, usize, OutFile, std::time::SystemTime)> {
        let opened = self.open_all(&claimed);
        let asked = self.ask_all(claimed, opened).await;
        let files = self.render_all(&asked);
        let mut out = Vec::with_capacity(files.len());
        for ((name, index, _), (file, failure)) in asked.into_iter().zip(files) {
            if let Some(f) = failure {
                self.log(format!("要求「{name}」はエラーです {f}"));
            }
            out.push((name, index, file, self.host.clock().now().into()));
        }
        out
    }

    /// Step 1: each request read and opened (decrypted, parsed), on every core at once.
    fn open_all(&self, claimed: &[(FileName, usize, Option<Failure>)]) -> Vec<Opened> {
        let max = self.options.profile.linkage.max_request_bytes;
        let ctxs: Vec<Ctx<'_>> = claimed.iter().map(|c| self.ctx(&c.0.prefix())).collect();
        let items: Vec<_> = claimed.iter().zip(&ctxs).collect();
        let (folders, unwritten) = (&self.folders, &self.unwritten);
        par_map(&items, cores(), |((name, _, forced), ctx)| {
            if let Some(kept) = unwritten.get(&name.to_string()) {
                return Opened::Answered(kept.clone());
            }
            if let Some(f) = forced {
                return Opened::Failed(None, f.clone());
            }
            match folders.read_inflight(name, max) {
                Ok(Read::Bytes(b)) => match answer::read_request(name, &b, ctx) {
                    Ok(job) => Opened::Ask(job),
                    Err(f) => Opened::Failed(None, f),
                },
                Ok(Read::TooLarge) => Opened::Failed(None, too_large(&name.to_string(), max)),
                Err(e) if is_transient(&e) => Opened::Later(e.to_string()),
                // taken from `req` already: answered with an error, never parked unseen
                Err(e) => Opened::Failed(
                    None,
                    Failure::new(
                        "request_unreadable",
                        format!(
                            "要求ファイル「{name}」を読めません: {e}。HIS側で作り直してください"
                        ),
                    ),
                ),
            }
        })
    }

    /// Step 2: the server asked, one request at a time on the kept connection. A request that
    /// cannot be read for a moment is left out: it waits in the work folder.
    async fn ask_all(
        &mut self,
        claimed: Vec<(FileName, usize, Option<Failure>)>,
        opened: Vec<Opened>,
    ) -> Vec<(FileName, usize, Replied)> {
        let mut asked = Vec::with_capacity(opened.len());
        for ((name, index, _), o) in claimed.into_iter().zip(opened) {
            let step = match o {
                Opened::Ask(job) => {
                    let reply = self.call_with_retries(&name, job.kind, &job.request).await;
                    match reply {
                        Ok(a) => Replied::Answer(job, a),
                        Err(CallError::Refused(e))
                            if matches!(e.code.as_str(), "bad_search" | "no_such_insured") =>
                        {
                            Replied::Answer(
                                job,
                                Answer::Refused(Failure::new("bad_search", e.message)),
                            )
                        }
                        Err(e) => {
                            Replied::Failed(Some(job.request), Failure::new(e.result_id(), e))
                        }
                    }
                }
                Opened::Answered(f) => Replied::Answered(f),
                Opened::Failed(r, f) => Replied::Failed(r, f),
                Opened::Later(why) => {
                    self.warn_once(
                        format!("transient:{name}"),
                        format!("要求ファイル「{name}」を今は読めません（再試行します）: {why}"),
                    );
                    continue;
                }
            };
            asked.push((name, index, step));
        }
        asked
    }

    /// Step 3: each result rendered (and sealed), on every core again; an error result with the
    /// failure to log when the answer cannot be rendered.
    fn render_all(&self, asked: &[(FileName, usize, Replied)]) -> Vec<(OutFile, Option<Failure>)> {
        let ctxs: Vec<Ctx<'_>> = asked.iter().map(|a| self.ctx(&a.0.prefix())).collect();
        let items: Vec<_> = asked.iter().zip(&ctxs).collect();
        par_map(&items, cores(), |((name, _, step), ctx)| {
            let (request, failure) = match step {
                Replied::Answered(f) => return (f.clone(), None),
                Replied::Answer(job, a) => {
                    let message = answer::result_for(job, a.clone(), ctx);
                    match answer::render(name, &message, ctx) {
                        Ok(f) => return (f, None),
                        Err(f) => (Some(&job.request), f),
                    }
                }
                Replied::Failed(r, f) => (r.as_ref(), f.clone()),
            };
            (
                answer::failure_file(name, request, &failure, ctx),
                Some(failure),
            )
        })
    }

    /// [`Self::call`], tried again after a failure on the way: a lost connection or a TLS
    /// alert for the kinds that only read (asking twice changes nothing), a `503` for every
    /// kind (the server says it did nothing). Bounded by the profile; the last failure is the
    /// answer.
    async fn call_with_retries(
        &mut self,
        name: &FileName,
        kind: RequestKind,
        r: &Request,
    ) -> Result<Answer, CallError> {
        let l = &self.options.profile.linkage;
        let (tries, mut wait) = (l.server_retries, Duration::from_millis(l.server_retry_ms));
        let reads_only = matches!(
            kind,
            RequestKind::QualificationCheck
                | RequestKind::BulkCheckDownload
                | RequestKind::BulkReferenceDownload
        );
        let mut attempt = 0;
        loop {
            let reply = self.call(kind, r).await;
            let again = match &reply {
                Err(CallError::Refused(e)) => e.code == "service_unavailable",
                Err(CallError::Unreachable(_)) => reads_only,
                _ => false,
            };
            if !again || attempt == tries {
                return reply;
            }
            attempt += 1;
            if let Err(e) = &reply {
                self.log(format!(
                    "要求「{name}」: {e}。{}ミリ秒後に再試行します（{attempt}/{tries}回目）",
                    wait.as_millis()
                ));
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2).min(Duration::from_secs(60));
        }
    }

    async fn call(&mut self, kind: RequestKind, r: &Request) -> Result<Answer, CallError> {
        let b = &r.message_body;
        let reception = b.reception_number.clone().unwrap_or_default();
        let c = &mut self.client;
        Ok(match kind {
            RequestKind::QualificationCheck => Answer::Check(
                c.call::<SearchInfo, QualificationResult>(
                    "POST",
                    "qualification",
                    b.search_infos.first(),
                )
                .await?,
            ),
            RequestKind::ReferenceNumberRegistration => Answer::Registered(
                c.call::<_, ReferenceNumberRegistration>(
                    "POST",
                    "reference-numbers",
                    b.registrations.first(),
                )
                .await?,
            ),
            RequestKind::BulkCheckUpload => Answer::Accepted(
                c.call::<_, BulkAccepted>("POST", "bulk/qualification", Some(&b.search_infos))
                    .await?,
            ),
            RequestKind::BulkReferenceUpload => Answer::Accepted(
                c.call::<_, BulkAccepted>("POST", "bulk/reference-numbers", Some(&b.registrations))
                    .await?,
            ),
            RequestKind::BulkCheckDownload => Answer::BulkCheck(
                c.call::<(), BulkCheckDownload>(
                    "GET",
                    &format!("bulk/qualification/{reception}"),
                    None,
                )
                .await?,
            ),
            RequestKind::BulkReferenceDownload => Answer::BulkRegistration(
                c.call::<(), BulkRegistrationDownload>(
                    "GET",
                    &format!("bulk/reference-numbers/{reception}"),
                    None,
                )
                .await?,
            ),
        })
    }

    fn delete_forgotten(&mut self) {
        let stay = Duration::from_secs(u64::from(self.settings.response_file_stay_minutes) * 60);
        match self
            .folders
            .delete_forgotten(self.host.clock().now().into(), stay)
        {
            Ok(gone) => {
                for n in gone {
                    self.log(format!(
                        "忘れファイル削除: 「{n}」を削除しました（{}分経過）",
                        self.settings.response_file_stay_minutes
                    ));
                }
            }
            Err(e) => self.log(format!("忘れファイル削除に失敗しました: {e}")),
        }
    }
}

/// A request of a group after its file was read and opened.
enum Opened {
    /// Ready for the server.
    Ask(answer::Job),
    /// Its answer was kept from a try that could not write it.
    Answered(OutFile),
    /// An error result, with the request when it could be read.
    Failed(Option<Request>, Failure),
    /// The file cannot be read for a moment.
    Later(String),
}

/// A request of a group after the server was asked.
enum Replied {
    Answer(answer::Job, Answer),
    Answered(OutFile),
    Failed(Option<Request>, Failure),
}

/// The error result for a request past the profile's size limit.
fn too_large(file: &str, max: u64) -> Failure {
    Failure::new(
        "request_too_large",
        format!(
            "要求ファイル「{file}」が{max}バイト（プロファイルの max_request_bytes）を超えています。要求を分けて作り直してください"
        ),
    )
}

/// Errors that say nothing about the file: the machine is short of something for a moment.
fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), Interrupted | WouldBlock | OutOfMemory | TimedOut)
        // EMFILE, ENFILE
        || matches!(e.raw_os_error(), Some(23 | 24))
}

/// 忘れファイル削除 on its own (the `OQS_exec_comappdelfile_*` tasks): removes results older
/// than `ResponseFileStayTime`.
pub fn delete_forgotten(host: &dyn Host, profile: &Profile) -> Result<Vec<String>, SetupError> {
    let s = Settings::load(host, profile)?;
    let folders = s.folders(host)?;
    let stay = Duration::from_secs(u64::from(s.response_file_stay_minutes) * 60);
    folders
        .delete_forgotten(host.clock().now().into(), stay)
        .map_err(|source| SetupError::Io {
            what: "フォルダ",
            path: s.result_dir.to_string(),
            source,
        })
}
