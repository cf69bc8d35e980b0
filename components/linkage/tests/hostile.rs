//! Hostile and unlucky input: every case ends with an answer a person can act on, or the
//! request left where the HIS put it and reported, and each test counts requests in and
//! results out (nothing lost, nothing twice).

mod common;

use common::*;
use oqs_linkage::{LinkageApp, Options};
use oqs_proto::linkage::crypt::{self, CryptPass};
use oqs_proto::linkage::message::ResultMessage;
use oqs_proto::profile::Profile;
use oqs_proto::qualification::QualificationValidity;
use oqs_proto::settings::CharacterCode;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

fn request_bytes(kit: &Kit, afi: &str) -> Vec<u8> {
    check_request(kit.search(QualificationValidity::Valid), afi)
        .to_bytes(CharacterCode::Utf8)
        .unwrap()
}

/// An error result's header, read as a HIS would.
async fn error_of(path: &Path) -> (String, String) {
    let m = ResultMessage::from_bytes(&wait_for(path).await).expect("a well-formed result");
    assert_eq!(m.segment(), "9", "{}", path.display());
    (
        m.message_header.error_code.clone().unwrap_or_default(),
        m.message_header.error_message.clone().unwrap_or_default(),
    )
}

/// Waits until the app's log has a line containing `text` (a guard against hanging).
async fn wait_log(app: &LinkageApp, text: &str) -> String {
    for _ in 0..1000 {
        if let Some(l) = app.log().into_iter().find(|l| l.contains(text)) {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no log line with 「{text}」: {:#?}", app.log());
}

fn with_profile(edit: impl FnOnce(&mut Profile)) -> Options {
    let mut o = fast();
    edit(&mut o.profile);
    o
}

fn assert_each_once(published: &[String], expected: usize) {
    let mut unique = published.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), published.len(), "a result went out twice");
    assert_eq!(published.len(), expected, "results out");
}

#[tokio::test]
async fn extensions_in_any_case_are_answered_as_ntfs_would_match_them() {
    let kit = Kit::new(31, None).await;
    let app = kit.start().await;
    for name in ["OQSsiquc01req_U1.XML", "OQSsiquc01req_U2.Xml"] {
        drop_file(&kit.req(), name, &request_bytes(&kit, name));
    }
    for n in ["OQSsiquc01res_U1.xml", "OQSsiquc01res_U2.xml"] {
        let m = ResultMessage::from_bytes(&wait_for(&kit.res().join(n)).await).unwrap();
        assert_eq!(m.segment(), "1", "{n}");
    }
    assert_eq!(files(&kit.req()), Vec::<String>::new());
    assert_each_once(&app.stop().await, 2);
}

#[tokio::test]
async fn a_request_name_as_long_as_the_file_system_allows_is_answered() {
    let kit = Kit::new(32, None).await;
    let app = kit.start().await;
    // 255 bytes, the most a name can have: the app's own temporary names must not be longer
    let prefix = "OQSsiquc01req_";
    let name = format!("{prefix}{}.xml", "L".repeat(255 - prefix.len() - 4));
    assert_eq!(name.len(), 255);
    let tmp = kit.req().parent().unwrap().join("long.tmp");
    std::fs::write(&tmp, request_bytes(&kit, "L")).unwrap();
    std::fs::rename(&tmp, kit.req().join(&name)).unwrap();
    let result = name.replace("req_", "res_");
    let m = ResultMessage::from_bytes(&wait_for(&kit.res().join(&result)).await).unwrap();
    assert_eq!(m.segment(), "1");
    assert_eq!(files(&kit.req()), Vec::<String>::new());
    assert_each_once(&app.stop().await, 1);
}

#[tokio::test]
async fn an_oversized_request_gets_an_error_result_naming_the_limit() {
    let kit = Kit::new(33, None).await;
    let options = with_profile(|p| p.linkage.max_request_bytes = 64 * 1024);
    let app = LinkageApp::start(kit.terminal.clone(), options)
        .await
        .unwrap();
    // 1 MiB: a well-formed request padded with a comment
    let mut big = request_bytes(&kit, "BIG");
    big.extend_from_slice(b"<!--");
    big.resize(big.len() + 1024 * 1024, b'x');
    big.extend_from_slice(b"-->");
    drop_file(&kit.req(), "OQSsiquc01req_BIG.xml", &big);
    drop_file(
        &kit.req(),
        "OQSsiquc01req_OK.xml",
        &request_bytes(&kit, "OK"),
    );
    let (code, message) = error_of(&kit.res().join("OQSsiquc01res_BIG.xml")).await;
    assert_eq!(code, "EOQS1008");
    assert!(message.contains("65536バイト"), "{message}");
    assert!(message.contains("max_request_bytes"), "{message}");
    wait_for(&kit.res().join("OQSsiquc01res_OK.xml")).await;
    assert_eq!(files(&kit.req()), Vec::<String>::new());
    assert_each_once(&app.stop().await, 2);
}

#[tokio::test]
async fn a_zip_bomb_is_answered_with_an_error_and_the_next_request_still_is() {
    let kit = Kit::new(34, Some("Kit2025pass")).await;
    std::fs::write(
        kit.dir(r"C:\ProgramData\OQS\OQSComApp\config")
            .join("encrypt.conf"),
        b"OQSsiquc01=e\r\n",
    )
    .unwrap();
    let pass: CryptPass = "Kit2025pass".parse().unwrap();
    // 256 MiB of one byte packs into ~250 KB; the profile allows 16 MiB of XML
    let bomb = crypt::seal("OQSsiquc01req_BOMB.xml", &vec![b' '; 256 << 20], &pass);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());
    let app = kit.start().await;
    drop_file(&kit.req(), "OQSsiquc01req_BOMB.zip", &bomb);
    let ok = crypt::seal("OQSsiquc01req_OK.xml", &request_bytes(&kit, "OK"), &pass);
    drop_file(&kit.req(), "OQSsiquc01req_OK.zip", &ok);
    let z = wait_for(&kit.res().join("OQSsiquc01res_BOMB.zip")).await;
    let xml = crypt::open("r", &z, "OQSsiquc01res_BOMB.xml", &pass, 1 << 24).unwrap();
    let m = ResultMessage::from_bytes(&xml).unwrap();
    assert_eq!(m.message_header.error_code.as_deref(), Some("EOQS1008"));
    assert!(
        m.message_header
            .error_message
            .as_deref()
            .is_some_and(|t| t.contains("max_request_xml_bytes")),
        "{:?}",
        m.message_header.error_message
    );
    wait_for(&kit.res().join("OQSsiquc01res_OK.zip")).await;
    assert_each_once(&app.stop().await, 2);
}

