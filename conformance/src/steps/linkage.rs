//! Operations 5 and 12 \[C\]: the linkage app and the HIS's request/result files, seen from the
//! receipt computer's side — it drops files into `C:\OQS\req` and reads `C:\OQS\res` — and
//! from the installer's (Credential Manager, config files, OQSComAppRestart).

use crate::KitWorld;
use crate::target::linkage::{Linkage, NotStarted};
use anyhow::{Context, Result, bail, ensure};
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use oqs_host::credentials::GenericCredential;
use oqs_host::{Host, WinPath};
use oqs_proto::account::AccountKind;
use oqs_proto::linkage::crypt::{self, CryptPass};
use oqs_proto::linkage::message::{Request, RequestBody, RequestHeader, ResultMessage};
use oqs_proto::qualification::{ALL_VALIDITIES, QualificationValidity};
use oqs_proto::settings::CharacterCode;
use std::path::PathBuf;
use std::time::Duration;

/// The request folder (`req`) of the kit's profile, where the receipt computer drops requests.
pub fn req_dir() -> &'static str {
    &oqs_proto::profile::Profile::builtin().linkage.request_dir
}

/// The result folder (`res`) of the kit's profile.
pub fn res_dir() -> &'static str {
    &oqs_proto::profile::Profile::builtin().linkage.result_dir
}
const CONFIG: &str = r"C:\ProgramData\OQS\OQSComApp\config";

/// The linkage app (operations 5 and 12 \[C\]) and what the receipt computer exchanged with it:
/// the requests it dropped into `req` and the results it read from `res`.
#[derive(Default)]
pub struct LinkageScene {
    /// The running linkage app.
    pub app: Option<Linkage>,
    /// Results published by the app's earlier starts in this scenario (before a restart or
    /// a crash), to tell a result published twice.
    pub published_before: Vec<String>,
    /// The last result file the HIS read, raw and parsed.
    pub result_bytes: Option<Vec<u8>>,
    pub result: Option<ResultMessage>,
    /// That result's text as written (decrypted, decoded by its declaration).
    pub result_text: Option<String>,
    /// A request the HIS is still writing.
    pub pending_request: Option<Vec<u8>>,
    /// The last check request the HIS put into `req` (whose person a result must name).
    pub his_request: Option<Request>,
    /// What the HIS read from the last result it took out of `res`.
    pub his_reading: Option<crate::target::his::Reading>,
    /// Requests of the last batch, and how many had results when the app crashed.
    pub batch: usize,
    pub answered_before_crash: usize,
    /// The 受付番号 of the last bulk download the HIS asked for.
    pub reception: Option<String>,
}

fn folder(w: &KitWorld, win: &str) -> Result<PathBuf> {
    let p = w.terminal()?.files().resolve(&WinPath::parse(win)?)?;
    std::fs::create_dir_all(&p)?;
    Ok(p)
}

/// The terminal's result folder on disk.
pub(crate) fn res_folder(w: &KitWorld) -> Result<PathBuf> {
    folder(w, res_dir())
}

fn code(label: &str) -> Result<CharacterCode> {
    CharacterCode::from_label(label).with_context(|| format!("文字コード「{label}」はありません"))
}

/// A check request for a person whose qualification is `validity`.
fn check_request(w: &KitWorld, validity: &str, afi: &str) -> Result<Request> {
    let v = QualificationValidity::from_label(validity)
        .with_context(|| format!("資格有効性「{validity}」はありません"))?;
    Ok(Request::qualification_check(
        w.code()?.as_str(),
        "20250401",
        Some(afi),
        w.sim().registry().insured.example(v),
    ))
}

/// The kit's own HIS writing: a temporary file moved into `req` whole.
fn drop_into_req(w: &KitWorld, name: &str, bytes: &[u8]) -> Result<()> {
    crate::target::his::move_in(&folder(w, req_dir())?, name, bytes)
}

