//! The driver against the simulated world: a provisioned terminal, in-process readers, real
//! cards with RSA keys, the mTLS qualification server.

use oqs_driver::bindings::{self, BindingState};
use oqs_driver::{CheckError, CheckRequest, Driver, Operator};
use oqs_host::readers::ReaderKind;
use oqs_host::{Host, WinPath};
use oqs_proto::linkage::message::ResultMessage;
use oqs_proto::profile::Profile;
use oqs_proto::qualification::QualificationValidity;
use oqs_proto::reader::{FormFactor, IdentityMethod, ReaderMode};
use oqs_sim::World;
use oqs_sim::provision::{self, LinkageTerminal};
use oqs_sim::reader::device::Camera;
use oqs_sim::reader::face::Scene;
use std::sync::Arc;

struct Setup {
    world: World,
    driver: Driver,
    host: Arc<dyn Host>,
}

async fn setup() -> Setup {
    let world = World::builder().seed(7).build().unwrap();
    let code = oqs_sim::world::DEFAULT_INSTITUTION.parse().unwrap();
    let t = provision::reader_terminal(&world, &LinkageTerminal::new("OQS-PC01", &code))
        .await
        .unwrap();
    let host: Arc<dyn Host> = Arc::new(t);
    let readers = Arc::new(world.readers().clone());
    let driver = Driver::new(host.clone(), readers, Profile::builtin().clone());
    Setup {
        world,
        driver,
        host,
    }
}

fn operator() -> Option<Operator> {
    Some(Operator {
        user: provision::OPERATOR_USER.into(),
        password: provision::OPERATOR_PASSWORD.into(),
    })
}

fn req(serial: &str, method: IdentityMethod, pin: Option<&str>) -> CheckRequest {
    CheckRequest {
        serial: serial.into(),
        method,
        pin: pin.map(str::to_owned),
        operator: operator(),
    }
}

