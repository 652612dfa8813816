//! CMS metrics from the scheduler's events: counts, agent times, interval splits, replay.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::time::Duration;

use jiff::Timestamp;
use sambung_acd::cms::{Cms, CmsConfig};
use sambung_acd::{Acd, AcdConfig, Action, Input, QueueConfig, Strategy};
use sambung_core::clock::{Clock, SimulatedClock};
use sambung_core::event::{AgentState, EventLog, EventSeq, MemoryEventLog, Projection};
use sambung_core::ids::{AgentId, CallId, QueueId, ReasonCode};

struct World {
    clock: SimulatedClock,
    acd: Acd,
    log: MemoryEventLog,
    cms: Cms,
}

impl World {
    fn new() -> Self {
        // Monday 30 November 2026, 08:00 WIB.
        let clock = SimulatedClock::new("2026-11-30T01:00:00Z".parse().unwrap());
        let mut acd = Acd::new(AcdConfig::default());
        let mut config =
            QueueConfig::new(QueueId::new("pengaduan").unwrap(), Strategy::LongestIdle);
        config.wrap_up = Duration::from_secs(30);
        acd.add_queue(config);
        let cms = Cms::new(CmsConfig {
            short_abandon: Duration::from_secs(5),
            ..CmsConfig::default()
        });
        Self {
            clock,
            acd,
            log: MemoryEventLog::new(),
            cms,
        }
    }

    fn input(&mut self, input: Input) -> Vec<Action> {
        let _ = self.acd.handle(self.clock.now(), input);
        self.drain()
    }

    /// Lets `secs` pass, waking the scheduler at each of its deadlines on the way, as a
    /// driver does.
    fn advance(&mut self, secs: u64) -> Vec<Action> {
        let end = self.clock.now() + Duration::from_secs(secs);
        let mut actions = Vec::new();
        while let Some(due) = self.acd.poll_timeout().filter(|&due| due <= end) {
            self.clock
                .advance(due.saturating_duration_since(self.clock.now()));
            self.acd.handle_timeout(self.clock.now());
            actions.extend(self.drain());
        }
        self.clock
            .advance(end.saturating_duration_since(self.clock.now()));
        self.acd.handle_timeout(self.clock.now());
        actions.extend(self.drain());
        actions
    }

    /// The test agent logs in to the test queue.
    fn login(&mut self) {
        self.input(Input::AgentLogin {
            agent: agent(),
            queues: vec![queue()],
        });
    }

    /// A caller joins the test queue.
    fn arrive(&mut self, call: u64) -> Vec<Action> {
        self.input(Input::CallArrived {
            call: CallId::new(call),
            queue: queue(),
            priority: 0,
        })
    }

    /// The test agent answers the offer of `call`.
    fn answer(&mut self, call: u64) {
        self.input(Input::OfferAnswered {
            call: CallId::new(call),
            agent: agent(),
        });
    }

    /// The call ends.
    fn end(&mut self, call: u64) {
        self.input(Input::CallEnded {
            call: CallId::new(call),
        });
    }

    /// Moves events from the scheduler into the log and the live projection.
    fn drain(&mut self) -> Vec<Action> {
        while let Some((at, kind)) = self.acd.poll_event() {
            // The wall time of an event is the clock's, shifted back by how long ago it happened.
            let ago = self.clock.now().saturating_duration_since(at);
            let wall = self.clock.wall() - jiff::SignedDuration::try_from(ago).unwrap();
            let seq = self.log.append(at, wall, kind).unwrap();
            let event = self.log.since(seq).next().unwrap().clone();
            self.cms.apply(&event);
        }
        std::iter::from_fn(|| self.acd.poll_action()).collect()
    }
}

fn agent() -> AgentId {
    AgentId::new("1001").unwrap()
}

fn queue() -> QueueId {
    QueueId::new("pengaduan").unwrap()
}

