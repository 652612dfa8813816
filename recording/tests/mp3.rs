//! MP3 copies: a stereo A-law recording encoded by LAME, then decoded by the `lame` command
//! (the judge, when installed; required in CI): same length, each leg still on its channel.

#![cfg(feature = "mp3")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::f64::consts::PI;
use std::process::Command;

use sambung_media::wav::{self, WavEncoding};
use sambung_recording::mp3::wav_to_mp3;
use sambung_recording::wav_recorder::{RecorderConfig, WavRecorder};

#[expect(clippy::cast_possible_truncation, reason = "|v| <= 8000")]
fn tone(freq: f64, n: usize) -> i16 {
    let v = (2.0 * PI * freq * n as f64 / 8000.0).sin() * 8000.0;
    v.round() as i16
}

/// Power of `freq` in `x` at `rate` (Goertzel).
fn power(x: &[f64], freq: f64, rate: f64) -> f64 {
    let k = 2.0 * (2.0 * PI * freq / rate).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &v in x {
        let s = v + k * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - k * s1 * s2
}

#[test]
fn a_stereo_call_survives_the_round_trip_through_lame() {
    let dir = tempfile::tempdir().unwrap();
    let wav_path = dir.path().join("call.wav");
    let config = RecorderConfig {
        encoding: WavEncoding::Alaw,
        ..RecorderConfig::default()
    };
    let mut rec = WavRecorder::create(&wav_path, config).unwrap();
    for f in 0..150 {
        let caller: Vec<i16> = (f * 160..(f + 1) * 160).map(|n| tone(1000.0, n)).collect();
        let agent: Vec<i16> = (f * 160..(f + 1) * 160).map(|n| tone(440.0, n)).collect();
        rec.write(&caller, &agent).unwrap();
    }
    rec.finish().unwrap();

    let mp3_path = dir.path().join("call.mp3");
    let summary = wav_to_mp3(&wav_path, &mp3_path, 32).unwrap();
    assert_eq!(summary.frames, 24_000);
    let mp3 = std::fs::read(&mp3_path).unwrap();
    assert_eq!(summary.bytes, mp3.len() as u64);
    // 3 s at 32 kbit/s is about 12 kB.
    assert!((9_000..16_000).contains(&mp3.len()), "{} bytes", mp3.len());
    assert!(!dir.path().join("call.mp3.partial").exists());

    let have_lame = common::judge_available("lame");
    if !have_lame {
        return;
    }
    let decoded = dir.path().join("decoded.wav");
    let out = Command::new("lame")
        .args(["--quiet", "--decode"])
        .arg(&mp3_path)
        .arg(&decoded)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&decoded).unwrap();
    let (format, data) = wav::read(&bytes).unwrap();
    assert_eq!((format.channels, format.sample_rate), (2, 8000));
    let s: Vec<i16> = data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let frames = s.len() / 2;
    assert!(
        (23_000..26_000).contains(&frames),
        "{frames} frames decoded"
    );
    // The middle second: the caller's 1 kHz stays left, the agent's 440 Hz right.
    let left: Vec<f64> = s
        .iter()
        .step_by(2)
        .skip(8000)
        .take(8000)
        .map(|&v| f64::from(v))
        .collect();
    let right: Vec<f64> = s
        .iter()
        .skip(1)
        .step_by(2)
        .skip(8000)
        .take(8000)
        .map(|&v| f64::from(v))
        .collect();
    assert!(power(&left, 1000.0, 8000.0) > 100.0 * power(&left, 440.0, 8000.0));
    assert!(power(&right, 440.0, 8000.0) > 100.0 * power(&right, 1000.0, 8000.0));
}

#[test]
fn not_a_wav_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.wav");
    std::fs::write(&junk, b"not a wav file").unwrap();
    assert!(wav_to_mp3(&junk, &dir.path().join("x.mp3"), 32).is_err());
    assert!(!dir.path().join("x.mp3").exists());
}
