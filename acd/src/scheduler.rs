//! The scheduler: queues, agents, offers and timers, driven by inputs and instants.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use rustc_hash::FxHashMap;
use smallvec::{SmallVec, smallvec};

use crate::bits::Bits;
use crate::wait_list::{WaitKey, WaitList};
use std::time::{Duration, Instant};

use sambung_core::event::{AgentState, EventKind, QueueExit};
use sambung_core::ids::{AgentId, CallId, QueueId, ReasonCode};

/// How a queue picks among its available agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The agent idle the longest.
    LongestIdle,
    /// The next agent after the one offered last, in login order (round robin with memory).
    RoundRobin,
    /// The agent who has taken the fewest calls (ties: longest idle).
    FewestCalls,
    /// The first available agent in login order (hunt group).
    Linear,
    /// Any available agent, chosen by the scheduler's seeded generator.
    Random,
    /// The agent whose last call from the ACD ended longest ago; agents who have taken none
    /// come first (Asterisk's `leastrecent`).
    LeastRecent,
    /// Every free agent at once; the first to answer takes the call and the others stop
    /// ringing (Asterisk's `ringall`).
    RingAll,
}

/// A queue's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// The queue.
    pub id: QueueId,
    /// Agent selection.
    pub strategy: Strategy,
    /// After-call work after each call, before the agent is available again.
    pub wrap_up: Duration,
    /// How long an offer rings before it counts as unanswered.
    pub ring_timeout: Duration,
    /// Longest a caller waits before leaving for `overflow` (or being turned away).
    pub max_wait: Option<Duration>,
    /// Most callers waiting; further callers are turned away.
    pub max_length: Option<usize>,
    /// Where callers go when `max_wait` runs out.
    pub overflow: Option<QueueId>,
    /// Let callers join while no agent is logged in to the queue.
    pub join_empty: bool,
    /// Tell waiting callers their position and expected wait this often (ACD-2); `None` never.
    pub announce_every: Option<Duration>,
    /// A skill callers of this queue need, with proficiency relaxing as they wait.
    pub skill: Option<SkillRequirement>,
}

/// A skill and the least proficiency needed after each waiting time: the requirement relaxes
/// as the caller waits (`[(0 s, 8), (30 s, 5), (60 s, 1)]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillRequirement {
    /// The skill (`bahasa-jawa`, `terorisme`, …).
    pub skill: String,
    /// (waited at least, minimum proficiency 0–10), in increasing order of wait.
    pub tiers: Vec<(Duration, u8)>,
}

impl SkillRequirement {
    /// The proficiency needed after waiting `waited`.
    pub fn needed(&self, waited: Duration) -> u8 {
        self.tiers
            .iter()
            .rev()
            .find(|(after, _)| waited >= *after)
            .map_or(u8::MAX, |(_, level)| *level)
    }
}

impl QueueConfig {
    /// A queue with 10 s of wrap-up, a 15 s ring timeout, no wait or length limits, and
    /// callers allowed to join while no agent is logged in.
    pub fn new(id: QueueId, strategy: Strategy) -> Self {
        Self {
            id,
            strategy,
            wrap_up: Duration::from_secs(10),
            ring_timeout: Duration::from_secs(15),
            max_wait: None,
            max_length: None,
            overflow: None,
            join_empty: true,
            announce_every: None,
            skill: None,
        }
    }
}

/// Scheduler-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcdConfig {
    /// Unanswered offers in a row after which an agent is made not ready.
    pub max_unanswered_offers: u32,
    /// The reason given then.
    pub unanswered_reason: ReasonCode,
    /// The reason an agent is not ready right after logging in (they press "ready" to start).
    pub login_reason: ReasonCode,
    /// Seed of the generator used by [`Strategy::Random`].
    pub seed: u64,
    /// Whether state changes are kept as events for [`Acd::poll_event`] (the log, the CMS,
    /// the wallboard). A driver that reads none of them — a capacity simulation — turns
    /// this off and saves building and draining a handful of events per call.
    pub keep_events: bool,
}

impl Default for AcdConfig {
    fn default() -> Self {
        Self {
            max_unanswered_offers: 3,
            unanswered_reason: reason("no-answer"),
            login_reason: reason("logged-in"),
            seed: 0x5EED,
            keep_events: true,
        }
    }
}

fn reason(code: &'static str) -> ReasonCode {
    #[expect(
        clippy::expect_used,
        reason = "literal codes, valid by construction (a test checks)"
    )]
    ReasonCode::new(code).expect("built-in reason code is valid")
}

/// What happens, as the scheduler is told it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// A caller enters a queue.
    CallArrived {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// Priority: higher is served first.
        priority: i32,
    },
    /// A waiting caller's priority changes.
    SetPriority {
        /// The call.
        call: CallId,
        /// The new priority.
        priority: i32,
    },
    /// The caller hung up (waiting, ringing or connected).
    CallAbandoned {
        /// The call.
        call: CallId,
    },
    /// The agent answered an offer.
    OfferAnswered {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// The agent's phone rejected the offer or could not be reached.
    OfferFailed {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// A connected call ended.
    CallEnded {
        /// The call.
        call: CallId,
    },
    /// The agent put a connected call on hold (`held`), or took it off hold.
    Hold {
        /// The call.
        call: CallId,
        /// On hold from now, or not.
        held: bool,
    },
    /// An agent logs in (free seating: `extension` is the phone they sit at).
    AgentLogin {
        /// The agent.
        agent: AgentId,
        /// Queues they serve.
        queues: Vec<QueueId>,
    },
    /// An agent logs out.
    AgentLogout {
        /// The agent.
        agent: AgentId,
    },
    /// An agent is ready for calls.
    AgentReady {
        /// The agent.
        agent: AgentId,
    },
    /// An agent is not ready, with a reason.
    AgentNotReady {
        /// The agent.
        agent: AgentId,
        /// Why.
        reason: ReasonCode,
    },
    /// An agent ends after-call work early.
    WrapUpDone {
        /// The agent.
        agent: AgentId,
    },
    /// An agent's skills and proficiency (0–10) change.
    SetSkills {
        /// The agent.
        agent: AgentId,
        /// Skill → proficiency.
        skills: BTreeMap<String, u8>,
    },
}

/// What the scheduler asks its driver to do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Ring the agent with the call.
    Offer {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// Stop ringing the agent.
    CancelOffer {
        /// The call.
        call: CallId,
        /// The agent.
        agent: AgentId,
    },
    /// The call moved to another queue (its maximum wait ran out).
    Overflowed {
        /// The call.
        call: CallId,
        /// The queue it now waits in.
        to: QueueId,
    },
    /// Tell a waiting caller where they are (play the position and expected-wait prompts).
    Announce {
        /// The call.
        call: CallId,
        /// Position in the queue, 1-based.
        position: usize,
        /// Expected wait, from the queue's recent handle times and its agents; `None` before
        /// any call has been handled.
        expected_wait: Option<Duration>,
    },
    /// The call cannot be queued or waited too long: play a message and end it, or take it
    /// elsewhere (voicemail, callback).
    Reject {
        /// The call.
        call: CallId,
        /// Why.
        exit: QueueExit,
    },
}

/// An agent's state as the scheduler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AgentStatus {
    /// Ready for an offer.
    Available,
    /// Being offered a call.
    Ringing(CallId),
    /// On an ACD call.
    OnCall(CallId),
    /// On an ACD call, with the caller on hold.
    OnHold(CallId),
    /// After-call work until the instant given.
    WrapUp(Instant),
    /// Not ready.
    NotReady(ReasonCode),
}

