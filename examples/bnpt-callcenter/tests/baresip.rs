//! Two real softphones as agents: baresip 1.0 (Debian's) registers extensions 1001 and 1002
//! with their generated passwords, logs in by feature code from the phone's own dial command
//! (1002 keys a wrong PIN first, which is refused), makes itself ready, auto-answers, and
//! speaks the conformance set's speech WAV. Two SIPp callers dial the access number at once;
//! each is greeted, queued and answered by one of the agents. The recording of each call must
//! hold what the two sides sent — the caller's side matches what the agent's phone received,
//! the other side what the agent's phone sent (normalised cross-correlation ≥ 0.9) — and the
//! real-time statistics count two offered, two answered.
//!
//! Then hold and blind transfer from the agent's phone: baresip's `/hold` and `/resume`
//! (re-INVITEs) play the caller the hold music and count hold time in the agent report, and
//! `/transfer` (REFER) rings another phone, which the caller then talks to.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{
    Service, Softphone, api_token, baresip_available, find_audio, log_in_and_ready, phones, secret,
    sipp, sipp_available, wait_log, wav_channels,
};
use sqlx::Row;

#[test]
fn baresip_agents_log_in_answer_and_are_recorded() {
    if !sipp_available() || !baresip_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    let service = Service::start(&data);
    let registrar = service.sip("udp");
    let phones: Vec<(&str, Softphone)> = ["1001", "1002"]
        .into_iter()
        .zip(phones(&service, &data, dir.path(), &["1001", "1002"]))
        .collect();
    // 1002 mistypes the PIN once: refused with 403.
    let pin_1002 = secret(&data, "pins", "1002");
    let wrong: String = pin_1002
        .chars()
        .map(|c| char::from_digit((c.to_digit(10).unwrap() + 1) % 10, 10).unwrap())
        .collect();
    phones[1]
        .1
        .command(&format!("/dial sip:*711002%23{wrong}%23@{registrar}"));
    wait_log(&service, "feature code refused extension=1002", "wrong PIN");
    for (ext, phone) in &phones {
        log_in_and_ready(&service, &data, ext, phone);
    }

    // Two callers at once, each talking for ~8 s (SIPp plays its A-law speech capture).
    let mut callers = sipp(&service, dir.path(), 2, 1000);
    common::expect_sipp(&service, &mut callers, Duration::from_secs(60), "callers");
    service.wait_health(|h| h["calls_active"] == 0);
    assert!(
        phones[1].1.log().contains("403 Forbidden"),
        "{}",
        phones[1].1.log()
    );

    let token = api_token(&data);
    let (_, body) = service.get("/api/v1/realtime", Some(&token));
    let realtime: serde_json::Value = serde_json::from_str(&body).unwrap();
    let q = &realtime["queues"]["pengaduan"];
    assert_eq!(
        (q["offered"].as_u64(), q["answered"].as_u64()),
        (Some(2), Some(2)),
        "{realtime}"
    );
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");

    let rows = common::query(
        &data.join("bnpt.sqlite"),
        "SELECT agent, recording_id FROM cdrs ORDER BY agent",
    );
    let calls: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.get("agent"), r.get("recording_id")))
        .collect();
    let agents: Vec<&str> = calls.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(agents, ["1001", "1002"], "{log}");
    for ((agent, recording), (ext, phone)) in calls.iter().zip(&phones) {
        assert_eq!(agent, ext);
        let channels = wav_channels(&data.join("recordings").join(format!("{recording}.wav")));
        let (caller_side, heard_side) = (&channels[0], &channels[1]);
        let (received, sent) = phone.longest_call();
        // A two-second stretch from half a second into the agent's call, found in the
        // recording: the caller's side holds what the phone received, the other side what
        // the phone sent.
        // Seconds 0.5 to 2.5 of the agent's call, a second at a time: on a loaded machine a
        // late packet can shift what follows it by a frame, so the best second must match.
        for (name, side, dump) in [
            ("caller → agent", caller_side, &received),
            ("agent → caller", heard_side, &sent),
        ] {
            assert!(dump.len() >= 20_000, "{name}: {} samples", dump.len());
            let found: Vec<(f64, usize)> = [4_000, 8_000, 12_000]
                .iter()
                .map(|&from| find_audio(side, &dump[from..from + 8_000]))
                .collect();
            eprintln!("agent {agent}, {name}: correlations {found:.3?}");
            let (c, at) = found
                .iter()
                .copied()
                .fold((0.0, 0), |a, b| if b.0 > a.0 { b } else { a });
            assert!(
                c >= 0.9,
                "agent {agent}, {name}: correlation {c:.3} at {at}\n{}",
                phone.log()
            );
        }
    }
}

