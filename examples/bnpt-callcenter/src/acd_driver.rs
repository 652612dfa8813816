//! The ACD as the call center runs it: `sambung_acd::center::Center` (the scheduler with its
//! CMS projection) behind a lock, fed by the call tasks, its timers run by one task, and every
//! event it logs appended to the `acd_events` table, so that the CMS figures survive a restart
//! or a `kill -9`: at start-up the table is replayed into the projection.
//!
//! Instants are derived from the wall clock (`base + (wall − base_wall)`, never going
//! backwards), the same way for replayed and live events, so durations between an event before
//! a restart and one after come out right.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use sambung_acd::center::Center;
use sambung_acd::cms::{Cms, CmsConfig, QueueStats};
use sambung_acd::feature_codes::FeatureCode;
use sambung_acd::queue_log::QueueLog;
use sambung_acd::{AcdConfig, Action, Input, QueueConfig, Strategy};
use sambung_core::event::{AgentState, Event, EventKind, EventSeq, Projection};
use sambung_core::ids::{AgentId, CallId, QueueId};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc, watch};
use tracing::{debug, info, warn};

use crate::store::{Store, StoreError};
use crate::sync::lock;

/// What the ACD asks of a call task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AcdOrder {
    /// The call cannot stay queued (full, timed out, no agents): end it.
    Leave,
    /// Ring this agent at the phone they logged in from.
    Offer { agent: AgentId, extension: String },
    /// Stop ringing the agent.
    CancelOffer,
}

/// Why a feature code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FeatureRefusal {
    #[error("wrong agent or PIN")]
    WrongPin,
    #[error("no agent is logged in at this phone")]
    NotLoggedIn,
    #[error("the ACD refused the change")]
    Refused,
    #[error("not an agent feature code")]
    Unsupported,
}

/// Wall-clock times as the scheduler's instants.
#[derive(Debug)]
pub(crate) struct WallInstants {
    base: Instant,
    base_wall: Timestamp,
    last: Instant,
}

impl WallInstants {
    /// `base_wall` maps to now.
    pub(crate) fn new(base_wall: Timestamp) -> Self {
        let base = Instant::now();
        Self {
            base,
            base_wall,
            last: base,
        }
    }

    /// The instant of `wall`: `base + (wall − base_wall)`, never before the last one given.
    pub(crate) fn at(&mut self, wall: Timestamp) -> Instant {
        let since = wall.duration_since(self.base_wall);
        let mapped = Duration::try_from(since).map_or(self.base, |d| self.base + d);
        self.last = self.last.max(mapped);
        self.last
    }
}

struct Inner {
    center: Center,
    clock: WallInstants,
    calls: HashMap<CallId, mpsc::Sender<AcdOrder>>,
    queues: Vec<QueueId>,
    /// Agent → the extension (phone) they logged in at, and back.
    extension_of: HashMap<AgentId, String>,
    agent_at: HashMap<String, AgentId>,
    /// Calls an agent answered.
    connected: HashSet<CallId>,
}

/// A state change an agent makes at the agent desk in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeskChange {
    Login,
    Logout,
    Ready,
    NotReady(sambung_core::ids::ReasonCode),
    WrapUpDone,
}

/// The running ACD.
pub(crate) struct AcdDriver {
    inner: Mutex<Inner>,
    store: Store,
    wake: Notify,
    /// Asterisk-compatible `queue_log` lines, appended to the data folder's `queue_log` file.
    queue_log: Mutex<(QueueLog, Option<std::fs::File>)>,
}

/// Why the ACD could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AcdStartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("acd_events row {seq}: {reason}")]
    BadEvent { seq: i64, reason: String },
}

