//! The qualification server's network limits: a slow or silent client is cut off after the
//! profile's time, and one client's pile of connections costs only its own oldest ones.

use oqs_host::Host;
use oqs_host::certificates::StoreName;
use oqs_host::https::{self, OneCertificate};
use oqs_proto::profile::{Profile, ServerProfile};
use oqs_sim::World;
use oqs_sim::names::hosts::QUALIFICATION;
use oqs_sim::provision::{LinkageTerminal, linkage_terminal};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CODE: &str = "1312345678";

fn short() -> ServerProfile {
    ServerProfile {
        handshake_timeout_seconds: 1,
        header_timeout_seconds: 1,
        body_timeout_seconds: 1,
        max_connections_per_client: 3,
        ..Profile::builtin().server.clone()
    }
}

async fn world(limits: ServerProfile) -> (World, Arc<dyn Host>) {
    let world = World::builder()
        .seed(5)
        .server_limits(limits)
        .build()
        .unwrap();
    let t = linkage_terminal(&world, &LinkageTerminal::new("T1", &CODE.parse().unwrap()))
        .await
        .unwrap();
    (world, Arc::new(t))
}

/// An mTLS connection with the terminal's certificate, as its programs open one.
async fn tls(host: &Arc<dyn Host>) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let cert = host
        .certificates()
        .list(StoreName::My)
        .unwrap()
        .into_iter()
        .find_map(|c| https::certified_key(&c))
        .unwrap();
    let cfg = https::client_config(host.clone(), Arc::new(OneCertificate(cert))).unwrap();
    https::connect(host.as_ref(), QUALIFICATION, 443, Arc::new(cfg))
        .await
        .unwrap()
}

/// Reads until the server closes; what it sent. The bound only stops a hung test.
async fn until_closed(s: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut got = Vec::new();
    let r = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut got)).await;
    assert!(r.is_ok(), "the server kept the connection open");
    got
}

#[tokio::test]
async fn a_connection_that_never_starts_its_handshake_is_closed() {
    let (world, host) = world(short()).await;
    let addr = world.qualification().await.unwrap().addr();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(until_closed(&mut tcp).await.is_empty());
    // the server still serves others
    let mut s = tls(&host).await;
    s.write_all(b"GET /web HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let page = String::from_utf8_lossy(&until_closed(&mut s).await).into_owned();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
}

#[tokio::test]
async fn a_client_that_sends_no_request_is_closed_after_the_header_timeout() {
    let (_world, host) = world(short()).await;
    let mut s = tls(&host).await;
    // half a request line, then nothing
    s.write_all(b"GET /web HT").await.unwrap();
    let got = String::from_utf8_lossy(&until_closed(&mut s).await).into_owned();
    assert!(!got.contains("200 OK"), "{got}");
}

#[tokio::test]
async fn a_body_that_does_not_arrive_is_refused_with_the_limit() {
    let (_world, host) = world(short()).await;
    let mut s = tls(&host).await;
    s.write_all(
        b"POST /web/api/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{\"user_id\":",
    )
    .await
    .unwrap();
    let got = String::from_utf8_lossy(&until_closed(&mut s).await).into_owned();
    assert!(got.starts_with("HTTP/1.1 400"), "{got}");
    assert!(got.contains("1秒以内に届きませんでした"), "{got}");
}

#[tokio::test]
async fn past_the_per_client_limit_the_oldest_connection_is_closed() {
    // idle connections live long here: only the limit can close one
    let limits = ServerProfile {
        header_timeout_seconds: 600,
        ..short()
    };
    let (_world, host) = world(limits).await;
    let mut oldest = tls(&host).await;
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(tls(&host).await);
    }
    // the fourth connection of one certificate closes the first; the newer three stay open
    until_closed(&mut oldest).await;
    for s in others.iter_mut().take(2) {
        s.write_all(b"GET /web HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
    }
    let s = others.last_mut().unwrap();
    s.write_all(b"GET /web HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let page = String::from_utf8_lossy(&until_closed(s).await).into_owned();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
}
