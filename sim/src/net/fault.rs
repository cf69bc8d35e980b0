//! Faults between a component and a simulated service, the way Toxiproxy puts them: a TCP relay
//! the World's name table points at instead of the service, with "toxics" a scenario switches on
//! and off — latency on every chunk (a slow server or line), connections reset at once (RST), a
//! TLS alert instead of the server's handshake — beside the service's own 5xx answers
//! ([`crate::qualification::ServerFaults`]). The relay adds nothing when no toxic is on.

use socket2::SockRef;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the relay does to the next connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Toxics {
    /// Added before each chunk goes on, both ways.
    pub latency: Duration,
    /// So many of the next connections are reset as soon as they arrive.
    pub reset_next: u32,
    /// So many of the next connections get a fatal TLS alert (internal_error) after the
    /// client's hello, as a failing server would send.
    pub tls_alert_next: u32,
}

/// What the relay has done so far (for tests and scenario checks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub relayed: u64,
    pub reset: u64,
    pub alerted: u64,
}

#[derive(Default)]
struct State {
    toxics: Toxics,
    counts: Counts,
}

/// Connections being relayed end when this moves on ([`FaultProxy::cut`]).
type Cuts = tokio::sync::watch::Sender<u64>;

pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    cuts: Arc<Cuts>,
    task: JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A fatal `internal_error` alert in a TLS 1.2 record (TLS 1.3 clients accept it before the
/// handshake is done).
const TLS_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50];

enum Fate {
    Reset,
    Alert,
    Relay(Duration),
}

impl FaultProxy {
    /// A relay on `127.0.0.1:0` in front of `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state: Arc<Mutex<State>> = Arc::default();
        let st = state.clone();
        let cuts = Arc::new(tokio::sync::watch::Sender::new(0u64));
        let c = cuts.clone();
        let task = super::accept_loop(listener, "fault relay", move |tcp, _| {
            let st = st.clone();
            let mut cut = c.subscribe();
            async move {
                let fate = {
                    let mut s = st.lock().unwrap_or_else(|e| e.into_inner());
                    if s.toxics.reset_next > 0 {
                        s.toxics.reset_next -= 1;
                        s.counts.reset += 1;
                        Fate::Reset
                    } else if s.toxics.tls_alert_next > 0 {
                        s.toxics.tls_alert_next -= 1;
                        s.counts.alerted += 1;
                        Fate::Alert
                    } else {
                        s.counts.relayed += 1;
                        Fate::Relay(s.toxics.latency)
                    }
                };
                match fate {
                    Fate::Reset => {
                        // linger 0: close sends RST, not FIN
                        let _ = SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
                    }
                    Fate::Alert => alert(tcp).await,
                    Fate::Relay(latency) => {
                        tokio::select! {
                            () = relay(tcp, upstream, latency) => {}
                            _ = cut.changed() => {}
                        }
                    }
                }
            }
        });
        Ok(Self {
            addr,
            state,
            cuts,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn set(&self, f: impl FnOnce(&mut Toxics)) {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()).toxics);
    }

    /// Ends every connection being relayed now (a line that drops): kept connections are gone
    /// and the next toxics meet the clients' new ones.
    pub fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Every toxic off.
    pub fn clear(&self) {
        self.set(|t| *t = Toxics::default());
    }

    pub fn counts(&self) -> Counts {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .counts
            .clone()
    }
}

async fn alert(mut tcp: TcpStream) {
    let mut hello = [0u8; 512];
    // the client speaks first; answer its hello with the alert, then close
    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut hello)).await
        && n > 0
    {
        let _ = tcp.write_all(&TLS_ALERT).await;
        let _ = tcp.shutdown().await;
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, latency: Duration) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = server.set_nodelay(true);
    let _ = client.set_nodelay(true);
    if latency.is_zero() {
        let (mut c, mut s) = (client, server);
        let _ = tokio::io::copy_bidirectional(&mut c, &mut s).await;
        return;
    }
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    tokio::join!(pipe(cr, sw, latency), pipe(sr, cw, latency));
}

/// Copies one way, each chunk after `latency`.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    latency: Duration,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tokio::time::sleep(latency).await;
                if to.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo() -> SocketAddr {
        let l = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    async fn round_trip(addr: SocketAddr) -> std::io::Result<Vec<u8>> {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(b"ping").await?;
        let mut b = [0u8; 4];
        s.read_exact(&mut b).await?;
        Ok(b.to_vec())
    }

    #[tokio::test]
    async fn toxics_apply_to_the_next_connections_then_the_relay_is_clean() {
        let p = FaultProxy::start(echo().await).await.unwrap();
        assert_eq!(round_trip(p.addr()).await.unwrap(), b"ping");
        p.set(|t| t.reset_next = 2);
        for _ in 0..2 {
            let e = round_trip(p.addr()).await.unwrap_err();
            assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof
                ),
                "{e}"
            );
        }
        p.set(|t| t.tls_alert_next = 1);
        let mut s = TcpStream::connect(p.addr()).await.unwrap();
        s.write_all(b"\x16\x03\x01hello").await.unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, TLS_ALERT);
        p.set(|t| t.latency = Duration::from_millis(5));
        assert_eq!(round_trip(p.addr()).await.unwrap(), b"ping");
        // a kept connection ends when the line is cut
        let mut kept = TcpStream::connect(p.addr()).await.unwrap();
        kept.write_all(b"ping").await.unwrap();
        let mut b = [0u8; 4];
        kept.read_exact(&mut b).await.unwrap();
        p.cut();
        assert_eq!(kept.read(&mut b).await.unwrap_or(0), 0);
        assert_eq!(
            p.counts(),
            Counts {
                relayed: 3,
                reset: 2,
                alerted: 1
            }
        );
    }
}
