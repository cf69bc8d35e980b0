//! Name resolution. The simulator answers from the World's name table, so the manual's host
//! names (`hweb.oqs.onshikaku.org`, …) lead to services on loopback without real DNS.

use std::io;
use std::net::SocketAddr;

pub trait Resolver: Send + Sync {
    /// The addresses to try for `host` on `port`, in order. Several addresses model DNS round
    /// robin (the manual's NTP name has several). An unknown name is an
    /// `io::ErrorKind::NotFound` error whose message names the host.
    fn resolve(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>>;
}
