//! Call flows as data (ACD-1, IVR-1 to IVR-3): a versioned graph of announcements, menus, time
//! conditions, queues, voicemail, callback requests and hang-ups, loaded from TOML, checked
//! before use, and replaceable while calls run — a call finishes on the version it started on.
//!
//! ```
//! use sambung_acd::flow::{Flow, FlowAction, FlowInput, FlowSession};
//! let flow = Flow::from_toml(r#"
//!     version = 1
//!     start = "welcome"
//!     [nodes.welcome]
//!     type = "announce"
//!     prompt = "selamat-datang"
//!     next = "queue"
//!     [nodes.queue]
//!     type = "queue"
//!     queue = "pengaduan"
//! "#)?;
//! let mut call = FlowSession::new(std::sync::Arc::new(flow));
//! let calendars = Default::default();
//! let now = "2026-11-30T02:00:00Z".parse()?;
//! assert_eq!(call.step(FlowInput::Start, now, &calendars), FlowAction::Play { prompt: "selamat-datang".into() });
//! assert!(matches!(call.step(FlowInput::PromptDone, now, &calendars), FlowAction::Enqueue { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use sambung_core::calendar::OfficeHours;
use sambung_core::ids::QueueId;
use serde::Deserialize;

/// A node of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Node {
    /// Play a prompt, then go on.
    Announce {
        /// Prompt name (a WAV file in the prompts folder).
        prompt: String,
        /// Next node.
        next: String,
    },
    /// Play a prompt and wait for a key.
    Menu {
        /// Prompt name.
        prompt: String,
        /// Key → node.
        options: BTreeMap<String, String>,
        /// Seconds to wait for a key after the prompt.
        #[serde(default = "default_timeout")]
        timeout_s: u32,
        /// How many times the menu is replayed on no key or a wrong key.
        #[serde(default = "default_retries")]
        retries: u32,
        /// Where to go when the retries run out.
        default: String,
    },
    /// Branch on office hours.
    TimeCondition {
        /// Calendar name.
        calendar: String,
        /// Node when open.
        open: String,
        /// Node when closed (after hours, holiday).
        closed: String,
    },
    /// Wait for an agent.
    Queue {
        /// The queue.
        queue: QueueId,
        /// Priority added to the caller's own.
        #[serde(default)]
        priority: i32,
    },
    /// Record a voice message.
    Voicemail {
        /// Prompt played first.
        prompt: String,
        /// Mailbox.
        mailbox: String,
    },
    /// Take a callback request (the caller's number).
    Callback {
        /// Prompt played first.
        prompt: String,
    },
    /// End the call, after an optional prompt.
    Hangup {
        /// Prompt played first.
        #[serde(default)]
        prompt: Option<String>,
    },
}

fn default_timeout() -> u32 {
    5
}

fn default_retries() -> u32 {
    2
}

impl Node {
    /// The prompt this node plays, if any.
    fn prompt(&self) -> Option<&str> {
        match self {
            Self::Announce { prompt, .. }
            | Self::Menu { prompt, .. }
            | Self::Voicemail { prompt, .. }
            | Self::Callback { prompt } => Some(prompt),
            Self::Hangup { prompt } => prompt.as_deref(),
            Self::TimeCondition { .. } | Self::Queue { .. } => None,
        }
    }

    fn successors(&self) -> Vec<&str> {
        match self {
            Self::Announce { next, .. } => vec![next],
            Self::Menu {
                options, default, ..
            } => options
                .values()
                .map(String::as_str)
                .chain([default.as_str()])
                .collect(),
            Self::TimeCondition { open, closed, .. } => vec![open, closed],
            Self::Queue { .. }
            | Self::Voicemail { .. }
            | Self::Callback { .. }
            | Self::Hangup { .. } => vec![],
        }
    }
}

/// A call flow.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Version number, for logs and reports.
    pub version: u32,
    /// The first node.
    pub start: String,
    /// Nodes by name.
    pub nodes: BTreeMap<String, Node>,
}

