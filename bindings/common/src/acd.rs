//! The ACD: the scheduler driven with simulated time in seconds, its CMS figures, and the
//! capacity-planning simulation.

use std::time::Instant;

use jiff::Timestamp;
use sambung_acd::center::Center;
use sambung_acd::cms::{AgentTimes, CmsConfig, QueueStats};
use sambung_acd::{AcdConfig, Action, AgentStatus, Input, QueueConfig, Strategy};
use sambung_core::ids::{AgentId, CallId, QueueId, ReasonCode};
use serde_json::{Value, json};

use crate::Error;
use crate::time::{Origin, duration};

fn queue_id(name: &str) -> Result<QueueId, Error> {
    QueueId::new(name).map_err(|e| Error::invalid(e.to_string()))
}

fn agent_id(name: &str) -> Result<AgentId, Error> {
    AgentId::new(name).map_err(|e| Error::invalid(e.to_string()))
}

fn strategy(name: &str) -> Result<Strategy, Error> {
    serde_json::from_value(Value::String(name.to_owned())).map_err(|_| {
        Error::invalid(format!(
            "unknown strategy {name:?} (expected longest_idle, round_robin, fewest_calls, linear, random, least_recent or ring_all)"
        ))
    })
}

/// A queue's settings, with the scheduler's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// `longest_idle`, `round_robin`, `fewest_calls`, `linear`, `random`, `least_recent` or `ring_all`.
    pub strategy: String,
    /// After-call work, seconds.
    pub wrap_up_s: f64,
    /// How long an offer rings, seconds.
    pub ring_timeout_s: f64,
    /// Longest wait before a caller is turned away, seconds.
    pub max_wait_s: Option<f64>,
    /// Most callers waiting.
    pub max_length: Option<u32>,
}

impl Default for QueueSettings {
    fn default() -> Self {
        Self {
            strategy: "longest_idle".to_owned(),
            wrap_up_s: 10.0,
            ring_timeout_s: 15.0,
            max_wait_s: None,
            max_length: None,
        }
    }
}

/// The scheduler and its CMS projection, in simulated time: every `now` is seconds since the
/// scheduler was made, and wall-clock times start at `start_unix_s`.
#[derive(Debug)]
pub struct Scheduler {
    center: Center,
    origin: Origin,
}

impl Scheduler {
    /// A scheduler seeded with `seed` (for the `random` strategy), counting the service level
    /// within `service_level_threshold_s`, with CMS intervals of `interval_s`.
    pub fn new(
        seed: u64,
        service_level_threshold_s: f64,
        interval_s: f64,
        start_unix_s: i64,
    ) -> Result<Self, Error> {
        let origin = Origin::now();
        let wall = Timestamp::from_second(start_unix_s)
            .map_err(|e| Error::invalid(format!("start_unix_s: {e}")))?;
        let interval = duration(interval_s, "interval")?;
        if interval.as_secs() < 1 {
            return Err(Error::invalid("interval must be at least one second"));
        }
        let cms = CmsConfig {
            interval,
            service_level_threshold: duration(
                service_level_threshold_s,
                "service level threshold",
            )?,
            ..CmsConfig::default()
        };
        let acd = AcdConfig {
            seed,
            ..AcdConfig::default()
        };
        Ok(Self {
            center: Center::new(acd, cms, origin.at(0.0)?, wall),
            origin,
        })
    }

    /// Adds or replaces a queue.
    pub fn add_queue(&mut self, name: &str, settings: &QueueSettings) -> Result<(), Error> {
        let mut config = QueueConfig::new(queue_id(name)?, strategy(&settings.strategy)?);
        config.wrap_up = duration(settings.wrap_up_s, "wrap_up")?;
        config.ring_timeout = duration(settings.ring_timeout_s, "ring_timeout")?;
        config.max_wait = settings
            .max_wait_s
            .map(|s| duration(s, "max_wait"))
            .transpose()?;
        config.max_length = settings.max_length.map(|n| n as usize);
        self.center.add_queue(config);
        Ok(())
    }

    fn handle(&mut self, now: f64, input: Input) -> Result<(), Error> {
        let at = self.origin.at(now)?;
        self.center.handle(at, input).map_err(|e| Error::core(&e))
    }

    /// A caller enters `queue`; higher `priority` is served first.
    pub fn call_arrived(
        &mut self,
        now: f64,
        call: u64,
        queue: &str,
        priority: i32,
    ) -> Result<(), Error> {
        let queue = queue_id(queue)?;
        self.handle(
            now,
            Input::CallArrived {
                call: CallId::new(call),
                queue,
                priority,
            },
        )
    }