/// Inputs the scheduler refused; each is counted in [`Acd::rejected_inputs`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AcdError {
    /// No such queue.
    #[error("unknown queue {0}")]
    UnknownQueue(QueueId),
    /// The agent is not logged in.
    #[error("agent {0} is not logged in")]
    NotLoggedIn(AgentId),
    /// No such call.
    #[error("unknown call {0}")]
    UnknownCall(CallId),
    /// A call id already in use.
    #[error("call {0} is already known")]
    DuplicateCall(CallId),
    /// The input does not fit the agent's or call's state.
    #[error("{what} does not fit the current state")]
    WrongState {
        /// Which input.
        what: &'static str,
    },
}

#[derive(Debug, Clone)]
struct Agent {
    status: AgentStatus,
    queues: Vec<QueueId>,
    /// Alongside `queues`: each queue's slot in the queue table and the agent's place among
    /// its members.
    seats: Vec<(usize, usize)>,
    unanswered: u32,
    /// Changes with every status change, unique across logins, so a timer set for an
    /// earlier status (or an earlier login) is recognised as stale.
    generation: u64,
    skills: BTreeMap<String, u8>,
}

/// The agents an offer rings, each with their slot in the agent table: one, except under ring
/// all. Inline, so an offer allocates nothing. The slots stay good while the offer stands (an
/// agent who logs out is taken out of it first), so answering it hashes no agent id.
type Ringing = SmallVec<[(AgentId, usize); 1]>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum CallState {
    Waiting,
    /// Ringing `agents`: one, or every free agent for [`Strategy::RingAll`].
    Offered {
        agents: Ringing,
        offer: u64,
    },
    Connected {
        agent: AgentId,
        /// `agent`'s slot in the agent table (an agent cannot log out during a call).
        slot: usize,
        since: Instant,
    },
}

#[derive(Debug, Clone)]
struct Call {
    queue: QueueId,
    /// `queue`'s slot in the queue table.
    slot: usize,
    priority: i32,
    order: u64,
    state: CallState,
    joined: u64,
    /// Agents who let this call ring out or refused it: offered again only if no one else is.
    refused_by: Vec<AgentId>,
    /// Whether its skill-relaxation timers are set (only once it has had to wait).
    relax_set: bool,
    arrived: Instant,
}

/// A queue. The fields every change of an agent's state touches (in each of the agent's
/// queues) come first, in declaration order, from the start of a cache line: the free set,
/// whether anyone waits, the dirty mark and the slot.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
struct Queue {
    /// The places in `members` of the members who are available, in member order: routing
    /// walks these, never the whole floor.
    free: Bits,
    /// Waiting order: higher priority first, then who came first.
    waiting: WaitList,
    /// Listed in `Acd::dirty` when this equals `Acd::epoch`.
    dirty_epoch: u64,
    /// Its place in the queue table.
    slot: usize,
    config: QueueConfig,
    members: Vec<AgentId>,
    /// Each member's slot in the agent table, alongside `members`.
    member_slots: Vec<usize>,
    /// Each member's proficiency in the queue's skill (`None`: lacks it), by place.
    proficiency: Vec<Option<u8>>,
    cursor: usize,
    /// Recent mean handle time in seconds.
    handle_ewma: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Ring {
        call: CallId,
        offer: u64,
    },
    WrapUp {
        agent: AgentId,
        generation: u64,
    },
    MaxWait {
        call: CallId,
        joined: u64,
    },
    Announce {
        call: CallId,
        joined: u64,
    },
    /// A waiting caller's skill requirement relaxes: look at their queue again.
    Relax {
        call: CallId,
        joined: u64,
    },
}

/// The queues, in the order they were added, found by id through an index. Queues are never
/// removed, so a queue's place (its slot) is fixed: agents keep their queues' slots and reach
/// them without hashing an id on every change of state.
#[derive(Debug, Clone, Default)]
struct QueueTable {
    list: Vec<Queue>,
    index: FxHashMap<QueueId, usize>,
}

impl QueueTable {
    fn slot(&self, id: &QueueId) -> Option<usize> {
        self.index.get(id).copied()
    }

    fn get(&self, id: &QueueId) -> Option<&Queue> {
        self.list.get(self.slot(id)?)
    }

    fn get_mut(&mut self, id: &QueueId) -> Option<&mut Queue> {
        let slot = self.slot(id)?;
        self.list.get_mut(slot)
    }

    fn contains_key(&self, id: &QueueId) -> bool {
        self.index.contains_key(id)
    }

    fn insert(&mut self, mut queue: Queue) {
        queue.slot = self.list.len();
        self.index.insert(queue.config.id.clone(), queue.slot);
        self.list.push(queue);
    }

    fn values(&self) -> std::slice::Iter<'_, Queue> {
        self.list.iter()
    }
}

/// What the ranked strategies (longest idle, fewest calls, least recent) compare agents by.
#[derive(Debug, Clone, Copy)]
struct Standing {
    /// When the agent last came free (or logged in).
    idle_since: Instant,
    calls_taken: u64,
    /// When the agent's last ACD call ended.
    last_call_end: Option<Instant>,
}

/// The agents logged in, each in a slot that stays theirs until logout (then reused), found by
/// id through an index: queues list their members' slots, so routing reads an agent's
/// standing without hashing its id.
#[derive(Debug, Clone, Default)]
struct AgentTable {
    list: Vec<Option<Agent>>,
    /// Alongside `list`, in a dense list of their own: routing compares the standings of a
    /// queue's free members, and these fit in a few cache lines where whole records do not.
    standings: Vec<Standing>,
    index: FxHashMap<AgentId, usize>,
    vacant: Vec<usize>,
}

