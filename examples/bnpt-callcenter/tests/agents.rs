//! An agent's day with real phones: SIPp registers extension 1001 (digest auth, its Contact
//! pointing at a second SIPp that answers and echoes RTP), keys `*71` agent `#` PIN `#` (a
//! wrong PIN first, refused) and `*73#`; then a caller dials the access number, is greeted,
//! queued, offered to the agent, and bridged. Both legs are relayed and recorded, so what the
//! caller heard is their own speech echoed by the agent's phone.
//!
//! Also: the caller rates the call after the agent hangs up; a supervisor listens in with a
//! PIN; and an attended transfer — the agent's phone (made by hand here: baresip 1.0 has no
//! attended transfer) consults extension 1002 (a baresip phone) and then REFERs the caller to
//! that call with `Replaces`, after which the caller hears 1002.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{
    Service, api_token, best_correlation, conformance, free_udp_port, own_scenario, secret, sipp,
    sipp_available, sipp_run, wait_sipp,
};
use sqlx::Row;

/// Starts a SIPp phone for `agent` answering one call with `scenario` (extra SIPp arguments
/// in `extra`), registers it with the agent's password, and returns it with the agent's PIN.
fn phone_for(
    service: &Service,
    dir: &Path,
    data: &Path,
    agent: &str,
    scenario: &Path,
    extra: &[&str],
) -> (Child, String) {
    let phone_port = free_udp_port();
    let phone = Command::new("sipp")
        .arg("-sf")
        .arg(scenario)
        .args(["-i", "127.0.0.1", "-p", &phone_port.to_string()])
        .args(["-mp", &(free_udp_port() & !1).to_string()])
        .args(extra)
        .args(["-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    register_at(service, dir, data, agent, phone_port);
    (phone, secret(data, "pins", agent))
}

/// Registers `agent`'s phone (digest, with its generated password) with its Contact at `port`.
fn register_at(service: &Service, dir: &Path, data: &Path, agent: &str, port: u16) {
    let password = secret(data, "sip_passwords", agent);
    let register = own_scenario("agent_register.xml");
    let target = service.sip("udp").to_string();
    let port = port.to_string();
    let status = sipp_run(
        dir,
        &[
            &target,
            "-sf",
            register.to_str().unwrap(),
            "-s",
            agent,
            "-au",
            agent,
            "-ap",
            &password,
            "-key",
            "contact_port",
            &port,
            "-m",
            "1",
        ],
    );
    assert!(status.success(), "REGISTER of {agent} failed: {status}");
}

/// Agent 1001 at a SIPp phone that answers one call and echoes it, logged in and ready.
fn echoing_agent(service: &Service, dir: &Path, data: &Path) -> Child {
    let (phone, pin) = phone_for(
        service,
        dir,
        data,
        "1001",
        &conformance("uas_answer.xml"),
        &["-rtp_echo"],
    );
    key(
        service,
        dir,
        "1001",
        &format!("*711001%23{pin}%23"),
        "feature_code.xml",
    );
    key(service, dir, "1001", "*73%23", "feature_code.xml");
    phone
}

/// Keys a feature code (with `#` as `%23`) from `agent`'s extension with `scenario`.
fn key(service: &Service, dir: &Path, agent: &str, code: &str, scenario: &str) {
    let target = service.sip("udp").to_string();
    let file = own_scenario(scenario);
    let status = sipp_run(
        dir,
        &[
            &target,
            "-sf",
            file.to_str().unwrap(),
            "-s",
            code,
            "-key",
            "ext",
            agent,
            "-m",
            "1",
        ],
    );
    assert!(
        status.success(),
        "feature code {code}: {status}\n{}",
        service.stderr_text()
    );
}

/// The call's CDR: agent, survey score, end reason, recording id.
fn cdr(data: &Path) -> (Option<String>, Option<i64>, String, String) {
    let rows = common::query(
        &data.join("bnpt.sqlite"),
        "SELECT agent, survey_score, end_reason, recording_id FROM cdrs",
    );
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    (
        r.get("agent"),
        r.get("survey_score"),
        r.get("end_reason"),
        r.get("recording_id"),
    )
}

#[test]
fn an_agent_logs_in_by_feature_code_and_takes_a_call() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A short greeting, so the caller reaches the agent while still talking.
    common::tone_prompt(&data, "welcome.wav", 300);
    let service = Service::start(&data);
    // The agent's phone: answers one call and echoes its RTP.
    let (mut phone, pin) = phone_for(
        &service,
        dir.path(),
        &data,
        "1001",
        &conformance("uas_answer.xml"),
        &["-rtp_echo"],
    );
    let wrong: String = pin
        .chars()
        .map(|c| char::from_digit((c.to_digit(10).unwrap() + 1) % 10, 10).unwrap())
        .collect();
    key(
        &service,
        dir.path(),
        "1001",
        &format!("*711001%23{wrong}%23"),
        "feature_code_refused.xml",
    );
    key(
        &service,
        dir.path(),
        "1001",
        &format!("*711001%23{pin}%23"),
        "feature_code.xml",
    );
    key(&service, dir.path(), "1001", "*73%23", "feature_code.xml");

    // The caller talks for ~8 s; the agent's phone echoes it back.
    let mut caller = sipp(&service, dir.path(), 1, 1000);
    common::expect_sipp(&service, &mut caller, Duration::from_secs(60), "caller");
    common::expect_sipp(&service, &mut phone, Duration::from_secs(30), "agent phone");
    service.wait_health(|h| h["calls_active"] == 0);

    let token = api_token(&data);
    let (_, body) = service.get("/api/v1/realtime", Some(&token));
    let realtime: serde_json::Value = serde_json::from_str(&body).unwrap();
    let q = &realtime["queues"]["pengaduan"];
    assert_eq!(
        (q["offered"].as_u64(), q["answered"].as_u64()),
        (Some(1), Some(1)),
        "{realtime}"
    );
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("feature code refused"), "{log}");

    let (agent, _, _, recording) = cdr(&data);
    assert_eq!(agent.as_deref(), Some("1001"));
    // The recordings index finds the call by agent and service, and not by another agent.
    let search = |args: &[&str]| -> serde_json::Value {
        let out = Command::new(common::BIN)
            .args(["recordings", "search", "--json", "--data"])
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let found = search(&[
        "--agent",
        "1001",
        "--service",
        "pengaduan",
        "--from",
        "2026-01-01",
    ]);
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["recordings"][0]["id"], recording.as_str());
    assert_eq!(search(&["--agent", "1002"])["total"], 0);
    // Exported as WAV (byte for byte) and as MP3, each with its SHA-256 in export.json.
    for (format, extra) in [("wav", &[][..]), ("mp3", &["--mp3"][..])] {
        let out_dir = dir.path().join(format!("export-{format}"));
        let out = Command::new(common::BIN)
            .args([
                "recordings",
                "export",
                "--json",
                "--agent",
                "1001",
                "--data",
            ])
            .arg(&data)
            .arg("--out")
            .arg(&out_dir)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(manifest["count"], 1, "{manifest}");
        let file = out_dir.join(manifest["recordings"][0]["file"].as_str().unwrap());
        assert!(std::fs::metadata(&file).unwrap().len() > 1000);
        assert!(out_dir.join("export.json").is_file());
        if format == "wav" {
            let original = data.join("recordings").join(format!("{recording}.wav"));
            assert_eq!(
                std::fs::read(&file).unwrap(),
                std::fs::read(original).unwrap()
            );
        }
    }
    // The Asterisk-format queue_log tells the same story.
    let queue_log = std::fs::read_to_string(data.join("queue_log")).unwrap();
    for event in [
        "|Agent/1001|AGENTLOGIN",
        "|pengaduan|NONE|ENTERQUEUE|",
        "|pengaduan|Agent/1001|CONNECT|",
    ] {
        assert!(
            queue_log.contains(event),
            "{event} missing from:\n{queue_log}"
        );
    }
    let bytes = std::fs::read(data.join("recordings").join(format!("{recording}.wav"))).unwrap();
    let (_, pcm) = sambung_media::wav::read(&bytes).unwrap();
    let samples: Vec<i16> = pcm
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    // Seconds 3.5 to 7.5 (after the greeting, the menu's 2 s timeout and the ringing): the
    // caller speaking (left) and their echo through the agent (right).
    let (c, lag) = best_correlation(&left[28_000..60_000], &right[28_000..61_600], 1600);
    assert!(c >= 0.9, "correlation {c:.3} at lag {lag}");
}

