//! The in-memory event log and a projection over it.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::time::Duration;

use sambung_core::clock::{Clock, SimulatedClock};
use sambung_core::event::{
    Event, EventKind, EventLog, EventLogError, EventSeq, MemoryEventLog, Projection, QueueExit,
};
use sambung_core::ids::{AgentId, CallId, QueueId};

/// Offered, answered and abandoned per queue: the shape of a CMS projection.
#[derive(Default, Debug, PartialEq)]
struct QueueCounts {
    offered: u32,
    answered: u32,
    abandoned: u32,
}

impl Projection for QueueCounts {
    fn apply(&mut self, event: &Event) {
        match &event.kind {
            EventKind::QueueJoined { .. } => self.offered += 1,
            EventKind::QueueAnswered { .. } => self.answered += 1,
            EventKind::QueueLeft {
                exit: QueueExit::Abandoned,
                ..
            } => self.abandoned += 1,
            _ => {}
        }
    }
}

#[test]
fn append_replay_and_resume() {
    let clock = SimulatedClock::new("2026-11-30T01:00:00Z".parse().unwrap());
    let mut log = MemoryEventLog::new();
    let queue = QueueId::new("pengaduan").unwrap();
    let agent = AgentId::new("1001").unwrap();
    let append = |log: &mut MemoryEventLog, kind| {
        clock.advance(Duration::from_secs(5));
        log.append(clock.now(), clock.wall(), kind).unwrap()
    };
    for i in 1..=3 {
        let call = CallId::new(i);
        append(
            &mut log,
            EventKind::QueueJoined {
                call,
                queue: queue.clone(),
                priority: 0,
            },
        );
    }
    append(
        &mut log,
        EventKind::QueueAnswered {
            call: CallId::new(1),
            queue: queue.clone(),
            agent,
        },
    );
    let seq = append(
        &mut log,
        EventKind::QueueLeft {
            call: CallId::new(2),
            queue,
            exit: QueueExit::Abandoned,
        },
    );
    assert_eq!(seq, EventSeq::new(5));
    assert_eq!(log.next_seq(), EventSeq::new(6));

    let mut counts = QueueCounts::default();
    counts.replay(&log, EventSeq::FIRST);
    assert_eq!(
        counts,
        QueueCounts {
            offered: 3,
            answered: 1,
            abandoned: 1
        }
    );

    // A projection can resume from where it stopped.
    assert_eq!(log.since(EventSeq::new(4)).count(), 2);
    assert_eq!(log.since(EventSeq::new(99)).count(), 0);
    assert_eq!(log.since(EventSeq::new(0)).count(), 5);
    // Wall time came from the clock.
    let last = log.since(EventSeq::new(5)).next().unwrap();
    assert_eq!(last.wall, "2026-11-30T01:00:25Z".parse().unwrap());
}

#[test]
fn the_log_refuses_to_go_back_in_time() {
    let clock = SimulatedClock::new("2026-11-30T01:00:00Z".parse().unwrap());
    let early = clock.now();
    clock.advance(Duration::from_millis(3));
    let mut log = MemoryEventLog::new();
    let kind = EventKind::AgentLoggedOut {
        agent: AgentId::new("1001").unwrap(),
    };
    log.append(clock.now(), clock.wall(), kind.clone()).unwrap();
    assert_eq!(
        log.append(early, clock.wall(), kind),
        Err(EventLogError::NotMonotonic {
            last_seq: EventSeq::FIRST,
            behind_ns: 3_000_000
        })
    );
    assert_eq!(log.len(), 1);
}

#[test]
fn events_serialise_with_a_type_tag() {
    let kind = EventKind::CallArrived {
        call: CallId::new(9),
        direction: sambung_core::event::Direction::Inbound,
        caller: Some("0812-3456-7890".parse().unwrap()),
        dialed: Some("1500112".parse().unwrap()),
    };
    let json = serde_json::to_value(&kind).unwrap();
    assert_eq!(json["type"], "call_arrived");
    assert_eq!(json["caller"], "+6281234567890");
    assert_eq!(json["dialed"], "1500112");
    let back: EventKind = serde_json::from_value(json).unwrap();
    assert_eq!(back, kind);
}