impl AgentTable {
    fn slot(&self, id: &AgentId) -> Option<usize> {
        self.index.get(id).copied()
    }

    fn at(&self, slot: usize) -> Option<&Agent> {
        self.list.get(slot)?.as_ref()
    }

    fn get(&self, id: &AgentId) -> Option<&Agent> {
        self.at(self.slot(id)?)
    }

    fn get_mut(&mut self, id: &AgentId) -> Option<&mut Agent> {
        let slot = self.slot(id)?;
        self.list.get_mut(slot)?.as_mut()
    }

    /// The record and standing of the agent in `slot`.
    fn both_at_mut(&mut self, slot: usize) -> Option<(&mut Agent, &mut Standing)> {
        let agent = self.list.get_mut(slot)?.as_mut()?;
        Some((agent, self.standings.get_mut(slot)?))
    }

    fn contains_key(&self, id: &AgentId) -> bool {
        self.index.contains_key(id)
    }

    /// The slot the next [`insert`](Self::insert) will use.
    fn next_slot(&self) -> usize {
        self.vacant.last().copied().unwrap_or(self.list.len())
    }

    /// Puts an agent in a free slot; returns the slot.
    fn insert(&mut self, id: AgentId, agent: Agent, standing: Standing) -> usize {
        let slot = match self.vacant.pop() {
            Some(slot) => {
                if let Some(place) = self.list.get_mut(slot) {
                    *place = Some(agent);
                }
                if let Some(place) = self.standings.get_mut(slot) {
                    *place = standing;
                }
                slot
            }
            None => {
                self.list.push(Some(agent));
                self.standings.push(standing);
                self.list.len() - 1
            }
        };
        self.index.insert(id, slot);
        slot
    }

    fn remove(&mut self, id: &AgentId) {
        if let Some(slot) = self.index.remove(id) {
            if let Some(place) = self.list.get_mut(slot) {
                *place = None;
            }
            self.vacant.push(slot);
        }
    }
}

/// The scheduler. See the crate documentation.
#[derive(Debug, Clone)]
pub struct Acd {
    config: AcdConfig,
    // Hash maps with a fast hasher: these are looked up on every input. Nothing depends on
    // their order (waiting callers are ranked by their own keys).
    queues: QueueTable,
    agents: AgentTable,
    calls: FxHashMap<CallId, Call>,
    /// How many agents are `Available`.
    available: usize,
    /// Queues whose waiting callers or free members changed since the last dispatch: only
    /// these can hold a new match (everything else was matched as far as it could be).
    dirty: Vec<usize>,
    /// Every queue must be looked at (queue settings changed).
    all_dirty: bool,
    /// Dispatches so far: a queue marked in an earlier one is clean without being touched.
    epoch: u64,
    /// Pending timers, earliest first. One that can no longer fire (its offer answered, its
    /// caller gone) is not searched for and removed: it is skipped when it comes to the top,
    /// and dropped from the top after each input so `poll_timeout` does not name it.
    timers: BinaryHeap<Reverse<(Instant, u64, Timer)>>,
    actions: VecDeque<Action>,
    events: VecDeque<(Instant, EventKind)>,
    counter: u64,
    rng: u64,
    rejected: u64,
    /// Calls that joined a queue or went back to waiting since the last dispatch: those
    /// still waiting after it get their skill-relaxation timers then (a caller offered at
    /// once never needs them, and most are).
    unrelaxed: Vec<CallId>,
    /// `dispatch`'s buffers, kept for the next dispatch.
    scratch: (Vec<usize>, Vec<(WaitKey, usize)>),
}

impl Acd {
    /// An empty scheduler.
    pub fn new(config: AcdConfig) -> Self {
        let rng = config.seed | 1;
        Self {
            config,
            queues: QueueTable::default(),
            agents: AgentTable::default(),
            calls: FxHashMap::default(),
            available: 0,
            dirty: Vec::new(),
            all_dirty: false,
            epoch: 1,
            timers: BinaryHeap::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            counter: 0,
            rng,
            rejected: 0,
            unrelaxed: Vec::new(),
            scratch: (Vec::new(), Vec::new()),
        }
    }

    /// Adds a queue, or replaces its settings while it runs (callers keep their places).
    pub fn add_queue(&mut self, config: QueueConfig) {
        self.all_dirty = true;
        match self.queues.get_mut(&config.id) {
            Some(q) => {
                let id = config.id.clone();
                q.config = config;
                // The skill may have changed.
                self.reindex_queue(&id);
            }
            None => {
                self.queues.insert(Queue {
                    config,
                    waiting: WaitList::default(),
                    members: Vec::new(),
                    member_slots: Vec::new(),
                    free: Bits::default(),
                    proficiency: Vec::new(),
                    cursor: 0,
                    slot: 0,
                    dirty_epoch: 0,
                    handle_ewma: None,
                });
            }
        }
    }

    /// The next action for the driver.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next event for the log, with the instant it happened.
    pub fn poll_event(&mut self) -> Option<(Instant, EventKind)> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Inputs refused so far (unknown calls, events out of order…).
    pub fn rejected_inputs(&self) -> u64 {
        self.rejected
    }

    /// An agent's status; `None` when logged out.
    pub fn agent_status(&self, agent: &AgentId) -> Option<&AgentStatus> {
        self.agents.get(agent).map(|a| &a.status)
    }

    /// Callers waiting in a queue.
    pub fn waiting(&self, queue: &QueueId) -> usize {
        self.queues.get(queue).map_or(0, |q| q.waiting.len())
    }

    /// A waiting caller's position in its queue, 1-based.
    pub fn position(&self, call: CallId) -> Option<usize> {
        let c = self.calls.get(&call)?;
        if c.state != CallState::Waiting {
            return None;
        }
        let q = self.queues.list.get(c.slot)?;
        Some(q.waiting.count_through(&(Reverse(c.priority), c.order)))
    }

    fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// Records a state change for `poll_event`; `kind` is only built when events are kept.
    fn emit(&mut self, now: Instant, kind: impl FnOnce() -> EventKind) {
        if self.config.keep_events {
            self.events.push_back((now, kind()));
        }
    }

    fn set_agent(&mut self, now: Instant, agent: &AgentId, status: AgentStatus) {
        let slot = self.agents.slot(agent);
        self.set_agent_at(now, slot, agent, status);
    }

