//! A reader driver under test: for each check a scenario makes, the kit runs the driver's
//! command once, with `OQS_*` variables naming the PC/SC reader (a vpcd slot of the kit's
//! pcscd, holding the virtual card), the method, PIN and operator; the program runs the
//! check flow against the simulated qualification server and reports in the kit's line
//! protocol (`conformance/TARGETS.md`):
//!
//! - success: exit 0, with `OQS-KIT validity <資格有効性>`, `OQS-KIT records <n>` and,
//!   optionally, `OQS-KIT face-file <path>` (else the kit looks for a new file in
//!   FaceDataDir); other lines are the message on its screen;
//! - failure: a non-zero exit; what it printed is the message on its screen.

use super::Program;
use crate::KitWorld;
use anyhow::{Context, Result};
use oqs_host::readers::FaceMatch;
use oqs_proto::reader::IdentityMethod;
use std::path::PathBuf;
use std::time::Duration;

/// Guards against a driver that hangs (not a timing test).
const CHECK_LIMIT: Duration = Duration::from_secs(60);

/// What a completed check showed.
#[derive(Clone, Debug)]
pub struct Checked {
    pub message: String,
    /// 資格有効性, as the manual labels it.
    pub validity: String,
    /// Records of qualification shown.
    pub records: usize,
    /// The face result file written to `FaceDataDir`.
    pub face_file: Option<PathBuf>,
}

/// Who drives the readers in this run: the kit's driver (in-process readers, or PC/SC in the
/// `@pcsc` scenarios), or the target's program (PC/SC only). Chosen once when the World
/// starts; steps call it and never ask which.
#[derive(Clone, Copy, Default)]
pub enum ReaderDriver {
    #[default]
    Kit,
    Target(&'static Program),
}

impl ReaderDriver {
    pub fn of_run() -> Self {
        match &super::current().driver {
            Some(p) => Self::Target(p),
            None => Self::Kit,
        }
    }

    /// Whether readers must be PC/SC readers (an external program reaches no other).
    pub fn needs_pcsc(&self) -> bool {
        matches!(self, Self::Target(_))
    }

    /// One check: `kit` is the kit's driver on the terminal, `reader` the PC/SC name of the
    /// reader when it is one.
    pub async fn check(
        &self,
        w: &KitWorld,
        kit: &oqs_driver::Driver,
        req: &oqs_driver::CheckRequest,
        reader: Option<&str>,
        face_reader: bool,
        camera: Option<&oqs_sim::reader::device::FaceCamera>,
    ) -> Result<Result<Checked, String>> {
        match self {
            Self::Kit => Ok(kit
                .check(req)
                .await
                .map_err(|e| e.to_string())
                .map(|o| Checked {
                    message: o.message.to_owned(),
                    validity: o.answer.result.qualification_validity.label().to_owned(),
                    records: o.answer.result.result_list.len(),
                    face_file: o.face_file,
                })),
            Self::Target(p) => {
                // the face reader's device decides as the driver program starts; the program
                // reads the decision from OQS_FACE_MATCH
                let camera = match camera {
                    Some(c) if face_reader && req.method == IdentityMethod::Face => {
                        c.decide().map_or(FaceMatch::NotMatched, |d| d.face_match())
                    }
                    _ => FaceMatch::Matched,
                };
                let ask = Ask {
                    reader: reader.ok_or_else(|| {
                        anyhow::anyhow!(
                            "外部のドライバは PC/SC のカードリーダーでしか確認できません"
                        )
                    })?,
                    serial: &req.serial,
                    face_reader,
                    method: req.method,
                    pin: req.pin.as_deref(),
                    operator: req
                        .operator
                        .as_ref()
                        .map(|o| (o.user.as_str(), o.password.as_str())),
                    camera,
                };
                check(w, p, &ask).await
            }
        }
    }
}

/// One check at a PC/SC reader.
pub struct Ask<'a> {
    pub reader: &'a str,
    pub serial: &'a str,
    pub face_reader: bool,
    pub method: IdentityMethod,
    pub pin: Option<&'a str>,
    pub operator: Option<(&'a str, &'a str)>,
    pub camera: FaceMatch,
}