    /// The caller hung up.
    pub fn call_abandoned(&mut self, now: f64, call: u64) -> Result<(), Error> {
        self.handle(
            now,
            Input::CallAbandoned {
                call: CallId::new(call),
            },
        )
    }

    /// A connected call ended.
    pub fn call_ended(&mut self, now: f64, call: u64) -> Result<(), Error> {
        self.handle(
            now,
            Input::CallEnded {
                call: CallId::new(call),
            },
        )
    }

    /// The agent answered the offer.
    pub fn offer_answered(&mut self, now: f64, call: u64, agent: &str) -> Result<(), Error> {
        let agent = agent_id(agent)?;
        self.handle(
            now,
            Input::OfferAnswered {
                call: CallId::new(call),
                agent,
            },
        )
    }

    /// The agent's phone refused the offer or could not be reached.
    pub fn offer_failed(&mut self, now: f64, call: u64, agent: &str) -> Result<(), Error> {
        let agent = agent_id(agent)?;
        self.handle(
            now,
            Input::OfferFailed {
                call: CallId::new(call),
                agent,
            },
        )
    }

    /// An agent logs in to `queues` (not ready until [`agent_ready`](Self::agent_ready)).
    pub fn agent_login(&mut self, now: f64, agent: &str, queues: &[String]) -> Result<(), Error> {
        let agent = agent_id(agent)?;
        let queues = queues
            .iter()
            .map(|q| queue_id(q))
            .collect::<Result<_, _>>()?;
        self.handle(now, Input::AgentLogin { agent, queues })
    }

    /// An agent logs out.
    pub fn agent_logout(&mut self, now: f64, agent: &str) -> Result<(), Error> {
        let agent = agent_id(agent)?;
        self.handle(now, Input::AgentLogout { agent })
    }

    /// An agent is ready.
    pub fn agent_ready(&mut self, now: f64, agent: &str) -> Result<(), Error> {
        let agent = agent_id(agent)?;
        self.handle(now, Input::AgentReady { agent })
    }

    /// An agent is not ready, with a reason code.
    pub fn agent_not_ready(&mut self, now: f64, agent: &str, reason: &str) -> Result<(), Error> {
        let agent = agent_id(agent)?;
        let reason = ReasonCode::new(reason).map_err(|e| Error::invalid(e.to_string()))?;
        self.handle(now, Input::AgentNotReady { agent, reason })
    }

    /// An agent ends after-call work early.
    pub fn wrap_up_done(&mut self, now: f64, agent: &str) -> Result<(), Error> {
        let agent = agent_id(agent)?;
        self.handle(now, Input::WrapUpDone { agent })
    }

    /// Runs the timers due at `now` (ring timeouts, wrap-up ends, maximum waits).
    pub fn handle_timeout(&mut self, now: f64) -> Result<(), Error> {
        let at = self.origin.at(now)?;
        self.center.handle_timeout(at);
        Ok(())
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next run, in seconds.
    pub fn poll_timeout(&self) -> Option<f64> {
        self.center.poll_timeout().map(|t| self.origin.seconds(t))
    }

    /// Every action waiting for the driver, oldest first: `{"action": "offer", call, agent}`,
    /// `cancel_offer`, `overflowed` (`to`), `announce` (`position`, `expected_wait_s`),
    /// `reject` (`exit`).
    pub fn poll_actions(&mut self) -> Vec<Value> {
        std::iter::from_fn(|| self.center.poll_action())
            .map(|a| action_json(&a))
            .collect()
    }

    /// An agent's state: `available`, `ringing`, `on_call`, `on_hold`, `wrap_up` or `not_ready`; `None`
    /// when logged out.
    pub fn agent_status(&self, agent: &str) -> Result<Option<&'static str>, Error> {
        let agent = agent_id(agent)?;
        Ok(self.center.acd().agent_status(&agent).map(|s| match s {
            AgentStatus::Available => "available",
            AgentStatus::Ringing(_) => "ringing",
            AgentStatus::OnCall(_) => "on_call",
            AgentStatus::OnHold(_) => "on_hold",
            AgentStatus::WrapUp(_) => "wrap_up",
            _ => "not_ready",
        }))
    }

    /// Callers waiting in a queue.
    pub fn waiting(&self, queue: &str) -> Result<usize, Error> {
        Ok(self.center.acd().waiting(&queue_id(queue)?))
    }

    /// A queue's figures since the start: `None` for a queue no event has named yet.
    pub fn queue_stats(&self, queue: &str) -> Result<Option<Value>, Error> {
        let queue = queue_id(queue)?;
        Ok(self.center.cms().queue(&queue).map(|q| {
            let mut v = queue_json(&q.totals);
            v["waiting"] = json!(q.waiting);
            v
        }))
    }

