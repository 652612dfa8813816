//! The HTTP side: `GET /healthz` today; the dashboard and API come with the CMS.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
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
    Router::new()
        .route("/healthz", get(healthz))
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
