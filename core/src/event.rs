//! The event vocabulary shared by ACD, CMS, recording and CRM, and the append-only log.
//!
//! Everything that happens to a call, a leg, a queue or an agent is one [`EventKind`],
//! stamped with a monotonic [`Instant`] (for durations) and a wall-clock [`Timestamp`] (for
//! reports), and appended to an [`EventLog`]. Metrics, CDRs and reports are projections: they
//! fold over the log and own no state that the log cannot rebuild.
//!
//! ```
//! use std::time::Instant;
//! use sambung_core::event::{EventKind, EventLog, MemoryEventLog};
//! use sambung_core::ids::{CallId, QueueId};
//!
//! let mut log = MemoryEventLog::new();
//! let t0 = Instant::now();
//! let wall: jiff::Timestamp = "2026-11-30T01:00:00Z".parse()?;
//! let call = CallId::new(1);
//! log.append(t0, wall, EventKind::QueueJoined { call, queue: QueueId::new("pengaduan")?, priority: 0 })?;
//! assert_eq!(log.since(sambung_core::event::EventSeq::FIRST).count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Instant;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{AgentId, CallId, LegId, QueueId, ReasonCode, RecordingId, TicketId};
use crate::phone::PhoneNumber;

/// Position of an event in its log, starting at 1 and increasing by one per append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventSeq(u64);

impl EventSeq {
    /// The first sequence number of every log.
    pub const FIRST: Self = Self(1);

    /// Wraps a raw value.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The raw value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Its position in the log.
    pub seq: EventSeq,
    /// Monotonic time: never goes backwards within a log.
    pub at: Instant,
    /// Wall-clock time, for reports and records.
    pub wall: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

/// Which way a call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the public to the call center.
    Inbound,
    /// From the call center out (callbacks, agent calls).
    Outbound,
    /// Between two extensions.
    Internal,
}

/// What a leg connects the call to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LegRole {
    /// The party who placed or received the call from outside.
    Caller,
    /// An agent's phone.
    Agent,
    /// A supervisor listening, whispering or barging.
    Supervisor,
    /// The IVR or another internal media service.
    Service,
}

/// Why a call or leg ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndCause {
    /// The caller hung up.
    CallerHangup,
    /// The agent or the system hung up.
    AgentHangup,
    /// The system ended it by design (end of an IVR flow, after-hours message played).
    System,
    /// Transferred away.
    Transferred,
    /// Busy, rejected, or not answered at the far end.
    Unanswered,
    /// A network or media failure.
    Failure,
    /// Closed at start-up because the process stopped while it was in progress.
    Recovered,
}

/// Why a call left a queue without being answered there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum QueueExit {
    /// The caller hung up while waiting.
    Abandoned,
    /// The maximum wait ran out.
    Timeout,
    /// Moved to an overflow target.
    Overflow,
    /// The caller chose another path (voicemail, callback) from the queue menu.
    CallerChoice,
    /// No agent was logged in and the queue's rules turned the caller away.
    NoAgents,
    /// The queue was full.
    Full,
}

/// An agent's state, as CMS reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AgentState {
    /// Ready for an ACD call.
    Available,
    /// An ACD call is being offered.
    Ringing,
    /// On an ACD call.
    OnAcdCall,
    /// On an ACD call with the caller on hold.
    OnHold,
    /// On a direct (non-ACD) call.
    OnDirectCall,
    /// Wrap-up after a call.
    AfterCallWork,
    /// Not ready, with a reason from the catalogue.
    NotReady {
        /// The reason's code.
        reason: ReasonCode,
    },
}

