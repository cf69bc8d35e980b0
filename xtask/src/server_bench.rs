//! `cargo xtask bench server`: the mTLS qualification server against nginx on the same machine,
//! both asking for the client certificate (`ssl_verify_client on`), with the same server
//! certificate and the same answer (nginx serves the server's `GET /web/api/institution` body as
//! a static file). The load client is the kit's own: `--connections` clients at once, either
//! each on one kept connection (keep-alive) or opening a new TLS connection per request (new
//! handshakes). Figures: requests/s and latency p50/p99, the median of `--rounds` rounds, and the
//! ratio of ours to nginx's.
//!
//! The server runs in this process on its own 2-thread runtime (the load client has another),
//! built with the `bench` profile (`crate::bench::BUILD`); nginx is Debian's build with
//! `worker_processes 2`.

use crate::bench::{ms, percentile};
use oqs_certs::{ClientSpec, Pki};
use oqs_sim::World;
use oqs_sim::names::hosts::QUALIFICATION;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(clap::Args)]
pub struct Args {
    /// Clients at once.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Rounds per server and mode; the figures are their medians.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

const PATH: &str = "/web/api/institution";
const CODE: &str = "1312345678";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    KeepAlive,
    NewHandshakes,
}

struct Figures {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

fn client_config(pki: &Pki) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let id = pki.client(&ClientSpec::new(CODE, "BENCH-01"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(pki.web_root.cert_der.clone()))?;
    let mut chain = vec![CertificateDer::from(id.cert_der.clone())];
    chain.extend(id.chain_der.iter().cloned().map(CertificateDer::from));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(
            chain,
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
        )?;
    // every new connection is a full handshake with the client certificate checked, on both
    // servers: no session resumption
    cfg.resumption = rustls::client::Resumption::disabled();
    Ok(Arc::new(cfg))
}

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

async fn connect(addr: SocketAddr, cfg: &Arc<rustls::ClientConfig>) -> anyhow::Result<Tls> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(QUALIFICATION)?.to_owned();
    Ok(tokio_rustls::TlsConnector::from(cfg.clone())
        .connect(name, tcp)
        .await?)
}

/// One request and its whole answer; the body.
async fn exchange(s: &mut Tls, close: bool, buf: &mut Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let req = format!(
        "GET {PATH} HTTP/1.1\r\nHost: {QUALIFICATION}\r\n{}\r\n",
        if close { "Connection: close\r\n" } else { "" }
    );
    s.write_all(req.as_bytes()).await?;
    buf.clear();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "closed before the answer's head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    anyhow::ensure!(head.starts_with("http/1.1 200"), "answer: {head}");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no content-length: {head}"))?;
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "closed inside the body");
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf[head_end..head_end + len].to_vec())
}

