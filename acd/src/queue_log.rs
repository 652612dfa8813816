//! Asterisk-compatible `queue_log` lines (`epoch|callid|queue|agent|EVENT|data1|data2|data3`),
//! written from the event log so existing wallboards and reporting tools can read us.
//!
//! Events: `ENTERQUEUE`, `CONNECT` (hold time, bridged call, ring time), `RINGNOANSWER` (ring
//! time in ms), `ABANDON` (position, original position, wait), `EXITWITHTIMEOUT`,
//! `EXITEMPTY`, `EXITWITHKEY`, `COMPLETECALLER`/`COMPLETEAGENT` (hold time, talk time, original
//! position), `AGENTLOGIN`, `AGENTLOGOFF`, `PAUSE` (reason), `UNPAUSE`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use sambung_core::event::{AgentState, EndCause, Event, EventKind, Projection, QueueExit};
use sambung_core::ids::{AgentId, CallId, QueueId};

#[derive(Debug, Clone)]
struct CallInfo {
    queue: QueueId,
    joined: Instant,
    position: usize,
    offered: Option<Instant>,
    connected: Option<(AgentId, Instant, u64)>,
}

/// Turns events into `queue_log` lines; collect them with [`QueueLog::take_lines`].
#[derive(Debug, Clone, Default)]
pub struct QueueLog {
    calls: HashMap<CallId, CallInfo>,
    waiting: HashMap<QueueId, usize>,
    paused: HashMap<AgentId, bool>,
    lines: Vec<String>,
}

impl QueueLog {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines written since the last call.
    pub fn take_lines(&mut self) -> Vec<String> {
        std::mem::take(&mut self.lines)
    }

    fn line(
        &mut self,
        event: &Event,
        call: &str,
        queue: &str,
        agent: &str,
        name: &str,
        data: &[String],
    ) {
        let mut l = format!("{}|{call}|{queue}|{agent}|{name}", event.wall.as_second());
        for d in data {
            let _ = write!(l, "|{d}");
        }
        self.lines.push(l);
    }
}

fn agent_name(agent: &AgentId) -> String {
    format!("Agent/{agent}")
}

impl Projection for QueueLog {
    fn apply(&mut self, event: &Event) {
        let at = event.at;
        match &event.kind {
            EventKind::QueueJoined { call, queue, .. } => {
                let position = {
                    let w = self.waiting.entry(queue.clone()).or_default();
                    *w += 1;
                    *w
                };
                self.calls.insert(
                    *call,
                    CallInfo {
                        queue: queue.clone(),
                        joined: at,
                        position,
                        offered: None,
                        connected: None,
                    },
                );
                self.line(
                    event,
                    &call.to_string(),
                    queue.as_str(),
                    "NONE",
                    "ENTERQUEUE",
                    &[String::new(), String::new(), position.to_string()],
                );
            }
            EventKind::Offered { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.offered = Some(at);
                }
            }
            EventKind::OfferFailed { call, queue, agent } => {
                let ring_ms = self
                    .calls
                    .get(call)
                    .and_then(|c| c.offered)
                    .map_or(0, |o| at.saturating_duration_since(o).as_millis());
                self.line(
                    event,
                    &call.to_string(),
                    queue.as_str(),
                    &agent_name(agent),
                    "RINGNOANSWER",
                    &[ring_ms.to_string()],
                );
            }
            EventKind::QueueAnswered { call, queue, agent } => {
                let Some(c) = self.calls.get_mut(call) else {
                    return;
                };
                let hold = at.saturating_duration_since(c.joined).as_secs();
                let ring = c
                    .offered
                    .map_or(0, |o| at.saturating_duration_since(o).as_secs());
                c.connected = Some((agent.clone(), at, hold));
                if let Some(w) = self.waiting.get_mut(queue) {
                    *w = w.saturating_sub(1);
                }
                self.line(
                    event,
                    &call.to_string(),
                    queue.as_str(),
                    &agent_name(agent),
                    "CONNECT",
                    &[hold.to_string(), call.to_string(), ring.to_string()],
                );
            }
            EventKind::QueueLeft { call, queue, exit } => {
                let Some(c) = self.calls.remove(call) else {
                    return;
                };
                if let Some(w) = self.waiting.get_mut(queue) {
                    *w = w.saturating_sub(1);
                }
                let wait = at.saturating_duration_since(c.joined).as_secs();
                let name = match exit {
                    QueueExit::Abandoned => "ABANDON",
                    QueueExit::Timeout | QueueExit::Overflow => "EXITWITHTIMEOUT",
                    QueueExit::NoAgents | QueueExit::Full => "EXITEMPTY",
                    _ => "EXITWITHKEY",
                };
                self.line(
                    event,
                    &call.to_string(),
                    queue.as_str(),
                    "NONE",
                    name,
                    &[
                        c.position.to_string(),
                        c.position.to_string(),
                        wait.to_string(),
                    ],
                );
            }
            EventKind::CallEnded { call, cause } => {
                let Some(c) = self.calls.remove(call) else {
                    return;
                };
                let Some((agent, connected, hold)) = c.connected else {
                    return;
                };
                let talk = at.saturating_duration_since(connected).as_secs();
                let name = if *cause == EndCause::CallerHangup {
                    "COMPLETECALLER"
                } else {
                    "COMPLETEAGENT"
                };
                self.line(
                    event,
                    &call.to_string(),
                    c.queue.as_str(),
                    &agent_name(&agent),
                    name,
                    &[hold.to_string(), talk.to_string(), c.position.to_string()],
                );
            }
            EventKind::AgentLoggedIn { agent, extension } => {
                self.line(
                    event,
                    "NONE",
                    "NONE",
                    &agent_name(agent),
                    "AGENTLOGIN",
                    std::slice::from_ref(extension),
                );
            }
            EventKind::AgentLoggedOut { agent } => {
                self.paused.remove(agent);
                self.line(
                    event,
                    "NONE",
                    "NONE",
                    &agent_name(agent),
                    "AGENTLOGOFF",
                    &[String::new()],
                );
            }
            EventKind::AgentStateChanged { agent, state } => {
                let was = self.paused.get(agent).copied().unwrap_or(false);
                match state {
                    AgentState::NotReady { reason } => {
                        self.paused.insert(agent.clone(), true);
                        self.line(
                            event,
                            "NONE",
                            "NONE",
                            &agent_name(agent),
                            "PAUSE",
                            &[reason.to_string()],
                        );
                    }
                    AgentState::Available if was => {
                        self.paused.insert(agent.clone(), false);
                        self.line(
                            event,
                            "NONE",
                            "NONE",
                            &agent_name(agent),
                            "UNPAUSE",
                            &[String::new()],
                        );
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}
