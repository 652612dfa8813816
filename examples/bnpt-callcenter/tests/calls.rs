//! Calls from a real SIP peer: SIPp dials the access number with ~8 s of A-law speech (RTP from
//! the pcap shipped with sip-tester), then a DTMF digit, then hangs up. Each call must be
//! answered, greeted, recorded (caller left, what we sent right) and counted; a kill -9 in the
//! middle of a call must leave a playable recording and a closed CDR after the restart.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{BIN, Service, api_token, query, sipp, sipp_available, wait, wait_sipp};
use sqlx::Row;

/// A stereo 16-bit WAV as (left, right).
fn channels(path: &Path) -> (Vec<i16>, Vec<i16>) {
    let mut c = common::wav_channels(path);
    assert_eq!(c.len(), 2);
    let right = c.pop().unwrap();
    (c.pop().unwrap(), right)
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

#[test]
fn sipp_callers_are_answered_greeted_recorded_and_counted() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    // Held 5 s after the media, so each caller outlasts the greeting, joins the queue (no
    // agent is logged in) and hangs up there: abandoned.
    let mut caller = sipp(&service, dir.path(), 3, 5000);
    let status = wait_sipp(&mut caller, Duration::from_secs(60));
    assert!(
        status.success(),
        "sipp: {status}; errors: {}",
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with("errors.log"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect::<String>()
    );
    service.wait_health(|h| h["calls_active"] == 0);

    // The CMS over the API: the token is required; the three callers were offered and
    // abandoned in the access number's queue.
    let token = api_token(&data);
    assert_eq!(service.get("/api/v1/realtime", None).0, 401);
    assert_eq!(service.get("/api/v1/realtime", Some("wrong")).0, 401);
    assert_eq!(service.get("/api/v1/nothing-here", None).0, 401);
    let (status, body) = service.get("/api/v1/realtime", Some(&token));
    assert_eq!(status, 200, "{body}");
    let realtime: serde_json::Value = serde_json::from_str(&body).unwrap();
    let q = &realtime["queues"]["pengaduan"];
    assert_eq!(
        (
            q["offered"].as_u64(),
            q["abandoned"].as_u64(),
            q["waiting"].as_u64()
        ),
        (Some(3), Some(3), Some(0)),
        "{realtime}"
    );
    let now = jiff::Timestamp::now();
    let range = format!(
        "from={}&to={}",
        now - jiff::SignedDuration::from_hours(1),
        now + jiff::SignedDuration::from_hours(1)
    );
    let (status, body) = service.get(&format!("/api/v1/reports/intervals?{range}"), Some(&token));
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let abandoned: u64 = report["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["abandoned"].as_u64().unwrap())
        .sum();
    assert_eq!(abandoned, 3, "{report}");
    assert_eq!(
        service
            .get("/api/v1/reports/intervals?from=yesterday", Some(&token))
            .0,
        400
    );

    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");

    // The same figures from the stored events, by the report command and after a restart.
    let from = (now - jiff::SignedDuration::from_hours(1)).to_string();
    let to = (now + jiff::SignedDuration::from_hours(1)).to_string();
    let out = Command::new(BIN)
        .args(["report", "--json", "--from", &from, "--to", &to, "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(offline["intervals"], report["intervals"]);
    let csv = Command::new(BIN)
        .args(["report", "--from", &from, "--to", &to, "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with("interval_start,queue,offered"), "{csv}");
    let abandoned_csv: u64 = csv
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some("pengaduan"))
        .map(|l| l.split(',').nth(5).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(abandoned_csv, 3, "{csv}");
    let restarted = Service::start(&data);
    let (_, body) = restarted.get("/api/v1/realtime", Some(&token));
    let after: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        after["queues"]["pengaduan"],
        realtime["queues"]["pengaduan"]
    );
    let (exit, log) = restarted.terminate();
    assert!(exit.success(), "{log}");

    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT caller, called, service, answered_ms, ended_ms, disposition, end_reason, recording_id FROM cdrs",
    );
    assert_eq!(cdrs.len(), 3);
    for row in &cdrs {
        assert_eq!(row.get::<String, _>("called"), "1500112");
        assert_eq!(row.get::<String, _>("service"), "pengaduan");
        assert_eq!(row.get::<String, _>("disposition"), "completed");
        assert_eq!(row.get::<String, _>("end_reason"), "remote_hangup");
        assert!(row.get::<Option<String>, _>("recording_id").is_some());
        assert!(row.get::<Option<i64>, _>("answered_ms").is_some());
    }
    let recordings = query(
        &data.join("recordings.sqlite"),
        "SELECT id, path, duration_ms, complete, sha256, service FROM recordings",
    );
    assert_eq!(recordings.len(), 3);
    let prompt_bytes = std::fs::read(data.join("prompts/welcome.wav")).unwrap();
    let (_, prompt) = sambung_media::wav::read(&prompt_bytes).unwrap();
    let prompt: Vec<i16> = prompt
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    for row in &recordings {
        assert!(row.get::<bool, _>("complete"));
        assert_eq!(row.get::<String, _>("sha256").len(), 64);
        let duration = row.get::<i64, _>("duration_ms");
        // ~8 s of speech, 1 s of DTMF, 5 s of hold, give or take the ticks.
        assert!(
            (13_500..=17_000).contains(&duration),
            "duration {duration} ms"
        );
        let (left, right) = channels(&data.join("recordings").join(row.get::<String, _>("path")));
        // What we sent is the greeting, sample for sample, from the first frame.
        let n = right.len().min(prompt.len());
        assert_eq!(right[..n], prompt[..n], "right channel is the greeting");
        // What the caller sent is speech: loud in the middle of the call.
        let middle = &left[8000..8000 * 6];
        assert!(rms(middle) > 300.0, "caller audio rms {}", rms(middle));
    }
}

#[test]
fn a_call_cut_off_by_kill_9_is_closed_and_its_recording_recovered() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut service = Service::start(&data);
    let mut caller = sipp(&service, dir.path(), 1, 20_000);
    service.wait_health(|h| h["calls_active"] == 1);
    // Let the recorder write a few seconds (it updates the header every second).
    std::thread::sleep(Duration::from_millis(3500));
    service.child.kill().unwrap();
    let _ = wait(&mut service.child);
    let _ = caller.kill();
    let _ = caller.wait();

    let service = Service::start(&data);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("closed as interrupted"), "{log}");
    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT disposition, ended_ms FROM cdrs",
    );
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].get::<String, _>("disposition"), "interrupted");
    assert!(cdrs[0].get::<Option<i64>, _>("ended_ms").is_some());
    let rec = query(
        &data.join("recordings.sqlite"),
        "SELECT path, duration_ms, complete FROM recordings",
    );
    assert_eq!(rec.len(), 1);
    assert!(rec[0].get::<bool, _>("complete"));
    let duration = rec[0].get::<i64, _>("duration_ms");
    assert!(duration >= 2000, "recovered {duration} ms");
    let (left, _) = channels(
        &data
            .join("recordings")
            .join(rec[0].get::<String, _>("path")),
    );
    assert!(left.len() as i64 >= duration * 8 - 8000);
}