    /// [`set_agent`](Self::set_agent) for a caller who has looked up the agent's slot
    /// already; returns the agent's new generation.
    fn set_agent_at(
        &mut self,
        now: Instant,
        slot: Option<usize>,
        agent: &AgentId,
        status: AgentStatus,
    ) -> u64 {
        let state = self.config.keep_events.then(|| match &status {
            AgentStatus::Available => AgentState::Available,
            AgentStatus::Ringing(_) => AgentState::Ringing,
            AgentStatus::OnCall(_) => AgentState::OnAcdCall,
            AgentStatus::OnHold(_) => AgentState::OnHold,
            AgentStatus::WrapUp(_) => AgentState::AfterCallWork,
            AgentStatus::NotReady(reason) => AgentState::NotReady {
                reason: reason.clone(),
            },
        });
        let generation = self.next_id();
        if let Some((a, standing)) = slot.and_then(|s| self.agents.both_at_mut(s)) {
            let was_free = a.status == AgentStatus::Available;
            let free = status == AgentStatus::Available;
            if free && !was_free {
                standing.idle_since = now;
            }
            a.status = status;
            a.generation = generation;
            if free != was_free {
                if free {
                    self.available += 1;
                } else {
                    self.available = self.available.saturating_sub(1);
                }
                for &(slot, place) in &a.seats {
                    if let Some(q) = self.queues.list.get_mut(slot) {
                        if free {
                            q.free.insert(place);
                            // A queue nobody waits in has no match to make; a caller who
                            // arrives marks it then.
                            if !q.waiting.is_empty() {
                                mark(q, &mut self.dirty, self.epoch);
                            }
                        } else {
                            q.free.remove(place);
                        }
                    }
                }
            }
        }
        if let Some(state) = state {
            self.emit(now, || EventKind::AgentStateChanged {
                agent: agent.clone(),
                state,
            });
        }
        generation
    }

    /// Takes one input at `now`. A refused input changes nothing and is counted.
    pub fn handle(&mut self, now: Instant, input: Input) -> Result<(), AcdError> {
        let result = self.apply(now, input);
        if result.is_err() {
            self.rejected += 1;
        }
        self.dispatch(now);
        self.set_relax_timers();
        self.prune_timers();
        result
    }

    /// Sets the skill-relaxation timers of the callers who joined or went back to waiting and
    /// are still waiting: each tier's widening, counted from when they joined the queue.
    fn set_relax_timers(&mut self) {
        while let Some(call) = self.unrelaxed.pop() {
            let Some(c) = self.calls.get_mut(&call) else {
                continue;
            };
            if c.relax_set || c.state != CallState::Waiting {
                continue;
            }
            c.relax_set = true;
            let (arrived, joined) = (c.arrived, c.joined);
            let tiers = self
                .queues
                .list
                .get(c.slot)
                .and_then(|q| q.config.skill.as_ref())
                .map_or(&[][..], |s| &s.tiers[..]);
            for &(after, _) in tiers.iter().filter(|(after, _)| !after.is_zero()) {
                self.counter += 1;
                self.timers.push(Reverse((
                    arrived + after,
                    self.counter,
                    Timer::Relax { call, joined },
                )));
            }
        }
    }

    /// Drops timers at the top that can never fire again: a ring timer of an offer answered
    /// or failed, a wrap-up timer of an agent whose state changed since, a caller's timers
    /// once they left or were connected. (A caller's timers while an agent's phone rings
    /// stay: the offer may fail and the caller wait again.)
    fn prune_timers(&mut self) {
        while let Some(Reverse((_, _, timer))) = self.timers.peek() {
            let live = match timer {
                Timer::Ring { call, offer } => self.calls.get(call).is_some_and(
                    |c| matches!(c.state, CallState::Offered { offer: o, .. } if o == *offer),
                ),
                Timer::WrapUp { agent, generation } => self
                    .agents
                    .get(agent)
                    .is_some_and(|a| a.generation == *generation),
                Timer::MaxWait { call, joined }
                | Timer::Announce { call, joined }
                | Timer::Relax { call, joined } => self.calls.get(call).is_some_and(|c| {
                    c.joined == *joined && !matches!(c.state, CallState::Connected { .. })
                }),
            };
            if live {
                return;
            }
            self.timers.pop();
        }
    }