// Longer than 80 lines: one unattended check, then every field of the face file it wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_reader_unattended_writes_the_face_result_file() {
    let s = setup().await;
    let reader = s.world.readers().attach(ReaderKind::Face, "FJ24000001");
    // not registered yet: the tool lists it as 未登録, and a check says how to register it
    assert_eq!(
        bindings::states(s.host.as_ref(), s.driver.readers().as_ref()).unwrap(),
        vec![("FJ24000001".to_string(), BindingState::Unregistered)]
    );
    let card = s.world.issue_card(0, FormFactor::Card, "1234");
    reader.insert(card.clone());
    let e = s
        .driver
        .check(&req("FJ24000001", IdentityMethod::Face, None))
        .await
        .unwrap_err();
    assert!(matches!(e, CheckError::Unbound(_)), "{e}");
    assert!(e.to_string().contains("新規追加"), "{e}");

    bindings::add(
        s.host.as_ref(),
        s.driver.readers().as_ref(),
        "FJ24000001",
        provision::FACE_USER,
        provision::FACE_PASSWORD,
    )
    .unwrap();
    let out = s
        .driver
        .check(&req("FJ24000001", IdentityMethod::Face, None))
        .await
        .unwrap();
    assert_eq!(out.message, "確認が完了しました");
    assert_eq!(
        out.answer.result.qualification_validity,
        QualificationValidity::Valid
    );
    let file = out.face_file.expect("OutputFlg defaults to true");
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("OQSsiquc01res_face_") && name.ends_with(".xml"),
        "{name}"
    );
    let m = ResultMessage::from_bytes(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        m.message_header.reference_classification.as_deref(),
        Some("1")
    );
    assert_eq!(
        m.message_header
            .arbitrary_file_identifier
            .as_deref()
            .map(str::len),
        Some(16)
    );
    let face_dir = s
        .host
        .files()
        .resolve(&WinPath::parse(&oqs_proto::profile::Profile::builtin().linkage.face_dir).unwrap())
        .unwrap();
    assert!(file.starts_with(&face_dir));

    // someone else stands before the camera: nothing is sent, nothing written
    reader.camera().stand(Camera::Sees(Scene::Person(4242)));
    let e = s
        .driver
        .check(&req("FJ24000001", IdentityMethod::Face, None))
        .await
        .unwrap_err();
    assert!(matches!(e, CheckError::FaceNotMatched), "{e}");
    assert_eq!(std::fs::read_dir(&face_dir).unwrap().count(), 1);

    // 暗証番号認証固定: face is refused with the mode's name, PIN works
    bindings::set_mode(s.host.as_ref(), "FJ24000001", ReaderMode::PinFixed).unwrap();
    let e = s
        .driver
        .check(&req("FJ24000001", IdentityMethod::Face, None))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("暗証番号認証固定"), "{e}");
    s.driver
        .check(&req("FJ24000001", IdentityMethod::Pin, Some("1234")))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_count_down_to_a_lockout_and_nothing_reaches_the_server() {
    let s = setup().await;
    let reader = s.world.readers().attach(ReaderKind::Generic, "GR-0001");
    let card = s.world.issue_card(0, FormFactor::Card, "4321");
    reader.insert(card.clone());
    let checks_before = s.world.registry().cards.checks();
    for left in [2u8, 1] {
        let e = s
            .driver
            .check(&req("GR-0001", IdentityMethod::Pin, Some("1111")))
            .await
            .unwrap_err();
        assert!(e.to_string().contains(&format!("あと{left}回")), "{e}");
    }
    let e = s
        .driver
        .check(&req("GR-0001", IdentityMethod::Pin, Some("1111")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ロックされています"), "{e}");
    // even the right PIN is refused now, by the card
    let e = s
        .driver
        .check(&req("GR-0001", IdentityMethod::Pin, Some("4321")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ロックされています"), "{e}");
    assert_eq!(s.world.registry().cards.checks(), checks_before);
    // 目視確認 still works with a blocked PIN
    s.driver
        .check(&req("GR-0001", IdentityMethod::Visual, None))
        .await
        .unwrap();
    assert_eq!(s.world.registry().cards.checks(), checks_before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_mid_check_sends_nothing_and_the_next_try_works() {
    let s = setup().await;
    let reader = s.world.readers().attach(ReaderKind::Generic, "GR-0002");
    reader.insert(s.world.issue_card(1, FormFactor::Card, "1234"));
    reader.pull_during_apdu(3);
    let e = s
        .driver
        .check(&req("GR-0002", IdentityMethod::Pin, Some("1234")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("取り外されました"), "{e}");
    assert_eq!(s.world.registry().cards.checks(), 0);
    reader.insert(s.world.issue_card(1, FormFactor::Card, "1234"));
    let out = s
        .driver
        .check(&req("GR-0002", IdentityMethod::Pin, Some("1234")))
        .await
        .unwrap();
    // person 1 lost the qualification
    assert_eq!(
        out.answer.result.qualification_validity,
        QualificationValidity::Invalid
    );
    assert_eq!(s.world.registry().cards.checks(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smartphones_need_the_site_setting_and_the_right_button() {
    let s = setup().await;
    let reader = s.world.readers().attach(ReaderKind::Generic, "GR-0003");
    let phone = s.world.issue_card(0, FormFactor::Android, "1234");
    reader.insert(phone);
    let e = s
        .driver
        .check(&req("GR-0003", IdentityMethod::Android, Some("1234")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("利用しない"), "{e}");
    let code = oqs_sim::world::DEFAULT_INSTITUTION.parse().unwrap();
    s.world
        .registry()
        .set_service(
            &code,
            oqs_proto::settings::Service::SmartphoneIdentity,
            oqs_proto::settings::Usage::Use,
        )
        .unwrap();
    s.driver
        .check(&req("GR-0003", IdentityMethod::Android, Some("1234")))
        .await
        .unwrap();
    // the iPhone button with an Android phone on the reader
    let e = s
        .driver
        .check(&req("GR-0003", IdentityMethod::IPhone, None))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Android"), "{e}");
    // iPhone: biometrics first
    let iphone = s.world.issue_card(2, FormFactor::IPhone, "1234");
    reader.insert(iphone.clone());
    let e = s
        .driver
        .check(&req("GR-0003", IdentityMethod::IPhone, None))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("生体認証"), "{e}");
    iphone.lock().unwrap().set_biometric_passed(true);
    s.driver
        .check(&req("GR-0003", IdentityMethod::IPhone, None))
        .await
        .unwrap();
}

fn write_config(s: &Setup, name: &str, bytes: &[u8]) {
    let dir = s
        .host
        .files()
        .resolve(&WinPath::parse(r"C:\ProgramData\OQS\OQSComApp\config").unwrap())
        .unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_face_results_need_oqs_crypt_pass_before_anything_is_sent() {
    let s = setup().await;
    let reader = s.world.readers().attach(ReaderKind::Generic, "GR-0009");
    reader.insert(s.world.issue_card(0, FormFactor::Card, "1234"));
    write_config(&s, "encrypt_face.conf", b"OQSsiquc01=e\r\n");
    // no OQS_CRYPT_PASS on this terminal: refused up front, the server saw nothing
    let e = s
        .driver
        .check(&req("GR-0009", IdentityMethod::Visual, None))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("OQS_CRYPT_PASS"), "{e}");
    assert_eq!(s.world.registry().cards.checks(), 0);

    use oqs_host::credentials::{CredentialManager, GenericCredential};
    s.world
        .terminal("OQS-PC01")
        .unwrap()
        .write_generic(GenericCredential {
            target: "OQS_CRYPT_PASS".into(),
            user: "OQS_Admin".into(),
            password: "Face2025".into(),
        })
        .unwrap();
    let out = s
        .driver
        .check(&req("GR-0009", IdentityMethod::Visual, None))
        .await
        .unwrap();
    let zip = out.face_file.unwrap();
    assert_eq!(zip.extension().unwrap(), "zip");
    let pass: oqs_proto::linkage::crypt::CryptPass = "Face2025".parse().unwrap();
    let xml_name = zip
        .file_name()
        .unwrap()
        .to_string_lossy()
        .replace(".zip", ".xml");
    let xml = oqs_proto::linkage::crypt::open(
        &xml_name,
        &std::fs::read(&zip).unwrap(),
        &xml_name,
        &pass,
        1 << 24,
    )
    .unwrap();
    let m = ResultMessage::from_bytes(&xml).unwrap();
    assert_eq!(
        m.message_header.reference_classification.as_deref(),
        Some("1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_reader_info_ini_is_named_by_line_and_nothing_is_sent() {
    let s = setup().await;
    let reader = s.world.readers().attach(ReaderKind::Face, "FJ24000002");
    reader.insert(s.world.issue_card(0, FormFactor::Card, "1234"));
    let path = s
        .host
        .files()
        .resolve(&WinPath::parse(oqs_proto::reader::ReaderInfo::FILE).unwrap())
        .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "[FJ24000002]\r\nこれは設定ではない\r\n").unwrap();
    let e = s
        .driver
        .check(&req("FJ24000002", IdentityMethod::Face, None))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("2 行目") && e.to_string().contains("ログイン名管理ツール"),
        "{e}"
    );
    assert_eq!(s.world.registry().cards.checks(), 0);
}
