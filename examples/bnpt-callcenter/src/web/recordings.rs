//! Recordings in the browser (REC-2, REC-3): search by number, date, agent and service type;
//! play with seeking (HTTP range requests, served by tower-http's `ServeFile`); download.
//! Supervisors and managers only; every play and download goes to the audit log.

use std::path::{Component, Path};

use askama::Template;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sambung_recording::access::{Access, AccessError, Authoriser, GuardedRecordings};
use sambung_recording::index::{IndexError, NumberMatch, RecordingRow, Search};
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt as _;

use super::auth::{Auth, Principal, refuse};
use super::pages::{Nav, html};
use super::{AppState, error, now_ms};
use crate::accounts::Capability;

/// The reference call center's rule for recordings (REC-3): whoever holds the recordings
/// capability — supervisors, managers, administrators and the API token; never agents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordingsAuthoriser;

impl Authoriser for RecordingsAuthoriser {
    type Principal = Principal;

    fn actor(&self, who: &Principal) -> String {
        who.actor().to_owned()
    }

    fn allows(&self, who: &Principal, _: &Access<'_>) -> bool {
        who.can(Capability::Recordings)
    }
}

/// Recordings behind [`RecordingsAuthoriser`], every search, play and download in the
/// hash-chained audit log of the data folder.
pub(crate) type Guarded = GuardedRecordings<RecordingsAuthoriser>;

/// The answer while the guard is missing because its audit log could not be opened:
/// nothing is shown unaudited.
fn unguarded() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "recordings are unavailable: their audit log could not be opened (see the service log)",
    )
}

/// Now, as the audit log writes it.
fn audit_now() -> String {
    jiff::Timestamp::now().to_string()
}

/// A refused or failed access as a response.
fn access_failure(e: &AccessError, api: bool) -> Response {
    match e {
        AccessError::Denied { .. } => error(StatusCode::FORBIDDEN, e.to_string()),
        AccessError::NotFound(_) => error(StatusCode::NOT_FOUND, "no such recording"),
        AccessError::Index(e) => index_failure(e, api),
        other => super::unavailable("recordings audit log", other),
    }
}

/// The search filters, from a query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Filter {
    /// Caller or called number; a trailing `*` matches a prefix.
    number: Option<String>,
    /// Start date (YYYY-MM-DD, WIB) or RFC 3339 time.
    from: Option<String>,
    /// End date (inclusive) or RFC 3339 time (exclusive).
    to: Option<String>,
    agent: Option<String>,
    service: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

