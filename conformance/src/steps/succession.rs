//! Seed 001: 医療機関コードの変更 on a terminal with a face reader — unbind the reader, swap the
//! certificate, change `OQS_MEDICAL_INSTITUTION_CODE`, restart the linkage app, bind the reader
//! again, and check with a card and from the HIS.

use crate::KitWorld;
use crate::steps::certificate::Download;
use anyhow::{Context, Result, ensure};
use cucumber::{given, then, when};
use oqs_certs::{ClientSpec, Pki};
use oqs_host::{Host, WinPath};
use oqs_setup::succession;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

pub const DOWNLOADS: &str = r"C:\Users\OqsComApp\Downloads";
const BACKUP: &str = r"C:\Users\OqsComApp\Desktop\電子証明書バックアップ";

pub fn local(w: &KitWorld, win: &str) -> Result<PathBuf> {
    Ok(w.terminal()?.files().resolve(&WinPath::parse(win)?)?)
}

/// A downloaded certificate file, stamped `minutes` after the World's start (the manual picks
/// the newest by 更新日時; the stamp comes from the sim clock, never the wall clock).
fn download(w: &KitWorld, code: &str, file: &str, minutes: u64) -> Result<()> {
    let dir = local(w, DOWNLOADS)?;
    std::fs::create_dir_all(&dir)?;
    let t = w.terminal()?;
    let p = dir.join(file);
    std::fs::write(
        &p,
        Pki::shared()
            .client(&ClientSpec::new(code, t.name()))
            .to_pkcs12("1357"),
    )?;
    let start = oqs_host::Clock::now(w.sim().clock())
        .unix_timestamp()
        .max(0) as u64;
    std::fs::File::options()
        .write(true)
        .open(&p)?
        .set_modified(UNIX_EPOCH + Duration::from_secs(start + minutes * 60))?;
    Ok(())
}

#[given(
    regex = r"^医療機関コードが「(\d{10})」から「(\d{10})」に変わり、アカウントは(引き継がれている|引き継がれていない)$"
)]
async fn code_changed(w: &mut KitWorld, old: String, new: String, carried: String) -> Result<()> {
    let now = oqs_host::Clock::now(w.sim().clock());
    w.sim().registry().change_institution_code(
        &old.parse()?,
        &new.parse()?,
        carried == "引き継がれている",
        now,
    )?;
    Ok(())
}

#[given(regex = r"^C:\\Work\\InitializeFace\.bat がある$")]
async fn script_exists(w: &mut KitWorld) -> Result<()> {
    let p = local(w, succession::INITIALIZE_FACE)?;
    std::fs::create_dir_all(p.parent().context("parent")?)?;
    std::fs::write(
        p,
        "@echo off\r\nrem [kit] a stand-in for the vendor's tool: the seed does not show its prompt\r\nset /p ANS=セットアップ情報の初期化: 1 を入力してください: \r\nif \"%ANS%\"==\"1\" del \"C:\\ProgramData\\OQS-Auth\\ReaderInfo.ini\"\r\n",
    )?;
    Ok(())
}

#[when(regex = r"^個人ストアから医療機関コード「(\d{10})」の電子証明書を削除する$")]
async fn delete_cert(w: &mut KitWorld, code: String) -> Result<()> {
    let n = succession::delete_old_certificates(w.terminal()?.as_ref(), &code)?;
    ensure!(n > 0, "医療機関コード「{code}」の電子証明書はありません");
    Ok(())
}

#[when(regex = r"^C:\\Work\\InitializeFace\.bat を実行し「(.*)」を入力する$")]
async fn run_script(w: &mut KitWorld, input: String) -> Result<()> {
    w.screen = match succession::initialize_face(w.terminal()?.as_ref(), &input) {
        Ok(shown) => shown.into(),
        Err(e) => e.to_string(),
    };
    Ok(())
}

#[given(
    regex = r"^ダウンロードフォルダに医療機関コード「(\d{10})」の電子証明書ファイル「([^」]+)」が(\d+)分前に保存されている$"
)]
async fn older_download(w: &mut KitWorld, code: String, file: String, ago: u64) -> Result<()> {
    download(w, &code, &file, 1000 - ago)
}

