//! Agent and supervisor feature codes keyed on a phone (ACD-4), parsed from the dialled digits.
//!
//! | code | meaning |
//! |---|---|
//! | `*71` agent-ID `#` PIN `#` | log in at this phone (free seating) |
//! | `*72#` | log out |
//! | `*73#` | ready |
//! | `*74` reason-digit `#` | not ready, with a reason from the catalogue |
//! | `*75#` | wrap-up done |
//! | `*80` agent-ID `#` PIN `#` | supervisor: listen to the agent's call |
//! | `*81` agent-ID `#` PIN `#` | supervisor: whisper to the agent |
//! | `*82` agent-ID `#` PIN `#` | supervisor: barge into the call |
//!
//! The PIN is the supervisor's own for `*80`–`*82`. Phones that send `#` as `%23` in the
//! Request-URI are handled by unescaping before parsing. The trailing `#` is optional (many
//! phones send the number when the user presses dial).

use sambung_core::ids::{AgentId, ReasonCode};

/// A parsed feature code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureCode {
    /// `*71`: log in.
    Login {
        /// The agent.
        agent: AgentId,
        /// The PIN as keyed (checked by the caller against the stored one).
        pin: String,
    },
    /// `*72`: log out.
    Logout,
    /// `*73`: ready.
    Ready,
    /// `*74`: not ready.
    NotReady {
        /// The reason from the catalogue.
        reason: ReasonCode,
    },
    /// `*75`: wrap-up done.
    WrapUpDone,
    /// `*80`–`*82`: a supervisor joins an agent's call.
    Supervise {
        /// How.
        mode: SuperviseMode,
        /// The agent whose call.
        agent: AgentId,
        /// The supervisor's PIN.
        pin: String,
    },
}

/// How a supervisor joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuperviseMode {
    /// Hear both sides, heard by none.
    Listen,
    /// Heard by the agent only.
    Whisper,
    /// Heard by both.
    Barge,
}

/// Why digits are not a feature code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureCodeError {
    /// Not a `*7x`/`*8x` code at all (an ordinary number).
    #[error("not a feature code")]
    NotAFeatureCode,
    /// A known code with the wrong arguments.
    #[error("feature code {code} expects {expected}")]
    BadArguments {
        /// The code (`*71`).
        code: &'static str,
        /// What it expects.
        expected: &'static str,
    },
    /// A reason digit with no reason in the catalogue.
    #[error("no not-ready reason {digit} in the catalogue")]
    UnknownReason {
        /// The digit keyed.
        digit: char,
    },
}

/// Not-ready reasons by the digit keyed after `*74`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonCatalogue {
    reasons: Vec<(char, ReasonCode)>,
}

impl ReasonCatalogue {
    /// A catalogue from (digit, reason) pairs.
    pub fn new(reasons: Vec<(char, ReasonCode)>) -> Self {
        Self { reasons }
    }

    /// The reason for a digit.
    pub fn get(&self, digit: char) -> Option<&ReasonCode> {
        self.reasons
            .iter()
            .find(|(d, _)| *d == digit)
            .map(|(_, r)| r)
    }
}

impl Default for ReasonCatalogue {
    /// 1 break, 2 meeting, 3 training, 4 back-office, 5 prayer.
    fn default() -> Self {
        let pairs = [
            ('1', "break"),
            ('2', "meeting"),
            ('3', "training"),
            ('4', "back-office"),
            ('5', "prayer"),
        ];
        Self {
            reasons: pairs
                .iter()
                .filter_map(|&(d, r)| ReasonCode::new(r).ok().map(|r| (d, r)))
                .collect(),
        }
    }
}

/// Longest digit string considered.
const MAX_DIGITS: usize = 64;

