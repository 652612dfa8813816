//! `bnpt-callcenter report --from … --to … [--csv | --json]`: the CMS interval report, rebuilt
//! from the `acd_events` table of the data folder's database (opened read-only, so it runs
//! beside the call center).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::Timestamp;
use sambung_acd::cms::{Cms, CmsConfig};
use sambung_acd::export;
use sambung_core::event::Projection;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::acd_driver::{AcdStartError, intervals_json, stored_events};
use crate::store::{ACD_EVENTS, DATABASE_FILE};

/// Why the report could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    #[error("--{name}: {reason}")]
    Time { name: &'static str, reason: String },
    #[error("--to must be after --from")]
    Range,
    #[error("cannot read {}", path.display())]
    Database {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error(transparent)]
    Events(#[from] AcdStartError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

fn time(name: &'static str, text: &str) -> Result<Timestamp, ReportError> {
    text.parse().map_err(|e: jiff::Error| ReportError::Time {
        name,
        reason: e.to_string(),
    })
}

async fn read_events(path: &Path) -> Result<Vec<(i64, i64, String)>, ReportError> {
    let err = |source| ReportError::Database {
        path: path.to_owned(),
        source,
    };
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(err)?
        .filename(path)
        .read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(err)?;
    let rows = sqlx::query(ACD_EVENTS)
        .fetch_all(&pool)
        .await
        .map_err(err)?;
    pool.close().await;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("seq").map_err(err)?,
                r.try_get("wall_ms").map_err(err)?,
                r.try_get("kind").map_err(err)?,
            ))
        })
        .collect()
}

/// The report for `[from, to)` as CSV, or JSON when `json`, counted by `cms_config`.
pub(crate) fn run(
    data: &Path,
    cms_config: CmsConfig,
    from: &str,
    to: &str,
    json: bool,
) -> Result<String, ReportError> {
    let (from, to) = (time("from", from)?, time("to", to)?);
    if to <= from {
        return Err(ReportError::Range);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ReportError::Runtime)?;
    let rows = runtime.block_on(read_events(&data.join(DATABASE_FILE)))?;
    let (_, events) = stored_events(rows, from)?;
    let mut cms = Cms::new(cms_config);
    for event in &events {
        cms.apply(event);
    }
    let (from_s, to_s) = (from.as_second(), to.as_second());
    if json {
        return Ok(format!("{}\n", intervals_json(&cms, from_s, to_s)));
    }
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = export::queue_intervals_csv(&cms, from_s, to_s, &mut out);
    Ok(String::from_utf8_lossy(&out).into_owned())
}
