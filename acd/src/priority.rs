//! Caller priority (ACD-3): rules over the caller's number class from `sambung-core` (for
//! example mobile above fixed line, or the reverse), explicit VIP and blocked lists, and a
//! waiting-time bonus so no one waits forever behind higher classes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sambung_core::phone::{ClassKind, PhoneNumber};
use serde::Deserialize;

/// The rules, as written in configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriorityRules {
    /// Priority by number class (`mobile = 10`, `fixed_line = 0`, …); classes not named get 0.
    pub by_class: BTreeMap<ClassKind, i32>,
    /// Priority of callers who withhold their number.
    pub anonymous: i32,
    /// Numbers served first (any written form; compared in E.164).
    pub vip: Vec<String>,
    /// The priority VIP numbers get.
    pub vip_priority: i32,
    /// Numbers not queued at all.
    pub blocked: Vec<String>,
    /// One extra priority point per this many seconds waited (0: no ageing).
    pub aging_step_s: u64,
}

impl Default for PriorityRules {
    /// BNPT's default: mobile callers first (they may be calling from the scene), then fixed
    /// lines; VIPs above all; a point per 60 s waited.
    fn default() -> Self {
        Self {
            by_class: BTreeMap::from([(ClassKind::Mobile, 10), (ClassKind::FixedLine, 0)]),
            anonymous: 0,
            vip: Vec::new(),
            vip_priority: 100,
            blocked: Vec::new(),
            aging_step_s: 60,
        }
    }
}

/// What the rules decide for a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Queue with this priority.
    Queue {
        /// The priority.
        priority: i32,
    },
    /// Do not queue: the number is blocked.
    Blocked,
}

/// Why rules cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriorityError {
    /// A VIP or blocked entry is not a phone number.
    #[error("{list}[{index}] is not a phone number")]
    BadNumber {
        /// `vip` or `blocked`.
        list: &'static str,
        /// Its position.
        index: usize,
    },
}

/// The rules, ready to apply.
#[derive(Debug, Clone)]
pub struct Priorities {
    rules: PriorityRules,
    vip: BTreeSet<String>,
    blocked: BTreeSet<String>,
}

fn canonical(list: &'static str, numbers: &[String]) -> Result<BTreeSet<String>, PriorityError> {
    numbers
        .iter()
        .enumerate()
        .map(|(index, n)| {
            PhoneNumber::parse(n)
                .map(|p| p.as_str().to_owned())
                .map_err(|_| PriorityError::BadNumber { list, index })
        })
        .collect()
}

impl Priorities {
    /// Checks the rules' numbers.
    pub fn new(rules: PriorityRules) -> Result<Self, PriorityError> {
        let vip = canonical("vip", &rules.vip)?;
        let blocked = canonical("blocked", &rules.blocked)?;
        Ok(Self {
            rules,
            vip,
            blocked,
        })
    }

    /// The admission of a caller (`None`: number withheld or unreadable).
    pub fn admit(&self, caller: Option<&PhoneNumber>) -> Admission {
        let Some(number) = caller else {
            return Admission::Queue {
                priority: self.rules.anonymous,
            };
        };
        if self.blocked.contains(number.as_str()) {
            return Admission::Blocked;
        }
        if self.vip.contains(number.as_str()) {
            return Admission::Queue {
                priority: self.rules.vip_priority,
            };
        }
        let class = number.class().kind();
        Admission::Queue {
            priority: self.rules.by_class.get(&class).copied().unwrap_or(0),
        }
    }

    /// The priority after waiting `waited` (for [`Input::SetPriority`](crate::Input::SetPriority)).
    pub fn aged(&self, base: i32, waited: Duration) -> i32 {
        if self.rules.aging_step_s == 0 {
            return base;
        }
        let bonus = i32::try_from(waited.as_secs() / self.rules.aging_step_s).unwrap_or(i32::MAX);
        base.saturating_add(bonus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).unwrap()
    }

    #[test]
    fn mobile_first_by_default_vip_above_all_blocked_out() {
        let rules = PriorityRules {
            vip: vec!["0811-1111-2222".into()],
            blocked: vec!["+62 21 5550 9999".into()],
            ..PriorityRules::default()
        };
        let p = Priorities::new(rules).unwrap();
        assert_eq!(
            p.admit(Some(&n("0812-3456-7890"))),
            Admission::Queue { priority: 10 }
        );
        assert_eq!(
            p.admit(Some(&n("(021) 5550 1234"))),
            Admission::Queue { priority: 0 }
        );
        assert_eq!(
            p.admit(Some(&n("+62 811 1111 2222"))),
            Admission::Queue { priority: 100 }
        );
        assert_eq!(p.admit(Some(&n("021-5550-9999"))), Admission::Blocked);
        assert_eq!(p.admit(None), Admission::Queue { priority: 0 });
        assert_eq!(
            p.admit(Some(&n("+44 20 7946 0958"))),
            Admission::Queue { priority: 0 }
        );
    }

    #[test]
    fn the_reverse_rule_and_ageing() {
        let rules: PriorityRules =
            toml::from_str("by_class = { fixed_line = 5, mobile = 1 }\naging_step_s = 30").unwrap();
        let p = Priorities::new(rules).unwrap();
        assert_eq!(
            p.admit(Some(&n("(021) 5550 1234"))),
            Admission::Queue { priority: 5 }
        );
        assert_eq!(p.aged(1, Duration::from_secs(125)), 5, "four steps of 30 s");
        assert!(matches!(
            Priorities::new(PriorityRules {
                vip: vec!["not a number".into()],
                ..PriorityRules::default()
            }),
            Err(PriorityError::BadNumber {
                list: "vip",
                index: 0
            })
        ));
        assert!(toml::from_str::<PriorityRules>("by_class = { satellite = 3 }").is_err());
    }
}
