//! Server-rendered pages (askama templates in `templates/`): the navigation every page shares,
//! the dashboard, wallboard and reports (CMS-3 to CMS-7), the agent desk (CRM-5), and the pages
//! for errors.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::auth::{Auth, Principal, refuse};
use super::{AppState, error};
use crate::accounts::{Capability, Role, Session};
use crate::acd_driver::{DeskChange, FeatureRefusal};

/// The navigation bar: who is signed in and the parts of the site their role opens.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nav {
    pub(crate) signed_in: bool,
    pub(crate) display_name: String,
    pub(crate) role: &'static str,
    pub(crate) csrf: String,
    pub(crate) active: &'static str,
    pub(crate) realtime: bool,
    pub(crate) reports: bool,
    pub(crate) recordings: bool,
    pub(crate) tickets: bool,
    pub(crate) desk: bool,
    pub(crate) users: bool,
    pub(crate) audit: bool,
}

impl Nav {
    /// For a page nobody is signed in to.
    pub(crate) fn anonymous() -> Self {
        Self::default()
    }

    /// For a signed-in session, with `active` the section shown.
    pub(crate) fn for_session(s: &Session, active: &'static str) -> Self {
        let role = s.user.role;
        Self {
            signed_in: true,
            display_name: s.user.display_name.clone(),
            role: role.as_str(),
            csrf: s.csrf.clone(),
            active,
            realtime: role.can(Capability::Realtime),
            reports: role.can(Capability::Reports),
            recordings: role.can(Capability::Recordings),
            tickets: role.can(Capability::Tickets),
            desk: role.can(Capability::AgentDesk),
            users: role.can(Capability::Users),
            audit: role.can(Capability::Audit),
        }
    }

    /// `class="active"` for the current section's link.
    pub(crate) fn is(&self, section: &str) -> bool {
        self.active == section
    }
}

/// Renders a template with a status code.
pub(crate) fn html(code: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut r = (code, Html(body)).into_response();
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "page could not be rendered",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    nav: Nav,
    title: &'a str,
    text: &'a str,
}

/// A page that only says something (errors, refusals).
pub(crate) fn message(code: StatusCode, nav: &Nav, title: &str, text: &str) -> Response {
    html(
        code,
        &MessagePage {
            nav: nav.clone(),
            title,
            text,
        },
    )
}

/// Unknown pages.
pub(crate) async fn not_found(request: axum::extract::Request) -> Response {
    let nav = request
        .extensions()
        .get::<Principal>()
        .map_or_else(Nav::anonymous, |p| p.nav(""));
    message(
        StatusCode::NOT_FOUND,
        &nav,
        "Not found",
        "There is no such page.",
    )
}

/// `GET /`: each role's first page.
pub(crate) async fn home(Auth(p): Auth) -> Response {
    let target = match p.user().map(|u| u.role) {
        Some(Role::Agent) => "/desk",
        Some(Role::Admin) => "/users",
        _ => "/dashboard",
    };
    Redirect::to(target).into_response()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Nav,
    refresh_seconds: u64,
}

/// `GET /dashboard`: queues and agents, live (CMS-3).
pub(crate) async fn dashboard(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Realtime, false) {
        return r;
    }
    html(
        StatusCode::OK,
        &DashboardPage {
            nav: p.nav("dashboard"),
            refresh_seconds: state.web.dashboard.refresh_seconds,
        },
    )
}

#[derive(Template)]
#[template(path = "wallboard.html")]
struct WallboardPage;

/// `GET /wallboard`: large type for a TV, no interaction, reconnects by itself (CMS-7).
pub(crate) async fn wallboard(Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Realtime, false) {
        return r;
    }
    html(StatusCode::OK, &WallboardPage)
}

/// The date range of a report, as `YYYY-MM-DD` dates in WIB (end inclusive).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
}

/// A report's range: Unix seconds `[from, to)` and the dates as given.
pub(crate) fn report_range(q: &ReportQuery) -> Result<(i64, i64, String, String), String> {
    let zone = jiff::tz::TimeZone::get("Asia/Jakarta").map_err(|e| e.to_string())?;
    let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
    let parse = |name: &str, v: Option<&str>| -> Result<jiff::civil::Date, String> {
        match v.filter(|v| !v.is_empty()) {
            None => Ok(today),
            Some(v) => v
                .parse::<jiff::civil::Date>()
                .map_err(|_| format!("{name} must be a date, YYYY-MM-DD: {v:?}")),
        }
    };
    let from = parse("from", q.from.as_deref())?;
    let to = parse("to", q.to.as_deref())?;
    if to < from {
        return Err("to must not be before from".to_owned());
    }
    if (to - from).get_days() > 366 {
        return Err("a report covers at most 366 days".to_owned());
    }
    let start = from
        .to_zoned(zone.clone())
        .map_err(|e| e.to_string())?
        .timestamp();
    let end = to
        .tomorrow()
        .and_then(|d| d.to_zoned(zone))
        .map_err(|e| e.to_string())?
        .timestamp();
    Ok((
        start.as_second(),
        end.as_second(),
        from.to_string(),
        to.to_string(),
    ))
}

