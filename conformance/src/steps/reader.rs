//! Operation 12, sections 03–07 \[A\]\[B\]: checks with a My Number Card at a face reader and at a
//! generic reader, with a smartphone carrying the card, and what goes wrong at a reader — a
//! wrong PIN down to the lockout, a blocked card, a card pulled mid-check, a reader unbound
//! after `ReaderInfo.ini` was deleted, the smartphone setting left at 利用しない. The driver
//! (`oqs-driver`) runs the checks against the simulated server; readers are in-process, or
//! behind a real pcscd with vpcd in the `@pcsc` scenarios.

use crate::KitWorld;
use crate::target::driver::Checked;
use anyhow::{Context, Result, bail, ensure};
use cucumber::{given, then, when};
use oqs_driver::bindings;
use oqs_driver::{CheckRequest, Driver, Operator};
use oqs_host::readers::ReaderKind;
use oqs_host::{Host, WinPath};
use oqs_proto::linkage::message::ResultMessage;
use oqs_proto::profile::Profile;
use oqs_proto::qualification::QualificationValidity;
use oqs_proto::reader::{FormFactor, IdentityMethod, ReaderInfo, ReaderMode};
use oqs_sim::provision::{self, LinkageTerminal};
use oqs_sim::reader::device::{Camera, Decision, FaceCamera, SimReader};
use oqs_sim::reader::face::{Face, Scene};
use oqs_sim::world::IssuedCard;
use std::sync::Arc;

/// Where a card is put: an in-process reader, or a vpcd reader behind pcscd.
pub enum Slot {
    InProcess(Arc<SimReader>),
    #[cfg(feature = "pcsc")]
    Pcsc(super::pcsc::PcscSlot),
}

/// The readers, cards and driver of a reader scenario.
#[derive(Default)]
pub struct ReaderScene {
    pub driver: Option<Arc<Driver>>,
    pub face: Option<(String, Slot)>,
    pub generic: Option<(String, Slot)>,
    /// The card or smartphone the person holds.
    pub card: Option<IssuedCard>,
    pub method: Option<IdentityMethod>,
    pub operator: Option<Operator>,
    pub outcome: Option<Checked>,
    /// The face reader's decision in the last face check (what its screen showed).
    pub decision: Option<Decision>,
    /// Card checks the server had answered before the last check.
    pub checks_before: usize,
    /// The APDU at which the card will be pulled during the next check.
    pub pull_at: Option<usize>,
}

fn scene(w: &mut KitWorld) -> &mut ReaderScene {
    w.reader.get_or_insert_with(ReaderScene::default)
}

fn driver(w: &KitWorld) -> Result<Arc<Driver>> {
    w.reader.as_ref().and_then(|r| r.driver.clone()).context(
        "シナリオに資格確認端末のドライバがありません（「…セットアップ済みである」を先に）",
    )
}

/// The in-process face reader of the scenario (its camera, power and idle screen are the
/// simulator's, not PC/SC's).
fn face_reader(w: &mut KitWorld) -> Result<Arc<SimReader>> {
    match &scene(w).face {
        Some((_, Slot::InProcess(r))) => Ok(r.clone()),
        _ => bail!("顔認証付きカードリーダーがありません"),
    }
}

fn method(label: &str) -> Result<IdentityMethod> {
    IdentityMethod::from_label(label)
        .with_context(|| format!("本人確認の方法「{label}」はありません"))
}

/// The insured person whose card check yields `validity` (the seeded data set's persons
/// 0 and 1).
fn person_for(validity: &str) -> Result<usize> {
    match QualificationValidity::from_label(validity) {
        Some(QualificationValidity::Valid) => Ok(0),
        Some(QualificationValidity::Invalid) => Ok(1),
        _ => bail!("カードでの資格確認の資格有効性は「有効」か「無効」です: {validity}"),
    }
}

