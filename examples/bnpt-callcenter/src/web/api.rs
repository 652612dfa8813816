//! The JSON API under `/api/v1` (ACC-3, CMS-8), described by `openapi.json`. Every route needs
//! a session cookie or the bearer token; errors are `{"error": "…"}` with a 4xx status.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Json, Router};

use super::auth::{Auth, refuse};
use super::{AppState, error};
use crate::accounts::Capability;

/// The API's routes (nested under `/api/v1`): every path `openapi.json` describes, and no
/// other (a test compares the two).
pub(crate) fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/openapi.json", get(openapi)),
        ("/me", get(super::auth::me)),
        ("/realtime", get(realtime)),
        ("/realtime/stream", get(super::live::realtime_events)),
        ("/reports/intervals", get(intervals)),
        ("/reports/agents", get(agent_report)),
        ("/reports/agent-sessions", get(agent_sessions)),
        ("/reports/custom", get(super::custom_reports::run_api)),
        (
            "/reports/saved",
            get(super::custom_reports::list_api).post(super::custom_reports::save_api),
        ),
        (
            "/reports/saved/{id}",
            axum::routing::delete(super::custom_reports::delete_api),
        ),
        ("/callbacks", get(callbacks)),
        ("/agents/{id}/state", post(super::pages::agent_state_api)),
        ("/recordings", get(super::recordings::search_api)),
        ("/recordings/{id}", get(super::recordings::get_api)),
        ("/recordings/{id}/audio", get(super::recordings::audio)),
        (
            "/tickets",
            get(super::tickets::list_api).post(super::tickets::create_api),
        ),
        (
            "/tickets/{id}",
            get(super::tickets::get_api).patch(super::tickets::update_api),
        ),
        ("/tickets/{id}/dispatch", post(super::tickets::dispatch_api)),
        ("/contacts/{number}", get(super::tickets::contact_api)),
        (
            "/users",
            get(super::users::list_api).post(super::users::create_api),
        ),
        (
            "/users/{id}",
            axum::routing::patch(super::users::update_api),
        ),
        ("/audit", get(super::users::audit_api)),
    ]
}

/// The API's router (nested under `/api/v1`).
pub(crate) fn router() -> Router<AppState> {
    routes()
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods)
        })
}

/// The API's description, `openapi.json` in the crate.
pub(crate) const OPENAPI: &str = include_str!("../../openapi.json");

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
        .into_response()
}

/// Unknown API paths (401 first without a sign-in, from the middleware).
pub(crate) async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such API route")
}

async fn realtime(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Realtime, true) {
        return r;
    }
    Json(super::live::snapshot(&state)).into_response()
}

/// `from` and `to` of the intervals report.
#[derive(Debug, serde::Deserialize)]
struct Range {
    from: String,
    to: String,
}

/// `from` and `to` as Unix seconds, or why not (a 400).
fn range_of(query: Result<Query<Range>, QueryRejection>) -> Result<(i64, i64), String> {
    let Ok(Query(range)) = query else {
        return Err("from and to are required (RFC 3339 times)".to_owned());
    };
    let parse = |name: &str, v: &str| {
        v.parse::<jiff::Timestamp>()
            .map_err(|e| format!("{name}: {e}"))
    };
    let (from, to) = match (parse("from", &range.from), parse("to", &range.to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(why), _) | (_, Err(why)) => return Err(why),
    };
    if to <= from {
        return Err("to must be after from".to_owned());
    }
    Ok((from.as_second(), to.as_second()))
}

/// `GET /api/v1/reports/agents?from=&to=`: each agent's time per state and calls (CMS-5).
async fn agent_report(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<Range>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, true) {
        return r;
    }
    match range_of(query) {
        Ok((from, to)) => Json(state.acd.agent_totals(from, to)).into_response(),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}

/// `GET /api/v1/reports/agent-sessions?from=&to=`: agents' login and logout times (CRM-4).
async fn agent_sessions(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<Range>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, true) {
        return r;
    }
    let (from, to) = match range_of(query) {
        Ok(r) => r,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    match state
        .store
        .agent_sessions(from.saturating_mul(1000), to.saturating_mul(1000))
        .await
    {
        Ok(sessions) => {
            let list: Vec<serde_json::Value> = sessions
                .into_iter()
                .map(|(agent, start, end)| {
                    serde_json::json!({
                        "agent": agent,
                        "logged_in_at": super::iso(start),
                        "logged_out_at": end.map(super::iso),
                        "seconds": end.map(|e| (e - start) / 1000),
                    })
                })
                .collect();
            Json(serde_json::json!({ "sessions": list })).into_response()
        }
        Err(e) => super::unavailable("agent sessions", &e),
    }
}

async fn intervals(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<Range>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, true) {
        return r;
    }
    match range_of(query) {
        Ok((from, to)) => Json(state.acd.intervals(from, to)).into_response(),
        Err(why) => error(StatusCode::BAD_REQUEST, why),
    }
}

async fn callbacks(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, true) {
        return r;
    }
    match state.store.open_callbacks().await {
        Ok(rows) => {
            let list: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|(id, caller, service, ms)| {
                    serde_json::json!({
                        "id": id,
                        "caller": caller,
                        "service": service,
                        "requested_at": super::iso(ms),
                    })
                })
                .collect();
            Json(serde_json::json!({ "callbacks": list })).into_response()
        }
        Err(e) => super::unavailable("database", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_openapi_json_and_every_path_there_is_routed() {
        let spec: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        let mut documented: Vec<&str> = spec["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut routed: Vec<&str> = routes().into_iter().map(|(p, _)| p).collect();
        documented.sort_unstable();
        routed.sort_unstable();
        assert_eq!(routed, documented);
    }
}