#[test]
fn a_recordings_folder_that_cannot_be_written_leaves_the_call_answered_and_raises_an_alert() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    // The recordings folder disappears under the running service and a file takes its name,
    // so no recording can be created there (even by root).
    std::fs::remove_dir_all(data.join("recordings")).unwrap();
    std::fs::write(data.join("recordings"), b"not a folder").unwrap();
    let mut caller = sipp(&service, dir.path(), 1, 2000);
    let status = wait_sipp(&mut caller, Duration::from_secs(60));
    assert!(status.success(), "the caller was served: {status}");
    service.wait_health(|h| h["calls_active"] == 0);
    let token = api_token(&data);
    let (_, body) = service.get("/api/v1/realtime", Some(&token));
    let realtime: serde_json::Value = serde_json::from_str(&body).unwrap();
    let recording = &realtime["recording"];
    assert_eq!(recording["alert"], true, "{realtime}");
    assert_eq!(recording["faults"], 1, "{realtime}");
    assert!(
        recording["last_fault"]
            .as_str()
            .unwrap()
            .starts_with("recording not started"),
        "{recording}"
    );
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("recording fault"), "{log}");
    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT disposition, answered_ms, recording_id FROM cdrs",
    );
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].get::<String, _>("disposition"), "completed");
    assert!(cdrs[0].get::<Option<i64>, _>("answered_ms").is_some());
    assert!(cdrs[0].get::<Option<String>, _>("recording_id").is_none());
}