    fn apply(&mut self, now: Instant, input: Input) -> Result<(), AcdError> {
        match input {
            Input::CallArrived {
                call,
                queue,
                priority,
            } => self.arrive(now, call, queue, priority),
            Input::SetPriority { call, priority } => {
                let c = self
                    .calls
                    .get_mut(&call)
                    .ok_or(AcdError::UnknownCall(call))?;
                let queue = c.queue.clone();
                if c.state == CallState::Waiting
                    && let Some(q) = self.queues.get_mut(&queue)
                {
                    q.waiting.remove(&(Reverse(c.priority), c.order));
                    q.waiting.insert((Reverse(priority), c.order), call);
                    mark(q, &mut self.dirty, self.epoch);
                }
                c.priority = priority;
                self.emit(now, || EventKind::PriorityChanged {
                    call,
                    queue,
                    priority,
                });
                Ok(())
            }
            Input::CallAbandoned { call } => {
                let c = self
                    .calls
                    .get(&call)
                    .ok_or(AcdError::UnknownCall(call))?
                    .clone();
                match c.state.clone() {
                    CallState::Waiting => {
                        self.leave_queue(call, &c);
                        self.calls.remove(&call);
                        self.emit(now, || EventKind::QueueLeft {
                            call,
                            queue: c.queue,
                            exit: QueueExit::Abandoned,
                        });
                    }
                    CallState::Offered { agents, .. } => {
                        self.leave_queue(call, &c);
                        self.calls.remove(&call);
                        for (agent, _) in &agents {
                            self.actions.push_back(Action::CancelOffer {
                                call,
                                agent: agent.clone(),
                            });
                        }
                        self.emit(now, || EventKind::QueueLeft {
                            call,
                            queue: c.queue,
                            exit: QueueExit::Abandoned,
                        });
                        for (agent, slot) in &agents {
                            self.set_agent_at(now, Some(*slot), agent, AgentStatus::Available);
                        }
                    }
                    CallState::Connected { .. } => {
                        return self.apply(now, Input::CallEnded { call });
                    }
                }
                Ok(())
            }
            Input::OfferAnswered { call, agent } => {
                let c = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
                let CallState::Offered { agents, .. } = &c.state else {
                    return Err(AcdError::WrongState {
                        what: "an answer to an offer not made",
                    });
                };
                let Some(agent_slot) = agents
                    .iter()
                    .find_map(|(a, slot)| (*a == agent).then_some(*slot))
                else {
                    return Err(AcdError::WrongState {
                        what: "an answer to an offer not made",
                    });
                };
                debug_assert_eq!(self.agents.slot(&agent), Some(agent_slot));
                let others: Ringing = agents
                    .iter()
                    .filter(|(a, _)| *a != agent)
                    .cloned()
                    .collect();
                // Ring all: the others stop ringing and are free again, with no mark against them.
                for (other, slot) in &others {
                    self.actions.push_back(Action::CancelOffer {
                        call,
                        agent: other.clone(),
                    });
                    self.set_agent_at(now, Some(*slot), other, AgentStatus::Available);
                }
                let c = self
                    .calls
                    .get_mut(&call)
                    .ok_or(AcdError::UnknownCall(call))?;
                c.state = CallState::Connected {
                    agent: agent.clone(),
                    slot: agent_slot,
                    since: now,
                };
                let queue = c.queue.clone();
                let key = (Reverse(c.priority), c.order);
                // No mark: the callers behind this one were looked at by the dispatch that
                // offered it (it skips callers being offered), and no agent came free.
                if let Some(q) = self.queues.list.get_mut(c.slot) {
                    q.waiting.remove(&key);
                }
                if let Some((a, standing)) = self.agents.both_at_mut(agent_slot) {
                    standing.calls_taken += 1;
                    a.unanswered = 0;
                }
                self.emit(now, || EventKind::QueueAnswered {
                    call,
                    queue,
                    agent: agent.clone(),
                });
                self.set_agent_at(now, Some(agent_slot), &agent, AgentStatus::OnCall(call));
                Ok(())
            }
            Input::OfferFailed { call, agent } => {
                let offered = matches!(&self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?.state,
                    CallState::Offered { agents, .. } if agents.iter().any(|(a, _)| *a == agent));
                if !offered {
                    return Err(AcdError::WrongState {
                        what: "a failure of an offer not made",
                    });
                }
                self.offer_failed(now, call, &agent);
                Ok(())
            }
            Input::Hold { call, held } => {
                let c = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
                let CallState::Connected { agent, .. } = c.state.clone() else {
                    return Err(AcdError::WrongState {
                        what: "a hold of a call not connected",
                    });
                };
                let status = if held {
                    AgentStatus::OnHold(call)
                } else {
                    AgentStatus::OnCall(call)
                };
                // Hold twice is one hold: a phone may repeat its re-INVITE.
                if self.agents.get(&agent).is_some_and(|a| a.status != status) {
                    self.set_agent(now, &agent, status);
                }
                Ok(())
            }
            Input::CallEnded { call } => {
                let not_connected = AcdError::WrongState {
                    what: "the end of a call not connected",
                };
                let c = self.calls.get(&call).ok_or(AcdError::UnknownCall(call))?;
                if !matches!(c.state, CallState::Connected { .. }) {
                    return Err(not_connected);
                }
                let Some(Call {
                    slot,
                    state:
                        CallState::Connected {
                            agent,
                            slot: agent_slot,
                            since,
                        },
                    ..
                }) = self.calls.remove(&call)
                else {
                    return Err(not_connected);
                };
                let wrap_up = self
                    .queues
                    .list
                    .get(slot)
                    .map_or(Duration::ZERO, |q| q.config.wrap_up);
                debug_assert_eq!(self.agents.slot(&agent), Some(agent_slot));
                if let Some((_, standing)) = self.agents.both_at_mut(agent_slot) {
                    standing.last_call_end = Some(now);
                }
                if let Some(q) = self.queues.list.get_mut(slot) {
                    // Exponentially weighted mean handle time, for expected-wait estimates.
                    let handled = now.saturating_duration_since(since).as_secs_f64();
                    q.handle_ewma =
                        Some(q.handle_ewma.map_or(handled, |m| m + 0.2 * (handled - m)));
                }
                if wrap_up.is_zero() {
                    self.set_agent_at(now, Some(agent_slot), &agent, AgentStatus::Available);
                } else {
                    let until = now + wrap_up;
                    let generation = self.set_agent_at(
                        now,
                        Some(agent_slot),
                        &agent,
                        AgentStatus::WrapUp(until),
                    );
                    let id = self.next_id();
                    self.timers
                        .push(Reverse((until, id, Timer::WrapUp { agent, generation })));
                }
                Ok(())
            }
            Input::AgentLogin { agent, queues } => {
                for q in &queues {
                    if !self.queues.contains_key(q) {
                        return Err(AcdError::UnknownQueue(q.clone()));
                    }
                }
                if self.agents.contains_key(&agent) {
                    return Err(AcdError::WrongState {
                        what: "a login of an agent logged in",
                    });
                }
                let mut seats = Vec::with_capacity(queues.len());
                let agent_slot = self.agents.next_slot();
                for q in &queues {
                    let slot = self.queues.slot(q).unwrap_or(usize::MAX);
                    if let Some(queue) = self.queues.list.get_mut(slot) {
                        seats.push((slot, queue.members.len()));
                        queue.members.push(agent.clone());
                        queue.member_slots.push(agent_slot);
                        // No skills yet; `SetSkills` fills them in.
                        queue.proficiency.push(None);
                    } else {
                        seats.push((slot, usize::MAX));
                    }
                }
                let login_reason = self.config.login_reason.clone();
                self.agents.insert(
                    agent.clone(),
                    Agent {
                        status: AgentStatus::NotReady(login_reason.clone()),
                        queues,
                        seats,
                        unanswered: 0,
                        generation: 0,
                        skills: BTreeMap::new(),
                    },
                    Standing {
                        idle_since: now,
                        calls_taken: 0,
                        last_call_end: None,
                    },
                );
                self.emit(now, || EventKind::AgentLoggedIn {
                    agent: agent.clone(),
                    extension: String::new(),
                });
                self.set_agent(now, &agent, AgentStatus::NotReady(login_reason));
                Ok(())
            }
            Input::AgentLogout { agent } => {
                let a = self
                    .agents
                    .get(&agent)
                    .ok_or_else(|| AcdError::NotLoggedIn(agent.clone()))?;
                let queues = a.queues.clone();
                let was_free = a.status == AgentStatus::Available;
                match a.status.clone() {
                    AgentStatus::OnCall(_) | AgentStatus::OnHold(_) => {
                        return Err(AcdError::WrongState {
                            what: "a logout during a call",
                        });
                    }
                    AgentStatus::Ringing(call) => {
                        self.withdraw_offer(call, &agent);
                    }
                    _ => {}
                }
                if was_free {
                    self.available = self.available.saturating_sub(1);
                }
                self.agents.remove(&agent);
                for q in queues {
                    if let Some(queue) = self.queues.get_mut(&q) {
                        queue.members.retain(|m| *m != agent);
                    }
                    self.reindex_queue(&q);
                }
                self.emit(now, || EventKind::AgentLoggedOut { agent });
                Ok(())
            }
            Input::AgentReady { agent } | Input::WrapUpDone { agent } => {
                let a = self
                    .agents
                    .get(&agent)
                    .ok_or_else(|| AcdError::NotLoggedIn(agent.clone()))?;
                match a.status {
                    AgentStatus::NotReady(_) | AgentStatus::WrapUp(_) => {
                        if let Some(a) = self.agents.get_mut(&agent) {
                            a.unanswered = 0;
                        }
                        self.set_agent(now, &agent, AgentStatus::Available);
                        Ok(())
                    }
                    AgentStatus::Available => Ok(()),
                    _ => Err(AcdError::WrongState {
                        what: "ready during a call",
                    }),
                }
            }
            Input::SetSkills { agent, skills } => {
                let a = self
                    .agents
                    .get_mut(&agent)
                    .ok_or_else(|| AcdError::NotLoggedIn(agent.clone()))?;
                a.skills = skills.into_iter().map(|(k, v)| (k, v.min(10))).collect();
                let a = &*a;
                for &(slot, place) in &a.seats {
                    if let Some(q) = self.queues.list.get_mut(slot)
                        && let Some(slot) = q.proficiency.get_mut(place)
                    {
                        *slot = proficiency(a, &q.config);
                        mark(q, &mut self.dirty, self.epoch);
                    }
                }
                Ok(())
            }
            Input::AgentNotReady { agent, reason } => {
                let a = self
                    .agents
                    .get(&agent)
                    .ok_or_else(|| AcdError::NotLoggedIn(agent.clone()))?;
                match a.status.clone() {
                    AgentStatus::OnCall(_) | AgentStatus::OnHold(_) => Err(AcdError::WrongState {
                        what: "not ready during a call",
                    }),
                    AgentStatus::Ringing(call) => {
                        self.withdraw_offer(call, &agent);
                        self.set_agent(now, &agent, AgentStatus::NotReady(reason));
                        Ok(())
                    }
                    _ => {
                        self.set_agent(now, &agent, AgentStatus::NotReady(reason));
                        Ok(())
                    }
                }
            }
        }
    }

