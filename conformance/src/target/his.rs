//! A receipt computer (HIS) under test: the kit asks it, by running the command the target
//! file gives for each action, to put a request into `req` or take a result out of `res`,
//! and checks what it did the way the linkage app depends on it:
//!
//! - the request appears in `req` whole, by a move (no in-place write a reader could catch
//!   half-way, no temporary file inside `req`);
//! - under the name asked for (any other name in `req` is reported);
//! - in the encoding asked for, which its XML declaration names;
//! - as a valid request: the terminal's institution code and the person's insurance data;
//! - a result it takes is read — it reports what it read (`OQS-KIT segment|validity|name|error
//!   <value>` lines on stdout, UTF-8) and the kit compares that with the file's own content,
//!   whatever its encoding or encryption — and deleted from `res`.
//!
//! The linkage app (the kit's, or a linkage target) answers as usual, so the scenario's own
//! checks of the result still apply.

use super::His;
use crate::KitWorld;
use anyhow::{Context, Result, bail, ensure};
use notify::event::{CreateKind, EventKind, ModifyKind, RenameMode};
use oqs_proto::linkage::message::Request;
use oqs_proto::qualification::SearchInfo;
use oqs_proto::settings::CharacterCode;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Guards against a HIS command that hangs (not a timing test).
const ACTION_LIMIT: Duration = Duration::from_secs(30);

/// What happened in `req` while the HIS acted.
#[derive(Default)]
struct Seen {
    /// The request file appeared in `req`.
    arrived: bool,
    /// A hard link to it, made as soon as it appeared: the linkage app may take it from `req`
    /// soon after, and a link keeps the very file (its final bytes, even if written late).
    kept: Option<PathBuf>,
    /// It was created or written in `req` itself.
    written_in_place: bool,
    /// Other names that appeared in `req`.
    others: Vec<String>,
    sentinel: bool,
}

/// A recursive watch on `C:\OQS` (req and its parent, where a HIS typically writes first).
struct Watch {
    _watcher: notify::RecommendedWatcher,
    seen: Arc<Mutex<Seen>>,
    sentinel: PathBuf,
}

