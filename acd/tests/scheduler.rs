//! The scheduler driven with simulated time.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::time::{Duration, Instant};

use jiff::Timestamp;
use proptest::prelude::*;
use sambung_acd::{
    Acd, AcdConfig, Action, AgentStatus, Input, QueueConfig, SkillRequirement, Strategy,
};
use sambung_core::clock::{Clock, SimulatedClock};
use sambung_core::event::{EventKind, QueueExit};
use sambung_core::ids::{AgentId, CallId, QueueId, ReasonCode};

fn t0() -> Instant {
    SimulatedClock::new(Timestamp::UNIX_EPOCH).now()
}

fn q(name: &str) -> QueueId {
    QueueId::new(name).unwrap()
}

fn a(id: &str) -> AgentId {
    AgentId::new(id).unwrap()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn actions(acd: &mut Acd) -> Vec<Action> {
    std::iter::from_fn(|| acd.poll_action()).collect()
}

fn events(acd: &mut Acd) -> Vec<EventKind> {
    std::iter::from_fn(|| acd.poll_event())
        .map(|(_, e)| e)
        .collect()
}

/// A queue and agents logged in and ready, in this order.
fn setup(strategy: Strategy, agents: &[&str], now: Instant) -> Acd {
    let mut acd = Acd::new(AcdConfig::default());
    acd.add_queue(QueueConfig::new(q("pengaduan"), strategy));
    for id in agents {
        acd.handle(
            now,
            Input::AgentLogin {
                agent: a(id),
                queues: vec![q("pengaduan")],
            },
        )
        .unwrap();
        acd.handle(now, Input::AgentReady { agent: a(id) }).unwrap();
    }
    actions(&mut acd);
    events(&mut acd);
    acd
}

/// Answers and ends calls one after another; returns which agent got each.
fn serve(acd: &mut Acd, calls: u64, now: Instant) -> Vec<AgentId> {
    (0..calls)
        .map(|i| {
            let at = now + secs(2 * i);
            take_call(acd, i, at, at + secs(1))
        })
        .collect()
}

#[test]
fn strategies_pick_the_agent_they_promise() {
    let now = t0();
    let ids = ["1001", "1002", "1003"];
    let names = |v: Vec<AgentId>| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let mut linear = setup(Strategy::Linear, &ids, now);
    assert_eq!(names(serve(&mut linear, 3, now)), ["1001", "1001", "1001"]);
    let mut rr = setup(Strategy::RoundRobin, &ids, now);
    assert_eq!(
        names(serve(&mut rr, 4, now)),
        ["1001", "1002", "1003", "1001"]
    );
    let mut idle = setup(Strategy::LongestIdle, &ids, now);
    assert_eq!(
        names(serve(&mut idle, 4, now)),
        ["1001", "1002", "1003", "1001"]
    );
    let mut fewest = setup(Strategy::FewestCalls, &ids, now);
    assert_eq!(names(serve(&mut fewest, 3, now)), ["1001", "1002", "1003"]);
    let mut random = setup(Strategy::Random, &ids, now);
    let picked = serve(&mut random, 30, now);
    assert!(
        ids.iter().all(|id| picked.contains(&a(id))),
        "every agent gets some calls"
    );
}

/// A call arrives at `now` and is answered at once; it ends at `ends`, and its agent is
/// available again. Returns the agent.
fn take_call(acd: &mut Acd, call: u64, now: Instant, ends: Instant) -> AgentId {
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(call),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    let Some(Action::Offer { call, agent }) = acd.poll_action() else {
        panic!("no offer")
    };
    acd.handle(
        now,
        Input::OfferAnswered {
            call,
            agent: agent.clone(),
        },
    )
    .unwrap();
    acd.handle(ends, Input::CallEnded { call }).unwrap();
    acd.handle(
        ends,
        Input::WrapUpDone {
            agent: agent.clone(),
        },
    )
    .unwrap();
    agent
}

#[test]
fn least_recent_goes_by_the_last_call_not_the_last_ready() {
    // 1001's call ends first, then 1002's; then 1001 takes a break and comes back. Longest
    // idle counts from the return (1002 next); least recent counts from the call (1001 next).
    let pick = |strategy| {
        let now = t0();
        let mut acd = setup(strategy, &["1001", "1002"], now);
        assert_eq!(take_call(&mut acd, 1, now, now + secs(60)), a("1001"));
        assert_eq!(take_call(&mut acd, 2, now, now + secs(90)), a("1002"));
        let back = now + secs(120);
        acd.handle(
            back,
            Input::AgentNotReady {
                agent: a("1001"),
                reason: ReasonCode::new("break").unwrap(),
            },
        )
        .unwrap();
        acd.handle(back + secs(30), Input::AgentReady { agent: a("1001") })
            .unwrap();
        actions(&mut acd);
        take_call(&mut acd, 3, back + secs(40), back + secs(50))
    };
    assert_eq!(pick(Strategy::LongestIdle), a("1002"));
    assert_eq!(pick(Strategy::LeastRecent), a("1001"));
    // Agents who have taken no call come before everyone who has.
    let now = t0();
    let mut acd = setup(Strategy::LeastRecent, &["1001", "1002", "1003"], now);
    let got: Vec<AgentId> = (1..=4)
        .map(|i| take_call(&mut acd, i, now + secs(i), now + secs(i) + secs(1)))
        .collect();
    assert_eq!(got, [a("1001"), a("1002"), a("1003"), a("1001")]);
}

#[test]
fn ring_all_rings_every_free_agent_and_the_first_answer_wins() {
    let mut now = t0();
    let mut acd = setup(Strategy::RingAll, &["1001", "1002", "1003"], now);
    let arrive = |acd: &mut Acd, call: u64, now: Instant| {
        acd.handle(
            now,
            Input::CallArrived {
                call: CallId::new(call),
                queue: q("pengaduan"),
                priority: 0,
            },
        )
        .unwrap();
    };
    let offer = |call: u64, agent: &str| Action::Offer {
        call: CallId::new(call),
        agent: a(agent),
    };
    let cancel = |call: u64, agent: &str| Action::CancelOffer {
        call: CallId::new(call),
        agent: a(agent),
    };
    arrive(&mut acd, 1, now);
    assert_eq!(
        actions(&mut acd),
        [offer(1, "1001"), offer(1, "1002"), offer(1, "1003")]
    );
    // 1003 declines: the others keep ringing and the caller stays put.
    acd.handle(
        now,
        Input::OfferFailed {
            call: CallId::new(1),
            agent: a("1003"),
        },
    )
    .unwrap();
    assert_eq!(acd.agent_status(&a("1003")), Some(&AgentStatus::Available));
    assert_eq!(
        acd.agent_status(&a("1001")),
        Some(&AgentStatus::Ringing(CallId::new(1)))
    );
    assert_eq!(actions(&mut acd), []);
    // 1002 answers: 1001 stops ringing and is free for the next caller, with 1003.
    acd.handle(
        now,
        Input::OfferAnswered {
            call: CallId::new(1),
            agent: a("1002"),
        },
    )
    .unwrap();
    assert_eq!(actions(&mut acd), [cancel(1, "1001")]);
    assert_eq!(acd.agent_status(&a("1001")), Some(&AgentStatus::Available));
    assert_eq!(acd.waiting(&q("pengaduan")), 0);
    // Nobody answers the next caller: every phone stops at the ring timeout and each counts
    // one unanswered offer; then all ring again.
    arrive(&mut acd, 2, now);
    assert_eq!(actions(&mut acd), [offer(2, "1001"), offer(2, "1003")]);
    now += secs(15);
    acd.handle_timeout(now);
    assert_eq!(
        actions(&mut acd),
        [
            cancel(2, "1001"),
            cancel(2, "1003"),
            offer(2, "1001"),
            offer(2, "1003")
        ]
    );
    // The caller hangs up while both ring: both are free again.
    acd.handle(
        now,
        Input::CallAbandoned {
            call: CallId::new(2),
        },
    )
    .unwrap();
    assert_eq!(actions(&mut acd), [cancel(2, "1001"), cancel(2, "1003")]);
    assert_eq!(acd.agent_status(&a("1001")), Some(&AgentStatus::Available));
    assert_eq!(acd.agent_status(&a("1003")), Some(&AgentStatus::Available));
    let left: Vec<EventKind> = events(&mut acd)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                EventKind::QueueLeft { .. } | EventKind::QueueAnswered { .. }
            )
        })
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn higher_priority_and_longer_waits_go_first() {
    let now = t0();
    let mut acd = setup(Strategy::LongestIdle, &[], now);
    for (call, priority) in [(1, 0), (2, 5), (3, 0), (4, 5)] {
        acd.handle(
            now,
            Input::CallArrived {
                call: CallId::new(call),
                queue: q("pengaduan"),
                priority,
            },
        )
        .unwrap();
    }
    assert_eq!(acd.position(CallId::new(2)), Some(1));
    assert_eq!(acd.position(CallId::new(4)), Some(2));
    assert_eq!(acd.position(CallId::new(1)), Some(3));
    // A caller's priority can change while waiting.
    acd.handle(
        now,
        Input::SetPriority {
            call: CallId::new(3),
            priority: 9,
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::AgentLogin {
            agent: a("1001"),
            queues: vec![q("pengaduan")],
        },
    )
    .unwrap();
    let mut order = Vec::new();
    for _ in 0..4 {
        acd.handle(now, Input::AgentReady { agent: a("1001") })
            .unwrap();
        let offer = actions(&mut acd).into_iter().find_map(|x| match x {
            Action::Offer { call, agent } => Some((call, agent)),
            _ => None,
        });
        let (call, agent) = offer.unwrap();
        order.push(call.get());
        acd.handle(now, Input::OfferAnswered { call, agent })
            .unwrap();
        acd.handle(now, Input::CallEnded { call }).unwrap();
    }
    assert_eq!(order, [3, 2, 4, 1]);
}

#[test]
fn unanswered_offers_make_the_agent_not_ready() {
    let mut now = t0();
    let mut acd = setup(Strategy::Linear, &["1001", "1002"], now);
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(1),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    assert_eq!(
        actions(&mut acd),
        [Action::Offer {
            call: CallId::new(1),
            agent: a("1001")
        }]
    );
    // 1001 never answers: after the ring timeout the call goes to 1002.
    now += secs(15);
    assert_eq!(acd.poll_timeout(), Some(now));
    acd.handle_timeout(now);
    assert_eq!(
        actions(&mut acd),
        [
            Action::CancelOffer {
                call: CallId::new(1),
                agent: a("1001")
            },
            Action::Offer {
                call: CallId::new(1),
                agent: a("1002")
            }
        ]
    );
    // 1001 misses two more offers (rejects them) and is made not ready.
    acd.handle(
        now,
        Input::AgentNotReady {
            agent: a("1002"),
            reason: ReasonCode::new("break").unwrap(),
        },
    )
    .unwrap();
    for _ in 0..2 {
        let offer = actions(&mut acd).into_iter().find_map(|x| match x {
            Action::Offer { call, agent } => Some((call, agent)),
            _ => None,
        });
        let (call, agent) = offer.unwrap();
        assert_eq!(agent, a("1001"));
        acd.handle(now, Input::OfferFailed { call, agent }).unwrap();
    }
    assert_eq!(
        acd.agent_status(&a("1001")),
        Some(&AgentStatus::NotReady(
            ReasonCode::new("no-answer").unwrap()
        ))
    );
    assert_eq!(acd.waiting(&q("pengaduan")), 1);
}

#[test]
fn wrap_up_runs_out_by_itself() {
    let mut now = t0();
    let mut acd = setup(Strategy::Linear, &["1001"], now);
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(1),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::OfferAnswered {
            call: CallId::new(1),
            agent: a("1001"),
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::CallEnded {
            call: CallId::new(1),
        },
    )
    .unwrap();
    assert!(matches!(
        acd.agent_status(&a("1001")),
        Some(AgentStatus::WrapUp(_))
    ));
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(2),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    assert!(
        actions(&mut acd)
            .iter()
            .all(|x| !matches!(x, Action::Offer { call, .. } if call.get() == 2))
    );
    now += secs(10);
    acd.handle_timeout(now);
    assert_eq!(
        actions(&mut acd),
        [Action::Offer {
            call: CallId::new(2),
            agent: a("1001")
        }]
    );
}

#[test]
fn max_wait_overflows_and_full_queues_turn_callers_away() {
    let mut now = t0();
    let mut acd = Acd::new(AcdConfig::default());
    let mut main = QueueConfig::new(q("pengaduan"), Strategy::Linear);
    main.max_wait = Some(secs(60));
    main.overflow = Some(q("informasi"));
    main.max_length = Some(1);
    acd.add_queue(main);
    acd.add_queue(QueueConfig::new(q("informasi"), Strategy::Linear));
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(1),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(2),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    assert_eq!(
        actions(&mut acd),
        [Action::Reject {
            call: CallId::new(2),
            exit: QueueExit::Full
        }]
    );
    now += secs(60);
    acd.handle_timeout(now);
    assert_eq!(
        actions(&mut acd),
        [Action::Overflowed {
            call: CallId::new(1),
            to: q("informasi")
        }]
    );
    assert_eq!(acd.waiting(&q("informasi")), 1);
    let log = events(&mut acd);
    assert!(log.contains(&EventKind::QueueLeft {
        call: CallId::new(1),
        queue: q("pengaduan"),
        exit: QueueExit::Overflow
    }));
}

#[test]
fn a_caller_who_hangs_up_while_ringing_frees_the_agent() {
    let now = t0();
    let mut acd = setup(Strategy::Linear, &["1001"], now);
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(1),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    actions(&mut acd);
    acd.handle(
        now,
        Input::CallAbandoned {
            call: CallId::new(1),
        },
    )
    .unwrap();
    assert_eq!(
        actions(&mut acd),
        [Action::CancelOffer {
            call: CallId::new(1),
            agent: a("1001")
        }]
    );
    assert_eq!(acd.agent_status(&a("1001")), Some(&AgentStatus::Available));
    assert!(events(&mut acd).contains(&EventKind::QueueLeft {
        call: CallId::new(1),
        queue: q("pengaduan"),
        exit: QueueExit::Abandoned
    }));
}

#[test]
fn bad_inputs_are_refused_and_counted() {
    let now = t0();
    let mut acd = setup(Strategy::Linear, &["1001"], now);
    assert!(
        acd.handle(
            now,
            Input::CallEnded {
                call: CallId::new(9)
            }
        )
        .is_err()
    );
    assert!(
        acd.handle(
            now,
            Input::CallArrived {
                call: CallId::new(1),
                queue: q("nowhere"),
                priority: 0
            }
        )
        .is_err()
    );
    assert!(
        acd.handle(now, Input::AgentReady { agent: a("2002") })
            .is_err()
    );
    assert!(
        acd.handle(
            now,
            Input::OfferAnswered {
                call: CallId::new(9),
                agent: a("1001")
            }
        )
        .is_err()
    );
    assert_eq!(acd.rejected_inputs(), 4);
}

#[derive(Debug, Clone)]
enum Step {
    Arrive(u8, i8),
    Abandon(u8),
    Answer,
    Fail,
    End(u8),
    Ready(u8),
    NotReady(u8),
    Advance(u8),
    Skills(u8, u8),
    Logout(u8),
}

fn step() -> impl Strategy2<Value = Step> {
    prop_oneof![
        (any::<u8>(), any::<i8>()).prop_map(|(c, p)| Step::Arrive(c, p)),
        any::<u8>().prop_map(Step::Abandon),
        Just(Step::Answer),
        Just(Step::Fail),
        any::<u8>().prop_map(Step::End),
        any::<u8>().prop_map(Step::Ready),
        any::<u8>().prop_map(Step::NotReady),
        any::<u8>().prop_map(Step::Advance),
        (any::<u8>(), 0u8..12).prop_map(|(a, p)| Step::Skills(a, p)),
        any::<u8>().prop_map(Step::Logout),
    ]
}

use proptest::strategy::Strategy as Strategy2;

fn strategy() -> impl Strategy2<Value = Strategy> {
    prop_oneof![
        Just(Strategy::LongestIdle),
        Just(Strategy::RoundRobin),
        Just(Strategy::FewestCalls),
        Just(Strategy::Linear),
        Just(Strategy::Random),
        Just(Strategy::LeastRecent),
        Just(Strategy::RingAll),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Conservation: every caller who joined left answered, abandoned, overflowed, timed out or
    /// turned away, or is still waiting or ringing; no agent ever holds two calls; the same
    /// inputs give the same outputs.
    #[test]
    fn conservation_and_determinism(steps in prop::collection::vec(step(), 1..200), strategy in strategy()) {
        let run = |steps: &[Step]| {
            let mut now = t0();
            let mut acd = Acd::new(AcdConfig::default());
            let mut main = QueueConfig::new(q("pengaduan"), strategy);
            main.max_wait = Some(secs(30));
            main.max_length = Some(20);
            acd.add_queue(main);
            // A second queue whose callers need a skill, relaxing as they wait.
            let mut skilled = QueueConfig::new(q("informasi"), strategy);
            skilled.skill = Some(SkillRequirement { skill: "bahasa-jawa".into(), tiers: vec![(secs(0), 8), (secs(20), 3)] });
            acd.add_queue(skilled);
            let queues = [q("pengaduan"), q("informasi")];
            let agents: Vec<AgentId> = (1..=4).map(|i| a(&format!("100{i}"))).collect();
            let login = |acd: &mut Acd, now, agent: &AgentId| acd.handle(now, Input::AgentLogin { agent: agent.clone(), queues: queues.to_vec() });
            for agent in &agents {
                login(&mut acd, now, agent).unwrap();
            }
            let mut offers: Vec<(CallId, AgentId)> = Vec::new();
            let mut connected: Vec<CallId> = Vec::new();
            let mut log = Vec::new();
            for s in steps {
                let _ = match s.clone() {
                    Step::Arrive(c, p) => acd.handle(now, Input::CallArrived { call: CallId::new(u64::from(c)), queue: queues[usize::from(c % 2)].clone(), priority: i32::from(p) }),
                    Step::Abandon(c) => acd.handle(now, Input::CallAbandoned { call: CallId::new(u64::from(c)) }),
                    Step::Answer => match offers.pop() {
                        Some((call, agent)) => {
                            let r = acd.handle(now, Input::OfferAnswered { call, agent });
                            if r.is_ok() { connected.push(call); }
                            r
                        }
                        None => Ok(()),
                    },
                    Step::Fail => match offers.pop() {
                        Some((call, agent)) => acd.handle(now, Input::OfferFailed { call, agent }),
                        None => Ok(()),
                    },
                    Step::End(i) => match connected.len() {
                        0 => Ok(()),
                        n => { let call = connected.remove(usize::from(i) % n); acd.handle(now, Input::CallEnded { call }) }
                    },
                    Step::Ready(i) => acd.handle(now, Input::AgentReady { agent: agents[usize::from(i) % 4].clone() }),
                    Step::NotReady(i) => acd.handle(now, Input::AgentNotReady { agent: agents[usize::from(i) % 4].clone(), reason: ReasonCode::new("break").unwrap() }),
                    Step::Advance(s) => { now += Duration::from_secs(u64::from(s % 40)); acd.handle_timeout(now); Ok(()) }
                    Step::Skills(i, p) => acd.handle(now, Input::SetSkills { agent: agents[usize::from(i) % 4].clone(), skills: [("bahasa-jawa".to_string(), p)].into() }),
                    // Logging out is refused during a call; a logged-out agent logs straight back in.
                    Step::Logout(i) => {
                        let agent = &agents[usize::from(i) % 4];
                        match acd.agent_status(agent) {
                            None => login(&mut acd, now, agent),
                            Some(_) => acd.handle(now, Input::AgentLogout { agent: agent.clone() }),
                        }
                    }
                };
                // Nothing left that could be offered: the incremental dispatch missed no match.
                prop_assert!(acd.is_settled(now), "unsettled after {:?}", s);
                while let Some(action) = acd.poll_action() {
                    match &action {
                        Action::Offer { call, agent } => offers.push((*call, agent.clone())),
                        Action::CancelOffer { call, agent } => offers.retain(|(c, x)| !(c == call && x == agent)),
                        _ => {}
                    }
                    log.push(format!("{action:?}"));
                }
                // No agent holds two calls.
                // Every ringing phone rings with an offer the driver was given, and the reverse.
                let mut ringing: Vec<(CallId, AgentId)> = agents.iter().filter_map(|x| match acd.agent_status(x) { Some(AgentStatus::Ringing(c)) => Some((*c, x.clone())), _ => None }).collect();
                let mut open = offers.clone();
                ringing.sort();
                open.sort();
                prop_assert_eq!(ringing, open);
            }
            let events: Vec<EventKind> = std::iter::from_fn(|| acd.poll_event()).map(|(_, e)| e).collect();
            let joined = events.iter().filter(|e| matches!(e, EventKind::QueueJoined { .. })).count();
            let answered = events.iter().filter(|e| matches!(e, EventKind::QueueAnswered { .. })).count();
            let left = events.iter().filter(|e| matches!(e, EventKind::QueueLeft { .. })).count();
            let in_queue = acd.waiting(&q("pengaduan")) + acd.waiting(&q("informasi"));
            // Ringing calls are still in the waiting list (they keep their place until answered).
            prop_assert_eq!(joined, answered + left + in_queue, "{:?}", events);
            Ok(log)
        };
        let first = run(&steps)?;
        let second = run(&steps)?;
        prop_assert_eq!(first, second);
    }
}

#[test]
fn waiting_callers_hear_their_position_and_expected_wait() {
    let mut now = t0();
    let mut acd = Acd::new(AcdConfig::default());
    let mut config = QueueConfig::new(q("pengaduan"), Strategy::Linear);
    config.announce_every = Some(secs(30));
    config.wrap_up = Duration::ZERO;
    acd.add_queue(config);
    acd.handle(
        now,
        Input::AgentLogin {
            agent: a("1001"),
            queues: vec![q("pengaduan")],
        },
    )
    .unwrap();
    acd.handle(now, Input::AgentReady { agent: a("1001") })
        .unwrap();
    // One call handled in 120 s teaches the queue its handle time.
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(1),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::OfferAnswered {
            call: CallId::new(1),
            agent: a("1001"),
        },
    )
    .unwrap();
    // Two callers wait behind it.
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(2),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(3),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    actions(&mut acd);
    now += secs(30);
    acd.handle_timeout(now);
    // No handled call yet: position only.
    assert_eq!(
        actions(&mut acd),
        [
            Action::Announce {
                call: CallId::new(2),
                position: 1,
                expected_wait: None
            },
            Action::Announce {
                call: CallId::new(3),
                position: 2,
                expected_wait: None
            },
        ]
    );
    now += secs(90);
    acd.handle(
        now,
        Input::CallEnded {
            call: CallId::new(1),
        },
    )
    .unwrap();
    // Call 2 now rings the agent (no prompt over ringback); call 3 is second in line,
    // 2 × 120 s ÷ 1 agent.
    actions(&mut acd);
    now += secs(30);
    acd.handle_timeout(now);
    let announced: Vec<Action> = actions(&mut acd)
        .into_iter()
        .filter(|x| matches!(x, Action::Announce { .. }))
        .collect();
    assert_eq!(
        announced,
        [Action::Announce {
            call: CallId::new(3),
            position: 2,
            expected_wait: Some(secs(240))
        }]
    );
}

#[test]
fn skills_with_proficiency_relax_as_the_caller_waits() {
    let mut now = t0();
    let mut acd = Acd::new(AcdConfig::default());
    let mut config = QueueConfig::new(q("pengaduan"), Strategy::LongestIdle);
    config.skill = Some(SkillRequirement {
        skill: "terorisme".into(),
        tiers: vec![(Duration::ZERO, 8), (secs(30), 5), (secs(60), 1)],
    });
    acd.add_queue(config);
    for (id, level) in [("1001", 3u8), ("1002", 6)] {
        acd.handle(
            now,
            Input::AgentLogin {
                agent: a(id),
                queues: vec![q("pengaduan")],
            },
        )
        .unwrap();
        acd.handle(
            now,
            Input::SetSkills {
                agent: a(id),
                skills: [("terorisme".to_owned(), level)].into(),
            },
        )
        .unwrap();
        acd.handle(now, Input::AgentReady { agent: a(id) }).unwrap();
    }
    actions(&mut acd);
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(1),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    assert!(actions(&mut acd).is_empty(), "nobody has proficiency 8");
    now += secs(30);
    acd.handle_timeout(now);
    assert_eq!(
        actions(&mut acd),
        [Action::Offer {
            call: CallId::new(1),
            agent: a("1002")
        }],
        "5 is enough after 30 s"
    );
    acd.handle(
        now,
        Input::OfferAnswered {
            call: CallId::new(1),
            agent: a("1002"),
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(2),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    now += secs(59);
    acd.handle_timeout(now);
    assert!(
        actions(&mut acd)
            .iter()
            .all(|x| !matches!(x, Action::Offer { .. })),
        "1001's 3 is too low before 60 s"
    );
    now += secs(1);
    acd.handle_timeout(now);
    assert_eq!(
        actions(&mut acd),
        [Action::Offer {
            call: CallId::new(2),
            agent: a("1001")
        }]
    );
}

#[test]
fn a_wrap_up_timer_from_before_a_logout_does_not_touch_the_next_login() {
    let mut now = t0();
    let mut acd = setup(Strategy::Linear, &["1001"], now);
    let call = CallId::new(1);
    acd.handle(
        now,
        Input::CallArrived {
            call,
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::OfferAnswered {
            call,
            agent: a("1001"),
        },
    )
    .unwrap();
    acd.handle(now, Input::CallEnded { call }).unwrap();
    // Wrap-up runs for 10 s; the agent logs out during it and back in.
    acd.handle(now, Input::AgentLogout { agent: a("1001") })
        .unwrap();
    acd.handle(
        now,
        Input::AgentLogin {
            agent: a("1001"),
            queues: vec![q("pengaduan")],
        },
    )
    .unwrap();
    acd.handle(
        now,
        Input::CallArrived {
            call: CallId::new(2),
            queue: q("pengaduan"),
            priority: 0,
        },
    )
    .unwrap();
    // As many status changes as the first login had before its wrap-up (a generation counter
    // that restarted at login would match the old timer's).
    for _ in 0..2 {
        acd.handle(
            now,
            Input::AgentNotReady {
                agent: a("1001"),
                reason: ReasonCode::new("break").unwrap(),
            },
        )
        .unwrap();
    }
    acd.handle(now, Input::AgentReady { agent: a("1001") })
        .unwrap();
    assert_eq!(
        acd.agent_status(&a("1001")),
        Some(&AgentStatus::Ringing(CallId::new(2)))
    );
    now += secs(10);
    acd.handle_timeout(now);
    assert_eq!(
        acd.agent_status(&a("1001")),
        Some(&AgentStatus::Ringing(CallId::new(2))),
        "the old wrap-up timer must not make a ringing agent available"
    );
}

#[test]
fn without_kept_events_the_decisions_are_the_same_and_no_events_pile_up() {
    let run = |keep_events: bool| {
        let now = t0();
        let mut acd = Acd::new(AcdConfig {
            keep_events,
            ..AcdConfig::default()
        });
        let mut queue = QueueConfig::new(q("pengaduan"), Strategy::LongestIdle);
        queue.wrap_up = Duration::ZERO;
        acd.add_queue(queue);
        for id in ["1001", "1002"] {
            let login = Input::AgentLogin {
                agent: a(id),
                queues: vec![q("pengaduan")],
            };
            acd.handle(now, login).unwrap();
            acd.handle(now, Input::AgentReady { agent: a(id) }).unwrap();
        }
        let mut log = Vec::new();
        for i in 0..6u64 {
            let at = now + secs(i);
            let arrived = Input::CallArrived {
                call: CallId::new(i),
                queue: q("pengaduan"),
                priority: 0,
            };
            acd.handle(at, arrived).unwrap();
            for action in actions(&mut acd) {
                if let Action::Offer { call, agent } = &action {
                    let answered = Input::OfferAnswered {
                        call: *call,
                        agent: agent.clone(),
                    };
                    acd.handle(at, answered).unwrap();
                    acd.handle(at + secs(1), Input::CallEnded { call: *call })
                        .unwrap();
                }
                log.push(action);
            }
            log.extend(actions(&mut acd));
        }
        (log, events(&mut acd).len())
    };
    let (kept, kept_events) = run(true);
    let (unkept, unkept_events) = run(false);
    assert_eq!(kept, unkept);
    assert_eq!(kept.len(), 6, "{kept:?}");
    assert!(kept_events > 20, "{kept_events} events");
    assert_eq!(unkept_events, 0);
}
