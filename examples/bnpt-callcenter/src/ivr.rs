//! The IVR (IVR-1 to IVR-3, ACC-7a–c, f): a call's walk through its call flow — a
//! `sambung_acd::flow` graph of announcements, menus, an office-hours check, queues, voice
//! messages and callback requests — turned into what the call task does on its 20 ms tick:
//! which prompt plays, when a key is awaited, and when the call is queued, records a message,
//! leaves a callback request or ends.
//!
//! Every DID runs the built-in flow ([`DEFAULT_FLOW`], with the DID's queue) unless
//! `[[dids]] flow` names a TOML file of its own. The built-in flow greets the caller, then in
//! office hours offers the information menu — 1: service hours, 2: how to report, 0 or no key:
//! an agent — and outside them the after-hours choice — 1: a voice message, 2: a callback.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sambung_acd::flow::{Flow, FlowAction, FlowInput, FlowSession};
use sambung_core::calendar::OfficeHours;
use sambung_core::ids::QueueId;

use crate::media_leg::Prompt;

/// The built-in call flow; `{queue}` is replaced by the DID's queue.
pub(crate) const DEFAULT_FLOW: &str = include_str!("../flows/default.toml");

/// The calendar name flows use for the configured office hours.
pub(crate) const OFFICE: &str = "office";

/// Longest voice message.
pub(crate) const MAX_MESSAGE: Duration = Duration::from_secs(120);

/// Why a flow cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IvrError {
    #[error("call flow {name}: {source}")]
    Flow {
        name: String,
        #[source]
        source: sambung_acd::flow::FlowError,
    },
    #[error("call flow {name}: cannot read {path}: {source}")]
    Read {
        name: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("call flow {name} plays prompt {prompt:?}, which is not in the prompts folder")]
    MissingPrompt { name: String, prompt: String },
    #[error("call flow {name}: {reason}")]
    BadPrompt { name: String, reason: String },
}

/// Every prompt a flow names, loaded.
pub(crate) type Prompts = HashMap<String, Arc<[i16]>>;

/// Parses and checks a flow (`name` is for messages); `queue` fills `{queue}`.
pub(crate) fn load_flow(name: &str, text: &str, queue: &str) -> Result<Flow, IvrError> {
    Flow::from_toml(&text.replace("{queue}", queue)).map_err(|source| IvrError::Flow {
        name: name.to_owned(),
        source,
    })
}

/// The call flow of a DID: its own file, or the built-in flow with its queue; checked against
/// the office-hours calendar.
pub(crate) fn did_flow(
    did: &crate::config::DidConfig,
    office_hours: &OfficeHours,
) -> Result<Flow, IvrError> {
    let name = did.number.as_str();
    let text = match &did.flow {
        Some(path) => read_flow(name, path)?,
        None => DEFAULT_FLOW.to_owned(),
    };
    let flow = load_flow(name, &text, did.queue.as_str())?;
    let mut calendars = BTreeMap::new();
    calendars.insert(OFFICE.to_owned(), office_hours.clone());
    flow.check_calendars(&calendars)
        .map_err(|source| IvrError::Flow {
            name: name.to_owned(),
            source,
        })?;
    Ok(flow)
}

/// Loads every prompt the flows name from `folder` (`NAME.wav`); `beep` is built in when no
/// file is there.
pub(crate) fn load_prompts<'a>(
    folder: &Path,
    flows: impl IntoIterator<Item = (&'a str, &'a Flow)>,
) -> Result<Prompts, IvrError> {
    let mut prompts = Prompts::new();
    for (flow_name, flow) in flows {
        for name in flow.prompts() {
            if prompts.contains_key(name) {
                continue;
            }
            let name = name.to_owned();
            let file = format!("{name}.wav");
            let samples = if !folder.join(&file).exists() && name == "beep" {
                crate::prompts::beep()
            } else if !folder.join(&file).exists() {
                return Err(IvrError::MissingPrompt {
                    name: flow_name.to_owned(),
                    prompt: name,
                });
            } else {
                crate::prompts::load_file(folder, &file).map_err(|e| IvrError::BadPrompt {
                    name: flow_name.to_owned(),
                    reason: e.to_string(),
                })?
            };
            prompts.insert(name, Arc::from(samples));
        }
    }
    Ok(prompts)
}