#[test]
fn after_the_agent_hangs_up_the_caller_rates_the_call() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    common::tone_prompt(&data, "survey.wav", 300);
    let service = Service::start(&data);
    // Agent 1002's phone answers, talks for 2 s, and hangs up.
    let (mut phone, pin) = phone_for(
        &service,
        dir.path(),
        &data,
        "1002",
        &own_scenario("agent_hangs_up.xml"),
        &[],
    );
    key(
        &service,
        dir.path(),
        "1002",
        &format!("*711002%23{pin}%23"),
        "feature_code.xml",
    );
    key(&service, dir.path(), "1002", "*73%23", "feature_code.xml");
    let target = service.sip("udp").to_string();

    // The caller keys 4 once the agent has gone.
    let caller = own_scenario("caller_rates.xml");
    let mut rating = Command::new("sipp")
        .arg(&target)
        .arg("-sf")
        .arg(&caller)
        .args(["-i", "127.0.0.1", "-s", "1500112", "-nostdin", "-m", "1"])
        .args([
            "-p",
            &free_udp_port().to_string(),
            "-mp",
            &(free_udp_port() & !1).to_string(),
        ])
        .args(["-timeout", "60s", "-timeout_error"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    common::expect_sipp(&service, &mut rating, Duration::from_secs(60), "caller");
    common::expect_sipp(&service, &mut phone, Duration::from_secs(30), "agent phone");
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");

    let (agent, score, reason, _) = cdr(&data);
    assert_eq!(agent.as_deref(), Some("1002"));
    assert_eq!(score, Some(4));
    assert_eq!(reason, "local_hangup");
}

/// A supervisor's phone made by hand: INVITE `code` (with `#` as `%23`) from extension `from`
/// offering PCMA at a local RTP port; on 200 it ACKs, decodes what arrives for `listen`, then
/// hangs up. Returns the final status and the audio heard.
fn supervisor_call(service: &Service, from: &str, code: &str, listen: Duration) -> (u16, Vec<i16>) {
    use std::net::UdpSocket;
    let target = service.sip("udp");
    let sip = UdpSocket::bind("127.0.0.1:0").unwrap();
    sip.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let rtp = UdpSocket::bind("127.0.0.1:0").unwrap();
    rtp.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let (sip_port, rtp_port) = (
        sip.local_addr().unwrap().port(),
        rtp.local_addr().unwrap().port(),
    );
    let call_id = format!("sup-{sip_port}@127.0.0.1");
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {rtp_port} RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    );
    let head = |method: &str, cseq: u32, to_tag: &str, branch: &str| {
        format!(
            "{method} sip:{code}@{target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{sip_port};branch=z9hG4bK{branch}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{from}@127.0.0.1>;tag=sup{sip_port}\r\nTo: <sip:{code}@{target}>{to_tag}\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:{from}@127.0.0.1:{sip_port}>\r\n"
        )
    };
    let invite = format!(
        "{}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        head("INVITE", 1, "", "inv"),
        sdp.len()
    );
    sip.send_to(invite.as_bytes(), target).unwrap();
    let mut buf = [0u8; 4096];
    let (status, to_tag) = loop {
        let (n, _) = sip.recv_from(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        let status: u16 = text[8..11].parse().unwrap();
        if status >= 200 {
            let tag = text
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("to:"))
                .and_then(|l| l.split(";tag=").nth(1))
                .map(|t| format!(";tag={}", t.trim()))
                .unwrap_or_default();
            break (status, tag);
        }
    };
    let ack = format!(
        "{}Content-Length: 0\r\n\r\n",
        head("ACK", 1, &to_tag, "ack")
    );
    sip.send_to(ack.as_bytes(), target).unwrap();
    if status != 200 {
        return (status, Vec::new());
    }
    let mut heard = Vec::new();
    let until = std::time::Instant::now() + listen;
    let mut g711 = sambung_media::codec::G711::alaw();
    while std::time::Instant::now() < until {
        if let Ok(n) = rtp.recv(&mut buf)
            && n > 12
            && buf[1] & 0x7f == 8
        {
            let _ = sambung_media::codec::Codec::decode(&mut g711, &buf[12..n], &mut heard);
        }
    }
    let bye = format!(
        "{}Content-Length: 0\r\n\r\n",
        head("BYE", 2, &to_tag, "bye")
    );
    sip.send_to(bye.as_bytes(), target).unwrap();
    (status, heard)
}