    fn arrive(
        &mut self,
        now: Instant,
        call: CallId,
        queue: QueueId,
        priority: i32,
    ) -> Result<(), AcdError> {
        if self.calls.contains_key(&call) {
            return Err(AcdError::DuplicateCall(call));
        }
        let slot = self
            .queues
            .slot(&queue)
            .ok_or_else(|| AcdError::UnknownQueue(queue.clone()))?;
        let q = self
            .queues
            .list
            .get(slot)
            .ok_or_else(|| AcdError::UnknownQueue(queue.clone()))?;
        let full = q
            .config
            .max_length
            .is_some_and(|max| q.waiting.len() >= max);
        let empty = !q.config.join_empty && q.members.is_empty();
        let max_wait = q.config.max_wait;
        let announce_every = q.config.announce_every;
        self.emit(now, || EventKind::QueueJoined {
            call,
            queue: queue.clone(),
            priority,
        });
        if full || empty {
            let exit = if full {
                QueueExit::Full
            } else {
                QueueExit::NoAgents
            };
            self.emit(now, || EventKind::QueueLeft { call, queue, exit });
            self.actions.push_back(Action::Reject { call, exit });
            return Ok(());
        }
        let order = self.next_id();
        let joined = self.next_id();
        if let Some(q) = self.queues.list.get_mut(slot) {
            q.waiting.insert((Reverse(priority), order), call);
            mark(q, &mut self.dirty, self.epoch);
        }
        self.calls.insert(
            call,
            Call {
                queue,
                slot,
                priority,
                order,
                state: CallState::Waiting,
                joined,
                refused_by: Vec::new(),
                relax_set: false,
                arrived: now,
            },
        );
        self.unrelaxed.push(call);
        if let Some(wait) = max_wait {
            let id = self.next_id();
            self.timers
                .push(Reverse((now + wait, id, Timer::MaxWait { call, joined })));
        }
        if let Some(every) = announce_every.filter(|e| !e.is_zero()) {
            let id = self.next_id();
            self.timers
                .push(Reverse((now + every, id, Timer::Announce { call, joined })));
        }
        Ok(())
    }

