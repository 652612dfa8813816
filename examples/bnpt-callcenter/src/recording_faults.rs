//! Recording faults as an alert (REC-0): a recording that cannot be started, written or
//! indexed never takes its call down — the call goes on unrecorded — but it must not pass
//! unnoticed either. Each fault is logged once and counted here; the dashboard and
//! `GET /api/v1/realtime` show `recording` with `alert: true` while the last fault is recent.

use std::fmt::Display;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use tracing::error;

/// How long a fault keeps the alert raised, in milliseconds (15 minutes).
pub(crate) const ALERT_MS: i64 = 15 * 60 * 1000;

/// Faults counted since start, and the last one.
#[derive(Debug, Default)]
pub(crate) struct RecordingFaults {
    count: AtomicU64,
    last: Mutex<Option<(i64, String)>>,
}

impl RecordingFaults {
    /// Notes a fault at `at_ms` (Unix milliseconds): `what` failed with `error`.
    pub(crate) fn note(&self, at_ms: i64, what: &str, error: &dyn Display) {
        let message = format!("{what}: {error}");
        error!(%message, "recording fault");
        self.count.fetch_add(1, Ordering::Relaxed);
        *self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((at_ms, message));
    }

    /// Faults so far.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// `{"faults", "last_fault", "last_fault_at_ms", "alert"}` at `now_ms`.
    pub(crate) fn snapshot(&self, now_ms: i64) -> Value {
        let last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let alert = last
            .as_ref()
            .is_some_and(|(at, _)| now_ms.saturating_sub(*at) < ALERT_MS);
        json!({
            "faults": self.count(),
            "last_fault": last.as_ref().map(|(_, m)| m),
            "last_fault_at_ms": last.as_ref().map(|(at, _)| at),
            "alert": alert,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_raises_the_alert_until_it_is_old() {
        let faults = RecordingFaults::default();
        assert_eq!(faults.snapshot(0)["alert"], false);
        faults.note(1_000, "recording not started", &"No space left on device");
        let s = faults.snapshot(2_000);
        assert_eq!(s["alert"], true);
        assert_eq!(s["faults"], 1);
        assert_eq!(
            s["last_fault"],
            "recording not started: No space left on device"
        );
        assert_eq!(faults.snapshot(1_000 + ALERT_MS)["alert"], false);
    }
}