/// Rebuilds the events of the `acd_events` table (seq, wall ms, JSON kind), in order, with
/// instants from their wall times by the rule the running ACD uses; the clock starts at the
/// first event (or `otherwise`, for an empty table) and goes on for live events.
pub(crate) fn stored_events(
    rows: Vec<(i64, i64, String)>,
    otherwise: Timestamp,
) -> Result<(WallInstants, Vec<Event>), AcdStartError> {
    let decoded = decode_events(rows)?;
    let mut clock = WallInstants::new(decoded.first().map_or(otherwise, |(_, wall, _)| *wall));
    let events = decoded
        .into_iter()
        .map(|(seq, wall, kind)| Event {
            seq,
            at: clock.at(wall),
            wall,
            kind,
        })
        .collect();
    Ok((clock, events))
}

fn decode_events(
    rows: Vec<(i64, i64, String)>,
) -> Result<Vec<(EventSeq, Timestamp, EventKind)>, AcdStartError> {
    rows.into_iter()
        .map(|(seq, wall_ms, kind)| {
            let bad = |reason: String| AcdStartError::BadEvent { seq, reason };
            let wall = Timestamp::from_millisecond(wall_ms).map_err(|e| bad(e.to_string()))?;
            let kind: EventKind = serde_json::from_str(&kind).map_err(|e| bad(e.to_string()))?;
            let seq = u64::try_from(seq).map_err(|e| bad(e.to_string()))?;
            Ok((EventSeq::new(seq), wall, kind))
        })
        .collect()
}

impl AcdDriver {
    /// The ACD for `queues`, its projection (counted by `cms`) rebuilt from the stored events.
    pub(crate) async fn open(
        store: Store,
        queues: &[QueueId],
        cms: CmsConfig,
    ) -> Result<Self, AcdStartError> {
        let (clock, events) = stored_events(store.acd_events().await?, Timestamp::now())?;
        let mut center = Center::new(AcdConfig::default(), cms, clock.base, clock.base_wall);
        for q in queues {
            center.add_queue(QueueConfig::new(q.clone(), Strategy::LongestIdle));
        }
        for event in &events {
            center.replay(event);
        }
        center.keep_journal();
        Ok(Self {
            inner: Mutex::new(Inner {
                center,
                clock,
                calls: HashMap::new(),
                queues: queues.to_vec(),
                extension_of: HashMap::new(),
                agent_at: HashMap::new(),
                connected: HashSet::new(),
            }),
            queue_log: Mutex::new((QueueLog::new(), open_queue_log(&store))),
            store,
            wake: Notify::new(),
        })
    }

    /// Runs `step` on the scheduler at the current time, dispatches the actions it produced,
    /// and stores the events it logged; returns what `step` returned.
    async fn advance<R>(&self, step: impl FnOnce(&mut Center, Instant) -> R) -> R {
        let (result, events) = {
            let mut inner = lock(&self.inner);
            let now = inner.clock.at(Timestamp::now());
            let result = step(&mut inner.center, now);
            Self::dispatch(&mut inner);
            let events: Vec<Event> = std::iter::from_fn(|| inner.center.poll_journal()).collect();
            (result, events)
        };
        self.persist(&events).await;
        result
    }

    /// Feeds an input at the current time; false if the scheduler refused it.
    async fn handle(&self, input: Input) -> bool {
        let ok = self
            .advance(|center, now| match center.handle(now, input) {
                Ok(()) => true,
                Err(e) => {
                    warn!(error = %e, "ACD refused an input");
                    false
                }
            })
            .await;
        self.wake.notify_one();
        ok
    }

