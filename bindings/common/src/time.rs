//! Seconds since an object was made, as the sans-IO cores' `Instant`s.

use std::time::{Duration, Instant};

use crate::Error;

/// The zero of an object's simulated or real time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin(Instant);

impl Origin {
    /// Time zero is now.
    pub(crate) fn now() -> Self {
        Self(Instant::now())
    }

    /// The instant `seconds` after time zero; negative, NaN or absurd values are refused.
    pub(crate) fn at(self, seconds: f64) -> Result<Instant, Error> {
        let d = Duration::try_from_secs_f64(seconds).map_err(|_| {
            Error::invalid(format!(
                "time {seconds} s is not a non-negative number of seconds"
            ))
        })?;
        self.0
            .checked_add(d)
            .ok_or_else(|| Error::invalid(format!("time {seconds} s is too far ahead")))
    }

    /// Seconds from time zero to `at`.
    pub(crate) fn seconds(self, at: Instant) -> f64 {
        at.saturating_duration_since(self.0).as_secs_f64()
    }
}

/// A `Duration` from seconds given by a user.
pub(crate) fn duration(seconds: f64, what: &str) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        Error::invalid(format!(
            "{what} {seconds} s is not a non-negative number of seconds"
        ))
    })
}
