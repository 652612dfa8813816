//! Server-Sent Events: the real-time figures for the dashboard and wallboard (CMS-3, CMS-7),
//! pushed every `[dashboard] refresh_seconds`, with threshold breaches marked (CMS-4); and the
//! agent desk's stream — the agent's own state, and a screen pop when a call is offered to them
//! (CTI-2).
//!
//! A stream re-checks its session every [`SESSION_CHECK`] and ends when it is gone (signed out,
//! expired, disabled); the browser's `EventSource` then reconnects, is refused, and the page
//! sends the user to sign in.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::auth::{Auth, Principal, refuse};
use super::{AppState, now_ms};
use crate::accounts::Capability;
use crate::config::DashboardSection;

/// How often a stream checks that its session still exists.
const SESSION_CHECK: Duration = Duration::from_secs(30);

/// The real-time figures with names and threshold breaches: what the dashboard, the wallboard
/// and `GET /api/v1/realtime` show. `queues` maps each queue ID to its figures.
pub(crate) fn snapshot(state: &AppState) -> Value {
    let mut raw = state.acd.realtime();
    let web = &state.web;
    let limits = &web.dashboard;
    let queues: serde_json::Map<String, Value> = web
        .queues
        .iter()
        .map(|(id, name)| {
            let mut q = raw["queues"][id.as_str()].take();
            if q.is_null() {
                q = json!({});
            }
            q["name"] = json!(name);
            q["alerts"] = json!(queue_alerts(&q, limits));
            (id.clone(), q)
        })
        .collect();
    let agents: Vec<Value> = raw["agents"]
        .as_array_mut()
        .map(std::mem::take)
        .unwrap_or_default()
        .into_iter()
        .map(|mut a| {
            let id = a["agent"].as_str().unwrap_or_default().to_owned();
            a["name"] = json!(web.agent_name(&id));
            let long = a["state"] == "not_ready"
                && a["seconds_in_state"].as_i64().unwrap_or(0)
                    > i64::try_from(limits.not_ready_alert_seconds).unwrap_or(i64::MAX);
            a["alert"] = json!(long);
            a
        })
        .collect();
    json!({
        "generated_at": raw["generated_at"],
        "refresh_seconds": limits.refresh_seconds,
        "calls_active": state.calls.active(),
        "recording": state.calls.recording_faults().snapshot(now_ms()),
        "thresholds": {
            "service_level_alert": limits.service_level_alert,
            "abandon_rate_alert": limits.abandon_rate_alert,
            "waiting_alert": limits.waiting_alert,
            "not_ready_alert_seconds": limits.not_ready_alert_seconds,
        },
        "queues": queues,
        "queue_order": web.queues.iter().map(|(id, _)| id).collect::<Vec<_>>(),
        "agents": agents,
    })
}

/// Which of a queue's figures breach their thresholds. Ratios count only once calls were
/// offered.
pub(crate) fn queue_alerts(q: &Value, limits: &DashboardSection) -> Vec<&'static str> {
    let mut alerts = Vec::new();
    let offered = q["offered"].as_u64().unwrap_or(0);
    if offered > 0 && q["service_level"].as_f64().unwrap_or(1.0) < limits.service_level_alert {
        alerts.push("service_level");
    }
    if offered > 0 && q["abandon_rate"].as_f64().unwrap_or(0.0) > limits.abandon_rate_alert {
        alerts.push("abandon_rate");
    }
    if q["waiting"].as_u64().unwrap_or(0) > limits.waiting_alert {
        alerts.push("waiting");
    }
    alerts
}

fn sse<S>(events: S) -> Response
where
    S: Stream<Item = Result<Event, Infallible>> + Send + 'static,
{
    let mut r = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // Proxies must not buffer the stream.
    r.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    r
}

/// Whether the principal's session still exists (a token never ends).
async fn still_signed_in(state: &AppState, p: &Principal) -> bool {
    match p {
        Principal::Session { token, .. } => {
            matches!(state.accounts.session(token, now_ms()).await, Ok(Some(_)))
        }
        Principal::ApiToken => true,
    }
}

