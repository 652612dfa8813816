//! CMS metrics as a projection of the event log (`sambung_core::event`): a real-time snapshot
//! kept current as events arrive (each query O(1) per queue or agent), and interval rollups
//! (15 minutes by default) keyed by wall-clock time, which can be rebuilt from the log at any
//! time because they hold nothing the log does not.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use rustc_hash::FxHashMap;
use sambung_core::event::{AgentState, Event, EventKind, Projection, QueueExit};
use sambung_core::ids::{AgentId, CallId, QueueId};
use serde::Serialize;

/// Settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CmsConfig {
    /// Rollup interval (15 minutes by default; at least one second).
    pub interval: Duration,
    /// Calls answered within this count towards the service level.
    pub service_level_threshold: Duration,
    /// Callers who give up sooner are counted as short abandons, not as offered calls.
    pub short_abandon: Duration,
}

impl Default for CmsConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(15 * 60),
            service_level_threshold: Duration::from_secs(20),
            short_abandon: Duration::ZERO,
        }
    }
}

/// Counters of one queue, for an interval or since the start.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueStats {
    /// Callers who joined (short abandons excluded).
    pub offered: u64,
    /// Answered by an agent.
    pub answered: u64,
    /// Answered within the service-level threshold.
    pub answered_within_threshold: u64,
    /// Hung up while waiting (short abandons excluded).
    pub abandoned: u64,
    /// Hung up sooner than the short-abandon time.
    pub short_abandoned: u64,
    /// Moved to another queue.
    pub overflowed: u64,
    /// Left when the maximum wait ran out.
    pub timed_out: u64,
    /// Turned away (full, no agents, caller's choice).
    pub rejected: u64,
    /// Total wait of answered calls.
    pub answered_wait: Duration,
    /// Total wait of abandoned calls.
    pub abandoned_wait: Duration,
}

/// A queue's counters with the ratios worked out, as reports and APIs show them (durations in
/// seconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueSummary {
    /// Callers who joined (short abandons excluded).
    pub offered: u64,
    /// Answered by an agent.
    pub answered: u64,
    /// Answered within the service-level threshold.
    pub answered_within_threshold: u64,
    /// Hung up while waiting.
    pub abandoned: u64,
    /// Hung up sooner than the short-abandon time.
    pub short_abandoned: u64,
    /// Moved to another queue.
    pub overflowed: u64,
    /// Left when the maximum wait ran out.
    pub timed_out: u64,
    /// Turned away.
    pub rejected: u64,
    /// Answered within the threshold ÷ offered.
    pub service_level: f64,
    /// Abandoned ÷ offered.
    pub abandon_rate: f64,
    /// Mean wait of answered calls, seconds.
    pub asa_s: f64,
}

impl QueueStats {
    /// The counters with the ratios worked out.
    pub fn summary(&self) -> QueueSummary {
        QueueSummary {
            offered: self.offered,
            answered: self.answered,
            answered_within_threshold: self.answered_within_threshold,
            abandoned: self.abandoned,
            short_abandoned: self.short_abandoned,
            overflowed: self.overflowed,
            timed_out: self.timed_out,
            rejected: self.rejected,
            service_level: self.service_level(),
            abandon_rate: self.abandon_rate(),
            asa_s: self.asa().as_secs_f64(),
        }
    }

