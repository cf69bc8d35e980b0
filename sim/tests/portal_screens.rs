//! The portal's screens over real mutual TLS, as a browser without scripts uses them: curl
//! with a cookie jar posts the forms and follows the redirects. (Chromium plays them in the
//! `@browser` scenarios; this runs everywhere curl does.) Skipped without curl, except in CI.

use oqs_certs::{ClientSpec, Pki};
use oqs_sim::World;
use std::path::{Path, PathBuf};
use std::process::Command;

const CODE: &str = "1312345678";

struct Browser {
    url: String,
    files: oqs_certs::PkiFiles,
    jar: PathBuf,
}

impl Browser {
    /// (final URL, body) after following redirects.
    fn go(&self, path: &str, form: &[(&str, &str)]) -> (String, String) {
        let mut c = Command::new("curl");
        c.args(["-sS", "-L", "--max-time", "30", "--cacert"])
            .arg(&self.files.ca)
            .arg("--cert")
            .arg(&self.files.client_cert)
            .arg("--key")
            .arg(&self.files.client_key)
            .arg("-b")
            .arg(&self.jar)
            .arg("-c")
            .arg(&self.jar)
            .args(["-w", "\n%{url_effective}"]);
        for (k, v) in form {
            c.arg("--data-urlencode").arg(format!("{k}={v}"));
        }
        let out = c.arg(format!("{}{path}", self.url)).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, url) = text.rsplit_once('\n').unwrap_or((&text, ""));
        (url.to_owned(), body.to_owned())
    }
}

fn title(body: &str) -> &str {
    body.split("<title>")
        .nth(1)
        .and_then(|r| r.split("</title>").next())
        .unwrap_or_default()
}

fn curl_available() -> bool {
    let ok = Command::new("curl").arg("--version").output().is_ok();
    if !ok {
        oqs_testkit::missing_tool("curl", "apt-get install curl");
    }
    ok
}

fn browser(world_addr: std::net::SocketAddr, dir: &Path) -> Browser {
    Browser {
        url: format!("https://{world_addr}"),
        files: Pki::shared()
            .write_files(dir, &ClientSpec::new(CODE, "T1"), "1357")
            .unwrap(),
        jar: dir.join("cookies"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_change_the_password_and_log_out_through_the_screens() {
    if !curl_available() {
        return;
    }
    let world = World::builder().seed(9).build().unwrap();
    let addr = world.qualification().await.unwrap().addr();
    let code = CODE.parse().unwrap();
    let (id, pw) = world
        .with_site(&code, |s| {
            (
                s.master_id.clone(),
                s.current_password(&s.master_id).unwrap().to_owned(),
            )
        })
        .unwrap();
    // the master has not logged in for 61 days: a 12-character password has expired
    world.clock().advance(time::Duration::days(61));
    let dir = tempfile::tempdir().unwrap();
    let b = browser(addr, dir.path());
    tokio::task::spawn_blocking(move || {
        // no session: the menu sends the person to the login screen
        let (url, body) = b.go("/web/menu", &[]);
        assert!(url.ends_with("/web/login"), "{url}");
        assert_eq!(title(&body), "ログイン");
        // a wrong password: the login screen again, with the manual's message
        let (_, body) = b.go(
            "/web/login",
            &[("user_id", &id), ("password", "Wrong#Pass1")],
        );
        assert_eq!(title(&body), "ログイン");
        assert!(
            body.contains("ユーザID又はパスワードに誤りがあります"),
            "{body}"
        );
        // the right one: the expired password must be changed before the menu
        let (url, body) = b.go("/web/login", &[("user_id", &id), ("password", &pw)]);
        assert!(url.ends_with("/web/password"), "{url}");
        assert!(
            body.contains("パスワードの有効期限が切れています"),
            "{body}"
        );
        let (url, _) = b.go("/web/menu", &[]);
        assert!(url.ends_with("/web/password"), "the menu opened: {url}");
        // the confirmation must match; the rules are listed
        let change = |new: &str, confirm: &str| {
            b.go(
                "/web/password",
                &[
                    ("old_password", &pw),
                    ("new_password", new),
                    ("new_password_confirm", confirm),
                ],
            )
        };
        let (_, body) = change("Natsu#2025a", "Natsu#2025b");
        assert!(body.contains("一致しません"), "{body}");
        let (_, body) = change("Ab1#567", "Ab1#567");
        assert!(body.contains("8 文字以上20 文字以下"), "{body}");
        let (_, body) = change("Natsu#Sora2025", "Natsu#Sora2025");
        assert!(body.contains("更新しました。"), "{body}");
        let (_, body) = b.go("/web/menu", &[]);
        assert_eq!(title(&body), "メニュー");
        assert!(body.contains(&id), "{body}");
        // markup in what a person typed is shown as text
        let (_, body) = b.go("/web/login", &[("user_id", "<b>x</b>"), ("password", "p")]);
        assert!(!body.contains("<b>x</b>"), "{body}");
        // logging out ends the session
        let (url, _) = b.go("/web/logout", &[("", "")]);
        assert!(url.ends_with("/web/"), "{url}");
        let (url, _) = b.go("/web/menu", &[]);
        assert!(url.ends_with("/web/login"), "{url}");
    })
    .await
    .unwrap();
}