    /// A feature code keyed at `extension`: log in (with the agent's PIN, from `pins`) to
    /// `queues`, log out, ready, not ready, wrap-up done. Returns what was done.
    pub(crate) async fn feature(
        &self,
        extension: &str,
        code: FeatureCode,
        pins: &BTreeMap<String, String>,
        queues: Vec<QueueId>,
    ) -> Result<&'static str, FeatureRefusal> {
        let at_phone = lock(&self.inner).agent_at.get(extension).cloned();
        let (input, done) = match code {
            FeatureCode::Login { agent, pin } => {
                let expected = pins.get(agent.as_str());
                let same = expected.is_some_and(|p| crate::secrets::same_secret(&pin, p));
                if !same {
                    return Err(FeatureRefusal::WrongPin);
                }
                {
                    let mut inner = lock(&self.inner);
                    if let Some(old) = inner
                        .extension_of
                        .insert(agent.clone(), extension.to_owned())
                    {
                        inner.agent_at.remove(&old);
                    }
                    inner.agent_at.insert(extension.to_owned(), agent.clone());
                }
                (Input::AgentLogin { agent, queues }, "logged in")
            }
            FeatureCode::Logout => {
                let agent = at_phone.ok_or(FeatureRefusal::NotLoggedIn)?;
                {
                    let mut inner = lock(&self.inner);
                    inner.extension_of.remove(&agent);
                    inner.agent_at.remove(extension);
                }
                (Input::AgentLogout { agent }, "logged out")
            }
            FeatureCode::Ready => {
                let agent = at_phone.ok_or(FeatureRefusal::NotLoggedIn)?;
                (Input::AgentReady { agent }, "ready")
            }
            FeatureCode::NotReady { reason } => {
                let agent = at_phone.ok_or(FeatureRefusal::NotLoggedIn)?;
                (Input::AgentNotReady { agent, reason }, "not ready")
            }
            FeatureCode::WrapUpDone => {
                let agent = at_phone.ok_or(FeatureRefusal::NotLoggedIn)?;
                (Input::WrapUpDone { agent }, "wrap-up done")
            }
            FeatureCode::Supervise { .. } => return Err(FeatureRefusal::Unsupported),
        };
        let seat = match &input {
            Input::AgentLogin { agent, .. } => Some((agent.clone(), Some(extension))),
            Input::AgentLogout { agent } => Some((agent.clone(), None)),
            _ => None,
        };
        if self.handle(input).await {
            if let Some((agent, at)) = seat
                && let Err(e) = self.store.set_seat(agent.as_str(), at).await
            {
                warn!(%agent, error = %e, "agent's seat not stored");
            }
            Ok(done)
        } else {
            Err(FeatureRefusal::Refused)
        }
    }

    /// After a restart: every agent the stored events leave logged in is logged in again at
    /// the phone they sat at, ready or not ready as they were (a call they were on was cut
    /// off, so they come back ready); an agent whose seat is unknown is logged out.
    pub(crate) async fn restore_agents(&self, agent_queues: &HashMap<String, Vec<QueueId>>) {
        let seats: HashMap<String, String> = match self.store.seats().await {
            Ok(rows) => rows.into_iter().collect(),
            Err(e) => {
                warn!(error = %e, "agents' seats not read: they must log in again");
                HashMap::new()
            }
        };
        let logged_in: Vec<(AgentId, AgentState)> = lock(&self.inner)
            .center
            .cms()
            .agents_now()
            .filter_map(|a| Some((a.agent.clone(), a.state?.clone())))
            .collect();
        for (agent, state) in logged_in {
            let queues = agent_queues
                .get(agent.as_str())
                .cloned()
                .unwrap_or_default();
            self.handle(Input::AgentLogin {
                agent: agent.clone(),
                queues,
            })
            .await;
            let Some(extension) = seats.get(agent.as_str()) else {
                self.handle(Input::AgentLogout { agent }).await;
                continue;
            };
            {
                let mut inner = lock(&self.inner);
                inner.extension_of.insert(agent.clone(), extension.clone());
                inner.agent_at.insert(extension.clone(), agent.clone());
            }
            info!(%agent, %extension, "agent back at their phone after the restart");
            let input = match state {
                AgentState::NotReady { reason } => Input::AgentNotReady { agent, reason },
                _ => Input::AgentReady { agent },
            };
            self.handle(input).await;
        }
    }

    /// The agent answered the offer of `call`.
    pub(crate) async fn offer_answered(&self, call: CallId, agent: AgentId) {
        lock(&self.inner).connected.insert(call);
        self.handle(Input::OfferAnswered { call, agent }).await;
    }

    /// The extension where `agent` is logged in, if they are.
    pub(crate) fn extension_of(&self, agent: &AgentId) -> Option<String> {
        lock(&self.inner).extension_of.get(agent).cloned()
    }

    /// The agent put the caller on hold (`held`) or took them off it.
    pub(crate) async fn hold(&self, call: CallId, held: bool) {
        self.handle(Input::Hold { call, held }).await;
    }

    /// The agent's phone refused the offer or could not be reached.
    pub(crate) async fn offer_failed(&self, call: CallId, agent: AgentId) {
        self.handle(Input::OfferFailed { call, agent }).await;
    }

    fn dispatch(inner: &mut Inner) {
        while let Some(action) = inner.center.poll_action() {
            match action {
                Action::Reject { call, exit } => {
                    debug!(%call, ?exit, "call leaves the queue");
                    if let Some(tx) = inner.calls.get(&call) {
                        let _ = tx.try_send(AcdOrder::Leave);
                    }
                }
                Action::Offer { call, agent } => {
                    let order = inner
                        .extension_of
                        .get(&agent)
                        .map(|extension| AcdOrder::Offer {
                            agent: agent.clone(),
                            extension: extension.clone(),
                        });
                    match (order, inner.calls.get(&call)) {
                        (Some(order), Some(tx)) => {
                            let _ = tx.try_send(order);
                        }
                        _ => warn!(%call, %agent, "offer cannot be delivered"),
                    }
                }
                Action::CancelOffer { call, .. } => {
                    if let Some(tx) = inner.calls.get(&call) {
                        let _ = tx.try_send(AcdOrder::CancelOffer);
                    }
                }
                other => debug!(?other, "ACD action"),
            }
        }
    }

    async fn persist(&self, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        {
            let mut guard = lock(&self.queue_log);
            let (log, file) = &mut *guard;
            for e in events {
                log.apply(e);
            }
            let lines = log.take_lines();
            if let Some(f) = file.as_mut()
                && !lines.is_empty()
            {
                use std::io::Write as _;
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                if let Err(e) = f.write_all(text.as_bytes()) {
                    warn!(error = %e, "queue_log not written");
                }
            }
        }
        let rows: Vec<(i64, i64, String)> = events
            .iter()
            .filter_map(|e| {
                let seq = i64::try_from(e.seq.get()).ok()?;
                let kind = serde_json::to_string(&e.kind).ok()?;
                Some((seq, e.wall.as_millisecond(), kind))
            })
            .collect();
        if let Err(e) = self.store.append_acd_events(&rows).await {
            warn!(error = %e, events = rows.len(), "ACD events not stored");
        }
    }

    /// A caller enters `queue` with `priority`; `orders` reaches the call task.
    pub(crate) async fn call_arrived(
        &self,
        call: CallId,
        queue: QueueId,
        priority: i32,
        orders: mpsc::Sender<AcdOrder>,
    ) {
        lock(&self.inner).calls.insert(call, orders);
        self.handle(Input::CallArrived {
            call,
            queue,
            priority,
        })
        .await;
    }

    /// The call is over: abandoned if no agent had answered it, ended otherwise.
    pub(crate) async fn call_gone(&self, call: CallId) {
        let (known, connected) = {
            let mut inner = lock(&self.inner);
            (
                inner.calls.remove(&call).is_some(),
                inner.connected.remove(&call),
            )
        };
        if connected {
            self.handle(Input::CallEnded { call }).await;
        } else if known {
            self.handle(Input::CallAbandoned { call }).await;
        }
    }

    /// Runs the scheduler's timers until `stop`.
    pub(crate) async fn run_timers(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            let next = lock(&self.inner).center.poll_timeout();
            let sleep = async {
                match next {
                    Some(at) => {
                        let wait = at.saturating_duration_since(lock(&self.inner).clock.last);
                        tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            };
            tokio::select! {
                () = sleep => {}
                () = self.wake.notified() => continue,
                _ = stop.wait_for(|s| *s) => return,
            }
            self.advance(|center, now| center.handle_timeout(now)).await;
        }
    }

    /// `GET /api/v1/realtime`: per queue, the figures since the log began and callers waiting.
    pub(crate) fn realtime(&self) -> Value {
        let inner = lock(&self.inner);
        let queues: serde_json::Map<String, Value> = inner
            .queues
            .iter()
            .map(|q| {
                let now = inner.center.cms().queue(q);
                let totals = now.map(|n| n.totals.clone()).unwrap_or_default();
                let mut v = stats_json(&totals);
                v["waiting"] = json!(now.map_or(0, |n| n.waiting));
                (q.as_str().to_owned(), v)
            })
            .collect();
        let now = Timestamp::now();
        let agents: Vec<Value> = inner
            .center
            .cms()
            .agents_now()
            .map(|a| {
                let (state, reason) = match a.state {
                    None => ("logged_out", None),
                    Some(AgentState::Available) => ("available", None),
                    Some(AgentState::Ringing) => ("ringing", None),
                    Some(AgentState::OnAcdCall) => ("on_acd_call", None),
                    Some(AgentState::OnHold) => ("on_hold", None),
                    Some(AgentState::OnDirectCall) => ("on_direct_call", None),
                    Some(AgentState::AfterCallWork) => ("after_call_work", None),
                    Some(AgentState::NotReady { reason }) => ("not_ready", Some(reason.as_str())),
                    Some(_) => ("other", None),
                };
                json!({
                    "agent": a.agent.as_str(),
                    "state": state,
                    "reason": reason,
                    "since": a.since.to_string(),
                    "seconds_in_state": now.duration_since(a.since).as_secs().max(0),
                    "logged_in_at": a.logged_in.map(|t| t.to_string()),
                    "extension": inner.extension_of.get(a.agent),
                    "calls": a.calls,
                })
            })
            .collect();
        json!({ "generated_at": now.to_string(), "queues": queues, "agents": agents })
    }

    /// An agent's state changed from the browser (the agent desk, CRM-5): the same inputs as
    /// the phone's feature codes, without the PIN (the web session has authenticated the
    /// agent). Calls are offered to the phone registered as the agent's ID.
    pub(crate) async fn desk(
        &self,
        agent: AgentId,
        change: DeskChange,
        queues: Vec<QueueId>,
    ) -> Result<&'static str, FeatureRefusal> {
        let logged_in = lock(&self.inner)
            .center
            .cms()
            .logged_in_at(&agent)
            .is_some();
        let (input, done) = match change {
            DeskChange::Login => {
                {
                    let mut inner = lock(&self.inner);
                    let extension = agent.as_str().to_owned();
                    if let Some(old) = inner.extension_of.insert(agent.clone(), extension.clone()) {
                        inner.agent_at.remove(&old);
                    }
                    inner.agent_at.insert(extension, agent.clone());
                }
                (Input::AgentLogin { agent, queues }, "logged in")
            }
            _ if !logged_in => return Err(FeatureRefusal::NotLoggedIn),
            DeskChange::Logout => {
                {
                    let mut inner = lock(&self.inner);
                    if let Some(ext) = inner.extension_of.remove(&agent) {
                        inner.agent_at.remove(&ext);
                    }
                }
                (Input::AgentLogout { agent }, "logged out")
            }
            DeskChange::Ready => (Input::AgentReady { agent }, "ready"),
            DeskChange::NotReady(reason) => (Input::AgentNotReady { agent, reason }, "not ready"),
            DeskChange::WrapUpDone => (Input::WrapUpDone { agent }, "wrap-up done"),
        };
        if self.handle(input).await {
            Ok(done)
        } else {
            Err(FeatureRefusal::Refused)
        }
    }

    /// The interval rollups with starts in `[from, to)` (Unix seconds), every queue.
    pub(crate) fn intervals(&self, from: i64, to: i64) -> Value {
        intervals_json(lock(&self.inner).center.cms(), from, to)
    }

    /// Per agent, the time in each state and the ACD calls answered over the rollups with
    /// starts in `[from, to)` (Unix seconds), in seconds: the agents' part of the report
    /// (CMS-5).
    pub(crate) fn agent_totals(&self, from: i64, to: i64) -> Value {
        agent_totals_json(lock(&self.inner).center.cms(), from, to)
    }
}