/// Waits for a file the app is expected to write (a guard against hanging, not a timing test).
/// The failure shows the end of the app's log, which usually says why.
async fn wait_for(w: &KitWorld, path: &std::path::Path) -> Result<Vec<u8>> {
    for _ in 0..1000 {
        if let Ok(b) = std::fs::read(path) {
            return Ok(b);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let log = w.linkage.app.as_ref().map(|a| a.log()).unwrap_or_default();
    let tail = &log[log.len().saturating_sub(20)..];
    bail!(
        "{} が作られません。連携アプリケーションのログ（最後の{}行）:\n{}",
        path.display(),
        tail.len(),
        tail.join("\n")
    )
}

fn files(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        v.push(e?.file_name().to_string_lossy().into_owned());
    }
    v.sort();
    Ok(v)
}

/// The terminal's `OQS_CRYPT_PASS` (the HIS shares it).
fn crypt_pass(w: &KitWorld) -> Result<CryptPass> {
    Ok(w.terminal()?
        .credentials()
        .read_generic(oqs_proto::linkage::config::OQS_CRYPT_PASS)?
        .context("OQS_CRYPT_PASS がありません")?
        .password
        .parse()?)
}

fn app(w: &mut KitWorld) -> Result<&mut Linkage> {
    w.linkage
        .app
        .as_mut()
        .context("連携アプリケーションが起動していません")
}

// ---- installer: accounts, Credential Manager, config ----

#[given(regex = r"^連携アプリケーション用アカウント「([^」]+)」が登録されている$")]
async fn linkage_account(w: &mut KitWorld, id: String) -> Result<()> {
    w.ensure_account(AccountKind::Linkage, &id).await?;
    Ok(())
}

#[given(regex = r"^資格情報マネージャーに次の汎用資格情報を登録する:?$")]
#[when(regex = r"^資格情報マネージャーに次の汎用資格情報を登録する:?$")]
async fn credentials(w: &mut KitWorld, step: &Step) -> Result<()> {
    let table = step.table.as_ref().context("表がありません")?;
    for row in table.rows.iter().skip(1) {
        let [target, user, password] = &row[..] else {
            bail!("表の列は「アドレス | ユーザー名 | パスワード」です");
        };
        // 「（R0RENK01のパスワード）」: the password the scenario gave that account.
        let password = match password
            .strip_prefix('（')
            .and_then(|p| p.strip_suffix("のパスワード）"))
        {
            Some(id) => w
                .portal
                .passwords
                .get(id)
                .cloned()
                .with_context(|| format!("{id} のパスワードがわかりません"))?,
            None => password.clone(),
        };
        w.terminal()?
            .credentials()
            .write_generic(GenericCredential {
                target: target.clone(),
                user: user.clone(),
                password,
            })?;
    }
    Ok(())
}

#[given(regex = r"^資格情報マネージャーの汎用資格情報「([^」]+)」を削除する$")]
async fn delete_credential(w: &mut KitWorld, target: String) -> Result<()> {
    ensure!(
        w.terminal()?.credentials().delete_generic(&target)?,
        "「{target}」は登録されていません"
    );
    Ok(())
}

#[when(regex = r"^資格情報マネージャーの汎用資格情報「([^」]+)」のパスワードを「(.*)」に変更する$")]
async fn change_credential(w: &mut KitWorld, target: String, password: String) -> Result<()> {
    let creds = w.terminal()?.credentials();
    let mut c = creds
        .read_generic(&target)?
        .with_context(|| format!("「{target}」は登録されていません"))?;
    c.password = password;
    creds.write_generic(c)?;
    Ok(())
}

#[given(regex = r"^設定ファイル「([^」]+)」に「(.+)」と書く$")]
#[when(regex = r"^設定ファイル「([^」]+)」に「(.+)」と書く$")]
async fn config_line(w: &mut KitWorld, file: String, line: String) -> Result<()> {
    let path = folder(w, CONFIG)?.join(&file);
    let mut text = std::fs::read(&path).unwrap_or_default();
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&line);
    text.extend_from_slice(&bytes);
    text.extend_from_slice(b"\r\n");
    std::fs::write(path, text)?;
    Ok(())
}