/// One row of the intervals table.
struct IntervalRow {
    start: String,
    queue: String,
    offered: u64,
    answered: u64,
    abandoned: u64,
    service_level: String,
    asa: String,
}

/// One agent's line of the report: times as h:mm:ss.
struct AgentRow {
    name: String,
    staffed: String,
    available: String,
    talk: String,
    hold: String,
    after_call_work: String,
    not_ready: String,
    calls: u64,
}

/// Seconds as `h:mm:ss`.
pub(crate) fn hms(seconds: u64) -> String {
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    nav: Nav,
    from: String,
    to: String,
    problem: String,
    interval_minutes: u64,
    rows: Vec<IntervalRow>,
    agents: Vec<AgentRow>,
    /// Agent, logged in, logged out, how long (CRM-4).
    sessions: Vec<(String, String, String, String)>,
    chart_json: String,
}

/// `GET /reports?from=&to=`: the interval rollups per queue as a table and a chart, with a CSV
/// export (CMS-5, CMS-6).
pub(crate) async fn reports(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, false) {
        return r;
    }
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let mut page = ReportsPage {
        nav: p.nav("reports"),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        problem: String::new(),
        interval_minutes: 15,
        rows: Vec::new(),
        agents: Vec::new(),
        sessions: Vec::new(),
        chart_json: "{}".to_owned(),
    };
    let (from, to, from_text, to_text) = match report_range(&q) {
        Ok(r) => r,
        Err(why) => {
            page.problem = why;
            return html(StatusCode::BAD_REQUEST, &page);
        }
    };
    page.from = from_text;
    page.to = to_text;
    let data = state.acd.intervals(from, to);
    page.interval_minutes = data["interval_s"].as_u64().unwrap_or(900) / 60;
    let rows = data["intervals"].as_array().cloned().unwrap_or_default();
    page.rows = rows
        .iter()
        .map(|r| IntervalRow {
            start: r["interval_start"]
                .as_str()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| super::local(t.as_millisecond()))
                .unwrap_or_default(),
            queue: r["queue"].as_str().unwrap_or_default().to_owned(),
            offered: r["offered"].as_u64().unwrap_or(0),
            answered: r["answered"].as_u64().unwrap_or(0),
            abandoned: r["abandoned"].as_u64().unwrap_or(0),
            service_level: format!("{:.0}%", r["service_level"].as_f64().unwrap_or(0.0) * 100.0),
            asa: format!("{:.1}", r["asa_s"].as_f64().unwrap_or(0.0)),
        })
        .collect();
    let agents = state.acd.agent_totals(from, to);
    page.agents = agents["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let t = |k: &str| hms(a[k].as_u64().unwrap_or(0));
            AgentRow {
                name: state
                    .web
                    .agent_name(a["agent"].as_str().unwrap_or_default())
                    .to_owned(),
                staffed: t("staffed_s"),
                available: t("available_s"),
                talk: t("talk_s"),
                hold: t("hold_s"),
                after_call_work: t("after_call_work_s"),
                not_ready: t("not_ready_s"),
                calls: a["calls"].as_u64().unwrap_or(0),
            }
        })
        .collect();
    match state
        .store
        .agent_sessions(from.saturating_mul(1000), to.saturating_mul(1000))
        .await
    {
        Ok(list) => {
            page.sessions = list
                .into_iter()
                .map(|(agent, start, end)| {
                    (
                        state.web.agent_name(&agent).to_owned(),
                        super::local(start),
                        end.map(super::local)
                            .unwrap_or_else(|| "still logged in".to_owned()),
                        end.map(|e| hms(u64::try_from((e - start) / 1000).unwrap_or(0)))
                            .unwrap_or_default(),
                    )
                })
                .collect();
        }
        Err(e) => return super::unavailable("agent sessions", &e),
    }
    let step = i64::try_from(page.interval_minutes * 60)
        .unwrap_or(900)
        .max(60);
    page.chart_json = chart_series(&rows, from, to, step).to_string();
    html(StatusCode::OK, &page)
}

