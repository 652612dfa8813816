//! The ACD and its CMS under load, against the goals of issue 6:
//!
//! - **`routing`**: 1,000 agents in 100 queues with skills, 90% of them on calls; one decision
//!   is a caller arriving, being offered to an agent by the queue's strategy and skill tiers,
//!   answered, and an older call ending (so the load stays level). Reported as decisions per
//!   second, and the p99 of the arrival alone (the step that picks the agent).
//! - **`cms_ingest`**: the events of that routing run folded into the CMS (`Projection::apply`),
//!   in events per second.
//! - **`acd_sim`**: `acd-sim`'s throughput scenario (100 agents on one queue, Poisson arrivals,
//!   exponential handle times and patience), in simulated calls per wall-clock second.
//!
//! No other ACD can be run in-process next to ours, so these print the figures against the
//! issue's goals rather than a peer's ratio.
//!
//! ```text
//! cargo bench -p sambung-benches --features peers --bench acd
//! ```

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use sambung_acd::cms::{Cms, CmsConfig};
use sambung_acd::{Input, Strategy};
use sambung_benches::acd_load::{BUSY, Routing, routing_events};
use sambung_core::event::{Event, Projection};

/// The p99 of the arrival step alone over `n` decisions, in ns.
fn arrival_p99(strategy: Strategy, n: usize) -> (f64, f64) {
    let mut routing = Routing::new(strategy);
    let mut times: Vec<u128> = Vec::with_capacity(n);
    for _ in 0..n {
        routing.tick();
        let started = Instant::now();
        routing.arrive();
        times.push(started.elapsed().as_nanos());
        routing.answer();
        if routing.connected.len() > BUSY
            && let Some(call) = routing.connected.pop_front()
        {
            let _ = routing.acd.handle(routing.now, Input::CallEnded { call });
        }
        routing.drain_events();
    }
    times.sort_unstable();
    let at = |q: f64| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a short vector"
        )]
        let i = ((times.len() as f64 - 1.0) * q) as usize;
        #[expect(clippy::cast_precision_loss, reason = "nanoseconds")]
        let v = times.get(i).copied().unwrap_or(0) as f64;
        v
    };
    (at(0.5), at(0.99))
}

/// The events of a routing run, as the event log stores them.
fn output_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

const SIM_SCENARIO: &str = include_str!("../../examples/acd-sim/scenarios/100-agents.toml");

fn main() {
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .configure_from_args();
    let strategies = [
        ("longest_idle", Strategy::LongestIdle),
        ("round_robin", Strategy::RoundRobin),
        ("fewest_calls", Strategy::FewestCalls),
        ("least_recent", Strategy::LeastRecent),
    ];
    {
        let mut g = c.benchmark_group("acd_routing");
        g.throughput(Throughput::Elements(1));
        for (name, strategy) in strategies {
            let mut routing = Routing::new(strategy);
            g.bench_function(name, |b| b.iter(|| black_box(&mut routing).step()));
        }
        g.finish();
    }
    let events = routing_events(100_000);
    {
        let mut g = c.benchmark_group("cms_ingest");
        g.throughput(Throughput::Elements(events.len() as u64));
        g.sample_size(10);
        g.bench_function("routing_events", |b| {
            b.iter(|| {
                let mut cms = Cms::new(CmsConfig::default());
                for e in &events {
                    cms.apply(black_box(e));
                }
                cms
            });
        });
        g.finish();
    }
    {
        let mut g = c.benchmark_group("acd_sim");
        g.sample_size(10);
        // A tenth of the scenario's simulated time per iteration.
        let scenario = SIM_SCENARIO.replace("duration_s = 360000", "duration_s = 36000");
        g.bench_function("100_agents", |b| {
            b.iter(|| acd_sim::simulate(black_box(&scenario)));
        });
        g.finish();
    }
    c.final_summary();
    // `--test` (the CI smoke run) proves the benchmarks run; figures come from real runs.
    if !std::env::args().any(|a| a == "--test") {
        report(&events);
    }
}

/// Prints the figures against the goals, from criterion's estimates and the timing runs.
#[expect(
    clippy::print_stdout,
    reason = "the figures are the benchmark's output"
)]
fn report(events: &[Event]) {
    println!("\n== ACD against the goals of issue 6");
    for (name, strategy) in [
        ("longest_idle", Strategy::LongestIdle),
        ("round_robin", Strategy::RoundRobin),
        ("fewest_calls", Strategy::FewestCalls),
        ("least_recent", Strategy::LeastRecent),
    ] {
        if let Some(ns) = sambung_benches::estimate_ns(&output_dir(), "acd_routing", name) {
            let (p50, p99) = arrival_p99(strategy, 200_000);
            println!(
                "routing {name:<13} {:>9.0} decisions/s (goal 1,000,000: {:.2}x)  arrival p50 {p50:.0} ns, p99 {p99:.0} ns (goal <= 10,000 ns)",
                1e9 / ns,
                1e9 / ns / 1e6
            );
        }
    }
    if let Some(ns) = sambung_benches::estimate_ns(&output_dir(), "cms_ingest", "routing_events") {
        #[expect(clippy::cast_precision_loss, reason = "event counts")]
        let per_s = events.len() as f64 / (ns / 1e9);
        println!(
            "cms ingest {per_s:>12.0} events/s (goal 10,000,000: {:.2}x)",
            per_s / 1e7
        );
    }
    if let Some(ns) = sambung_benches::estimate_ns(&output_dir(), "acd_sim", "100_agents") {
        let scenario = SIM_SCENARIO.replace("duration_s = 360000", "duration_s = 36000");
        if let Ok(r) = acd_sim::simulate(&scenario) {
            let offered: u64 = r.queues.values().map(|q| q.offered).sum();
            #[expect(clippy::cast_precision_loss, reason = "call counts")]
            let per_s = offered as f64 / (ns / 1e9);
            println!(
                "acd-sim {per_s:>12.0} simulated calls per wall second (goal 1,000,000: {:.2}x)",
                per_s / 1e6
            );
        }
    }
}