#[given(regex = r"^環境設定の文字コードが「(.+)」に設定されている$")]
async fn site_code(w: &mut KitWorld, label: String) -> Result<()> {
    let cc = code(&label)?;
    w.sim()
        .registry()
        .set_character_code(&w.code()?, cc)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

#[when(regex = r"^連携アプリケーション用アカウント「([^」]+)」のパスワードを「(.+)」に変更する$")]
async fn change_linkage_password(w: &mut KitWorld, id: String, new: String) -> Result<()> {
    w.login_as(AccountKind::Linkage, &id).await?;
    w.change_password(&new, &new)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

// ---- the app ----

#[given(regex = r"^連携アプリケーションを起動する$")]
#[when(regex = r"^連携アプリケーションを起動する$")]
async fn start(w: &mut KitWorld) -> Result<()> {
    match Linkage::start(w, None).await? {
        Ok(app) => {
            w.linkage.app = Some(app);
            w.screen = "連携アプリケーションを開始しました".into();
        }
        Err(NotStarted(why)) => w.screen = why,
    }
    Ok(())
}

#[given(
    regex = r"^連携アプリケーションを、(\d+)件目の要求の「(.+)」直後に異常終了するように起動する$"
)]
async fn start_with_fault(w: &mut KitWorld, n: usize, point: String) -> Result<()> {
    use oqs_linkage::{CrashPoint, Fault};
    let at = match point.as_str() {
        "要求を作業フォルダに移した" => CrashPoint::Claimed,
        "結果を作業フォルダに書いた" => CrashPoint::Prepared,
        "要求を削除した" => CrashPoint::Consumed,
        "結果を結果フォルダに出力した" => CrashPoint::Published,
        other => bail!("「{other}」という時点はありません"),
    };
    match Linkage::start(w, Some(Fault { at, request: n })).await? {
        Ok(app) => w.linkage.app = Some(app),
        Err(NotStarted(why)) => bail!("連携アプリケーションが起動しません: {why}"),
    }
    Ok(())
}

#[when(regex = r"^連携アプリケーションが異常終了するまで待つ$")]
async fn wait_crash(w: &mut KitWorld) -> Result<()> {
    let mut app = w
        .linkage
        .app
        .take()
        .context("連携アプリケーションが起動していません")?;
    app.wait_ended().await?;
    w.linkage.published_before.extend(app.published());
    w.linkage.answered_before_crash = files(&folder(w, res_dir())?)?.len();
    Ok(())
}

#[when(regex = r"^OQSComAppRestart を実行する$")]
async fn restart(w: &mut KitWorld) -> Result<()> {
    if let Some(app) = w.linkage.app.take() {
        let published = app.stop().await?;
        w.linkage.published_before.extend(published);
    }
    start(w).await
}

#[when(regex = r"^連携アプリケーションが異常終了する$")]
async fn crash(w: &mut KitWorld) -> Result<()> {
    let published = w
        .linkage
        .app
        .take()
        .context("連携アプリケーションが起動していません")?
        .crash()
        .await;
    w.linkage.published_before.extend(published);
    Ok(())
}

/// Observes: component — the linkage app's refusal to start (Linkage::start gave NotStarted)
#[then(regex = r"^連携アプリケーションは起動しない$")]
async fn not_started(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.linkage.app.is_none(),
        "連携アプリケーションが起動しています"
    );
    Ok(())
}

/// Observes: component — the linkage app's log lines
#[then(regex = r"^連携アプリケーションのログに「(.+)」と出る$")]
async fn log_says(w: &mut KitWorld, text: String) -> Result<()> {
    // an external app's stderr is read on its own: give a line written just now a moment
    for _ in 0..200 {
        if app(w)?.log().iter().any(|l| l.contains(&text)) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bail!(
        "ログに「{text}」がありません:\n{}",
        app(w)?.log().join("\n")
    )
}

// ---- the HIS ----

#[given(
    regex = r"^レセコンが資格有効性「(.+)」となる人の資格確認の要求ファイル「([^」]+)」を(UTF-8|Shift_JIS)で要求フォルダに置く$"
)]
#[when(
    regex = r"^レセコンが資格有効性「(.+)」となる人の資格確認の要求ファイル「([^」]+)」を(UTF-8|Shift_JIS)で要求フォルダに置く$"
)]
async fn his_check(w: &mut KitWorld, validity: String, name: String, enc: String) -> Result<()> {
    let r = check_request(w, &validity, &name)?;
    his_puts_check(w, &name, code(&enc)?, &r).await
}

/// A check request the HIS puts into `req`: the kit's own writing, or a HIS target's (checked).
async fn his_puts_check(
    w: &mut KitWorld,
    name: &str,
    cc: CharacterCode,
    r: &Request,
) -> Result<()> {
    w.linkage.his_request = Some(r.clone());
    w.his.put_check(w, name, cc, r).await
}

