//! CSV interval reports from the CMS rollups, for spreadsheets and existing reporting tools.
//!
//! One row per interval and queue (or agent), ordered by interval start, then name. Times are
//! RFC 3339 in UTC, durations are seconds with millisecond precision, ratios are fractions
//! (0.8123, not 81.23 %). Intervals with no activity have no row.
//!
//! The writer is hand-written rather than the `csv` crate: every field is a number, a
//! timestamp, or a queue or agent id whose alphabet (see `sambung_core::ids`) holds no comma,
//! quote or line break, so no field ever needs quoting and the crate would add nothing.

use std::io::{self, Write};
use std::time::Duration;

use jiff::Timestamp;

use crate::cms::Cms;

/// The header line of [`queue_intervals_csv`].
pub const QUEUE_COLUMNS: &str = "interval_start,queue,offered,answered,answered_within_threshold,abandoned,short_abandoned,overflowed,timed_out,rejected,service_level,abandon_rate,asa_s";

/// The header line of [`agent_intervals_csv`].
pub const AGENT_COLUMNS: &str = "interval_start,agent,staffed_s,available_s,ringing_s,talk_s,direct_s,after_call_work_s,not_ready_s,calls,hold_s";

fn start(unix_s: i64) -> String {
    Timestamp::from_second(unix_s).map_or_else(|_| unix_s.to_string(), |t| t.to_string())
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Writes the queue rollups whose interval starts (Unix seconds) fall in `[from, to)`.
pub fn queue_intervals_csv(cms: &Cms, from: i64, to: i64, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{QUEUE_COLUMNS}")?;
    for (at, queue, s) in cms
        .queue_rollups()
        .filter(|(at, _, _)| (from..to).contains(at))
    {
        writeln!(
            out,
            "{},{queue},{},{},{},{},{},{},{},{},{:.4},{:.4},{}",
            start(at),
            s.offered,
            s.answered,
            s.answered_within_threshold,
            s.abandoned,
            s.short_abandoned,
            s.overflowed,
            s.timed_out,
            s.rejected,
            s.service_level(),
            s.abandon_rate(),
            secs(s.asa()),
        )?;
    }
    Ok(())
}

/// Writes the agent rollups whose interval starts (Unix seconds) fall in `[from, to)`; the
/// not-ready column is the sum over every reason.
pub fn agent_intervals_csv(cms: &Cms, from: i64, to: i64, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{AGENT_COLUMNS}")?;
    for (at, agent, t) in cms
        .agent_rollups()
        .filter(|(at, _, _)| (from..to).contains(at))
    {
        writeln!(
            out,
            "{},{agent},{},{},{},{},{},{},{},{},{}",
            start(at),
            secs(t.staffed),
            secs(t.available),
            secs(t.ringing),
            secs(t.talk),
            secs(t.direct),
            secs(t.after_call_work),
            secs(t.not_ready.values().sum()),
            t.calls,
            secs(t.hold),
        )?;
    }
    Ok(())
}
