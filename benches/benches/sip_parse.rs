//! Parsing SIP messages: sambung-sip against rsipstack's and rsip's parsers, on the same
//! messages in the same run. Each parser does comparable work: the message is split and its
//! core headers (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, Content-Length) typed.
//!
//! Prints ns per message, MB/s and the ratios at the end.

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