#[when(
    regex = r"^レセコンが資格確認の要求ファイル「([^」]+)」をパスワード「([^」]+)」の暗号化ZIPにして要求フォルダに置く$"
)]
async fn his_encrypted(w: &mut KitWorld, name: String, pass: String) -> Result<()> {
    let xml_name = name.replace(".zip", ".xml");
    let r = check_request(w, "有効", &name)?;
    let pass: CryptPass = pass.parse()?;
    let zip = crypt::seal(&xml_name, &r.to_bytes(CharacterCode::Utf8)?, &pass);
    w.linkage.his_request = Some(r);
    drop_into_req(w, &name, &zip)
}

#[when(regex = r"^レセコンが途中で切れた暗号化ZIP「([^」]+)」を要求フォルダに置く$")]
async fn his_truncated(w: &mut KitWorld, name: String) -> Result<()> {
    let xml_name = name.replace(".zip", ".xml");
    let r = check_request(w, "有効", &name)?;
    let pass = crypt_pass(w)?;
    let zip = crypt::seal(&xml_name, &r.to_bytes(CharacterCode::Utf8)?, &pass);
    drop_into_req(w, &name, &zip[..zip.len() * 2 / 3])
}

#[when(regex = r"^レセコンが要求ファイル「([^」]+)」の前半だけを要求フォルダに直接書き込む$")]
async fn his_half(w: &mut KitWorld, name: String) -> Result<()> {
    let r = check_request(w, "有効", &name)?.to_bytes(CharacterCode::Utf8)?;
    std::fs::write(folder(w, req_dir())?.join(&name), &r[..r.len() / 2])?;
    w.linkage.pending_request = Some(r);
    Ok(())
}

#[when(regex = r"^レセコンが要求ファイル「([^」]+)」の残りを書き込む$")]
async fn his_rest(w: &mut KitWorld, name: String) -> Result<()> {
    let r = w
        .linkage
        .pending_request
        .take()
        .context("書きかけの要求がありません")?;
    std::fs::write(folder(w, req_dir())?.join(&name), r)?;
    Ok(())
}

#[when(
    regex = r"^レセコンがXML宣言はUTF-8のまま、Shift_JISで書いた要求ファイル「([^」]+)」を要求フォルダに置く$"
)]
async fn his_wrong_encoding(w: &mut KitWorld, name: String) -> Result<()> {
    // Japanese text in the request, so the bytes really differ between the two encodings.
    let r = check_request(w, "有効", "受付１番")?;
    let text = r.to_xml();
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_vec();
    bytes.extend_from_slice(&sjis);
    drop_into_req(w, &name, &bytes)
}

#[when(
    regex = r"^レセコンが医療機関コード「(\d+)」の資格確認の要求ファイル「([^」]+)」を要求フォルダに置く$"
)]
async fn his_other_institution(w: &mut KitWorld, code: String, name: String) -> Result<()> {
    let mut r = check_request(w, "有効", &name)?;
    r.message_header.medical_institution_code = code;
    drop_into_req(w, &name, &r.to_bytes(CharacterCode::Utf8)?)
}

#[when(regex = r"^レセコンが形式に誤りのある要求ファイル「([^」]+)」を要求フォルダに置く$")]
async fn his_malformed(w: &mut KitWorld, name: String) -> Result<()> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader><MedicalInstitutionCode>{}</MessageHeader></XmlMsg>\n",
        w.code()?
    );
    drop_into_req(w, &name, xml.as_bytes())
}

#[when(regex = r"^レセコンが要求フォルダに「([^」]+)」というファイルを置く$")]
async fn his_other_file(w: &mut KitWorld, name: String) -> Result<()> {
    drop_into_req(w, &name, b"memo")
}

#[when(regex = r"^レセコンが資格確認の要求ファイルを(\d+)件続けて要求フォルダに置く$")]
async fn his_batch(w: &mut KitWorld, n: usize) -> Result<()> {
    for i in 0..n {
        let name = format!("OQSsiquc01req_BATCH{i:04}.xml");
        let r = check_request(w, "有効", &name)?;
        drop_into_req(w, &name, &r.to_bytes(CharacterCode::Utf8)?)?;
    }
    w.linkage.batch = n;
    Ok(())
}

