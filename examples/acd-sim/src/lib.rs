//! # acd-sim
//!
//! The library behind the `acd-sim` command and the bindings' `simulate`. `acd-sim
//! SCENARIO.toml` runs `sambung-acd`'s real scheduler in simulated time, for capacity
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
//!
//! ```
//! let report = acd_sim::simulate(r#"
//! seed = 1
//! duration_s = 600.0
//! service_level_threshold_s = 20.0
//! [[queue]]
//! name = "pengaduan"
//! arrival = { process = "poisson", rate_per_s = 0.05 }
//! handle_time = { dist = "exponential", mean_s = 60.0 }
//! [[agents]]
//! count = 5
//! queues = ["pengaduan"]
//! "#)?;
//! assert!(report.queues["pengaduan"].offered > 0);
//! # Ok::<(), acd_sim::scenario::ScenarioError>(())
//! ```
#![forbid(unsafe_code)]

pub mod scenario;
pub mod sim;
pub mod sweep;

pub use scenario::{Scenario, ScenarioError};
pub use sim::{QueueReport, Report};

/// Parses a scenario (TOML) and runs it, with the simulated clock starting now.
pub fn simulate(scenario_toml: &str) -> Result<Report, ScenarioError> {
    let scenario = scenario::parse(scenario_toml)?;
    Ok(sim::run(&scenario, std::time::Instant::now()))
}
