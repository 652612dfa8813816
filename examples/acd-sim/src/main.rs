//! # acd-sim
//!
//! `acd-sim SCENARIO.toml` runs `sambung-acd`'s real scheduler in simulated time, for capacity
//! planning, and prints one JSON object: `queues` keyed by name, each with `offered`,
//! `answered`, `abandoned`, `service_level` (answered within the threshold ÷ offered), `asa_s`
//! (mean wait of answered calls), `aht_s`, `abandon_rate`, `mean_wait_s` (mean time in queue
//! over all offered calls, abandoned ones counted until they left); `occupancy`;
//! `wall_time_s`; `calls_per_wall_s`.
//!
//! The scenario: `seed`, `duration_s` (simulated), `service_level_threshold_s`, optional
//! `short_abandon_s` (callers who give up sooner are not counted), `[[queue]]` tables (`name`,
//! `arrival = { process = "poisson", rate_per_s = … }`, `handle_time = { dist = "exponential" |
//! "lognormal" | "fixed", mean_s = …, sd_s = … }`, optional `patience` in the same form —
//! absent means callers never give up — and optional `strategy`), and `[[agents]]` tables
//! (`count`, `queues`). Agents answer at once and have no wrap-up; arrivals stop at
//! `duration_s` and the calls already in finish.
//!
//! Exit status: 0, or 2 for a usage, I/O or scenario error (which names the key).
#![forbid(unsafe_code)]

mod scenario;
mod sim;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Run the ACD scheduler in simulated time.
#[derive(Debug, Parser)]
#[command(name = "acd-sim", version, about)]
struct Args {
    /// The scenario (TOML).
    scenario: PathBuf,
}

/// Largest scenario file read.
const MAX_SCENARIO: u64 = 1024 * 1024;

#[expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool: the JSON is its output"
)]
fn main() -> ExitCode {
    let args = Args::parse();
    let fail = |message: String| {
        eprintln!("acd-sim: {message}");
        ExitCode::from(2)
    };
    let size = match std::fs::metadata(&args.scenario) {
        Ok(m) => m.len(),
        Err(e) => return fail(format!("{}: {e}", args.scenario.display())),
    };
    if size > MAX_SCENARIO {
        return fail(format!(
            "{}: larger than {MAX_SCENARIO} bytes",
            args.scenario.display()
        ));
    }
    let text = match std::fs::read_to_string(&args.scenario) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}: {e}", args.scenario.display())),
    };
    let scenario = match scenario::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            let mut message = format!("{}: {e}", args.scenario.display());
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            return fail(message);
        }
    };
    // One real instant as the base; every time after it is simulated.
    let base = std::time::Instant::now();
    let report = sim::run(&scenario, base);
    match serde_json::to_string(&report) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}
