//! `cargo xtask bench proxy`: the World's proxy against a direct connection and against
//! Debian's tinyproxy on the same machine (when installed), to the same echo server:
//! - tunnel set-up: TCP connect (+ CONNECT and its 200) p50/p99;
//! - round trips of 64 bytes through an established tunnel, p50/p99 (the added latency);
//! - throughput of a one-way stream echoed back, MB/s.
//!
//! The proxy runs in this process, built with the `bench` profile like every benchmark
//! (`crate::bench::BUILD` says which build it was); tinyproxy is Debian's release build.

use crate::bench::{ms, percentile};
use oqs_sim::World;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(clap::Args)]
pub struct Args {
    /// Tunnels to open for the set-up figures.
    #[arg(long, default_value_t = 300)]
    connects: u32,
    /// Round trips through one tunnel.
    #[arg(long, default_value_t = 2000)]
    round_trips: u32,
    /// MiB streamed for throughput.
    #[arg(long, default_value_t = 64)]
    mib: u32,
}

const ECHO_HOST: &str = "echo.oqs-pdl.org";

#[derive(Clone, Copy)]
enum Path {
    Direct,
    /// Through a proxy at the address, asking CONNECT for `target`.
    Proxy(SocketAddr, &'static str),
}

async fn echo_server() -> anyhow::Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").await?;
    let addr = l.local_addr()?;
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    Ok(addr)
}

async fn open(path: Path, echo: SocketAddr) -> anyhow::Result<TcpStream> {
    match path {
        Path::Direct => {
            let s = TcpStream::connect(echo).await?;
            s.set_nodelay(true)?;
            Ok(s)
        }
        Path::Proxy(proxy, host) => {
            let mut s = TcpStream::connect(proxy).await?;
            s.set_nodelay(true)?;
            let target = format!("{host}:{}", echo.port());
            s.write_all(format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes())
                .await?;
            // read the answer head up to the blank line
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                anyhow::ensure!(s.read(&mut b).await? == 1, "proxy closed during CONNECT");
                head.push(b[0]);
            }
            let head = String::from_utf8_lossy(&head);
            anyhow::ensure!(
                head.split(' ').nth(1) == Some("200"),
                "CONNECT refused: {head}"
            );
            Ok(s)
        }
    }
}

struct Figures {
    setup: (Duration, Duration),
    rtt: (Duration, Duration),
    mbps: f64,
}

async fn measure(path: Path, echo: SocketAddr, a: &Args) -> anyhow::Result<Figures> {
    let mut setup = Vec::new();
    for _ in 0..a.connects {
        let t = Instant::now();
        let s = open(path, echo).await?;
        setup.push(t.elapsed());
        drop(s);
    }
    setup.sort();
    let mut s = open(path, echo).await?;
    let msg = [0x5au8; 64];
    let mut back = [0u8; 64];
    let mut rtt = Vec::new();
    for _ in 0..a.round_trips {
        let t = Instant::now();
        s.write_all(&msg).await?;
        s.read_exact(&mut back).await?;
        rtt.push(t.elapsed());
    }
    rtt.sort();
    let total = u64::from(a.mib) << 20;
    let (mut r, mut w) = s.into_split();
    let t = Instant::now();
    let writer = tokio::spawn(async move {
        let chunk = vec![0xa5u8; 64 * 1024];
        let mut sent = 0u64;
        while sent < total {
            w.write_all(&chunk).await?;
            sent += chunk.len() as u64;
        }
        anyhow::Ok(w)
    });
    let mut got = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    while got < total {
        let n = r.read(&mut buf).await?;
        anyhow::ensure!(n > 0, "tunnel closed after {got} bytes");
        got += n as u64;
    }
    let secs = t.elapsed().as_secs_f64();
    drop(writer.await??);
    Ok(Figures {
        setup: (percentile(&setup, 0.5), percentile(&setup, 0.99)),
        rtt: (percentile(&rtt, 0.5), percentile(&rtt, 0.99)),
        mbps: total as f64 / secs / 1e6,
    })
}

/// tinyproxy on a free port, allowing CONNECT to `port`; None (with the reason) without it.
fn start_tinyproxy(
    dir: &std::path::Path,
    port: u16,
) -> Result<(std::process::Child, SocketAddr), String> {
    let addr = crate::bench::free_loopback_addr().map_err(|e| e.to_string())?;
    let conf = dir.join("tinyproxy.conf");
    std::fs::write(
        &conf,
        format!(
            "Port {}\nListen 127.0.0.1\nTimeout 60\nMaxClients 100\nAllow 127.0.0.1\nConnectPort {port}\nLogLevel Critical\n",
            addr.port()
        ),
    )
    .map_err(|e| e.to_string())?;
    let child = std::process::Command::new("tinyproxy")
        .args(["-d", "-c"])
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("tinyproxy not started ({e}); apt-get install tinyproxy"))?;
    if crate::bench::listening(addr) {
        return Ok((child, addr));
    }
    Err("tinyproxy did not start listening".into())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let world = World::builder().seed(1).build()?;
        let echo = echo_server().await?;
        world.names().insert(ECHO_HOST, echo.port(), vec![echo]);
        let proxy = world.proxy().await?;
        proxy.set_allow(&[ECHO_HOST]);
        let proxy = proxy.addr();
        let dir = tempfile::tempdir()?;
        let tiny = start_tinyproxy(dir.path(), echo.port());
        println!(
            "proxy bench ({}): {} tunnel set-ups, {} round trips of 64 B, {} MiB streamed (echoed) per path",
            crate::bench::BUILD,
            a.connects,
            a.round_trips,
            a.mib
        );
        let mut paths = vec![("direct", Path::Direct), ("oqs-kit proxy (CONNECT)", Path::Proxy(proxy, ECHO_HOST))];
        match &tiny {
            Ok((_, addr)) => paths.push(("tinyproxy (CONNECT)", Path::Proxy(*addr, "127.0.0.1"))),
            Err(why) => println!("  tinyproxy left out: {why}"),
        }
        let mut rows = Vec::new();
        for (name, path) in paths {
            let f = measure(path, echo, &a).await?;
            println!(
                "  {name:<26} set-up p50 {:>7.3} ms p99 {:>7.3} ms   round trip p50 {:>7.3} ms p99 {:>7.3} ms   {:>8.1} MB/s",
                ms(f.setup.0),
                ms(f.setup.1),
                ms(f.rtt.0),
                ms(f.rtt.1),
                f.mbps
            );
            rows.push((name, f));
        }
        let direct = &rows[0].1;
        for (name, f) in &rows[1..] {
            println!(
                "  {name:<26} adds {:.3} ms per round trip (p50), {:.3} ms per set-up (p50); throughput {:.2}x direct",
                ms(f.rtt.0.saturating_sub(direct.rtt.0)),
                ms(f.setup.0.saturating_sub(direct.setup.0)),
                f.mbps / direct.mbps
            );
        }
        if let (Some((_, ours)), Some((_, t))) = (rows.get(1), rows.get(2)) {
            println!(
                "  oqs-kit vs tinyproxy: round trip p50 {:.2}x, throughput {:.2}x",
                ours.rtt.0.as_secs_f64() / t.rtt.0.as_secs_f64(),
                ours.mbps / t.mbps
            );
        }
        if let Ok((mut child, _)) = tiny {
            let _ = child.kill();
            let _ = child.wait();
        }
        anyhow::Ok(())
    })
}
