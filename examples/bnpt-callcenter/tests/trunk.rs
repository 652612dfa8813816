//! The trunk to the carrier and calls from the phones (PBX-1, PBX-2).
//!
//! - Toll-fraud guard: a call out from a source that is not one of our phones gets a digest
//!   challenge (407) and, with a wrong password, 403; a phone calling a number the trunk does
//!   not allow gets 403. Nothing reaches the carrier.
//! - A baresip phone calls an outside number: it answers our challenge with its password, the
//!   call goes out to SIPp playing the carrier (it answers and echoes the audio), and the call
//!   is recorded and has a CDR (`outbound`). Then it calls another baresip phone by extension.
//! - A registration trunk registers at SIPp playing the carrier's registrar, which challenges
//!   and checks our digest (`alice`/`secret`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{
    Service, baresip_available, best_correlation, conformance, free_udp_port, phones, secret,
    sipp_available, wait_log, wav_channels,
};
use sqlx::Row;

/// A configuration with a trunk to `carrier`, and `extra` lines in `[trunk]`.
fn trunk_config(dir: &Path, carrier: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("trunk.toml");
    std::fs::write(
        &path,
        format!("[trunk]\naddress = \"{carrier}\"\ncaller_id = \"1500112\"\n{extra}"),
    )
    .unwrap();
    path
}

/// Sends `invite` to the call center and returns the first answer that is not `100`.
fn ask(socket: &UdpSocket, to: std::net::SocketAddr, invite: &str) -> String {
    socket.send_to(invite.as_bytes(), to).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        let (n, _) = socket.recv_from(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if !text.starts_with("SIP/2.0 100") {
            return text;
        }
    }
}

