//! The discrete-event simulation around the real scheduler.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand_distr::{Distribution, Exp, LogNormal};
use sambung_acd::{Acd, AcdConfig, Action, Input, QueueConfig, Strategy};
use sambung_core::ids::{AgentId, CallId, QueueId};
use serde::Serialize;

use crate::scenario::{Arrival, Dist, Scenario};

/// Per-queue results.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct QueueReport {
    /// Callers who joined (short abandons excluded).
    pub offered: u64,
    /// Callers an agent answered.
    pub answered: u64,
    /// Callers who gave up while waiting.
    pub abandoned: u64,
    /// Answered within the threshold ÷ offered.
    pub service_level: f64,
    /// Mean wait of answered calls, in seconds.
    pub asa_s: f64,
    /// Mean handle time of answered calls, in seconds.
    pub aht_s: f64,
    /// Abandoned ÷ offered.
    pub abandon_rate: f64,
    /// Mean time in queue over all offered calls, in seconds.
    pub mean_wait_s: f64,
}

/// The printed result.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Results per queue, by name.
    pub queues: BTreeMap<String, QueueReport>,
    /// Agents' busy time ÷ their staffed time.
    pub occupancy: f64,
    /// Real time the run took, in seconds.
    pub wall_time_s: f64,
    /// Offered calls per second of real time.
    pub calls_per_wall_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival(usize),
    GiveUp(u64),
    Complete(u64),
    AcdTimer,
}

#[derive(Debug, Clone, Default)]
struct CallRecord {
    queue: usize,
    arrived: f64,
    answered: Option<f64>,
    handle: f64,
    left: Option<f64>,
    agent: Option<AgentId>,
}

fn sample(dist: &Dist, rng: &mut SmallRng) -> f64 {
    match *dist {
        Dist::Exponential { mean_s } => Exp::new(1.0 / mean_s).map_or(mean_s, |d| d.sample(rng)),
        Dist::Fixed { mean_s } => mean_s,
        Dist::Lognormal { mean_s, sd_s } => {
            let sigma2 = (1.0 + (sd_s / mean_s).powi(2)).ln();
            let mu = mean_s.ln() - sigma2 / 2.0;
            LogNormal::new(mu, sigma2.sqrt()).map_or(mean_s, |d| d.sample(rng))
        }
    }
}

