//! The folders and the file protocol that makes "no request lost, none answered twice" hold
//! across crashes, with no journal beyond the files themselves:
//!
//! 1. **claim**: `req\X` is renamed into `work\inflight\X` (the HIS may drop a new `X` at once).
//! 2. **prepare**: the answer is written to `work\out\R.part`, flushed to disk, renamed to
//!    `work\out\R`. From here the answer exists, durably.
//! 3. **consume**: `work\inflight\X` is removed — only now, after its answer is durable.
//! 4. **publish**: `work\out\R` is renamed to `res\R` — one atomic step, so `R` is either still
//!    prepared or published, never both and never twice — unless `res\R` exists, which is never
//!    overwritten: the answer waits until the HIS has taken the old file.
//!
//! At start: `.part` files are dropped (nothing was promised), prepared answers are published
//! (after removing their request if step 3 was cut short), and requests still in `inflight`
//! with no prepared answer are answered again (nothing of theirs was published).

use oqs_proto::linkage::{Direction, Extension, FileName};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Clone, Debug)]
pub struct Folders {
    pub req: PathBuf,
    pub res: PathBuf,
    pub inflight: PathBuf,
    pub out: PathBuf,
}

/// Size and modification time: a file still being written changes one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
}

/// What a look into `req` found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Request files: the name as the interface reads it, the name on disk (its extension may
    /// be upper case: NTFS matches names without regard to case), size and time.
    pub requests: Vec<(FileName, String, Stamp)>,
    /// Names that are not request files of the interface, with the reason.
    pub ignored: Vec<(String, String)>,
    /// Request names whose file cannot be looked at (a link to nothing, no access): left in
    /// `req`, with the error.
    pub unreadable: Vec<(String, String)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Published {
    Done,
    /// `res` already holds a file of that name (the HIS has not taken it yet).
    Blocked,
}

/// Flushes a directory's entries (renames, removals) to disk. Not every platform lets a
/// directory be opened; there the rename is as durable as the OS makes it.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The name every request and answer of one exchange shares: `X.xml`, `X.zip`, `X.XML`,
/// `R.xml` and `X.err` all have the base `<…>req_<suffix>.xml`.
pub fn base(name: &FileName) -> String {
    let mut f = name.with_extension(Extension::Xml);
    f.direction = Direction::Request;
    f.to_string()
}

/// A file read with a ceiling.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    Bytes(Vec<u8>),
    /// Longer than the ceiling: only the ceiling and one byte were read.
    TooLarge,
}