/// Reads a flow file.
pub(crate) fn read_flow(name: &str, path: &Path) -> Result<String, IvrError> {
    std::fs::read_to_string(path).map_err(|source| IvrError::Read {
        name: name.to_owned(),
        path: path.display().to_string(),
        source,
    })
}

/// How a call left the IVR, for its CDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Still in the flow.
    Running,
    /// Waiting in (or served from) a queue.
    Queued,
    /// Recording a voice message.
    Voicemail,
    /// A callback was requested.
    Callback,
    /// The flow ended the call.
    Ended,
}

/// What the call task must do after a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing new.
    Nothing,
    /// Put the caller in this queue.
    Enqueue { queue: QueueId, priority: i32 },
    /// Store a callback request.
    RequestCallback,
    /// Hang up.
    Hangup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// For the prompt to finish.
    Prompt,
    /// For a key; the deadline starts when the prompt has finished.
    Key {
        timeout: Duration,
        until: Option<Instant>,
    },
    /// For the caller (queued, or recording a message until the deadline).
    Caller { until: Option<Instant> },
    /// For the prompt to finish, then hang up.
    HangupAfterPrompt,
}

/// One call in its flow.
pub(crate) struct Ivr {
    session: FlowSession,
    prompts: Arc<Prompts>,
    calendars: BTreeMap<String, OfficeHours>,
    waiting: Waiting,
    /// What plays now.
    pub(crate) prompt: Prompt,
    pub(crate) outcome: Outcome,
    node_keyed: String,
}

impl Ivr {
    /// A call entering `flow` at wall time `wall`; returns the IVR and the first step.
    pub(crate) fn start(
        flow: Arc<Flow>,
        prompts: Arc<Prompts>,
        office_hours: &OfficeHours,
        wall: Timestamp,
        now: Instant,
    ) -> (Self, Step) {
        let mut calendars = BTreeMap::new();
        calendars.insert(OFFICE.to_owned(), office_hours.clone());
        let mut session = FlowSession::new(flow);
        let action = session.step(FlowInput::Start, wall, &calendars);
        let mut ivr = Self {
            session,
            prompts,
            calendars,
            waiting: Waiting::Prompt,
            prompt: Prompt::new(Arc::from(Vec::new())),
            outcome: Outcome::Running,
            node_keyed: String::new(),
        };
        let step = ivr.apply(action, now);
        (ivr, step)
    }