#[given(regex = r"^資格確認端末「([^」]+)」が医療機関コード「(\d{10})」でセットアップ済みである$")]
async fn set_up_terminal(w: &mut KitWorld, name: String, code: String) -> Result<()> {
    let code: oqs_proto::institution::InstitutionCode = code.parse()?;
    let t = provision::reader_terminal(w.sim(), &LinkageTerminal::new(&name, &code)).await?;
    w.set_terminal(t);
    w.code = Some(code);
    let host: Arc<dyn Host> = w.terminal()?.clone();
    let readers = Arc::new(w.sim().readers().clone());
    let d = Driver::new(host, readers, Profile::builtin().clone());
    let s = scene(w);
    s.driver = Some(Arc::new(d));
    s.operator = Some(Operator {
        user: provision::OPERATOR_USER.into(),
        password: provision::OPERATOR_PASSWORD.into(),
    });
    for (u, p) in [
        (provision::FACE_USER, provision::FACE_PASSWORD),
        (provision::OPERATOR_USER, provision::OPERATOR_PASSWORD),
        (provision::LINKAGE_USER, provision::LINKAGE_PASSWORD),
    ] {
        w.portal.passwords.insert(u.into(), p.into());
    }
    Ok(())
}

#[given(
    regex = r"^(顔認証付きカードリーダー|汎用カードリーダー)（シリアル番号「([^」]+)」）が接続されている$"
)]
async fn reader_attached(w: &mut KitWorld, kind: String, serial: String) -> Result<()> {
    let k = if kind == "汎用カードリーダー" {
        ReaderKind::Generic
    } else {
        ReaderKind::Face
    };
    if w.driver_role.needs_pcsc() {
        // an external driver reaches readers only through PC/SC
        #[cfg(feature = "pcsc")]
        return super::pcsc::attach(w, k, serial).await;
        #[cfg(not(feature = "pcsc"))]
        bail!("外部のドライバには PC/SC のカードリーダーが要ります（feature `pcsc`）");
    }
    let r = w.sim().readers().attach(k, &serial);
    let s = scene(w);
    let slot = Some((serial, Slot::InProcess(r)));
    match k {
        ReaderKind::Face => s.face = slot,
        ReaderKind::Generic => s.generic = slot,
    }
    Ok(())
}

#[given(
    regex = r"^ログイン名管理ツールで顔認証用アカウント「([^」]+)」をシリアル番号「([^」]+)」のカードリーダーに新規追加する$"
)]
#[when(
    regex = r"^ログイン名管理ツールで顔認証用アカウント「([^」]+)」をシリアル番号「([^」]+)」のカードリーダーに新規追加する$"
)]
async fn bind(w: &mut KitWorld, login: String, serial: String) -> Result<()> {
    let d = driver(w)?;
    let password = if login == provision::FACE_USER {
        provision::FACE_PASSWORD.to_owned()
    } else {
        w.portal.passwords.get(&login).cloned().unwrap_or_default()
    };
    match bindings::add(
        d.host().as_ref(),
        d.readers().as_ref(),
        &serial,
        &login,
        &password,
    ) {
        Ok(()) => w.screen = format!("シリアル番号「{serial}」: 接続中"),
        Err(e) => w.screen = e.to_string(),
    }
    Ok(())
}

/// Observes: component — the reader driver's ログイン名管理ツール list (bindings::states)
#[then(
    regex = r"^ログイン名管理ツールでシリアル番号「([^」]+)」のカードリーダーは「(接続中|未接続|未登録)」である$"
)]
async fn binding_state(w: &mut KitWorld, serial: String, state: String) -> Result<()> {
    let d = driver(w)?;
    let states = bindings::states(d.host().as_ref(), d.readers().as_ref())?;
    let got = states
        .iter()
        .find(|(s, _)| *s == serial)
        .map(|(_, st)| st.label())
        .unwrap_or("（一覧にない）");
    ensure!(
        got == state,
        "状態は「{got}」です（期待「{state}」）: {states:?}"
    );
    Ok(())
}