/// uPlot's columns: every interval start (Unix seconds) in `[from, to)`, and offered,
/// answered, abandoned summed over the queues (zero where no call came).
fn chart_series(rows: &[serde_json::Value], from: i64, to: i64, step: i64) -> serde_json::Value {
    let mut by_start: std::collections::BTreeMap<i64, [u64; 3]> = (0..)
        .map(|i| from + i * step)
        .take_while(|t| *t < to)
        .take(40_000)
        .map(|t| (t, [0; 3]))
        .collect();
    for r in rows {
        let Some(t) = r["interval_start"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        else {
            continue;
        };
        let e = by_start.entry(t.as_second()).or_default();
        for (i, key) in ["offered", "answered", "abandoned"].into_iter().enumerate() {
            e[i] += r[key].as_u64().unwrap_or(0);
        }
    }
    let column = |i: usize| by_start.values().map(|v| v[i]).collect::<Vec<_>>();
    serde_json::json!([
        by_start.keys().collect::<Vec<_>>(),
        column(0),
        column(1),
        column(2)
    ])
}

/// `GET /reports/intervals.csv?from=&to=`: the same rollups as CSV.
pub(crate) async fn intervals_csv(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, false) {
        return r;
    }
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let (from, to, from_text, to_text) = match report_range(&q) {
        Ok(r) => r,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let data = state.acd.intervals(from, to);
    let mut csv = String::from(
        "interval_start,queue,offered,answered,answered_within_threshold,abandoned,short_abandoned,overflowed,timed_out,rejected,service_level,abandon_rate,asa_s\n",
    );
    for r in data["intervals"].as_array().into_iter().flatten() {
        let n = |k: &str| r[k].as_u64().unwrap_or(0).to_string();
        let f = |k: &str| format!("{:.4}", r[k].as_f64().unwrap_or(0.0));
        let fields = [
            r["interval_start"].as_str().unwrap_or_default().to_owned(),
            r["queue"].as_str().unwrap_or_default().to_owned(),
            n("offered"),
            n("answered"),
            n("answered_within_threshold"),
            n("abandoned"),
            n("short_abandoned"),
            n("overflowed"),
            n("timed_out"),
            n("rejected"),
            f("service_level"),
            f("abandon_rate"),
            f("asa_s"),
        ];
        csv.push_str(&fields.join(","));
        csv.push('\n');
    }
    let disposition = format!("attachment; filename=\"intervals-{from_text}-{to_text}.csv\"");
    let mut r = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[derive(Template)]
#[template(path = "desk.html")]
struct DeskPage {
    nav: Nav,
    agent: String,
    /// The agent's state as shown (the stream keeps it current).
    state: String,
    reasons: Vec<String>,
    notice: String,
}

/// Not-ready reasons the desk offers.
const DESK_REASONS: [&str; 4] = ["break", "lunch", "meeting", "training"];

/// `GET /desk`: the agent's state and buttons, and the screen pop (CRM-5, CTI-2).
pub(crate) async fn desk(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::AgentDesk, false) {
        return r;
    }
    html(StatusCode::OK, &desk_page(&state, &p, String::new()))
}

/// How the desk names a state (as `assets/app.js` does).
fn state_label(state: &str) -> &'static str {
    match state {
        "available" => "Available",
        "ringing" => "Ringing",
        "on_acd_call" => "On call",
        "on_hold" => "On hold",
        "on_direct_call" => "Direct call",
        "after_call_work" => "Wrap-up",
        "not_ready" => "Not ready",
        _ => "Logged out",
    }
}

fn desk_page(state: &AppState, p: &Principal, notice: String) -> DeskPage {
    let agent = p
        .user()
        .and_then(|u| u.agent_id.clone())
        .unwrap_or_default();
    let live = super::live::snapshot(state);
    let now = live["agents"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["agent"] == agent.as_str()))
        .and_then(|a| a["state"].as_str())
        .unwrap_or("logged_out");
    DeskPage {
        nav: p.nav("desk"),
        state: state_label(now).to_owned(),
        agent,
        reasons: DESK_REASONS.iter().map(|r| (*r).to_owned()).collect(),
        notice,
    }
}

