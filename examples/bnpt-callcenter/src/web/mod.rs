//! The web side, on axum: `GET /healthz` (no sign-in); the pages — dashboard, wallboard,
//! reports, recordings, tickets, agent desk, accounts — for a browser session; and the JSON API
//! under `/api/v1` for BNPT's other systems (ACC-3), with a session cookie or the bearer token
//! from `secrets.toml`. `openapi.json` in the crate describes the API.
//!
//! Every request goes through [`auth::authenticate`] first: it finds who is asking, turns away
//! anonymous requests (401 on the API, a redirect to `/login` for pages), enforces the CSRF
//! token on changes made with a cookie, and keeps a one-time password from doing anything but
//! being changed. Each handler then checks its [`Capability`](crate::accounts::Capability).

mod api;
mod assets;
pub(crate) mod auth;
mod custom_reports;
mod live;
mod pages;
mod recordings;
pub(crate) use recordings::RecordingsAuthoriser;
mod tickets;
mod users;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sambung_recording::index::RecordingIndex;
use serde::Serialize;

use crate::accounts::Accounts;
use crate::config::{CrmSection, DashboardSection};
use crate::listen::ListenAddr;
use crate::sip_listener::SipCounters;
use crate::store::Store;

/// What the web side knows of the configuration.
#[derive(Debug, Clone)]
pub(crate) struct WebConfig {
    pub(crate) cookie_secure: bool,
    pub(crate) dashboard: DashboardSection,
    pub(crate) crm: CrmSection,
    /// Queue ID → display name, in configuration order.
    pub(crate) queues: Vec<(String, String)>,
    /// Agent ID → display name and queues, in configuration order.
    pub(crate) agents: Vec<(String, String, Vec<sambung_core::ids::QueueId>)>,
}

impl WebConfig {
    /// The display name of agent `id`, or the ID.
    pub(crate) fn agent_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.agents
            .iter()
            .find(|(a, _, _)| a == id)
            .map_or(id, |(_, name, _)| name.as_str())
    }
}

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
    pub(crate) accounts: Arc<Accounts>,
    pub(crate) index: RecordingIndex,
    /// Searches, plays and downloads of recordings, authorised and audited; `None` when the
    /// audit log could not be opened (a broken chain is never extended).
    pub(crate) recordings: Option<Arc<recordings::Guarded>>,
    pub(crate) web: Arc<WebConfig>,
    /// Tickets to the back office (CRM-6).
    pub(crate) dispatcher: Arc<crate::dispatch::Dispatcher>,
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
    let api = api::router().fallback(api::not_found);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/account/password",
            get(users::password_page).post(users::change_password),
        )
        .route("/", get(pages::home))
        .route("/dashboard", get(pages::dashboard))
        .route("/wallboard", get(pages::wallboard))
        .route("/reports", get(pages::reports))
        .route("/reports/intervals.csv", get(pages::intervals_csv))
        .route(
            "/reports/custom",
            get(custom_reports::page).post(custom_reports::save_form),
        )
        .route("/events/realtime", get(live::realtime_events))
        .route("/events/desk", get(live::desk_events))
        .route("/desk", get(pages::desk).post(pages::desk_change))
        .route("/recordings", get(recordings::page))
        .route("/recordings/{id}/audio", get(recordings::audio))
        .route(
            "/tickets",
            get(tickets::list_page).post(tickets::create_form),
        )
        .route("/tickets/new", get(tickets::new_page))
        .route(
            "/tickets/{id}",
            get(tickets::detail_page).post(tickets::update_form),
        )
        .route("/tickets/{id}/dispatch", post(tickets::dispatch_form))
        .route("/contacts/{number}", get(tickets::contact_page))
        .route("/users", get(users::page).post(users::create_form))
        .route("/users/{id}", post(users::update_form))
        .route("/audit", get(users::audit_page))
        .route("/static/{*file}", get(assets::serve))
        .nest("/api/v1", api)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
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

/// A numeric ID from the path (`/tickets/{id}`): anything else is refused — 400 with a JSON
/// message on the API, a "not found" page otherwise.
pub(crate) struct Id(pub(crate) i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Id {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(Id(id)),
            Err(_) if parts.extensions.get::<auth::ApiRequest>().is_some() => Err(error(
                StatusCode::BAD_REQUEST,
                "the id in the path must be a number",
            )),
            Err(_) => {
                let nav = parts
                    .extensions
                    .get::<auth::Principal>()
                    .map_or_else(pages::Nav::anonymous, |p| p.nav(""));
                Err(pages::message(
                    StatusCode::NOT_FOUND,
                    &nav,
                    "Not found",
                    "There is no such page.",
                ))
            }
        }
    }
}

/// A JSON error body: `{"error": "..."}`.
pub(crate) fn error(code: StatusCode, message: impl Into<String>) -> Response {
    (code, Json(serde_json::json!({ "error": message.into() }))).into_response()
}

/// A failure inside a handler, logged, answered 503 (the database or disk is not answering —
/// never a 500 for bad input, which handlers answer 4xx themselves).
pub(crate) fn unavailable(what: &str, e: &dyn std::error::Error) -> Response {
    tracing::warn!(error = %e, "{what}");
    error(StatusCode::SERVICE_UNAVAILABLE, format!("{what}: {e}"))
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// A Unix-milliseconds time as RFC 3339 text (empty if out of range).
pub(crate) fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A Unix-milliseconds time as WIB wall-clock text for pages (`2026-11-30 09:15:02`).
pub(crate) fn local(ms: i64) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    match jiff::tz::TimeZone::get("Asia/Jakarta") {
        Ok(zone) => t.to_zoned(zone).strftime("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => t.to_string(),
    }
}
