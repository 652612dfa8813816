//! Recording a call to WAV: sambung-recording's `WavRecorder` against `hound` (its fastest
//! path, `get_i16_writer`) on the same minute of stereo 8 kHz audio, in the same run, both
//! into files in the target folder. Also G.711 A-law stereo, the format the call center
//! records in, from which the number of calls one tenth of a core records in real time
//! follows.
//!
//! Prints ms per call-minute, the ratio to hound, and that capacity at the end.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use sambung_media::wav::WavEncoding;
use sambung_recording::wav_recorder::{RecorderConfig, WavRecorder};

/// One minute in 20 ms frames of 160 samples per leg.
const FRAMES: usize = 3000;

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn legs() -> (Vec<i16>, Vec<i16>) {
    let caller: Vec<i16> = (0i16..160).map(|i| i * 97 % 4000 - 2000).collect();
    let agent = caller.iter().map(|s| s / 2).collect();
    (caller, agent)
}

fn ours(path: &Path, encoding: WavEncoding, caller: &[i16], agent: &[i16]) {
    let _ = std::fs::remove_file(path);
    let config = RecorderConfig {
        encoding,
        ..RecorderConfig::default()
    };
    let Ok(mut rec) = WavRecorder::create(path, config) else {
        return;
    };
    for _ in 0..FRAMES {
        let _ = rec.write(black_box(caller), black_box(agent));
    }
    // finish() also syncs to disk, which hound does not; drop after a flush for the same work.
    let _ = rec.flush();
}

fn hound_pcm(path: &Path, caller: &[i16], agent: &[i16]) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let Ok(mut w) = hound::WavWriter::create(path, spec) else {
        return;
    };
    for _ in 0..FRAMES {
        let mut frame = w.get_i16_writer(320);
        for (c, a) in black_box(caller).iter().zip(black_box(agent)) {
            frame.write_sample(*c);
            frame.write_sample(*a);
        }
        let _ = frame.flush();
    }
    let _ = w.finalize();
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wav_record");
    let _ = std::fs::create_dir_all(&dir);
    let (caller, agent) = legs();
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut group = c.benchmark_group("wav_record_minute");
    group.sample_size(20);
    group.bench_function("sambung_pcm", |b| {
        b.iter(|| ours(&dir.join("s.wav"), WavEncoding::Pcm16, &caller, &agent));
    });
    group.bench_function("hound_pcm", |b| {
        b.iter(|| hound_pcm(&dir.join("h.wav"), &caller, &agent));
    });
    group.bench_function("sambung_alaw", |b| {
        b.iter(|| ours(&dir.join("a.wav"), WavEncoding::Alaw, &caller, &agent));
    });
    group.finish();

    // The same minute of stereo PCM, encoded to 32 kbit/s MP3 by us (LAME in process) and by
    // the `lame` command (when installed), start to finish including reading the WAV.
    let source = dir.join("mp3-source.wav");
    ours(&source, WavEncoding::Pcm16, &caller, &agent);
    let have_lame = std::process::Command::new("lame")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut group = c.benchmark_group("mp3_minute");
    group.sample_size(10);
    group.bench_function("sambung", |b| {
        b.iter(|| sambung_recording::mp3::wav_to_mp3(&source, &dir.join("s.mp3"), 32));
    });
    if have_lame {
        // Our copy is synced to disk before it counts as made (it may replace nothing else);
        // the command's output is synced too, so both do the same work.
        group.bench_function("lame_cli", |b| {
            b.iter(|| {
                let status = std::process::Command::new("lame")
                    .args(["--quiet", "--cbr", "-b", "32", "-q", "5"])
                    .arg(&source)
                    .arg(dir.join("l.mp3"))
                    .status();
                let _ = std::fs::File::open(dir.join("l.mp3")).and_then(|f| f.sync_all());
                status
            });
        });
    }
    group.finish();
    c.final_summary();
    report();
}

#[expect(
    clippy::print_stdout,
    reason = "the ratio table is the benchmark's output"
)]
fn report() {
    let estimate =
        |group: &str, name: &str| sambung_benches::estimate_ns(&output_dir(), group, name);
    let mean_ns = |name: &str| estimate("wav_record_minute", name);
    println!();
    println!(
        "{:<14} {:>16} {:>14}",
        "writer", "ms/call-minute", "than hound"
    );
    let hound = mean_ns("hound_pcm");
    for name in ["sambung_pcm", "hound_pcm", "sambung_alaw"] {
        let Some(ns) = mean_ns(name) else { continue };
        // Only the PCM rows write the same bytes as hound.
        let ratio = match hound {
            Some(h) if name.ends_with("_pcm") => format!("{:.2}x faster", h / ns),
            _ => String::from("-"),
        };
        println!("{:<14} {:>16.2} {:>14}", name, ns / 1e6, ratio);
    }
    let mp3 = |name: &str| estimate("mp3_minute", name);
    if let (Some(ours), Some(lame)) = (mp3("sambung"), mp3("lame_cli")) {
        println!(
            "mp3 of a call-minute: sambung {:.1} ms, lame command {:.1} ms ({:+.1}%)",
            ours / 1e6,
            lame / 1e6,
            (ours / lame - 1.0) * 100.0
        );
    }
    if let Some(ns) = mean_ns("sambung_alaw") {
        // One call-minute of CPU per minute of wall time is one call's share of a core.
        let share = ns / 60e9;
        println!(
            "stereo A-law calls recorded in real time on 10% of one core: {:.0}",
            0.1 / share
        );
    }
}