fn invite(local: std::net::SocketAddr, target: &str, user: &str, seq: u32, auth: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\n";
    format!(
        "INVITE sip:{target}@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKfraud{seq}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag=f{seq}\r\nTo: <sip:{target}@127.0.0.1>\r\n\
         Call-ID: fraud-{seq}@127.0.0.1\r\nCSeq: {seq} INVITE\r\nContact: <sip:{user}@{local}>\r\n{auth}\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

/// The `Proxy-Authorization` line answering the 407 in `reply` as `user` with `password`.
fn answer_challenge(reply: &str, target: &str, user: &str, password: &str) -> String {
    let msg = sambung_sip::Message::parse(reply.as_bytes()).unwrap();
    let challenge = msg.proxy_authenticate().next().expect("a challenge");
    let value = sambung_sip::auth::authorize(
        &challenge,
        "INVITE",
        &format!("sip:{target}@127.0.0.1"),
        user,
        password,
        "c0ffee",
        1,
    )
    .unwrap();
    format!("Proxy-Authorization: {value}\r\n")
}

fn status(reply: &str) -> &str {
    reply.get(8..11).unwrap_or_default()
}

#[test]
fn calls_out_need_a_phones_password_and_an_allowed_number() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A carrier that is never reached: nothing listens there.
    let carrier = format!("127.0.0.1:{}", free_udp_port());
    let config = trunk_config(dir.path(), &carrier, "");
    let service = Service::start_configured(&data, &config);
    let cc = service.sip("udp");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    let outside = "081234567890";

    // No credentials: challenged.
    let reply = ask(&socket, cc, &invite(local, outside, "1001", 1, ""));
    assert_eq!(status(&reply), "407", "{reply}");
    // A wrong password: refused.
    let auth = answer_challenge(&reply, outside, "1001", "not-the-password");
    let reply = ask(&socket, cc, &invite(local, outside, "1001", 2, &auth));
    assert_eq!(status(&reply), "403", "{reply}");
    // The right password, but a number abroad the trunk does not allow: refused.
    let reply = ask(&socket, cc, &invite(local, "+12025550123", "1002", 3, ""));
    let password = secret(&data, "sip_passwords", "1002");
    let auth = answer_challenge(&reply, "+12025550123", "1002", &password);
    let reply = ask(
        &socket,
        cc,
        &invite(local, "+12025550123", "1002", 4, &auth),
    );
    assert_eq!(status(&reply), "403", "{reply}");
    // A DID stays open to anyone (the public access number).
    let reply = ask(&socket, cc, &invite(local, "1500112", "caller", 5, ""));
    assert_eq!(status(&reply), "200", "{reply}");
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(
        log.contains("call out refused: authentication failed"),
        "{log}"
    );
    assert!(log.contains("a number the trunk does not allow"), "{log}");
}

/// SIPp as the carrier: answers one call and echoes its RTP.
fn carrier(dir: &Path) -> (Child, String) {
    let port = free_udp_port();
    let child = Command::new("sipp")
        .arg("-sf")
        .arg(conformance("uas_answer.xml"))
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-mp", &(free_udp_port() & !1).to_string(), "-rtp_echo"])
        .args(["-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, format!("127.0.0.1:{port}"))
}

#[test]
fn a_phone_calls_out_through_the_trunk_and_then_another_phone() {
    if !sipp_available() || !baresip_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut carrier, address) = carrier(dir.path());
    let config = trunk_config(dir.path(), &address, "");
    let service = Service::start_configured(&data, &config);
    let cc = service.sip("udp");
    let phones = phones(&service, &data, dir.path(), &["1001", "1002"]);

    // 0812… is a mobile number in Indonesia: +62812… is allowed.
    phones[0].command(&format!("/dial sip:081234567890@{cc}"));
    wait_log(
        &service,
        "answered called=+6281234567890",
        "the carrier's answer",
    );
    std::thread::sleep(Duration::from_secs(4));
    phones[0].command("/hangup");
    common::expect_sipp(&service, &mut carrier, Duration::from_secs(30), "carrier");
    service.wait_health(|h| h["calls_active"] == 0);

    // Then 1001 calls 1002 by extension; 1002 answers by itself.
    phones[0].command(&format!("/dial sip:1002@{cc}"));
    wait_log(&service, "answered called=1002", "1002's answer");
    std::thread::sleep(Duration::from_secs(3));
    phones[0].command("/hangup");
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("call out challenged"), "{log}");

    let rows = common::query(
        &data.join("bnpt.sqlite"),
        "SELECT caller, called, service, agent, disposition, recording_id FROM cdrs ORDER BY id",
    );
    let cdrs: Vec<(String, String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.get("caller"),
                r.get("called"),
                r.get("service"),
                r.get("agent"),
                r.get("disposition"),
            )
        })
        .collect();
    assert_eq!(
        cdrs,
        [
            (
                "1001".into(),
                "+6281234567890".into(),
                "outbound".into(),
                "1001".into(),
                "completed".into()
            ),
            (
                "1001".into(),
                "1002".into(),
                "internal".into(),
                "1001".into(),
                "completed".into()
            ),
        ]
    );
    // The carrier echoed the phone: what the phone heard (right) is what it said (left).
    let recording: String = rows[0].get("recording_id");
    let channels = wav_channels(&data.join("recordings").join(format!("{recording}.wav")));
    assert!(channels[0].len() >= 24_000, "{} samples", channels[0].len());
    let (c, lag) = best_correlation(&channels[0][4_000..20_000], &channels[1][4_000..], 2_400);
    eprintln!("outbound echo: correlation {c:.3} at lag {lag}");
    assert!(c >= 0.9, "outbound echo: correlation {c:.3} at lag {lag}");
    // 1002 heard 1001's voice.
    let (received, _) = phones[1].longest_call();
    let recording: String = rows[1].get("recording_id");
    let left =
        wav_channels(&data.join("recordings").join(format!("{recording}.wav"))).swap_remove(0);
    assert!(received.len() >= 16_000, "{} samples", received.len());
    let (c, at) = common::find_audio(&left, &received[4_000..12_000]);
    eprintln!("internal call: correlation {c:.3} at sample {at}");
    assert!(c >= 0.9, "internal call: correlation {c:.3} at {at}");
}

#[test]
fn a_registration_trunk_registers_with_the_carriers_challenge() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_udp_port();
    let mut registrar = Command::new("sipp")
        .arg("-sf")
        .arg(conformance("register_uas_challenge.xml"))
        .args(["-i", "127.0.0.1", "-p", &port.to_string()])
        .args(["-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The carrier's password goes into secrets.toml by hand; the rest is made at start.
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("secrets.toml"), "trunk_password = \"secret\"\n").unwrap();
    let config = trunk_config(
        dir.path(),
        &format!("127.0.0.1:{port}"),
        "username = \"alice\"\nregister = true\n",
    );
    let service = Service::start_configured(&data, &config);
    common::expect_sipp(
        &service,
        &mut registrar,
        Duration::from_secs(40),
        "registrar",
    );
    wait_log(&service, "registered at the carrier", "registration");
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    // The hand-written password survived the start that filled in the other secrets.
    let text = std::fs::read_to_string(data.join("secrets.toml")).unwrap();
    assert!(text.contains("trunk_password = \"secret\""), "{text}");
    assert!(text.contains("[sip_passwords]"), "{text}");
}