    /// Answered within the threshold ÷ offered.
    pub fn service_level(&self) -> f64 {
        ratio(self.answered_within_threshold, self.offered)
    }
    /// Abandoned ÷ offered.
    pub fn abandon_rate(&self) -> f64 {
        ratio(self.abandoned, self.offered)
    }
    /// Mean wait of answered calls.
    pub fn asa(&self) -> Duration {
        mean(self.answered_wait, self.answered)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn mean(total: Duration, n: u64) -> Duration {
    total
        .checked_div(u32::try_from(n).unwrap_or(u32::MAX))
        .unwrap_or_default()
}

/// Where an agent's time went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgentTimes {
    /// Logged in.
    pub staffed: Duration,
    /// Available.
    pub available: Duration,
    /// Ringing.
    pub ringing: Duration,
    /// On ACD calls, talking (hold not included).
    pub talk: Duration,
    /// On ACD calls with the caller on hold.
    pub hold: Duration,
    /// On direct calls.
    pub direct: Duration,
    /// After-call work.
    pub after_call_work: Duration,
    /// Not ready, by reason code.
    pub not_ready: BTreeMap<String, Duration>,
    /// ACD calls answered.
    pub calls: u64,
}

/// The live view of a queue.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueNow {
    /// Since the start of the log.
    pub totals: QueueStats,
    /// Callers waiting now.
    pub waiting: u64,
}

#[derive(Debug, Clone)]
struct Waiting {
    since: Instant,
}

#[derive(Debug, Clone)]
struct AgentNow {
    state: Option<AgentState>,
    since: Instant,
    since_wall: Timestamp,
    logged_in: Option<Timestamp>,
    totals: AgentTimes,
}

/// An agent as a real-time display shows them: see [`Cms::agents_now`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentLive<'a> {
    /// The agent.
    pub agent: &'a AgentId,
    /// The state now; `None` when logged out.
    pub state: Option<&'a AgentState>,
    /// Wall-clock time the state began.
    pub since: Timestamp,
    /// When the agent logged in, if logged in.
    pub logged_in: Option<Timestamp>,
    /// ACD calls answered since the start of the log.
    pub calls: u64,
}

/// The CMS projection.
#[derive(Debug, Clone)]
pub struct Cms {
    config: CmsConfig,
    // Hash maps with a fast hasher: one to three of these are looked up for every event, and
    // ordered maps spent most of the ingest comparing id strings. The views that list them
    // in order sort when asked.
    queues: FxHashMap<QueueId, QueueNow>,
    agents: FxHashMap<AgentId, AgentNow>,
    /// Callers waiting now (a fast hasher: looked up for every join and leave; nothing
    /// depends on its order).
    waiting: FxHashMap<CallId, Waiting>,
    /// Per interval start (Unix seconds), per queue.
    queue_intervals: FxHashMap<(i64, QueueId), QueueStats>,
    /// Per interval start, per agent.
    agent_intervals: FxHashMap<(i64, AgentId), AgentTimes>,
    /// Events for calls or agents the projection never saw start.
    pub orphans: u64,
}

impl Cms {
    /// An empty projection.
    pub fn new(config: CmsConfig) -> Self {
        let interval = config.interval.max(Duration::from_secs(1));
        Self {
            config: CmsConfig { interval, ..config },
            queues: FxHashMap::default(),
            agents: FxHashMap::default(),
            waiting: FxHashMap::default(),
            queue_intervals: FxHashMap::default(),
            agent_intervals: FxHashMap::default(),
            orphans: 0,
        }
    }

    fn slot(&self, wall: Timestamp) -> i64 {
        let len = i64::try_from(self.config.interval.as_secs())
            .unwrap_or(900)
            .max(1);
        wall.as_second().div_euclid(len) * len
    }

    /// The live view of a queue.
    pub fn queue(&self, queue: &QueueId) -> Option<&QueueNow> {
        self.queues.get(queue)
    }

    /// An agent's times since the start of the log, including the state they are in up to
    /// `now`.
    pub fn agent(&self, agent: &AgentId, now: Instant) -> Option<AgentTimes> {
        let a = self.agents.get(agent)?;
        let mut totals = a.totals.clone();
        if let Some(state) = &a.state {
            add_state(&mut totals, state, now.saturating_duration_since(a.since));
        }
        Some(totals)
    }

    /// Every agent the log has seen, by id, with the state they are in now (`None` when
    /// logged out) and since when, for real-time displays (CMS-3).
    pub fn agents_now(&self) -> impl Iterator<Item = AgentLive<'_>> + '_ {
        let mut agents: Vec<_> = self.agents.iter().collect();
        agents.sort_unstable_by_key(|(id, _)| *id);
        agents.into_iter().map(|(id, a)| AgentLive {
            agent: id,
            state: a.state.as_ref(),
            since: a.since_wall,
            logged_in: a.logged_in,
            calls: a.totals.calls,
        })
    }

