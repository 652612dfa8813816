//! The WAV recorder: what goes in comes out, pauses are silent, and a recorder killed with
//! `kill -9` leaves a file that plays (in sox, when installed) and that `recover` completes.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sambung_media::g711;
use sambung_media::wav::{self, WavEncoding};
use sambung_recording::wav_recorder::{Layout, RecorderConfig, WavRecorder, recover};

/// Caller sample `i` of the test signal; the agent's is its negation.
fn signal(i: usize) -> i16 {
    i16::try_from(i * 7 % 2000).unwrap() - 1000
}

fn frame(n: usize) -> (Vec<i16>, Vec<i16>) {
    let caller: Vec<i16> = (n * 160..(n + 1) * 160).map(signal).collect();
    let agent = caller.iter().map(|s| -s).collect();
    (caller, agent)
}

fn samples(data: &[u8]) -> Vec<i16> {
    data.chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

#[test]
fn stereo_pcm_holds_each_leg_on_its_channel_and_pauses_are_silent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.wav");
    let mut rec = WavRecorder::create(&path, RecorderConfig::default()).unwrap();
    for n in 0..100 {
        if n == 50 {
            rec.pause();
        }
        if n == 60 {
            rec.resume();
        }
        let (c, a) = frame(n);
        rec.write(&c, &a).unwrap();
    }
    let summary = rec.finish().unwrap();
    assert_eq!(summary.duration, Duration::from_secs(2));
    let bytes = std::fs::read(&path).unwrap();
    let (format, data) = wav::read(&bytes).unwrap();
    assert_eq!((format.channels, format.sample_rate), (2, 8000));
    let s = samples(data);
    assert_eq!(s.len(), 100 * 160 * 2);
    for i in 0..100 * 160 {
        let paused = (50 * 160..60 * 160).contains(&i);
        let want = if paused { 0 } else { signal(i) };
        assert_eq!((s[2 * i], s[2 * i + 1]), (want, -want), "sample {i}");
    }
    // A finished file needs no repair.
    assert!(!recover(&path).unwrap().1);
    // An existing file is never overwritten.
    assert!(WavRecorder::create(&path, RecorderConfig::default()).is_err());
}

#[test]
fn mono_alaw_mixes_the_legs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.wav");
    let config = RecorderConfig {
        encoding: WavEncoding::Alaw,
        layout: Layout::Mono,
        ..RecorderConfig::default()
    };
    let mut rec = WavRecorder::create(&path, config).unwrap();
    // The agent's leg is one sample short (a lost packet): it is padded, not shifted.
    rec.write(&[1000; 160], &[200; 159]).unwrap();
    let summary = rec.finish().unwrap();
    assert_eq!(summary.data_bytes, 160);
    let bytes = std::fs::read(&path).unwrap();
    let (format, data) = wav::read(&bytes).unwrap();
    assert_eq!(format.encoding, WavEncoding::Alaw);
    let mut pcm = Vec::new();
    g711::alaw_decode_into(data, &mut pcm);
    assert!((i32::from(pcm[0]) - 1200).abs() < 40, "{}", pcm[0]);
    assert!((i32::from(pcm[159]) - 1000).abs() < 40, "{}", pcm[159]);
}

/// Not a test on its own: the process that `survives_kill_9` starts and kills.
#[test]
#[ignore = "run by survives_kill_9 as a child process"]
fn crash_child() {
    let Some(path) = std::env::var_os("SAMBUNG_CRASH_CHILD") else {
        return;
    };
    let mut rec = WavRecorder::create(Path::new(&path), RecorderConfig::default()).unwrap();
    // Ten times real time for at most a minute of audio, then wait to be killed.
    for n in 0..3000 {
        let (c, a) = frame(n);
        rec.write(&c, &a).unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.wav");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--ignored", "--nocapture"])
        .env("SAMBUNG_CRASH_CHILD", &path)
        .spawn()
        .unwrap();
    // Wait for at least three seconds of audio on disk, then kill without warning.
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&path).map_or(0, |m| m.len()) < 44 + 3 * 32_000 {
        assert!(Instant::now() < deadline, "the child wrote nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // As left: the header already describes whole seconds of audio, so the file plays.
    let bytes = std::fs::read(&path).unwrap();
    let (_, data) = wav::read(&bytes).unwrap();
    let declared = samples(data).len() / 2;
    assert!(declared >= 3 * 8000, "{declared} frames");
    if let Some(sox) = sox() {
        let out = Command::new(sox)
            .arg(&path)
            .args(["-n", "stat"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Recovery takes in every whole frame on disk; the audio is exactly what was written.
    let (summary, _) = recover(&path).unwrap();
    assert!(summary.duration >= Duration::from_secs(3));
    let bytes = std::fs::read(&path).unwrap();
    let (_, data) = wav::read(&bytes).unwrap();
    let s = samples(data);
    assert_eq!(s.len() as u64 * 2, summary.data_bytes);
    for (i, pair) in s.chunks_exact(2).enumerate() {
        assert_eq!((pair[0], pair[1]), (signal(i), -signal(i)), "frame {i}");
    }
    assert!(
        !recover(&path).unwrap().1,
        "a repaired file needs no second repair"
    );
    if let Some(sox) = sox() {
        let out = Command::new(sox)
            .arg("--i")
            .arg("-D")
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success());
        let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        assert!(
            (secs - summary.duration.as_secs_f64()).abs() < 0.01,
            "sox says {secs} s"
        );
    }
}

/// sox, if installed (required in CI).
fn sox() -> Option<&'static str> {
    common::judge_available("sox").then_some("sox")
}

#[test]
fn recover_refuses_what_is_not_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.wav");
    std::fs::write(&path, b"RIFF\0\0\0\0WAVEjunk").unwrap();
    assert!(recover(&path).is_err());
    assert!(recover(&dir.path().join("missing.wav")).is_err());
}

#[test]
fn recover_takes_in_whole_frames_past_a_stale_header_and_cuts_a_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.wav");
    let mut rec = WavRecorder::create(&path, RecorderConfig::default()).unwrap();
    let (c, a) = frame(0);
    rec.write(&c, &a).unwrap();
    rec.flush().unwrap();
    drop(rec); // as if killed: the header says 160 frames
    // Two more stereo frames and half of a third reached the disk after the last header update.
    let mut bytes = std::fs::read(&path).unwrap();
    for i in 160..162 {
        bytes.extend_from_slice(&signal(i).to_le_bytes());
        bytes.extend_from_slice(&(-signal(i)).to_le_bytes());
    }
    bytes.extend_from_slice(&[0x12, 0x34]);
    std::fs::write(&path, &bytes).unwrap();
    let (summary, repaired) = recover(&path).unwrap();
    assert!(repaired);
    assert_eq!(summary.data_bytes, 162 * 4);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 44 + 162 * 4, "the partial frame is cut");
    let (_, data) = wav::read(&bytes).unwrap();
    assert_eq!(samples(data)[2 * 161], signal(161));
}