/// Observes: component — the reader driver's ログイン名管理ツール list (bindings::states)
#[then(regex = r"^ログイン名管理ツールにシリアル番号「([^」]+)」のカードリーダーは表示されない$")]
async fn binding_gone(w: &mut KitWorld, serial: String) -> Result<()> {
    let d = driver(w)?;
    let states = bindings::states(d.host().as_ref(), d.readers().as_ref())?;
    ensure!(
        !states.iter().any(|(s, _)| *s == serial),
        "まだ表示されています: {states:?}"
    );
    Ok(())
}

#[when(
    regex = r"^ログイン名管理ツールでシリアル番号「([^」]+)」のカードリーダーのパスワードを「([^」]+)」に変更する$"
)]
async fn rebind_password(w: &mut KitWorld, serial: String, password: String) -> Result<()> {
    let d = driver(w)?;
    bindings::set_password(d.host().as_ref(), &serial, &password)?;
    Ok(())
}

#[when(regex = r"^顔認証用アカウント「([^」]+)」のパスワードを「([^」]+)」に変更する$")]
async fn change_face_password(w: &mut KitWorld, id: String, new: String) -> Result<()> {
    w.login_as(oqs_proto::account::AccountKind::Face, &id)
        .await?;
    w.change_password(&new, &new)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

#[when(regex = r"^ログイン名管理ツールでシリアル番号「([^」]+)」のカードリーダーを撤去する$")]
async fn unbind(w: &mut KitWorld, serial: String) -> Result<()> {
    let d = driver(w)?;
    match bindings::remove(d.host().as_ref(), d.readers().as_ref(), &serial) {
        Ok(()) => w.screen = format!("シリアル番号「{serial}」を撤去しました"),
        Err(e) => w.screen = e.to_string(),
    }
    Ok(())
}

#[when(regex = r"^顔認証付きカードリーダーの電源を切り、ケーブルを外す$")]
async fn unplug(w: &mut KitWorld) -> Result<()> {
    face_reader(w)?.set_plugged(false);
    Ok(())
}

#[when(regex = r"^(?:C:\\ProgramData\\OQS-Auth\\)?ReaderInfo\.ini を削除する$")]
async fn delete_reader_info(w: &mut KitWorld) -> Result<()> {
    let p = w
        .terminal()?
        .files()
        .resolve(&WinPath::parse(ReaderInfo::FILE)?)?;
    std::fs::remove_file(&p).with_context(|| format!("{} を削除できません", p.display()))?;
    Ok(())
}

#[given(regex = r"^顔認証付きカードリーダー操作で運転モードを「([^」]+)」にする$")]
#[when(regex = r"^顔認証付きカードリーダー操作で運転モードを「([^」]+)」にする$")]
async fn set_mode(w: &mut KitWorld, mode: String) -> Result<()> {
    let m = ReaderMode::from_label(&mode)
        .with_context(|| format!("運転モード「{mode}」はありません"))?;
    let d = driver(w)?;
    let serial = scene(w)
        .face
        .as_ref()
        .map(|f| f.0.clone())
        .context("顔認証付きカードリーダーがありません")?;
    bindings::set_mode(d.host().as_ref(), &serial, m)?;
    Ok(())
}

/// Observes: component — the mode in the driver's ReaderInfo.ini (bindings::load)
#[then(regex = r"^顔認証付きカードリーダー操作で「([^」]+)」が緑色のボタンになっている$")]
async fn mode_is(w: &mut KitWorld, mode: String) -> Result<()> {
    let d = driver(w)?;
    let serial = scene(w)
        .face
        .as_ref()
        .map(|f| f.0.clone())
        .context("顔認証付きカードリーダーがありません")?;
    let info = bindings::load(d.host().as_ref())?;
    let got = info
        .readers
        .get(&serial)
        .map(|b| b.mode.label())
        .context("このカードリーダーは登録されていません")?;
    ensure!(got == mode, "緑色のボタンは「{got}」です");
    Ok(())
}

#[given(
    regex = r"^資格有効性「([^」]+)」の人の(マイナンバーカード|iPhone|Android)（暗証番号「(\d+)」）がある$"
)]
#[when(
    regex = r"^資格有効性「([^」]+)」の人の(マイナンバーカード|iPhone|Android)（暗証番号「(\d+)」）がある$"
)]
async fn has_card(w: &mut KitWorld, validity: String, carrier: String, pin: String) -> Result<()> {
    let form = match carrier.as_str() {
        "iPhone" => FormFactor::IPhone,
        "Android" => FormFactor::Android,
        _ => FormFactor::Card,
    };
    let card = w.sim().issue_card(person_for(&validity)?, form, &pin);
    scene(w).card = Some(card);
    Ok(())
}