/// See [`AcdDriver::agent_totals`].
pub(crate) fn agent_totals_json(cms: &Cms, from: i64, to: i64) -> Value {
    let mut totals: BTreeMap<&str, sambung_acd::cms::AgentTimes> = BTreeMap::new();
    for (_, agent, t) in cms
        .agent_rollups()
        .filter(|(start, _, _)| (from..to).contains(start))
    {
        let sum = totals.entry(agent.as_str()).or_default();
        sum.staffed += t.staffed;
        sum.available += t.available;
        sum.ringing += t.ringing;
        sum.talk += t.talk;
        sum.hold += t.hold;
        sum.direct += t.direct;
        sum.after_call_work += t.after_call_work;
        for (reason, d) in &t.not_ready {
            *sum.not_ready.entry(reason.clone()).or_default() += *d;
        }
        sum.calls += t.calls;
    }
    let rows: Vec<Value> = totals
        .into_iter()
        .map(|(agent, t)| {
            let s = |d: Duration| d.as_secs();
            json!({
                "agent": agent,
                "staffed_s": s(t.staffed),
                "available_s": s(t.available),
                "ringing_s": s(t.ringing),
                "talk_s": s(t.talk),
                "hold_s": s(t.hold),
                "direct_s": s(t.direct),
                "after_call_work_s": s(t.after_call_work),
                "not_ready_s": s(t.not_ready.values().sum()),
                "not_ready_by_reason_s": t.not_ready.iter().map(|(r, d)| (r.clone(), s(*d))).collect::<BTreeMap<_, _>>(),
                "calls": t.calls,
            })
        })
        .collect();
    json!({ "agents": rows })
}