async fn measure(
    addr: SocketAddr,
    cfg: &Arc<rustls::ClientConfig>,
    mode: Mode,
    a: &Args,
) -> anyhow::Result<Figures> {
    let until = Instant::now() + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for _ in 0..a.connections {
        let cfg = cfg.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut buf = Vec::with_capacity(8192);
            let mut kept = None;
            while Instant::now() < until {
                let t = Instant::now();
                match mode {
                    Mode::KeepAlive => {
                        if kept.is_none() {
                            kept = Some(connect(addr, &cfg).await?);
                        }
                        let s = kept.as_mut().expect("connected above");
                        exchange(s, false, &mut buf).await?;
                    }
                    Mode::NewHandshakes => {
                        let mut s = connect(addr, &cfg).await?;
                        exchange(&mut s, true, &mut buf).await?;
                    }
                }
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64().max(a.seconds as f64);
    all.sort();
    Ok(Figures {
        per_sec: all.len() as f64 / secs,
        p50: percentile(&all, 0.5),
        p99: percentile(&all, 0.99),
    })
}

fn median(mut v: Vec<Figures>) -> Figures {
    v.sort_by(|a, b| a.per_sec.total_cmp(&b.per_sec));
    v.swap_remove(v.len() / 2)
}

/// A running nginx; dropped → TERM to its master, which ends its workers too (a KILL would
/// leave them), whatever way the bench ends.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

/// nginx on a free port with `ssl_verify_client on`, serving `body` at [`PATH`].
fn start_nginx(
    dir: &std::path::Path,
    files: &oqs_certs::PkiFiles,
    body: &[u8],
) -> Result<(Nginx, SocketAddr), String> {
    let e = |e: std::io::Error| e.to_string();
    let addr = crate::bench::free_loopback_addr().map_err(e)?;
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("web/api")).map_err(e)?;
    std::fs::write(root.join("web/api/institution"), body).map_err(e)?;
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            r#"user root;
worker_processes 2;
daemon off;
master_process on;
pid {pid};
error_log {err} crit;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_client_certificate {ca};
    ssl_verify_client on;
    ssl_verify_depth 3;
    root {root};
    default_type application/json;
  }}
}}
"#,
            pid = dir.join("nginx.pid").display(),
            err = dir.join("error.log").display(),
            port = addr.port(),
            cert = files.server_cert.display(),
            key = files.server_key.display(),
            ca = files.ca.display(),
            root = root.display(),
        ),
    )
    .map_err(e)?;
    let nginx = ["nginx", "/usr/sbin/nginx"]
        .into_iter()
        .find(|n| {
            std::process::Command::new(n)
                .arg("-v")
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok()
        })
        .ok_or("nginx is not installed (apt-get install nginx-light)")?;
    let child = std::process::Command::new(nginx)
        .args(["-p"])
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("nginx not started ({e})"))?;
    let child = Nginx(child);
    if crate::bench::listening(addr) {
        return Ok((child, addr));
    }
    Err(format!(
        "nginx did not start listening: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    ))
}

/// Each server measured `a.rounds` times in `mode`, the medians printed, and ours against
/// nginx's when both ran.
async fn compare(
    servers: &[(&str, std::net::SocketAddr)],
    cfg: &std::sync::Arc<rustls::ClientConfig>,
    mode: Mode,
    label: &str,
    a: &Args,
) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    for (name, addr) in servers {
        let mut rounds = Vec::new();
        for _ in 0..a.rounds {
            rounds.push(measure(*addr, cfg, mode, a).await?);
        }
        let f = median(rounds);
        println!(
            "  {label:<26} {name:<36} {:>9.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms",
            f.per_sec,
            ms(f.p50),
            ms(f.p99)
        );
        rows.push(f);
    }
    if let [o, n] = &rows[..] {
        println!(
            "  {label:<26} oqs-kit / nginx: throughput {:.2}x, p50 {:.2}x, p99 {:.2}x",
            o.per_sec / n.per_sec,
            o.p50.as_secs_f64() / n.p50.as_secs_f64(),
            o.p99.as_secs_f64() / n.p99.as_secs_f64()
        );
    }
    Ok(())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    // the server's own threads, apart from the load client's
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let world = server_rt.block_on(async {
        let limits = oqs_proto::profile::ServerProfile {
            max_connections_per_client: 100_000,
            max_handshakes: 100_000,
            ..oqs_proto::profile::Profile::builtin().server.clone()
        };
        let w = World::builder()
            .seed(1)
            .institution(
                CODE.parse()?,
                oqs_sim::world::DEFAULT_INSTITUTION_NAME,
                oqs_proto::institution::InstitutionKind::Clinic,
            )
            .server_limits(limits)
            .build()?;
        w.qualification().await?;
        anyhow::Ok(w)
    })?;
    let ours = server_rt.block_on(world.qualification())?.addr();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let pki = Pki::shared();
    let dir = tempfile::tempdir()?;
    let files = pki.write_files(dir.path(), &ClientSpec::new(CODE, "BENCH-01"), "1357")?;
    client_rt.block_on(async {
        let cfg = client_config(pki)?;
        let mut buf = Vec::new();
        let body = exchange(&mut connect(ours, &cfg).await?, true, &mut buf).await?;
        let nginx = start_nginx(dir.path(), &files, &body);
        println!(
            "server bench ({}): GET {PATH} ({} B), mutual TLS, {} clients, {} s per run, median of {} rounds",
            crate::bench::BUILD,
            body.len(),
            a.connections,
            a.seconds,
            a.rounds
        );
        let mut servers = vec![("oqs-kit qualification server", ours)];
        match &nginx {
            Ok((_, addr)) => {
                // the same answer from both, or the comparison means nothing
                let theirs = exchange(&mut connect(*addr, &cfg).await?, true, &mut buf).await?;
                anyhow::ensure!(theirs == body, "nginx serves other bytes");
                servers.push(("nginx 1.22 (ssl_verify_client on)", *addr));
            }
            Err(why) => println!("  nginx left out: {why}"),
        }
        for (mode, label) in [
            (Mode::KeepAlive, "keep-alive"),
            (Mode::NewHandshakes, "new handshake per request"),
        ] {
            compare(&servers, &cfg, mode, label, &a).await?;
        }
        drop(nginx);
        anyhow::Ok(())
    })?;
    drop(world);
    Ok(())
}