#[test]
fn a_supervisor_listens_to_an_agents_call_with_a_pin() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    let service = Service::start(&data);
    let mut phone = echoing_agent(&service, dir.path(), &data);
    let supervisor_pin = secret(&data, "pins", "2001");

    // Nobody to listen to yet; a wrong PIN; an agent is not a supervisor.
    let free = format!("*801001%23{supervisor_pin}%23");
    assert_eq!(
        supervisor_call(&service, "2001", &free, Duration::ZERO).0,
        480
    );
    let wrong = format!(
        "*801001%23{}%23",
        if supervisor_pin == "000000" {
            "111111"
        } else {
            "000000"
        }
    );
    assert_eq!(
        supervisor_call(&service, "2001", &wrong, Duration::ZERO).0,
        403
    );
    assert_eq!(
        supervisor_call(&service, "1002", &free, Duration::ZERO).0,
        403
    );

    // The caller talks for ~8 s; once the agent has answered, the supervisor listens for 2 s
    // and hears the call.
    let mut caller = sipp(&service, dir.path(), 1, 4000);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let heard = loop {
        std::thread::sleep(Duration::from_millis(500));
        let (status, heard) = supervisor_call(&service, "2001", &free, Duration::from_secs(2));
        if status == 200 {
            break heard;
        }
        assert_eq!(
            status, 480,
            "before the agent answers the agent is on no call"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the agent never took the call"
        );
    };
    assert!(heard.len() >= 8000, "{} samples of audio", heard.len());
    let rms =
        (heard.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / heard.len() as f64).sqrt();
    assert!(rms > 200.0, "the supervisor hears the call (rms {rms:.0})");
    assert!(wait_sipp(&mut caller, Duration::from_secs(60)).success());
    assert!(wait_sipp(&mut phone, Duration::from_secs(30)).success());
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("supervisor joined"), "{log}");
    assert!(log.contains("supervisor code refused"), "{log}");
}

