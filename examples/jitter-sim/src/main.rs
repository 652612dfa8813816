//! # jitter-sim
//!
//! `jitter-sim TRACE.csv` replays a packet trace through `sambung-media`'s jitter buffer in
//! simulated 20 ms ticks and prints one JSON object:
//! `frames_played`, `frames_concealed` (frames between the first and last played ones that were
//! concealed), `late_lost` (packets that arrived but were never played), `duplicates`,
//! `mean_delay_ms` and `p95_delay_ms` (playout time minus the arrival time of the frame's
//! packet).
//!
//! The trace is CSV with the header `arrival_ms,seq,timestamp,payload_bytes`, one RTP packet
//! per row (8 kHz timestamps, 160 samples a packet; sequence and timestamp may wrap).
//! Exit status: 0 on success, 2 on a usage, I/O or trace error (which names the line).
#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use sambung_media::jitter::{JitterBuffer, JitterConfig, Pop, PushOutcome};
use serde::Serialize;

/// Replay an RTP packet trace through the jitter buffer in simulated 20 ms ticks.
#[derive(Debug, Parser)]
#[command(name = "jitter-sim", version, about)]
struct Args {
    /// CSV trace: `arrival_ms,seq,timestamp,payload_bytes`.
    trace: PathBuf,
}

/// Largest trace read.
const MAX_TRACE_BYTES: u64 = 256 * 1024 * 1024;
/// Ticks simulated after the last arrival, at most, to drain the buffer.
const DRAIN_TICKS: u64 = 1000;
/// The tick, in microseconds.
const TICK_US: u64 = 20_000;

#[derive(Debug, thiserror::Error)]
enum SimError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is larger than {MAX_TRACE_BYTES} bytes")]
    TooLarge { path: String },
    #[error("line 1: expected the header `arrival_ms,seq,timestamp,payload_bytes`")]
    BadHeader,
    #[error("line {line}: {field} is not a valid {expected}")]
    BadField {
        line: usize,
        field: &'static str,
        expected: &'static str,
    },
    #[error("line {line}: expected 4 comma-separated fields")]
    BadRow { line: usize },
    #[error("line {line}: arrival_ms goes backwards")]
    NotSorted { line: usize },
}

#[derive(Debug, Clone, Copy)]
struct Packet {
    arrival_us: u64,
    seq: u16,
    timestamp: u32,
    payload_bytes: usize,
}

/// The printed result.
#[derive(Debug, Serialize, PartialEq)]
struct Report {
    frames_played: u64,
    frames_concealed: u64,
    late_lost: u64,
    duplicates: u64,
    mean_delay_ms: f64,
    p95_delay_ms: f64,
}

fn parse_trace(text: &str) -> Result<Vec<Packet>, SimError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h.trim()).unwrap_or_default();
    if header != "arrival_ms,seq,timestamp,payload_bytes" {
        return Err(SimError::BadHeader);
    }
    let mut packets = Vec::new();
    let mut last = 0;
    for (index, row) in lines {
        let line = index + 1;
        if row.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        let [arrival, seq, ts, bytes] = fields.as_slice() else {
            return Err(SimError::BadRow { line });
        };
        let bad = |field, expected| SimError::BadField {
            line,
            field,
            expected,
        };
        let arrival_ms: f64 = arrival
            .parse()
            .map_err(|_| bad("arrival_ms", "number of milliseconds"))?;
        if !arrival_ms.is_finite() || !(0.0..1e12).contains(&arrival_ms) {
            return Err(bad("arrival_ms", "non-negative number of milliseconds"));
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked range above"
        )]
        let arrival_us = (arrival_ms * 1000.0).round() as u64;
        if arrival_us < last {
            return Err(SimError::NotSorted { line });
        }
        last = arrival_us;
        packets.push(Packet {
            arrival_us,
            seq: seq
                .parse()
                .map_err(|_| bad("seq", "16-bit sequence number"))?,
            timestamp: ts
                .parse()
                .map_err(|_| bad("timestamp", "32-bit RTP timestamp"))?,
            payload_bytes: bytes
                .parse()
                .map_err(|_| bad("payload_bytes", "byte count"))?,
        });
    }
    Ok(packets)
}