#[test]
fn outside_office_hours_the_caller_hears_why_and_leaves_a_message() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "after_hours.wav", 1000);
    let service = Service::start_at(&data, common::CLOSED);
    // The caller keys 1 (RFC 4733, 8 s into the call, within the 10 s choice after the 1 s
    // message), hears the tone, and is recorded until they hang up.
    let mut caller = sipp(&service, dir.path(), 1, 0);
    common::expect_sipp(&service, &mut caller, Duration::from_secs(60), "caller");
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("outside office hours"), "{log}");
    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT disposition, end_reason FROM cdrs",
    );
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].get::<String, _>("disposition"), "voicemail");
    assert_eq!(cdrs[0].get::<String, _>("end_reason"), "remote_hangup");
    let keyed = query(&data.join("bnpt.sqlite"), "SELECT ivr_input FROM cdrs");
    assert_eq!(keyed[0].get::<String, _>("ivr_input"), "after_hours:1");
    // Nobody queued: the ACD saw no call.
    let events = query(&data.join("bnpt.sqlite"), "SELECT seq FROM acd_events");
    assert!(events.is_empty());
}

#[test]
fn outside_office_hours_a_caller_asks_to_be_called_back() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "after_hours.wav", 1000);
    common::tone_prompt(&data, "callback.wav", 500);
    // The rating caller of the agent tests, keying 2 instead of 4 (6 s into the call).
    let scenario = std::fs::read_to_string(common::own_scenario("caller_rates.xml"))
        .unwrap()
        .replace("dtmf_2833_4.pcap", "dtmf_2833_2.pcap");
    let scenario_file = dir.path().join("caller_keys_2.xml");
    std::fs::write(&scenario_file, scenario).unwrap();
    let service = Service::start_at(&data, common::CLOSED);
    let target = service.sip("udp").to_string();
    let status = common::sipp_run(
        dir.path(),
        &[
            &target,
            "-sf",
            scenario_file.to_str().unwrap(),
            "-s",
            "1500112",
            "-m",
            "1",
            "-mp",
            &(common::free_udp_port() & !1).to_string(),
        ],
    );
    assert!(
        status.success(),
        "caller: {status}\n{}",
        service.stderr_text()
    );
    service.wait_health(|h| h["calls_active"] == 0);
    let token = api_token(&data);
    assert_eq!(service.get("/api/v1/callbacks", None).0, 401);
    let (status, body) = service.get("/api/v1/callbacks", Some(&token));
    assert_eq!(status, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed["callbacks"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["callbacks"][0]["service"], "pengaduan");
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT disposition, end_reason FROM cdrs",
    );
    assert_eq!(cdrs[0].get::<String, _>("disposition"), "callback");
    assert_eq!(cdrs[0].get::<String, _>("end_reason"), "local_hangup");
}

