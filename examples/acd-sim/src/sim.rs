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
}

/// A scenario's distribution, with its parameters worked out once (not per draw).
enum Sampler {
    Exponential(Exp<f64>),
    Lognormal(LogNormal<f64>),
    Fixed(f64),
}

impl Sampler {
    fn new(dist: &Dist) -> Self {
        match *dist {
            Dist::Exponential { mean_s } => {
                Exp::new(1.0 / mean_s).map_or(Self::Fixed(mean_s), Self::Exponential)
            }
            Dist::Fixed { mean_s } => Self::Fixed(mean_s),
            Dist::Lognormal { mean_s, sd_s } => {
                let sigma2 = (1.0 + (sd_s / mean_s).powi(2)).ln();
                let mu = mean_s.ln() - sigma2 / 2.0;
                LogNormal::new(mu, sigma2.sqrt()).map_or(Self::Fixed(mean_s), Self::Lognormal)
            }
        }
    }

    fn sample(&self, rng: &mut SmallRng) -> f64 {
        match self {
            Self::Exponential(d) => d.sample(rng),
            Self::Lognormal(d) => d.sample(rng),
            Self::Fixed(v) => *v,
        }
    }
}

/// One queue's draws: the gap to the next arrival, the handle time and the patience.
struct QueueDraws {
    gap: Option<Exp<f64>>,
    handle: Sampler,
    patience: Option<Sampler>,
}

/// Seconds as whole nanoseconds of simulated time (non-negative and finite by the scenario's
/// checks; saturating otherwise). The simulation's clock counts nanoseconds, so the heap
/// compares integers and every instant handed to the scheduler is exact.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to the u64 range first; NaN becomes 0"
)]
fn nanos(s: f64) -> u64 {
    (s * 1e9).clamp(0.0, u64::MAX as f64) as u64
}