fn nonempty(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// Unix ms of an RFC 3339 time, or of midnight WIB starting a date (`end`: the next midnight).
fn time_ms(name: &str, v: &str, end: bool) -> Result<i64, String> {
    crate::recordings_search::wib_time_ms(v, end)
        .ok_or_else(|| format!("{name} must be a date (YYYY-MM-DD) or an RFC 3339 time, not {v:?}"))
}

fn search_of(f: &Filter) -> Result<Search, String> {
    let number = nonempty(f.number.as_ref()).map(|n| match n.strip_suffix('*') {
        Some(prefix) => NumberMatch::Prefix(prefix.to_owned()),
        None => NumberMatch::Exact(n.to_owned()),
    });
    Ok(Search {
        number,
        from_ms: nonempty(f.from.as_ref())
            .map(|v| time_ms("from", v, false))
            .transpose()?,
        to_ms: nonempty(f.to.as_ref())
            .map(|v| time_ms("to", v, true))
            .transpose()?,
        agent: nonempty(f.agent.as_ref()).map(str::to_owned),
        service: nonempty(f.service.as_ref()).map(str::to_owned),
        limit: f.limit.unwrap_or(50).clamp(1, 500),
        offset: u64::from(f.offset.unwrap_or(0)),
    })
}

fn row_json(r: &RecordingRow) -> serde_json::Value {
    json!({
        "id": r.id, "call_id": r.call_id, "caller": r.caller, "called": r.called,
        "agent": r.agent, "queue": r.queue, "service": r.service,
        "started": super::iso(r.started_ms), "duration_ms": r.duration_ms, "codec": r.codec,
        "size_bytes": r.size_bytes, "sha256": r.sha256, "complete": r.complete,
        "audio_url": format!("/api/v1/recordings/{}/audio", r.id),
    })
}

/// `GET /api/v1/recordings?number=&from=&to=&agent=&service=&limit=&offset=`.
pub(crate) async fn search_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<Filter>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Recordings, true) {
        return r;
    }
    let Ok(Query(filter)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad query string (limit and offset are numbers)",
        );
    };
    let search = match search_of(&filter) {
        Ok(s) => s,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let Some(guard) = state.recordings.as_deref() else {
        return unguarded();
    };
    match guard.search(&p, &audit_now(), &search).await {
        Ok(page) => Json(json!({
            "total": page.total,
            "recordings": page.rows.iter().map(row_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => access_failure(&e, true),
    }
}

/// An index error: bad search input is the user's (400), anything else the server's.
fn index_failure(e: &IndexError, api: bool) -> Response {
    match e {
        IndexError::BadNumber(_) | IndexError::BadPage(_) if api => {
            error(StatusCode::BAD_REQUEST, e.to_string())
        }
        IndexError::BadNumber(_) | IndexError::BadPage(_) => super::pages::message(
            StatusCode::BAD_REQUEST,
            &Nav::anonymous(),
            "Bad search",
            &e.to_string(),
        ),
        _ => super::unavailable("recordings index", e),
    }
}

/// `GET /api/v1/recordings/{id}`.
pub(crate) async fn get_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    UrlPath(id): UrlPath<String>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Recordings, true) {
        return r;
    }
    match state.index.get(&id).await {
        Ok(Some(row)) => Json(row_json(&row)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such recording"),
        Err(e) => super::unavailable("recordings index", &e),
    }
}

/// `?download=1` of the audio route.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AudioQuery {
    #[serde(default)]
    download: Option<String>,
}

/// A recording's path inside the recordings folder: relative, no `..`.
fn inside(folder: &Path, relative: &str) -> Option<std::path::PathBuf> {
    let rel = Path::new(relative);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| folder.join(rel))
}

/// `GET /recordings/{id}/audio` and `GET /api/v1/recordings/{id}/audio`: the WAV file, with
/// range requests for seeking; `?download=1` as an attachment.
pub(crate) async fn audio(
    State(state): State<AppState>,
    Auth(p): Auth,
    UrlPath(id): UrlPath<String>,
    query: Result<Query<AudioQuery>, QueryRejection>,
    request: Request,
) -> Response {
    let api = request
        .extensions()
        .get::<super::auth::ApiRequest>()
        .is_some();
    if let Some(r) = refuse(&p, Capability::Recordings, api) {
        return r;
    }
    let download = query.is_ok_and(|Query(q)| q.download.is_some_and(|d| d != "0"));
    // A player asks many ranges while seeking; the first request of a play is authorised and
    // audited, the ranges after it only checked.
    let first = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|r| r.starts_with("bytes=0-"));
    let row = if first || download {
        let Some(guard) = state.recordings.as_deref() else {
            return unguarded();
        };
        match guard.open(&p, &audit_now(), &id, download).await {
            Ok(row) => row,
            Err(e) => return access_failure(&e, api),
        }
    } else {
        match state.index.get(&id).await {
            Ok(Some(row)) => row,
            Ok(None) => return error(StatusCode::NOT_FOUND, "no such recording"),
            Err(e) => return super::unavailable("recordings index", &e),
        }
    };
    let Some(path) = inside(&state.store.root().join("recordings"), &row.path) else {
        return error(
            StatusCode::NOT_FOUND,
            "recording path is not inside the recordings folder",
        );
    };
    // The administrators' audit page shows plays and downloads too.
    if first || download {
        let action = if download {
            "recording.download"
        } else {
            "recording.play"
        };
        if let Err(e) = state
            .accounts
            .audit(now_ms(), p.actor(), action, &id, "")
            .await
        {
            return super::unavailable("audit log", &e);
        }
    }
    // The type comes from the extension (.wav: audio/wav).
    let served = tower_http::services::ServeFile::new(&path)
        .oneshot(request)
        .await;
    let mut response = match served {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    };
    if response.status() == StatusCode::NOT_FOUND {
        return error(StatusCode::NOT_FOUND, "the recording's file is missing");
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if download && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.wav\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// One row of the results table.
struct Row {
    id: String,
    started: String,
    caller: String,
    called: String,
    agent: String,
    service: String,
    seconds: String,
}

#[derive(Template)]
#[template(path = "recordings.html")]
struct RecordingsPage {
    nav: Nav,
    number: String,
    from: String,
    to: String,
    agent: String,
    service: String,
    agents: Vec<(String, String)>,
    services: Vec<String>,
    problem: String,
    total: u64,
    rows: Vec<Row>,
}

/// `GET /recordings`: the search form and the results, each with a player and a download link.
pub(crate) async fn page(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<Filter>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Recordings, false) {
        return r;
    }
    let filter = query.map(|Query(f)| f).unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut page = RecordingsPage {
        nav: p.nav("recordings"),
        number: text(&filter.number),
        from: text(&filter.from),
        to: text(&filter.to),
        agent: text(&filter.agent),
        service: text(&filter.service),
        agents: state
            .web
            .agents
            .iter()
            .map(|(id, name, _)| (id.clone(), name.clone()))
            .collect(),
        services: state.web.crm.services.clone(),
        problem: String::new(),
        total: 0,
        rows: Vec::new(),
    };
    let search = match search_of(&filter) {
        Ok(s) => s,
        Err(why) => {
            page.problem = why;
            return html(StatusCode::BAD_REQUEST, &page);
        }
    };
    let Some(guard) = state.recordings.as_deref() else {
        return unguarded();
    };
    match guard.search(&p, &audit_now(), &search).await {
        Ok(found) => {
            page.total = found.total;
            page.rows = found
                .rows
                .iter()
                .map(|r| Row {
                    id: r.id.clone(),
                    started: super::local(r.started_ms),
                    caller: r.caller.clone(),
                    called: r.called.clone(),
                    agent: r.agent.clone().unwrap_or_default(),
                    service: r.service.clone().unwrap_or_default(),
                    seconds: format!("{:.1}", r.duration_ms as f64 / 1000.0),
                })
                .collect();
            html(StatusCode::OK, &page)
        }
        Err(AccessError::Index(e @ (IndexError::BadNumber(_) | IndexError::BadPage(_)))) => {
            page.problem = e.to_string();
            html(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => access_failure(&e, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_folder() {
        let folder = Path::new("/data/recordings");
        assert_eq!(
            inside(folder, "2026/a.wav"),
            Some(folder.join("2026/a.wav"))
        );
        assert_eq!(inside(folder, "../secrets.toml"), None);
        assert_eq!(inside(folder, "/etc/passwd"), None);
    }

    #[test]
    fn dates_are_whole_days() {
        let from = time_ms("from", "2026-11-30", false).unwrap();
        let to = time_ms("to", "2026-11-30", true).unwrap();
        assert_eq!(to - from, 86_400_000);
        assert!(time_ms("from", "soon", false).is_err());
    }
}