/// Everything that can happen, as the log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A call arrived at (or was placed by) the system.
    CallArrived {
        /// The call.
        call: CallId,
        /// Which way it goes.
        direction: Direction,
        /// The calling number, if presented and parseable.
        caller: Option<PhoneNumber>,
        /// The dialled number (the DID or the outside number).
        dialed: Option<PhoneNumber>,
    },
    /// The system answered the call (IVR or direct to an agent).
    CallAnswered {
        /// The call.
        call: CallId,
    },
    /// The call is over; every leg has ended.
    CallEnded {
        /// The call.
        call: CallId,
        /// Why.
        cause: EndCause,
    },
    /// A leg was created for a call.
    LegCreated {
        /// The call.
        call: CallId,
        /// The leg.
        leg: LegId,
        /// Who is on it.
        role: LegRole,
        /// The agent, for agent and supervisor legs.
        agent: Option<AgentId>,
    },
    /// A leg was answered.
    LegAnswered {
        /// The call.
        call: CallId,
        /// The leg.
        leg: LegId,
    },
    /// A leg ended.
    LegEnded {
        /// The call.
        call: CallId,
        /// The leg.
        leg: LegId,
        /// Why.
        cause: EndCause,
    },
    /// A call joined a queue.
    QueueJoined {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// Its priority there (higher is served first).
        priority: i32,
    },
    /// A queued call's priority changed while it waited.
    PriorityChanged {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// The new priority.
        priority: i32,
    },
    /// A queued call was offered to an agent (the agent's phone rings).
    Offered {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// The agent.
        agent: AgentId,
    },
    /// An offer was not taken (no answer, rejected); the call stays queued.
    OfferFailed {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// The agent.
        agent: AgentId,
    },
    /// An agent answered a queued call: it leaves the queue answered.
    QueueAnswered {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// The agent.
        agent: AgentId,
    },
    /// A call left a queue unanswered.
    QueueLeft {
        /// The call.
        call: CallId,
        /// The queue.
        queue: QueueId,
        /// How.
        exit: QueueExit,
    },
    /// An agent logged in at a phone.
    AgentLoggedIn {
        /// The agent.
        agent: AgentId,
        /// The extension (SIP user or AOR) now theirs.
        extension: String,
    },
    /// An agent logged out.
    AgentLoggedOut {
        /// The agent.
        agent: AgentId,
    },
    /// An agent's state changed.
    AgentStateChanged {
        /// The agent.
        agent: AgentId,
        /// The new state.
        state: AgentState,
    },
    /// A recording started.
    RecordingStarted {
        /// The call.
        call: CallId,
        /// The recording.
        recording: RecordingId,
    },
    /// A recording stopped and its file is complete.
    RecordingStopped {
        /// The call.
        call: CallId,
        /// The recording.
        recording: RecordingId,
    },
    /// A caller answered the satisfaction survey.
    SurveyAnswered {
        /// The call.
        call: CallId,
        /// The score, 1 to 5.
        score: u8,
    },
    /// A CRM ticket was opened for a call.
    TicketOpened {
        /// The ticket.
        ticket: TicketId,
        /// The call it came from, if any.
        call: Option<CallId>,
    },
    /// A CRM ticket was closed.
    TicketClosed {
        /// The ticket.
        ticket: TicketId,
    },
}

/// Why the log refused an append.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventLogError {
    /// The event's monotonic instant is earlier than the previous event's.
    #[error("event is {behind_ns} ns earlier than event {last_seq:?}; the log is monotonic")]
    NotMonotonic {
        /// The last event in the log.
        last_seq: EventSeq,
        /// How far behind the new event was.
        behind_ns: u128,
    },
    /// The log has no more sequence numbers.
    #[error("event log is full")]
    Full,
}

/// An append-only log of events.
pub trait EventLog {
    /// Appends an event and returns its sequence number. `at` must not be earlier than the
    /// last event's.
    fn append(
        &mut self,
        at: Instant,
        wall: Timestamp,
        kind: EventKind,
    ) -> Result<EventSeq, EventLogError>;

    /// The events from `from` (inclusive) on, in order.
    fn since(&self, from: EventSeq) -> Box<dyn Iterator<Item = &Event> + '_>;

    /// The sequence number the next append will get.
    fn next_seq(&self) -> EventSeq;
}

/// A fold over the log: metrics, CDRs and reports implement this.
pub trait Projection {
    /// Takes one event into account.
    fn apply(&mut self, event: &Event);

    /// Applies every event of `log` from `from` on.
    fn replay(&mut self, log: &dyn EventLog, from: EventSeq)
    where
        Self: Sized,
    {
        for event in log.since(from) {
            self.apply(event);
        }
    }
}

/// An event log held in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryEventLog {
    events: Vec<Event>,
}

impl MemoryEventLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many events it holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

impl EventLog for MemoryEventLog {
    fn append(
        &mut self,
        at: Instant,
        wall: Timestamp,
        kind: EventKind,
    ) -> Result<EventSeq, EventLogError> {
        if let Some(last) = self.events.last()
            && at < last.at
        {
            return Err(EventLogError::NotMonotonic {
                last_seq: last.seq,
                behind_ns: (last.at - at).as_nanos(),
            });
        }
        let seq = self.next_seq();
        if seq.0 == u64::MAX {
            return Err(EventLogError::Full);
        }
        self.events.push(Event {
            seq,
            at,
            wall,
            kind,
        });
        Ok(seq)
    }

    fn since(&self, from: EventSeq) -> Box<dyn Iterator<Item = &Event> + '_> {
        // Sequence numbers are dense from 1, so the index is the sequence number minus one.
        let start = usize::try_from(from.0.saturating_sub(1)).unwrap_or(usize::MAX);
        Box::new(self.events.get(start..).unwrap_or(&[]).iter())
    }

    fn next_seq(&self) -> EventSeq {
        EventSeq(
            u64::try_from(self.events.len())
                .unwrap_or(u64::MAX)
                .saturating_add(1),
        )
    }
}