#[given(
    regex = r"^そのカードの利用者証明用電子証明書の暗証番号は(\d)回続けて間違えられてロックされている$"
)]
async fn card_blocked(w: &mut KitWorld, times: u32) -> Result<()> {
    let card = scene(w).card.clone().context("カードがありません")?;
    let mut c = card.lock().unwrap_or_else(|e| e.into_inner());
    use oqs_proto::reader::apdu::Command;
    use oqs_proto::reader::jpki::{EF_AUTH_PIN, JPKI_AP};
    c.process(&Command::select_df(&JPKI_AP).to_bytes());
    c.process(&Command::select_ef(EF_AUTH_PIN).to_bytes());
    for _ in 0..times {
        c.process(&Command::verify(Some(b"0000")).to_bytes());
    }
    ensure!(c.auth_pin_tries_left() == 0, "ロックされていません");
    Ok(())
}

#[given(
    regex = r"^環境設定の「スマホによる本人確認（カードリーダー使用）」が「利用する」になっている$"
)]
async fn smartphone_on(w: &mut KitWorld) -> Result<()> {
    let code = w.code()?;
    w.sim().registry().set_service(
        &code,
        oqs_proto::settings::Service::SmartphoneIdentity,
        oqs_proto::settings::Usage::Use,
    )?;
    Ok(())
}

#[when(regex = r"^本人確認の方法に「([^」]+)」を選ぶ$")]
async fn choose(w: &mut KitWorld, m: String) -> Result<()> {
    scene(w).method = Some(method(&m)?);
    Ok(())
}

/// The face reader's camera: the simulated device's, whether the reader is in process or
/// behind pcscd.
fn face_camera(s: &ReaderScene) -> Option<Arc<FaceCamera>> {
    match &s.face {
        Some((_, Slot::InProcess(r))) => Some(r.camera().clone()),
        #[cfg(feature = "pcsc")]
        Some((_, Slot::Pcsc(p))) => Some(p.camera.clone()),
        None => None,
    }
}

fn stand(w: &mut KitWorld, camera: Camera) -> Result<()> {
    face_camera(scene(w))
        .context("顔認証付きカードリーダーがありません")?
        .stand(camera);
    Ok(())
}

/// The holder's face seed, read off the card the person holds (the simulator's knowledge of
/// whose card it is).
fn holder_face(w: &mut KitWorld) -> Result<u64> {
    let card = scene(w).card.clone().context("カードがありません")?;
    let printed =
        oqs_sim::reader::vpcd::Card::printed(&*card.lock().unwrap_or_else(|e| e.into_inner()));
    Ok(printed
        .context("マイナンバーカードではありません")?
        .holder_face)
}

#[when(
    regex = r"^顔認証付きカードリーダーのカメラの前に(カードの持ち主|カードの持ち主とは別の人)が立つ$"
)]
async fn stand_before_camera(w: &mut KitWorld, who: String) -> Result<()> {
    let camera = if who == "カードの持ち主" {
        Camera::Holder
    } else {
        // someone whose face is not the holder's
        let holder = holder_face(w)?;
        let other = (1..)
            .map(|i| w.sim().face_seed(10_000 + i))
            .find(|s| *s != holder)
            .unwrap_or_default();
        Camera::Sees(Scene::Person(other))
    };
    stand(w, camera)
}

