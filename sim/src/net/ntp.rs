//! 配信拠点のNTPサーバー: SNTP over real UDP, serving the sim clock [000 op3 05].
//!
//! `ntp.base.oqs-pdl.org` answers with several addresses (DNS round robin), so the World starts
//! a small pool. Each server is a thread on a blocking socket: a terminal's 今すぐ更新 is a
//! blocking call too, and must not depend on which async runtime a scenario runs in.

use oqs_host::Clock;
use oqs_proto::ntp::{self, ServerInfo, Timestamp};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use time::Duration;

/// How many addresses `ntp.base.oqs-pdl.org` resolves to.
pub const POOL_SIZE: usize = 3;

struct Shared {
    clock: Arc<dyn Clock>,
    /// Added to the sim clock: a server that is wrong by this much.
    offset: Mutex<Duration>,
    answering: AtomicBool,
    stop: AtomicBool,
    served: AtomicU64,
    dropped: AtomicU64,
}

/// One SNTP server on its own UDP socket. Stops on drop.
pub struct NtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl NtpServer {
    /// Binds `addr` (`127.0.0.1:0` in the World; port 123 for a real client's interop test).
    pub fn bind(addr: SocketAddr, clock: Arc<dyn Clock>) -> io::Result<Self> {
        let socket = UdpSocket::bind(addr)?;
        let addr = socket.local_addr()?;
        let shared = Arc::new(Shared {
            clock,
            offset: Mutex::new(Duration::ZERO),
            answering: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            served: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("ntp {addr}"))
            .spawn(move || serve(&socket, &s))?;
        Ok(Self {
            addr,
            shared,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Makes this server's clock wrong by `by` (a server a client should notice).
    pub fn set_offset(&self, by: Duration) {
        *self.shared.offset.lock().unwrap_or_else(|e| e.into_inner()) = by;
    }

    /// A server that stops answering (down, or unreachable behind the site's network).
    pub fn set_answering(&self, on: bool) {
        self.shared.answering.store(on, Ordering::SeqCst);
    }

    /// Requests answered so far.
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::SeqCst)
    }

    /// Datagrams that were not SNTP client requests, or came while not answering.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::SeqCst)
    }
}

fn serve(socket: &UdpSocket, s: &Shared) {
    let mut buf = [0u8; 512];
    loop {
        let Ok((n, peer)) = socket.recv_from(&mut buf) else {
            continue;
        };
        if s.stop.load(Ordering::SeqCst) {
            return;
        }
        let now = || s.clock.now() + *s.offset.lock().unwrap_or_else(|e| e.into_inner());
        let received = Timestamp::from_datetime(now());
        let info = ServerInfo {
            stratum: 1,
            reference_id: *b"SIM\0",
            reference: received,
            synchronised: true,
        };
        if !s.answering.load(Ordering::SeqCst) {
            s.dropped.fetch_add(1, Ordering::SeqCst);
            continue;
        }
        match ntp::answer(&buf[..n], &info, received, Timestamp::from_datetime(now())) {
            Ok(reply) => {
                // counted before sending, so a client that has its answer sees the count
                s.served.fetch_add(1, Ordering::SeqCst);
                let _ = socket.send_to(&reply, peer);
            }
            Err(e) => {
                s.dropped.fetch_add(1, Ordering::SeqCst);
                tracing::debug!(%peer, "ntp: dropped datagram: {e}");
            }
        }
    }
}

impl Drop for NtpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // wake the blocking receive with a datagram of our own
        if let Ok(s) = UdpSocket::bind((self.addr.ip(), 0)) {
            let _ = s.send_to(&[0], self.addr);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The servers behind `ntp.base.oqs-pdl.org`.
pub struct NtpPool {
    servers: Vec<NtpServer>,
}

impl NtpPool {
    pub fn start(clock: Arc<dyn Clock>) -> io::Result<Self> {
        let servers = (0..POOL_SIZE)
            .map(|_| NtpServer::bind(SocketAddr::from(([127, 0, 0, 1], 0)), clock.clone()))
            .collect::<io::Result<_>>()?;
        Ok(Self { servers })
    }

    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.servers.iter().map(NtpServer::addr).collect()
    }

    pub fn servers(&self) -> &[NtpServer] {
        &self.servers
    }

    /// Requests answered by the whole pool.
    pub fn served(&self) -> u64 {
        self.servers.iter().map(NtpServer::served).sum()
    }
}

/// The terminal's side of one exchange: what w32time does on 今すぐ更新. `now` is the
/// terminal's own clock. Gives up after `timeout` (a network wait, not a time source).
pub fn query(
    server: SocketAddr,
    now: &dyn Fn() -> time::OffsetDateTime,
    timeout: std::time::Duration,
) -> io::Result<ntp::Sample> {
    let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.set_read_timeout(Some(timeout))?;
    let sent = Timestamp::from_datetime(now());
    socket.send_to(&ntp::request(sent), server)?;
    let mut buf = [0u8; 512];
    loop {
        let (n, from) = socket.recv_from(&mut buf)?;
        if from != server {
            continue;
        }
        return ntp::Sample::from_reply(&buf[..n], sent, Timestamp::from_datetime(now()))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SimClock;

    #[test]
    fn a_terminal_seven_minutes_behind_learns_the_offset_and_nothing_else_answers() {
        let clock = SimClock::default();
        let pool = NtpPool::start(Arc::new(clock.clone())).unwrap();
        let behind = || clock.now() - Duration::minutes(7);
        let s = query(pool.addrs()[1], &behind, std::time::Duration::from_secs(2)).unwrap();
        assert_eq!(s.offset_nanos, 420_000_000_000);
        assert_eq!(s.stratum, 1);
        assert_eq!((pool.servers()[1].served(), pool.served()), (1, 1));

        // a stray datagram is dropped, not answered
        let stray = UdpSocket::bind("127.0.0.1:0").unwrap();
        stray.send_to(b"hello", pool.addrs()[0]).unwrap();
        stray
            .set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .unwrap();
        assert!(stray.recv_from(&mut [0u8; 64]).is_err());
        assert_eq!(pool.servers()[0].dropped(), 1);
    }

    #[test]
    fn a_server_that_does_not_answer_times_out() {
        let clock = SimClock::default();
        let server =
            NtpServer::bind("127.0.0.1:0".parse().unwrap(), Arc::new(clock.clone())).unwrap();
        server.set_answering(false);
        let e = query(
            server.addr(),
            &|| clock.now(),
            std::time::Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{e:?}"
        );
    }
}
