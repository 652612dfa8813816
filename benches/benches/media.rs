//! sambung-media beside the C libraries in Debian, in the same run:
//!
//! - G.711 µ-law encode and decode of 20 ms frames against spandsp 0.0.6 (`g711_encode`,
//!   `g711_decode`);
//! - the jitter buffer's push + pop per frame against speexdsp 1.2.1's jitter buffer on the
//!   same trace, and then both on seeded networks for concealment and delay;
//! - Opus through sambung-media's wrapper against libopus called directly, same settings
//!   (wall-clock here moves by ±30% between runs; `examples/opus_count` under callgrind gives
//!   instruction counts, which do not);
//! - the whole path for one 20 ms G.711 frame: RTP parse → jitter buffer → decode → encode →
//!   RTP write (PJMEDIA's stream takes about 0.64 µs per frame here; the goal is 0.3 µs).
//!
//! Prints ns per frame, the ratios, and the concealment table at the end.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::Criterion;
use sambung_benches::cpeers::{DirectOpus, SPEEX_MAX_PAYLOAD, SpandspG711, SpeexJitter};
use sambung_benches::jitter_traces::{self, Arrival, NETWORKS};
use sambung_media::codec::{Codec, G711};
use sambung_media::jitter::{JitterBuffer, JitterConfig, Popped};
use sambung_media::rtp::{RtpHeader, RtpPacket};

/// Frames per iteration of the G.711 and full-path benchmarks: one second of audio.
const FRAMES: usize = 50;
/// Packets in the jitter-buffer timing trace (one minute).
const TRACE_PACKETS: u32 = 3000;

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

/// One second of speech-like audio at 8 kHz: two tones and a slow envelope.
fn audio(rate: usize, samples: usize) -> Vec<i16> {
    (0..samples)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "sample index")]
            let t = i as f64 / rate as f64;
            let v = (t * 2.0 * std::f64::consts::PI * 440.0).sin() * 6000.0
                + (t * 2.0 * std::f64::consts::PI * 1330.0).sin() * 3000.0;
            let env = 0.5 + 0.5 * (t * 2.0 * std::f64::consts::PI * 3.0).sin();
            #[expect(
                clippy::cast_possible_truncation,
                reason = "within i16 by construction"
            )]
            let s = (v * env) as i16;
            s
        })
        .collect()
}

fn g711(c: &mut Criterion, pcm: &[i16]) {
    let mut group = c.benchmark_group("g711_second");
    let mut codes = Vec::with_capacity(160);
    group.bench_function("sambung_encode", |b| {
        b.iter(|| {
            for frame in black_box(pcm).chunks_exact(160) {
                codes.clear();
                sambung_media::g711::ulaw_encode_into(frame, &mut codes);
                black_box(&codes);
            }
        });
    });
    if let Some(mut spandsp) = SpandspG711::new(true) {
        let mut out = [0u8; 160];
        group.bench_function("spandsp_encode", |b| {
            b.iter(|| {
                for frame in black_box(pcm).chunks_exact(160) {
                    spandsp.encode(frame, &mut out);
                    black_box(&out);
                }
            });
        });
    }
    let mut encoded = Vec::new();
    sambung_media::g711::ulaw_encode_into(pcm, &mut encoded);
    let mut decoded = Vec::with_capacity(160);
    group.bench_function("sambung_decode", |b| {
        b.iter(|| {
            for frame in black_box(&encoded).chunks_exact(160) {
                decoded.clear();
                sambung_media::g711::ulaw_decode_into(frame, &mut decoded);
                black_box(&decoded);
            }
        });
    });
    if let Some(mut spandsp) = SpandspG711::new(true) {
        let mut out = [0i16; 160];
        group.bench_function("spandsp_decode", |b| {
            b.iter(|| {
                for frame in black_box(&encoded).chunks_exact(160) {
                    spandsp.decode(frame, &mut out);
                    black_box(&out);
                }
            });
        });
    }
    group.finish();
}

/// The trace's arrivals as instants and the 20 ms ticks, computed before timing.
struct Timeline {
    pushes: Vec<(Instant, u16, u32)>,
    /// For each tick, how many pushes come before it, and its instant.
    ticks: Vec<(usize, Instant)>,
    /// For speexdsp: arrival µs per push.
    arrival_us: Vec<u32>,
}