#[given(regex = r"^結果ファイル「([^」]+)」が作られるまで待つ$")]
#[when(regex = r"^結果ファイル「([^」]+)」が作られるまで待つ$")]
async fn wait_result(w: &mut KitWorld, name: String) -> Result<()> {
    wait_for(w, &folder(w, res_dir())?.join(name)).await?;
    Ok(())
}

#[when(regex = r"^レセコンが結果ファイル「([^」]+)」を取り出す$")]
async fn his_takes(w: &mut KitWorld, name: String) -> Result<()> {
    let res = folder(w, res_dir())?;
    wait_for(w, &res.join(&name)).await?;
    let pass = w
        .terminal()?
        .credentials()
        .read_generic(oqs_proto::linkage::config::OQS_CRYPT_PASS)?
        .map(|c| c.password);
    w.linkage.his_reading = Some(w.his.take(w, &name, pass.as_deref()).await?);
    Ok(())
}

fn his_reading(w: &KitWorld) -> Result<&crate::target::his::Reading> {
    w.linkage
        .his_reading
        .as_ref()
        .context("レセコンはまだ結果ファイルを取り出していません")
}

/// Observes: component — what the HIS read from the result file the linkage app wrote (an
/// error result's ErrorCode, or a normal one's QualificationValidity)
#[then(
    regex = r"^レセコンが読み取った結果は SegmentOfResult「(\d+)」、(QualificationValidity|ErrorCode)「([^」]+)」である$"
)]
async fn his_read_result(
    w: &mut KitWorld,
    segment: String,
    element: String,
    want: String,
) -> Result<()> {
    let r = his_reading(w)?;
    let got = if element == "ErrorCode" {
        r.error.as_deref()
    } else {
        r.validity.as_deref()
    };
    ensure!(
        r.segment == segment && got == Some(want.as_str()),
        "レセコンが読み取ったのは SegmentOfResult「{}」、{element}「{}」です",
        r.segment,
        got.unwrap_or("（なし）")
    );
    Ok(())
}

/// Observes: component — the name the HIS read from the linkage app's result, against the
/// simulated server's record of the person the request named
#[then(regex = r"^レセコンが読み取った氏名は、要求した人の氏名と一字も違わない$")]
async fn his_read_name(w: &mut KitWorld) -> Result<()> {
    let r = his_reading(w)?;
    let req = w
        .linkage
        .his_request
        .as_ref()
        .context("レセコンはまだ要求を置いていません")?;
    let s = req
        .message_body
        .search_infos
        .first()
        .context("要求に照会条件がありません")?;
    let registry = &w.sim().registry().insured;
    let names: Vec<String> = registry
        .find(
            &s.insurer_number,
            &s.insured_card_symbol,
            &s.insured_identification_number,
            &s.insured_branch_number,
        )
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let got = r.name.as_deref().unwrap_or("（氏名なし）");
    ensure!(
        names.iter().any(|n| n == got),
        "レセコンが読み取った氏名は「{got}」です（要求した人: {names:?}）"
    );
    Ok(())
}

#[given(regex = r"^(\d+)分が経過した$")]
#[when(regex = r"^(\d+)分が経過した$")]
async fn minutes_pass(w: &mut KitWorld, m: i64) -> Result<()> {
    w.sim().clock().advance(time::Duration::minutes(m));
    Ok(())
}

#[when(
    regex = r"^レセコンが氏名にShift_JISで表せない文字を含む人の資格確認の要求ファイル「([^」]+)」を(UTF-8|Shift_JIS)で要求フォルダに置く$"
)]
async fn his_check_unrepresentable(w: &mut KitWorld, name: String, enc: String) -> Result<()> {
    let mut r = check_request(w, "有効", &name)?;
    r.message_body.search_infos = vec![
        w.sim()
            .registry()
            .insured
            .example_unrepresentable_in_shift_jis(),
    ];
    his_puts_check(w, &name, code(&enc)?, &r).await
}

// ---- what the HIS finds ----

fn decrypt_if_zip(w: &KitWorld, name: &str, bytes: Vec<u8>) -> Result<Vec<u8>> {
    if !name.ends_with(".zip") {
        return Ok(bytes);
    }
    let pass = crypt_pass(w)?;
    Ok(crypt::open(
        name,
        &bytes,
        &name.replace(".zip", ".xml"),
        &pass,
        oqs_proto::profile::Profile::builtin()
            .linkage
            .max_request_xml_bytes,
    )?)
}

