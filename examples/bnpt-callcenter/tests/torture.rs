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

/// File → the status a registrar and UAS like ours answers with (`None`: no answer).
const EXPECTED: [(&str, Option<u16>); 16] = [
    ("badbranch.dat", Some(200)), // processed with the RFC 2543 fallback
    ("bcast.dat", None),          // a response: nothing to answer
    ("bext01.dat", Some(420)),
    ("cparam01.dat", Some(401)), // REGISTER without credentials: challenged
    ("cparam02.dat", Some(401)),
    ("insuf.dat", Some(400)),
    ("invut.dat", Some(415)),
    ("mcl01.dat", Some(400)),
    ("multi01.dat", Some(400)),
    ("novelsc.dat", Some(416)),
    ("regaut01.dat", Some(401)), // an authentication scheme we do not know: our challenge
    ("regescrt.dat", Some(401)),
    ("sdp01.dat", Some(406)),
    ("unkscm.dat", Some(416)),
    ("unksm2.dat", Some(400)), // the AOR is not a SIP URI
    ("zeromf.dat", Some(200)), // Max-Forwards 0 is for proxies; an endpoint answers
];

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
    for (file, expected) in EXPECTED {
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
