//! RFC 4475 §3.3's semantic torture messages sent to the running call center over UDP: each
//! gets the answer its INDEX.md gives (or none, for a response), and the service stays up.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::net::UdpSocket;
use std::path::Path;
use std::time::Duration;

use common::Service;

include!("../../../sip/tests/torture/uas_answers.rs");

fn status(reply: &[u8]) -> u16 {
    String::from_utf8_lossy(&reply[8..12])
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn semantic_torture_messages_get_their_answers() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(&dir.path().join("data"));
    let folder =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sip/tests/torture/rfc4475/semantic");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut buf = [0u8; 4096];
    for (file, expected) in SEMANTIC_ANSWERS {
        let message = std::fs::read(folder.join(file)).unwrap();
        socket.send_to(&message, service.sip("udp")).unwrap();
        let got = socket
            .recv_from(&mut buf)
            .ok()
            .map(|(n, _)| status(&buf[..n]));
        assert_eq!(got, expected, "{file}");
    }
    let (status, health) = service.health();
    assert_eq!(status, 200, "{health}");
}
