//! The binary as a user runs it: start, answer /healthz, count SIP traffic, stop cleanly,
//! notice a kill -9, and refuse a bad configuration with the key named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::Command;

mod common;

use common::{BIN, PATIENCE, Service, wait};

#[test]
fn starts_answers_health_counts_sip_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bnpt-data");
    let service = Service::start(&data);
    assert!(data.join("bnpt.sqlite").is_file());
    assert!(data.join("recordings").is_dir());
    assert!(data.join("prompts").is_dir());

    let (status, health) = service.health();
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], "ok");
    assert_eq!(health["sip"]["listen"].as_array().unwrap().len(), 2);

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(PATIENCE)).unwrap();
    let options = b"OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nTo: <sip:1500112@127.0.0.1>\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\nCall-ID: probe-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    udp.send_to(options, service.sip("udp")).unwrap();
    let mut reply = [0u8; 2048];
    let (n, from) = udp.recv_from(&mut reply).unwrap();
    assert_eq!(from, service.sip("udp"));
    let text = String::from_utf8_lossy(&reply[..n]);
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
    assert!(text.contains("Call-ID: probe-1\r\n"), "{text}");
    // Hostile bytes are counted and logged escaped, and the listener keeps going.
    udp.send_to(&[0xff, 0x00, b'\n', 0x1b], service.sip("udp"))
        .unwrap();
    service.wait_health(|h| h["sip"]["datagrams_received"] == 2 && h["sip"]["parse_errors"] == 1);

    // Over TCP: a keep-alive ping gets a pong, an INVITE without a Contact gets 400.
    let mut tcp = TcpStream::connect(service.sip("tcp")).unwrap();
    tcp.set_read_timeout(Some(PATIENCE)).unwrap();
    let invite = String::from_utf8_lossy(options)
        .replace("OPTIONS", "INVITE")
        .replace("UDP", "TCP");
    tcp.write_all(b"\r\n\r\n").unwrap();
    tcp.write_all(invite.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 2048];
    while !String::from_utf8_lossy(&got).contains("Content-Length: 0\r\n\r\n") {
        let n = tcp.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "connection closed early: {}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("\r\nSIP/2.0 400 Bad Request\r\n"),
        "{text:?}"
    );
    service.wait_health(|h| {
        h["sip"]["tcp_connections_accepted"] == 1 && h["sip"]["responses_sent"] == 2
    });
    drop(tcp);

    let (exit, stderr) = service.terminate();
    assert!(exit.success(), "exit {exit:?}; stderr:\n{stderr}");
    assert!(stderr.contains("new data folder created"), "{stderr}");
    assert!(stderr.contains("SIP message received"), "{stderr}");
    assert!(
        stderr.contains("OPTIONS sip:1500112@127.0.0.1 SIP/2.0"),
        "{stderr}"
    );
    assert!(stderr.contains("stopped cleanly"), "{stderr}");

    // A second start finds a clean stop; a kill -9 is noticed by the third.
    let mut service = Service::start(&data);
    assert!(service.stderr_text().contains("data folder opened"));
    service.child.kill().unwrap();
    wait(&mut service.child);
    let service = Service::start(&data);
    let (exit, stderr) = service.terminate();
    assert!(exit.success());
    assert!(
        stderr.contains("the previous run did not stop cleanly"),
        "{stderr}"
    );
}

#[test]
fn a_stop_right_after_the_ready_line_is_clean() {
    // The ready line promises that SIGTERM is handled from then on.
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..5 {
        let service = Service::start(&dir.path().join("bnpt-data"));
        let (exit, stderr) = service.terminate();
        assert!(exit.success(), "exit {exit:?}; stderr:\n{stderr}");
    }
}

#[test]
fn phones_register_with_the_generated_password_kept_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bnpt-data");
    let service = Service::start(&data);
    let secrets_path = data.join("secrets.toml");
    let mode = std::fs::metadata(&secrets_path)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "secrets.toml must be owner-only");
    let secrets: toml::Table = std::fs::read_to_string(&secrets_path)
        .unwrap()
        .parse()
        .unwrap();
    let password = secrets["sip_passwords"]["1001"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secrets["pins"]["2001"].as_str().unwrap().len() == 6);

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(PATIENCE)).unwrap();
    let request = |cseq: u32, auth: Option<&str>| {
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let text = format!(
            "REGISTER sip:bnpt.local SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKreg{cseq}\r\nMax-Forwards: 70\r\nTo: <sip:1001@bnpt.local>\r\nFrom: <sip:1001@bnpt.local>;tag=ph\r\nCall-ID: reg-1\r\nCSeq: {cseq} REGISTER\r\n{auth}Contact: <sip:1001@{local}>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n",
            local = udp.local_addr().unwrap()
        );
        udp.send_to(text.as_bytes(), service.sip("udp")).unwrap();
        let mut reply = [0u8; 4096];
        let (n, _) = udp.recv_from(&mut reply).unwrap();
        reply[..n].to_vec()
    };
    let challenge = request(1, None);
    let parsed = sambung_sip::Message::parse(&challenge).unwrap();
    assert_eq!(parsed.status(), Some(401));
    let offer = parsed.www_authenticate().next().unwrap();
    let sign = |pw: &str| {
        sambung_sip::auth::authorize(
            &offer,
            "REGISTER",
            "sip:bnpt.local",
            "1001",
            pw,
            "c0ffee",
            1,
        )
        .unwrap()
    };
    let ok = request(2, Some(&sign(&password)));
    let text = String::from_utf8_lossy(&ok);
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
    assert!(text.contains("Contact: <sip:1001@127.0.0.1:"), "{text}");
    let refused = request(3, Some(&sign("not-the-password")));
    let text = String::from_utf8_lossy(&refused);
    assert!(text.starts_with("SIP/2.0 403 Forbidden\r\n"), "{text}");

    let (exit, stderr) = service.terminate();
    assert!(exit.success(), "exit {exit:?}; stderr:\n{stderr}");
    assert!(stderr.contains("registered"), "{stderr}");
    assert!(
        !stderr.contains(&password),
        "a password must never be logged"
    );
    // The passwords survive a restart unchanged.
    let again: toml::Table = std::fs::read_to_string(&secrets_path)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        again["sip_passwords"]["1001"].as_str(),
        Some(password.as_str())
    );
}

#[test]
fn a_bad_configuration_names_the_key_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[[agents]]\nid = \"10a1\"\nname = \"x\"\n").unwrap();
    for args in [&["config", "check"][..], &[][..]] {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&file)
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("agents[0].id"), "{stderr}");
        assert!(stderr.contains("decimal digit"), "{stderr}");
    }
    let out = Command::new(BIN)
        .args(["--sip-listen", "127.0.0.1:5060", "config", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sip-listen"));

    let missing = Command::new(BIN)
        .args(["--config", "/nonexistent.toml"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn the_printed_example_is_a_valid_configuration() {
    let out = Command::new(BIN)
        .args(["config", "example"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("example.toml");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = Command::new(BIN)
        .arg("--config")
        .arg(&file)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        said.contains("2 DIDs, 2 queues, 5 agents, 1 supervisors"),
        "{said}"
    );
}