#[when(regex = r"^顔認証付きカードリーダーのカメラの前から人がいなくなる$")]
async fn nobody_before_camera(w: &mut KitWorld) -> Result<()> {
    stand(w, Camera::Sees(Scene::Nobody))
}

#[when(regex = r"^顔認証付きカードリーダーのカメラにカードの持ち主の顔写真をかざす$")]
async fn photo_before_camera(w: &mut KitWorld) -> Result<()> {
    let holder = holder_face(w)?;
    stand(w, Camera::Sees(Scene::Photograph(Face::of(holder).photo())))
}

/// Observes: simulator — the face reader device's own screen after it compared the camera's
/// picture with the card's photo (the device's decision, which the driver then acts on).
#[then(regex = r"^顔認証付きカードリーダーの画面に「([^」]+)」と表示される$")]
async fn face_reader_screen(w: &mut KitWorld, text: String) -> Result<()> {
    let shown = scene(w)
        .decision
        .as_ref()
        .map(Decision::screen)
        .context("顔認証付きカードリーダーはまだ顔を照合していません")?;
    ensure!(shown.contains(&text), "画面の表示: {shown}");
    Ok(())
}

#[when(regex = r"^iPhoneで生体認証を行う$")]
async fn biometrics(w: &mut KitWorld) -> Result<()> {
    let card = scene(w).card.clone().context("iPhoneがありません")?;
    card.lock()
        .unwrap_or_else(|e| e.into_inner())
        .set_biometric_passed(true);
    Ok(())
}

#[when(regex = r"^カードリーダーが読み取っている途中で(?:カード|スマートフォン)が取り外される$")]
async fn pull_mid(w: &mut KitWorld) -> Result<()> {
    // the 4th APDU: after SELECT, the token, and the start of the certificate
    scene(w).pull_at = Some(4);
    Ok(())
}

async fn put(w: &mut KitWorld, face: bool) -> Result<()> {
    let s = scene(w);
    let card = s.card.clone().context("カードがありません")?;
    let pull = s.pull_at.take();
    let slot = if face { &mut s.face } else { &mut s.generic };
    let (_, slot) = slot
        .as_mut()
        .context("そのカードリーダーは接続されていません")?;
    match slot {
        Slot::InProcess(r) => {
            r.insert(card);
            if let Some(n) = pull {
                r.pull_during_apdu(n - 1);
            }
        }
        #[cfg(feature = "pcsc")]
        Slot::Pcsc(p) => p.insert(card, pull).await?,
    }
    Ok(())
}

/// The identification method chosen for the next check: on the reader's own screen (the
/// scenario's choice), or on the portal's 資格情報照会 screen in the browser, which the
/// terminal's reader software (played by the simulator) takes from the server.
fn chosen_method(w: &mut KitWorld, face: bool) -> Result<Option<IdentityMethod>> {
    // the face reader chooses on its own screen, never the portal's
    if face || scene(w).method.is_some() {
        return Ok(scene(w).method);
    }
    let code = w.code()?;
    Ok(w.sim().registry().asked_card_method(&code))
}

