//! Which calls are recorded: every call, none, a percentage, those in scheduled hours, or on
//! demand (an agent or supervisor starts it during the call), set per agent, per queue and as
//! a default — the most specific rule wins. Inbound and outbound calls are decided alike.
//!
//! Sampling is decided by a hash of the call id and a seed rather than by a random draw, so a
//! decision can be reproduced afterwards (for an audit: "why was this call not recorded?").

use std::collections::BTreeMap;

use jiff::Timestamp;
use sambung_core::calendar::OfficeHours;
use sambung_core::ids::{AgentId, CallId, QueueId};

/// A recording rule.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Rule {
    /// Record every call.
    Always,
    /// Record no call.
    Never,
    /// Record this share of calls, chosen by a hash of the call id.
    Sample {
        /// 0 to 100.
        percent: f64,
    },
    /// Record calls that start within these hours (the office-hours calendar, with holidays
    /// and special days).
    Scheduled(Box<OfficeHours>),
    /// Record only when someone starts it during the call.
    OnDemand,
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Start recording when the call is answered.
    Record,
    /// Do not record.
    Skip,
    /// Do not record unless an agent or supervisor starts it.
    OnDemand,
}

/// Why a rule is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A sampling percentage outside 0–100 (or not a number).
    #[error("sampling percentage {0} is not between 0 and 100")]
    BadPercent(f64),
}

/// The recording policy.
#[derive(Debug, Clone)]
pub struct Policy {
    default: Rule,
    queues: BTreeMap<QueueId, Rule>,
    agents: BTreeMap<AgentId, Rule>,
    seed: u64,
}

fn check(rule: &Rule) -> Result<(), PolicyError> {
    match rule {
        Rule::Sample { percent } if !(0.0..=100.0).contains(percent) => {
            Err(PolicyError::BadPercent(*percent))
        }
        _ => Ok(()),
    }
}

/// splitmix64: a well-mixed 64-bit hash of the call id.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl Policy {
    /// A policy with `default` for calls no other rule covers; `seed` varies the sample.
    pub fn new(default: Rule, seed: u64) -> Result<Self, PolicyError> {
        check(&default)?;
        Ok(Self {
            default,
            queues: BTreeMap::new(),
            agents: BTreeMap::new(),
            seed,
        })
    }

    /// Sets the rule for calls through `queue` (unless the agent has one).
    pub fn set_queue(&mut self, queue: QueueId, rule: Rule) -> Result<(), PolicyError> {
        check(&rule)?;
        self.queues.insert(queue, rule);
        Ok(())
    }

    /// Sets the rule for calls answered by `agent`: it wins over the queue's.
    pub fn set_agent(&mut self, agent: AgentId, rule: Rule) -> Result<(), PolicyError> {
        check(&rule)?;
        self.agents.insert(agent, rule);
        Ok(())
    }

    /// The rule that covers a call.
    pub fn rule_for(&self, queue: Option<&QueueId>, agent: Option<&AgentId>) -> &Rule {
        agent
            .and_then(|a| self.agents.get(a))
            .or_else(|| queue.and_then(|q| self.queues.get(q)))
            .unwrap_or(&self.default)
    }

    /// Decides for a call that started at `started` through `queue` to `agent` (either may be
    /// unknown: a direct call has no queue, a call still ringing no agent).
    pub fn decide(
        &self,
        call: CallId,
        queue: Option<&QueueId>,
        agent: Option<&AgentId>,
        started: Timestamp,
    ) -> Decision {
        let yes = |b: bool| if b { Decision::Record } else { Decision::Skip };
        match self.rule_for(queue, agent) {
            Rule::Always => Decision::Record,
            Rule::Never => Decision::Skip,
            Rule::OnDemand => Decision::OnDemand,
            Rule::Scheduled(hours) => yes(hours.is_open(started)),
            Rule::Sample { percent } => {
                // The top 53 bits as a uniform fraction in [0, 1).
                let draw = (mix(call.get() ^ self.seed) >> 11) as f64 / (1u64 << 53) as f64;
                yes(draw * 100.0 < *percent)
            }
        }
    }
}