/// The agent's phone for the attended transfer, made by hand on one UDP socket: it answers
/// what the call center sends (200 to INVITE, NOTIFY, BYE), and sends what the test says.
struct HandPhone {
    socket: std::net::UdpSocket,
    cc: std::net::SocketAddr,
    rtp_port: u16,
    _rtp: std::net::UdpSocket,
}

impl HandPhone {
    fn new(cc: std::net::SocketAddr) -> Self {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let rtp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        Self {
            rtp_port: rtp.local_addr().unwrap().port(),
            _rtp: rtp,
            socket,
            cc,
        }
    }

    fn port(&self) -> u16 {
        self.socket.local_addr().unwrap().port()
    }

    fn sdp(&self) -> String {
        format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
            self.rtp_port
        )
    }

    fn send(&self, text: &str) {
        self.socket.send_to(text.as_bytes(), self.cc).unwrap();
    }

    /// Answers a request from the call center: 200 (with our SDP and a To tag for an
    /// INVITE).
    fn answer(&self, request: &str) {
        let msg = sambung_sip::Message::parse(request.as_bytes()).unwrap();
        let invite = msg.method() == sambung_sip::Method::Invite;
        let mut b =
            sambung_sip::MessageBuilder::response_to(&msg, 200, "OK", invite.then_some("hand1"));
        if invite {
            b = b
                .header(
                    sambung_sip::HeaderName::Contact,
                    format!("<sip:1001@127.0.0.1:{}>", self.port()),
                )
                .body("application/sdp", self.sdp());
        }
        self.socket.send_to(&b.build().unwrap(), self.cc).unwrap();
    }

    /// The next message; requests other than `want` (a method, or a response's CSeq method)
    /// are answered on the way and kept in `seen`.
    fn next(&self, want: &str, seen: &mut Vec<String>) -> Option<String> {
        let mut buf = [0u8; 8192];
        loop {
            let (n, _) = self.socket.recv_from(&mut buf).ok()?;
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let msg = sambung_sip::Message::parse(text.as_bytes()).unwrap();
            let matches = match msg.status() {
                Some(s) => s >= 200 && msg.cseq().method() == want,
                None => msg.method().as_str() == want,
            };
            let request = msg.status().is_none() && msg.method() != sambung_sip::Method::Ack;
            drop(msg);
            if matches {
                return Some(text);
            }
            if request {
                self.answer(&text);
            }
            seen.push(text);
        }
    }
}

