//! `bnpt-callcenter recordings search`: the recordings index of the data folder, searched by
//! number (exact, or a prefix with a trailing `*`), date range, agent and service type, newest
//! first; a table on a terminal or `--json`.

use std::path::Path;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use sambung_recording::index::{NumberMatch, RecordingIndex, RecordingRow, Search};
use serde_json::json;

/// The filters of a search, as given on the command line.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchArgs<'a> {
    pub(crate) number: Option<&'a str>,
    pub(crate) from: Option<&'a str>,
    pub(crate) to: Option<&'a str>,
    pub(crate) agent: Option<&'a str>,
    pub(crate) service: Option<&'a str>,
    pub(crate) limit: u32,
    pub(crate) json: bool,
}

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SearchError {
    #[error("--{name} {value:?} is neither an RFC 3339 time nor a date (YYYY-MM-DD)")]
    Time { name: &'static str, value: String },
    #[error("the recordings index")]
    Index(#[from] sambung_recording::index::IndexError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// An RFC 3339 time, or midnight of a date in WIB (the call center's zone), as Unix ms.
fn time_ms(name: &'static str, value: &str) -> Result<i64, SearchError> {
    if let Ok(t) = value.parse::<Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let bad = || SearchError::Time {
        name,
        value: value.to_owned(),
    };
    let date: Date = value.parse().map_err(|_| bad())?;
    let zone = TimeZone::get("Asia/Jakarta").map_err(|_| bad())?;
    let zoned = date.to_zoned(zone).map_err(|_| bad())?;
    Ok(zoned.timestamp().as_millisecond())
}

fn row_json(r: &RecordingRow) -> serde_json::Value {
    json!({
        "id": r.id, "call_id": r.call_id, "caller": r.caller, "called": r.called,
        "agent": r.agent, "queue": r.queue, "service": r.service,
        "started": Timestamp::from_millisecond(r.started_ms).map(|t| t.to_string()).ok(),
        "duration_ms": r.duration_ms, "codec": r.codec, "size_bytes": r.size_bytes,
        "sha256": r.sha256, "path": r.path, "complete": r.complete,
    })
}

/// Runs the search on `data`'s index; returns what to print.
pub(crate) fn run(data: &Path, args: &SearchArgs<'_>) -> Result<String, SearchError> {
    let number = args.number.map(|n| match n.strip_suffix('*') {
        Some(prefix) => NumberMatch::Prefix(prefix.to_owned()),
        None => NumberMatch::Exact(n.to_owned()),
    });
    let search = Search {
        number,
        from_ms: args.from.map(|v| time_ms("from", v)).transpose()?,
        to_ms: args.to.map(|v| time_ms("to", v)).transpose()?,
        agent: args.agent.map(str::to_owned),
        service: args.service.map(str::to_owned),
        limit: args.limit,
        offset: 0,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SearchError::Runtime)?;
    let page = runtime.block_on(async {
        let index = RecordingIndex::open_data_folder(data).await?;
        index.search(&search).await
    })?;
    if args.json {
        let rows: Vec<_> = page.rows.iter().map(row_json).collect();
        return Ok(json!({ "total": page.total, "recordings": rows }).to_string() + "\n");
    }
    let mut out = format!(
        "{:<32} {:<25} {:<16} {:<10} {:<8} {:<10} {:>8}\n",
        "id", "started", "caller", "called", "agent", "service", "seconds"
    );
    for r in &page.rows {
        let started = Timestamp::from_millisecond(r.started_ms)
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<32} {:<25} {:<16} {:<10} {:<8} {:<10} {:>8.1}\n",
            r.id,
            started,
            r.caller,
            r.called,
            r.agent.as_deref().unwrap_or("-"),
            r.service.as_deref().unwrap_or("-"),
            r.duration_ms as f64 / 1000.0
        ));
    }
    out.push_str(&format!(
        "{} of {} recordings\n",
        page.rows.len(),
        page.total
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_midnight_in_jakarta_and_bad_ones_name_the_flag() {
        assert_eq!(
            time_ms("from", "2026-11-28").unwrap(),
            "2026-11-27T17:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!(
            time_ms("to", "2026-11-28T01:00:00Z").unwrap(),
            1_795_827_600_000
        );
        let e = time_ms("from", "yesterday").unwrap_err().to_string();
        assert!(e.starts_with("--from \"yesterday\""), "{e}");
    }
}
