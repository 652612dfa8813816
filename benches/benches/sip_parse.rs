//! Parsing SIP messages: sambung-sip against rsipstack's and rsip's parsers, on the same
//! messages in the same run. Each parser does comparable work: the message is split and its
//! core headers (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, Content-Length) typed.
//!
//! Prints ns per message, MB/s and the ratios at the end.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use sambung_benches::{SIP_SAMPLES, Sample};

/// sambung-sip: parsing validates and types the core headers in the same pass; the top Via,
/// From, To, CSeq and Content-Length are read back, and every Via and Contact iterated.
fn sambung(bytes: &[u8]) -> Option<usize> {
    let m = sambung_sip::Message::parse(bytes).ok()?;
    let n = m.vias().count() + m.contact_addrs().count();
    Some(
        n + m.via().branch().map_or(0, str::len)
            + m.from().tag().map_or(0, str::len)
            + m.to().uri().as_str().len()
            + m.call_id().len()
            + m.cseq().seq() as usize
            + usize::from(m.max_forwards().unwrap_or(0))
            + m.content_length().unwrap_or(0) as usize,
    )
}

/// rsipstack: its parser, then the core headers typed.
fn rsipstack(bytes: &[u8]) -> Option<usize> {
    use rsipstack::sip::prelude::*;
    let m = rsipstack::sip::parser::parse_message(bytes).ok()?;
    let via = m.via_header().ok()?.typed().ok()?;
    let from = m.from_header().ok()?.typed().ok()?;
    let to = m.to_header().ok()?.typed().ok()?;
    let cseq = m.cseq_header().ok()?.typed().ok()?;
    let call_id = m.call_id_header().ok()?.value().len();
    let contacts = m.typed_contact_headers().map_or(0, |c| c.len());
    let mf = m.max_forwards_header().map_or(0, |h| h.value().len());
    let cl = match &m {
        rsipstack::sip::SipMessage::Request(r) => r.body().len(),
        rsipstack::sip::SipMessage::Response(r) => r.body().len(),
    };
    Some(
        via.params.len()
            + from.params.len()
            + to.params.len()
            + cseq.seq as usize
            + call_id
            + contacts
            + mf
            + cl,
    )
}

/// rsip: its parser, then the core headers typed.
fn rsip(bytes: &[u8]) -> Option<usize> {
    use rsip::prelude::*;
    let m = rsip::SipMessage::try_from(bytes).ok()?;
    let via = m.via_header().ok()?.typed().ok()?;
    let from = m.from_header().ok()?.typed().ok()?;
    let to = m.to_header().ok()?.typed().ok()?;
    let cseq = m.cseq_header().ok()?.typed().ok()?;
    let call_id = m.call_id_header().ok()?.value().len();
    let contacts = m
        .contact_headers()
        .iter()
        .filter_map(|c| c.typed().ok())
        .count();
    let mf = m.max_forwards_header().map_or(0, |h| h.value().len());
    let cl = m.body().len();
    Some(
        via.params.len()
            + from.params.len()
            + to.params.len()
            + cseq.seq as usize
            + call_id
            + contacts
            + mf
            + cl,
    )
}

type Parser = fn(&[u8]) -> Option<usize>;
const PARSERS: &[(&str, Parser)] = &[
    ("sambung", sambung),
    ("rsipstack", rsipstack),
    ("rsip", rsip),
];

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
    let mean_ns = |group: &str, name: &str| -> Option<f64> {
        let path = output_dir()
            .join(group)
            .join(name)
            .join("new/estimates.json");
        let text = std::fs::read_to_string(path).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v["mean"]["point_estimate"].as_f64()
    };
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
