//! Typed identifiers.
//!
//! Numeric ids ([`CallId`], [`LegId`], [`RecordingId`], [`TicketId`]) are allocated by the
//! system and display with a prefix (`call-42`). Named ids ([`AgentId`], [`QueueId`],
//! [`ReasonCode`]) come from configuration or a keypad and are validated on construction, so a
//! value of these types is always well-formed. They share their text, so a clone is a
//! reference count, not an allocation: events and the ACD's tables copy them freely.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which kind of identifier an [`IdError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdKind {
    /// [`CallId`]
    Call,
    /// [`LegId`]
    Leg,
    /// [`RecordingId`]
    Recording,
    /// [`TicketId`]
    Ticket,
    /// [`AgentId`]
    Agent,
    /// [`QueueId`]
    Queue,
    /// [`ReasonCode`]
    Reason,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Call => "call id",
            Self::Leg => "leg id",
            Self::Recording => "recording id",
            Self::Ticket => "ticket id",
            Self::Agent => "agent id",
            Self::Queue => "queue id",
            Self::Reason => "reason code",
        })
    }
}

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The input was empty.
    #[error("{kind} is empty")]
    Empty {
        /// The identifier kind.
        kind: IdKind,
    },
    /// The input was longer than allowed.
    #[error("{kind} is {len} bytes long; at most {max} allowed")]
    TooLong {
        /// The identifier kind.
        kind: IdKind,
        /// Length of the input in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input held a character this kind of id does not allow.
    #[error("{kind} has {found:?} at byte {offset}, expected {expected}")]
    InvalidCharacter {
        /// The identifier kind.
        kind: IdKind,
        /// The offending character.
        found: char,
        /// Its byte offset in the input.
        offset: usize,
        /// What is allowed there.
        expected: &'static str,
    },
}

macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw value.
            pub const fn new(value: u64) -> Self {
                Self(value)
            }

            /// The raw value.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// The id after this one, for allocators; `None` when the space is exhausted.
            pub const fn next(self) -> Option<Self> {
                match self.0.checked_add(1) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "-{}"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            /// Accepts `42` and the displayed form `prefix-42`.
            fn from_str(s: &str) -> Result<Self, IdError> {
                let digits = s.strip_prefix(concat!($prefix, "-")).unwrap_or(s);
                let base = s.len() - digits.len();
                parse_u64(digits, base, $kind).map(Self)
            }
        }
    };
}

fn parse_u64(digits: &str, base: usize, kind: IdKind) -> Result<u64, IdError> {
    const MAX_DIGITS: usize = 20;
    if digits.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if digits.len() > MAX_DIGITS {
        return Err(IdError::TooLong {
            kind,
            len: digits.len(),
            max: MAX_DIGITS,
        });
    }
    let mut value: u64 = 0;
    for (offset, ch) in digits.char_indices() {
        let digit = ch.to_digit(10).filter(|_| ch.is_ascii_digit());
        let next = digit.and_then(|d| value.checked_mul(10)?.checked_add(u64::from(d)));
        match next {
            Some(v) => value = v,
            None => {
                return Err(IdError::InvalidCharacter {
                    kind,
                    found: ch,
                    offset: base + offset,
                    expected: "a decimal digit within the range of a 64-bit number",
                });
            }
        }
    }
    Ok(value)
}

numeric_id!(
    /// One call as the caller sees it, from arrival to hang-up, across all its legs.
    CallId, IdKind::Call, "call"
);
numeric_id!(
    /// One SIP dialog (caller, agent, supervisor or trunk side) that belongs to a call.
    LegId, IdKind::Leg, "leg"
);
numeric_id!(
    /// One recording file and its index entry.
    RecordingId, IdKind::Recording, "rec"
);
numeric_id!(
    /// One CRM ticket (a complaint or report).
    TicketId, IdKind::Ticket, "ticket"
);

/// Rules for a named identifier.
struct NameRule {
    kind: IdKind,
    max: usize,
    first: fn(char) -> bool,
    rest: fn(char) -> bool,
    expected_first: &'static str,
    expected_rest: &'static str,
}

fn validate_name(s: &str, rule: &NameRule) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty { kind: rule.kind });
    }
    if s.len() > rule.max {
        return Err(IdError::TooLong {
            kind: rule.kind,
            len: s.len(),
            max: rule.max,
        });
    }
    for (offset, ch) in s.char_indices() {
        let (ok, expected) = if offset == 0 {
            ((rule.first)(ch), rule.expected_first)
        } else {
            ((rule.rest)(ch), rule.expected_rest)
        };
        if !ok {
            return Err(IdError::InvalidCharacter {
                kind: rule.kind,
                found: ch,
                offset,
                expected,
            });
        }
    }
    Ok(())
}

