//! `bnpt-callcenter recordings search` and `recordings export`: the recordings index of the
//! data folder, searched by number (exact, or a prefix with a trailing `*`), date range, agent
//! and service type, newest first; a table on a terminal or `--json`; or the recordings found
//! copied (or encoded to MP3) into a folder with an `export.json` manifest.

use std::path::Path;

use indicatif::ProgressBar;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use sambung_recording::index::{NumberMatch, Page, RecordingIndex, RecordingRow, Search};
use serde_json::json;

use crate::cli::RecordingFilter;

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SearchError {
    #[error("--{name} {value:?} is neither an RFC 3339 time nor a date (YYYY-MM-DD)")]
    Time { name: &'static str, value: String },
    #[error("the recordings index")]
    Index(#[from] sambung_recording::index::IndexError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("cannot export {path}")]
    Export {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// An RFC 3339 time, or midnight of a date in WIB (the call center's zone) — the midnight that
/// ends the date when `day_end` — as Unix ms; `None` if it is neither (shared with the web
/// side's search).
pub(crate) fn wib_time_ms(value: &str, day_end: bool) -> Option<i64> {
    if let Ok(t) = value.parse::<Timestamp>() {
        return Some(t.as_millisecond());
    }
    let date: Date = value.parse().ok()?;
    let date = if day_end { date.tomorrow().ok()? } else { date };
    let zone = TimeZone::get("Asia/Jakarta").ok()?;
    Some(date.to_zoned(zone).ok()?.timestamp().as_millisecond())
}

fn time_ms(name: &'static str, value: &str) -> Result<i64, SearchError> {
    wib_time_ms(value, false).ok_or_else(|| SearchError::Time {
        name,
        value: value.to_owned(),
    })
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

/// One page of the recordings `filter` finds, newest first.
fn find(data: &Path, filter: &RecordingFilter) -> Result<Page, SearchError> {
    let number = filter.number.as_deref().map(|n| match n.strip_suffix('*') {
        Some(prefix) => NumberMatch::Prefix(prefix.to_owned()),
        None => NumberMatch::Exact(n.to_owned()),
    });
    let search = Search {
        number,
        from_ms: filter
            .from
            .as_deref()
            .map(|v| time_ms("from", v))
            .transpose()?,
        to_ms: filter.to.as_deref().map(|v| time_ms("to", v)).transpose()?,
        agent: filter.agent.clone(),
        service: filter.service.clone(),
        limit: filter.limit,
        offset: 0,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(SearchError::Runtime)?;
    Ok(runtime.block_on(async {
        let index = RecordingIndex::open_data_folder(data).await?;
        index.search(&search).await
    })?)
}

/// `recordings search`: what to print.
pub(crate) fn search(
    data: &Path,
    filter: &RecordingFilter,
    json: bool,
) -> Result<String, SearchError> {
    let page = find(data, filter)?;
    if json {
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

/// `recordings export`: copies (or encodes to MP3) each complete recording found into `out`,
/// writes `out/export.json`, and returns what to print.
pub(crate) fn export(
    data: &Path,
    filter: &RecordingFilter,
    out: &Path,
    mp3: bool,
    json: bool,
) -> Result<String, SearchError> {
    let page = find(data, filter)?;
    let fail = |path: &Path, e: Box<dyn std::error::Error + Send + Sync>| SearchError::Export {
        path: path.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(out).map_err(|e| fail(out, e.into()))?;
    let progress = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(page.rows.len() as u64)
    };
    let mut exported = Vec::new();
    let mut skipped = Vec::new();
    for row in &page.rows {
        progress.inc(1);
        if !row.complete {
            skipped.push(row.id.clone());
            continue;
        }
        let source = data.join("recordings").join(&row.path);
        let name = format!("{}.{}", row.id, if mp3 { "mp3" } else { "wav" });
        let target = out.join(&name);
        if mp3 {
            sambung_recording::mp3::wav_to_mp3(&source, &target, 32)
                .map_err(|e| fail(&source, e.into()))?;
        } else {
            std::fs::copy(&source, &target).map_err(|e| fail(&source, e.into()))?;
        }
        let sha256 =
            sambung_recording::store::sha256_file(&target).map_err(|e| fail(&target, e.into()))?;
        let mut entry = row_json(row);
        entry["file"] = json!(name);
        entry["sha256"] = json!(sha256);
        exported.push(entry);
    }
    progress.finish_and_clear();
    let manifest = json!({
        "exported_at": Timestamp::now().to_string(),
        "count": exported.len(),
        "recordings": exported,
        "skipped_incomplete": skipped,
    });
    let manifest_path = out.join("export.json");
    std::fs::write(&manifest_path, format!("{manifest:#}\n"))
        .map_err(|e| fail(&manifest_path, e.into()))?;
    Ok(if json {
        format!("{manifest}\n")
    } else {
        format!(
            "exported {} recordings to {} ({} incomplete skipped); manifest {}\n",
            manifest["count"],
            out.display(),
            skipped.len(),
            manifest_path.display()
        )
    })
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
