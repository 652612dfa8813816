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
//! `--sweep-agents A..B --svg FILE` runs the scenario once per agent count (varying its one
//! `[[agents]]` table), prints `{"sweep": [{"agents": n, …report…}, …]}`, and draws service level
//! and ASA against agents for the first queue.
//!
//! Exit status: 0, or 2 for a usage, I/O or scenario error (which names the key).
#![forbid(unsafe_code)]

mod draw;

use acd_sim::{scenario, sim, sweep};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Run the ACD scheduler in simulated time.
#[derive(Debug, Parser)]
#[command(name = "acd-sim", version, about)]
struct Args {
    /// The scenario (TOML).
    scenario: PathBuf,
    /// Run once per agent count in A..B (the scenario's one `[[agents]]` table is varied).
    #[arg(long, value_name = "A..B")]
    sweep_agents: Option<String>,
    /// With --sweep-agents: draw service level and ASA against agents into this SVG file.
    #[arg(long, value_name = "FILE", requires = "sweep_agents")]
    svg: Option<PathBuf>,
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
    if let Some(range) = &args.sweep_agents {
        let points =
            match sweep::parse_range(range).and_then(|(a, b)| sweep::run(&scenario, a, b, base)) {
                Ok(p) => p,
                Err(e) => return fail(e.to_string()),
            };
        if let Some(svg) = &args.svg {
            let queue = scenario.first_queue().unwrap_or("");
            if let Err(e) = draw::draw(&points, queue, svg) {
                return fail(e.to_string());
            }
        }
        return match serde_json::to_string(&serde_json::json!({ "sweep": points })) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e.to_string()),
        };
    }
    let report = sim::run(&scenario, base);
    match serde_json::to_string(&report) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}