#[test]
fn a_morning_in_the_queue() {
    let mut w = World::new();
    w.login();
    w.advance(60); // logged in, not ready, for a minute
    w.input(Input::AgentReady { agent: agent() });
    // Call 1: answered after 10 s of ringing, 120 s of talk.
    let offers = w.arrive(1);
    assert!(matches!(offers[0], Action::Offer { .. }));
    w.advance(10);
    w.answer(1);
    w.advance(120);
    w.end(1);
    // Call 2 arrives during the 30 s wrap-up, waits it out, and is answered the moment it rings.
    w.arrive(2);
    w.advance(30);
    w.answer(2);
    w.advance(60);
    w.end(2);
    w.input(Input::WrapUpDone { agent: agent() });
    w.input(Input::AgentNotReady {
        agent: agent(),
        reason: ReasonCode::new("break").unwrap(),
    });
    // Calls 3 and 4 give up: one after 3 s (short), one after 40 s.
    w.arrive(3);
    w.advance(3);
    w.input(Input::CallAbandoned {
        call: CallId::new(3),
    });
    w.arrive(4);
    w.advance(40);
    w.input(Input::CallAbandoned {
        call: CallId::new(4),
    });
    w.advance(900);

    let q = w.cms.queue(&queue()).unwrap();
    let t = &q.totals;
    assert_eq!(
        (
            t.offered,
            t.answered,
            t.abandoned,
            t.short_abandoned,
            q.waiting
        ),
        (3, 2, 1, 1, 0)
    );
    // Call 1 waited 10 s (within 20 s), call 2 waited 30 s.
    assert_eq!(t.answered_within_threshold, 1);
    assert_eq!(t.asa(), Duration::from_secs(20));
    assert!((t.service_level() - 1.0 / 3.0).abs() < 1e-9);
    assert!((t.abandon_rate() - 1.0 / 3.0).abs() < 1e-9);

    let times = w.cms.agent(&agent(), w.clock.now()).unwrap();
    assert_eq!(times.calls, 2);
    assert_eq!(times.talk, Duration::from_secs(180));
    assert_eq!(
        times.ringing,
        Duration::from_secs(10),
        "call 2 was answered the moment it rang"
    );
    assert_eq!(
        times.after_call_work,
        Duration::from_secs(30),
        "the 30 s wrap-up after call 1"
    );
    assert_eq!(times.not_ready["logged-in"], Duration::from_secs(60));
    assert_eq!(times.not_ready["break"], Duration::from_secs(943));
    let parts = times.available
        + times.ringing
        + times.talk
        + times.direct
        + times.after_call_work
        + times.not_ready.values().sum::<Duration>();
    assert_eq!(
        parts, times.staffed,
        "an agent's state times add up to staffed time"
    );
    assert_eq!(
        times.staffed,
        Duration::from_secs(60 + 10 + 120 + 30 + 60 + 3 + 40 + 900)
    );
    assert!(w.cms.logged_in_at(&agent()).is_some());
    let live: Vec<_> = w.cms.agents_now().collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].agent, &agent());
    assert!(
        matches!(live[0].state, Some(AgentState::NotReady { reason }) if reason.as_str() == "break"),
        "the live view shows the state the agent is in: {:?}",
        live[0].state
    );
    assert!(
        live[0].since > live[0].logged_in.unwrap(),
        "the state began after login"
    );
    assert_eq!(w.cms.orphans, 0);
}

#[test]
fn intervals_split_states_at_their_boundaries_and_replay_matches() {
    let mut w = World::new();
    w.login();
    w.input(Input::AgentReady { agent: agent() });
    // Available from 08:00 to 08:20; the 15-minute intervals cut it 15 + 5.
    w.advance(20 * 60);
    w.input(Input::AgentNotReady {
        agent: agent(),
        reason: ReasonCode::new("meeting").unwrap(),
    });
    let from = "2026-11-30T01:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .as_second();
    let intervals = w.cms.agent_intervals(&agent(), from, from + 3600);
    let available: Vec<u64> = intervals
        .iter()
        .map(|(_, t)| t.available.as_secs())
        .collect();
    assert_eq!(available, [15 * 60, 5 * 60]);

    // A projection rebuilt from the log equals the live one.
    let mut replayed = Cms::new(CmsConfig {
        short_abandon: Duration::from_secs(5),
        ..CmsConfig::default()
    });
    replayed.replay(&w.log, EventSeq::FIRST);
    assert_eq!(
        replayed.agent_intervals(&agent(), from, from + 3600),
        intervals
    );
    assert_eq!(
        replayed.agent(&agent(), w.clock.now()),
        w.cms.agent(&agent(), w.clock.now())
    );
}

