//! The acceptance check people run by hand, automated: curl with the kit's files against the
//! qualification server. Skipped (and says so) without curl, except in CI, which installs it.

use oqs_certs::{ClientSpec, Pki};
use oqs_sim::World;
use std::process::Command;

fn curl_available() -> bool {
    oqs_testkit::require_tool("curl", "apt-get install curl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_gets_in_with_the_client_certificate_and_not_without() {
    if !curl_available() {
        return;
    }
    let world = World::builder().seed(5).build().unwrap();
    let addr = world.qualification().await.unwrap().addr();
    let dir = tempfile::tempdir().unwrap();
    let files = Pki::shared()
        .write_files(dir.path(), &ClientSpec::new("1312345678", "T1"), "1357")
        .unwrap();
    let url = format!("https://{addr}/web/api/institution");
    let run = move |with_cert: bool| {
        let mut c = Command::new("curl");
        c.args(["-sS", "--max-time", "30", "--cacert"])
            .arg(&files.ca);
        if with_cert {
            c.arg("--cert")
                .arg(&files.client_cert)
                .arg("--key")
                .arg(&files.client_key);
        }
        c.arg(&url).output().unwrap()
    };
    let run2 = run.clone();
    let ok = tokio::task::spawn_blocking(move || run(true))
        .await
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let body = String::from_utf8_lossy(&ok.stdout);
    assert!(body.contains("\"code\":\"1312345678\""), "{body}");

    let refused = tokio::task::spawn_blocking(move || run2(false))
        .await
        .unwrap();
    assert!(
        !refused.status.success(),
        "curl without a certificate got in"
    );
    let log = world.qualification().await.unwrap().rejections().clone();
    let r = tokio::time::timeout(std::time::Duration::from_secs(30), log.next_after(0))
        .await
        .unwrap();
    assert_eq!(r.code(), "no_certificate");
}

#[test]
fn openssl_verifies_the_written_chain() {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI must install openssl");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = Pki::shared()
        .write_files(dir.path(), &ClientSpec::new("1312345678", "T1"), "1357")
        .unwrap();
    // judged at the World's default start, not at the machine's date
    let at = oqs_sim::clock::DEFAULT_START.unix_timestamp().to_string();
    let out = Command::new("openssl")
        .args(["verify", "-attime", &at])
        .arg("-CAfile")
        .arg(&files.ca)
        .arg(&files.client_cert)
        .arg(&files.server_cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