/// Observes: component — raw bytes of the result file the linkage app wrote in res
#[then(regex = r"^結果フォルダに結果ファイル「([^」]+)」が作られる$")]
async fn result_made(w: &mut KitWorld, name: String) -> Result<()> {
    let bytes = wait_for(w, &folder(w, res_dir())?.join(&name)).await?;
    w.linkage.result_bytes = Some(bytes.clone());
    let xml = decrypt_if_zip(w, &name, bytes)?;
    w.linkage.result = Some(ResultMessage::from_bytes(&xml)?);
    // the text as the app wrote it, read in the encoding its declaration names
    let code = oqs_proto::linkage::encoding::declared(&xml)?;
    w.linkage.result_text = Some(oqs_proto::linkage::encoding::decode(&xml, code)?);
    Ok(())
}

/// Observes: component — raw bytes of the error file the linkage app wrote in res
#[then(regex = r"^結果フォルダにエラーファイル「([^」]+)」が作られ、「(.+)」と書かれている$")]
async fn err_file(w: &mut KitWorld, name: String, text: String) -> Result<()> {
    let bytes = wait_for(w, &folder(w, res_dir())?.join(&name)).await?;
    let s = String::from_utf8_lossy(&bytes);
    ensure!(s.contains(&text), "「{text}」がありません: {s}");
    Ok(())
}

/// Observes: component — the first <element> of the result file's own text (decrypted, in its
/// declared encoding), not a re-serialisation by the kit
#[then(regex = r"^結果の(\w+)は「(.*)」である$")]
async fn result_element(w: &mut KitWorld, element: String, want: String) -> Result<()> {
    let xml = w
        .linkage
        .result_text
        .as_deref()
        .context("結果ファイルがありません")?;
    let got = first_element(xml, &element)
        .with_context(|| format!("結果に「{element}」がありません:\n{xml}"))?;
    ensure!(got == want, "{element} は「{got}」です（期待: 「{want}」）");
    Ok(())
}

/// The text of the first `<element>` in `xml` (`<element/>` is empty), entities resolved.
fn first_element(xml: &str, element: &str) -> Option<String> {
    let open = format!("<{element}>");
    let raw = match xml.find(&open) {
        Some(s) => {
            let rest = &xml[s + open.len()..];
            &rest[..rest.find(&format!("</{element}>"))?]
        }
        None if xml.contains(&format!("<{element}/>")) => "",
        None => return None,
    };
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Observes: component — ErrorMessage of the app's result file, parsed by oqs-proto
#[then(regex = r"^結果のエラーメッセージに「(.+)」と含まれる$")]
async fn error_message(w: &mut KitWorld, text: String) -> Result<()> {
    let m = w
        .linkage
        .result
        .as_ref()
        .context("結果ファイルがありません")?;
    let msg = m.message_header.error_message.clone().unwrap_or_default();
    ensure!(
        msg.contains(&text),
        "ErrorMessage「{msg}」に「{text}」がありません"
    );
    Ok(())
}

/// Observes: component — raw result-file bytes and their XML declaration
#[then(regex = r"^結果ファイルは(UTF-8|Shift_JIS)で書かれ、XML宣言もそう書かれている$")]
async fn result_encoding(w: &mut KitWorld, enc: String) -> Result<()> {
    let bytes = w
        .linkage
        .result_bytes
        .as_ref()
        .context("結果ファイルがありません")?;
    let cc = code(&enc)?;
    ensure!(
        oqs_proto::linkage::encoding::declared(bytes)? == cc,
        "XML宣言が {enc} ではありません"
    );
    let utf8 = std::str::from_utf8(bytes).is_ok();
    ensure!(
        utf8 == (cc == CharacterCode::Utf8),
        "結果ファイルのバイト列が {enc} ではありません"
    );
    Ok(())
}

/// Observes: component — raw bytes of the result ZIP the linkage app wrote
#[then(
    regex = r"^結果ファイルはパスワード「([^」]+)」のAES-256暗号化ZIPで、中には「([^」]+)」だけがある$"
)]
async fn result_zip(w: &mut KitWorld, pass: String, entry: String) -> Result<()> {
    let bytes = w
        .linkage
        .result_bytes
        .as_ref()
        .context("結果ファイルがありません")?;
    let pass: CryptPass = pass.parse()?;
    crypt::open(
        "結果ファイル",
        bytes,
        &entry,
        &pass,
        oqs_proto::profile::Profile::builtin()
            .linkage
            .max_request_xml_bytes,
    )?;
    Ok(())
}

