//! `sambung.acd`: `Scheduler` in simulated seconds, with CMS figures; `simulate`.

use pyo3::prelude::*;
use sambung_bindings::acd as core;

use crate::{raise, to_python};

/// The ACD scheduler and its CMS figures; every `now` is seconds since it was made.
#[pyclass(module = "sambung.acd", name = "Scheduler")]
struct Scheduler(core::Scheduler);

#[pymethods]
impl Scheduler {
    #[new]
    #[pyo3(signature = (seed=0x5EED, service_level_threshold_s=20.0, interval_s=900.0, start_unix_s=0))]
    fn new(
        seed: u64,
        service_level_threshold_s: f64,
        interval_s: f64,
        start_unix_s: i64,
    ) -> PyResult<Self> {
        core::Scheduler::new(seed, service_level_threshold_s, interval_s, start_unix_s)
            .map(Self)
            .map_err(raise)
    }

    /// Adds or replaces a queue.
    #[pyo3(signature = (name, strategy="longest_idle", wrap_up_s=10.0, ring_timeout_s=15.0, max_wait_s=None, max_length=None))]
    fn add_queue(
        &mut self,
        name: &str,
        strategy: &str,
        wrap_up_s: f64,
        ring_timeout_s: f64,
        max_wait_s: Option<f64>,
        max_length: Option<u32>,
    ) -> PyResult<()> {
        let settings = core::QueueSettings {
            strategy: strategy.to_owned(),
            wrap_up_s,
            ring_timeout_s,
            max_wait_s,
            max_length,
        };
        self.0.add_queue(name, &settings).map_err(raise)
    }

    /// A caller enters a queue; higher priority is served first.
    #[pyo3(signature = (now, call, queue, priority=0))]
    fn call_arrived(&mut self, now: f64, call: u64, queue: &str, priority: i32) -> PyResult<()> {
        self.0
            .call_arrived(now, call, queue, priority)
            .map_err(raise)
    }

    /// The caller hung up.
    fn call_abandoned(&mut self, now: f64, call: u64) -> PyResult<()> {
        self.0.call_abandoned(now, call).map_err(raise)
    }

    /// A connected call ended.
    fn call_ended(&mut self, now: f64, call: u64) -> PyResult<()> {
        self.0.call_ended(now, call).map_err(raise)
    }

    /// The agent answered the offer.
    fn offer_answered(&mut self, now: f64, call: u64, agent: &str) -> PyResult<()> {
        self.0.offer_answered(now, call, agent).map_err(raise)
    }

    /// The agent's phone refused the offer or could not be reached.
    fn offer_failed(&mut self, now: f64, call: u64, agent: &str) -> PyResult<()> {
        self.0.offer_failed(now, call, agent).map_err(raise)
    }

    /// An agent logs in to queues (not ready until agent_ready).
    fn agent_login(&mut self, now: f64, agent: &str, queues: Vec<String>) -> PyResult<()> {
        self.0.agent_login(now, agent, &queues).map_err(raise)
    }

    /// An agent logs out.
    fn agent_logout(&mut self, now: f64, agent: &str) -> PyResult<()> {
        self.0.agent_logout(now, agent).map_err(raise)
    }

    /// An agent is ready.
    fn agent_ready(&mut self, now: f64, agent: &str) -> PyResult<()> {
        self.0.agent_ready(now, agent).map_err(raise)
    }

    /// An agent is not ready, with a reason code.
    fn agent_not_ready(&mut self, now: f64, agent: &str, reason: &str) -> PyResult<()> {
        self.0.agent_not_ready(now, agent, reason).map_err(raise)
    }

    /// An agent ends after-call work early.
    fn wrap_up_done(&mut self, now: f64, agent: &str) -> PyResult<()> {
        self.0.wrap_up_done(now, agent).map_err(raise)
    }

    /// Runs the timers due at `now`.
    fn handle_timeout(&mut self, now: f64) -> PyResult<()> {
        self.0.handle_timeout(now).map_err(raise)
    }

    /// When handle_timeout should next run, in seconds, or None.
    fn poll_timeout(&self) -> Option<f64> {
        self.0.poll_timeout()
    }

    /// Every action waiting for the driver, oldest first.
    fn poll_actions<'py>(&mut self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.0
            .poll_actions()
            .iter()
            .map(|a| to_python(py, a))
            .collect()
    }

    /// `"available"`, `"ringing"`, `"on_call"`, `"wrap_up"`, `"not_ready"`, or None when
    /// logged out.
    fn agent_status(&self, agent: &str) -> PyResult<Option<&'static str>> {
        self.0.agent_status(agent).map_err(raise)
    }

    /// Callers waiting in a queue.
    fn waiting(&self, queue: &str) -> PyResult<usize> {
        self.0.waiting(queue).map_err(raise)
    }

    /// A queue's figures since the start, or None before any event named it.
    fn queue_stats<'py>(
        &self,
        py: Python<'py>,
        queue: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0
            .queue_stats(queue)
            .map_err(raise)?
            .map(|v| to_python(py, &v))
            .transpose()
    }

    /// A queue's interval rollups, oldest first.
    fn queue_intervals<'py>(
        &self,
        py: Python<'py>,
        queue: &str,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.0
            .queue_intervals(queue)
            .map_err(raise)?
            .iter()
            .map(|v| to_python(py, v))
            .collect()
    }

    /// An agent's times since the start, up to `now`, or None for an agent never seen.
    fn agent_times<'py>(
        &self,
        py: Python<'py>,
        agent: &str,
        now: f64,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.0
            .agent_times(agent, now)
            .map_err(raise)?
            .map(|v| to_python(py, &v))
            .transpose()
    }
}

/// Runs a capacity-planning scenario (TOML) and returns what `acd-sim` prints.
#[pyfunction]
fn simulate<'py>(py: Python<'py>, scenario_toml: &str) -> PyResult<Bound<'py, PyAny>> {
    let report = core::simulate(scenario_toml).map_err(raise)?;
    to_python(py, &report)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scheduler>()?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    Ok(())
}
