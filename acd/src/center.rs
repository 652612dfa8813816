//! [`Center`]: the scheduler with its CMS projection fed from the events it logs, for drivers
//! that want live figures without keeping an event log of their own (the bindings, simulators,
//! small deployments). Still sans-IO: every call takes the current `Instant`, and wall-clock
//! times are derived from one (`Instant`, `Timestamp`) pair given at construction.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sambung_acd::center::Center;
//! use sambung_acd::cms::CmsConfig;
//! use sambung_acd::{AcdConfig, Input, QueueConfig, Strategy};
//! use sambung_core::ids::{AgentId, CallId, QueueId};
//!
//! let t0 = Instant::now();
//! let mut center = Center::new(AcdConfig::default(), CmsConfig::default(), t0, jiff::Timestamp::UNIX_EPOCH);
//! let queue = QueueId::new("pengaduan")?;
//! let agent = AgentId::new("1001")?;
//! center.add_queue(QueueConfig::new(queue.clone(), Strategy::LongestIdle));
//! center.handle(t0, Input::AgentLogin { agent: agent.clone(), queues: vec![queue.clone()] })?;
//! center.handle(t0, Input::AgentReady { agent: agent.clone() })?;
//! center.handle(t0, Input::CallArrived { call: CallId::new(1), queue: queue.clone(), priority: 0 })?;
//! center.handle(t0 + Duration::from_secs(3), Input::OfferAnswered { call: CallId::new(1), agent })?;
//! let stats = &center.cms().queue(&queue).expect("queue seen").totals;
//! assert_eq!((stats.offered, stats.answered), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use sambung_core::event::{Event, EventSeq, Projection};

use crate::cms::{Cms, CmsConfig};
use crate::{Acd, AcdConfig, AcdError, Action, QueueConfig};

/// A scheduler and its CMS projection, kept in step.
#[derive(Debug)]
pub struct Center {
    acd: Acd,
    cms: Cms,
    origin: Instant,
    origin_wall: Timestamp,
    next_seq: u64,
    /// Events kept for the driver to persist, when it asked for them.
    journal: Option<VecDeque<Event>>,
}

impl Center {
    /// A scheduler and an empty projection; `origin` is the instant at which the wall clock
    /// read `origin_wall`.
    pub fn new(acd: AcdConfig, cms: CmsConfig, origin: Instant, origin_wall: Timestamp) -> Self {
        Self {
            acd: Acd::new(acd),
            cms: Cms::new(cms),
            origin,
            origin_wall,
            next_seq: EventSeq::FIRST.get(),
            journal: None,
        }
    }

    /// Keeps every event from now on for [`poll_journal`](Self::poll_journal), so the driver
    /// can write them to a durable log; it must drain them, or they accumulate.
    pub fn keep_journal(&mut self) {
        self.journal.get_or_insert_with(VecDeque::new);
    }

    /// The next event to persist, oldest first (with [`keep_journal`](Self::keep_journal)).
    pub fn poll_journal(&mut self) -> Option<Event> {
        self.journal.as_mut()?.pop_front()
    }

    /// Applies an event from a durable log to the projection (not to the scheduler, whose
    /// calls and agents do not outlive a restart); later events continue its numbering.
    pub fn replay(&mut self, event: &Event) {
        self.cms.apply(event);
        self.next_seq = self.next_seq.max(event.seq.get() + 1);
    }

    /// Adds or replaces a queue.
    pub fn add_queue(&mut self, config: QueueConfig) {
        self.acd.add_queue(config);
    }

    /// Feeds an input to the scheduler, then the events it logged to the projection.
    pub fn handle(&mut self, now: Instant, input: crate::Input) -> Result<(), AcdError> {
        let result = self.acd.handle(now, input);
        self.drain_events();
        result
    }