    fn play(&mut self, name: &str) {
        let samples = self
            .prompts
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()));
        self.prompt = Prompt::new(samples);
    }

    fn apply(&mut self, action: FlowAction, now: Instant) -> Step {
        match action {
            FlowAction::Play { prompt } => {
                self.play(&prompt);
                self.waiting = Waiting::Prompt;
                Step::Nothing
            }
            FlowAction::Collect { prompt, timeout_s } => {
                self.node_keyed = prompt.clone();
                self.play(&prompt);
                self.waiting = Waiting::Key {
                    timeout: Duration::from_secs(u64::from(timeout_s)),
                    until: None,
                };
                Step::Nothing
            }
            FlowAction::Enqueue { queue, priority } => {
                self.prompt = Prompt::new(Arc::from(Vec::new()));
                self.waiting = Waiting::Caller { until: None };
                self.outcome = Outcome::Queued;
                Step::Enqueue { queue, priority }
            }
            FlowAction::Voicemail { prompt, .. } => {
                self.play(&prompt);
                self.waiting = Waiting::Caller {
                    until: Some(now + MAX_MESSAGE),
                };
                self.outcome = Outcome::Voicemail;
                Step::Nothing
            }
            FlowAction::Callback { prompt } => {
                self.play(&prompt);
                self.waiting = Waiting::HangupAfterPrompt;
                self.outcome = Outcome::Callback;
                Step::RequestCallback
            }
            FlowAction::Hangup { prompt } => {
                match prompt {
                    Some(p) => self.play(&p),
                    None => self.prompt = Prompt::new(Arc::from(Vec::new())),
                }
                self.waiting = Waiting::HangupAfterPrompt;
                if self.outcome == Outcome::Running {
                    self.outcome = Outcome::Ended;
                }
                Step::Nothing
            }
        }
    }

    /// One tick: `key` is a key the caller pressed (keys count only while a menu waits).
    /// Returns the key as the CDR records it (`prompt:key`), if one was taken, and the step.
    pub(crate) fn tick(
        &mut self,
        now: Instant,
        wall: Timestamp,
        key: Option<char>,
    ) -> (Option<String>, Step) {
        match self.waiting {
            Waiting::Prompt if self.prompt.done() => {
                let action = self
                    .session
                    .step(FlowInput::PromptDone, wall, &self.calendars);
                (None, self.apply(action, now))
            }
            Waiting::Key { timeout, until } => {
                if let Some(k) = key {
                    let keyed = format!("{}:{k}", self.node_keyed);
                    let action = self
                        .session
                        .step(FlowInput::Digit(k), wall, &self.calendars);
                    return (Some(keyed), self.apply(action, now));
                }
                match until {
                    None if self.prompt.done() => {
                        self.waiting = Waiting::Key {
                            timeout,
                            until: Some(now + timeout),
                        };
                        (None, Step::Nothing)
                    }
                    Some(u) if now >= u => {
                        let action = self.session.step(FlowInput::Timeout, wall, &self.calendars);
                        (None, self.apply(action, now))
                    }
                    _ => (None, Step::Nothing),
                }
            }
            Waiting::Caller { until: Some(u) } if now >= u => (None, Step::Hangup),
            Waiting::HangupAfterPrompt if self.prompt.done() => (None, Step::Hangup),
            _ => (None, Step::Nothing),
        }
    }

    /// Whether the IVR takes keys now (a menu waits); other keys are left for others (the
    /// survey) or dropped.
    pub(crate) fn wants_keys(&self) -> bool {
        matches!(self.waiting, Waiting::Key { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> OfficeHours {
        OfficeHours::weekdays("Asia/Jakarta", "08:00-17:00").unwrap()
    }

    fn prompts(flow: &Flow) -> Arc<Prompts> {
        // 40 ms of silence each: two ticks.
        Arc::new(
            flow.prompts()
                .into_iter()
                .map(|n| (n.to_owned(), Arc::from(vec![0i16; 320])))
                .collect(),
        )
    }

    /// Ticks until something happens (at most `limit` ticks of 20 ms).
    fn run(
        ivr: &mut Ivr,
        now: &mut Instant,
        wall: Timestamp,
        key: Option<char>,
        limit: usize,
    ) -> (Option<String>, Step) {
        let mut key = key;
        for _ in 0..limit {
            *now += Duration::from_millis(20);
            for _ in 0..160 {
                let _ = ivr.prompt.next_frame();
            }
            let got = ivr.tick(*now, wall, if ivr.wants_keys() { key.take() } else { None });
            if got != (None, Step::Nothing) {
                return got;
            }
        }
        (None, Step::Nothing)
    }

    const OPEN: &str = "2026-11-30T03:00:00Z"; // Monday 10:00 WIB
    const CLOSED: &str = "2026-11-29T03:00:00Z"; // Sunday

    fn start(at: &str) -> (Ivr, Instant, Timestamp, Step) {
        let flow = load_flow("default", DEFAULT_FLOW, "pengaduan").unwrap();
        let wall: Timestamp = at.parse().unwrap();
        let now = Instant::now();
        let prompts = prompts(&flow);
        let (ivr, step) = Ivr::start(Arc::new(flow), prompts, &office(), wall, now);
        (ivr, now, wall, step)
    }

    #[test]
    fn the_default_flow_names_its_prompts() {
        let flow = load_flow("default", DEFAULT_FLOW, "pengaduan").unwrap();
        let names = flow.prompts();
        for p in [
            "welcome",
            "menu",
            "info_hours",
            "info_report",
            "after_hours",
            "callback",
        ] {
            assert!(names.contains(&p), "{p} in {names:?}");
        }
    }

    #[test]
    fn no_key_at_the_menu_reaches_the_queue() {
        let (mut ivr, mut now, wall, step) = start(OPEN);
        assert_eq!(step, Step::Nothing, "the greeting plays first");
        let (keyed, step) = run(&mut ivr, &mut now, wall, None, 1000);
        assert_eq!(keyed, None);
        assert_eq!(
            step,
            Step::Enqueue {
                queue: QueueId::new("pengaduan").unwrap(),
                priority: 0
            }
        );
        assert_eq!(ivr.outcome, Outcome::Queued);
    }

    #[test]
    fn an_information_key_plays_its_announcement_then_the_menu_again() {
        let (mut ivr, mut now, wall, _) = start(OPEN);
        // Through the greeting to the menu.
        while !ivr.wants_keys() {
            now += Duration::from_millis(20);
            for _ in 0..160 {
                let _ = ivr.prompt.next_frame();
            }
            ivr.tick(now, wall, None);
        }
        let (keyed, step) = ivr.tick(now, wall, Some('1'));
        assert_eq!(keyed.as_deref(), Some("menu:1"));
        assert_eq!(step, Step::Nothing);
        assert!(!ivr.wants_keys(), "the announcement plays");
        // After it, the menu again; 0 asks for an agent.
        while !ivr.wants_keys() {
            now += Duration::from_millis(20);
            for _ in 0..160 {
                let _ = ivr.prompt.next_frame();
            }
            ivr.tick(now, wall, None);
        }
        let (keyed, step) = ivr.tick(now, wall, Some('0'));
        assert_eq!(keyed.as_deref(), Some("menu:0"));
        assert!(matches!(step, Step::Enqueue { .. }));
    }

    #[test]
    fn after_hours_a_caller_chooses_a_message_or_a_callback_or_nothing() {
        let (mut ivr, mut now, wall, _) = start(CLOSED);
        let (keyed, step) = run(&mut ivr, &mut now, wall, Some('2'), 1000);
        assert_eq!(keyed.as_deref(), Some("after_hours:2"));
        assert_eq!(step, Step::RequestCallback);
        assert_eq!(ivr.outcome, Outcome::Callback);
        assert_eq!(
            run(&mut ivr, &mut now, wall, None, 1000),
            (None, Step::Hangup)
        );

        let (mut ivr, mut now, wall, _) = start(CLOSED);
        let (keyed, _) = run(&mut ivr, &mut now, wall, Some('1'), 1000);
        assert_eq!(keyed.as_deref(), Some("after_hours:1"));
        assert_eq!(ivr.outcome, Outcome::Voicemail);
        // The message may last MAX_MESSAGE.
        let ticks = usize::try_from(MAX_MESSAGE.as_millis() / 20).unwrap() + 10;
        assert_eq!(
            run(&mut ivr, &mut now, wall, None, ticks),
            (None, Step::Hangup)
        );

        let (mut ivr, mut now, wall, _) = start(CLOSED);
        assert_eq!(
            run(&mut ivr, &mut now, wall, None, 2000),
            (None, Step::Hangup)
        );
        assert_eq!(ivr.outcome, Outcome::Ended);
    }
}
