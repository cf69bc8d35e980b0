//! The virtual My Number Card in a real reader: pcscd with the vsmartcard-vpcd driver, read by
//! OpenSC's tools (TOOLCHAIN.md §1) — `opensc-tool` for the ATR and APDUs, `pkcs15-tool` with
//! OpenSC's own JPKI driver for the certificates. Runs when pcscd, the vpcd driver and OpenSC
//! are installed and the test may start pcscd (root, none running); otherwise it says why and
//! passes. There is one pcscd per machine: keep this binary to one test.

use oqs_sim::World;
use oqs_sim::reader::mynumber::FormFactor;
use oqs_sim::reader::pcscd::{self, Pcscd};
use oqs_sim::reader::vpcd::{Removal, SharedCard};
use std::process::Command;
use std::time::Duration;

fn unavailable() -> Option<String> {
    if let Some(why) = pcscd::unavailable() {
        return Some(why);
    }
    for tool in ["opensc-tool", "pkcs15-tool"] {
        if oqs_testkit::which(tool).is_none() {
            return Some(format!("{tool} is not installed (apt-get install opensc)"));
        }
    }
    None
}

fn run(tool: &str, args: &[&str]) -> String {
    // bounded: a tool waiting on a reader must not hang the test run
    let o = Command::new("timeout")
        .arg("20")
        .arg(tool)
        .args(args)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn card_present() -> bool {
    // vpcd polls for cards every 400 ms
    for _ in 0..40 {
        if run("opensc-tool", &["-r", "0", "-a"]).contains("3b:e0") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn pem_body(pem: &str) -> Vec<u8> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.to_vec())
        .unwrap_or_default()
}

// The card answers from a runtime thread while the tools block this one.
// Longer than 80 lines: one pcscd start is paid once for every tool's read of the same card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opensc_reads_the_virtual_card_through_pcscd_and_vpcd() {
    if let Some(why) = unavailable() {
        oqs_testkit::skip(&why);
        return;
    }
    let world = World::builder().seed(3).build().unwrap();
    let pcscd = Pcscd::start("oqs-kit Reader").unwrap();
    let card = world.issue_card(0, FormFactor::Card, "1234");
    let shared: SharedCard = card.clone();
    let inserted = pcscd.insert(0, shared, Removal::OnRequest).await.unwrap();
    assert!(card_present().await, "no card after 4 s");
    let atr = run("opensc-tool", &["-r", "0", "-a"]);
    assert!(atr.contains("3b:e0:00:ff:81:31:fe:45:14"), "ATR: {atr}");
    let readers = run("opensc-tool", &["-l"]);
    assert!(readers.contains("oqs-kit Reader 00 00"), "{readers}");
    let select = run(
        "opensc-tool",
        &[
            "-r",
            "0",
            "-s",
            "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
            "-s",
            "00 A4 02 0C 02 00 06",
            "-s",
            "00 B0 00 00 20",
        ],
    );
    assert!(select.contains("SW1=0x90, SW2=0x00"), "{select}");
    assert!(select.contains("JPKIAPICCTOKEN2"), "{select}");

    // OpenSC's JPKI driver recognises the card by its ATR and lists its certificates
    let name = run("opensc-tool", &["-r", "0", "-n"]);
    assert!(name.to_lowercase().contains("jpki"), "card driver: {name}");
    let certs = run("pkcs15-tool", &["-r", "0", "--list-certificates"]);
    for label in [
        "User Authentication Certificate",
        "Digital Signature Certificate",
        "User Authentication Certificate CA",
    ] {
        assert!(certs.contains(label), "{label}: {certs}");
    }
    // the authentication certificate comes out whole and is the card's
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("auth.pem");
    let read = run(
        "pkcs15-tool",
        &[
            "-r",
            "0",
            "--read-certificate",
            "01",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let pem = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(pem.contains("BEGIN CERTIFICATE"), "{read}\n{certs}");
    let der = pem_body(&pem);
    assert_eq!(der, card.lock().unwrap().contents().auth_cert);

    // and signs with the authentication key after the PIN, through OpenSC's JPKI driver
    let input = dir.path().join("hash");
    let message = b"challenge from oqs-kit";
    let hash = ring::digest::digest(&ring::digest::SHA256, message);
    std::fs::write(&input, hash.as_ref()).unwrap();
    let sig_path = dir.path().join("sig");
    // OpenSC signs a SHA-256 hash with the authentication key (key 01) after PIN 1234
    let sign = || {
        run(
            "pkcs15-crypt",
            &[
                "-r",
                "0",
                "--sign",
                "-k",
                "01",
                "--sha-256",
                "--pkcs1",
                "-p",
                "1234",
                "-i",
                input.to_str().unwrap(),
                "-o",
                sig_path.to_str().unwrap(),
            ],
        )
    };
    let signed = sign();
    let sig = std::fs::read(&sig_path).unwrap_or_default();
    assert_eq!(sig.len(), 256, "{signed}");
    assert!(
        oqs_certs::jpki::verify_card_signature(&der, message, &sig),
        "the card's signature does not verify with its certificate"
    );

    // a card whose authentication PIN is blocked: OpenSC still binds it (its jpki emulator asks
    // both PINs' status and needs 63Cx, 63C0 when blocked) and lists the certificates that
    // need no PIN; the PIN itself is refused
    let blocked = run(
        "opensc-tool",
        &[
            "-r",
            "0",
            "-s",
            "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01",
            "-s",
            "00 A4 02 0C 02 00 18",
            "-s",
            "00 20 00 80 04 30 30 30 30",
            "-s",
            "00 20 00 80 04 30 30 30 30",
            "-s",
            "00 20 00 80 04 30 30 30 30",
            "-s",
            "00 20 00 80",
            "-s",
            "00 20 00 80 04 31 32 33 34",
        ],
    );
    // the tries count down, the status query on the blocked PIN answers 63C0, and the right
    // PIN on a blocked key 6984
    let sws: Vec<&str> = blocked
        .match_indices("SW1=0x")
        .map(|(i, _)| &blocked[i..i + 18])
        .collect();
    assert_eq!(
        sws,
        [
            "SW1=0x90, SW2=0x00",
            "SW1=0x90, SW2=0x00",
            "SW1=0x63, SW2=0xC2",
            "SW1=0x63, SW2=0xC1",
            "SW1=0x63, SW2=0xC0",
            "SW1=0x63, SW2=0xC0",
            "SW1=0x69, SW2=0x84",
        ],
        "{blocked}"
    );
    assert_eq!(card.lock().unwrap().auth_pin_tries_left(), 0);
    let certs = run("pkcs15-tool", &["-r", "0", "--list-certificates"]);
    assert!(!certs.contains("Unsupported card"), "{certs}");
    for label in [
        "User Authentication Certificate",
        "User Authentication Certificate CA",
    ] {
        assert!(
            certs.contains(label),
            "{label} with the PIN blocked: {certs}"
        );
    }
    std::fs::remove_file(&sig_path).unwrap();
    let signed = sign();
    // 6984, in OpenSC's words "Reference data not usable"
    assert!(
        signed.contains("not usable") || signed.to_lowercase().contains("blocked"),
        "signing with a blocked PIN: {signed}"
    );
    assert!(!sig_path.exists(), "a signature with a blocked PIN");
    inserted.remove();
}