#[when(
    regex = r"^証明書発行サイトから医療機関コード「(\d{10})」の電子証明書をダウンロードし「([^」]+)」として保存する$"
)]
async fn new_download(w: &mut KitWorld, code: String, file: String) -> Result<()> {
    download(w, &code, &file, 1000)
}

#[when(
    regex = r"^ダウンロードフォルダで更新日時が最も新しい電子証明書ファイルを選ぶ（パスワード「(\d+)」、新しい医療機関コード「(\d{10})」）$"
)]
async fn pick(w: &mut KitWorld, password: String, code: String) -> Result<()> {
    let dir = local(w, DOWNLOADS)?;
    match succession::pick_certificate(&dir, &password, &code) {
        Ok(p) => {
            w.screen = format!(
                "選んだファイル: {}",
                p.file_name().unwrap_or_default().to_string_lossy()
            );
            w.certificate.download = Some(Download {
                bytes: std::fs::read(&p)?,
                password,
                code: code.parse()?,
            });
        }
        Err(e) => w.screen = e.to_string(),
    }
    Ok(())
}

#[when(regex = r"^選んだ電子証明書ファイルをデスクトップのフォルダと外部媒体にバックアップする$")]
async fn back_up(w: &mut KitWorld) -> Result<()> {
    let dir = local(w, DOWNLOADS)?;
    let d = w
        .certificate
        .download
        .as_ref()
        .context("電子証明書ファイルを選んでいません")?;
    let file = dir.join(format!("{}.p12", d.code));
    std::fs::write(&file, &d.bytes)?;
    let desktop = local(w, BACKUP)?;
    let usb = w.sim().dir().join("外部媒体");
    let copies = succession::back_up(&file, &[&desktop, &usb])?;
    w.screen = format!("{} か所にバックアップしました", copies.len());
    Ok(())
}

/// Observes: component — backup files oqs-setup's succession::back_up copied
#[then(regex = r"^バックアップの電子証明書ファイルはパスワード「(\d+)」で開ける$")]
async fn backup_opens(w: &mut KitWorld, password: String) -> Result<()> {
    let desktop = local(w, BACKUP)?;
    let mut n = 0;
    for e in std::fs::read_dir(&desktop)? {
        let b = std::fs::read(e?.path())?;
        oqs_certs::pkcs12::import(&b, &password)?;
        n += 1;
    }
    ensure!(n > 0, "{} にバックアップがありません", desktop.display());
    Ok(())
}

#[when(regex = r"^顔認証付きカードリーダーの電源を入れ、ケーブルを接続する$")]
async fn plug_in(w: &mut KitWorld) -> Result<()> {
    match w.reader.as_ref().and_then(|r| r.face.as_ref()) {
        Some((_, crate::steps::reader::Slot::InProcess(r))) => r.set_plugged(true),
        _ => anyhow::bail!("顔認証付きカードリーダーがありません"),
    }
    Ok(())
}

/// Observes: component — the face result file the driver wrote, parsed by oqs-proto
#[then(regex = r"^顔認証の結果ファイルの医療機関コードは「(\d{10})」である$")]
async fn face_file_code(w: &mut KitWorld, code: String) -> Result<()> {
    let o = w
        .reader
        .as_ref()
        .and_then(|r| r.outcome.as_ref())
        .context("資格確認は完了していません")?;
    let path = o.face_file.clone().context("結果ファイルがありません")?;
    let m = oqs_proto::linkage::message::ResultMessage::from_bytes(&std::fs::read(path)?)?;
    ensure!(
        m.message_header.medical_institution_code == code,
        "MedicalInstitutionCode: {}",
        m.message_header.medical_institution_code
    );
    Ok(())
}

// ---- アカウント一括登録 (supplement of step 9) ----