fn timeline(arrivals: &[Arrival]) -> Timeline {
    let t0 = Instant::now();
    let at = |ms: f64| t0 + Duration::from_secs_f64(ms.max(0.0) / 1000.0);
    let pushes = arrivals
        .iter()
        .map(|a| (at(a.at_ms), a.seq, a.timestamp))
        .collect();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "µs of a one-minute trace"
    )]
    let arrival_us = arrivals.iter().map(|a| (a.at_ms * 1000.0) as u32).collect();
    let end = arrivals.last().map_or(0.0, |a| a.at_ms) + 200.0;
    let mut ticks = Vec::new();
    let mut next = 0;
    let mut tick = 0.0;
    while tick < end {
        while arrivals.get(next).is_some_and(|a| a.at_ms <= tick) {
            next += 1;
        }
        ticks.push((next, at(tick)));
        tick += 20.0;
    }
    Timeline {
        pushes,
        ticks,
        arrival_us,
    }
}

fn jitter(c: &mut Criterion, line: &Timeline) {
    let payload = [0xD5u8; 160];
    let mut group = c.benchmark_group("jitter_trace");
    let mut frame = Vec::with_capacity(160);
    group.bench_function("sambung", |b| {
        b.iter(|| {
            let mut jb = JitterBuffer::new(JitterConfig::default());
            let mut pushed = 0;
            for &(upto, now) in &line.ticks {
                for &(at, seq, ts) in &line.pushes[pushed..upto] {
                    jb.push(seq, ts, &payload, at);
                }
                pushed = upto;
                black_box(jb.pop_into(now, &mut frame));
            }
        });
    });
    group.bench_function("speexdsp", |b| {
        let mut out = [0u8; SPEEX_MAX_PAYLOAD];
        b.iter(|| {
            let Some(mut jb) = SpeexJitter::new(160) else {
                return;
            };
            let mut pushed = 0;
            for &(upto, _) in &line.ticks {
                for (&(_, seq, ts), &us) in line.pushes[pushed..upto]
                    .iter()
                    .zip(&line.arrival_us[pushed..upto])
                {
                    jb.put(seq, ts, &payload, us);
                }
                pushed = upto;
                black_box(jb.get_and_tick(&mut out));
            }
        });
    });
    group.finish();
}

fn opus(c: &mut Criterion) {
    let mut group = c.benchmark_group("opus_frame");
    for rate in [16_000usize, 48_000] {
        let pcm = audio(rate, rate / 50);
        if let Ok(mut ours) = sambung_media::opus::Opus::new(u32::try_from(rate).unwrap_or(0)) {
            let mut packet = Vec::with_capacity(1500);
            let mut decoded = Vec::with_capacity(rate / 50);
            group.bench_function(format!("sambung_{}k", rate / 1000), |b| {
                b.iter(|| {
                    packet.clear();
                    decoded.clear();
                    let _ = ours.encode(black_box(&pcm), &mut packet);
                    let _ = ours.decode(&packet, &mut decoded);
                    black_box(&decoded);
                });
            });
        }
        if let Some(mut direct) = DirectOpus::new(i32::try_from(rate).unwrap_or(0)) {
            let mut packet = [0u8; 1500];
            let mut decoded = vec![0i16; rate / 50];
            group.bench_function(format!("libopus_{}k", rate / 1000), |b| {
                b.iter(|| {
                    let n = direct.encode(black_box(&pcm), &mut packet);
                    direct.decode(&packet[..n], &mut decoded);
                    black_box(&decoded);
                });
            });
        }
    }
    group.finish();
}

/// The in-process media path for one direction of a transcoding call: µ-law RTP in, A-law RTP
/// out, through the jitter buffer, one frame per 20 ms tick.
fn full_path(c: &mut Criterion, pcm: &[i16]) {
    let mut codes = Vec::new();
    sambung_media::g711::ulaw_encode_into(pcm, &mut codes);
    let mut datagrams: Vec<Vec<u8>> = Vec::new();
    for (i, frame) in codes.chunks_exact(160).enumerate() {
        let header = RtpHeader {
            marker: i == 0,
            payload_type: 0,
            sequence: u16::try_from(i).unwrap_or(0),
            timestamp: u32::try_from(i * 160).unwrap_or(0),
            ssrc: 0x1234_5678,
        };
        let mut d = Vec::new();
        header.write(frame, &mut d);
        datagrams.push(d);
    }
    let t0 = Instant::now();
    let mut group = c.benchmark_group("media_path_second");
    let mut decoder = G711::ulaw();
    let mut encoder = G711::alaw();
    let mut pcm_frame = Vec::with_capacity(160);
    let mut frame = Vec::with_capacity(160);
    let mut payload = Vec::with_capacity(160);
    let mut out = Vec::with_capacity(200);
    let mut sequence = 0u16;
    let mut in_seq = 0u16;
    let mut in_ts = 0u32;
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let mut clock = t0;
    group.bench_function("sambung", |b| {
        b.iter(|| {
            for d in &mut datagrams {
                // The sender: each packet arrives on time with the next sequence number and
                // timestamp (two stores into the datagram); the clock moves 20 ms a frame.
                clock += Duration::from_millis(20);
                in_seq = in_seq.wrapping_add(1);
                d[2..4].copy_from_slice(&in_seq.to_be_bytes());
                in_ts = in_ts.wrapping_add(160);
                d[4..8].copy_from_slice(&in_ts.to_be_bytes());
                let Ok(packet) = RtpPacket::parse(black_box(d)) else {
                    continue;
                };
                jb.push(packet.sequence, packet.timestamp, packet.payload, clock);
                pcm_frame.clear();
                match jb.pop_into(clock, &mut frame) {
                    Popped::Frame { .. } => {
                        let _ = decoder.decode(&frame, &mut pcm_frame);
                    }
                    Popped::Conceal { .. } => decoder.conceal(160, &mut pcm_frame),
                    Popped::Waiting => continue,
                }
                payload.clear();
                let _ = encoder.encode(&pcm_frame, &mut payload);
                out.clear();
                sequence = sequence.wrapping_add(1);
                RtpHeader {
                    marker: false,
                    payload_type: 8,
                    sequence,
                    timestamp: in_ts,
                    ssrc: 0x8765_4321,
                }
                .write(&payload, &mut out);
                black_box(&out);
            }
        });
    });
    group.finish();
}