/// A state change: `login`, `logout`, `ready`, `not_ready` (with `reason`), `wrap_up_done`.
#[derive(Debug, Deserialize)]
pub(crate) struct StateChange {
    pub(crate) state: String,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// Applies a state change to `agent` (shared by the desk form and the API).
pub(crate) async fn change_agent_state(
    state: &AppState,
    actor: &str,
    agent: &str,
    change: &StateChange,
) -> Result<&'static str, (StatusCode, String)> {
    let bad = |m: String| (StatusCode::BAD_REQUEST, m);
    let Some((_, _, queues)) = state.web.agents.iter().find(|(a, _, _)| a == agent) else {
        return Err((StatusCode::NOT_FOUND, format!("no agent {agent:?}")));
    };
    let id = sambung_core::ids::AgentId::new(agent).map_err(|e| bad(e.to_string()))?;
    let desk = match change.state.as_str() {
        "login" => DeskChange::Login,
        "logout" => DeskChange::Logout,
        "ready" => DeskChange::Ready,
        "wrap_up_done" => DeskChange::WrapUpDone,
        "not_ready" => {
            let reason = change.reason.as_deref().unwrap_or("break");
            DeskChange::NotReady(
                sambung_core::ids::ReasonCode::new(reason)
                    .map_err(|e| bad(format!("reason: {e}")))?,
            )
        }
        other => {
            return Err(bad(format!(
                "state must be login, logout, ready, not_ready or wrap_up_done, not {other:?}"
            )));
        }
    };
    let done = state
        .acd
        .desk(id, desk, queues.clone())
        .await
        .map_err(|e| match e {
            FeatureRefusal::NotLoggedIn => (
                StatusCode::CONFLICT,
                "the agent is not logged in".to_owned(),
            ),
            other => (StatusCode::CONFLICT, other.to_string()),
        })?;
    let _ = state
        .accounts
        .audit(super::now_ms(), actor, "agent.state", agent, &change.state)
        .await;
    Ok(done)
}

/// `POST /desk`: the desk's buttons.
pub(crate) async fn desk_change(
    State(state): State<AppState>,
    Auth(p): Auth,
    form: Result<Form<StateChange>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::AgentDesk, false) {
        return r;
    }
    let Ok(Form(change)) = form else {
        return error(StatusCode::BAD_REQUEST, "state is required");
    };
    let agent = p
        .user()
        .and_then(|u| u.agent_id.clone())
        .unwrap_or_default();
    match change_agent_state(&state, p.actor(), &agent, &change).await {
        Ok(done) => html(
            StatusCode::OK,
            &desk_page(&state, &p, format!("Done: {done}.")),
        ),
        Err((code, why)) => html(code, &desk_page(&state, &p, why)),
    }
}

/// `POST /api/v1/agents/{id}/state`: the same change as JSON; an agent may change only their
/// own state, supervisors and managers anyone's.
pub(crate) async fn agent_state_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    axum::extract::Path(agent): axum::extract::Path<String>,
    body: Result<Json<StateChange>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let own = p.user().and_then(|u| u.agent_id.as_deref()) == Some(agent.as_str());
    let allowed = own
        || matches!(p, Principal::ApiToken)
        || p.user()
            .is_some_and(|u| matches!(u.role, Role::Supervisor | Role::Manager));
    if !allowed {
        return error(
            StatusCode::FORBIDDEN,
            "only the agent or a supervisor may change this state",
        );
    }
    let Ok(Json(change)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "a JSON body {\"state\": …, \"reason\": …} is required",
        );
    };
    match change_agent_state(&state, p.actor(), &agent, &change).await {
        Ok(done) => Json(serde_json::json!({ "agent": agent, "done": done })).into_response(),
        Err((code, why)) => error(code, why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_has_every_interval_of_the_range() {
        let rows = [serde_json::json!({
            "interval_start": "2026-11-30T03:15:00Z", "queue": "pengaduan",
            "offered": 3, "answered": 2, "abandoned": 1,
        })];
        let from = "2026-11-29T17:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        let series = chart_series(&rows, from, from + 86_400, 900);
        let starts = series[0].as_array().unwrap();
        assert_eq!(starts.len(), 96);
        let at = starts
            .iter()
            .position(|t| t.as_i64() == Some(from + 41 * 900))
            .unwrap();
        assert_eq!(
            (&series[1][at], &series[2][at], &series[3][at]),
            (
                &serde_json::json!(3),
                &serde_json::json!(2),
                &serde_json::json!(1)
            )
        );
        assert_eq!(
            series[1]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|v| v.as_u64())
                .sum::<u64>(),
            3
        );
    }

    #[test]
    fn report_ranges_are_whole_days_in_wib() {
        let q = ReportQuery {
            from: Some("2026-11-30".into()),
            to: Some("2026-11-30".into()),
        };
        let (from, to, ..) = report_range(&q).unwrap();
        assert_eq!(to - from, 86_400);
        // Midnight WIB is 17:00 UTC the day before.
        assert_eq!(
            jiff::Timestamp::from_second(from).unwrap().to_string(),
            "2026-11-29T17:00:00Z"
        );
        let backwards = ReportQuery {
            from: Some("2026-11-30".into()),
            to: Some("2026-11-01".into()),
        };
        assert!(report_range(&backwards).is_err());
        let junk = ReportQuery {
            from: Some("yesterday".into()),
            to: None,
        };
        assert!(report_range(&junk).unwrap_err().contains("YYYY-MM-DD"));
    }
}
