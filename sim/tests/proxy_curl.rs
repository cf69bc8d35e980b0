//! `curl -x` through the World's proxy: a CONNECT tunnel to the qualification server by its
//! manual name, an absolute-form request to a plain HTTP server, a host not on the allow list,
//! and the maintenance window. Skipped (saying so) without curl, except in CI.

use oqs_certs::{ClientSpec, Pki};
use oqs_sim::World;
use oqs_sim::names::hosts;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use time::Duration;

fn curl_available() -> bool {
    oqs_testkit::require_tool("curl", "apt-get install curl")
}

/// A plain HTTP server answering one request with "hello", handing back the request head.
fn one_shot_http() -> (std::net::SocketAddr, std::thread::JoinHandle<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut head = String::new();
        let mut r = BufReader::new(s.try_clone().unwrap());
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello")
            .unwrap();
        head
    });
    (addr, t)
}

/// curl's arguments for `url` through the proxy, with the terminal's certificate.
fn through(proxy: std::net::SocketAddr, files: &oqs_certs::PkiFiles, url: &str) -> Vec<String> {
    vec![
        "-x".into(),
        format!("http://{proxy}"),
        "--cacert".into(),
        files.ca.display().to_string(),
        "--cert".into(),
        files.client_cert.display().to_string(),
        "--key".into(),
        files.client_key.display().to_string(),
        url.into(),
    ]
}

async fn curl(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-sS", "--max-time", "20"])
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

// Longer than 80 lines: one proxy, each of its answers in turn, then its access log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_through_the_proxy_tunnels_forwards_refuses_and_closes_for_maintenance() {
    if !curl_available() {
        return;
    }
    let world = World::builder().seed(7).build().unwrap();
    world.qualification().await.unwrap();
    let proxy = world.proxy().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = Pki::shared()
        .write_files(dir.path(), &ClientSpec::new("1312345678", "T1"), "1357")
        .unwrap();
    let via = format!("http://{}", proxy.addr());
    // the closed network's hosts are not on the default allow list (they are bypassed)
    proxy.set_allow(&["*.onshikaku.org", "*.oqs-pdl.org"]);

    // CONNECT: curl never resolves the name itself; the proxy does, from the World's table
    let tunnel = |url: &str| through(proxy.addr(), &files, url);
    let institution = format!("https://{}/web/api/institution", hosts::QUALIFICATION);
    let out = curl(tunnel(&institution)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"code\":\"1312345678\""));

    // absolute-form to a plain HTTP server: the server sees the origin form and the Host
    let (addr, head) = one_shot_http();
    world.names().insert(hosts::DISTRO_BASE, 80, vec![addr]);
    let out = curl(vec![
        "-x".into(),
        via.clone(),
        format!("http://{}/version?x=1", hosts::DISTRO_BASE),
    ])
    .await;
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello");
    let head = head.join().unwrap();
    assert!(head.starts_with("GET /version?x=1 HTTP/1.1\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("host: {}", hosts::DISTRO_BASE)),
        "{head}"
    );

    // not on the allow list
    let out = curl(tunnel("https://www.example.com/")).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // maintenance window around the sim clock's now
    let now = oqs_host::Clock::now(world.clock());
    proxy.set_maintenance(Some((
        now - Duration::minutes(5),
        now + Duration::minutes(5),
    )));
    let out = curl(tunnel(&institution)).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("503"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // after the window, through again
    world.clock().advance(Duration::minutes(10));
    let out = curl(tunnel(&institution)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let log: Vec<(String, String, u16)> = proxy
        .log()
        .into_iter()
        .map(|a| (a.method, a.target, a.status))
        .collect();
    let q = format!("{}:443", hosts::QUALIFICATION);
    assert_eq!(
        log,
        [
            ("CONNECT".into(), q.clone(), 200),
            ("GET".into(), format!("{}:80", hosts::DISTRO_BASE), 200),
            ("CONNECT".into(), "www.example.com:443".into(), 403),
            ("CONNECT".into(), q.clone(), 503),
            ("CONNECT".into(), q, 200),
        ]
    );
}

/// The acceptance check of the distribution issue: cloud distribution through the proxy with
/// the terminal's certificate, refused in the maintenance window; the base server is not the
/// proxy's business (it is on the bypass list).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_reaches_cloud_distribution_through_the_proxy() {
    if !curl_available() {
        return;
    }
    let world = World::builder().seed(8).build().unwrap();
    let distro = world.distro().await.unwrap();
    let proxy = world.proxy().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = Pki::shared()
        .write_files(dir.path(), &ClientSpec::new("1312345678", "T1"), "1357")
        .unwrap();
    let get = |host: &str| {
        through(
            proxy.addr(),
            &files,
            &format!("https://{host}/distro/api/ping"),
        )
    };
    let out = curl(get(hosts::DISTRO_CLOUD)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "OK");
    assert_eq!(
        distro.pings(),
        [("1312345678".to_owned(), hosts::DISTRO_CLOUD.to_owned())]
    );
    let out = curl(get(hosts::DISTRO_BASE)).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("403"));
    let now = oqs_host::Clock::now(world.clock());
    proxy.set_maintenance(Some((now, now + Duration::hours(1))));
    let out = curl(get(hosts::DISTRO_CLOUD)).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("503"));
    assert_eq!(distro.pings().len(), 1);
}