/// Why a flow is refused; the message names the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// Not valid TOML, or a key that does not belong.
    #[error("flow: {message}")]
    Syntax {
        /// The parser's message (with line and column).
        message: String,
    },
    /// A reference to a node that does not exist.
    #[error("flow node {from:?} leads to {to:?}, which does not exist")]
    UnknownNode {
        /// Where the reference is.
        from: String,
        /// What it names.
        to: String,
    },
    /// A node from which no path ends the call (a loop with no exit).
    #[error(
        "flow node {node:?} is in a cycle with no exit to a queue, voicemail, callback or hang-up"
    )]
    NoExit {
        /// The node.
        node: String,
    },
    /// A menu key that is not one keypad key.
    #[error("flow node {node:?}: menu key {key:?} is not one of 0-9, *, #")]
    BadKey {
        /// The node.
        node: String,
        /// The key.
        key: String,
    },
    /// A time condition naming a calendar that is not configured.
    #[error("flow node {node:?}: no calendar named {calendar:?}")]
    UnknownCalendar {
        /// The node.
        node: String,
        /// The calendar.
        calendar: String,
    },
}

/// Largest flow file, in bytes.
const MAX_FLOW_BYTES: usize = 1024 * 1024;

impl Flow {
    /// Parses and checks a flow.
    pub fn from_toml(text: &str) -> Result<Self, FlowError> {
        if text.len() > MAX_FLOW_BYTES {
            return Err(FlowError::Syntax {
                message: "larger than 1 MiB".into(),
            });
        }
        let flow: Flow = toml::from_str(text).map_err(|e| FlowError::Syntax {
            message: e.to_string(),
        })?;
        flow.check()?;
        Ok(flow)
    }

    /// Every prompt the flow can play, each once, in name order (for loading them up front).
    pub fn prompts(&self) -> Vec<&str> {
        let names: BTreeSet<&str> = self.nodes.values().filter_map(Node::prompt).collect();
        names.into_iter().collect()
    }

    /// Checks references, keys and exits.
    pub fn check(&self) -> Result<(), FlowError> {
        if !self.nodes.contains_key(&self.start) {
            return Err(FlowError::UnknownNode {
                from: "start".into(),
                to: self.start.clone(),
            });
        }
        for (name, node) in &self.nodes {
            for to in node.successors() {
                if !self.nodes.contains_key(to) {
                    return Err(FlowError::UnknownNode {
                        from: name.clone(),
                        to: to.to_owned(),
                    });
                }
            }
            if let Node::Menu { options, .. } = node {
                for key in options.keys() {
                    let mut chars = key.chars();
                    let ok = matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#');
                    if !ok {
                        return Err(FlowError::BadKey {
                            node: name.clone(),
                            key: key.clone(),
                        });
                    }
                }
            }
        }
        // Nodes that can reach an end, found backwards from the ends.
        let mut can_end: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.successors().is_empty())
            .map(|(k, _)| k.as_str())
            .collect();
        loop {
            let before = can_end.len();
            for (name, node) in &self.nodes {
                if node.successors().iter().any(|s| can_end.contains(s)) {
                    can_end.insert(name);
                }
            }
            if can_end.len() == before {
                break;
            }
        }
        // Every node reachable from the start must be able to end.
        let mut seen = BTreeSet::new();
        let mut stack = vec![self.start.as_str()];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            if !can_end.contains(n) {
                return Err(FlowError::NoExit { node: n.to_owned() });
            }
            if let Some(node) = self.nodes.get(n) {
                stack.extend(node.successors());
            }
        }
        Ok(())
    }

    /// Checks that every time condition names one of `calendars`.
    pub fn check_calendars(
        &self,
        calendars: &BTreeMap<String, OfficeHours>,
    ) -> Result<(), FlowError> {
        for (name, node) in &self.nodes {
            if let Node::TimeCondition { calendar, .. } = node
                && !calendars.contains_key(calendar)
            {
                return Err(FlowError::UnknownCalendar {
                    node: name.clone(),
                    calendar: calendar.clone(),
                });
            }
        }
        Ok(())
    }
}

/// The current flow, replaceable while calls run.
#[derive(Debug)]
pub struct FlowRegistry {
    current: RwLock<Arc<Flow>>,
}

impl FlowRegistry {
    /// A registry serving `flow`.
    pub fn new(flow: Flow) -> Self {
        Self {
            current: RwLock::new(Arc::new(flow)),
        }
    }

    /// The flow new calls start on.
    pub fn current(&self) -> Arc<Flow> {
        // The lock only guards an Arc swap; a poisoned lock still holds a valid Arc.
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Replaces the flow for new calls; calls already running keep theirs.
    pub fn replace(&self, flow: Flow) {
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(flow);
    }
}

/// What happened on the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowInput {
    /// The call entered the flow.
    Start,
    /// The prompt asked for finished playing.
    PromptDone,
    /// The caller pressed a key.
    Digit(char),
    /// No key came in time.
    Timeout,
}