fn account_rows(step: &cucumber::gherkin::Step) -> Result<Vec<oqs_proto::account_csv::AccountRow>> {
    let table = step.table.as_ref().context("表がありません")?;
    table
        .rows
        .iter()
        .skip(1)
        .map(|r| {
            let kind = oqs_proto::account::AccountKind::from_label(&r[0])
                .with_context(|| format!("権限区分「{}」はありません", r[0]))?;
            Ok(oqs_proto::account_csv::AccountRow {
                kind,
                user_id: r[1].clone(),
                password: r[2].clone(),
                user_name: r[3].clone(),
                user_name_kana: r.get(4).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

async fn upload(w: &mut KitWorld, file: Vec<u8>) -> Result<()> {
    w.login_master().await?;
    let body = oqs_proto::api::AccountBulkUpload {
        file: oqs_proto::api::hex(&file),
    };
    let r: std::result::Result<oqs_proto::api::AccountBulkAccepted, _> =
        w.call("POST", "accounts/bulk", Some(&body)).await;
    match r {
        Ok(a) => {
            w.screen = format!(
                "登録完了\n受付番号は{}です。\n(受付時刻:{})",
                a.reception_number, a.received_at
            );
            w.portal.bulk_reception = Some(a.reception_number);
        }
        Err(e) => w.show_failure(&e),
    }
    Ok(())
}

#[when(
    regex = r"^アカウント一括登録で、次のアカウントの(Shift-JIS|UTF-8)の CSV ファイルを選択して登録する:$"
)]
async fn bulk_register(
    w: &mut KitWorld,
    code: String,
    step: &cucumber::gherkin::Step,
) -> Result<()> {
    let file = account_file(step, &code)?;
    upload(w, file).await
}

/// The account file of a step's table, saved as `encoding` (Shift-JIS or UTF-8).
pub fn account_file(step: &cucumber::gherkin::Step, encoding: &str) -> Result<Vec<u8>> {
    let file = oqs_proto::account_csv::render(&account_rows(step)?)?;
    Ok(if encoding == "UTF-8" {
        // the same text, saved as UTF-8
        let (text, _, _) = encoding_rs::SHIFT_JIS.decode(&file);
        text.into_owned().into_bytes()
    } else {
        file
    })
}

async fn statuses(w: &mut KitWorld) -> Result<Vec<oqs_proto::api::AccountBulkStatus>> {
    w.login_master().await?;
    w.call::<(), _>("GET", "accounts/bulk", None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Observes: simulator — the portal's bulk-registration status list
#[then(
    regex = r"^アカウント一括登録結果の最新の登録状況は「([^」]+)」(?:、処理件数は「(\d+)」)?である$"
)]
async fn bulk_status(w: &mut KitWorld, status: String, count: String) -> Result<()> {
    let list = statuses(w).await?;
    let latest = list.first().context("アカウント一括登録結果がありません")?;
    ensure!(
        latest.status == status,
        "登録状況: {} ({latest:?})",
        latest.status
    );
    if !count.is_empty() {
        ensure!(
            latest.count == Some(count.parse()?),
            "処理件数: {:?}",
            latest.count
        );
    }
    Ok(())
}

/// Observes: simulator — the portal's bulk-upload 受付番号 (w.portal.bulk_reception)
#[then(
    regex = r"^アカウント一括登録結果の受付番号は「受付時刻（ミリ秒まで）_マスタアカウントID」の形である$"
)]
async fn reception_shape(w: &mut KitWorld) -> Result<()> {
    let n = w
        .portal
        .bulk_reception
        .clone()
        .context("受付番号がありません")?;
    let (ts, id) = n.split_once('_').context("「_」がありません")?;
    ensure!(
        ts.len() == 17 && ts.bytes().all(|b| b.is_ascii_digit()),
        "{n}"
    );
    ensure!(oqs_proto::account::is_master_id(id), "{n}");
    Ok(())
}

/// Observes: simulator — the portal's bulk-registration result file
#[then(regex = r"^結果ファイルで、ユーザID「([^」]+)」のエラー詳細は「([^」]*)」を含む$")]
async fn result_detail(w: &mut KitWorld, id: String, text: String) -> Result<()> {
    w.login_master().await?;
    let n = w
        .portal
        .bulk_reception
        .clone()
        .context("受付番号がありません")?;
    let r: oqs_proto::api::AccountBulkUpload = w
        .call::<(), _>("GET", &format!("accounts/bulk/{n}"), None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = oqs_proto::api::unhex(&r.file).context("hex")?;
    let (csv, _, _) = encoding_rs::SHIFT_JIS.decode(&bytes);
    let line = csv
        .lines()
        .find(|l| l.split(',').nth(1) == Some(id.as_str()))
        .with_context(|| format!("結果ファイルに「{id}」の行がありません:\n{csv}"))?;
    ensure!(line.contains(&text), "行: {line}");
    Ok(())
}