/// Parses dialled digits (`*71` `1001#1234#`).
pub fn parse(dialled: &str, catalogue: &ReasonCatalogue) -> Result<FeatureCode, FeatureCodeError> {
    let dialled = dialled.trim();
    if dialled.len() > MAX_DIGITS || !dialled.starts_with('*') || dialled.len() < 3 {
        return Err(FeatureCodeError::NotAFeatureCode);
    }
    let (code, rest) = dialled.split_at(3);
    let rest = rest.strip_suffix('#').unwrap_or(rest);
    let id_pin = |code: &'static str| -> Result<(AgentId, String), FeatureCodeError> {
        let bad = FeatureCodeError::BadArguments {
            code,
            expected: "agent-ID # PIN #",
        };
        let (agent, pin) = rest.split_once('#').ok_or(bad.clone())?;
        let agent = AgentId::new(agent).map_err(|_| bad.clone())?;
        if pin.is_empty() || pin.len() > 16 || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad);
        }
        Ok((agent, pin.to_owned()))
    };
    let nothing = |code: &'static str| {
        if rest.is_empty() {
            Ok(())
        } else {
            Err(FeatureCodeError::BadArguments {
                code,
                expected: "nothing after the code",
            })
        }
    };
    match code {
        "*71" => id_pin("*71").map(|(agent, pin)| FeatureCode::Login { agent, pin }),
        "*72" => nothing("*72").map(|()| FeatureCode::Logout),
        "*73" => nothing("*73").map(|()| FeatureCode::Ready),
        "*74" => {
            let mut chars = rest.chars();
            let (Some(digit), None) = (chars.next(), chars.next()) else {
                return Err(FeatureCodeError::BadArguments {
                    code: "*74",
                    expected: "one reason digit",
                });
            };
            let reason = catalogue
                .get(digit)
                .ok_or(FeatureCodeError::UnknownReason { digit })?;
            Ok(FeatureCode::NotReady {
                reason: reason.clone(),
            })
        }
        "*75" => nothing("*75").map(|()| FeatureCode::WrapUpDone),
        "*80" | "*81" | "*82" => {
            let (code, mode) = match code {
                "*80" => ("*80", SuperviseMode::Listen),
                "*81" => ("*81", SuperviseMode::Whisper),
                _ => ("*82", SuperviseMode::Barge),
            };
            id_pin(code).map(|(agent, pin)| FeatureCode::Supervise { mode, agent, pin })
        }
        _ => Err(FeatureCodeError::NotAFeatureCode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<FeatureCode, FeatureCodeError> {
        parse(s, &ReasonCatalogue::default())
    }

    #[test]
    fn the_catalogue() {
        assert_eq!(
            p("*711001#1234#"),
            Ok(FeatureCode::Login {
                agent: AgentId::new("1001").unwrap(),
                pin: "1234".into()
            })
        );
        assert_eq!(
            p("*711001#1234"),
            p("*711001#1234#"),
            "the trailing # is optional"
        );
        assert_eq!(p("*72#"), Ok(FeatureCode::Logout));
        assert_eq!(p("*73"), Ok(FeatureCode::Ready));
        assert_eq!(
            p("*741#"),
            Ok(FeatureCode::NotReady {
                reason: ReasonCode::new("break").unwrap()
            })
        );
        assert_eq!(p("*75#"), Ok(FeatureCode::WrapUpDone));
        assert!(matches!(
            p("*811001#9999#"),
            Ok(FeatureCode::Supervise {
                mode: SuperviseMode::Whisper,
                ..
            })
        ));
    }

    #[test]
    fn mistakes_say_what_was_expected() {
        assert_eq!(p("1500112"), Err(FeatureCodeError::NotAFeatureCode));
        assert_eq!(p("*99#"), Err(FeatureCodeError::NotAFeatureCode));
        assert!(matches!(
            p("*71abc#12#"),
            Err(FeatureCodeError::BadArguments { code: "*71", .. })
        ));
        assert!(matches!(
            p("*711001##"),
            Err(FeatureCodeError::BadArguments { .. })
        ));
        assert_eq!(
            p("*749#"),
            Err(FeatureCodeError::UnknownReason { digit: '9' })
        );
        assert!(matches!(
            p("*7412#"),
            Err(FeatureCodeError::BadArguments { code: "*74", .. })
        ));
        assert!(matches!(
            p("*72x"),
            Err(FeatureCodeError::BadArguments { code: "*72", .. })
        ));
        assert_eq!(p(&"*".repeat(100)), Err(FeatureCodeError::NotAFeatureCode));
    }
}