fn lock(m: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Watch {
    /// Watches `req`'s parent; the request's link goes to `keep` (same file system, outside
    /// the watched folder).
    fn start(req: &Path, file: &str, keep: &Path) -> Result<Self> {
        use notify::Watcher as _;
        let parent = req
            .parent()
            .context("要求フォルダに親フォルダがありません")?;
        let sentinel = parent.join(format!(".oqs-kit-sentinel-{}", std::process::id()));
        let _ = std::fs::remove_file(keep);
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (s, req, file, marker, link) = (
            seen.clone(),
            req.to_owned(),
            file.to_owned(),
            sentinel.clone(),
            keep.to_owned(),
        );
        let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            let Ok(ev) = ev else { return };
            let arrived = match ev.kind {
                EventKind::Modify(ModifyKind::Name(RenameMode::To)) => ev.paths.first(),
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => ev.paths.get(1),
                EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_)) => ev.paths.first(),
                _ => None,
            };
            let Some(path) = arrived else { return };
            let mut seen = lock(&s);
            if *path == marker {
                seen.sentinel = true;
                return;
            }
            if path.parent() != Some(req.as_path()) {
                return;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name != file {
                if !seen.others.contains(&name) {
                    seen.others.push(name);
                }
                return;
            }
            if matches!(
                ev.kind,
                EventKind::Create(CreateKind::File | CreateKind::Any)
                    | EventKind::Modify(ModifyKind::Data(_))
            ) {
                seen.written_in_place = true;
            }
            seen.arrived = true;
            if seen.kept.is_none() && std::fs::hard_link(path, &link).is_ok() {
                seen.kept = Some(link.clone());
            }
        })?;
        watcher.watch(parent, notify::RecursiveMode::Recursive)?;
        Ok(Self {
            _watcher: watcher,
            seen,
            sentinel,
        })
    }

    /// Waits until every event before now has been seen: a marker file's own event comes
    /// after them.
    async fn settle(&self) -> Result<()> {
        std::fs::write(&self.sentinel, b"")?;
        for _ in 0..500 {
            if lock(&self.seen).sentinel {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        std::fs::remove_file(&self.sentinel)?;
        ensure!(lock(&self.seen).sentinel, "ファイルの監視が止まっています");
        Ok(())
    }
}

/// Runs one action's command with its placeholders filled in.
/// Runs one action's command with its placeholders filled in; its standard output.
async fn run(
    his: &His,
    what: &str,
    cmd: &[String],
    fill: &BTreeMap<&str, String>,
) -> Result<String> {
    let args: Vec<String> = cmd
        .iter()
        .map(|a| {
            fill.iter()
                .fold(a.clone(), |a, (k, v)| a.replace(&format!("{{{k}}}"), v))
        })
        .collect();
    let mut cmd = super::process::command(&args)?;
    cmd.env("OQS_REQ_DIR", &fill["req_dir"])
        .env("OQS_RES_DIR", &fill["res_dir"])
        .envs(&his.env);
    let out = super::process::output(cmd, ACTION_LIMIT)
        .await
        .with_context(|| format!("レセコンの {what}「{}」を実行できません", args.join(" ")))?
        .with_context(|| {
            format!(
                "レセコンの {what}「{}」が {} 秒で終わりません（要求ファイルを置き終えてから終了してください）",
                args.join(" "),
                ACTION_LIMIT.as_secs()
            )
        })?;
    ensure!(
        out.status.success(),
        "レセコンの {what}「{}」が失敗しました（{}）:\n{}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn folders(w: &KitWorld) -> Result<(PathBuf, PathBuf)> {
    use oqs_host::{Host, WinPath};
    let t = w.terminal()?;
    let l = &oqs_proto::profile::Profile::builtin().linkage;
    let dir = |win: &str| -> Result<PathBuf> {
        let p = t.files().resolve(&WinPath::parse(win)?)?;
        std::fs::create_dir_all(&p)?;
        Ok(p)
    };
    Ok((dir(&l.request_dir)?, dir(&l.result_dir)?))
}

/// The HIS puts a qualification check request `file` into `req`, in `encoding`, for the
/// person `search` (`request` is what the kit would have written: the expected content).
pub async fn check(
    w: &KitWorld,
    his: &His,
    file: &str,
    encoding: CharacterCode,
    request: &Request,
) -> Result<()> {
    let (req, res) = folders(w)?;
    let h = &request.message_header;
    let s: &SearchInfo = request
        .message_body
        .search_infos
        .first()
        .context("要求に照会条件がありません")?;
    let fill = BTreeMap::from([
        ("file", file.to_owned()),
        (
            "encoding",
            match encoding {
                CharacterCode::Utf8 => "UTF-8",
                CharacterCode::ShiftJis => "Shift_JIS",
            }
            .to_owned(),
        ),
        ("institution", h.medical_institution_code.clone()),
        (
            "date",
            h.qualification_confirmation_date
                .clone()
                .unwrap_or_default(),
        ),
        (
            "arbitrary_id",
            h.arbitrary_file_identifier.clone().unwrap_or_default(),
        ),
        ("insurer", s.insurer_number.trim().to_owned()),
        ("symbol", s.insured_card_symbol.clone()),
        ("number", s.insured_identification_number.clone()),
        ("branch", s.insured_branch_number.clone()),
        ("birthdate", s.birthdate.clone()),
        ("req_dir", req.display().to_string()),
        ("res_dir", res.display().to_string()),
    ]);
    let kit = w.terminal()?.root().join("state").join("kit");
    std::fs::create_dir_all(&kit)?;
    let keep = kit.join(format!("his-{file}"));
    let watch = Watch::start(&req, file, &keep)?;
    run(his, "check", &his.check, &fill).await?;
    watch.settle().await?;
    let seen = std::mem::take(&mut *lock(&watch.seen));
    if !seen.arrived {
        let instead = if seen.others.is_empty() {
            String::new()
        } else {
            format!("（代わりに {:?} が置かれました）", seen.others)
        };
        bail!(
            "レセコンの check の後、要求フォルダに「{file}」が現れませんでした{instead}。要求ファイルは「{file}」の名前で、check が終わる前に要求フォルダへ置いてください"
        );
    }
    ensure!(
        seen.others.is_empty(),
        "レセコンが要求フォルダに要求ファイル以外のファイル {:?} を作りました。一時ファイルは要求フォルダの外（同じドライブ）に作り、書き終えた要求ファイルだけを移動してください",
        seen.others
    );
    ensure!(
        !seen.written_in_place,
        "レセコンが要求ファイル「{file}」を要求フォルダに直接書き込みました。連携アプリケーションが書きかけを読まないよう、別の場所（同じドライブ）で書き終えてから要求フォルダへ移動してください"
    );
    let kept = seen.kept.with_context(|| {
        format!(
            "要求ファイル「{file}」は要求フォルダに現れましたが、キットが読む前に連携アプリケーションが取りました（マシンの負荷が高すぎます。もう一度実行してください）"
        )
    })?;
    let bytes = std::fs::read(&kept)?;
    std::fs::remove_file(&kept)?;
    inspect(file, &bytes, encoding, request)
}

/// Checks a request file the HIS wrote against what the scenario asked for (its name is the
/// one asked for: another name shows up as another file in `req`).
pub fn inspect(file: &str, bytes: &[u8], encoding: CharacterCode, want: &Request) -> Result<()> {
    let declared = oqs_proto::linkage::encoding::declared(bytes)
        .map_err(|e| anyhow::anyhow!("要求ファイル「{file}」のXML宣言: {e}"))?;
    // named as the declaration and the {encoding} placeholder spell them
    let xml_name = |c: CharacterCode| match c {
        CharacterCode::Utf8 => "UTF-8",
        CharacterCode::ShiftJis => "Shift_JIS",
    };
    ensure!(
        declared == encoding,
        "要求ファイル「{file}」のXML宣言は {} です（{} で書くよう求めました）",
        xml_name(declared),
        xml_name(encoding)
    );
    let got = Request::from_bytes(bytes)
        .map_err(|e| anyhow::anyhow!("要求ファイル「{file}」を要求として読めません: {e}"))?;
    let (g, w) = (&got.message_header, &want.message_header);
    ensure!(
        g.medical_institution_code == w.medical_institution_code,
        "要求ファイル「{file}」の医療機関コードは「{}」です（端末は「{}」）",
        g.medical_institution_code,
        w.medical_institution_code
    );
    let (gs, ws) = (
        got.message_body.search_infos.first(),
        want.message_body.search_infos.first(),
    );
    let key = |s: &SearchInfo| {
        (
            s.insurer_number.trim().to_owned(),
            s.insured_card_symbol.clone(),
            s.insured_identification_number.clone(),
            s.insured_branch_number.clone(),
            s.birthdate.clone(),
        )
    };
    ensure!(
        gs.map(key) == ws.map(key),
        "要求ファイル「{file}」の照会条件 {:?} は、求めた人の {:?} と違います",
        gs.map(key),
        ws.map(key)
    );
    Ok(())
}

/// Who plays the receipt computer in this run: the kit itself, or the target's HIS. Chosen
/// once when the World starts ([`crate::KitWorld::start`]); steps call it and never ask which.
#[derive(Clone, Copy, Default)]
pub enum ReceiptComputer {
    /// The kit writes and reads the files the way a HIS must (a temporary file moved in whole).
    #[default]
    Kit,
    /// A vendor's HIS, run for each action and checked.
    Target(&'static His),
}

impl ReceiptComputer {
    /// The receipt computer of this run's target file, or the kit's.
    pub fn of_run() -> Self {
        match &super::current().his {
            Some(h) => Self::Target(h),
            None => Self::Kit,
        }
    }

    /// The HIS puts check request `file` for the person of `request` into `req`, in `encoding`.
    pub async fn put_check(
        &self,
        w: &KitWorld,
        file: &str,
        encoding: CharacterCode,
        request: &Request,
    ) -> Result<()> {
        match self {
            Self::Kit => {
                let (req, _) = folders(w)?;
                move_in(&req, file, &request.to_bytes(encoding)?)
            }
            Self::Target(his) => check(w, his, file, encoding, request).await,
        }
    }

    /// The HIS takes result `file` out of `res` and says what it read.
    pub async fn take(
        &self,
        w: &KitWorld,
        file: &str,
        crypt_pass: Option<&str>,
    ) -> Result<Reading> {
        let (_, res) = folders(w)?;
        self.take_from(w, &res, file, crypt_pass).await
    }

    /// The same from another folder the HIS shares, e.g. the face result files in
    /// `FaceDataDir` (`C:\OQS\face`, shared to the HIS in 操作4).
    pub async fn take_from(
        &self,
        w: &KitWorld,
        dir: &Path,
        file: &str,
        crypt_pass: Option<&str>,
    ) -> Result<Reading> {
        match self {
            Self::Kit => {
                let r = read_result(dir, file, crypt_pass)?;
                std::fs::remove_file(dir.join(file))?;
                Ok(r)
            }
            Self::Target(his) => take(w, his, dir, file, crypt_pass).await,
        }
    }
}

/// The HIS's way [INTERFACES §1]: write in a temporary place beside `req` (same drive), then
/// move into `req`, so the linkage app never sees half a file.
pub fn move_in(req: &Path, file: &str, bytes: &[u8]) -> Result<()> {
    let tmp = req
        .parent()
        .context("要求フォルダに親フォルダがありません")?
        .join(format!(".his-{file}.tmp"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, req.join(file))?;
    Ok(())
}

/// What a HIS must report having read from a result file: the values a person at the
/// reception acts on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// SegmentOfResult (1 normal, 9 error, …).
    pub segment: String,
    /// QualificationValidity, when the result carries one.
    pub validity: Option<String>,
    /// The first record's name (氏名): the text that shows whether the encoding was read right.
    pub name: Option<String>,
    /// ErrorCode of an error result (the header's, as the scenarios name it).
    pub error: Option<String>,
}

impl Reading {
    /// What the result file itself says (`xml`: its bytes, decrypted when it was a ZIP).
    pub fn of_result(file: &str, xml: &[u8]) -> Result<Self> {
        let m = oqs_proto::linkage::message::ResultMessage::from_bytes(xml)
            .map_err(|e| anyhow::anyhow!("結果ファイル「{file}」を読めません: {e}"))?;
        let body = &m.message_body;
        Ok(Self {
            segment: m.segment().to_owned(),
            validity: body.qualification_validity.clone(),
            name: body
                .result_list
                .as_ref()
                .and_then(|l| l.records.first())
                .map(|r| r.name.clone())
                .filter(|n| !n.is_empty()),
            error: m
                .message_header
                .error_code
                .clone()
                .filter(|c| !c.is_empty()),
        })
    }

    /// The `OQS-KIT <key> <value>` lines of a take's output.
    pub fn reported(stdout: &str) -> Self {
        let mut r = Self::default();
        for line in stdout.lines() {
            let Some(rest) = line.trim_end_matches('\r').strip_prefix("OQS-KIT ") else {
                continue;
            };
            let (key, value) = rest.split_once(' ').unwrap_or((rest, ""));
            let value = value.to_owned();
            match key {
                "segment" => r.segment = value,
                "validity" => r.validity = Some(value),
                "name" => r.name = Some(value),
                "error" => r.error = Some(value),
                _ => {}
            }
        }
        r
    }

    /// Each value the file holds that the HIS did not report as it is.
    pub fn differences(&self, reported: &Self) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |key: &str, want: Option<&String>, got: Option<&String>| {
            if let Some(want) = want
                && got != Some(want)
            {
                out.push(match got {
                    Some(got) => format!("{key}: レセコンは「{got}」と読みました（ファイルは「{want}」）"),
                    None => format!("{key}: レセコンは「OQS-KIT {key} …」を報告しませんでした（ファイルは「{want}」）"),
                });
            }
        };
        cmp(
            "segment",
            Some(&self.segment),
            Some(&reported.segment).filter(|s| !s.is_empty()),
        );
        cmp(
            "validity",
            self.validity.as_ref(),
            reported.validity.as_ref(),
        );
        cmp("name", self.name.as_ref(), reported.name.as_ref());
        cmp("error", self.error.as_ref(), reported.error.as_ref());
        out
    }
}

/// What result `file` in `res` says, as a HIS reads it: in its declared encoding, decrypted
/// with `crypt_pass` when it is a ZIP.
pub fn read_result(res: &Path, file: &str, crypt_pass: Option<&str>) -> Result<Reading> {
    let bytes = std::fs::read(res.join(file))
        .with_context(|| format!("結果ファイル「{file}」がありません"))?;
    let xml = match file.strip_suffix(".zip") {
        Some(stem) => {
            let pass: oqs_proto::linkage::crypt::CryptPass = crypt_pass
                .context("暗号化された結果ですが OQS_CRYPT_PASS がありません")?
                .parse()?;
            oqs_proto::linkage::crypt::open(file, &bytes, &format!("{stem}.xml"), &pass, u64::MAX)?
        }
        None => bytes,
    };
    Reading::of_result(file, &xml)
}

/// The HIS takes result `file` out of `res`: it must report what the file says (read in
/// its encoding, decrypted with `crypt_pass` when it is a ZIP) and delete it.
pub async fn take(
    w: &KitWorld,
    his: &His,
    res: &Path,
    file: &str,
    crypt_pass: Option<&str>,
) -> Result<Reading> {
    let (req, _) = folders(w)?;
    let want = read_result(res, file, crypt_pass)?;
    let fill = BTreeMap::from([
        ("file", file.to_owned()),
        ("crypt_pass", crypt_pass.unwrap_or_default().to_owned()),
        ("req_dir", req.display().to_string()),
        ("res_dir", res.display().to_string()),
    ]);
    let out = run(his, "take", &his.take, &fill).await?;
    if res.join(file).exists() {
        bail!(
            "レセコンが結果ファイル「{file}」を読んだ後も結果フォルダに残しています。取り出した結果ファイルは削除してください（残すと同じ名前の次の結果が出力されません）"
        );
    }
    let got = Reading::reported(&out);
    let wrong = want.differences(&got);
    ensure!(
        wrong.is_empty(),
        "レセコンの take が結果ファイル「{file}」から読んだ値が、ファイルの内容と違います（読んだ値は「OQS-KIT <項目> <値>」の行で、UTF-8 で標準出力に書いてください。conformance/TARGETS.md）:\n{}",
        wrong.join("\n")
    );
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_take_that_reports_nothing_or_mojibake_differs_from_the_file() {
        let want = Reading {
            segment: "1".into(),
            validity: Some("1".into()),
            name: Some("山田　太郎".into()),
            error: None,
        };
        let all = want.differences(&Reading::reported("削除しました\n"));
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[0].contains("OQS-KIT segment"));
        let mojibake =
            Reading::reported("OQS-KIT segment 1\r\nOQS-KIT validity 1\nOQS-KIT name 螻ｱ逕ｰ\n");
        let d = want.differences(&mojibake);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("螻ｱ逕ｰ") && d[0].contains("山田　太郎"));
        let right =
            Reading::reported("OQS-KIT segment 1\nOQS-KIT validity 1\nOQS-KIT name 山田　太郎\n");
        assert!(want.differences(&right).is_empty());
    }
}