#[tokio::test]
async fn control_characters_from_a_request_keep_the_error_result_well_formed() {
    let kit = Kit::new(35, Some("Kit2025pass")).await;
    std::fs::write(
        kit.dir(r"C:\ProgramData\OQS\OQSComApp\config")
            .join("encrypt.conf"),
        b"OQSsiquc01=e\r\n",
    )
    .unwrap();
    // an archive whose entry name carries control characters
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file(
        "bad\u{1}\u{1b}name.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(b"<XmlMsg/>").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let app = kit.start().await;
    drop_file(&kit.req(), "OQSsiquc01req_CTL.zip", &bytes);
    let (code, message) = error_of(&kit.res().join("OQSsiquc01res_CTL.xml")).await;
    assert_eq!(code, "EOQS1104");
    assert!(message.contains(r"bad\u{1}\u{1b}name.xml"), "{message}");
    assert_each_once(&app.stop().await, 1);
}

#[tokio::test]
async fn a_request_that_cannot_be_read_stays_in_req_and_is_reported() {
    let kit = Kit::new(36, None).await;
    let app = kit.start().await;
    // a link to a file that is not there yet: as root, no permission denies a read
    let target = kit.req().parent().unwrap().join("later.xml");
    std::os::unix::fs::symlink(&target, kit.req().join("OQSsiquc01req_LNK.xml")).unwrap();
    let line = wait_log(&app, "要求ファイル「OQSsiquc01req_LNK.xml」を読めません").await;
    assert!(line.contains("要求フォルダに残しています"), "{line}");
    assert_eq!(files(&kit.req()), vec!["OQSsiquc01req_LNK.xml".to_owned()]);
    assert!(app.published().is_empty());
    // once it can be read, it is answered like any other
    std::fs::write(&target, request_bytes(&kit, "LNK")).unwrap();
    let m = ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSsiquc01res_LNK.xml")).await)
        .unwrap();
    assert_eq!(m.segment(), "1");
    let said = app
        .log()
        .iter()
        .filter(|l| l.contains("読めません"))
        .count();
    assert_eq!(said, 1, "reported once, not on every scan");
    assert_each_once(&app.stop().await, 1);
}

#[tokio::test]
async fn a_deleted_result_folder_is_made_again_and_named() {
    let kit = Kit::new(37, None).await;
    let app = kit.start().await;
    drop_file(
        &kit.req(),
        "OQSsiquc01req_R1.xml",
        &request_bytes(&kit, "R1"),
    );
    wait_for(&kit.res().join("OQSsiquc01res_R1.xml")).await;
    let res = kit.res();
    std::fs::remove_dir_all(&res).unwrap();
    drop_file(
        &kit.req(),
        "OQSsiquc01req_R2.xml",
        &request_bytes(&kit, "R2"),
    );
    let line = wait_log(&app, "がなかったため作り直しました").await;
    let res_dir = &oqs_proto::profile::Profile::builtin().linkage.result_dir;
    assert!(
        line.contains(&format!("結果フォルダ「{res_dir}」")),
        "{line}"
    );
    wait_for(&res.join("OQSsiquc01res_R2.xml")).await;
    assert!(
        !app.log()
            .iter()
            .any(|l| l.contains("要求フォルダ「") && l.contains("読めません")),
        "the request folder was fine: {:#?}",
        app.log()
    );
    assert_each_once(&app.stop().await, 2);
}

#[tokio::test]
async fn a_second_app_on_the_same_terminal_does_not_start() {
    let kit = Kit::new(38, None).await;
    let app = kit.start().await;
    let second = LinkageApp::start(kit.terminal.clone(), fast()).await;
    let e = second.err().expect("the second app must not start");
    assert!(e.to_string().contains("既に起動しています"), "{e}");
    for i in 0..40 {
        let name = format!("OQSsiquc01req_S{i:02}.xml");
        drop_file(&kit.req(), &name, &request_bytes(&kit, &name));
    }
    wait_for(&kit.res().join("OQSsiquc01res_S39.xml")).await;
    for i in 0..40 {
        wait_for(&kit.res().join(format!("OQSsiquc01res_S{i:02}.xml"))).await;
    }
    assert_each_once(&app.stop().await, 40);
    // once it has stopped, an app starts again
    let again = LinkageApp::start(kit.terminal.clone(), fast())
        .await
        .unwrap();
    again.stop().await;
}

#[tokio::test]
async fn a_result_that_cannot_be_written_is_retried_without_asking_the_server_again() {
    let kit = Kit::new(39, None).await;
    let app = kit.start().await;
    // the app's temporary answer file cannot be created: a folder sits on its name
    let out = kit.dir(r"C:\ProgramData\OQS\OQSComApp\work").join("out");
    let blocker = out.join("answer-0.part");
    std::fs::create_dir_all(&blocker).unwrap();
    drop_file(
        &kit.req(),
        "OQSsiquc01req_W1.xml",
        &request_bytes(&kit, "W1"),
    );
    wait_log(&app, "書き込みを再試行します").await;
    // retries go by (1 s, then 2 s apart); a retry on every scan would be ~100 by now
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(kit.world.registry().qualification_queries, 1);
    let failures = app
        .log()
        .iter()
        .filter(|l| l.contains("結果ファイルを出力できません"))
        .count();
    assert!(
        failures <= 4,
        "1 s, 2 s, … apart, not every scan: {failures}"
    );
    std::fs::remove_dir(&blocker).unwrap();
    let m = ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSsiquc01res_W1.xml")).await)
        .unwrap();
    assert_eq!(m.segment(), "1");
    assert_eq!(
        kit.world.registry().qualification_queries,
        1,
        "the server's answer was kept, not asked for again"
    );
    assert_each_once(&app.stop().await, 1);
}

/// Raises this process's open-file limit to the hard limit: the test holds the attacker's
/// sockets too. The number it can open, at most `want`.
fn allow_files(want: u64) -> u64 {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct passed; nothing else.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        l.rlim_cur = l.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &l);
    }
    want.min(l.rlim_cur.saturating_sub(300))
}

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[tokio::test]
async fn two_thousand_idle_connections_do_not_stop_the_linkage_app() {
    let kit = Kit::new(40, None).await;
    let addr = kit.world.qualification().await.unwrap().addr();
    let n = allow_files(2000) as usize;
    let before = open_files();
    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    // a normal mTLS client during the flood: the app logs in and answers
    let app = kit.start().await;
    for i in 0..5 {
        let name = format!("OQSsiquc01req_F{i}.xml");
        drop_file(&kit.req(), &name, &request_bytes(&kit, &name));
    }
    for i in 0..5 {
        let m = ResultMessage::from_bytes(
            &wait_for(&kit.res().join(format!("OQSsiquc01res_F{i}.xml"))).await,
        )
        .unwrap();
        assert_eq!(m.segment(), "1", "F{i}");
    }
    // the server holds at most its handshake limit of them; the rest are this test's own
    let server_side = open_files() - before - n;
    let limit = Profile::builtin().server.max_handshakes;
    assert!(
        server_side <= limit + 50,
        "{server_side} descriptors beyond the idle clients' own {n}"
    );
    assert_eq!(n, 2000, "the machine let the test open only {n}");
    assert_each_once(&app.stop().await, 5);
    drop(idle);
}