macro_rules! named_id {
    ($(#[$doc:meta])* $name:ident, $rule:expr, $capacity:expr) => {
        $(#[$doc])*
        ///
        /// The text is kept inline, zero-padded: no allocation and no reference count, so a
        /// clone copies a few words (the ACD clones ids into every event it emits).
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name {
            // Field order matters to the derived `Ord`: zero padding sorts before every
            // allowed character, so comparing the padded bytes orders ids as their text.
            bytes: [u8; $capacity],
            len: u8,
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_str()).finish()
            }
        }

        impl $name {
            /// Validates and wraps `s`.
            pub fn new(s: &str) -> Result<Self, IdError> {
                validate_name(s, &$rule)?;
                let mut bytes = [0; $capacity];
                // The rule's maximum fits the capacity (checked at compile time below).
                if let Some(slot) = bytes.get_mut(..s.len()) {
                    slot.copy_from_slice(s.as_bytes());
                }
                Ok(Self {
                    bytes,
                    len: u8::try_from(s.len()).unwrap_or(u8::MAX),
                })
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                // Only ASCII passes validation.
                std::str::from_utf8(self.bytes.get(..usize::from(self.len)).unwrap_or_default())
                    .unwrap_or_default()
            }
        }

        const _: () = assert!($rule.max <= $capacity && $capacity <= u8::MAX as usize);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.as_str().to_owned()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}
fn is_lower(c: char) -> bool {
    c.is_ascii_lowercase()
}
fn is_slug(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

const AGENT_RULE: NameRule = NameRule {
    kind: IdKind::Agent,
    max: 16,
    first: is_digit,
    rest: is_digit,
    expected_first: "a decimal digit",
    expected_rest: "a decimal digit",
};
const QUEUE_RULE: NameRule = NameRule {
    kind: IdKind::Queue,
    max: 32,
    first: is_lower,
    rest: is_slug,
    expected_first: "a lower-case ASCII letter",
    expected_rest: "a lower-case ASCII letter, digit, '_' or '-'",
};
const REASON_RULE: NameRule = NameRule {
    kind: IdKind::Reason,
    max: 32,
    first: is_lower,
    rest: is_slug,
    expected_first: "a lower-case ASCII letter",
    expected_rest: "a lower-case ASCII letter, digit, '_' or '-'",
};

named_id!(
    /// An agent's login ID: 1 to 16 decimal digits, so it can be keyed in on any phone
    /// (`*71` agent-ID `#` PIN `#`). Leading zeros are significant.
    AgentId, AGENT_RULE, 16
);
named_id!(
    /// A queue's name, such as `pengaduan`: a lower-case letter, then up to 31 lower-case
    /// letters, digits, `_` or `-`.
    QueueId, QUEUE_RULE, 32
);
named_id!(
    /// A code from the not-ready reason catalogue (`break`, `meeting`, `training`, …), with the
    /// same spelling rules as [`QueueId`].
    ReasonCode, REASON_RULE, 32
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_round_trip_through_display() {
        let id = CallId::new(42);
        assert_eq!(id.to_string(), "call-42");
        assert_eq!("call-42".parse::<CallId>(), Ok(id));
        assert_eq!("42".parse::<CallId>(), Ok(id));
        assert_eq!(TicketId::new(7).to_string(), "ticket-7");
        assert_eq!(CallId::new(u64::MAX).next(), None);
    }

    #[test]
    fn numeric_id_errors_say_where() {
        assert_eq!(
            "call-".parse::<CallId>(),
            Err(IdError::Empty { kind: IdKind::Call })
        );
        assert!(matches!(
            "call-4x".parse::<CallId>(),
            Err(IdError::InvalidCharacter {
                found: 'x',
                offset: 6,
                ..
            })
        ));
        // One past u64::MAX overflows on its last digit.
        assert!(matches!(
            "18446744073709551616".parse::<LegId>(),
            Err(IdError::InvalidCharacter { offset: 19, .. })
        ));
        assert!(matches!(
            "leg-٣".parse::<LegId>(),
            Err(IdError::InvalidCharacter { .. })
        ));
    }

    #[test]
    fn named_ids_validate() {
        assert_eq!(
            AgentId::new("1001").map(|a| a.to_string()),
            Ok("1001".to_owned())
        );
        assert!(matches!(
            AgentId::new("10a1"),
            Err(IdError::InvalidCharacter {
                found: 'a',
                offset: 2,
                ..
            })
        ));
        assert!(matches!(AgentId::new(""), Err(IdError::Empty { .. })));
        assert!(matches!(
            AgentId::new("12345678901234567"),
            Err(IdError::TooLong {
                len: 17,
                max: 16,
                ..
            })
        ));
        assert!(QueueId::new("pengaduan").is_ok());
        assert!(QueueId::new("Pengaduan").is_err());
        assert!(QueueId::new("9q").is_err());
        assert!(ReasonCode::new("back-office").is_ok());
    }

    #[test]
    fn named_ids_validate_when_deserialised() {
        let q: Result<QueueId, _> = serde_json::from_str("\"informasi\"");
        assert!(q.is_ok());
        let bad: Result<QueueId, _> = serde_json::from_str("\"in formasi\"");
        assert!(bad.is_err());
    }
}
