//! `acd`: `Scheduler` in simulated seconds, with CMS figures; `simulate`.

use napi::Env;
use napi_derive::napi;
use sambung_bindings::acd as core;
use serde_json::Value;

use crate::{id, raise};

/// Scheduler settings; each has a default.
#[napi(object, namespace = "acd")]
#[derive(Default)]
pub struct SchedulerOptions {
    /// Seed of the `random` strategy.
    pub seed: Option<i64>,
    /// Service-level threshold, seconds (20).
    pub service_level_threshold_s: Option<f64>,
    /// CMS interval, seconds (900).
    pub interval_s: Option<f64>,
    /// Wall-clock time at time zero, Unix seconds (0).
    pub start_unix_s: Option<i64>,
}

/// Queue settings; each has a default.
#[napi(object, namespace = "acd")]
pub struct QueueOptions {
    /// `longest_idle` (default), `round_robin`, `fewest_calls`, `linear`, `random`, `least_recent`, `ring_all`.
    pub strategy: Option<String>,
    /// After-call work, seconds (10).
    pub wrap_up_s: Option<f64>,
    /// Ring time before an offer counts as unanswered, seconds (15).
    pub ring_timeout_s: Option<f64>,
    /// Longest wait, seconds.
    pub max_wait_s: Option<f64>,
    /// Most callers waiting.
    pub max_length: Option<u32>,
}

/// The ACD scheduler and its CMS figures; every `now` is seconds since it was made.
#[napi(namespace = "acd")]
pub struct Scheduler(core::Scheduler);