#[tokio::test]
async fn resets_tls_alerts_and_503_on_the_way_are_retried_and_each_request_answered_once() {
    let kit = Kit::new(41, None).await;
    let relay = kit.world.qualification_relay().await.unwrap();
    // four faults in a row follow: the dropped line, a reset, an alert, a 503
    let options = with_profile(|p| {
        p.linkage.server_retry_ms = 20;
        p.linkage.server_retries = 4;
    });
    let app = LinkageApp::start(kit.terminal.clone(), options)
        .await
        .unwrap();
    drop_file(&kit.req(), "OQSsiquc01req_A.xml", &request_bytes(&kit, "A"));
    wait_for(&kit.res().join("OQSsiquc01res_A.xml")).await;
    // the line drops; the next connections are reset, refused with an alert, then the server
    // is busy once
    relay.set(|t| {
        t.reset_next = 1;
        t.tls_alert_next = 1;
    });
    relay.cut();
    kit.world
        .qualification()
        .await
        .unwrap()
        .faults()
        .unavailable_next(1);
    for n in ["B", "C", "D"] {
        drop_file(
            &kit.req(),
            &format!("OQSsiquc01req_{n}.xml"),
            &request_bytes(&kit, n),
        );
    }
    for n in ["B", "C", "D"] {
        let path = kit.res().join(format!("OQSsiquc01res_{n}.xml"));
        let m = ResultMessage::from_bytes(&wait_for(&path).await).unwrap();
        assert_eq!(
            m.segment(),
            "1",
            "{n}: {:?} {:#?}",
            m.message_header.error_message,
            app.log()
        );
    }
    let c = relay.counts();
    assert_eq!((c.reset, c.alerted), (1, 1));
    assert_eq!(
        kit.world
            .qualification()
            .await
            .unwrap()
            .faults()
            .unavailable_sent(),
        1
    );
    let retries = app
        .log()
        .iter()
        .filter(|l| l.contains("再試行します"))
        .count();
    // the dropped kept connection costs a retry unless the client saw it closed before sending
    assert!((3..=4).contains(&retries), "{:#?}", app.log());
    assert_eq!(kit.world.registry().qualification_queries, 4);
    assert_each_once(&app.stop().await, 4);
}