    /// A queue's interval rollups: `[{"start_unix_s": …, …figures…}, …]`.
    pub fn queue_intervals(&self, queue: &str) -> Result<Vec<Value>, Error> {
        let queue = queue_id(queue)?;
        Ok(self
            .center
            .cms()
            .queue_intervals(&queue, i64::MIN, i64::MAX)
            .iter()
            .map(|(start, s)| {
                let mut v = queue_json(s);
                v["start_unix_s"] = json!(start);
                v
            })
            .collect())
    }

    /// An agent's times since the start, up to `now`, in seconds; `None` for an agent never
    /// seen.
    pub fn agent_times(&self, agent: &str, now: f64) -> Result<Option<Value>, Error> {
        let agent = agent_id(agent)?;
        let at: Instant = self.origin.at(now)?;
        Ok(self.center.cms().agent(&agent, at).map(|t| agent_json(&t)))
    }
}

fn action_json(a: &Action) -> Value {
    match a {
        Action::Offer { call, agent } => {
            json!({"action": "offer", "call": call.get(), "agent": agent.as_str()})
        }
        Action::CancelOffer { call, agent } => {
            json!({"action": "cancel_offer", "call": call.get(), "agent": agent.as_str()})
        }
        Action::Overflowed { call, to } => {
            json!({"action": "overflowed", "call": call.get(), "to": to.as_str()})
        }
        Action::Announce {
            call,
            position,
            expected_wait,
        } => json!({
            "action": "announce",
            "call": call.get(),
            "position": position,
            "expected_wait_s": expected_wait.map(|d| d.as_secs_f64()),
        }),
        Action::Reject { call, exit } => {
            json!({"action": "reject", "call": call.get(), "exit": exit})
        }
        other => json!({"action": "unknown", "debug": format!("{other:?}")}),
    }
}

fn queue_json(s: &QueueStats) -> Value {
    serde_json::to_value(s.summary()).unwrap_or(Value::Null)
}

fn agent_json(t: &AgentTimes) -> Value {
    json!({
        "staffed_s": t.staffed.as_secs_f64(),
        "available_s": t.available.as_secs_f64(),
        "ringing_s": t.ringing.as_secs_f64(),
        "talk_s": t.talk.as_secs_f64(),
        "hold_s": t.hold.as_secs_f64(),
        "direct_s": t.direct.as_secs_f64(),
        "after_call_work_s": t.after_call_work.as_secs_f64(),
        "not_ready_s": t.not_ready.iter().map(|(k, v)| (k.clone(), json!(v.as_secs_f64()))).collect::<serde_json::Map<_, _>>(),
        "calls": t.calls,
    })
}

/// Runs a capacity-planning scenario (TOML, as `acd-sim` reads it) and returns what `acd-sim`
/// prints.
pub fn simulate(scenario_toml: &str) -> Result<Value, Error> {
    let report =
        acd_sim::simulate(scenario_toml).map_err(|e| Error::invalid(Error::core(&e).message()))?;
    serde_json::to_value(report).map_err(|e| Error::core(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_offered_answered_and_counted() {
        let mut s = Scheduler::new(1, 20.0, 900.0, 1_795_000_000).unwrap();
        s.add_queue("pengaduan", &QueueSettings::default()).unwrap();
        s.agent_login(0.0, "1001", &["pengaduan".into()]).unwrap();
        s.agent_ready(0.0, "1001").unwrap();
        s.call_arrived(1.0, 7, "pengaduan", 0).unwrap();
        assert_eq!(
            s.poll_actions(),
            [json!({"action": "offer", "call": 7, "agent": "1001"})]
        );
        s.offer_answered(4.0, 7, "1001").unwrap();
        assert_eq!(s.agent_status("1001").unwrap(), Some("on_call"));
        s.call_ended(64.0, 7).unwrap();
        let q = s.queue_stats("pengaduan").unwrap().unwrap();
        assert_eq!(
            (q["offered"].as_u64(), q["answered"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(q["asa_s"], 3.0);
        assert_eq!(
            s.agent_times("1001", 64.0).unwrap().unwrap()["talk_s"],
            60.0
        );
        assert!(s.call_ended(65.0, 99).is_err());
        assert!(
            s.add_queue(
                "x",
                &QueueSettings {
                    strategy: "best".into(),
                    ..QueueSettings::default()
                }
            )
            .is_err()
        );
        assert_eq!(s.queue_intervals("pengaduan").unwrap().len(), 1);
    }

    #[test]
    fn simulate_reports_and_names_the_bad_key() {
        let e = simulate("seed = 1\nduration_s = -1.0").unwrap_err();
        assert!(e.message().contains("key"), "{}", e.message());
    }
}