fn simulate(packets: &[Packet]) -> Report {
    // One real instant as the base; every time after it is simulated.
    let t0 = Instant::now();
    let at = |us: u64| t0 + Duration::from_micros(us);
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let mut pushed = HashSet::new();
    let mut delays: Vec<Duration> = Vec::new();
    // Every pop's outcome: Some(played) or None (concealed); trimmed to first..last played.
    let mut outcomes: Vec<bool> = Vec::new();
    let start = packets.first().map_or(0, |p| p.arrival_us);
    let last_arrival = packets.last().map_or(0, |p| p.arrival_us);
    let mut next = 0;
    let mut tick = 0u64;
    let payload = vec![0xD5u8; 1500];
    loop {
        let now_us = start + tick * TICK_US;
        while let Some(p) = packets.get(next).filter(|p| p.arrival_us <= now_us) {
            let body = payload
                .get(..p.payload_bytes.min(payload.len()))
                .unwrap_or_default();
            if jb.push(p.seq, p.timestamp, body, at(p.arrival_us)) != PushOutcome::Duplicate {
                pushed.insert(p.seq);
            }
            next += 1;
        }
        match jb.pop(at(now_us)) {
            Pop::Frame { delay, .. } => {
                delays.push(delay);
                outcomes.push(true);
            }
            Pop::Conceal { .. } => outcomes.push(false),
            Pop::Waiting => {}
        }
        tick += 1;
        let drained = next == packets.len() && jb.is_empty();
        if drained || now_us > last_arrival + DRAIN_TICKS * TICK_US {
            break;
        }
    }
    let first = outcomes.iter().position(|&p| p).unwrap_or(0);
    let last = outcomes.iter().rposition(|&p| p).unwrap_or(0);
    let concealed = outcomes
        .get(first..=last)
        .map_or(0, |o| o.iter().filter(|&&p| !p).count());
    let stats = jb.stats();
    let played = delays.len() as u64;
    let mut ms: Vec<f64> = delays.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let mean = if ms.is_empty() {
        0.0
    } else {
        ms.iter().sum::<f64>() / ms.len() as f64
    };
    let p95 = percentile(&ms, 0.95);
    Report {
        frames_played: played,
        frames_concealed: concealed as u64,
        late_lost: (pushed.len() as u64).saturating_sub(played),
        duplicates: stats.duplicates,
        mean_delay_ms: round3(mean),
        p95_delay_ms: round3(p95),
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0 < rank <= len"
    )]
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn run(args: &Args) -> Result<Report, SimError> {
    let path = args.trace.display().to_string();
    let read_err = |source| SimError::Read {
        path: path.clone(),
        source,
    };
    let size = std::fs::metadata(&args.trace).map_err(read_err)?.len();
    if size > MAX_TRACE_BYTES {
        return Err(SimError::TooLarge { path });
    }
    let text = std::fs::read_to_string(&args.trace).map_err(read_err)?;
    Ok(simulate(&parse_trace(&text)?))
}

#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: the JSON is its output"
)]
fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(report) => match serde_json::to_string(&report) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("jitter-sim: {e}");
                ExitCode::from(2)
            }
        },
        Err(e) => {
            eprintln!("jitter-sim: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(rows: &[(f64, u16, u32)]) -> Vec<Packet> {
        let mut text = String::from("arrival_ms,seq,timestamp,payload_bytes\n");
        for (a, s, t) in rows {
            text.push_str(&format!("{a},{s},{t},160\n"));
        }
        parse_trace(&text).unwrap()
    }

    #[test]
    fn a_steady_stream_plays_every_frame() {
        let rows: Vec<_> = (0..100u16)
            .map(|i| (f64::from(i) * 20.0, i, u32::from(i) * 160))
            .collect();
        let r = simulate(&trace(&rows));
        assert_eq!(r.frames_played, 100);
        assert_eq!(r.frames_concealed, 0);
        assert_eq!(r.late_lost, 0);
        assert!(r.mean_delay_ms <= 40.0, "{r:?}");
    }

    #[test]
    fn a_gap_is_concealed_and_duplicates_counted() {
        let mut rows: Vec<_> = (0..50u16)
            .filter(|&i| i != 10)
            .map(|i| (f64::from(i) * 20.0, i, u32::from(i) * 160))
            .collect();
        rows.push((500.0, 20, 3200)); // a duplicate of seq 20, arriving late
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        let r = simulate(&trace(&rows));
        assert_eq!(r.frames_played, 49);
        assert_eq!(r.frames_concealed, 1);
        assert_eq!(r.duplicates, 1);
    }

    #[test]
    fn bad_traces_name_the_line() {
        assert!(matches!(parse_trace("a,b\n"), Err(SimError::BadHeader)));
        let e = parse_trace("arrival_ms,seq,timestamp,payload_bytes\n0,1,160,160\n5,x,320,160\n")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3: seq is not a valid 16-bit sequence number"
        );
        assert!(matches!(
            parse_trace("arrival_ms,seq,timestamp,payload_bytes\n10,1,160,160\n5,2,320,160\n"),
            Err(SimError::NotSorted { line: 3 })
        ));
        assert!(matches!(
            parse_trace("arrival_ms,seq,timestamp,payload_bytes\n1,2\n"),
            Err(SimError::BadRow { line: 2 })
        ));
    }
}
