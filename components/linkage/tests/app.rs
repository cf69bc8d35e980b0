//! The linkage app against the simulated qualification server, through real files, real TLS
//! and the real file protocol.

mod common;

use common::*;
use oqs_host::credentials::CredentialManager;
use oqs_linkage::{LinkageApp, Options};
use oqs_proto::linkage::config::OQS_LOGIN_KEY;
use oqs_proto::linkage::crypt::{self, CryptPass};
use oqs_proto::linkage::message::{Request, RequestBody, RequestHeader, ResultMessage};
use oqs_proto::qualification::{ALL_VALIDITIES, QualificationValidity};
use oqs_proto::settings::CharacterCode;
use std::time::Duration;

#[tokio::test]
async fn answers_each_qualification_validity() {
    let kit = Kit::new(11, None).await;
    let app = kit.start().await;
    for v in ALL_VALIDITIES {
        let r = check_request(kit.search(v), &format!("AFI{}", v as u8));
        let name = format!("OQSsiquc01req_V{}.xml", v as u8);
        drop_file(&kit.req(), &name, &r.to_bytes(CharacterCode::Utf8).unwrap());
    }
    for v in ALL_VALIDITIES {
        let path = kit.res().join(format!("OQSsiquc01res_V{}.xml", v as u8));
        let m = ResultMessage::from_bytes(&wait_for(&path).await).unwrap();
        assert_eq!(m.segment(), "1");
        let afi = format!("AFI{}", v as u8);
        assert_eq!(m.message_header.arbitrary_file_identifier, Some(afi));
        assert_eq!(
            m.message_body.qualification_validity,
            Some((v as u8).to_string())
        );
        assert_eq!(m.message_header.character_code_identifier, "0");
    }
    // requests are gone from req once answered; nothing is left in flight
    assert!(files(&kit.req()).is_empty());
    app.stop().await;
}

#[tokio::test]
async fn shift_jis_site_gets_shift_jis_results_from_a_shift_jis_request() {
    let kit = Kit::new(12, None).await;
    kit.world
        .registry()
        .set_character_code(&CODE.parse().unwrap(), CharacterCode::ShiftJis)
        .unwrap();
    let app = kit.start().await;
    let r = check_request(kit.search(QualificationValidity::Valid), "SJ");
    drop_file(
        &kit.req(),
        "OQSsiquc01req_SJ.xml",
        &r.to_bytes(CharacterCode::ShiftJis).unwrap(),
    );
    let bytes = wait_for(&kit.res().join("OQSsiquc01res_SJ.xml")).await;
    assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\""));
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "names are in Shift_JIS bytes"
    );
    let m = ResultMessage::from_bytes(&bytes).unwrap();
    assert_eq!(m.message_header.character_code_identifier, "1");
    let name = &m.message_body.result_list.unwrap().records[0].name;
    assert!(name.contains('　'), "{name}");
    app.stop().await;
}

#[tokio::test]
async fn encrypted_and_plain_kinds_side_by_side() {
    let kit = Kit::new(13, Some("Kit2025pass")).await;
    std::fs::write(
        kit.dir(r"C:\ProgramData\OQS\OQSComApp\config")
            .join("encrypt.conf"),
        b"OQSsiquc01=e\r\nOQSsiimm01=n\r\n",
    )
    .unwrap();
    let app = kit.start().await;
    let pass: CryptPass = "Kit2025pass".parse().unwrap();
    let xml = check_request(kit.search(QualificationValidity::Valid), "Z")
        .to_bytes(CharacterCode::Utf8)
        .unwrap();
    drop_file(
        &kit.req(),
        "OQSsiquc01req_Z.zip",
        &crypt::seal("OQSsiquc01req_Z.xml", &xml, &pass),
    );
    // the same kind in plain text is refused, in plain text
    drop_file(&kit.req(), "OQSsiquc01req_P.xml", &xml);
    // a wrong password and a truncated archive
    let wrong: CryptPass = "Other999".parse().unwrap();
    drop_file(
        &kit.req(),
        "OQSsiquc01req_W.zip",
        &crypt::seal("OQSsiquc01req_W.xml", &xml, &wrong),
    );
    let good = crypt::seal("OQSsiquc01req_T.xml", &xml, &pass);
    drop_file(&kit.req(), "OQSsiquc01req_T.zip", &good[..good.len() - 40]);

    let z = wait_for(&kit.res().join("OQSsiquc01res_Z.zip")).await;
    let inner = crypt::open("r", &z, "OQSsiquc01res_Z.xml", &pass, 1 << 24).unwrap();
    let m = ResultMessage::from_bytes(&inner).unwrap();
    assert_eq!(m.message_body.qualification_validity.as_deref(), Some("1"));

    for (name, code) in [
        ("OQSsiquc01res_P.xml", "EOQS1101"),
        ("OQSsiquc01res_W.xml", "EOQS1102"),
        ("OQSsiquc01res_T.xml", "EOQS1103"),
    ] {
        let m = ResultMessage::from_bytes(&wait_for(&kit.res().join(name)).await).unwrap();
        assert_eq!(m.segment(), "9", "{name}");
        assert_eq!(m.message_header.error_code.as_deref(), Some(code), "{name}");
    }
    assert_eq!(files(&kit.req()), Vec::<String>::new());
    app.stop().await;
}