fn header_of(text: &str, name: &str) -> String {
    let msg = sambung_sip::Message::parse(text.as_bytes()).unwrap();
    msg.headers()
        .iter()
        .find(|h| h.name().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value().into_owned())
        .unwrap_or_default()
}

fn tag_of(value: &str) -> String {
    value
        .split(";tag=")
        .nth(1)
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[test]
fn an_agent_consults_a_colleague_then_transfers_the_caller_to_them() {
    if !sipp_available() || !common::baresip_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    let service = Service::start(&data);
    let cc = service.sip("udp");
    let colleague = common::phones(&service, &data, dir.path(), &["1002"]);
    let phone = HandPhone::new(cc);
    register_at(&service, dir.path(), &data, "1001", phone.port());
    let pin = secret(&data, "pins", "1001");
    key(
        &service,
        dir.path(),
        "1001",
        &format!("*711001%23{pin}%23"),
        "feature_code.xml",
    );
    key(&service, dir.path(), "1001", "*73%23", "feature_code.xml");

    let mut caller = sipp(&service, dir.path(), 1, 14_000);
    let mut seen = Vec::new();
    let next = |want: &str, seen: &mut Vec<String>| {
        phone
            .next(want, seen)
            .unwrap_or_else(|| panic!("no {want}; seen {seen:#?}\n{}", service.stderr_text()))
    };
    // The call center offers the caller: answered.
    let offer = next("INVITE", &mut seen);
    phone.answer(&offer);
    let leg_call_id = header_of(&offer, "Call-ID");
    let cc_from = header_of(&offer, "From");
    let cc_contact = header_of(&offer, "Contact");
    let cc_contact = cc_contact
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    next("ACK", &mut seen);

    // The agent consults 1002: INVITE, the 407 challenge, INVITE with the phone's password.
    let consult = |seq: u32, auth: &str| {
        let sdp = phone.sdp();
        format!(
            "INVITE sip:1002@{cc} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKcons{seq}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=cons1\r\nTo: <sip:1002@{cc}>\r\n\
             Call-ID: consult-1@127.0.0.1\r\nCSeq: {seq} INVITE\r\nContact: <sip:1001@127.0.0.1:{port}>\r\n{auth}\
             Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len(),
            port = phone.port()
        )
    };
    let ack = |seq: u32, to_tag: &str, branch: &str| {
        format!(
            "ACK sip:1002@{cc} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch={branch}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=cons1\r\nTo: <sip:1002@{cc}>;tag={to_tag}\r\n\
             Call-ID: consult-1@127.0.0.1\r\nCSeq: {seq} ACK\r\nContent-Length: 0\r\n\r\n",
            port = phone.port()
        )
    };
    phone.send(&consult(1, ""));
    let challenge = next("INVITE", &mut seen);
    assert!(challenge.starts_with("SIP/2.0 407"), "{challenge}");
    phone.send(&ack(
        1,
        &tag_of(&header_of(&challenge, "To")),
        "z9hG4bKcons1",
    ));
    let msg = sambung_sip::Message::parse(challenge.as_bytes()).unwrap();
    let value = sambung_sip::auth::authorize(
        &msg.proxy_authenticate().next().unwrap(),
        "INVITE",
        &format!("sip:1002@{cc}"),
        "1001",
        &secret(&data, "sip_passwords", "1001"),
        "abcdef",
        1,
    )
    .unwrap();
    phone.send(&consult(2, &format!("Proxy-Authorization: {value}\r\n")));
    let answered = next("INVITE", &mut seen);
    assert!(answered.starts_with("SIP/2.0 200"), "{answered}");
    let consult_tag = tag_of(&header_of(&answered, "To"));
    phone.send(&ack(2, &consult_tag, "z9hG4bKcons2ack"));
    std::thread::sleep(Duration::from_millis(1500));

    // The transfer: REFER on the caller's leg, Replaces naming the consultation.
    let refer = format!(
        "REFER {cc_contact} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKrefer1\r\n\
         Max-Forwards: 70\r\nFrom: <sip:1001@127.0.0.1>;tag=hand1\r\nTo: {cc_from}\r\n\
         Call-ID: {leg_call_id}\r\nCSeq: 1 REFER\r\nContact: <sip:1001@127.0.0.1:{port}>\r\n\
         Refer-To: <sip:1002@{cc}?Replaces=consult-1%40127.0.0.1%3Bto-tag%3D{consult_tag}%3Bfrom-tag%3Dcons1>\r\n\
         Content-Length: 0\r\n\r\n",
        port = phone.port()
    );
    phone.send(&refer);
    let accepted = next("REFER", &mut seen);
    assert!(accepted.starts_with("SIP/2.0 202"), "{accepted}");
    // The NOTIFY with the outcome, then both of the agent's calls end.
    let notify = next("NOTIFY", &mut seen);
    phone.answer(&notify);
    assert!(notify.contains("SIP/2.0 200"), "{notify}");
    // Both of the agent's calls end (a BYE may have come before the NOTIFY).
    let mut byes = seen.iter().filter(|m| m.starts_with("BYE ")).count();
    while byes < 2 {
        let bye = next("BYE", &mut seen);
        phone.answer(&bye);
        byes += 1;
    }

    common::expect_sipp(&service, &mut caller, Duration::from_secs(60), "caller");
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("attended transfer extension=1002"), "{log}");

    let rows = common::query(
        &data.join("bnpt.sqlite"),
        "SELECT service, agent, transferred_to, disposition, recording_id FROM cdrs ORDER BY id",
    );
    let queue_call = rows
        .iter()
        .find(|r| r.get::<String, _>("service") == "pengaduan")
        .unwrap();
    assert_eq!(
        queue_call.get::<Option<String>, _>("agent").as_deref(),
        Some("1001")
    );
    assert_eq!(
        queue_call
            .get::<Option<String>, _>("transferred_to")
            .as_deref(),
        Some("1002")
    );
    let consultation = rows
        .iter()
        .find(|r| r.get::<String, _>("service") == "internal")
        .unwrap();
    assert_eq!(consultation.get::<String, _>("disposition"), "transferred");
    // After the transfer the caller heard 1002's voice.
    let recording: String = queue_call.get("recording_id");
    let heard = common::wav_channels(&data.join("recordings").join(format!("{recording}.wav")))
        .swap_remove(1);
    let (_, sent) = colleague[0].longest_call();
    assert!(sent.len() >= 60_000, "{} samples", sent.len());
    let (c, at) = common::find_audio(&heard, &sent[40_000..56_000]);
    eprintln!("attended transfer: correlation {c:.3} at sample {at}");
    assert!(c >= 0.9, "attended transfer: correlation {c:.3} at {at}");
}

#[test]
fn after_a_restart_the_agent_is_still_at_their_phone() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    let service = Service::start(&data);
    let mut phone = echoing_agent(&service, dir.path(), &data);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");

    // The phone does not register again, and the agent does not log in again.
    let service = Service::start(&data);
    let mut caller = sipp(&service, dir.path(), 1, 1000);
    common::expect_sipp(&service, &mut caller, Duration::from_secs(60), "caller");
    common::expect_sipp(&service, &mut phone, Duration::from_secs(30), "agent phone");
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(
        log.contains("agent back at their phone after the restart"),
        "{log}"
    );
    let (agent, _, _, _) = cdr(&data);
    assert_eq!(agent.as_deref(), Some("1001"));
}