    /// When an agent logged in, if they are logged in (CMS-1, CRM-4).
    pub fn logged_in_at(&self, agent: &AgentId) -> Option<Timestamp> {
        self.agents.get(agent).and_then(|a| a.logged_in)
    }

    /// Interval rollups of a queue with start times (Unix seconds) in `[from, to)`, in order.
    pub fn queue_intervals(&self, queue: &QueueId, from: i64, to: i64) -> Vec<(i64, QueueStats)> {
        let mut found: Vec<(i64, QueueStats)> = self
            .queue_intervals
            .iter()
            .filter(|((start, q), _)| q == queue && (from..to).contains(start))
            .map(|((start, _), s)| (*start, s.clone()))
            .collect();
        found.sort_unstable_by_key(|(start, _)| *start);
        found
    }

    /// Every queue rollup, ordered by interval start (Unix seconds) and then queue.
    pub fn queue_rollups(&self) -> impl Iterator<Item = (i64, &QueueId, &QueueStats)> + '_ {
        let mut all: Vec<_> = self
            .queue_intervals
            .iter()
            .map(|((start, q), s)| (*start, q, s))
            .collect();
        all.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        all.into_iter()
    }

    /// Every agent rollup, ordered by interval start (Unix seconds) and then agent.
    pub fn agent_rollups(&self) -> impl Iterator<Item = (i64, &AgentId, &AgentTimes)> + '_ {
        let mut all: Vec<_> = self
            .agent_intervals
            .iter()
            .map(|((start, a), t)| (*start, a, t))
            .collect();
        all.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        all.into_iter()
    }

    /// The settings this projection counts with.
    pub fn config(&self) -> CmsConfig {
        self.config
    }

    /// Interval rollups of an agent with start times in `[from, to)` (closed states only), in
    /// order.
    pub fn agent_intervals(&self, agent: &AgentId, from: i64, to: i64) -> Vec<(i64, AgentTimes)> {
        let mut found: Vec<(i64, AgentTimes)> = self
            .agent_intervals
            .iter()
            .filter(|((start, a), _)| a == agent && (from..to).contains(start))
            .map(|((start, _), t)| (*start, t.clone()))
            .collect();
        found.sort_unstable_by_key(|(start, _)| *start);
        found
    }

    fn count(&mut self, wall: Timestamp, queue: &QueueId, f: impl Fn(&mut QueueStats)) {
        let slot = self.slot(wall);
        f(&mut self.queues.entry(queue.clone()).or_default().totals);
        f(self
            .queue_intervals
            .entry((slot, queue.clone()))
            .or_default());
    }

    /// Closes the agent's current state at (`at`, `wall`), splitting it over the intervals it
    /// spans; returns the agent's record (`None` for an agent never logged in).
    fn close_state(
        &mut self,
        agent: &AgentId,
        at: Instant,
        wall: Timestamp,
    ) -> Option<&mut AgentNow> {
        let interval = self.config.interval;
        let a = self.agents.get_mut(agent)?;
        let AgentNow {
            state: Some(state),
            totals,
            ..
        } = a
        else {
            return Some(a);
        };
        let total = at.saturating_duration_since(a.since);
        add_state(totals, state, total);
        // Split by wall-clock interval boundaries.
        let mut start = a.since_wall;
        let end = wall;
        let mut remaining = total;
        let len = i64::try_from(interval.as_secs()).unwrap_or(900).max(1);
        while remaining > Duration::ZERO {
            let slot = start.as_second().div_euclid(len) * len;
            let boundary = Timestamp::from_second(slot + len).unwrap_or(end);
            let piece = if boundary < end {
                Duration::try_from(boundary.duration_since(start))
                    .unwrap_or_default()
                    .min(remaining)
            } else {
                remaining
            };
            add_state(
                self.agent_intervals
                    .entry((slot, agent.clone()))
                    .or_default(),
                state,
                piece,
            );
            remaining = remaining.saturating_sub(piece);
            if piece.is_zero() {
                break;
            }
            start = boundary;
        }
        a.since = at;
        a.since_wall = wall;
        Some(a)
    }
}