#[tokio::test]
async fn a_half_written_request_is_not_read_until_complete() {
    let kit = Kit::new(14, None).await;
    let mut app = kit.start().await;
    let bytes = check_request(kit.search(QualificationValidity::Valid), "H")
        .to_bytes(CharacterCode::Utf8)
        .unwrap();
    let path = kit.req().join("OQSsiquc01req_H.xml");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    app.wait_scans(8).await;
    assert!(files(&kit.res()).is_empty());
    assert!(path.exists(), "the half file stays where the HIS writes it");
    assert!(
        app.log().iter().any(|l| l.contains("書き込み途中")),
        "{:?}",
        app.log()
    );
    std::fs::write(&path, &bytes).unwrap();
    let m =
        ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSsiquc01res_H.xml")).await).unwrap();
    assert_eq!(m.segment(), "1");
    app.stop().await;
}

#[tokio::test]
async fn malformed_request_gets_an_error_result_naming_the_problem() {
    let kit = Kit::new(15, None).await;
    let app = kit.start().await;
    drop_file(
        &kit.req(),
        "OQSsiquc01req_M.xml",
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><MessageHeader></XmlMsg>",
    );
    drop_file(&kit.req(), "notes.txt", b"hello");
    let m =
        ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSsiquc01res_M.xml")).await).unwrap();
    assert_eq!(m.segment(), "9");
    assert_eq!(m.message_header.error_code.as_deref(), Some("EOQS1001"));
    // the unknown file is left alone and named in the log
    assert!(kit.req().join("notes.txt").exists());
    assert!(app.log().iter().any(|l| l.contains("notes.txt")));
    app.stop().await;
}

