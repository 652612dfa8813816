//! The HTTP side: `GET /healthz` (no login), and the CMS over `/api/v1` with the bearer token
//! from `secrets.toml` (`Authorization: Bearer …`; anything else gets 401):
//! `GET /api/v1/realtime` (per queue: offered, answered, abandoned, waiting, service level,
//! ASA…) and `GET /api/v1/reports/intervals?from=…&to=…` (RFC 3339 times; the 15-minute
//! rollups with starts in `[from, to)`), `GET /api/v1/callbacks` (callback requests left after
//! hours and not yet done, oldest first, at most 1000).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::listen::ListenAddr;
use crate::sip_listener::SipCounters;
use crate::store::Store;

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) started: Instant,
    pub(crate) sip_listen: Arc<[ListenAddr]>,
    pub(crate) counters: Arc<SipCounters>,
    pub(crate) office_hours: Arc<sambung_core::calendar::OfficeHours>,
    pub(crate) calls: Arc<crate::calls::CallCenter>,
    pub(crate) acd: Arc<crate::acd_driver::AcdDriver>,
    pub(crate) api_token: Arc<str>,
}

/// The body of `GET /healthz`.
#[derive(Debug, Serialize)]
pub(crate) struct Health {
    /// `ok`, or `degraded` when the database does not answer.
    status: &'static str,
    version: &'static str,
    uptime_seconds: u64,
    run_id: i64,
    database: &'static str,
    office_open: bool,
    /// Calls in progress.
    calls_active: usize,
    sip: SipHealth,
}

#[derive(Debug, Serialize)]
struct SipHealth {
    listen: Vec<String>,
    datagrams_received: u64,
    tcp_connections_accepted: u64,
    bytes_received: u64,
    parse_errors: u64,
    responses_sent: u64,
}

/// The router.
pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/realtime", get(realtime))
        .route("/reports/intervals", get(intervals))
        .route("/callbacks", get(callbacks))
        .fallback(api_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api)
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let db_ok = state.store.ping().await.is_ok();
    let c = &state.counters;
    let health = Health {
        status: if db_ok { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        uptime_seconds: state.started.elapsed().as_secs(),
        run_id: state.store.run_id(),
        database: if db_ok { "ok" } else { "unreachable" },
        office_open: state.office_hours.is_open(jiff::Timestamp::now()),
        calls_active: state.calls.active(),
        sip: SipHealth {
            listen: state.sip_listen.iter().map(ToString::to_string).collect(),
            datagrams_received: c.datagrams.load(Ordering::Relaxed),
            tcp_connections_accepted: c.tcp_connections.load(Ordering::Relaxed),
            bytes_received: c.bytes.load(Ordering::Relaxed),
            parse_errors: c.parse_errors.load(Ordering::Relaxed),
            responses_sent: c.responses_sent.load(Ordering::Relaxed),
        },
    };
    let code = if db_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(health))
}

/// A JSON error body: `{"error": "..."}`.
fn error(code: StatusCode, message: impl Into<String>) -> Response {
    (code, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// Lets a request through only with the API token, compared in constant time.
async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let expected = &*state.api_token;
    if expected.is_empty() || !crate::secrets::same_secret(given, expected) {
        let mut r = error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    next.run(request).await
}

/// Unknown API paths: 401 without the token (the layer answers first), 404 with it.
async fn api_not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such API route")
}

async fn realtime(State(state): State<AppState>) -> Json<serde_json::Value> {
    let mut body = state.acd.realtime();
    body["calls_active"] = serde_json::json!(state.calls.active());
    Json(body)
}

/// `from` and `to` of the intervals report.
#[derive(Debug, serde::Deserialize)]
struct Range {
    from: String,
    to: String,
}

async fn intervals(
    State(state): State<AppState>,
    query: Result<Query<Range>, QueryRejection>,
) -> Response {
    let Ok(Query(range)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "from and to are required (RFC 3339 times)",
        );
    };
    let parse = |name: &str, v: &str| {
        v.parse::<jiff::Timestamp>()
            .map_err(|e| format!("{name}: {e}"))
    };
    let (from, to) = match (parse("from", &range.from), parse("to", &range.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(why), _) | (_, Err(why)) => return error(StatusCode::BAD_REQUEST, why),
    };
    if to <= from {
        return error(StatusCode::BAD_REQUEST, "to must be after from");
    }
    Json(state.acd.intervals(from.as_second(), to.as_second())).into_response()
}

async fn callbacks(State(state): State<AppState>) -> Response {
    match state.store.open_callbacks().await {
        Ok(rows) => {
            let list: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|(id, caller, service, ms)| {
                    serde_json::json!({
                        "id": id,
                        "caller": caller,
                        "service": service,
                        "requested_at": jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).ok(),
                    })
                })
                .collect();
            Json(serde_json::json!({ "callbacks": list })).into_response()
        }
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}")),
    }
}