#[tokio::test]
async fn a_503_to_the_first_login_is_asked_again_like_any_call() {
    let kit = Kit::new(44, None).await;
    let options = with_profile(|p| {
        p.linkage.server_retry_ms = 10;
        p.linkage.server_retries = 2;
    });
    let app = LinkageApp::start(kit.terminal.clone(), options)
        .await
        .unwrap();
    // the app has not logged in yet: the login itself gets the 503s
    let server = kit.world.qualification().await.unwrap();
    server.faults().unavailable_next(2);
    drop_file(&kit.req(), "OQSsiquc01req_L.xml", &request_bytes(&kit, "L"));
    let m =
        ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSsiquc01res_L.xml")).await).unwrap();
    assert_eq!(
        m.segment(),
        "1",
        "{:?} {:#?}",
        m.message_header.error_message,
        app.log()
    );
    assert_eq!(server.faults().unavailable_sent(), 2);
    assert_each_once(&app.stop().await, 1);
}

#[tokio::test]
async fn after_the_retries_a_request_gets_an_error_result_and_the_next_one_is_answered() {
    let kit = Kit::new(42, None).await;
    let relay = kit.world.qualification_relay().await.unwrap();
    let options = with_profile(|p| {
        p.linkage.server_retry_ms = 10;
        p.linkage.server_retries = 2;
    });
    let app = LinkageApp::start(kit.terminal.clone(), options)
        .await
        .unwrap();
    drop_file(&kit.req(), "OQSsiquc01req_W.xml", &request_bytes(&kit, "W"));
    wait_for(&kit.res().join("OQSsiquc01res_W.xml")).await;
    // three failures: the first try and both retries
    relay.set(|t| t.reset_next = 3);
    relay.cut();
    drop_file(&kit.req(), "OQSsiquc01req_X.xml", &request_bytes(&kit, "X"));
    let (code, message) = error_of(&kit.res().join("OQSsiquc01res_X.xml")).await;
    assert_eq!(code, "EOQS1304");
    assert!(message.contains("接続できません"), "{message}");
    drop_file(&kit.req(), "OQSsiquc01req_Y.xml", &request_bytes(&kit, "Y"));
    let m =
        ResultMessage::from_bytes(&wait_for(&kit.res().join("OQSsiquc01res_Y.xml")).await).unwrap();
    assert_eq!(m.segment(), "1");
    assert_each_once(&app.stop().await, 3);
}

