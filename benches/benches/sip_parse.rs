//! Parsing SIP messages: sambung-sip against rsipstack's and rsip's parsers, on the same
//! messages in the same run. Each parser does comparable work: the message is split and its
//! core headers (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, Content-Length) typed.
//!
//! Prints ns per message, MB/s and the ratios at the end: first from criterion's estimates
//! (each parser measured in its own few seconds), then from interleaved rounds (every parser
//! timed in turn within each round, the ratio taken per round), which a machine whose speed
//! drifts between one parser's measurement and the next does not skew.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use sambung_benches::peers::PARSERS;
use sambung_benches::{SIP_SAMPLES, Sample};

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut accepted: Vec<(&Sample, &str, bool)> = Vec::new();
    for sample in SIP_SAMPLES {
        let mut group = c.benchmark_group(sample.name);
        group.throughput(Throughput::Bytes(sample.bytes.len() as u64));
        for &(name, parse) in PARSERS {
            let ok = parse(sample.bytes).is_some();
            accepted.push((sample, name, ok));
            if ok {
                group.bench_function(name, |b| b.iter(|| parse(black_box(sample.bytes))));
            }
        }
        group.finish();
    }
    c.final_summary();
    print_ratios(&accepted);
    print_interleaved();
}

/// Rounds of the interleaved comparison, and the time each parser gets in each round.
const ROUNDS: usize = 40;
const ROUND_SLICE: Duration = Duration::from_millis(5);

/// Times every parser in turn, round after round, on each sample, and prints the median
/// ns/message and the median (with the lowest and highest) of the per-round ratios to sambung.
#[expect(
    clippy::print_stdout,
    reason = "the ratio table is the benchmark's output"
)]
fn print_interleaved() {
    use std::time::Instant;
    println!();
    println!("interleaved: {ROUNDS} rounds, every parser timed in turn in each round");
    println!(
        "{:<10} {:<10} {:>12} {:>26}",
        "message", "parser", "ns/message", "vs sambung (lowest-highest)"
    );
    for sample in SIP_SAMPLES {
        let parsers: Vec<_> = PARSERS
            .iter()
            .filter(|(_, parse)| parse(sample.bytes).is_some())
            .collect();
        // Iterations per slice, from a first timing of each parser.
        let batch: Vec<u32> = parsers
            .iter()
            .map(|(_, parse)| {
                let start = Instant::now();
                for _ in 0..100 {
                    black_box(parse(black_box(sample.bytes)));
                }
                let per = start.elapsed().as_secs_f64() / 100.0;
                let iterations = (ROUND_SLICE.as_secs_f64() / per.max(1e-9)).clamp(10.0, 1e6);
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "clamped to 10..=1,000,000 first"
                )]
                let iterations = iterations as u32;
                iterations
            })
            .collect();
        let mut ns: Vec<Vec<f64>> = vec![Vec::with_capacity(ROUNDS); parsers.len()];
        for _ in 0..ROUNDS {
            for (k, (_, parse)) in parsers.iter().enumerate() {
                let start = Instant::now();
                for _ in 0..batch[k] {
                    black_box(parse(black_box(sample.bytes)));
                }
                ns[k].push(start.elapsed().as_secs_f64() * 1e9 / f64::from(batch[k]));
            }
        }
        let Some(ours) = parsers.iter().position(|(name, _)| *name == "sambung") else {
            continue;
        };
        for (k, (name, _)) in parsers.iter().enumerate() {
            let mut ratios: Vec<f64> = ns[k].iter().zip(&ns[ours]).map(|(p, o)| p / o).collect();
            ratios.sort_by(f64::total_cmp);
            let mut times = ns[k].clone();
            times.sort_by(f64::total_cmp);
            let ratio = if k == ours {
                String::from("1.0x")
            } else {
                format!(
                    "{:.1}x ({:.1}-{:.1})",
                    ratios[ROUNDS / 2],
                    ratios[0],
                    ratios[ROUNDS - 1]
                )
            };
            println!(
                "{:<10} {:<10} {:>12.0} {:>26}",
                sample.name,
                name,
                times[ROUNDS / 2],
                ratio
            );
        }
    }
}

/// Reads criterion's estimates and prints ns/message, MB/s and the ratios to sambung.
#[expect(
    clippy::print_stdout,
    reason = "the ratio table is the benchmark's output"
)]
fn print_ratios(accepted: &[(&Sample, &str, bool)]) {
    let mean_ns =
        |group: &str, name: &str| sambung_benches::estimate_ns(&output_dir(), group, name);
    println!();
    println!(
        "{:<10} {:>6} {:<10} {:>12} {:>10} {:>16}",
        "message", "bytes", "parser", "ns/message", "MB/s", "vs sambung"
    );
    for sample in SIP_SAMPLES {
        let ours = mean_ns(sample.name, "sambung");
        for &(name, _) in PARSERS {
            let ok = accepted
                .iter()
                .any(|(s, n, ok)| s.name == sample.name && *n == name && *ok);
            if !ok {
                println!(
                    "{:<10} {:>6} {:<10} {:>12}",
                    sample.name,
                    sample.bytes.len(),
                    name,
                    "rejects it"
                );
                continue;
            }
            let Some(ns) = mean_ns(sample.name, name) else {
                continue;
            };
            let mbps = sample.bytes.len() as f64 / ns * 1000.0;
            let ratio = ours.map_or(String::from("-"), |o| format!("{:.1}x slower", ns / o));
            let ratio = if name == "sambung" {
                String::from("1.0x")
            } else {
                ratio
            };
            println!(
                "{:<10} {:>6} {:<10} {:>12.0} {:>10.1} {:>16}",
                sample.name,
                sample.bytes.len(),
                name,
                ns,
                mbps,
                ratio
            );
        }
    }
}
