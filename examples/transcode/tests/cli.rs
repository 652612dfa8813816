//! transcode as a user runs it: every format pair that needs no resampling, and errors.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_transcode");

fn speech() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../media/tests/data/g711/speech_8k_s16.wav"
    ))
    .unwrap()
}

fn run(args: &[&Path], extra: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).args(extra).output().unwrap()
}

fn pcm_of_wav(path: &Path) -> (Vec<i16>, u32) {
    let bytes = std::fs::read(path).unwrap();
    let (format, data) = sambung_media_wav(&bytes);
    (
        data.chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect(),
        format,
    )
}

/// A minimal WAV reader for the test, independent of the code under test.
fn sambung_media_wav(bytes: &[u8]) -> (u32, &[u8]) {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 1, "PCM");
    let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
    let at = bytes.windows(4).position(|w| w == b"data").unwrap();
    let len =
        u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
    (rate, &bytes[at + 8..at + 8 + len])
}

fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let n = a.len().min(b.len());
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (f64::from(a[i]), f64::from(b[i]));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    ab / (aa.sqrt() * bb.sqrt()).max(1.0)
}

#[test]
fn wav_to_g711_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    std::fs::write(&input, speech()).unwrap();
    let (original, _) = pcm_of_wav(&input);
    for ext in ["pcma", "alaw", "pcmu", "ulaw"] {
        let raw = dir.path().join(format!("s.{ext}"));
        assert!(run(&[&input, &raw], &[]).status.success());
        assert_eq!(std::fs::read(&raw).unwrap().len(), original.len());
        let back = dir.path().join(format!("back-{ext}.wav"));
        assert!(run(&[&raw, &back], &[]).status.success());
        let (pcm, rate) = pcm_of_wav(&back);
        assert_eq!(rate, 8000);
        assert!(correlation(&original, &pcm) > 0.99, "{ext}");
    }
    // The A-law file equals the ITU reference encoding of the same speech.
    let reference = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../media/tests/data/g711/speech_8k.stl.pcma"
    ))
    .unwrap();
    assert!(std::fs::read(dir.path().join("s.pcma")).unwrap() == reference);
}

#[test]
fn g711_inside_wav() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    std::fs::write(&input, speech()).unwrap();
    let alaw_wav = dir.path().join("alaw.wav");
    assert!(
        run(&[&input, &alaw_wav], &["--codec", "pcma"])
            .status
            .success()
    );
    let bytes = std::fs::read(&alaw_wav).unwrap();
    assert_eq!(
        u16::from_le_bytes([bytes[20], bytes[21]]),
        6,
        "format tag 6: A-law"
    );
    let back = dir.path().join("back.wav");
    assert!(run(&[&alaw_wav, &back], &[]).status.success());
    let (original, _) = pcm_of_wav(&input);
    assert!(correlation(&original, &pcm_of_wav(&back).0) > 0.99);
}

#[test]
fn wav_to_opus_and_back_honours_pre_skip() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    std::fs::write(&input, speech()).unwrap();
    let opus = dir.path().join("s.opus");
    let out = run(&[&input, &opus], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&opus).unwrap();
    assert_eq!(&bytes[..4], b"OggS");
    assert!(
        bytes.len() < std::fs::read(&input).unwrap().len() / 3,
        "compressed"
    );
    let back = dir.path().join("back.wav");
    assert!(run(&[&opus, &back], &["--rate", "8000"]).status.success());
    let (original, _) = pcm_of_wav(&input);
    let (pcm, rate) = pcm_of_wav(&back);
    assert_eq!(rate, 8000);
    // Pre-skip removed and the end trimmed: the same length, and aligned without a shift.
    assert_eq!(pcm.len(), original.len());
    assert!(
        correlation(&original, &pcm) > 0.8,
        "{}",
        correlation(&original, &pcm)
    );
    // Decoded at the default 48 kHz: six times the samples.
    let wide = dir.path().join("wide.wav");
    assert!(run(&[&opus, &wide], &[]).status.success());
    let (pcm48, rate48) = pcm_of_wav(&wide);
    assert_eq!(rate48, 48_000);
    assert_eq!(pcm48.len(), original.len() * 6);
}

#[test]
fn errors_exit_2_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    std::fs::write(&input, speech()).unwrap();
    let opus = dir.path().join("s.opus");
    assert!(run(&[&input, &opus], &[]).status.success());
    // Opus decoded at 48 kHz cannot become G.711 without resampling.
    let out = run(&[&opus, &dir.path().join("x.pcma")], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("8000 Hz"));
    let out = run(&[&input, &dir.path().join("x.mp3")], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown extension"));
    let garbage = dir.path().join("bad.wav");
    std::fs::write(&garbage, b"RIFF\x04\x00\x00\x00WAVEjunk").unwrap();
    let out = run(&[&garbage, &dir.path().join("y.wav")], &[]);
    assert_eq!(out.status.code(), Some(2));
    let not_ogg = dir.path().join("bad.opus");
    std::fs::write(&not_ogg, b"not an ogg file at all").unwrap();
    assert_eq!(
        run(&[&not_ogg, &dir.path().join("z.wav")], &[])
            .status
            .code(),
        Some(2)
    );
}

/// Against opus-tools (Debian's `opus-tools`, installed by scripts/test): our files play in
/// opusdec, and opusenc's files decode here.
#[test]
fn interoperates_with_opus_tools() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.wav");
    std::fs::write(&input, speech()).unwrap();
    let (original, _) = pcm_of_wav(&input);

    let ours = dir.path().join("ours.opus");
    assert!(run(&[&input, &ours], &[]).status.success());
    let decoded = dir.path().join("opusdec.wav");
    let out = Command::new("opusdec")
        .args(["--quiet", "--rate", "8000"])
        .arg(&ours)
        .arg(&decoded)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "opusdec: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (pcm, _) = pcm_of_wav(&decoded);
    assert_eq!(
        pcm.len(),
        original.len(),
        "opusdec honours our pre-skip and end trim"
    );
    assert!(correlation(&original, &pcm) > 0.8);

    let theirs = dir.path().join("theirs.opus");
    let out = Command::new("opusenc")
        .args(["--quiet", "--bitrate", "24"])
        .arg(&input)
        .arg(&theirs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "opusenc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let back = dir.path().join("back.wav");
    assert!(run(&[&theirs, &back], &["--rate", "8000"]).status.success());
    let (pcm, _) = pcm_of_wav(&back);
    assert_eq!(
        pcm.len(),
        original.len(),
        "we honour opusenc's pre-skip and end trim"
    );
    assert!(
        correlation(&original, &pcm) > 0.8,
        "{}",
        correlation(&original, &pcm)
    );
}