#[tokio::test]
async fn duplicate_name_waits_until_the_old_result_is_taken() {
    let kit = Kit::new(16, None).await;
    let mut app = kit.start().await;
    let r1 = check_request(kit.search(QualificationValidity::Valid), "FIRST");
    drop_file(
        &kit.req(),
        "OQSsiquc01req_D.xml",
        &r1.to_bytes(CharacterCode::Utf8).unwrap(),
    );
    let res = kit.res().join("OQSsiquc01res_D.xml");
    wait_for(&res).await;
    let r2 = check_request(kit.search(QualificationValidity::NotFound), "SECOND");
    drop_file(
        &kit.req(),
        "OQSsiquc01req_D.xml",
        &r2.to_bytes(CharacterCode::Utf8).unwrap(),
    );
    app.wait_scans(6).await;
    let first = ResultMessage::from_bytes(&std::fs::read(&res).unwrap()).unwrap();
    assert_eq!(
        first.message_header.arbitrary_file_identifier.as_deref(),
        Some("FIRST")
    );
    assert!(kit.req().join("OQSsiquc01req_D.xml").exists());
    // the HIS takes the first result; the second request is answered then
    std::fs::remove_file(&res).unwrap();
    let second = ResultMessage::from_bytes(&wait_for(&res).await).unwrap();
    assert_eq!(
        second.message_header.arbitrary_file_identifier.as_deref(),
        Some("SECOND")
    );
    assert_eq!(app.published().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_crash_at_any_step_of_the_protocol_loses_and_repeats_nothing() {
    use oqs_linkage::{CrashPoint, Fault};
    for (i, at) in [
        CrashPoint::Claimed,
        CrashPoint::Prepared,
        CrashPoint::Consumed,
        CrashPoint::Published,
    ]
    .into_iter()
    .enumerate()
    {
        let kit = Kit::new(170 + i as u64, None).await;
        let n = 12;
        for j in 0..n {
            let r = check_request(kit.search(QualificationValidity::Valid), &format!("B{j}"));
            drop_file(
                &kit.req(),
                &format!("OQSsiquc01req_B{j:03}.xml"),
                &r.to_bytes(CharacterCode::Utf8).unwrap(),
            );
        }
        let mut app = LinkageApp::start(
            kit.terminal.clone(),
            Options {
                fault: Some(Fault { at, request: 4 }),
                ..fast()
            },
        )
        .await
        .unwrap();
        if tokio::time::timeout(Duration::from_secs(20), app.wait_ended())
            .await
            .is_err()
        {
            panic!(
                "{at:?}: the injected crash did not happen: {:#?}",
                app.log()
            );
        }
        let before = files(&kit.res()).len();
        assert!(
            before < n,
            "{at:?}: the crash came mid-batch ({before} of {n})"
        );
        let mut app = kit.start().await;
        for j in 0..n {
            wait_for(&kit.res().join(format!("OQSsiquc01res_B{j:03}.xml"))).await;
        }
        app.wait_scans(2).await;
        app.stop().await;
        assert_eq!(files(&kit.res()).len(), n, "{at:?}");
        assert!(files(&kit.req()).is_empty(), "{at:?}");
    }
}

#[tokio::test]
async fn forgotten_results_are_deleted_after_the_stay_time() {
    let kit = Kit::new(18, None).await;
    let mut app = kit.start().await;
    let r = check_request(kit.search(QualificationValidity::Valid), "F");
    drop_file(
        &kit.req(),
        "OQSsiquc01req_F.xml",
        &r.to_bytes(CharacterCode::Utf8).unwrap(),
    );
    let res = kit.res().join("OQSsiquc01res_F.xml");
    wait_for(&res).await;
    kit.world.clock().advance(time::Duration::minutes(1439));
    app.wait_scans(3).await;
    assert!(res.exists(), "1439 minutes is not yet the default 1440");
    kit.world.clock().advance(time::Duration::minutes(1));
    app.wait_scans(3).await;
    assert!(!res.exists());
    assert!(app.log().iter().any(|l| l.contains("忘れファイル削除")));
    app.stop().await;
}

#[tokio::test]
async fn missing_credential_stops_the_start_naming_it() {
    let kit = Kit::new(19, None).await;
    kit.terminal.delete_generic(OQS_LOGIN_KEY).unwrap();
    let e = LinkageApp::start(kit.terminal.clone(), fast())
        .await
        .err()
        .unwrap();
    assert!(e.to_string().contains("OQS_LOGIN_KEY"), "{e}");
}

#[tokio::test]
async fn bulk_check_upload_then_download_by_reception_number() {
    let kit = Kit::new(20, None).await;
    let app = kit.start().await;
    let searches: Vec<_> = ALL_VALIDITIES.iter().map(|v| kit.search(*v)).collect();
    let up = Request {
        message_header: RequestHeader {
            medical_institution_code: CODE.into(),
            ..Default::default()
        },
        message_body: RequestBody {
            search_infos: searches,
            ..Default::default()
        },
    };
    drop_file(
        &kit.req(),
        "OQSmuquc01req_U.xml",
        &up.to_bytes(CharacterCode::Utf8).unwrap(),
    );
    let m =
        ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSmuquc01res_U.xml")).await).unwrap();
    let reception = m.message_header.reception_number.unwrap();
    let down = |tag: &str| Request {
        message_header: RequestHeader {
            medical_institution_code: CODE.into(),
            arbitrary_file_identifier: Some(tag.into()),
            ..Default::default()
        },
        message_body: RequestBody {
            reception_number: Some(reception.clone()),
            ..Default::default()
        },
    };
    drop_file(
        &kit.req(),
        "OQSmuquc02req_1.xml",
        &down("early").to_bytes(CharacterCode::Utf8).unwrap(),
    );
    let early =
        ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSmuquc02res_1.xml")).await).unwrap();
    assert_eq!(early.segment(), "2", "still processing");
    kit.world.clock().advance(time::Duration::minutes(1));
    drop_file(
        &kit.req(),
        "OQSmuquc02req_2.xml",
        &down("late").to_bytes(CharacterCode::Utf8).unwrap(),
    );
    let done =
        ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSmuquc02res_2.xml")).await).unwrap();
    assert_eq!(done.segment(), "1");
    assert_eq!(
        done.message_header.number_of_processing_result.as_deref(),
        Some("5")
    );
    let v: Vec<_> = done
        .message_body
        .bulk_confirm_units
        .iter()
        .map(|u| u.qualification_validity.clone().unwrap())
        .collect();
    assert_eq!(v, ["1", "2", "3", "4", "5"]);
    // an unknown reception number: the bulk kind's .err file
    let mut bad = down("bad");
    bad.message_body.reception_number = Some("000".into());
    drop_file(
        &kit.req(),
        "OQSmuquc02req_3.xml",
        &bad.to_bytes(CharacterCode::Utf8).unwrap(),
    );
    let err = wait_for(&kit.res().join("OQSmuquc02req_3.err")).await;
    assert!(String::from_utf8(err).unwrap().contains("EOQS2002"));
    app.stop().await;
}
