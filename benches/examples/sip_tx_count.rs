//! `sip_tx_count N`: runs the `sip_transactions` workload (create, match, complete one
//! non-INVITE server transaction) N times on pre-parsed requests. Run it under
//! `valgrind --tool=callgrind` and divide by N, after subtracting a run with N = 0.

use std::collections::HashMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use sambung_benches::sip_tx::{parse_all, requests, transact};

#[expect(clippy::print_stderr, reason = "usage errors for a command-line tool")]
fn main() -> ExitCode {
    let Some(Ok(n)) = std::env::args().nth(1).map(|a| a.parse::<usize>()) else {
        eprintln!("usage: sip_tx_count N");
        return ExitCode::from(2);
    };
    let bytes = requests();
    let parsed = parse_all(&bytes);
    let now = Instant::now();
    let mut table = HashMap::new();
    let mut acc = 0usize;
    for i in 0..n {
        let k = i % parsed.len();
        acc = acc.wrapping_add(transact(&mut table, &parsed[k], &bytes[k], now));
    }
    black_box(acc);
    ExitCode::SUCCESS
}