/// Runs the check the screen is set up for, as the person's action at the reader: by the
/// kit's driver, or by the run's driver target.
async fn run_check(w: &mut KitWorld, face: bool, pin: Option<String>) -> Result<()> {
    let d = driver(w)?;
    let checks = w.sim().registry().cards.checks();
    let chosen = chosen_method(w, face)?;
    let s = scene(w);
    let (serial, slot) = (if face { &s.face } else { &s.generic })
        .as_ref()
        .context("そのカードリーダーは接続されていません")?;
    let method = if face && pin.is_none() {
        chosen.unwrap_or(IdentityMethod::Face)
    } else {
        chosen.unwrap_or(IdentityMethod::Pin)
    };
    let req = CheckRequest {
        serial: serial.clone(),
        method,
        pin,
        operator: s.operator.clone(),
    };
    let reader_name: Option<String> = match slot {
        Slot::InProcess(_) => None,
        #[cfg(feature = "pcsc")]
        Slot::Pcsc(p) => Some(p.name().to_owned()),
    };
    // the face reader's device decides when the driver asks; a decision of an earlier check
    // is not this one's
    let camera = face_camera(s);
    if let Some(c) = &camera {
        c.take_last();
    }
    s.decision = None;
    s.checks_before = checks;
    let role = w.driver_role;
    let r = role
        .check(w, &d, &req, reader_name.as_deref(), face, camera.as_deref())
        .await?;
    let (screen, outcome) = match r {
        Ok(o) => (
            format!("{}\n資格有効性: {}", o.message, o.validity),
            Some(o),
        ),
        Err(e) => (e, None),
    };
    w.screen = screen;
    let s = scene(w);
    s.outcome = outcome;
    if face {
        s.decision = camera.and_then(|c| c.take_last());
    }
    Ok(())
}

#[when(regex = r"^顔認証付きカードリーダーにマイナンバーカードを置く$")]
async fn put_on_face(w: &mut KitWorld) -> Result<()> {
    put(w, true).await
}

#[when(regex = r"^顔認証付きカードリーダーに表示されるメニューをタップして、顔認証を実施する$")]
async fn face_auth(w: &mut KitWorld) -> Result<()> {
    scene(w).method = Some(IdentityMethod::Face);
    run_check(w, true, None).await
}

#[when(regex = r"^顔認証付きカードリーダーで(目視確認|暗証番号)を選ぶ$")]
async fn face_reader_choice(w: &mut KitWorld, m: String) -> Result<()> {
    scene(w).method = Some(method(&m)?);
    if m == "目視確認" {
        run_check(w, true, None).await?;
    }
    Ok(())
}

#[when(regex = r"^顔認証付きカードリーダーで暗証番号「(\d*)」を入力する$")]
async fn face_reader_pin(w: &mut KitWorld, pin: String) -> Result<()> {
    scene(w).method = Some(IdentityMethod::Pin);
    run_check(w, true, Some(pin)).await
}

#[when(
    regex = r"^汎用カードリーダーに(?:マイナンバーカードを差し込む|マイナンバーカードをかざす|iPhoneをかざす|Androidスマートフォンをかざす)$"
)]
async fn put_on_generic(w: &mut KitWorld) -> Result<()> {
    put(w, false).await?;
    // checks without a PIN start as soon as the card is read
    let m = chosen_method(w, false)?.context("先に本人確認の方法を選んでください")?;
    if matches!(m, IdentityMethod::Visual | IdentityMethod::IPhone) {
        run_check(w, false, None).await?;
    }
    Ok(())
}

#[when(
    regex = r"^暗証番号入力画面で(?:利用者証明用電子証明書の暗証番号)?「(\d*)」を入力し、OKをクリックする$"
)]
async fn enter_pin(w: &mut KitWorld, pin: String) -> Result<()> {
    run_check(w, false, Some(pin)).await
}

/// Observes: component — the reader driver's check result (built-in or driver target)
#[then(regex = r"^資格情報確認に資格有効性「([^」]+)」の資格情報が表示される$")]
async fn shows_qualification(w: &mut KitWorld, validity: String) -> Result<()> {
    let screen = w.screen.clone();
    let o = scene(w)
        .outcome
        .as_ref()
        .with_context(|| format!("資格確認は完了していません。画面:\n{screen}"))?;
    ensure!(o.validity == validity, "資格有効性は「{}」です", o.validity);
    ensure!(o.records > 0, "資格情報がありません");
    Ok(())
}

/// Observes: simulator — the qualification server's card-check counter
#[then(regex = r"^資格確認の要求はサーバーに(\d+)件送られた$")]
async fn server_saw(w: &mut KitWorld, n: usize) -> Result<()> {
    let before = scene(w).checks_before;
    let now = w.sim().registry().cards.checks();
    ensure!(
        now - before == n,
        "サーバーが受けたカードでの資格確認の要求は {} 件です（期待 {n} 件）",
        now - before
    );
    Ok(())
}