#[tokio::test]
async fn empty_truncated_and_byte_soup_files_are_answered_once_the_clock_passes_the_limit() {
    let kit = Kit::new(43, None).await;
    let app = kit.start().await;
    let full = request_bytes(&kit, "T");
    let files_in: [(&str, &[u8]); 3] = [
        ("OQSsiquc01req_EMPTY.xml", b""),
        ("OQSsiquc01req_CUT.xml", &full[..full.len() / 2]),
        ("OQSsiquc01req_SOUP.xml", b"\x00\xff\x13garbage<<<\xfe"),
    ];
    for (name, bytes) in files_in {
        drop_file(&kit.req(), name, bytes);
    }
    wait_log(
        &app,
        "OQSsiquc01req_SOUP.xml」は書き込み途中のため待機します",
    )
    .await;
    assert!(
        app.published().is_empty(),
        "nothing is answered while they may still be written"
    );
    // `cargo xtask sim` lets this clock run at real pace; here the test moves it
    let limit = Profile::builtin().linkage.incomplete_request_minutes;
    kit.world
        .clock()
        .advance(time::Duration::minutes(limit.into()));
    for (name, _) in files_in {
        let result = name.replace("req_", "res_");
        let (code, message) = error_of(&kit.res().join(&result)).await;
        assert_eq!(code, "EOQS1007", "{name}");
        assert!(message.contains("HIS側で作り直してください"), "{message}");
    }
    assert_eq!(files(&kit.req()), Vec::<String>::new());
    assert_each_once(&app.stop().await, 3);
}

#[tokio::test]
async fn two_requests_with_one_answer_name_are_answered_one_after_the_other() {
    let kit = Kit::new(44, None).await;
    let app = kit.start().await;
    // `X.xml` and `X.zip` both answer into `OQSsiquc01res_X.xml` (the zip with an error: this
    // terminal does not encrypt); neither answer may overwrite the other
    let xml = request_bytes(&kit, "X");
    drop_file(&kit.req(), "OQSsiquc01req_X.xml", &xml);
    drop_file(&kit.req(), "OQSsiquc01req_X.zip", b"PK\x03\x04 not really");
    let result = kit.res().join("OQSsiquc01res_X.xml");
    let first = ResultMessage::from_bytes(&wait_for(&result).await).unwrap();
    wait_log(&app, "同じ名前の").await;
    assert_eq!(files(&kit.req()).len(), 1, "the second waits in req");
    // the HIS takes the first result; the second request is answered into the same name
    std::fs::remove_file(&result).unwrap();
    let second = ResultMessage::from_bytes(&wait_for(&result).await).unwrap();
    let mut segments = vec![first.segment().to_owned(), second.segment().to_owned()];
    segments.sort();
    assert_eq!(segments, ["1", "9"], "one answer each");
    assert_eq!(files(&kit.req()), Vec::<String>::new());
    assert_eq!(app.stop().await.len(), 2, "two results out");
}
