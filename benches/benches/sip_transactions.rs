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
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use sambung_sip::Message;
use sambung_sip::transaction::{Output, ServerTransaction, Timers, TransactionKey};

/// PJSIP's figure on these machines (issue 4), in transactions per second.
const PJSIP_PER_S: f64 = 340_000.0;
const DISTINCT: usize = 1024;

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn requests() -> Vec<Vec<u8>> {
    (0..DISTINCT)
        .map(|i| {
            format!(
                "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-bench-{i}\r\n\
From: <sip:1001@127.0.0.1>;tag=f{i}\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: reg-{i}@127.0.0.1\r\n\
CSeq: {i} REGISTER\r\nContact: <sip:1001@127.0.0.1:5061>\r\nMax-Forwards: 70\r\nExpires: 3600\r\n\
Content-Length: 0\r\n\r\n"
            )
            .into_bytes()
        })
        .collect()
}

const OK: &[u8] = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-bench\r\n\
From: <sip:1001@127.0.0.1>;tag=f\r\nTo: <sip:1001@127.0.0.1>;tag=t\r\nCall-ID: reg@127.0.0.1\r\n\
CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";

/// Creates, matches and completes one transaction for `msg`; returns what it sent.
fn transact(
    table: &mut HashMap<TransactionKey, ServerTransaction>,
    msg: &Message<'_>,
    bytes: &[u8],
    now: Instant,
) -> usize {
    let key = TransactionKey::for_request(msg);
    let mut sent = 0;
    let tx = table
        .entry(key.clone())
        .or_insert_with(|| ServerTransaction::for_request(msg, bytes, false, Timers::default()));
    while let Some(o) = tx.poll_output() {
        if let Output::PassUp(b) = o {
            sent += b.len();
        }
    }
    tx.respond_with(200, OK.to_vec(), now);
    // The request again (our 200 was lost): matched by key, answered with the last response.
    if let Some(tx) = table.get_mut(&TransactionKey::for_request(msg)) {
        tx.on_request(bytes, now);
    }
    let Some(mut tx) = table.remove(&key) else {
        return sent;
    };
    tx.on_timeout(now + Duration::from_secs(32));
    while let Some(o) = tx.poll_output() {
        if let Output::Send(b) = o {
            sent += b.len();
        }
    }
    sent
}

fn main() {
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .configure_from_args();
    let bytes = requests();
    let parsed: Vec<Message<'_>> = bytes
        .iter()
        .filter_map(|b| Message::parse(b).ok())
        .collect();
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