#[test]
fn queue_log_lines_like_asterisk() {
    use sambung_acd::queue_log::QueueLog;
    use sambung_core::event::{EndCause, EventKind};
    let mut w = World::new();
    w.login();
    w.input(Input::AgentReady { agent: agent() });
    w.arrive(7);
    w.advance(4);
    w.answer(7);
    w.advance(95);
    w.end(7);
    // The call's end comes from the PBX, not the scheduler.
    w.log
        .append(
            w.clock.now(),
            w.clock.wall(),
            EventKind::CallEnded {
                call: CallId::new(7),
                cause: EndCause::CallerHangup,
            },
        )
        .unwrap();
    let mut ql = QueueLog::new();
    ql.replay(&w.log, EventSeq::FIRST);
    let lines = ql.take_lines();
    let kinds: Vec<&str> = lines.iter().map(|l| l.split('|').nth(4).unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "AGENTLOGIN",
            "PAUSE",
            "UNPAUSE",
            "ENTERQUEUE",
            "CONNECT",
            "COMPLETECALLER"
        ]
    );
    let connect: Vec<&str> = lines[4].split('|').collect();
    assert_eq!(
        &connect[1..5],
        ["call-7", "pengaduan", "Agent/1001", "CONNECT"]
    );
    assert_eq!(connect[5], "4", "hold time");
    let complete: Vec<&str> = lines[5].split('|').collect();
    assert_eq!(
        &complete[5..],
        ["4", "95", "1"],
        "hold, talk, original position"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.split('|').next().unwrap().parse::<i64>().is_ok()),
        "epoch seconds first"
    );
}

#[test]
fn interval_reports_export_as_csv() {
    let mut w = World::new();
    w.login();
    w.input(Input::AgentReady { agent: agent() });
    w.arrive(1);
    w.advance(8);
    w.answer(1);
    w.advance(100);
    w.end(1);
    // Into the next 15-minute interval, where one caller gives up after 30 s.
    w.advance(900);
    w.input(Input::WrapUpDone { agent: agent() });
    w.input(Input::AgentNotReady {
        agent: agent(),
        reason: ReasonCode::new("break").unwrap(),
    });
    w.arrive(2);
    w.advance(30);
    w.input(Input::CallAbandoned {
        call: CallId::new(2),
    });

    let from = "2026-11-30T00:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .as_second();
    let to = from + 86_400;
    let mut out = Vec::new();
    sambung_acd::export::queue_intervals_csv(&w.cms, from, to, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        format!(
            "{}\n{}\n{}\n",
            sambung_acd::export::QUEUE_COLUMNS,
            "2026-11-30T01:00:00Z,pengaduan,1,1,1,0,0,0,0,0,1.0000,0.0000,8.000",
            "2026-11-30T01:15:00Z,pengaduan,1,0,0,1,0,0,0,0,0.0000,1.0000,0.000",
        )
    );

    let mut out = Vec::new();
    sambung_acd::export::agent_intervals_csv(&w.cms, from, to, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], sambung_acd::export::AGENT_COLUMNS);
    // The first interval holds 8 s ringing, 100 s talk, 30 s wrap-up, then available time.
    assert_eq!(
        lines[1],
        "2026-11-30T01:00:00Z,1001,900.000,762.000,8.000,100.000,0.000,30.000,0.000,1,0.000"
    );
    // Rows for other ranges are left out.
    let mut out = Vec::new();
    sambung_acd::export::queue_intervals_csv(&w.cms, to, to + 900, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
}

