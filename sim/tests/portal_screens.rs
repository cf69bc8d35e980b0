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
        self.send(
            path,
            &form
                .iter()
                .flat_map(|(k, v)| ["--data-urlencode".to_owned(), format!("{k}={v}")])
                .collect::<Vec<_>>(),
        )
    }

    /// Posts `file` as the form's file field `name` (multipart/form-data).
    fn upload(&self, path: &str, name: &str, file: &Path) -> (String, String) {
        self.send(
            path,
            &["-F".to_owned(), format!("{name}=@{}", file.display())],
        )
    }

    fn send(&self, path: &str, extra: &[String]) -> (String, String) {
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
        let out = c
            .args(extra)
            .arg(format!("{}{path}", self.url))
            .output()
            .unwrap();
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
    oqs_testkit::require_tool("curl", "apt-get install curl")
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
        let (_, body) = b.go("/web/logout", &[]);
        assert!(body.contains("ログアウトします。"), "{body}");
        let (url, _) = b.go("/web/logout", &[("", "")]);
        assert!(url.ends_with("/web/"), "{url}");
        let (url, _) = b.go("/web/menu", &[]);
        assert!(url.ends_with("/web/login"), "{url}");
    })
    .await
    .unwrap();
}

// Longer than 80 lines: one session's story, each screen reached from the one before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reset_id_reissues_the_master_password_and_accounts_come_in_bulk_from_a_file() {
    if !curl_available() {
        return;
    }
    let world = World::builder().seed(10).build().unwrap();
    let addr = world.qualification().await.unwrap().addr();
    let code = CODE.parse().unwrap();
    let (master, secret) = world
        .with_site(&code, |s| (s.master_id.clone(), s.secret_number.clone()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let b = browser(addr, dir.path());
    let csv = dir.path().join("医科歯科.csv");
    std::fs::write(
        &csv,
        oqs_proto::account_csv::render(&[oqs_proto::account_csv::AccountRow {
            kind: oqs_proto::account::AccountKind::Linkage,
            user_id: "R0RENK01".into(),
            password: "Renkei#Kit2025a".into(),
            user_name: "連携".into(),
            user_name_kana: "ﾚﾝｹｲ".into(),
        }])
        .unwrap(),
    )
    .unwrap();
    let clock = world.clock().clone();
    tokio::task::spawn_blocking(move || {
        let reset_id = format!("{master}R");
        let (url, body) = b.go(
            "/web/login",
            &[("user_id", &reset_id), ("password", &secret)],
        );
        assert!(url.ends_with("/web/menu"), "{url}");
        assert_eq!(title(&body), "アカウント情報管理");
        // the reset session sees the master account only, and may not register
        let (_, body) = b.go("/web/accounts?search=1", &[]);
        assert!(body.contains(&master), "{body}");
        let (url, _) = b.go("/web/accounts/new", &[]);
        assert!(url.ends_with("/web/login"), "{url}");
        let (_, body) = b.go("/web/accounts/initialize", &[("", "")]);
        assert_eq!(title(&body), "パスワード");
        assert!(
            body.contains("●"),
            "the password is in the PDF, not on the screen"
        );
        let (_, pdf) = b.go("/web/accounts/sheet.pdf", &[]);
        assert!(pdf.starts_with("%PDF-"), "{}", &pdf[..pdf.len().min(40)]);
        // one 秘密の番号, one new password; the reissued password is in the PDF only
        let (url, _) = b.go("/web/accounts/initialize", &[("", "")]);
        assert!(url.ends_with("/web/login"), "{url}");
        let (url, _) = b.go("/web/accounts/issued?show=1", &[]);
        assert!(url.ends_with("/web/login"), "{url}");
        // the old password is gone; the reissued one is an initial one
        let _ = b.go("/web/logout", &[("", "")]);
        let (_, body) = b.go(
            "/web/login",
            &[("user_id", &reset_id), ("password", "9999")],
        );
        assert!(
            body.contains("秘密の番号に誤りがあります") || secret == "9999",
            "{body}"
        );
        // the master (password from the letter, changed) registers accounts from a file
        let reissued = {
            let w = &world;
            w.with_site(&code, |s| s.current_password(&master).unwrap().to_owned())
                .unwrap()
        };
        let (url, _) = b.go(
            "/web/login",
            &[("user_id", &master), ("password", &reissued)],
        );
        assert!(url.ends_with("/web/password"), "an initial password: {url}");
        let (_, body) = b.go(
            "/web/password",
            &[
                ("old_password", &reissued),
                ("new_password", "Haru#Kaze2025a"),
                ("new_password_confirm", "Haru#Kaze2025a"),
            ],
        );
        assert!(body.contains("更新しました。"), "{body}");
        // each screen answers (a screen that locks the registry twice would hang here)
        let detail = format!("/web/accounts/detail?id={master}");
        for (path, t) in [
            ("/web/menu", "メニュー"),
            ("/web/accounts/new", "アカウント管理（登録）"),
            ("/web/accounts/issued", "メニュー"),
            ("/web/accounts?search=1", "アカウント検索"),
            (detail.as_str(), "アカウント管理"),
            ("/web/accounts/bulk", "アカウント一括登録"),
            ("/web/accounts/bulk/results", "アカウント一括登録結果"),
            ("/web/check/insurance", "検索条件"),
            ("/web/check/card", "資格情報照会 (マイナンバーカード)"),
            ("/web/check/card/wait", "資格情報照会 (マイナンバーカード)"),
            ("/web/settings", "環境設定"),
        ] {
            let (_, body) = b.go(path, &[]);
            assert_eq!(title(&body), t, "{path}");
        }
        // 目視確認 asked: the screen waits for the reader, reloading itself
        let (url, body) = b.go(
            "/web/check/card",
            &[("method", "visual"), ("visual_done", "1")],
        );
        assert!(url.ends_with("/web/check/card/wait"), "{url}");
        assert!(body.contains("差し込むか、かざしてください"), "{body}");
        // nothing chosen: asked to choose, nothing accepted
        let (_, body) = b.go("/web/accounts/bulk", &[("", "")]);
        assert!(body.contains("ファイルを選択してください"), "{body}");
        let (_, body) = b.upload("/web/accounts/bulk", "file", &csv);
        assert_eq!(title(&body), "登録確認");
        let (_, body) = b.go("/web/accounts/bulk/confirm", &[("", "")]);
        assert!(body.contains("受付番号は"), "{body}");
        // OK twice does not register twice: the chosen file was handed over once
        let (url, _) = b.go("/web/accounts/bulk/confirm", &[("", "")]);
        assert!(url.ends_with("/web/accounts/bulk"), "{url}");
        let (_, body) = b.go("/web/accounts/bulk/results", &[]);
        assert_eq!(body.matches("<tr><td>").count(), 1, "{body}");
        assert!(body.contains("登録待ち"), "{body}");
        clock.advance(time::Duration::minutes(1));
        let (_, body) = b.go("/web/accounts/bulk/results", &[]);
        assert!(body.contains("登録完了"), "{body}");
        drop(world);
    })
    .await
    .unwrap();
}
