//! # sambung-acd
//!
//! Automatic call distribution for Sambung. Today it holds the scheduler core:
//!
//! - [`Acd`]: a sans-IO scheduler. Feed it [`Input`]s (a call arrives, an agent answers, logs
//!   in, goes not ready…) with the current `Instant`; take [`Action`]s (offer call C to agent
//!   A, cancel an offer, tell a caller where they are in the queue) and the events it logged
//!   (`sambung_core::event::EventKind`), and call [`Acd::handle_timeout`] at
//!   [`Acd::poll_timeout`]. It never reads a clock.
//! - [`center`]: the scheduler with its CMS projection kept in step, for drivers without an
//!   event log of their own.
//! - [`cms`]: CMS metrics as a projection of the event log: a live snapshot per queue and
//!   agent, and 15-minute interval rollups that can be rebuilt from the log.
//! - [`alerts`]: thresholds on key figures that raise and clear alerts.
//! - [`flow`]: call flows as versioned data (announce, menu, time condition, queue, voicemail,
//!   callback, hang-up), replaceable while calls run.
//! - [`priority`]: caller priority from the number class, VIP and blocked lists, and ageing.
//! - [`feature_codes`]: the codes agents and supervisors key on their phones (`*71` agent-ID
//!   `#` PIN `#`, …).
//! - [`queue_log`]: Asterisk-compatible `queue_log` lines, for wallboards and tools that read
//!   them.
//! - Queues with strategies (longest idle, round robin, fewest calls, linear, random, least
//!   recent, ring all), caller priority (higher first, then longest waiting), ring timeouts that
//!   make an agent not ready after repeated unanswered offers, wrap-up with a timer per queue,
//!   and a maximum wait.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sambung_acd::{Acd, AcdConfig, Action, Input, QueueConfig, Strategy};
//! use sambung_core::ids::{AgentId, CallId, QueueId};
//!
//! let queue = QueueId::new("pengaduan")?;
//! let agent = AgentId::new("1001")?;
//! let mut acd = Acd::new(AcdConfig::default());
//! acd.add_queue(QueueConfig::new(queue.clone(), Strategy::LongestIdle));
//! let now = Instant::now();
//! acd.handle(now, Input::AgentLogin { agent: agent.clone(), queues: vec![queue.clone()] })?;
//! acd.handle(now, Input::AgentReady { agent: agent.clone() })?;
//! acd.handle(now, Input::CallArrived { call: CallId::new(1), queue, priority: 0 })?;
//! assert_eq!(acd.poll_action(), Some(Action::Offer { call: CallId::new(1), agent }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Architecture invariant: this crate performs no I/O and never reads a clock (enforced by this
//! crate's `clippy.toml`).
#![forbid(unsafe_code)]

pub mod alerts;
mod bits;
pub mod center;
pub mod cms;
pub mod export;
pub mod feature_codes;
pub mod flow;
pub mod priority;
pub mod queue_log;
mod scheduler;
mod wait_list;

pub use scheduler::{
    Acd, AcdConfig, AcdError, Action, AgentStatus, Input, QueueConfig, SkillRequirement, Strategy,
};