/// `GET /events/realtime` and `GET /api/v1/realtime/stream`: `event: realtime` with
/// [`snapshot`] now and every refresh interval.
pub(crate) async fn realtime_events(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Realtime, false) {
        return r;
    }
    let every = Duration::from_secs(state.web.dashboard.refresh_seconds.clamp(1, 5));
    let checks_every = u32::try_from(SESSION_CHECK.as_secs() / every.as_secs().max(1)).unwrap_or(1);
    let events = stream::unfold((state, p, 0u32), move |(state, p, n)| async move {
        if n > 0 {
            tokio::time::sleep(every).await;
        }
        if n > 0 && n % checks_every.max(1) == 0 && !still_signed_in(&state, &p).await {
            return None;
        }
        let event = Event::default()
            .event("realtime")
            .data(snapshot(&state).to_string());
        Some((Ok(event), (state, p, n.wrapping_add(1))))
    });
    sse(events)
}

/// What the agent desk's stream waits on.
enum DeskWait {
    Tick,
    Pop(crate::calls::ScreenPop),
    Lagged,
    Closed,
}

/// `GET /events/desk`: for an agent account, `event: state` with the agent's own line of the
/// real-time figures every refresh interval, and `event: offer` with the caller, their
/// history and the call's IDs the moment a call is offered to them.
pub(crate) async fn desk_events(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::AgentDesk, false) {
        return r;
    }
    let Some(agent) = p.user().and_then(|u| u.agent_id.clone()) else {
        return super::error(
            axum::http::StatusCode::BAD_REQUEST,
            "this account has no agent ID",
        );
    };
    let pops = state.calls.screen_pops();
    let every = Duration::from_secs(state.web.dashboard.refresh_seconds.clamp(1, 5));
    let events = stream::unfold(
        (state, p, agent, pops, 0u32),
        move |(state, p, agent, mut pops, n)| async move {
            loop {
                let wait = if n == 0 {
                    DeskWait::Tick
                } else {
                    tokio::select! {
                        () = tokio::time::sleep(every) => DeskWait::Tick,
                        pop = pops.recv() => match pop {
                            Ok(pop) => DeskWait::Pop(pop),
                            Err(broadcast::error::RecvError::Lagged(_)) => DeskWait::Lagged,
                            Err(broadcast::error::RecvError::Closed) => DeskWait::Closed,
                        },
                    }
                };
                let next = n.wrapping_add(1);
                match wait {
                    DeskWait::Closed => return None,
                    DeskWait::Lagged => {}
                    DeskWait::Pop(pop) if pop.agent == agent => {
                        let history = super::tickets::contact_json(&state, &pop.caller, 10)
                            .await
                            .unwrap_or(Value::Null);
                        let data = json!({ "call": pop, "history": history });
                        let event = Event::default().event("offer").data(data.to_string());
                        return Some((Ok(event), (state, p, agent, pops, next)));
                    }
                    DeskWait::Pop(_) => {}
                    DeskWait::Tick => {
                        if n > 0 && n % 15 == 0 && !still_signed_in(&state, &p).await {
                            return None;
                        }
                        let all = snapshot(&state);
                        let mine = all["agents"]
                            .as_array()
                            .and_then(|a| a.iter().find(|a| a["agent"] == agent.as_str()))
                            .cloned()
                            .unwrap_or_else(|| json!({ "agent": agent, "state": "logged_out" }));
                        let event = Event::default().event("state").data(mine.to_string());
                        return Some((Ok(event), (state, p, agent, pops, next)));
                    }
                }
            }
        },
    );
    sse(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_mark_breaches_only_with_calls_offered() {
        let limits = DashboardSection::default();
        let quiet =
            json!({ "offered": 0, "service_level": 0.0, "abandon_rate": 0.0, "waiting": 0 });
        assert!(queue_alerts(&quiet, &limits).is_empty());
        let bad = json!({ "offered": 10, "service_level": 0.5, "abandon_rate": 0.3, "waiting": 9 });
        assert_eq!(
            queue_alerts(&bad, &limits),
            ["service_level", "abandon_rate", "waiting"]
        );
        let good =
            json!({ "offered": 10, "service_level": 0.9, "abandon_rate": 0.05, "waiting": 1 });
        assert!(queue_alerts(&good, &limits).is_empty());
    }
}