#[napi(namespace = "acd")]
impl Scheduler {
    /// A scheduler with the given settings.
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<SchedulerOptions>) -> napi::Result<Self> {
        let o = options.unwrap_or_default();
        let seed = id(&env, o.seed.unwrap_or(0x5EED), "seed")?;
        core::Scheduler::new(
            seed,
            o.service_level_threshold_s.unwrap_or(20.0),
            o.interval_s.unwrap_or(900.0),
            o.start_unix_s.unwrap_or(0),
        )
        .map(Self)
        .map_err(|e| raise(&env, &e))
    }

    /// Adds or replaces a queue.
    #[napi]
    pub fn add_queue(
        &mut self,
        env: Env,
        name: String,
        options: Option<QueueOptions>,
    ) -> napi::Result<()> {
        let d = core::QueueSettings::default();
        let settings = match options {
            None => d,
            Some(o) => core::QueueSettings {
                strategy: o.strategy.unwrap_or(d.strategy),
                wrap_up_s: o.wrap_up_s.unwrap_or(d.wrap_up_s),
                ring_timeout_s: o.ring_timeout_s.unwrap_or(d.ring_timeout_s),
                max_wait_s: o.max_wait_s,
                max_length: o.max_length,
            },
        };
        self.0
            .add_queue(&name, &settings)
            .map_err(|e| raise(&env, &e))
    }

    /// A caller enters a queue; higher priority is served first.
    #[napi]
    pub fn call_arrived(
        &mut self,
        env: Env,
        now: f64,
        call: i64,
        queue: String,
        priority: Option<i32>,
    ) -> napi::Result<()> {
        let call = id(&env, call, "call")?;
        self.0
            .call_arrived(now, call, &queue, priority.unwrap_or(0))
            .map_err(|e| raise(&env, &e))
    }

    /// The caller hung up.
    #[napi]
    pub fn call_abandoned(&mut self, env: Env, now: f64, call: i64) -> napi::Result<()> {
        let call = id(&env, call, "call")?;
        self.0
            .call_abandoned(now, call)
            .map_err(|e| raise(&env, &e))
    }

    /// A connected call ended.
    #[napi]
    pub fn call_ended(&mut self, env: Env, now: f64, call: i64) -> napi::Result<()> {
        let call = id(&env, call, "call")?;
        self.0.call_ended(now, call).map_err(|e| raise(&env, &e))
    }

    /// The agent answered the offer.
    #[napi]
    pub fn offer_answered(
        &mut self,
        env: Env,
        now: f64,
        call: i64,
        agent: String,
    ) -> napi::Result<()> {
        let call = id(&env, call, "call")?;
        self.0
            .offer_answered(now, call, &agent)
            .map_err(|e| raise(&env, &e))
    }

    /// The agent's phone refused the offer or could not be reached.
    #[napi]
    pub fn offer_failed(
        &mut self,
        env: Env,
        now: f64,
        call: i64,
        agent: String,
    ) -> napi::Result<()> {
        let call = id(&env, call, "call")?;
        self.0
            .offer_failed(now, call, &agent)
            .map_err(|e| raise(&env, &e))
    }

    /// An agent logs in to queues (not ready until `agentReady`).
    #[napi]
    pub fn agent_login(
        &mut self,
        env: Env,
        now: f64,
        agent: String,
        queues: Vec<String>,
    ) -> napi::Result<()> {
        self.0
            .agent_login(now, &agent, &queues)
            .map_err(|e| raise(&env, &e))
    }

    /// An agent logs out.
    #[napi]
    pub fn agent_logout(&mut self, env: Env, now: f64, agent: String) -> napi::Result<()> {
        self.0
            .agent_logout(now, &agent)
            .map_err(|e| raise(&env, &e))
    }

    /// An agent is ready.
    #[napi]
    pub fn agent_ready(&mut self, env: Env, now: f64, agent: String) -> napi::Result<()> {
        self.0.agent_ready(now, &agent).map_err(|e| raise(&env, &e))
    }

    /// An agent is not ready, with a reason code.
    #[napi]
    pub fn agent_not_ready(
        &mut self,
        env: Env,
        now: f64,
        agent: String,
        reason: String,
    ) -> napi::Result<()> {
        self.0
            .agent_not_ready(now, &agent, &reason)
            .map_err(|e| raise(&env, &e))
    }

    /// An agent ends after-call work early.
    #[napi]
    pub fn wrap_up_done(&mut self, env: Env, now: f64, agent: String) -> napi::Result<()> {
        self.0
            .wrap_up_done(now, &agent)
            .map_err(|e| raise(&env, &e))
    }

    /// Runs the timers due at `now`.
    #[napi]
    pub fn handle_timeout(&mut self, env: Env, now: f64) -> napi::Result<()> {
        self.0.handle_timeout(now).map_err(|e| raise(&env, &e))
    }

    /// When `handleTimeout` should next run, in seconds, or null.
    #[napi]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.0.poll_timeout()
    }

    /// Every action waiting for the driver, oldest first.
    #[napi]
    pub fn poll_actions(&mut self) -> Vec<Value> {
        self.0.poll_actions()
    }

    /// `"available"`, `"ringing"`, `"on_call"`, `"wrap_up"`, `"not_ready"`, or null when logged
    /// out.
    #[napi]
    pub fn agent_status(&self, env: Env, agent: String) -> napi::Result<Option<&'static str>> {
        self.0.agent_status(&agent).map_err(|e| raise(&env, &e))
    }

    /// Callers waiting in a queue.
    #[napi]
    pub fn waiting(&self, env: Env, queue: String) -> napi::Result<u32> {
        self.0
            .waiting(&queue)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .map_err(|e| raise(&env, &e))
    }

    /// A queue's figures since the start, or null before any event named it.
    #[napi]
    pub fn queue_stats(&self, env: Env, queue: String) -> napi::Result<Option<Value>> {
        self.0.queue_stats(&queue).map_err(|e| raise(&env, &e))
    }

    /// A queue's interval rollups, oldest first.
    #[napi]
    pub fn queue_intervals(&self, env: Env, queue: String) -> napi::Result<Vec<Value>> {
        self.0.queue_intervals(&queue).map_err(|e| raise(&env, &e))
    }

    /// An agent's times since the start, up to `now`, or null for an agent never seen.
    #[napi]
    pub fn agent_times(&self, env: Env, agent: String, now: f64) -> napi::Result<Option<Value>> {
        self.0.agent_times(&agent, now).map_err(|e| raise(&env, &e))
    }
}

/// Runs a capacity-planning scenario (TOML) and returns what `acd-sim` prints.
#[napi(namespace = "acd")]
pub fn simulate(env: Env, scenario_toml: String) -> napi::Result<Value> {
    core::simulate(&scenario_toml).map_err(|e| raise(&env, &e))
}