/// A rising sweep, 300 Hz to 1500 Hz over each second, as 8 kHz mono WAV: music on hold no
/// other sound in the test resembles.
fn write_sweep(path: &Path, seconds: usize) {
    let mut phase = 0.0f64;
    let pcm: Vec<i16> = (0..8000 * seconds)
        .map(|i| {
            let t = (i % 8000) as f64 / 8000.0;
            phase += 2.0 * std::f64::consts::PI * (300.0 + 1200.0 * t) / 8000.0;
            sambung_media::tones::to_i16(phase.sin() * 6000.0)
        })
        .collect();
    common::write_wav(path, &pcm);
}

#[test]
fn an_agent_holds_the_caller_then_transfers_them_to_another_phone() {
    if !sipp_available() || !baresip_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    common::tone_prompt(&data, "welcome.wav", 300);
    let music = data.join("prompts").join("hold.wav");
    write_sweep(&music, 3);
    let service = Service::start(&data);
    let registrar = service.sip("udp");
    // 1001 is an agent; 1002 is just an extension (a back-office phone).
    let phones = phones(&service, &data, dir.path(), &["1001", "1002"]);
    log_in_and_ready(&service, &data, "1001", &phones[0]);

    // The caller talks for 8 s, then listens for 12 s more.
    let mut caller = sipp(&service, dir.path(), 1, 12_000);
    wait_log(&service, "agent answered agent=1001", "the agent's answer");
    std::thread::sleep(Duration::from_millis(500));
    phones[0].command("/hold");
    wait_log(&service, "agent hold agent=1001 held=true", "hold");
    std::thread::sleep(Duration::from_secs(2));
    phones[0].command("/resume");
    wait_log(&service, "agent hold agent=1001 held=false", "resume");
    std::thread::sleep(Duration::from_millis(500));
    phones[0].command(&format!("/transfer sip:1002@{registrar}"));
    wait_log(
        &service,
        "blind transfer answered extension=1002",
        "transfer",
    );
    common::expect_sipp(&service, &mut caller, Duration::from_secs(60), "caller");
    service.wait_health(|h| h["calls_active"] == 0);
    let agent_log = phones[0].log();
    assert!(agent_log.contains("transferring call"), "{agent_log}");

    let token = api_token(&data);
    let (_, body) = service.get(
        "/api/v1/reports/agents?from=2026-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
        Some(&token),
    );
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    let row = report["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "1001")
        .unwrap_or_else(|| panic!("{report}"));
    assert!(row["hold_s"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(row["calls"], 1, "{report}");
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");

    let rows = common::query(
        &data.join("bnpt.sqlite"),
        "SELECT agent, transferred_to, recording_id FROM cdrs",
    );
    assert_eq!(rows.len(), 1);
    let (agent, to, recording): (String, String, String) = (
        rows[0].get("agent"),
        rows[0].get("transferred_to"),
        rows[0].get("recording_id"),
    );
    assert_eq!((agent.as_str(), to.as_str()), ("1001", "1002"));
    let heard =
        wav_channels(&data.join("recordings").join(format!("{recording}.wav"))).swap_remove(1);
    // On hold the caller heard the music from its start …
    let sweep = wav_channels(&music).swap_remove(0);
    let (c, at) = find_audio(&heard, &sweep[..8_000]);
    eprintln!("hold music: correlation {c:.3} at sample {at}");
    assert!(c >= 0.9, "hold music: correlation {c:.3} at {at}");
    // … and after the transfer, the second phone's voice.
    let (_, sent) = phones[1].longest_call();
    assert!(sent.len() >= 20_000, "{} samples", sent.len());
    let (c, at) = find_audio(&heard, &sent[4_000..20_000]);
    eprintln!("transferred: correlation {c:.3} at sample {at}");
    assert!(c >= 0.9, "transferred: correlation {c:.3} at {at}");
}