    /// Runs the scheduler's timers due at `now`, then feeds the projection.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.acd.handle_timeout(now);
        self.drain_events();
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.acd.poll_timeout()
    }

    /// The next action for the driver.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.acd.poll_action()
    }

    /// The scheduler, for its queries (agent status, waiting callers, positions).
    pub fn acd(&self) -> &Acd {
        &self.acd
    }

    /// The CMS projection.
    pub fn cms(&self) -> &Cms {
        &self.cms
    }

    /// The wall-clock time of `at` (instants before the origin map before `origin_wall`).
    pub fn wall(&self, at: Instant) -> Timestamp {
        let offset = match at.checked_duration_since(self.origin) {
            Some(after) => SignedDuration::try_from(after).unwrap_or(SignedDuration::MAX),
            None => -SignedDuration::try_from(self.origin.duration_since(at))
                .unwrap_or(SignedDuration::MAX),
        };
        self.origin_wall
            .checked_add(offset)
            .unwrap_or(self.origin_wall)
    }

    fn drain_events(&mut self) {
        while let Some((at, kind)) = self.acd.poll_event() {
            let event = Event {
                seq: EventSeq::new(self.next_seq),
                at,
                wall: self.wall(at),
                kind,
            };
            self.next_seq += 1;
            self.cms.apply(&event);
            if let Some(journal) = self.journal.as_mut() {
                journal.push_back(event);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{Input, Strategy};
    use sambung_core::ids::{AgentId, CallId, QueueId};

    #[test]
    fn abandoned_and_answered_calls_reach_the_projection_with_wall_times() {
        let origin_wall: Timestamp = "2026-11-28T01:00:00Z".parse().unwrap();
        let t0 =
            sambung_core::clock::Clock::now(&sambung_core::clock::SimulatedClock::new(origin_wall));
        let mut c = Center::new(AcdConfig::default(), CmsConfig::default(), t0, origin_wall);
        let q = QueueId::new("q").unwrap();
        let a = AgentId::new("1001").unwrap();
        c.add_queue(QueueConfig::new(q.clone(), Strategy::Linear));
        c.handle(
            t0,
            Input::CallArrived {
                call: CallId::new(1),
                queue: q.clone(),
                priority: 0,
            },
        )
        .unwrap();
        c.handle(
            t0 + Duration::from_secs(5),
            Input::CallAbandoned {
                call: CallId::new(1),
            },
        )
        .unwrap();
        c.handle(
            t0,
            Input::AgentLogin {
                agent: a.clone(),
                queues: vec![q.clone()],
            },
        )
        .unwrap();
        // A wrong input is refused and changes nothing.
        assert!(
            c.handle(
                t0,
                Input::CallEnded {
                    call: CallId::new(9)
                }
            )
            .is_err()
        );
        let totals = &c.cms().queue(&q).unwrap().totals;
        assert_eq!((totals.offered, totals.abandoned), (1, 1));
        assert_eq!(c.cms().logged_in_at(&a), Some(origin_wall));
        assert_eq!(
            c.wall(t0 + Duration::from_secs(90)),
            "2026-11-28T01:01:30Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn hold_time_is_counted_apart_from_talk_and_hold_twice_is_one_hold() {
        let origin_wall: Timestamp = "2026-11-28T01:00:00Z".parse().unwrap();
        let t0 =
            sambung_core::clock::Clock::now(&sambung_core::clock::SimulatedClock::new(origin_wall));
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut c = Center::new(AcdConfig::default(), CmsConfig::default(), t0, origin_wall);
        let q = QueueId::new("q").unwrap();
        let a = AgentId::new("1001").unwrap();
        let call = CallId::new(1);
        c.add_queue(QueueConfig::new(q.clone(), Strategy::Linear));
        let login = Input::AgentLogin {
            agent: a.clone(),
            queues: vec![q.clone()],
        };
        c.handle(t0, login).unwrap();
        c.handle(t0, Input::AgentReady { agent: a.clone() })
            .unwrap();
        // Not connected yet: a hold is refused.
        assert!(c.handle(t0, Input::Hold { call, held: true }).is_err());
        let arrived = Input::CallArrived {
            call,
            queue: q.clone(),
            priority: 0,
        };
        c.handle(t0, arrived).unwrap();
        let answered = Input::OfferAnswered {
            call,
            agent: a.clone(),
        };
        c.handle(at(1), answered).unwrap();
        c.handle(at(11), Input::Hold { call, held: true }).unwrap();
        c.handle(at(12), Input::Hold { call, held: true }).unwrap();
        assert_eq!(
            c.acd().agent_status(&a),
            Some(&crate::scheduler::AgentStatus::OnHold(call))
        );
        // Not ready or logged out while a caller is on hold: refused.
        assert!(
            c.handle(at(13), Input::AgentLogout { agent: a.clone() })
                .is_err()
        );
        c.handle(at(41), Input::Hold { call, held: false }).unwrap();
        c.handle(at(46), Input::CallEnded { call }).unwrap();
        let times = c.cms().agent(&a, at(46)).unwrap();
        assert_eq!(times.talk, Duration::from_secs(15));
        assert_eq!(times.hold, Duration::from_secs(30));
        assert_eq!(times.calls, 1);
    }

    #[test]
    fn a_journal_replayed_into_a_new_center_gives_the_same_figures() {
        let origin_wall: Timestamp = "2026-11-28T01:00:00Z".parse().unwrap();
        let t0 =
            sambung_core::clock::Clock::now(&sambung_core::clock::SimulatedClock::new(origin_wall));
        let q = QueueId::new("q").unwrap();
        let mut live = Center::new(AcdConfig::default(), CmsConfig::default(), t0, origin_wall);
        live.keep_journal();
        live.add_queue(QueueConfig::new(q.clone(), Strategy::Linear));
        for n in 1..=3 {
            let at = t0 + Duration::from_secs(n);
            live.handle(
                at,
                Input::CallArrived {
                    call: CallId::new(n),
                    queue: q.clone(),
                    priority: 0,
                },
            )
            .unwrap();
            live.handle(
                at + Duration::from_secs(9),
                Input::CallAbandoned {
                    call: CallId::new(n),
                },
            )
            .unwrap();
        }
        let journal: Vec<Event> = std::iter::from_fn(|| live.poll_journal()).collect();
        assert_eq!(journal.len(), 6);
        assert!(live.poll_journal().is_none());
        let mut restarted =
            Center::new(AcdConfig::default(), CmsConfig::default(), t0, origin_wall);
        for e in &journal {
            restarted.replay(e);
        }
        assert_eq!(restarted.cms().queue(&q), live.cms().queue(&q));
        // Numbering goes on after the replayed events.
        restarted.keep_journal();
        restarted.add_queue(QueueConfig::new(q.clone(), Strategy::Linear));
        restarted
            .handle(
                t0,
                Input::CallArrived {
                    call: CallId::new(9),
                    queue: q,
                    priority: 0,
                },
            )
            .unwrap();
        assert_eq!(restarted.poll_journal().unwrap().seq, EventSeq::new(7));
    }
}
