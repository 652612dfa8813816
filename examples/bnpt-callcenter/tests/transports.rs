//! SIP over TLS and over WebSocket (RFC 7118): `--sip-listen tls:…` presents the certificate
//! made in the data folder (a client that trusts it verifies the server by its IP address),
//! `--sip-listen ws:…` insists on the `sip` subprotocol. Over each, OPTIONS is answered and a
//! call to the access number is answered on the same connection (Via and Contact naming the
//! transport), then hung up.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Service;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const LISTEN: [&str; 4] = [
    "udp:127.0.0.1:0",
    "tcp:127.0.0.1:0",
    "tls:127.0.0.1:0",
    "ws:127.0.0.1:0",
];

/// A request from a phone on `transport` (`TLS`, `WS`).
fn request(method: &str, transport: &str, seq: u32, to_tag: &str, body: &str) -> String {
    let content_type = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_owned()
    };
    format!(
        "{method} sip:1500112@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/{transport} 127.0.0.1:5999;branch=z9hG4bK{method}{seq}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:caller@127.0.0.1>;tag=t1\r\nTo: <sip:1500112@127.0.0.1>{to_tag}\r\n\
         Call-ID: {transport}-call@127.0.0.1\r\nCSeq: {seq} {method}\r\n\
         Contact: <sip:caller@127.0.0.1:5999;transport={}>\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
        transport.to_ascii_lowercase(),
        body.len()
    )
}

fn offer() -> String {
    let rtp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = rtp.local_addr().unwrap().port();
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
    )
}

/// Reads one SIP message (headers and Content-Length body) from a stream.
async fn read_message(stream: &mut (impl AsyncRead + Unpin), pending: &mut Vec<u8>) -> String {
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if pending.len() >= end + 4 + length {
                let message: Vec<u8> = pending.drain(..end + 4 + length).collect();
                return String::from_utf8_lossy(&message).into_owned();
            }
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("a SIP message in time")
            .unwrap();
        assert!(n > 0, "connection closed");
        pending.extend_from_slice(&chunk[..n]);
    }
}

/// The final response (skipping 1xx) from a stream.
async fn final_response(stream: &mut (impl AsyncRead + Unpin), pending: &mut Vec<u8>) -> String {
    loop {
        let m = read_message(stream, pending).await;
        if !m.starts_with("SIP/2.0 1") {
            return m;
        }
    }
}

fn to_tag(response: &str) -> String {
    let msg = sambung_sip::Message::parse(response.as_bytes()).unwrap();
    format!(";tag={}", msg.to().tag().unwrap())
}

/// OPTIONS, then a call answered and hung up, over a stream.
async fn call_over(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), transport: &str) {
    let mut pending = Vec::new();
    stream
        .write_all(request("OPTIONS", transport, 1, "", "").as_bytes())
        .await
        .unwrap();
    let ok = final_response(stream, &mut pending).await;
    assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
    stream
        .write_all(request("INVITE", transport, 2, "", &offer()).as_bytes())
        .await
        .unwrap();
    let answered = final_response(stream, &mut pending).await;
    assert!(answered.starts_with("SIP/2.0 200"), "{answered}");
    let lower = transport.to_ascii_lowercase();
    assert!(
        answered.contains(&format!("transport={lower}>")),
        "our Contact names {transport}: {answered}"
    );
    let tag = to_tag(&answered);
    stream
        .write_all(request("ACK", transport, 2, &tag, "").as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream
        .write_all(request("BYE", transport, 3, &tag, "").as_bytes())
        .await
        .unwrap();
    let bye = final_response(stream, &mut pending).await;
    assert!(bye.starts_with("SIP/2.0 200"), "{bye}");
}

#[test]
fn calls_over_tls_and_websocket() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start_listening(&data, &LISTEN);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // TLS, trusting the certificate the service made (its IP address is in it).
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(data.join("tls/sip-cert.pem")).unwrap();
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(service.sip("tls"))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let mut tls = connector.connect(name, tcp).await.unwrap();
        call_over(&mut tls, "TLS").await;

        // WebSocket: without the sip subprotocol the handshake is refused.
        let url = format!("ws://{}", service.sip("ws"));
        let connect = || tokio::net::TcpStream::connect(service.sip("ws"));
        let refused = tokio_tungstenite::client_async(url.as_str(), connect().await.unwrap()).await;
        assert!(refused.is_err(), "a WebSocket without the sip subprotocol");
        let mut ask = url.as_str().into_client_request().unwrap();
        ask.headers_mut()
            .insert("sec-websocket-protocol", "sip".parse().unwrap());
        let (mut ws, response) = tokio_tungstenite::client_async(ask, connect().await.unwrap())
            .await
            .unwrap();
        assert_eq!(
            response.headers().get("sec-websocket-protocol").unwrap(),
            "sip"
        );
        let send = |text: String| WsMessage::text(text);
        ws.send(send(request("OPTIONS", "WS", 1, "", "")))
            .await
            .unwrap();
        let ok = ws_final(&mut ws).await;
        assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
        ws.send(send(request("INVITE", "WS", 2, "", &offer())))
            .await
            .unwrap();
        let answered = ws_final(&mut ws).await;
        assert!(answered.starts_with("SIP/2.0 200"), "{answered}");
        assert!(answered.contains("transport=ws>"), "{answered}");
        assert!(answered.contains("SIP/2.0/WS"), "{answered}");
        let tag = to_tag(&answered);
        ws.send(send(request("ACK", "WS", 2, &tag, "")))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        ws.send(send(request("BYE", "WS", 3, &tag, "")))
            .await
            .unwrap();
        let bye = ws_final(&mut ws).await;
        assert!(bye.starts_with("SIP/2.0 200"), "{bye}");
    });
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("transport=\"tls\""), "{log}");
    assert!(log.contains("transport=\"ws\""), "{log}");
    let rows = common::query(&data.join("bnpt.sqlite"), "SELECT id FROM cdrs");
    assert_eq!(rows.len(), 2);
}

/// The next final response on a WebSocket.
async fn ws_final<S>(ws: &mut S) -> String
where
    S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
{
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a WebSocket message in time")
            .unwrap()
            .unwrap();
        if let WsMessage::Text(t) = m {
            let text = t.as_str().to_owned();
            if !text.starts_with("SIP/2.0 1") {
                return text;
            }
        }
    }
}