/// What the call should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowAction {
    /// Play a prompt; answer with [`FlowInput::PromptDone`].
    Play {
        /// Prompt name.
        prompt: String,
    },
    /// Play a prompt and collect one key within `timeout_s` after it.
    Collect {
        /// Prompt name.
        prompt: String,
        /// Seconds to wait.
        timeout_s: u32,
    },
    /// Put the caller in a queue.
    Enqueue {
        /// The queue.
        queue: QueueId,
        /// Priority to add.
        priority: i32,
    },
    /// Record a voice message after the prompt.
    Voicemail {
        /// Prompt.
        prompt: String,
        /// Mailbox.
        mailbox: String,
    },
    /// Take a callback request after the prompt.
    Callback {
        /// Prompt.
        prompt: String,
    },
    /// End the call, after the prompt if any.
    Hangup {
        /// Prompt.
        prompt: Option<String>,
    },
}

/// Most steps through announcements and branches before a call must reach a wait or an end
/// (guards a flow changed to loop on itself mid-call).
const MAX_HOPS: usize = 256;

/// One call's walk through a flow (the version it started on).
#[derive(Debug, Clone)]
pub struct FlowSession {
    flow: Arc<Flow>,
    node: String,
    tries: u32,
}

impl FlowSession {
    /// A call at the start of `flow`.
    pub fn new(flow: Arc<Flow>) -> Self {
        let node = flow.start.clone();
        Self {
            flow,
            node,
            tries: 0,
        }
    }

    /// The flow version this call runs.
    pub fn version(&self) -> u32 {
        self.flow.version
    }

    /// Takes what happened and says what to do; `now` decides time conditions. A menu waits
    /// for [`FlowInput::Digit`] or [`FlowInput::Timeout`]; an input that does not apply to the
    /// current node repeats its action.
    pub fn step(
        &mut self,
        input: FlowInput,
        now: Timestamp,
        calendars: &BTreeMap<String, OfficeHours>,
    ) -> FlowAction {
        let current = self.flow.nodes.get(&self.node).cloned();
        let target = match (current, input) {
            (_, FlowInput::Start) => self.node.clone(),
            (Some(Node::Announce { next, .. }), FlowInput::PromptDone) => next,
            (
                Some(Node::Menu {
                    options,
                    retries,
                    default,
                    ..
                }),
                FlowInput::Digit(d),
            ) => match options.get(d.encode_utf8(&mut [0; 4]) as &str) {
                Some(n) => n.clone(),
                None => self.retry(retries, &default),
            },
            (
                Some(Node::Menu {
                    retries, default, ..
                }),
                FlowInput::Timeout,
            ) => self.retry(retries, &default),
            _ => self.node.clone(),
        };
        if target != self.node {
            self.tries = 0;
        }
        self.enter(&target, now, calendars, 0)
    }

    /// A wrong key or no key: the same menu again, or `default` once the retries are used.
    fn retry(&mut self, retries: u32, default: &str) -> String {
        self.tries += 1;
        if self.tries > retries {
            default.to_owned()
        } else {
            self.node.clone()
        }
    }

    /// Enters `name`, passing through time conditions at once.
    fn enter(
        &mut self,
        name: &str,
        now: Timestamp,
        calendars: &BTreeMap<String, OfficeHours>,
        hops: usize,
    ) -> FlowAction {
        let hangup = FlowAction::Hangup { prompt: None };
        if hops > MAX_HOPS {
            return hangup;
        }
        let Some(node) = self.flow.nodes.get(name).cloned() else {
            return hangup;
        };
        self.node = name.to_owned();
        match node {
            Node::Announce { prompt, .. } => FlowAction::Play { prompt },
            Node::Menu {
                prompt, timeout_s, ..
            } => FlowAction::Collect { prompt, timeout_s },
            Node::TimeCondition {
                calendar,
                open,
                closed,
            } => {
                let is_open = calendars.get(&calendar).is_some_and(|c| c.is_open(now));
                self.enter(
                    if is_open { &open } else { &closed },
                    now,
                    calendars,
                    hops + 1,
                )
            }
            Node::Queue { queue, priority } => FlowAction::Enqueue { queue, priority },
            Node::Voicemail { prompt, mailbox } => FlowAction::Voicemail { prompt, mailbox },
            Node::Callback { prompt } => FlowAction::Callback { prompt },
            Node::Hangup { prompt } => FlowAction::Hangup { prompt },
        }
    }
}
