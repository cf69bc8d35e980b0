//! Interoperability of the encrypted-file format with 7-Zip (`7z` from p7zip-full), which CI
//! installs. Skipped with a note when `7z` is not on PATH, except in CI (`CI` set), which must
//! have it.

use oqs_proto::linkage::crypt::{self, CryptPass};
use std::process::Command;

fn seven_zip() -> Option<&'static str> {
    let found = ["7z", "7za"].into_iter().find(|c| {
        Command::new(c)
            .arg("i")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        oqs_testkit::missing_tool("7z", "apt-get install p7zip-full");
    }
    found
}

/// Runs 7-Zip in `dir`.
fn run(z: &str, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(z)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

const XML: &str =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XmlMsg><Name>山田　太郎</Name></XmlMsg>\n";

#[test]
fn seven_zip_opens_what_the_kit_seals() {
    let Some(z) = seven_zip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pass: CryptPass = "Pass1234".parse().unwrap();
    let archive = crypt::seal("OQSsiquc01res_A.xml", XML.as_bytes(), &pass);
    std::fs::write(dir.path().join("OQSsiquc01res_A.zip"), archive).unwrap();
    let out = run(
        z,
        dir.path(),
        &["x", "-y", "-pPass1234", "OQSsiquc01res_A.zip"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let got = std::fs::read_to_string(dir.path().join("OQSsiquc01res_A.xml")).unwrap();
    assert_eq!(got, XML);
    // 7-Zip reports the method it used to open it
    let list = run(
        z,
        dir.path(),
        &["l", "-slt", "-pPass1234", "OQSsiquc01res_A.zip"],
    );
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("AES-256"), "{list}");
    // and refuses a wrong password
    let bad = run(z, dir.path(), &["t", "-pWrong999", "OQSsiquc01res_A.zip"]);
    assert!(!bad.status.success());
}

#[test]
fn the_kit_opens_what_seven_zip_writes() {
    let Some(z) = seven_zip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("OQSsiquc01req_B.xml"), XML).unwrap();
    let out = run(
        z,
        dir.path(),
        &[
            "a",
            "-tzip",
            "-mem=AES256",
            "-pHis12345",
            "OQSsiquc01req_B.zip",
            "OQSsiquc01req_B.xml",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let archive = std::fs::read(dir.path().join("OQSsiquc01req_B.zip")).unwrap();
    let pass: CryptPass = "His12345".parse().unwrap();
    let got = crypt::open(
        "OQSsiquc01req_B.zip",
        &archive,
        "OQSsiquc01req_B.xml",
        &pass,
        1 << 24,
    )
    .unwrap();
    assert_eq!(got, XML.as_bytes());
    let wrong: CryptPass = "His99999".parse().unwrap();
    let e = crypt::open(
        "OQSsiquc01req_B.zip",
        &archive,
        "OQSsiquc01req_B.xml",
        &wrong,
        1 << 24,
    )
    .unwrap_err();
    assert!(e.to_string().contains("パスワードが違います"), "{e}");
    // 7-Zip's default ZipCrypto is not what the profile asks for
    let out = run(
        z,
        dir.path(),
        &[
            "a",
            "-tzip",
            "-pHis12345",
            "weak.zip",
            "OQSsiquc01req_B.xml",
        ],
    );
    assert!(out.status.success());
    let weak = std::fs::read(dir.path().join("weak.zip")).unwrap();
    let e = crypt::open("weak.zip", &weak, "OQSsiquc01req_B.xml", &pass, 1 << 24).unwrap_err();
    assert!(e.to_string().contains("AES-256"), "{e}");
}