    /// Expected wait of the caller at `position`: position × recent handle time ÷ the agents
    /// serving the queue (logged in and not "not ready").
    fn expected_wait(&self, queue: &QueueId, position: usize) -> Option<Duration> {
        let q = self.queues.get(queue)?;
        let handle = q.handle_ewma?;
        let serving = q
            .members
            .iter()
            .filter(|m| {
                self.agents
                    .get(m)
                    .is_some_and(|a| !matches!(a.status, AgentStatus::NotReady(_)))
            })
            .count()
            .max(1);
        #[expect(
            clippy::cast_precision_loss,
            reason = "positions and agent counts are small"
        )]
        let secs = position as f64 * handle / serving as f64;
        Some(Duration::from_secs_f64(secs.clamp(0.0, 86_400.0)))
    }

    fn leave_queue(&mut self, _call: CallId, c: &Call) {
        if let Some(q) = self.queues.list.get_mut(c.slot) {
            q.waiting.remove(&(Reverse(c.priority), c.order));
            // The next caller becomes the head, and may need less.
            mark(q, &mut self.dirty, self.epoch);
        }
    }

    /// Rebuilds a queue's free set and proficiencies, and its members' places, from its
    /// members.
    fn reindex_queue(&mut self, id: &QueueId) {
        let Some(q) = self.queues.get_mut(id) else {
            return;
        };
        q.free.clear();
        q.proficiency.clear();
        q.member_slots.clear();
        for (i, m) in q.members.iter().enumerate() {
            q.member_slots
                .push(self.agents.slot(m).unwrap_or(usize::MAX));
            let agent = self.agents.get_mut(m);
            if let Some(a) = &agent
                && a.status == AgentStatus::Available
            {
                q.free.insert(i);
            }
            q.proficiency
                .push(agent.as_deref().and_then(|a| proficiency(a, &q.config)));
            if let Some(a) = agent
                && let Some(k) = a.queues.iter().position(|x| x == id)
                && let Some((_, place)) = a.seats.get_mut(k)
            {
                *place = i;
            }
        }
        mark(q, &mut self.dirty, self.epoch);
    }

    /// Takes a ringing offer back from an agent who is leaving (logout, not ready): the phone
    /// stops ringing and the caller keeps their place.
    fn withdraw_offer(&mut self, call: CallId, agent: &AgentId) {
        self.actions.push_back(Action::CancelOffer {
            call,
            agent: agent.clone(),
        });
        if !self.release_one(call, agent) {
            self.requeue(call);
        }
    }

    /// Takes `agent` out of a ring-all offer that still rings others; `false` when `agent`
    /// was the only one ringing (the caller goes back to waiting then).
    fn release_one(&mut self, call: CallId, agent: &AgentId) -> bool {
        if let Some(Call {
            state: CallState::Offered { agents, .. },
            ..
        }) = self.calls.get_mut(&call)
            && agents.len() > 1
        {
            agents.retain(|(a, _)| a != agent);
            return true;
        }
        false
    }

    /// Puts an offered call back to waiting, in its old place.
    fn requeue(&mut self, call: CallId) {
        self.unrelaxed.push(call);
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::Waiting;
            if let Some(q) = self.queues.list.get_mut(c.slot) {
                mark(q, &mut self.dirty, self.epoch);
            }
        }
    }

    fn offer_failed(&mut self, now: Instant, call: CallId, agent: &AgentId) {
        if !self.release_one(call, agent) {
            self.requeue(call);
        }
        if let Some(c) = self.calls.get_mut(&call)
            && !c.refused_by.contains(agent)
        {
            c.refused_by.push(agent.clone());
        }
        let queue = self.calls.get(&call).map(|c| c.queue.clone());
        if let Some(queue) = queue {
            self.emit(now, || EventKind::OfferFailed {
                call,
                queue,
                agent: agent.clone(),
            });
        }
        let unanswered = self.agents.get_mut(agent).map_or(0, |a| {
            a.unanswered += 1;
            a.unanswered
        });
        if unanswered >= self.config.max_unanswered_offers {
            let reason = self.config.unanswered_reason.clone();
            self.set_agent(now, agent, AgentStatus::NotReady(reason));
        } else {
            self.set_agent(now, agent, AgentStatus::Available);
        }
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, _, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Some(Reverse((_, _, timer))) = self.timers.pop() else {
                break;
            };
            match timer {
                Timer::Ring { call, offer } => {
                    let agents = match self.calls.get(&call).map(|c| &c.state) {
                        Some(CallState::Offered {
                            agents, offer: o, ..
                        }) if *o == offer => agents.clone(),
                        _ => continue,
                    };
                    for (agent, _) in &agents {
                        self.actions.push_back(Action::CancelOffer {
                            call,
                            agent: agent.clone(),
                        });
                        self.offer_failed(now, call, agent);
                    }
                }
                Timer::WrapUp { agent, generation } => {
                    if self
                        .agents
                        .get(&agent)
                        .is_some_and(|a| a.generation == generation)
                    {
                        self.set_agent(now, &agent, AgentStatus::Available);
                    }
                }
                Timer::Relax { call, joined } => {
                    if let Some(c) = self.calls.get(&call)
                        && c.joined == joined
                        && c.state == CallState::Waiting
                        && let Some(q) = self.queues.list.get_mut(c.slot)
                    {
                        mark(q, &mut self.dirty, self.epoch);
                    }
                }
                Timer::Announce { call, joined } => {
                    let Some(c) = self.calls.get(&call) else {
                        continue;
                    };
                    if c.joined != joined || matches!(c.state, CallState::Connected { .. }) {
                        continue;
                    }
                    let queue = c.queue.clone();
                    // While an agent's phone rings the caller hears ringback, not a prompt; the
                    // schedule carries on in case the offer fails.
                    if let Some(position) = self.position(call) {
                        let expected_wait = self.expected_wait(&queue, position);
                        self.actions.push_back(Action::Announce {
                            call,
                            position,
                            expected_wait,
                        });
                    }
                    let every = self
                        .queues
                        .get(&queue)
                        .and_then(|q| q.config.announce_every);
                    if let Some(every) = every.filter(|e| !e.is_zero()) {
                        let id = self.next_id();
                        self.timers.push(Reverse((
                            now + every,
                            id,
                            Timer::Announce { call, joined },
                        )));
                    }
                }
                Timer::MaxWait { call, joined } => {
                    let Some(c) = self.calls.get(&call).cloned() else {
                        continue;
                    };
                    if c.joined != joined || c.state != CallState::Waiting {
                        continue;
                    }
                    self.leave_queue(call, &c);
                    self.calls.remove(&call);
                    let overflow = self
                        .queues
                        .get(&c.queue)
                        .and_then(|q| q.config.overflow.clone());
                    match overflow {
                        Some(to) if self.queues.contains_key(&to) => {
                            self.emit(now, || EventKind::QueueLeft {
                                call,
                                queue: c.queue,
                                exit: QueueExit::Overflow,
                            });
                            self.actions.push_back(Action::Overflowed {
                                call,
                                to: to.clone(),
                            });
                            let _ = self.arrive(now, call, to, c.priority);
                        }
                        _ => {
                            self.emit(now, || EventKind::QueueLeft {
                                call,
                                queue: c.queue,
                                exit: QueueExit::Timeout,
                            });
                            self.actions.push_back(Action::Reject {
                                call,
                                exit: QueueExit::Timeout,
                            });
                        }
                    }
                }
            }
        }
        self.dispatch(now);
        self.set_relax_timers();
        self.prune_timers();
    }

    /// Offers waiting calls to available agents while any pair matches: the best waiting
    /// caller across queues (priority, then longest wait) first.
    ///
    /// Only queues marked dirty are looked at: after each dispatch no waiting head matches a
    /// free agent, and only a change to a queue's callers or free members (or a relaxed skill
    /// tier, which marks them all) can make one.
    fn dispatch(&mut self, now: Instant) {
        // Buffers kept between dispatches: this runs after every input.
        let (mut candidates, mut heads) = std::mem::take(&mut self.scratch);
        candidates.clear();
        if self.all_dirty {
            candidates.extend(0..self.queues.list.len());
        } else {
            candidates.append(&mut self.dirty);
        }
        self.clear_dirty();
        self.all_dirty = false;
        while self.available > 0 {
            heads.clear();
            for &slot in &candidates {
                let Some(q) = self.queues.list.get(slot) else {
                    continue;
                };
                // The first caller in this queue not already being offered.
                if let Some((key, _)) = q.waiting.iter().find(|(_, call)| {
                    self.calls
                        .get(call)
                        .is_some_and(|c| c.state == CallState::Waiting)
                }) {
                    heads.push((*key, slot));
                }
            }
            // Priority first; then who came first, whatever the queue.
            heads.sort_unstable_by_key(|(key, _)| *key);
            let mut offered = false;
            for &(key, slot) in &heads {
                let Some(call) = self
                    .queues
                    .list
                    .get(slot)
                    .and_then(|q| q.waiting.get(&key))
                    .copied()
                else {
                    continue;
                };
                let Some(c) = self.calls.get(&call) else {
                    continue;
                };
                let refused = c.refused_by.clone();
                let needed = self
                    .queues
                    .list
                    .get(slot)
                    .and_then(|q| q.config.skill.as_ref())
                    .map(|s| s.needed(now.saturating_duration_since(c.arrived)));
                let agents = self.pick_agents(slot, &refused, needed);
                if !agents.is_empty() {
                    self.offer(now, call, slot, agents);
                    offered = true;
                    break;
                }
            }
            if !offered {
                break;
            }
        }
        // Marks made while offering (the agents who now ring) bring no new match.
        self.clear_dirty();
        self.scratch = (candidates, heads);
    }

    fn clear_dirty(&mut self) {
        self.dirty.clear();
        self.epoch += 1;
    }

    /// Whether no waiting caller at the head of a queue could be offered to a free agent:
    /// what every input leaves behind. For tests of the incremental dispatch.
    #[doc(hidden)]
    pub fn is_settled(&self, now: Instant) -> bool {
        self.queues.values().all(|q| {
            let head = q.waiting.values().find_map(|call| {
                self.calls
                    .get(call)
                    .filter(|c| c.state == CallState::Waiting)
            });
            let Some(head) = head else {
                return true;
            };
            let waited = now.saturating_duration_since(head.arrived);
            let needed = q.config.skill.as_ref().map(|s| s.needed(waited));
            !q.members.iter().any(|m| {
                self.agents.get(m).is_some_and(|a| {
                    a.status == AgentStatus::Available
                        && needed.is_none_or(|level| {
                            proficiency(a, &q.config).is_some_and(|p| p >= level)
                        })
                })
            })
        })
    }

    /// The available agents of `queue` to ring by its strategy (one, or all of them for
    /// [`Strategy::RingAll`]), avoiding `refused` unless no one else is available.
    fn pick_agents(&mut self, slot: usize, refused: &[AgentId], needed: Option<u8>) -> Ringing {
        let Some(q) = self.queues.list.get(slot) else {
            return Ringing::new();
        };
        // The free members with the skill level needed, in member order; of those, the ones
        // who have not refused this caller, unless that leaves no one. Walked as iterators:
        // this runs for every offer and collecting them cost more than choosing.
        let skilled = |i: &usize| {
            needed.is_none_or(|level| {
                q.proficiency
                    .get(*i)
                    .copied()
                    .flatten()
                    .is_some_and(|p| p >= level)
            })
        };
        let not_refused = |i: &usize| q.members.get(*i).is_some_and(|m| !refused.contains(m));
        let avoid = !refused.is_empty() && q.free.iter().filter(skilled).any(|i| not_refused(&i));
        // A member's id and agent-table slot, by place.
        let pick = |i: usize| Some((q.members.get(i)?.clone(), *q.member_slots.get(i)?));
        let is_eligible = |i: usize| skilled(&i) && (!avoid || not_refused(&i));
        let eligible = || q.free.iter().filter(move |&i| is_eligible(i));
        let standings = &self.agents.standings;
        // The eligible member with the lowest key, the lower place on a tie. A plain loop over
        // plain keys: this runs for every offer, over every free member.
        let lowest = |key: &dyn Fn(&Standing) -> (u64, Option<Instant>)| {
            let mut best: Option<((u64, Option<Instant>), usize)> = None;
            for i in q.free.iter() {
                if !is_eligible(i) {
                    continue;
                }
                if let Some(s) = q.member_slots.get(i).and_then(|&s| standings.get(s)) {
                    let k = key(s);
                    // Places come in increasing order: a tie keeps the earlier.
                    if best.is_none_or(|(b, _)| k < b) {
                        best = Some((k, i));
                    }
                }
            }
            best.map(|(_, i)| i)
        };
        let chosen = match q.config.strategy {
            Strategy::RingAll => return eligible().filter_map(pick).collect(),
            // Agents who never took a call (`None`) first, then whoever's last call ended
            // longest ago.
            Strategy::LeastRecent => lowest(&|s| (0, s.last_call_end)),
            Strategy::LongestIdle => lowest(&|s| (0, Some(s.idle_since))),
            Strategy::FewestCalls => lowest(&|s| (s.calls_taken, Some(s.idle_since))),
            Strategy::Linear => eligible().next(),
            Strategy::RoundRobin => {
                let cursor = q.cursor;
                eligible()
                    .find(|&i| i >= cursor)
                    .or_else(|| eligible().next())
            }
            Strategy::Random => {
                let n = eligible().count();
                if n == 0 {
                    None
                } else {
                    self.rng ^= self.rng << 13;
                    self.rng ^= self.rng >> 7;
                    self.rng ^= self.rng << 17;
                    let n = u64::try_from(n).unwrap_or(1);
                    eligible().nth(usize::try_from(self.rng % n).unwrap_or(0))
                }
            }
        };
        let Some((index, pick)) = chosen.and_then(|i| Some((i, pick(i)?))) else {
            return Ringing::new();
        };
        if let Some(q) = self.queues.list.get_mut(slot) {
            q.cursor = index + 1;
        }
        smallvec![pick]
    }

    fn offer(&mut self, now: Instant, call: CallId, slot: usize, agents: Ringing) {
        let offer = self.next_id();
        let Some(q) = self.queues.list.get(slot) else {
            return;
        };
        let (queue, ring) = (q.config.id.clone(), q.config.ring_timeout);
        let timer = self.next_id();
        self.timers
            .push(Reverse((now + ring, timer, Timer::Ring { call, offer })));
        for (agent, agent_slot) in &agents {
            self.actions.push_back(Action::Offer {
                call,
                agent: agent.clone(),
            });
            self.emit(now, || EventKind::Offered {
                call,
                queue: queue.clone(),
                agent: agent.clone(),
            });
            self.set_agent_at(now, Some(*agent_slot), agent, AgentStatus::Ringing(call));
        }
        if let Some(c) = self.calls.get_mut(&call) {
            c.state = CallState::Offered { agents, offer };
        }
    }
}

/// An agent's proficiency in the skill a queue needs; `None` when they lack it or the queue
/// needs none.
fn proficiency(agent: &Agent, queue: &QueueConfig) -> Option<u8> {
    let skill = queue.skill.as_ref()?;
    agent.skills.get(&skill.skill).copied()
}

/// Lists a queue for the next dispatch, once.
fn mark(q: &mut Queue, dirty: &mut Vec<usize>, epoch: u64) {
    if q.dirty_epoch != epoch {
        q.dirty_epoch = epoch;
        dirty.push(q.slot);
    }
}