/// Runs the driver program for one check: the outcome, or the message it failed with.
pub async fn check(w: &KitWorld, p: &Program, ask: &Ask<'_>) -> Result<Result<Checked, String>> {
    let mut env = super::environment(w)?;
    env.extend([
        ("OQS_READER".into(), ask.reader.to_owned()),
        ("OQS_SERIAL".into(), ask.serial.to_owned()),
        (
            "OQS_READER_KIND".into(),
            if ask.face_reader { "face" } else { "generic" }.into(),
        ),
        ("OQS_METHOD".into(), ask.method.label().to_owned()),
        (
            "OQS_FACE_MATCH".into(),
            match ask.camera {
                FaceMatch::Matched => "一致する",
                FaceMatch::NotMatched => "一致しない",
            }
            .into(),
        ),
    ]);
    if let Some(pin) = ask.pin {
        env.push(("OQS_PIN".into(), pin.to_owned()));
    }
    if let Some((user, password)) = ask.operator {
        env.push(("OQS_USER".into(), user.to_owned()));
        env.push(("OQS_PASSWORD".into(), password.to_owned()));
    }
    // the face result file: the one the driver names, or the one that appeared in FaceDataDir
    let face_dir = {
        use oqs_host::{Host, WinPath};
        let win = &oqs_proto::profile::Profile::builtin().linkage.face_dir;
        w.terminal()?.files().resolve(&WinPath::parse(win)?)?
    };
    let before = files_in(&face_dir);
    let mut cmd = super::process::command(&p.command)?;
    cmd.envs(env).envs(&p.env);
    let out = super::process::output(cmd, CHECK_LIMIT)
        .await
        .with_context(|| format!("外部のドライバ「{}」を起動できません", p.command.join(" ")))?
        .with_context(|| {
            format!(
                "外部のドライバ「{}」が {} 秒で終わりません",
                p.command.join(" "),
                CHECK_LIMIT.as_secs()
            )
        })?;
    let mut checked = outcome(
        out.status.success(),
        &String::from_utf8_lossy(&out.stdout),
        &String::from_utf8_lossy(&out.stderr),
    )?;
    if let Ok(c) = &mut checked
        && c.face_file.is_none()
    {
        c.face_file = files_in(&face_dir)
            .into_iter()
            .find(|f| !before.contains(f));
    }
    Ok(checked)
}

fn files_in(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect()
}

/// Reads a driver program's report (see the module's protocol).
fn outcome(success: bool, stdout: &str, stderr: &str) -> Result<Result<Checked, String>> {
    if !success {
        return Ok(Err(format!("{stdout}{stderr}").trim().to_owned()));
    }
    let mut message = Vec::new();
    let (mut validity, mut records, mut face_file) = (None, None, None);
    for line in stdout.lines() {
        match line.strip_prefix("OQS-KIT ") {
            Some(ev) => {
                let (key, value) = ev.split_once(' ').unwrap_or((ev, ""));
                match key {
                    "validity" => validity = Some(value.to_owned()),
                    "records" => records = value.parse().ok(),
                    "face-file" => face_file = Some(PathBuf::from(value)),
                    _ => {}
                }
            }
            None => message.push(line),
        }
    }
    let protocol = |what: &str| {
        format!(
            "外部のドライバが成功（終了コード 0）で終わりましたが `OQS-KIT {what}` を出力していません。出力:\n{stdout}{stderr}"
        )
    };
    Ok(Ok(Checked {
        message: message.join("\n"),
        validity: validity.with_context(|| protocol("validity <資格有効性>"))?,
        records: records.with_context(|| protocol("records <件数>"))?,
        face_file,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_read_and_a_broken_one_is_named() {
        let out = "確認が完了しました\nOQS-KIT validity 有効\nOQS-KIT records 1\nOQS-KIT face-file /t/f.xml\n";
        let c = outcome(true, out, "").unwrap().unwrap();
        assert_eq!(
            (c.message.as_str(), c.validity.as_str(), c.records),
            ("確認が完了しました", "有効", 1)
        );
        assert_eq!(c.face_file, Some(PathBuf::from("/t/f.xml")));
        // a failure is what the screen shows
        let e = outcome(false, "", "暗証番号が違います\n")
            .unwrap()
            .unwrap_err();
        assert_eq!(e, "暗証番号が違います");
        // success without the protocol's lines is the driver's mistake, named
        let e = outcome(true, "確認が完了しました\n", "")
            .unwrap_err()
            .to_string();
        assert!(e.contains("OQS-KIT validity"), "{e}");
    }
}