#[test]
fn in_office_hours_the_information_menu_answers_then_the_caller_queues() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    // A long menu prompt, so the caller's '1' (8 s into the call) lands in it; then a short
    // announcement, the menu again, its 2 s timeout, and the queue.
    common::tone_prompt(&data, "menu.wav", 9000);
    common::tone_prompt(&data, "info_hours.wav", 1500);
    let service = Service::start(&data);
    let mut caller = sipp(&service, dir.path(), 1, 16_000);
    common::expect_sipp(&service, &mut caller, Duration::from_secs(60), "caller");
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT disposition, ivr_input FROM cdrs",
    );
    assert_eq!(cdrs[0].get::<String, _>("ivr_input"), "menu:1", "{log}");
    assert_eq!(cdrs[0].get::<String, _>("disposition"), "completed");
    // After the announcement and the menu's timeout the caller was queued (and abandoned).
    let queued = query(
        &data.join("bnpt.sqlite"),
        r#"SELECT kind FROM acd_events WHERE kind LIKE '%"type":"queue_joined"%'"#,
    );
    assert_eq!(queued.len(), 1, "{log}");
}

/// A caller made by hand on loopback: INVITE to the access number offering PCMA (and
/// telephone-events if `events`), ACK the 200; returns what later requests need.
struct HandCall {
    sip: std::net::UdpSocket,
    rtp: std::net::UdpSocket,
    cc: std::net::SocketAddr,
    call_id: String,
    to_tag: String,
    remote_rtp: std::net::SocketAddr,
    seq: u32,
}

impl HandCall {
    fn dial(cc: std::net::SocketAddr, name: &str, events: bool) -> Self {
        let sip = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        sip.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let rtp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let (port, rtp_port) = (
            sip.local_addr().unwrap().port(),
            rtp.local_addr().unwrap().port(),
        );
        let (formats, event_line) = if events {
            ("8 101", "a=rtpmap:101 telephone-event/8000\r\n")
        } else {
            ("8", "")
        };
        let sdp = format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=audio {rtp_port} RTP/AVP {formats}\r\na=rtpmap:8 PCMA/8000\r\n{event_line}"
        );
        let call_id = format!("{name}-{port}@127.0.0.1");
        let mut call = Self {
            sip,
            rtp,
            cc,
            call_id,
            to_tag: String::new(),
            remote_rtp: cc,
            seq: 1,
        };
        call.send(
            "INVITE",
            &format!(
                "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
                sdp.len()
            ),
        );
        let ok = call.response("INVITE");
        assert!(ok.starts_with("SIP/2.0 200"), "{ok}");
        let msg = sambung_sip::Message::parse(ok.as_bytes()).unwrap();
        call.to_tag = msg.to().tag().unwrap().to_owned();
        let answer = sambung_sip::sdp::Sdp::parse(msg.body()).unwrap();
        call.remote_rtp = answer.rtp_address(&answer.media[0]).unwrap();
        call.send("ACK", "Content-Length: 0\r\n\r\n");
        call
    }

    /// Sends `method` in the call (`rest` is the remaining headers and the body).
    fn send(&mut self, method: &str, rest: &str) {
        if method != "ACK" {
            self.seq += u32::from(method != "INVITE");
        }
        let port = self.sip.local_addr().unwrap().port();
        let to_tag = if self.to_tag.is_empty() {
            String::new()
        } else {
            format!(";tag={}", self.to_tag)
        };
        let seq = if method == "ACK" { 1 } else { self.seq };
        let text = format!(
            "{method} sip:1500112@{cc} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{method}{seq}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:081234567890@127.0.0.1>;tag=hc\r\nTo: <sip:1500112@{cc}>{to_tag}\r\n\
             Call-ID: {call_id}\r\nCSeq: {seq} {method}\r\nContact: <sip:caller@127.0.0.1:{port}>\r\n{rest}",
            cc = self.cc,
            call_id = self.call_id,
        );
        self.sip.send_to(text.as_bytes(), self.cc).unwrap();
    }

    /// The final response to our `method`.
    fn response(&self, method: &str) -> String {
        let mut buf = [0u8; 8192];
        loop {
            let (n, _) = self.sip.recv_from(&mut buf).unwrap();
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let done = sambung_sip::Message::parse(text.as_bytes())
                .is_ok_and(|m| m.status().is_some_and(|s| s >= 200) && m.cseq().method() == method);
            if done {
                return text;
            }
        }
    }
}