/// Seconds as a `Duration` (non-negative, finite by the scenario's checks).
fn dur(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

/// Runs a scenario; `base` is the simulated clock's zero.
pub fn run(s: &Scenario, base: Instant) -> Report {
    let wall = Instant::now();
    let mut rng = SmallRng::seed_from_u64(s.seed);
    // The report comes from the simulation's own call records: no event log to keep.
    let mut acd = Acd::new(AcdConfig {
        seed: s.seed,
        keep_events: false,
        ..AcdConfig::default()
    });
    let ids: Vec<QueueId> = s
        .queues
        .iter()
        .filter_map(|q| QueueId::new(&q.name).ok())
        .collect();
    for (q, id) in s.queues.iter().zip(&ids) {
        let mut config = QueueConfig::new(id.clone(), q.strategy.unwrap_or(Strategy::LongestIdle));
        config.wrap_up = Duration::ZERO;
        config.ring_timeout = Duration::from_secs(3600);
        acd.add_queue(config);
    }
    let at = |t: f64| base + dur(t);
    let mut agent_count = 0u64;
    for spec in &s.agents {
        let queues: Vec<QueueId> = spec
            .queues
            .iter()
            .filter_map(|n| QueueId::new(n).ok())
            .collect();
        for _ in 0..spec.count {
            agent_count += 1;
            let Ok(agent) = AgentId::new(&agent_count.to_string()) else {
                continue;
            };
            let _ = acd.handle(
                base,
                Input::AgentLogin {
                    agent: agent.clone(),
                    queues: queues.clone(),
                },
            );
            let _ = acd.handle(base, Input::AgentReady { agent });
        }
    }
    let mut heap: BinaryHeap<Reverse<(u64, u64, Event)>> = BinaryHeap::new();
    let nanos = |t: f64| u64::try_from(dur(t).as_nanos()).unwrap_or(u64::MAX);
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<Reverse<(u64, u64, Event)>>, t: f64, e: Event| {
        seq += 1;
        heap.push(Reverse((nanos(t), seq, e)));
    };
    for (i, q) in s.queues.iter().enumerate() {
        let Arrival::Poisson { rate_per_s } = q.arrival;
        let first = Exp::new(rate_per_s).map_or(f64::INFINITY, |d| d.sample(&mut rng));
        if first < s.duration_s {
            push(&mut heap, first, Event::Arrival(i));
        }
    }
    // Call ids run 1, 2, 3…: call `id` is at `id - 1`.
    let mut calls: Vec<CallRecord> = Vec::new();
    let slot = |id: u64| usize::try_from(id.saturating_sub(1)).unwrap_or(usize::MAX);
    let mut next_call = 0u64;
    let mut busy = 0.0;
    let mut now;
    // The last arrival, give-up or completion: scheduler timers do not stretch the run.
    let mut last_activity = 0.0f64;
    let mut timer_armed: Option<u64> = None;
    while let Some(Reverse((t_ns, _, event))) = heap.pop() {
        now = t_ns as f64 / 1e9;
        match event {
            Event::Arrival(i) => {
                let q = &s.queues[i];
                let Arrival::Poisson { rate_per_s } = q.arrival;
                let gap = Exp::new(rate_per_s).map_or(f64::INFINITY, |d| d.sample(&mut rng));
                if now + gap < s.duration_s {
                    push(&mut heap, now + gap, Event::Arrival(i));
                }
                next_call += 1;
                let id = next_call;
                let handle = sample(&q.handle_time, &mut rng);
                calls.push(CallRecord {
                    queue: i,
                    arrived: now,
                    handle,
                    ..CallRecord::default()
                });
                if let Some(p) = &q.patience {
                    let patience = sample(p, &mut rng);
                    push(&mut heap, now + patience, Event::GiveUp(id));
                }
                let _ = acd.handle(
                    at(now),
                    Input::CallArrived {
                        call: CallId::new(id),
                        queue: ids[i].clone(),
                        priority: 0,
                    },
                );
            }
            Event::GiveUp(id) => {
                if calls
                    .get(slot(id))
                    .is_some_and(|c| c.answered.is_none() && c.left.is_none())
                {
                    let _ = acd.handle(
                        at(now),
                        Input::CallAbandoned {
                            call: CallId::new(id),
                        },
                    );
                    if let Some(c) = calls.get_mut(slot(id)) {
                        c.left = Some(now);
                    }
                }
            }
            Event::Complete(id) => {
                let _ = acd.handle(
                    at(now),
                    Input::CallEnded {
                        call: CallId::new(id),
                    },
                );
            }
            Event::AcdTimer => {
                timer_armed = None;
                acd.handle_timeout(at(now));
            }
        }
        if event != Event::AcdTimer {
            last_activity = now;
        }
        // Agents answer at once; answered calls complete after their handle time.
        while let Some(action) = acd.poll_action() {
            if let Action::Offer { call, agent } = action {
                let id = call.get();
                // Under ring all every free agent is offered the call; the first answer takes
                // it and the later ones are refused.
                let answered = acd.handle(
                    at(now),
                    Input::OfferAnswered {
                        call,
                        agent: agent.clone(),
                    },
                );
                if answered.is_ok()
                    && let Some(c) = calls.get_mut(slot(id))
                {
                    c.answered = Some(now);
                    c.agent = Some(agent);
                    busy += c.handle;
                    push(&mut heap, now + c.handle, Event::Complete(id));
                }
            }
        }
        if let Some(deadline) = acd.poll_timeout() {
            let t = deadline.saturating_duration_since(base).as_secs_f64();
            let ns = nanos(t);
            if timer_armed.is_none_or(|armed| armed > ns) {
                timer_armed = Some(ns);
                push(&mut heap, t.max(now), Event::AcdTimer);
            }
        }
    }
    let end = last_activity.max(s.duration_s);
    let mut reports: BTreeMap<String, QueueReport> = BTreeMap::new();
    let mut sums: Vec<(f64, f64, f64, u64)> = vec![(0.0, 0.0, 0.0, 0); s.queues.len()]; // wait answered, handle, all waits, within T
    for c in &calls {
        let wait = match (c.answered, c.left) {
            (Some(a), _) => a - c.arrived,
            (None, Some(l)) => l - c.arrived,
            (None, None) => end - c.arrived,
        };
        let short = c.answered.is_none()
            && c.left.is_some()
            && s.short_abandon_s.is_some_and(|sa| wait < sa);
        if short {
            continue;
        }
        let r = reports.entry(s.queues[c.queue].name.clone()).or_default();
        r.offered += 1;
        let sum = &mut sums[c.queue];
        sum.2 += wait;
        if c.answered.is_some() {
            r.answered += 1;
            sum.0 += wait;
            sum.1 += c.handle;
            if wait <= s.service_level_threshold_s {
                sum.3 += 1;
            }
        } else if c.left.is_some() {
            r.abandoned += 1;
        }
    }
    for (i, q) in s.queues.iter().enumerate() {
        let r = reports.entry(q.name.clone()).or_default();
        let (wait_answered, handle, all_waits, within) = sums[i];
        let ratio = |a: f64, b: u64| if b == 0 { 0.0 } else { a / b as f64 };
        r.service_level = ratio(within as f64, r.offered);
        r.asa_s = ratio(wait_answered, r.answered);
        r.aht_s = ratio(handle, r.answered);
        r.abandon_rate = ratio(r.abandoned as f64, r.offered);
        r.mean_wait_s = ratio(all_waits, r.offered);
    }
    let offered: u64 = reports.values().map(|r| r.offered).sum();
    let wall_time_s = wall.elapsed().as_secs_f64();
    Report {
        queues: reports,
        occupancy: if agent_count == 0 {
            0.0
        } else {
            busy / (agent_count as f64 * end)
        },
        wall_time_s,
        calls_per_wall_s: if wall_time_s > 0.0 {
            offered as f64 / wall_time_s
        } else {
            0.0
        },
    }
}