/// Nanoseconds of simulated time as seconds.
#[expect(
    clippy::cast_precision_loss,
    reason = "simulated runs are far shorter than 2^53 ns (104 days) at full precision, and \
              reports need no more"
)]
fn secs(ns: u64) -> f64 {
    ns as f64 / 1e9
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
    let at = |ns: u64| base + Duration::from_nanos(ns);
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
    let draws: Vec<QueueDraws> = s
        .queues
        .iter()
        .map(|q| {
            let Arrival::Poisson { rate_per_s } = q.arrival;
            QueueDraws {
                gap: Exp::new(rate_per_s).ok(),
                handle: Sampler::new(&q.handle_time),
                patience: q.patience.as_ref().map(Sampler::new),
            }
        })
        .collect();
    let duration = nanos(s.duration_s);
    // Give-ups, completions and scheduler timers, by time and then the order they were set.
    // Each queue's next arrival waits in a heap of its own (one entry per queue), which keeps
    // the main heap an entry per call smaller.
    let mut heap: BinaryHeap<Reverse<(u64, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<Reverse<(u64, u64, Event)>>, t: u64, e: Event| {
        seq += 1;
        heap.push(Reverse((t, seq, e)));
    };
    // By time, then queue.
    let mut arrivals: BinaryHeap<Reverse<(u64, usize)>> = draws
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let first = nanos(d.gap.as_ref()?.sample(&mut rng));
            (first < duration).then_some(Reverse((first, i)))
        })
        .collect();
    // Call ids run 1, 2, 3…: call `id` is at `id - 1`.
    let mut calls: Vec<CallRecord> = Vec::new();
    let slot = |id: u64| usize::try_from(id.saturating_sub(1)).unwrap_or(usize::MAX);
    let mut next_call = 0u64;
    let mut busy = 0.0;
    // The last arrival, give-up or completion: scheduler timers do not stretch the run.
    let mut last_activity = 0u64;
    let mut timer_armed: Option<u64> = None;
    loop {
        // The earliest arrival, unless the main heap holds something earlier.
        let (now, event) = match (arrivals.peek(), heap.peek()) {
            (Some(&Reverse((t, i))), top)
                if top.is_none_or(|Reverse((first, _, _))| t <= *first) =>
            {
                arrivals.pop();
                (t, Event::Arrival(i))
            }
            _ => match heap.pop() {
                Some(Reverse((t, _, event))) => (t, event),
                None => break,
            },
        };
        let now_s = secs(now);
        // A caller who has just arrived, and when they would give up if still waiting.
        let mut arrived: Option<(u64, u64)> = None;
        match event {
            Event::Arrival(i) => {
                let (Some(d), Some(queue)) = (draws.get(i), ids.get(i)) else {
                    continue;
                };
                if let Some(gap) = &d.gap {
                    let next = now.saturating_add(nanos(gap.sample(&mut rng)));
                    if next < duration {
                        arrivals.push(Reverse((next, i)));
                    }
                }
                next_call += 1;
                let id = next_call;
                let handle = d.handle.sample(&mut rng);
                calls.push(CallRecord {
                    queue: i,
                    arrived: now_s,
                    handle,
                    ..CallRecord::default()
                });
                // Drawn now whatever happens, so the draws do not depend on the routing.
                if let Some(p) = &d.patience {
                    arrived = Some((id, now.saturating_add(nanos(p.sample(&mut rng)))));
                }
                let _ = acd.handle(
                    at(now),
                    Input::CallArrived {
                        call: CallId::new(id),
                        queue: queue.clone(),
                        priority: 0,
                    },
                );
            }
            Event::GiveUp(id) => {
                if let Some(c) = calls.get_mut(slot(id))
                    && c.answered.is_none()
                    && c.left.is_none()
                {
                    c.left = Some(now_s);
                    let _ = acd.handle(
                        at(now),
                        Input::CallAbandoned {
                            call: CallId::new(id),
                        },
                    );
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
                let answered = acd.handle(at(now), Input::OfferAnswered { call, agent });
                if answered.is_ok()
                    && let Some(c) = calls.get_mut(slot(id))
                {
                    c.answered = Some(now_s);
                    busy += c.handle;
                    push(
                        &mut heap,
                        now.saturating_add(nanos(c.handle)),
                        Event::Complete(id),
                    );
                }
            }
        }
        // Only a caller still waiting can give up: one answered at once needs no event.
        if let Some((id, give_up)) = arrived
            && calls.get(slot(id)).is_some_and(|c| c.answered.is_none())
        {
            push(&mut heap, give_up, Event::GiveUp(id));
        }
        if let Some(deadline) = acd.poll_timeout() {
            let ns = u64::try_from(deadline.saturating_duration_since(base).as_nanos())
                .unwrap_or(u64::MAX);
            if timer_armed.is_none_or(|armed| armed > ns) {
                timer_armed = Some(ns);
                push(&mut heap, ns.max(now), Event::AcdTimer);
            }
        }
    }
    let end = secs(last_activity).max(s.duration_s);
    // By queue index; keyed by name at the end (names are unique: the scenario checks).
    let mut reports: Vec<QueueReport> = vec![QueueReport::default(); s.queues.len()];
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
        let (Some(r), Some(sum)) = (reports.get_mut(c.queue), sums.get_mut(c.queue)) else {
            continue;
        };
        r.offered += 1;
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
    for (r, &(wait_answered, handle, all_waits, within)) in reports.iter_mut().zip(&sums) {
        let ratio = |a: f64, b: u64| if b == 0 { 0.0 } else { a / b as f64 };
        r.service_level = ratio(within as f64, r.offered);
        r.asa_s = ratio(wait_answered, r.answered);
        r.aht_s = ratio(handle, r.answered);
        r.abandon_rate = ratio(r.abandoned as f64, r.offered);
        r.mean_wait_s = ratio(all_waits, r.offered);
    }
    let offered: u64 = reports.iter().map(|r| r.offered).sum();
    let reports: BTreeMap<String, QueueReport> = s
        .queues
        .iter()
        .map(|q| q.name.clone())
        .zip(reports)
        .collect();
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