/// Observes: component — the face result file the driver wrote, parsed by oqs-proto
#[then(
    regex = r"^FaceDataDir「([^」]+)」に顔認証の結果ファイルが作られ、ReferenceClassificationは「(\d)」である$"
)]
async fn face_file(w: &mut KitWorld, dir: String, rc: String) -> Result<()> {
    let s = scene(w);
    let o = s.outcome.as_ref().context("資格確認は完了していません")?;
    let path = o
        .face_file
        .clone()
        .context("結果ファイルは作られていません")?;
    let dir = w.terminal()?.files().resolve(&WinPath::parse(&dir)?)?;
    ensure!(
        path.starts_with(&dir),
        "{} は {} にありません",
        path.display(),
        dir.display()
    );
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    ensure!(
        name.starts_with("OQSsiquc01res_face_"),
        "ファイル名「{name}」"
    );
    let m = ResultMessage::from_bytes(&std::fs::read(&path)?)?;
    ensure!(
        m.message_header.reference_classification.as_deref() == Some(rc.as_str()),
        "ReferenceClassification: {:?}",
        m.message_header.reference_classification
    );
    Ok(())
}

#[when(regex = r"^レセコンが共有された FaceDataDir から顔認証の結果ファイルを取り出す$")]
async fn his_takes_face_file(w: &mut KitWorld) -> Result<()> {
    let path = scene(w)
        .outcome
        .as_ref()
        .and_then(|o| o.face_file.clone())
        .context("顔認証の結果ファイルは作られていません")?;
    let (dir, file) = (
        path.parent().context("結果ファイルのフォルダ")?.to_owned(),
        path.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
    );
    w.linkage.his_reading = Some(w.his.take_from(w, &dir, &file, None).await?);
    Ok(())
}

/// Observes: component — FaceDataDir contents (where the driver writes face results)
#[then(regex = r"^FaceDataDir「([^」]+)」に結果ファイルはない$")]
async fn no_face_file(w: &mut KitWorld, dir: String) -> Result<()> {
    let dir = w.terminal()?.files().resolve(&WinPath::parse(&dir)?)?;
    let n = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    ensure!(n == 0, "{} に {n} 個のファイルがあります", dir.display());
    Ok(())
}

/// Observes: component — the notice the reader driver's ログイン名管理ツール shows
/// (bindings::notice over bindings::states)
#[then(regex = r"^ログイン名管理ツールに「(どのログイン名にも登録されていない.+)」と表示される$")]
async fn unregistered_notice(w: &mut KitWorld, want: String) -> Result<()> {
    let d = driver(w)?;
    let states = bindings::states(d.host().as_ref(), d.readers().as_ref())?;
    let shown = bindings::notice(&states).unwrap_or_default();
    ensure!(
        shown == want,
        "ログイン名管理ツールの表示: 「{shown}」: {states:?}"
    );
    Ok(())
}

#[when(regex = r"^カードリーダーの設定ツールで待機画面の医療機関名を「([^」]+)」にする$")]
async fn set_idle_name(w: &mut KitWorld, name: String) -> Result<()> {
    face_reader(w)?.set_idle_screen(&name);
    Ok(())
}

/// Observes: simulator — the sim face reader's idle screen, which only the settings-tool step
/// of the same scenario sets: a read-back of the simulator that can play no manual step, so
/// nothing may claim on it (the reader's own display is not modelled)
#[then(regex = r"^顔認証付きカードリーダーの待機画面に「([^」]+)」と表示される$")]
async fn idle_shows(w: &mut KitWorld, name: String) -> Result<()> {
    let shown = face_reader(w)?.idle_screen();
    ensure!(shown.contains(&name), "待機画面: 「{shown}」");
    Ok(())
}
