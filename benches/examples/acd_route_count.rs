//! `acd_route_count STRATEGY N`: N routing decisions of the `acd` benchmark's load (1,000
//! agents in 100 queues with skills), for profilers and instruction counts:
//!
//! ```text
//! valgrind --tool=callgrind target/release/examples/acd_route_count longest_idle 20000
//! ```

use std::process::ExitCode;

use sambung_acd::Strategy;
use sambung_benches::acd_load::Routing;

#[expect(clippy::print_stderr, reason = "usage errors for a command-line tool")]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [strategy, n] = args.as_slice() else {
        eprintln!("usage: acd_route_count longest_idle|round_robin|fewest_calls|least_recent N");
        return ExitCode::from(2);
    };
    let Ok(strategy) =
        serde_json::from_value::<Strategy>(serde_json::Value::String(strategy.clone()))
    else {
        eprintln!("unknown strategy {strategy}");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number");
        return ExitCode::from(2);
    };
    let mut routing = Routing::new(strategy);
    for _ in 0..n {
        routing.step();
    }
    std::hint::black_box(routing.connected.len());
    ExitCode::SUCCESS
}