/// One random thing that can happen in a queue's day.
#[derive(Debug, Clone)]
enum Step {
    Arrive(u8),
    Abandon(u8),
    Answer,
    Fail,
    End(u8),
    Ready(u8),
    NotReady(u8),
    WrapUpDone(u8),
    Advance(u16),
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        any::<u8>().prop_map(Step::Arrive),
        any::<u8>().prop_map(Step::Abandon),
        Just(Step::Answer),
        Just(Step::Fail),
        any::<u8>().prop_map(Step::End),
        any::<u8>().prop_map(Step::Ready),
        any::<u8>().prop_map(Step::NotReady),
        any::<u8>().prop_map(Step::WrapUpDone),
        (0u16..600).prop_map(Step::Advance),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..proptest::prelude::ProptestConfig::default() })]

    /// Whatever happens: every caller who joined is offered (answered, abandoned, overflowed,
    /// timed out or turned away), a short abandon, or still waiting; the intervals add up to
    /// the totals; each agent's state times add up to staffed time; and the metrics rebuilt
    /// from the log equal the live ones.
    #[test]
    fn cms_conserves_calls_and_time_and_replays_exactly(steps in proptest::collection::vec(step(), 1..150)) {
        let mut w = World::new();
        let agents: Vec<AgentId> = (1..=3).map(|i| AgentId::new(&format!("100{i}")).unwrap()).collect();
        for a in &agents {
            w.input(Input::AgentLogin { agent: a.clone(), queues: vec![queue()] });
        }
        let mut offers: Vec<(CallId, AgentId)> = Vec::new();
        let mut connected: Vec<CallId> = Vec::new();
        let mut joined = 0u64;
        for s in steps {
            let pick = |i: u8| agents[usize::from(i) % agents.len()].clone();
            let actions = match s {
                Step::Arrive(c) => {
                    let call = CallId::new(u64::from(c));
                    if w.acd.handle(w.clock.now(), Input::CallArrived { call, queue: queue(), priority: 0 }).is_ok() {
                        joined += 1;
                    }
                    w.drain()
                }
                Step::Abandon(c) => w.input(Input::CallAbandoned { call: CallId::new(u64::from(c)) }),
                Step::Answer => match offers.pop() {
                    Some((call, agent)) => {
                        if w.acd.handle(w.clock.now(), Input::OfferAnswered { call, agent }).is_ok() {
                            connected.push(call);
                        }
                        w.drain()
                    }
                    None => Vec::new(),
                },
                Step::Fail => match offers.pop() {
                    Some((call, agent)) => w.input(Input::OfferFailed { call, agent }),
                    None => Vec::new(),
                },
                Step::End(i) => match connected.len() {
                    0 => Vec::new(),
                    n => {
                        let call = connected.remove(usize::from(i) % n);
                        w.input(Input::CallEnded { call })
                    }
                },
                Step::Ready(i) => w.input(Input::AgentReady { agent: pick(i) }),
                Step::NotReady(i) => w.input(Input::AgentNotReady { agent: pick(i), reason: ReasonCode::new("break").unwrap() }),
                Step::WrapUpDone(i) => w.input(Input::WrapUpDone { agent: pick(i) }),
                Step::Advance(s) => w.advance(u64::from(s)),
            };
            for action in actions {
                match action {
                    Action::Offer { call, agent } => offers.push((call, agent)),
                    Action::CancelOffer { call, .. } => offers.retain(|(c, _)| *c != call),
                    _ => {}
                }
            }
        }
        let q = w.cms.queue(&queue()).cloned().unwrap_or_default();
        let t = &q.totals;
        proptest::prop_assert_eq!(w.cms.orphans, 0);
        proptest::prop_assert_eq!(joined, t.offered + t.short_abandoned + q.waiting);
        proptest::prop_assert_eq!(t.offered, t.answered + t.abandoned + t.overflowed + t.timed_out + t.rejected);
        proptest::prop_assert_eq!(q.waiting, u64::try_from(w.acd.waiting(&queue())).unwrap());

        let mut summed = sambung_acd::cms::QueueStats::default();
        for (_, _, s) in w.cms.queue_rollups() {
            summed.offered += s.offered;
            summed.answered += s.answered;
            summed.answered_within_threshold += s.answered_within_threshold;
            summed.abandoned += s.abandoned;
            summed.short_abandoned += s.short_abandoned;
            summed.overflowed += s.overflowed;
            summed.timed_out += s.timed_out;
            summed.rejected += s.rejected;
            summed.answered_wait += s.answered_wait;
            summed.abandoned_wait += s.abandoned_wait;
        }
        proptest::prop_assert_eq!(&summed, t);

        let now = w.clock.now();
        for a in &agents {
            let times = w.cms.agent(a, now).unwrap();
            let parts = times.available + times.ringing + times.talk + times.direct
                + times.after_call_work + times.not_ready.values().sum::<Duration>();
            proptest::prop_assert_eq!(parts, times.staffed);
        }

        let mut replayed = Cms::new(w.cms.config());
        replayed.replay(&w.log, EventSeq::FIRST);
        proptest::prop_assert_eq!(replayed.queue(&queue()), w.cms.queue(&queue()));
        proptest::prop_assert!(replayed.queue_rollups().eq(w.cms.queue_rollups()));
        proptest::prop_assert!(replayed.agent_rollups().eq(w.cms.agent_rollups()));
        for a in &agents {
            proptest::prop_assert_eq!(replayed.agent(a, now), w.cms.agent(a, now));
        }
    }
}
