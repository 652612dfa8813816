//! The scenario file: TOML, every key checked; errors name the key.

use std::collections::HashSet;

use sambung_acd::Strategy;
use serde::Deserialize;

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub(crate) seed: u64,
    pub(crate) duration_s: f64,
    pub(crate) service_level_threshold_s: f64,
    #[serde(default)]
    pub(crate) short_abandon_s: Option<f64>,
    #[serde(rename = "queue")]
    pub(crate) queues: Vec<QueueSpec>,
    pub(crate) agents: Vec<AgentSpec>,
}

impl Scenario {
    /// The first queue's name, if there is a queue.
    pub fn first_queue(&self) -> Option<&str> {
        self.queues.first().map(|q| q.name.as_str())
    }
}

/// `[[queue]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueSpec {
    pub(crate) name: String,
    pub(crate) arrival: Arrival,
    pub(crate) handle_time: Dist,
    #[serde(default)]
    pub(crate) patience: Option<Dist>,
    #[serde(default)]
    pub(crate) strategy: Option<Strategy>,
}

/// `arrival = { process = "poisson", rate_per_s = … }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "process", rename_all = "lowercase")]
pub(crate) enum Arrival {
    Poisson { rate_per_s: f64 },
}

/// `{ dist = "exponential" | "lognormal" | "fixed", mean_s = …, sd_s = … }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, tag = "dist", rename_all = "lowercase")]
pub(crate) enum Dist {
    Exponential { mean_s: f64 },
    Lognormal { mean_s: f64, sd_s: f64 },
    Fixed { mean_s: f64 },
}

/// `[[agents]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentSpec {
    pub(crate) count: u32,
    pub(crate) queues: Vec<String>,
    #[serde(default)]
    pub(crate) skills: Option<toml::Table>,
}

/// Why a scenario is refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The TOML does not parse, or a key has the wrong type or is unknown.
    #[error("key `{key}`")]
    Parse {
        /// The key's path (`queue[0].arrival.rate_per_s`).
        key: String,
        /// What the TOML parser said.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A value is out of range.
    #[error("key `{key}`: {reason}")]
    Invalid {
        /// The key's path.
        key: String,
        /// What is wrong with its value.
        reason: &'static str,
    },
}

fn invalid(key: impl Into<String>, reason: &'static str) -> ScenarioError {
    ScenarioError::Invalid {
        key: key.into(),
        reason,
    }
}

fn positive(key: String, v: f64) -> Result<(), ScenarioError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(key, "must be a positive number"))
    }
}

impl Dist {
    fn check(&self, key: &str) -> Result<(), ScenarioError> {
        match *self {
            Self::Exponential { mean_s } | Self::Fixed { mean_s } => {
                positive(format!("{key}.mean_s"), mean_s)
            }
            Self::Lognormal { mean_s, sd_s } => {
                positive(format!("{key}.mean_s"), mean_s)?;
                positive(format!("{key}.sd_s"), sd_s)
            }
        }
    }
}

/// Parses and checks a scenario.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    let de = toml::Deserializer::parse(text).map_err(|e| ScenarioError::Parse {
        key: "(document)".to_owned(),
        source: Box::new(e),
    })?;
    let scenario: Scenario =
        serde_path_to_error::deserialize(de).map_err(|e| ScenarioError::Parse {
            key: e.path().to_string(),
            source: Box::new(e.into_inner()),
        })?;
    positive("duration_s".to_owned(), scenario.duration_s)?;
    if scenario.duration_s > 1e9 {
        return Err(invalid("duration_s", "must be at most 10^9 seconds"));
    }
    if !(scenario.service_level_threshold_s.is_finite()
        && scenario.service_level_threshold_s >= 0.0)
    {
        return Err(invalid(
            "service_level_threshold_s",
            "must be zero or positive",
        ));
    }
    if let Some(s) = scenario.short_abandon_s
        && !(s.is_finite() && s >= 0.0)
    {
        return Err(invalid("short_abandon_s", "must be zero or positive"));
    }
    if scenario.queues.is_empty() {
        return Err(invalid("queue", "at least one [[queue]] is needed"));
    }
    let mut names = HashSet::new();
    for (i, q) in scenario.queues.iter().enumerate() {
        if sambung_core::ids::QueueId::new(&q.name).is_err() {
            return Err(invalid(
                format!("queue[{i}].name"),
                "lower-case letters, digits, '_' or '-', starting with a letter",
            ));
        }
        if !names.insert(q.name.clone()) {
            return Err(invalid(format!("queue[{i}].name"), "appears twice"));
        }
        let Arrival::Poisson { rate_per_s } = q.arrival;
        positive(format!("queue[{i}].arrival.rate_per_s"), rate_per_s)?;
        q.handle_time.check(&format!("queue[{i}].handle_time"))?;
        if let Some(p) = &q.patience {
            p.check(&format!("queue[{i}].patience"))?;
        }
    }
    let mut served = HashSet::new();
    let mut total_agents = 0u64;
    for (i, a) in scenario.agents.iter().enumerate() {
        if a.skills.is_some() {
            return Err(invalid(
                format!("agents[{i}].skills"),
                "skills are not supported by the scheduler yet",
            ));
        }
        for (j, q) in a.queues.iter().enumerate() {
            if !names.contains(q) {
                return Err(invalid(
                    format!("agents[{i}].queues[{j}]"),
                    "names no [[queue]]",
                ));
            }
            served.insert(q.clone());
        }
        total_agents += u64::from(a.count);
    }
    if total_agents > 100_000 {
        return Err(invalid("agents", "at most 100,000 agents"));
    }
    for (i, q) in scenario.queues.iter().enumerate() {
        if !served.contains(&q.name) {
            return Err(invalid(format!("queue[{i}]"), "no agent serves this queue"));
        }
    }
    Ok(scenario)
}
