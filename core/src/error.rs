//! Shared error conventions.
//!
//! Every fallible operation in Sambung returns a typed error built with `thiserror`:
//!
//! - one enum per concern (parsing a phone number, an office-hours calendar, an id, …), marked
//!   `#[non_exhaustive]` so variants can be added without breaking callers;
//! - each variant carries typed context — the offending character and its byte offset, the
//!   limit that was exceeded, the key that was wrong — never a free-form `String` catch-all;
//! - messages are lower-case, say what was wrong and where, and do not end with a period;
//! - errors from lower layers are wrapped with `#[from]`/`#[source]`, never flattened to text.
//!
//! [`Error`] gathers this crate's errors for callers that do not care which one happened.

use crate::calendar::CalendarError;
use crate::event::EventLogError;
use crate::ids::IdError;
use crate::phone::PhoneNumberError;

/// Any error raised by `sambung-core`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An identifier failed validation.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A phone number could not be parsed.
    #[error(transparent)]
    PhoneNumber(#[from] PhoneNumberError),
    /// An office-hours calendar was invalid.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The event log refused an append.
    #[error(transparent)]
    EventLog(#[from] EventLogError),
}