#[test]
fn keys_count_as_sip_info_and_as_in_band_tones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    // A long menu, so the keys land while it plays.
    common::tone_prompt(&data, "menu.wav", 4000);
    let service = Service::start(&data);
    let cc = service.sip("udp");

    // A key as SIP INFO (application/dtmf-relay).
    let mut by_info = HandCall::dial(cc, "info", true);
    std::thread::sleep(Duration::from_millis(1000));
    let body = "Signal=1\r\nDuration=160\r\n";
    by_info.send(
        "INFO",
        &format!(
            "Content-Type: application/dtmf-relay\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(by_info.response("INFO").starts_with("SIP/2.0 200"));
    std::thread::sleep(Duration::from_millis(500));
    by_info.send("BYE", "Content-Length: 0\r\n\r\n");
    assert!(by_info.response("BYE").starts_with("SIP/2.0 200"));

    // A key as a tone in the audio, from a phone that offered no telephone-events.
    let tones = HandCall::dial(cc, "tone", false);
    std::thread::sleep(Duration::from_millis(1000));
    let mut pcm = sambung_media::dtmf::generate('2', 120, 8000).unwrap();
    pcm.resize(pcm.len() + 1600, 0);
    let mut codec = sambung_media::codec::G711::alaw();
    let mut header = sambung_media::rtp::RtpHeader {
        marker: true,
        payload_type: 8,
        sequence: 100,
        timestamp: 8000,
        ssrc: 0x5a5a,
    };
    for frame in pcm.chunks(160) {
        let mut payload = Vec::new();
        sambung_media::codec::Codec::encode(&mut codec, frame, &mut payload).unwrap();
        let mut packet = Vec::new();
        header.write(&payload, &mut packet);
        tones.rtp.send_to(&packet, tones.remote_rtp).unwrap();
        header.marker = false;
        header.sequence += 1;
        header.timestamp += 160;
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut tones = tones;
    tones.send("BYE", "Content-Length: 0\r\n\r\n");
    assert!(tones.response("BYE").starts_with("SIP/2.0 200"));

    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT ivr_input FROM cdrs ORDER BY id",
    );
    let keys: Vec<Option<String>> = cdrs.iter().map(|r| r.get("ivr_input")).collect();
    assert_eq!(
        keys,
        [Some("menu:1".to_owned()), Some("menu:2".to_owned())],
        "{log}"
    );
}

#[test]
fn a_caller_over_tcp_is_answered_greeted_and_recorded() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let target = service.sip("tcp").to_string();
    let mut caller = Command::new("sipp")
        .arg(&target)
        .arg("-sf")
        .arg(common::scenario())
        .args(["-t", "t1", "-i", "127.0.0.1", "-s", "1500112", "-nostdin"])
        .args(["-p", &common::free_udp_port().to_string()])
        .args(["-mp", &(common::free_udp_port() & !1).to_string()])
        .args(["-m", "1", "-d", "1000", "-timeout", "60s", "-timeout_error"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::expect_sipp(
        &service,
        &mut caller,
        Duration::from_secs(60),
        "caller over TCP",
    );
    service.wait_health(|h| h["calls_active"] == 0);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    assert!(log.contains("transport=\"tcp\""), "{log}");
    let cdrs = query(
        &data.join("bnpt.sqlite"),
        "SELECT end_reason, recording_id FROM cdrs",
    );
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].get::<String, _>("end_reason"), "remote_hangup");
    let recording: String = cdrs[0].get("recording_id");
    let (left, right) = channels(&data.join("recordings").join(format!("{recording}.wav")));
    // The caller's ~8 s of speech on the left, the greeting on the right.
    assert!(left.len() >= 8 * 8000, "{} samples", left.len());
    assert!(rms(&left[8000..48_000]) > 100.0 && rms(&right[..8000]) > 100.0);
}
