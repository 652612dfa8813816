//! Non-INVITE server transactions in process, against issue 4's goal (1,000,000 per second per
//! core; PJSIP's transaction benchmark manages about 340,000 on these machines, the reference
//! the ratio is printed against — PJSIP itself does not run in this process).
//!
//! One transaction: its key made from the parsed request (RFC 3261 §17.2.3), the transaction
//! created and stored, a retransmission of the request matched to it by key and answered with
//! the last response, the final `200` sent, and Timer J firing to end it. The requests (1,024
//! REGISTERs with distinct branches) are parsed once beforehand, as a transport layer parses
//! each message once; `parse_and_transact` adds that parse, for the whole cost of a request.
//!
//! ```text
//! cargo bench -p sambung-benches --features peers --bench sip_transactions
//! ```

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use sambung_benches::sip_tx::{parse_all, requests, transact};
use sambung_sip::Message;

/// PJSIP's figure on these machines (issue 4), in transactions per second.
const PJSIP_PER_S: f64 = 340_000.0;

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .configure_from_args();
    let bytes = requests();
    let parsed = parse_all(&bytes);
    let now = Instant::now();
    let mut group = c.benchmark_group("sip_transactions");
    group.throughput(Throughput::Elements(1));
    let mut table = HashMap::new();
    let mut i = 0;
    group.bench_function("transact", |b| {
        b.iter(|| {
            i = (i + 1) % parsed.len();
            black_box(transact(&mut table, &parsed[i], &bytes[i], now))
        });
    });
    let mut j = 0;
    group.bench_function("parse_and_transact", |b| {
        b.iter(|| {
            j = (j + 1) % bytes.len();
            let Ok(msg) = Message::parse(black_box(&bytes[j])) else {
                return 0;
            };
            black_box(transact(&mut table, &msg, &bytes[j], now))
        });
    });
    group.finish();
    c.final_summary();
    if !std::env::args().any(|a| a == "--test") {
        report();
    }
}

#[expect(
    clippy::print_stdout,
    reason = "the figures are the benchmark's output"
)]
fn report() {
    println!("\n== non-INVITE server transactions (goal 1,000,000/s per core; PJSIP ~340,000/s)");
    for name in ["transact", "parse_and_transact"] {
        if let Some(ns) = sambung_benches::estimate_ns(&output_dir(), "sip_transactions", name) {
            let per_s = 1e9 / ns;
            println!(
                "{name:<20} {ns:>8.0} ns  {per_s:>10.0}/s  goal {:.2}x  PJSIP {:.2}x",
                per_s / 1e6,
                per_s / PJSIP_PER_S
            );
        }
    }
}