fn add_state(t: &mut AgentTimes, state: &AgentState, d: Duration) {
    t.staffed += d;
    match state {
        AgentState::Available => t.available += d,
        AgentState::Ringing => t.ringing += d,
        AgentState::OnAcdCall => t.talk += d,
        AgentState::OnHold => t.hold += d,
        AgentState::OnDirectCall => t.direct += d,
        AgentState::AfterCallWork => t.after_call_work += d,
        AgentState::NotReady { reason } => *t.not_ready.entry(reason.to_string()).or_default() += d,
        _ => {}
    }
}

impl Projection for Cms {
    fn apply(&mut self, event: &Event) {
        let (at, wall) = (event.at, event.wall);
        match &event.kind {
            EventKind::QueueJoined { call, queue, .. } => {
                self.waiting.insert(*call, Waiting { since: at });
                self.queues.entry(queue.clone()).or_default().waiting += 1;
            }
            EventKind::QueueAnswered { call, queue, agent } => {
                let Some(w) = self.waiting.remove(call) else {
                    self.orphans += 1;
                    return;
                };
                let wait = at.saturating_duration_since(w.since);
                let within = wait <= self.config.service_level_threshold;
                if let Some(q) = self.queues.get_mut(queue) {
                    q.waiting = q.waiting.saturating_sub(1);
                }
                self.count(wall, queue, |s| {
                    s.offered += 1;
                    s.answered += 1;
                    s.answered_within_threshold += u64::from(within);
                    s.answered_wait += wait;
                });
                if let Some(a) = self.agents.get_mut(agent) {
                    a.totals.calls += 1;
                }
                let slot = self.slot(wall);
                self.agent_intervals
                    .entry((slot, agent.clone()))
                    .or_default()
                    .calls += 1;
            }
            EventKind::QueueLeft { call, queue, exit } => {
                let Some(w) = self.waiting.remove(call) else {
                    self.orphans += 1;
                    return;
                };
                let wait = at.saturating_duration_since(w.since);
                if let Some(q) = self.queues.get_mut(queue) {
                    q.waiting = q.waiting.saturating_sub(1);
                }
                let short = *exit == QueueExit::Abandoned && wait < self.config.short_abandon;
                let exit = *exit;
                self.count(wall, queue, |s| {
                    if short {
                        s.short_abandoned += 1;
                        return;
                    }
                    s.offered += 1;
                    match exit {
                        QueueExit::Abandoned => {
                            s.abandoned += 1;
                            s.abandoned_wait += wait;
                        }
                        QueueExit::Overflow => s.overflowed += 1,
                        QueueExit::Timeout => s.timed_out += 1,
                        _ => s.rejected += 1,
                    }
                });
            }
            EventKind::AgentLoggedIn { agent, .. } => {
                self.agents.insert(
                    agent.clone(),
                    AgentNow {
                        state: None,
                        since: at,
                        since_wall: wall,
                        logged_in: Some(wall),
                        totals: AgentTimes::default(),
                    },
                );
            }
            EventKind::AgentStateChanged { agent, state } => {
                match self.close_state(agent, at, wall) {
                    Some(a) => a.state = Some(state.clone()),
                    None => self.orphans += 1,
                }
            }
            EventKind::AgentLoggedOut { agent } => {
                if let Some(a) = self.close_state(agent, at, wall) {
                    a.state = None;
                    a.logged_in = None;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_slots_are_aligned() {
        let cms = Cms::new(CmsConfig::default());
        let t: Timestamp = "2026-11-30T01:14:59Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(cms.slot(t) % 900, 0);
        assert_eq!(t.as_second() - cms.slot(t), 14 * 60 + 59);
    }
}