fn main() {
    let pcm = audio(8000, 160 * FRAMES);
    let steady = jitter_traces::trace(&NETWORKS[1], 7, TRACE_PACKETS);
    let line = timeline(&steady);
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    g711(&mut c, &pcm);
    jitter(&mut c, &line);
    opus(&mut c);
    full_path(&mut c, &pcm);
    c.final_summary();
    report(line.ticks.len());
}

#[expect(
    clippy::print_stdout,
    reason = "the ratio table is the benchmark's output"
)]
fn report(ticks: usize) {
    let estimate =
        |group: &str, name: &str| sambung_benches::estimate_ns(&output_dir(), group, name);
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    let (frames, ticks) = (FRAMES as f64, ticks as f64);
    println!();
    println!(
        "{:<34} {:>12} {:>12} {:>10}",
        "", "sambung", "peer", "ratio"
    );
    let row = |what: &str, ours: Option<f64>, peer: Option<f64>, per: f64| {
        let (Some(o), Some(p)) = (ours, peer) else {
            return;
        };
        println!(
            "{:<34} {:>9.1} ns {:>9.1} ns {:>9.2}x",
            what,
            o / per,
            p / per,
            p / o
        );
    };
    row(
        "G.711 encode / frame (spandsp)",
        estimate("g711_second", "sambung_encode"),
        estimate("g711_second", "spandsp_encode"),
        frames,
    );
    row(
        "G.711 decode / frame (spandsp)",
        estimate("g711_second", "sambung_decode"),
        estimate("g711_second", "spandsp_decode"),
        frames,
    );
    row(
        "jitter push+pop / frame (speexdsp)",
        estimate("jitter_trace", "sambung"),
        estimate("jitter_trace", "speexdsp"),
        ticks,
    );
    for k in ["16k", "48k"] {
        let ours = estimate("opus_frame", &format!("sambung_{k}"));
        let direct = estimate("opus_frame", &format!("libopus_{k}"));
        if let (Some(o), Some(d)) = (ours, direct) {
            println!(
                "Opus {k} encode+decode / frame: wrapper {:.2} µs, libopus {:.2} µs ({:+.1}%)",
                o / 1000.0,
                d / 1000.0,
                (o / d - 1.0) * 100.0
            );
        }
    }
    if let Some(ns) = estimate("media_path_second", "sambung") {
        println!(
            "full path RTP→jitter→decode→encode→RTP: {:.3} µs / frame (PJMEDIA ≈ 0.64 µs; goal ≤ 0.3)",
            ns / frames / 1000.0
        );
    }
    println!();
    println!(
        "{:<16} {:>22} {:>22}",
        "network (60 s)", "sambung conceal / delay", "speexdsp conceal / delay"
    );
    for net in NETWORKS {
        let trace = jitter_traces::trace(net, 42, TRACE_PACKETS);
        let ours = jitter_traces::run_sambung(&trace);
        let Some(speex) = jitter_traces::run_speex(&trace) else {
            continue;
        };
        println!(
            "{:<16} {:>12.2}% {:>6.1} ms {:>12.2}% {:>6.1} ms",
            net.name,
            ours.concealed_share() * 100.0,
            ours.mean_delay_ms,
            speex.concealed_share() * 100.0,
            speex.mean_delay_ms
        );
    }
}