/// `{"interval_s": …, "intervals": [{interval_start, queue, …figures…}, …]}` for the rollups
/// with starts in `[from, to)` (Unix seconds): the API's and the report's shape.
pub(crate) fn intervals_json(cms: &Cms, from: i64, to: i64) -> Value {
    let rows: Vec<Value> = cms
        .queue_rollups()
        .filter(|(start, _, _)| (from..to).contains(start))
        .map(|(start, queue, stats)| {
            let mut v = stats_json(stats);
            v["queue"] = json!(queue.as_str());
            v["interval_start"] = json!(
                Timestamp::from_second(start).map_or_else(|_| start.to_string(), |t| t.to_string())
            );
            v
        })
        .collect();
    json!({ "interval_s": cms.config().interval.as_secs(), "intervals": rows })
}

/// The data folder's `queue_log`, opened for appending; `None` (with a warning) if it cannot be.
fn open_queue_log(store: &Store) -> Option<std::fs::File> {
    let path = store.root().join("queue_log");
    match std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        Ok(f) => Some(f),
        Err(e) => {
            warn!(path = %path.display(), error = %e, "queue_log cannot be opened");
            None
        }
    }
}

/// A queue's figures as the API and the report give them.
pub(crate) fn stats_json(s: &QueueStats) -> Value {
    serde_json::to_value(s.summary()).unwrap_or(Value::Null)
}

/// The wall time `ms` milliseconds after the Unix epoch, for tests and reports.
#[cfg(test)]
fn wall(ms: i64) -> Timestamp {
    Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_times_map_to_instants_that_never_go_back() {
        let mut c = WallInstants::new(wall(10_000));
        let base = c.base;
        assert_eq!(c.at(wall(12_500)), base + Duration::from_millis(2500));
        // A wall clock stepped back does not move the instants back.
        assert_eq!(c.at(wall(11_000)), base + Duration::from_millis(2500));
        assert_eq!(c.at(wall(5_000)), base + Duration::from_millis(2500));
    }

    #[test]
    fn bad_rows_name_their_sequence_number() {
        let err =
            stored_events(vec![(7, 0, "{\"type\":\"nope\"}".to_owned())], wall(0)).unwrap_err();
        assert!(err.to_string().starts_with("acd_events row 7"), "{err}");
    }
}
