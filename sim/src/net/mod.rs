//! The network around the terminal: the time servers, the proxy, and a relay that puts faults
//! between a component and a service. Names are in [`crate::names`].

pub mod fault;
pub mod ntp;
pub mod proxy;

use std::future::Future;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The accept loop of the World's TCP servers: each connection is served by `serve` in a set
/// the loop owns, so aborting the returned task ends the connections too; a failed accept
/// (e.g. out of file handles) backs off instead of spinning.
pub(crate) fn accept_loop<F, Fut>(
    listener: TcpListener,
    what: &'static str,
    serve: F,
) -> JoinHandle<()>
where
    F: Fn(TcpStream, SocketAddr) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("{what}: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            conns.spawn(serve(tcp, peer));
            while conns.try_join_next().is_some() {}
        }
    })
}
