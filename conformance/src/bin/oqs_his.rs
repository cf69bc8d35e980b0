//! `oqs-his`: the kit's reference receipt computer (レセコン) for the HIS target adapter — the
//! worked example of `conformance/TARGETS.md`. It does what a HIS must: writes each request
//! file elsewhere and moves it into `req` whole, in the encoding its XML declaration names, and
//! takes a result out of `res` by reading it (decrypting a ZIP with the site's password) and
//! deleting it, and reports what it read (`OQS-KIT segment|validity|name|error <value>`).
//!
//! ```text
//! oqs-his check --file OQSsiquc01req_X.xml --encoding UTF-8 --institution 1312345678 \
//!         --date 20250401 --insurer 06123456 --symbol 1 --number 2 --branch 00 --birthdate 19800101
//! oqs-his take --file OQSsiquc01res_X.xml [--crypt-pass Crypt2025]
//! ```
//! Folders come from `--req-dir`/`--res-dir` or the kit's `OQS_REQ_DIR`/`OQS_RES_DIR`.

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use oqs_proto::linkage::crypt::{self, CryptPass};
use oqs_proto::linkage::message::{Request, ResultMessage};
use oqs_proto::qualification::SearchInfo;
use oqs_proto::settings::CharacterCode;
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "The oqs-kit reference receipt computer (レセコン)")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

// parsed once per process: the size of the larger variant does not matter
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Cmd {
    /// Write a qualification check request (資格確認) into `req`.
    Check {
        #[arg(long, env = "OQS_REQ_DIR")]
        req_dir: PathBuf,
        /// The request file name (OQSsiquc01req_<任意>.xml).
        #[arg(long)]
        file: String,
        /// UTF-8 or Shift_JIS.
        #[arg(long)]
        encoding: String,
        #[arg(long)]
        institution: String,
        /// 資格確認日 (yyyyMMdd).
        #[arg(long)]
        date: String,
        #[arg(long)]
        insurer: String,
        #[arg(long, default_value = "")]
        symbol: String,
        #[arg(long)]
        number: String,
        #[arg(long, default_value = "")]
        branch: String,
        #[arg(long)]
        birthdate: String,
        /// ArbitraryFileIdentifier (free text the HIS gets back in the result).
        #[arg(long)]
        arbitrary_id: Option<String>,
    },
    /// Read a result file out of `res` and delete it.
    Take {
        #[arg(long, env = "OQS_RES_DIR")]
        res_dir: PathBuf,
        #[arg(long)]
        file: String,
        /// The site's OQS_CRYPT_PASS, for a result that comes as an AES ZIP (`.zip`).
        #[arg(long, default_value = "")]
        crypt_pass: String,
    },
}

fn main() {
    let code = match run(Cli::parse()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("oqs-his: {e:#}");
            1
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Check {
            req_dir,
            file,
            encoding,
            institution,
            date,
            insurer,
            symbol,
            number,
            branch,
            birthdate,
            arbitrary_id,
        } => {
            let code = CharacterCode::from_label(&encoding)
                .with_context(|| format!("文字コード「{encoding}」は UTF-8 か Shift_JIS です"))?;
            let search = SearchInfo {
                insurer_number: insurer,
                insured_card_symbol: symbol,
                insured_identification_number: number,
                insured_branch_number: branch,
                birthdate,
                // 0: no limit certificate information asked for (the public layout: 0 or 1)
                limit_application_certificate_related_cons_flg: "0".into(),
            };
            let request =
                Request::qualification_check(&institution, &date, arbitrary_id.as_deref(), search);
            put(&req_dir, &file, &request.to_bytes(code)?)
        }
        Cmd::Take {
            res_dir,
            file,
            crypt_pass,
        } => take(&res_dir, &file, &crypt_pass),
    }
}

/// Writes the request beside `req`, then moves it in: the linkage app never sees half a file.
fn put(req_dir: &std::path::Path, file: &str, bytes: &[u8]) -> Result<()> {
    let parent = req_dir
        .parent()
        .context("要求フォルダに親フォルダがありません")?;
    let tmp = parent.join(format!(".oqs-his-{file}.tmp"));
    std::fs::write(&tmp, bytes).with_context(|| format!("{} に書けません", tmp.display()))?;
    std::fs::rename(&tmp, req_dir.join(file))
        .with_context(|| format!("{file} を要求フォルダへ移せません"))?;
    println!("{file}: 要求フォルダに置きました（{} バイト）", bytes.len());
    Ok(())
}

/// Reads a result out of `res` (opening an AES ZIP with the site's password), deletes it,
/// and reports what the reception acts on.
fn take(res_dir: &std::path::Path, file: &str, crypt_pass: &str) -> Result<()> {
    let path = res_dir.join(file);
    let bytes = std::fs::read(&path).with_context(|| format!("{} を読めません", path.display()))?;
    let xml = match file.strip_suffix(".zip") {
        Some(stem) => {
            let pass: CryptPass = crypt_pass
                .parse()
                .context("暗号化された結果です: --crypt-pass に OQS_CRYPT_PASS を渡してください")?;
            crypt::open(
                file,
                &bytes,
                &format!("{stem}.xml"),
                &pass,
                // a HIS reads results as large as the app lets requests be
                oqs_proto::profile::Profile::builtin()
                    .linkage
                    .max_request_xml_bytes,
            )?
        }
        None => bytes,
    };
    // the declared encoding decides how the text is read
    let m = ResultMessage::from_bytes(&xml)
        .with_context(|| format!("結果ファイル {file} を読めません"))?;
    std::fs::remove_file(&path).with_context(|| format!("{} を削除できません", path.display()))?;
    if m.segment().is_empty() {
        bail!("結果ファイル {file} に SegmentOfResult がありません");
    }
    // what the reception acts on, reported to the kit (UTF-8 on stdout)
    let body = &m.message_body;
    println!("OQS-KIT segment {}", m.segment());
    if let Some(v) = &body.qualification_validity {
        println!("OQS-KIT validity {v}");
    }
    if let Some(r) = body.result_list.as_ref().and_then(|l| l.records.first()) {
        println!("OQS-KIT name {}", r.name);
    }
    // an error result's ErrorCode is the header's (TARGETS.md)
    if let Some(c) = m
        .message_header
        .error_code
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        println!("OQS-KIT error {c}");
    }
    Ok(())
}
