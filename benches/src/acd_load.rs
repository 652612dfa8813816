//! The ACD routing load the `acd` benchmark and the `acd_route_count` example share: 1,000
//! agents in 100 queues with skills, 90% of them on calls.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use sambung_acd::{Acd, AcdConfig, Action, Input, QueueConfig, SkillRequirement, Strategy};
use sambung_core::ids::{AgentId, CallId, QueueId};

/// Agents on the floor.
pub const AGENTS: usize = 1000;
/// Queues.
pub const QUEUES: usize = 100;
/// Queues each agent serves.
pub const QUEUES_PER_AGENT: usize = 10;
/// Agents kept on calls.
pub const BUSY: usize = 900;

/// Queue `i`'s id (`antrian-i`).
#[expect(clippy::expect_used, reason = "fixed names, valid by construction")]
pub fn queue_id(i: usize) -> QueueId {
    QueueId::new(&format!("antrian-{i}")).expect("valid queue name")
}

/// Agent `i`'s id (`1000 + i`).
#[expect(clippy::expect_used, reason = "fixed names, valid by construction")]
pub fn agent_id(i: usize) -> AgentId {
    AgentId::new(&(1000 + i).to_string()).expect("valid agent id")
}

/// The routing load: the scheduler, its clock, and the calls on agents, oldest first.
pub struct Routing {
    /// The scheduler.
    pub acd: Acd,
    /// Simulated now.
    pub now: Instant,
    next_call: u64,
    /// Calls on agents, oldest first.
    pub connected: VecDeque<CallId>,
    queues: Vec<QueueId>,
    /// Events taken from the scheduler, when kept.
    pub events: Option<Vec<(Instant, sambung_core::event::EventKind)>>,
}

impl Routing {
    /// The floor: every agent logged in, skilled and ready, then loaded to [`BUSY`].
    pub fn new(strategy: Strategy) -> Self {
        let now = Instant::now();
        let mut acd = Acd::new(AcdConfig::default());
        let queues: Vec<QueueId> = (0..QUEUES).map(queue_id).collect();
        for (i, q) in queues.iter().enumerate() {
            let mut config = QueueConfig::new(q.clone(), strategy);
            config.wrap_up = Duration::ZERO;
            // Skill tiers: proficiency 7 at first, 4 after 10 s, anyone with the skill after 30 s.
            config.skill = Some(SkillRequirement {
                skill: format!("skill-{i}"),
                tiers: vec![
                    (Duration::ZERO, 7),
                    (Duration::from_secs(10), 4),
                    (Duration::from_secs(30), 1),
                ],
            });
            acd.add_queue(config);
        }
        for i in 0..AGENTS {
            let served: Vec<usize> = (0..QUEUES_PER_AGENT)
                .map(|k| (i + k * (QUEUES / QUEUES_PER_AGENT)) % QUEUES)
                .collect();
            let agent = agent_id(i);
            let _ = acd.handle(
                now,
                Input::AgentLogin {
                    agent: agent.clone(),
                    queues: served.iter().map(|&q| queues[q].clone()).collect(),
                },
            );
            // Proficiency 1–10, spread so every queue has agents at every tier.
            let skills: BTreeMap<String, u8> = served
                .iter()
                .enumerate()
                .map(|(k, &q)| {
                    (
                        format!("skill-{q}"),
                        u8::try_from((i + k) % 10 + 1).unwrap_or(1),
                    )
                })
                .collect();
            let _ = acd.handle(
                now,
                Input::SetSkills {
                    agent: agent.clone(),
                    skills,
                },
            );
            let _ = acd.handle(now, Input::AgentReady { agent });
        }
        while acd.poll_action().is_some() {}
        while acd.poll_event().is_some() {}
        let mut routing = Self {
            acd,
            now,
            next_call: 0,
            connected: VecDeque::new(),
            queues,
            events: None,
        };
        while routing.connected.len() < BUSY {
            routing.arrive();
            routing.answer();
        }
        routing
    }

    /// A caller arrives at the next queue round the floor.
    pub fn arrive(&mut self) {
        self.next_call += 1;
        let queue = self.queues[usize::try_from(self.next_call).unwrap_or(0) % QUEUES].clone();
        let _ = self.acd.handle(
            self.now,
            Input::CallArrived {
                call: CallId::new(self.next_call),
                queue,
                priority: 0,
            },
        );
    }

    /// Agents answer what they were offered.
    pub fn answer(&mut self) {
        while let Some(action) = self.acd.poll_action() {
            if let Action::Offer { call, agent } = action
                && self
                    .acd
                    .handle(self.now, Input::OfferAnswered { call, agent })
                    .is_ok()
            {
                self.connected.push_back(call);
            }
        }
        self.drain_events();
    }

    /// Takes the scheduler's events (kept when `events` is `Some`).
    pub fn drain_events(&mut self) {
        while let Some(e) = self.acd.poll_event() {
            if let Some(kept) = self.events.as_mut() {
                kept.push(e);
            }
        }
    }

    /// Moves the clock on and fires the scheduler's timers that are due, as a driver does.
    pub fn tick(&mut self) {
        self.now += Duration::from_millis(10);
        if self.acd.poll_timeout().is_some_and(|t| t <= self.now) {
            self.acd.handle_timeout(self.now);
            self.answer();
        }
    }

    /// One decision with the load kept level: an arrival, its answer, and the oldest call ends.
    pub fn step(&mut self) {
        self.tick();
        self.arrive();
        self.answer();
        if self.connected.len() > BUSY
            && let Some(call) = self.connected.pop_front()
        {
            let _ = self.acd.handle(self.now, Input::CallEnded { call });
        }
        self.drain_events();
    }
}

/// The events of `decisions` routing decisions (longest idle), as an event log hands them to
/// a projection: the CMS ingest load.
pub fn routing_events(decisions: usize) -> Vec<sambung_core::event::Event> {
    use sambung_core::event::{EventLog, EventSeq, MemoryEventLog};
    let mut routing = Routing::new(Strategy::LongestIdle);
    routing.events = Some(Vec::new());
    for _ in 0..decisions {
        routing.step();
    }
    let mut log = MemoryEventLog::new();
    let wall = jiff::Timestamp::UNIX_EPOCH;
    for (at, kind) in routing.events.take().unwrap_or_default() {
        let _ = log.append(at, wall, kind);
    }
    log.since(EventSeq::FIRST).cloned().collect()
}
