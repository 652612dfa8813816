//! ACD: `Scheduler` in simulated seconds, with CMS figures; `simulateJson`.

use std::sync::{Arc, Mutex};

use sambung_bindings::acd as core;

use crate::{SambungError, json, lock};

/// A queue's settings.
#[derive(Debug, Clone, uniffi::Record)]
pub struct QueueSettings {
    /// `longest_idle`, `round_robin`, `fewest_calls`, `linear`, `random`, `least_recent` or `ring_all`.
    #[uniffi(default = "longest_idle")]
    pub strategy: String,
    /// After-call work, seconds.
    #[uniffi(default = 10.0)]
    pub wrap_up_s: f64,
    /// Ring time, seconds.
    #[uniffi(default = 15.0)]
    pub ring_timeout_s: f64,
    /// Longest wait, seconds.
    #[uniffi(default = None)]
    pub max_wait_s: Option<f64>,
    /// Most callers waiting.
    #[uniffi(default = None)]
    pub max_length: Option<u32>,
}

/// The ACD scheduler and its CMS figures; every `now` is seconds since it was made.
#[derive(Debug, uniffi::Object)]
pub struct Scheduler(Mutex<core::Scheduler>);

#[uniffi::export]
impl Scheduler {
    /// A scheduler (the other bindings' defaults: seed 24301, 20 s, 900 s, 0).
    #[uniffi::constructor]
    pub fn new(
        seed: u64,
        service_level_threshold_s: f64,
        interval_s: f64,
        start_unix_s: i64,
    ) -> Result<Arc<Self>, SambungError> {
        Ok(Arc::new(Self(Mutex::new(core::Scheduler::new(
            seed,
            service_level_threshold_s,
            interval_s,
            start_unix_s,
        )?))))
    }

    /// Adds or replaces a queue.
    pub fn add_queue(&self, name: String, settings: QueueSettings) -> Result<(), SambungError> {
        let s = core::QueueSettings {
            strategy: settings.strategy,
            wrap_up_s: settings.wrap_up_s,
            ring_timeout_s: settings.ring_timeout_s,
            max_wait_s: settings.max_wait_s,
            max_length: settings.max_length,
        };
        Ok(lock(&self.0)?.add_queue(&name, &s)?)
    }

    /// A caller enters a queue; higher priority is served first.
    pub fn call_arrived(
        &self,
        now: f64,
        call: u64,
        queue: String,
        priority: i32,
    ) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.call_arrived(now, call, &queue, priority)?)
    }

    /// The caller hung up.
    pub fn call_abandoned(&self, now: f64, call: u64) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.call_abandoned(now, call)?)
    }

    /// A connected call ended.
    pub fn call_ended(&self, now: f64, call: u64) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.call_ended(now, call)?)
    }

    /// The agent answered the offer.
    pub fn offer_answered(&self, now: f64, call: u64, agent: String) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.offer_answered(now, call, &agent)?)
    }

    /// The agent's phone refused the offer or could not be reached.
    pub fn offer_failed(&self, now: f64, call: u64, agent: String) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.offer_failed(now, call, &agent)?)
    }

    /// An agent logs in to queues.
    pub fn agent_login(
        &self,
        now: f64,
        agent: String,
        queues: Vec<String>,
    ) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.agent_login(now, &agent, &queues)?)
    }

    /// An agent logs out.
    pub fn agent_logout(&self, now: f64, agent: String) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.agent_logout(now, &agent)?)
    }

    /// An agent is ready.
    pub fn agent_ready(&self, now: f64, agent: String) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.agent_ready(now, &agent)?)
    }

    /// An agent is not ready, with a reason code.
    pub fn agent_not_ready(
        &self,
        now: f64,
        agent: String,
        reason: String,
    ) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.agent_not_ready(now, &agent, &reason)?)
    }

    /// An agent ends after-call work early.
    pub fn wrap_up_done(&self, now: f64, agent: String) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.wrap_up_done(now, &agent)?)
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&self, now: f64) -> Result<(), SambungError> {
        Ok(lock(&self.0)?.handle_timeout(now)?)
    }

    /// When `handleTimeout` should next run, seconds; none if no timer is set.
    pub fn poll_timeout(&self) -> Result<Option<f64>, SambungError> {
        Ok(lock(&self.0)?.poll_timeout())
    }

    /// Every action waiting for the driver, oldest first, as JSON text.
    pub fn poll_actions_json(&self) -> Result<String, SambungError> {
        Ok(json(&serde_json::Value::Array(
            lock(&self.0)?.poll_actions(),
        )))
    }

    /// `available`, `ringing`, `on_call`, `wrap_up`, `not_ready`; none when logged out.
    pub fn agent_status(&self, agent: String) -> Result<Option<String>, SambungError> {
        Ok(lock(&self.0)?.agent_status(&agent)?.map(str::to_owned))
    }

    /// Callers waiting in a queue.
    pub fn waiting(&self, queue: String) -> Result<u64, SambungError> {
        Ok(lock(&self.0)?.waiting(&queue)? as u64)
    }

    /// A queue's figures since the start as JSON text; none before any event named it.
    pub fn queue_stats_json(&self, queue: String) -> Result<Option<String>, SambungError> {
        Ok(lock(&self.0)?.queue_stats(&queue)?.as_ref().map(json))
    }

    /// A queue's interval rollups as JSON text.
    pub fn queue_intervals_json(&self, queue: String) -> Result<String, SambungError> {
        Ok(json(&serde_json::Value::Array(
            lock(&self.0)?.queue_intervals(&queue)?,
        )))
    }

    /// An agent's times up to `now` as JSON text; none for an agent never seen.
    pub fn agent_times_json(
        &self,
        agent: String,
        now: f64,
    ) -> Result<Option<String>, SambungError> {
        Ok(lock(&self.0)?.agent_times(&agent, now)?.as_ref().map(json))
    }
}

/// Runs a capacity-planning scenario (TOML); JSON text of what `acd-sim` prints.
#[uniffi::export]
pub fn simulate_json(scenario_toml: String) -> Result<String, SambungError> {
    Ok(json(&core::simulate(&scenario_toml)?))
}