/// Observes: component — the res folder after the linkage app's scans
#[then(
    regex = r"^連携アプリケーションが要求フォルダを(\d+)回確認しても結果フォルダは空のままである$"
)]
async fn nothing_yet(w: &mut KitWorld, n: u64) -> Result<()> {
    app(w)?.wait_scans(n).await?;
    let res = files(&folder(w, res_dir())?)?;
    ensure!(res.is_empty(), "結果フォルダに {res:?} があります");
    Ok(())
}

/// Observes: component — a res file after the linkage app's scans
#[then(
    regex = r"^連携アプリケーションが要求フォルダを(\d+)回確認しても結果ファイル「([^」]+)」は(残っている|作られない)$"
)]
async fn after_scans(w: &mut KitWorld, n: u64, name: String, how: String) -> Result<()> {
    app(w)?.wait_scans(n).await?;
    let exists = folder(w, res_dir())?.join(&name).exists();
    ensure!(
        exists == (how == "残っている"),
        "結果ファイル「{name}」: exists={exists}"
    );
    Ok(())
}

/// Observes: component — a res file after the linkage app's scans
#[then(
    regex = r"^連携アプリケーションが要求フォルダを(\d+)回確認すると結果ファイル「([^」]+)」は削除されている$"
)]
async fn deleted_after(w: &mut KitWorld, n: u64, name: String) -> Result<()> {
    app(w)?.wait_scans(n).await?;
    ensure!(
        !folder(w, res_dir())?.join(&name).exists(),
        "結果ファイル「{name}」が残っています"
    );
    Ok(())
}

/// Observes: component — the req folder as the linkage app left it
#[then(regex = r"^要求フォルダに「([^」]+)」が残っている$")]
async fn still_in_req(w: &mut KitWorld, name: String) -> Result<()> {
    ensure!(
        folder(w, req_dir())?.join(&name).exists(),
        "「{name}」がありません"
    );
    Ok(())
}

/// Observes: component — the req folder as the linkage app left it
#[then(regex = r"^要求フォルダは空である$")]
async fn req_empty(w: &mut KitWorld) -> Result<()> {
    let left = files(&folder(w, req_dir())?)?;
    ensure!(left.is_empty(), "要求フォルダに {left:?} が残っています");
    Ok(())
}

/// Observes: component — res files, and the results the app published over all its starts
#[then(regex = r"^すべての要求に結果ファイルがちょうど1つずつ作られる$")]
async fn batch_done(w: &mut KitWorld) -> Result<()> {
    let res = folder(w, res_dir())?;
    for i in 0..w.linkage.batch {
        wait_for(w, &res.join(format!("OQSsiquc01res_BATCH{i:04}.xml"))).await?;
    }
    let all = files(&res)?;
    ensure!(
        all.len() == w.linkage.batch,
        "結果は {} 件です（要求は {} 件）",
        all.len(),
        w.linkage.batch
    );
    // every start of the app in this scenario, restarts and crashes included
    let mut published = w.linkage.published_before.clone();
    published.extend(
        w.linkage
            .app
            .as_ref()
            .map(|a| a.published())
            .unwrap_or_default(),
    );
    let mut unique = published.clone();
    unique.sort();
    unique.dedup();
    ensure!(
        unique.len() == published.len(),
        "同じ結果が2度出力されました"
    );
    Ok(())
}

/// Observes: component — res files the app had written at its crash (counted by the When)
#[then(regex = r"^異常終了の時点で結果が出ていない要求があった$")]
async fn crash_was_mid_batch(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.linkage.answered_before_crash < w.linkage.batch,
        "異常終了の前にすべて処理済みでした（{} 件）",
        w.linkage.answered_before_crash
    );
    Ok(())
}

// ---- reference numbers and bulk requests ----

fn header(w: &KitWorld, afi: &str) -> Result<RequestHeader> {
    Ok(RequestHeader {
        qualification_confirmation_date: None,
        medical_institution_code: w.code()?.to_string(),
        arbitrary_file_identifier: Some(afi.into()),
    })
}

