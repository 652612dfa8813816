//! `--sweep-agents A..B`: the scenario run once per agent count.

use serde::Serialize;

use crate::scenario::Scenario;
use crate::sim::{self, Report};

/// One point of the sweep.
#[derive(Debug, Serialize)]
pub struct Point {
    /// Agents staffed.
    pub agents: u32,
    /// The run's results.
    #[serde(flatten)]
    pub report: Report,
}

/// Why a sweep cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The range is not `A..B` with 1 <= A <= B <= 10000.
    #[error("--sweep-agents expects A..B with 1 <= A <= B <= 10000, got {0:?}")]
    Range(String),
    /// The scenario has more or fewer than one `[[agents]]` table.
    #[error("--sweep-agents needs exactly one [[agents]] table to vary")]
    AgentTables,
}

/// Parses `A..B`.
pub fn parse_range(text: &str) -> Result<(u32, u32), SweepError> {
    let bad = || SweepError::Range(text.chars().take(32).collect());
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (a, b): (u32, u32) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a == 0 || a > b || b > 10_000 {
        return Err(bad());
    }
    Ok((a, b))
}

/// Runs the scenario for each agent count in `from..=to`.
pub fn run(
    scenario: &Scenario,
    from: u32,
    to: u32,
    base: std::time::Instant,
) -> Result<Vec<Point>, SweepError> {
    if scenario.agents.len() != 1 {
        return Err(SweepError::AgentTables);
    }
    Ok((from..=to)
        .map(|agents| {
            let mut s = scenario.clone();
            s.agents[0].count = agents;
            Point {
                agents,
                report: sim::run(&s, base),
            }
        })
        .collect())
}