/// Reads `path`, stopping one byte past `max`: a huge file costs at most `max` bytes.
pub fn read_at_most(path: &Path, max: u64) -> io::Result<Read> {
    use std::io::Read as _;
    let f = File::open(path)?;
    let len = f.metadata()?.len();
    if len > max {
        return Ok(Read::TooLarge);
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(if bytes.len() as u64 > max {
        Read::TooLarge
    } else {
        Read::Bytes(bytes)
    })
}

fn names_in(dir: &Path) -> io::Result<Vec<String>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_file() {
            v.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    v.sort();
    Ok(v)
}

impl Folders {
    pub fn new(req: PathBuf, res: PathBuf, work: PathBuf) -> io::Result<Self> {
        let f = Self {
            req,
            res,
            inflight: work.join("inflight"),
            out: work.join("out"),
        };
        for d in [&f.req, &f.res, &f.inflight, &f.out] {
            std::fs::create_dir_all(d)?;
        }
        Ok(f)
    }

    /// The request files in `req`, and what else lies there.
    pub fn scan(&self) -> io::Result<Scan> {
        let mut scan = Scan::default();
        for e in std::fs::read_dir(&self.req)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let is_request = |n: &FileName| {
                n.direction == Direction::Request
                    && matches!(n.extension, Extension::Xml | Extension::Zip)
            };
            match name.parse::<FileName>() {
                Ok(n) if is_request(&n) => {
                    // a link is followed: what counts is the file it names
                    match std::fs::metadata(e.path()) {
                        Ok(m) if m.is_file() => scan.requests.push((
                            n,
                            name,
                            Stamp {
                                len: m.len(),
                                modified: m.modified().ok(),
                            },
                        )),
                        Ok(_) => scan
                            .ignored
                            .push((name, "ファイルではありません（フォルダです）".into())),
                        Err(err) => scan.unreadable.push((name, err.to_string())),
                    }
                }
                _ if !e.file_type()?.is_file() => {}
                Ok(_) => scan.ignored.push((
                    name,
                    "要求ファイル（…req_….xml / .zip）ではありません".into(),
                )),
                Err(err) => scan.ignored.push((name, err.to_string())),
            }
        }
        scan.requests.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(scan)
    }

    /// Creates whichever of the folders is missing (a person may delete `res` by mistake);
    /// the ones it had to create.
    pub fn recreate_missing(&self) -> io::Result<Vec<&Path>> {
        let mut made = Vec::new();
        for d in [&self.req, &self.res, &self.inflight, &self.out] {
            if !d.is_dir() {
                std::fs::create_dir_all(d)?;
                made.push(d.as_path());
            }
        }
        Ok(made)
    }

    /// A file in `res` that answers (or answered) the request `name`, if any.
    pub fn result_in_res(&self, name: &FileName) -> Option<String> {
        [
            name.result(Extension::Xml),
            name.result(Extension::Zip),
            name.with_extension(Extension::Err),
        ]
        .into_iter()
        .map(|n| n.to_string())
        .find(|n| self.res.join(n).exists())
    }

    /// The requests still being answered, by base name (the request's name with `.xml`): in
    /// `inflight`, or with an answer prepared in `out`. A request of the same base must wait,
    /// or its answer would take the first one's name. One listing of each folder per scan.
    pub fn busy(&self) -> io::Result<std::collections::HashSet<String>> {
        let mut busy = std::collections::HashSet::new();
        for dir in [&self.inflight, &self.out] {
            for n in names_in(dir)? {
                if let Ok(f) = n.parse::<FileName>() {
                    busy.insert(base(&f));
                }
            }
        }
        Ok(busy)
    }

    /// Step 1: takes `req\X` into `work\inflight\X`. `Ok(false)` when it vanished meanwhile.
    /// Each step's renames and removals become durable with the step's `sync_*` call, once for
    /// a whole group of requests (a directory flush costs as much as the rest of an answer).
    /// `on_disk` is the name in `req` (its extension may be upper case); in `inflight` the
    /// request goes by the interface's form of the name.
    pub fn claim(&self, name: &FileName, on_disk: &str) -> io::Result<bool> {
        match std::fs::rename(self.req.join(on_disk), self.inflight.join(name.to_string())) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A request taken into `inflight`, read up to `max` bytes ([`Read::TooLarge`] past it).
    pub fn read_inflight(&self, name: &FileName, max: u64) -> io::Result<Read> {
        read_at_most(&self.inflight.join(name.to_string()), max)
    }

    /// Step 2: the answer, durable in `work\out`, stamped with the terminal's time (the age
    /// forgotten-file deletion measures).
    pub fn prepare(&self, name: &FileName, bytes: &[u8], at: SystemTime) -> io::Result<()> {
        self.prepare_all(&[(name.clone(), bytes, at)])
            .pop()
            .unwrap_or(Ok(()))
    }

    /// Step 2 for a group of answers: every `.part` file is written, then all are flushed
    /// together (the file system commits flushes issued at once as one), then renamed into
    /// `work\out`. One result per answer, in order.
    pub fn prepare_all(&self, answers: &[(FileName, &[u8], SystemTime)]) -> Vec<io::Result<()>> {
        let parts: Vec<io::Result<(File, PathBuf)>> = answers
            .iter()
            .enumerate()
            .map(|(i, (_, bytes, at))| {
                // a short name: `<answer>.part` would pass 255 bytes for a long request name
                let part = self.out.join(format!("answer-{i}.part"));
                let mut f = File::create(&part)?;
                f.write_all(bytes)?;
                f.set_modified(*at)?;
                Ok((f, part))
            })
            .collect();
        // a few threads flushing at once: one journal commit serves them all
        let synced = crate::par::par_map(&parts, 8, |p| match p {
            Ok((f, _)) => f.sync_all(),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        });
        parts
            .iter()
            .zip(synced)
            .zip(answers)
            .map(|((p, synced), (name, _, _))| {
                synced?;
                let (_, part) = p
                    .as_ref()
                    .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
                std::fs::rename(part, self.out.join(name.to_string()))
            })
            .collect()
    }

    /// Step 3: the request is done with.
    pub fn consume(&self, name: &FileName) -> io::Result<()> {
        match std::fs::remove_file(self.inflight.join(name.to_string())) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Step 4: `work\out\R` → `res\R`, never over an existing file.
    pub fn publish(&self, name: &FileName) -> io::Result<Published> {
        let n = name.to_string();
        let target = self.res.join(&n);
        if target.exists() {
            return Ok(Published::Blocked);
        }
        std::fs::rename(self.out.join(&n), &target)?;
        Ok(Published::Done)
    }

    /// Makes the claims so far durable (before any answer of theirs is prepared).
    pub fn sync_claimed(&self) {
        sync_dir(&self.inflight);
        sync_dir(&self.req);
    }

    /// Makes the prepared answers durable (before their requests are removed).
    pub fn sync_prepared(&self) {
        sync_dir(&self.out);
    }

    /// Makes the removed requests durable (before their answers go out).
    pub fn sync_consumed(&self) {
        sync_dir(&self.inflight);
    }

    /// Makes the published answers durable.
    pub fn sync_published(&self) {
        sync_dir(&self.res);
        sync_dir(&self.out);
    }

    /// Answers prepared but not yet published; drops `.part` files left by a crash.
    pub fn prepared(&self) -> io::Result<Vec<FileName>> {
        let mut v = Vec::new();
        for n in names_in(&self.out)? {
            if n.ends_with(".part") {
                std::fs::remove_file(self.out.join(&n))?;
            } else if let Ok(f) = n.parse::<FileName>() {
                v.push(f);
            }
        }
        Ok(v)
    }

    /// Requests taken from `req` whose answer is not prepared yet.
    pub fn inflight(&self) -> io::Result<Vec<FileName>> {
        Ok(names_in(&self.inflight)?
            .into_iter()
            .filter_map(|n| n.parse::<FileName>().ok())
            .collect())
    }

    /// The requests an answer may belong to (`R` → `X.xml` / `X.zip`).
    pub fn requests_of(answer: &FileName) -> [FileName; 2] {
        let mut req = answer.clone();
        req.direction = Direction::Request;
        [
            req.with_extension(Extension::Xml),
            req.with_extension(Extension::Zip),
        ]
    }

    /// 忘れファイル削除: removes result files in `res` whose answer time is `stay` or more
    /// before `now` (the terminal's clock). Other files are left alone. Returns what it removed.
    pub fn delete_forgotten(
        &self,
        now: SystemTime,
        stay: std::time::Duration,
    ) -> io::Result<Vec<String>> {
        let mut removed = Vec::new();
        let mut by_age = BTreeMap::new();
        for n in names_in(&self.res)? {
            let Ok(f) = n.parse::<FileName>() else {
                continue;
            };
            let is_answer = f.direction == Direction::Result || f.extension == Extension::Err;
            if !is_answer {
                continue;
            }
            let Ok(modified) = std::fs::metadata(self.res.join(&n)).and_then(|m| m.modified())
            else {
                continue;
            };
            if now.duration_since(modified).is_ok_and(|age| age >= stay) {
                by_age.insert((modified, n.clone()), ());
            }
        }
        for (_, n) in by_age.into_keys() {
            match std::fs::remove_file(self.res.join(&n)) {
                Ok(()) => removed.push(n),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn folders(dir: &Path) -> Folders {
        Folders::new(dir.join("req"), dir.join("res"), dir.join("work")).unwrap()
    }

    #[test]
    fn claim_prepare_consume_publish() {
        let d = tempfile::tempdir().unwrap();
        let f = folders(d.path());
        std::fs::write(f.req.join("OQSsiquc01req_1.xml"), b"<x/>").unwrap();
        std::fs::write(f.req.join("notes.txt"), b"").unwrap();
        let scan = f.scan().unwrap();
        assert_eq!(scan.requests.len(), 1);
        assert_eq!(scan.ignored.len(), 1);
        let x = scan.requests[0].0.clone();
        assert!(f.claim(&x, &scan.requests[0].1).unwrap());
        assert!(!f.claim(&x, &scan.requests[0].1).unwrap());
        assert_eq!(f.inflight().unwrap(), vec![x.clone()]);
        let r = x.result(Extension::Xml);
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_743_465_600);
        f.prepare(&r, b"answer", t).unwrap();
        f.consume(&x).unwrap();
        assert_eq!(f.prepared().unwrap(), vec![r.clone()]);
        assert_eq!(f.publish(&r).unwrap(), Published::Done);
        assert_eq!(std::fs::read(f.res.join(r.to_string())).unwrap(), b"answer");
        assert_eq!(
            std::fs::metadata(f.res.join(r.to_string()))
                .unwrap()
                .modified()
                .unwrap(),
            t
        );
        assert_eq!(f.result_in_res(&x), Some(r.to_string()));
        // a second answer of the same name never overwrites the first
        f.prepare(&r, b"other", t).unwrap();
        assert_eq!(f.publish(&r).unwrap(), Published::Blocked);
        assert_eq!(std::fs::read(f.res.join(r.to_string())).unwrap(), b"answer");
    }

    #[test]
    fn forgotten_results_older_than_the_stay_time_go() {
        let d = tempfile::tempdir().unwrap();
        let f = folders(d.path());
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_743_465_600);
        for (name, age_min) in [
            ("OQSsiquc01res_old.xml", 1440),
            ("OQSsiquc01res_new.xml", 1439),
            ("OQSmuquc02req_B.err", 2000),
            ("his-notes.txt", 5000),
        ] {
            let p = f.res.join(name);
            std::fs::write(&p, b"x").unwrap();
            File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(t0 - Duration::from_secs(age_min * 60))
                .unwrap();
        }
        let gone = f
            .delete_forgotten(t0, Duration::from_secs(1440 * 60))
            .unwrap();
        assert_eq!(gone, vec!["OQSmuquc02req_B.err", "OQSsiquc01res_old.xml"]);
        assert!(f.res.join("OQSsiquc01res_new.xml").exists());
        assert!(f.res.join("his-notes.txt").exists());
    }
}