fn registration(
    w: &KitWorld,
    validity: &str,
    number: &str,
) -> Result<oqs_proto::linkage::message::ReferenceNumberRegistration> {
    let s = check_request(w, validity, "")?
        .message_body
        .search_infos
        .remove(0);
    Ok(oqs_proto::linkage::message::ReferenceNumberRegistration {
        reference_number: number.into(),
        insurer_number: s.insurer_number,
        insured_card_symbol: s.insured_card_symbol,
        insured_identification_number: s.insured_identification_number,
        insured_branch_number: s.insured_branch_number,
    })
}

#[given(
    regex = r"^レセコンが資格有効性「(.+)」となる人に照会番号「([^」]+)」を登録する要求ファイル「([^」]+)」を要求フォルダに置く$"
)]
#[when(
    regex = r"^レセコンが資格有効性「(.+)」となる人に照会番号「([^」]+)」を登録する要求ファイル「([^」]+)」を要求フォルダに置く$"
)]
async fn his_register(
    w: &mut KitWorld,
    validity: String,
    number: String,
    name: String,
) -> Result<()> {
    let r = Request {
        message_header: header(w, &name)?,
        message_body: RequestBody {
            registrations: vec![registration(w, &validity, &number)?],
            ..Default::default()
        },
    };
    drop_into_req(w, &name, &r.to_bytes(CharacterCode::Utf8)?)
}

#[when(
    regex = r"^レセコンが照会番号「([^」]+)」（有効な人）と「([^」]+)」（該当資格なしの人）を一括登録する要求ファイル「([^」]+)」を要求フォルダに置く$"
)]
async fn his_bulk_register(w: &mut KitWorld, a: String, b: String, name: String) -> Result<()> {
    let r = Request {
        message_header: header(w, &name)?,
        message_body: RequestBody {
            registrations: vec![
                registration(w, "有効", &a)?,
                registration(w, "該当資格なし", &b)?,
            ],
            ..Default::default()
        },
    };
    drop_into_req(w, &name, &r.to_bytes(CharacterCode::Utf8)?)
}

#[when(
    regex = r"^レセコンが資格有効性1から5の人を1人ずつ含む一括照会の要求ファイル「([^」]+)」を要求フォルダに置く$"
)]
async fn his_bulk_check(w: &mut KitWorld, name: String) -> Result<()> {
    let mut searches = Vec::new();
    for v in ALL_VALIDITIES {
        searches.push(w.sim().registry().insured.example(v));
    }
    let r = Request {
        message_header: header(w, &name)?,
        message_body: RequestBody {
            search_infos: searches,
            ..Default::default()
        },
    };
    drop_into_req(w, &name, &r.to_bytes(CharacterCode::Utf8)?)
}

#[when(
    regex = r"^レセコンが(その受付番号|受付番号「([^」]*)」)で結果取得の要求ファイル「([^」]+)」を要求フォルダに置く$"
)]
async fn his_download(w: &mut KitWorld, which: String, given: String, name: String) -> Result<()> {
    let reception = if which == "その受付番号" {
        w.linkage
            .result
            .as_ref()
            .and_then(|m| m.message_header.reception_number.clone())
            .context("直前の結果に受付番号（ReceptionNumber）がありません")?
    } else {
        given
    };
    w.linkage.reception = Some(reception.clone());
    let r = Request {
        message_header: header(w, &name)?,
        message_body: RequestBody {
            reception_number: Some(reception),
            ..Default::default()
        },
    };
    drop_into_req(w, &name, &r.to_bytes(CharacterCode::Utf8)?)
}

/// Observes: component — bulk units of the app's result file, parsed by oqs-proto
#[then(regex = r"^結果の一括照会の資格有効性は順に((?:「\d」)+)である$")]
async fn bulk_validities(w: &mut KitWorld, list: String) -> Result<()> {
    let want: Vec<String> = list
        .split(['「', '」'])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let m = w
        .linkage
        .result
        .as_ref()
        .context("結果ファイルがありません")?;
    let got: Vec<String> = m
        .message_body
        .bulk_confirm_units
        .iter()
        .map(|u| u.qualification_validity.clone().unwrap_or_default())
        .collect();
    ensure!(got == want, "資格有効性は {got:?} です（期待: {want:?}）");
    Ok(())
}
