//! Custom reports (CMS-4, CMS-6): the user chooses the metrics, the grouping (per interval,
//! hour, day, or one total; split by queue or not) and the queues, over a date range; the
//! result is a table and a chart, and the choice can be saved under a name for everyone.
//!
//! Counters are summed over the interval rollups; ratios are worked out from the sums (a
//! service level is answered within the threshold ÷ offered of the whole group, not a mean of
//! ratios), and the ASA is weighted by answered calls.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

use super::auth::{Auth, Principal, refuse};
use super::pages::{Nav, ReportQuery, html, report_range};
use super::{AppState, Id, error, now_ms};
use crate::accounts::{Capability, Role};

/// The metrics a report can show.
pub(crate) const METRICS: [&str; 9] = [
    "offered",
    "answered",
    "answered_within_threshold",
    "abandoned",
    "overflowed",
    "timed_out",
    "service_level",
    "abandon_rate",
    "asa_s",
];
/// The groupings.
pub(crate) const GROUPS: [&str; 4] = ["interval", "hour", "day", "total"];

/// What a custom report shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Definition {
    pub(crate) metrics: Vec<String>,
    pub(crate) group: String,
    #[serde(default)]
    pub(crate) by_queue: bool,
    /// Queues to include; empty: all.
    #[serde(default)]
    pub(crate) queues: Vec<String>,
}

impl Definition {
    fn check(&self, known_queues: &[(String, String)]) -> Result<(), String> {
        if self.metrics.is_empty() {
            return Err("choose at least one metric".to_owned());
        }
        if let Some(bad) = self.metrics.iter().find(|m| !METRICS.contains(&m.as_str())) {
            return Err(format!(
                "unknown metric {bad:?}; known: {}",
                METRICS.join(", ")
            ));
        }
        if !GROUPS.contains(&self.group.as_str()) {
            return Err(format!("group must be one of {}", GROUPS.join(", ")));
        }
        if let Some(bad) = self
            .queues
            .iter()
            .find(|q| !known_queues.iter().any(|(id, _)| id == *q))
        {
            return Err(format!("unknown queue {bad:?}"));
        }
        Ok(())
    }
}

/// A report's query: the definition (or a saved one), the range, and for saving a name.
#[derive(Debug, Default)]
struct Request {
    def: Definition,
    saved: Option<i64>,
    range: ReportQuery,
    name: String,
}

/// Reads `metrics` (repeated or comma-separated), `group`, `by_queue`, `queues`, `from`, `to`,
/// `saved`, `name` from a query string or form body.
fn parse_request(text: &str) -> Result<Request, String> {
    let mut r = Request::default();
    r.def.group = "interval".to_owned();
    for (k, v) in form_urlencoded::parse(text.as_bytes()) {
        let v = v.trim().to_owned();
        match &*k {
            "metrics" => r.def.metrics.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned),
            ),
            "queues" => r.def.queues.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|q| !q.is_empty())
                    .map(str::to_owned),
            ),
            "group" => r.def.group = v,
            "by_queue" => r.def.by_queue = matches!(v.as_str(), "1" | "true" | "on"),
            "from" => r.range.from = Some(v),
            "to" => r.range.to = Some(v),
            "name" => r.name = v,
            "saved" if !v.is_empty() => {
                r.saved = Some(
                    v.parse()
                        .map_err(|_| format!("saved must be a number, not {v:?}"))?,
                );
            }
            _ => {}
        }
    }
    // Each metric once, in the order first asked (a query repeating one is not a bigger report).
    let mut seen = Vec::with_capacity(METRICS.len());
    r.def.metrics.retain(|m| {
        let first = !seen.contains(m);
        if first {
            seen.push(m.clone());
        }
        first
    });
    r.def.queues.sort();
    r.def.queues.dedup();
    Ok(r)
}

/// The label of the group an interval start falls in.
fn bucket(group: &str, start: i64) -> String {
    let Ok(t) = jiff::Timestamp::from_second(start) else {
        return start.to_string();
    };
    let Ok(zone) = jiff::tz::TimeZone::get("Asia/Jakarta") else {
        return t.to_string();
    };
    let z = t.to_zoned(zone);
    match group {
        "hour" => z.strftime("%Y-%m-%d %H:00").to_string(),
        "day" => z.strftime("%Y-%m-%d").to_string(),
        "total" => "total".to_owned(),
        _ => z.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    offered: u64,
    answered: u64,
    within: u64,
    abandoned: u64,
    overflowed: u64,
    timed_out: u64,
    wait_s: f64,
}

impl Sums {
    fn metric(&self, name: &str) -> Value {
        let ratio = |n: u64| {
            if self.offered == 0 {
                Value::Null
            } else {
                json!(n as f64 / self.offered as f64)
            }
        };
        match name {
            "offered" => json!(self.offered),
            "answered" => json!(self.answered),
            "answered_within_threshold" => json!(self.within),
            "abandoned" => json!(self.abandoned),
            "overflowed" => json!(self.overflowed),
            "timed_out" => json!(self.timed_out),
            "service_level" => ratio(self.within),
            "abandon_rate" => ratio(self.abandoned),
            "asa_s" if self.answered > 0 => json!(self.wait_s / self.answered as f64),
            _ => Value::Null,
        }
    }
}

/// Runs `def` over the rollups `intervals` (the shape of `GET /api/v1/reports/intervals`):
/// `{"columns": [...], "rows": [[group, (queue,) metric…], …]}`.
pub(crate) fn run(def: &Definition, intervals: &Value) -> Value {
    let mut groups: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for r in intervals["intervals"].as_array().into_iter().flatten() {
        let queue = r["queue"].as_str().unwrap_or_default();
        if !def.queues.is_empty() && !def.queues.iter().any(|q| q == queue) {
            continue;
        }
        let Some(start) = r["interval_start"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        else {
            continue;
        };
        let key = (
            bucket(&def.group, start.as_second()),
            if def.by_queue {
                queue.to_owned()
            } else {
                String::new()
            },
        );
        let s = groups.entry(key).or_default();
        let n = |k: &str| r[k].as_u64().unwrap_or(0);
        s.offered += n("offered");
        s.answered += n("answered");
        s.within += n("answered_within_threshold");
        s.abandoned += n("abandoned");
        s.overflowed += n("overflowed");
        s.timed_out += n("timed_out");
        s.wait_s += r["asa_s"].as_f64().unwrap_or(0.0) * n("answered") as f64;
    }
    let mut columns = vec![json!(def.group)];
    if def.by_queue {
        columns.push(json!("queue"));
    }
    columns.extend(def.metrics.iter().map(|m| json!(m)));
    let rows: Vec<Value> = groups
        .iter()
        .map(|((label, queue), sums)| {
            let mut row = vec![json!(label)];
            if def.by_queue {
                row.push(json!(queue));
            }
            row.extend(def.metrics.iter().map(|m| sums.metric(m)));
            Value::Array(row)
        })
        .collect();
    json!({ "columns": columns, "rows": rows })
}

/// A saved report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Saved {
    id: i64,
    name: String,
    owner: String,
    definition: Definition,
    created_at: String,
}

async fn saved_list(state: &AppState) -> Result<Vec<Saved>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, owner, definition, created_ms FROM saved_reports ORDER BY name LIMIT 1000",
    )
    .fetch_all(state.store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let text: String = r.try_get("definition")?;
            Ok(Saved {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                owner: r.try_get("owner")?,
                definition: serde_json::from_str(&text).unwrap_or_default(),
                created_at: super::iso(r.try_get("created_ms")?),
            })
        })
        .collect()
}

async fn saved_one(state: &AppState, id: i64) -> Result<Option<Saved>, sqlx::Error> {
    Ok(saved_list(state).await?.into_iter().find(|s| s.id == id))
}

/// Saves `def` as `name`; 409 if the name is taken.
async fn save(
    state: &AppState,
    owner: &str,
    name: &str,
    def: &Definition,
) -> Result<i64, (StatusCode, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err((
            StatusCode::BAD_REQUEST,
            "a name of 1 to 100 characters is required".to_owned(),
        ));
    }
    def.check(&state.web.queues)
        .map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    let text = serde_json::to_string(def).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
    let done = sqlx::query(
        "INSERT INTO saved_reports (name, owner, definition, created_ms) VALUES (?, ?, ?, ?)",
    )
    .bind(name)
    .bind(owner)
    .bind(text)
    .bind(now_ms())
    .execute(state.store.pool())
    .await;
    match done {
        Ok(d) => Ok(d.last_insert_rowid()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err((
            StatusCode::CONFLICT,
            format!("a report named {name:?} exists"),
        )),
        Err(e) => Err((StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}"))),
    }
}

/// The definition and range of a request, with a saved report's definition when `saved` is
/// given.
async fn resolve(state: &AppState, r: &Request) -> Result<Definition, (StatusCode, String)> {
    let def = match r.saved {
        Some(id) => match saved_one(state, id).await {
            Ok(Some(s)) => s.definition,
            Ok(None) => return Err((StatusCode::NOT_FOUND, "no such saved report".to_owned())),
            Err(e) => return Err((StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}"))),
        },
        None => r.def.clone(),
    };
    def.check(&state.web.queues)
        .map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    Ok(def)
}

/// `GET /api/v1/reports/custom?metrics=&group=&by_queue=&queues=&from=&to=` (dates, WIB) or
/// `?saved=ID&from=&to=`.
pub(crate) async fn run_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, true) {
        return r;
    }
    let request = match parse_request(query.as_deref().unwrap_or_default()) {
        Ok(r) => r,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let def = match resolve(&state, &request).await {
        Ok(d) => d,
        Err((code, why)) => return error(code, why),
    };
    let (from, to, from_text, to_text) = match report_range(&request.range) {
        Ok(r) => r,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let mut result = run(&def, &state.acd.intervals(from, to));
    result["definition"] = json!(def);
    result["from"] = json!(from_text);
    result["to"] = json!(to_text);
    Json(result).into_response()
}

/// `GET /api/v1/reports/saved`.
pub(crate) async fn list_api(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, true) {
        return r;
    }
    match saved_list(&state).await {
        Ok(list) => Json(json!({ "reports": list })).into_response(),
        Err(e) => super::unavailable("saved reports", &e),
    }
}

/// The body of `POST /api/v1/reports/saved`.
#[derive(Debug, Deserialize)]
pub(crate) struct SaveBody {
    name: String,
    definition: Definition,
}

/// `POST /api/v1/reports/saved`: 201 with the id.
pub(crate) async fn save_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    body: Result<Json<SaveBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, true) {
        return r;
    }
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match save(&state, p.actor(), &body.name, &body.definition).await {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        Err((code, why)) => error(code, why),
    }
}

/// Whether `p` may delete a report saved by `owner`: its owner, a manager, an admin, the token.
fn may_delete(p: &Principal, owner: &str) -> bool {
    match p.user() {
        Some(u) => u.username == owner || matches!(u.role, Role::Manager | Role::Admin),
        None => true,
    }
}

/// `DELETE /api/v1/reports/saved/{id}`: audited.
pub(crate) async fn delete_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, true) {
        return r;
    }
    let saved = match saved_one(&state, id).await {
        Ok(Some(s)) => s,
        Ok(None) => return error(StatusCode::NOT_FOUND, "no such saved report"),
        Err(e) => return super::unavailable("saved reports", &e),
    };
    if !may_delete(&p, &saved.owner) {
        return error(
            StatusCode::FORBIDDEN,
            "only its owner or a manager may delete it",
        );
    }
    if let Err(e) = sqlx::query("DELETE FROM saved_reports WHERE id = ?")
        .bind(id)
        .execute(state.store.pool())
        .await
    {
        return super::unavailable("saved reports", &e);
    }
    let _ = state
        .accounts
        .audit(now_ms(), p.actor(), "report.delete", &saved.name, "")
        .await;
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Template)]
#[template(path = "custom_report.html")]
struct CustomPage {
    nav: Nav,
    problem: String,
    metrics: Vec<(&'static str, bool)>,
    groups: Vec<(&'static str, bool)>,
    by_queue: bool,
    queues: Vec<(String, String, bool)>,
    from: String,
    to: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    chart_json: String,
    saved: Vec<(i64, String, String)>,
}

/// A cell as text: ratios as percentages, seconds with one decimal.
fn cell(column: &str, v: &Value) -> String {
    match (column, v) {
        (_, Value::Null) => "–".to_owned(),
        ("service_level" | "abandon_rate", Value::Number(n)) => {
            format!("{:.0}%", n.as_f64().unwrap_or(0.0) * 100.0)
        }
        ("asa_s", Value::Number(n)) => format!("{:.1}", n.as_f64().unwrap_or(0.0)),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

async fn page_for(
    state: &AppState,
    p: &Principal,
    text: &str,
    code: StatusCode,
    problem: String,
) -> Response {
    let request = parse_request(text).unwrap_or_default();
    let mut page = CustomPage {
        nav: p.nav("reports"),
        problem,
        metrics: Vec::new(),
        groups: Vec::new(),
        by_queue: request.def.by_queue,
        queues: Vec::new(),
        from: request.range.from.clone().unwrap_or_default(),
        to: request.range.to.clone().unwrap_or_default(),
        columns: Vec::new(),
        rows: Vec::new(),
        chart_json: "[]".to_owned(),
        saved: match saved_list(state).await {
            Ok(list) => list.into_iter().map(|s| (s.id, s.name, s.owner)).collect(),
            Err(e) => return super::unavailable("saved reports", &e),
        },
    };
    let shown = request.saved.is_some() || !request.def.metrics.is_empty();
    let def = if shown {
        match resolve(state, &request).await {
            Ok(d) => Some(d),
            Err((c, why)) => {
                page.problem = why;
                page.queues = queue_boxes(state, &request.def.queues);
                return finish(page, request.def, c);
            }
        }
    } else {
        None
    };
    let chosen = def.clone().unwrap_or_else(|| Definition {
        metrics: vec![
            "offered".into(),
            "answered".into(),
            "abandoned".into(),
            "service_level".into(),
        ],
        group: "hour".into(),
        by_queue: false,
        queues: Vec::new(),
    });
    page.queues = queue_boxes(state, &chosen.queues);
    if let Some(def) = def {
        match report_range(&request.range) {
            Ok((from, to, from_text, to_text)) => {
                page.from = from_text;
                page.to = to_text;
                let result = run(&def, &state.acd.intervals(from, to));
                page.columns = result["columns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| c.as_str().unwrap_or_default().to_owned())
                    .collect();
                page.rows = result["rows"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|row| {
                        row.as_array()
                            .into_iter()
                            .flatten()
                            .zip(&page.columns)
                            .map(|(v, c)| cell(c, v))
                            .collect()
                    })
                    .collect();
                page.chart_json = result.to_string();
            }
            Err(why) => {
                page.problem = why;
                return finish(page, def, StatusCode::BAD_REQUEST);
            }
        }
    }
    finish(page, chosen, code)
}

fn finish(mut page: CustomPage, def: Definition, code: StatusCode) -> Response {
    page.by_queue = def.by_queue;
    page.metrics = METRICS
        .iter()
        .map(|m| (*m, def.metrics.iter().any(|c| c == m)))
        .collect();
    page.groups = GROUPS.iter().map(|g| (*g, def.group == *g)).collect();
    html(code, &page)
}

/// `GET /reports/custom`: the form, the result of the chosen (or saved) report, the saved list.
pub(crate) async fn page(
    State(state): State<AppState>,
    Auth(p): Auth,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, false) {
        return r;
    }
    page_for(
        &state,
        &p,
        query.as_deref().unwrap_or_default(),
        StatusCode::OK,
        String::new(),
    )
    .await
}

/// `POST /reports/custom`: saves the form's choice under its `name`, then shows it.
pub(crate) async fn save_form(
    State(state): State<AppState>,
    Auth(p): Auth,
    body: String,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Reports, false) {
        return r;
    }
    let request = match parse_request(&body) {
        Ok(r) => r,
        Err(why) => return page_for(&state, &p, &body, StatusCode::BAD_REQUEST, why).await,
    };
    match save(&state, p.actor(), &request.name, &request.def).await {
        Ok(id) => Redirect::to(&format!("/reports/custom?saved={id}")).into_response(),
        Err((code, why)) => page_for(&state, &p, &body, code, why).await,
    }
}

/// The page's queue checkboxes: every configured queue, ticked if chosen.
fn queue_boxes(state: &AppState, chosen: &[String]) -> Vec<(String, String, bool)> {
    state
        .web
        .queues
        .iter()
        .map(|(id, name)| (id.clone(), name.clone(), chosen.contains(id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intervals() -> Value {
        json!({ "interval_s": 900, "intervals": [
            { "interval_start": "2026-11-30T02:00:00Z", "queue": "pengaduan", "offered": 10, "answered": 8,
              "answered_within_threshold": 6, "abandoned": 2, "overflowed": 0, "timed_out": 0, "asa_s": 10.0 },
            { "interval_start": "2026-11-30T02:15:00Z", "queue": "pengaduan", "offered": 10, "answered": 10,
              "answered_within_threshold": 10, "abandoned": 0, "overflowed": 0, "timed_out": 0, "asa_s": 4.0 },
            { "interval_start": "2026-11-30T02:15:00Z", "queue": "informasi", "offered": 5, "answered": 5,
              "answered_within_threshold": 5, "abandoned": 0, "overflowed": 0, "timed_out": 0, "asa_s": 2.0 },
        ]})
    }

    #[test]
    fn ratios_come_from_the_sums_not_a_mean_of_ratios() {
        let def = Definition {
            metrics: vec!["offered".into(), "service_level".into(), "asa_s".into()],
            group: "hour".into(),
            by_queue: false,
            queues: vec!["pengaduan".into()],
        };
        let out = run(&def, &intervals());
        assert_eq!(
            out["columns"],
            json!(["hour", "offered", "service_level", "asa_s"])
        );
        // 09:00 WIB: 20 offered, 16 within the threshold, ASA (8×10 + 10×4) ÷ 18.
        assert_eq!(out["rows"].as_array().unwrap().len(), 1);
        assert_eq!(out["rows"][0][0], "2026-11-30 09:00");
        assert_eq!(out["rows"][0][1], 20);
        assert_eq!(out["rows"][0][2], 0.8);
        let asa = out["rows"][0][3].as_f64().unwrap();
        assert!((asa - 120.0 / 18.0).abs() < 1e-9, "{asa}");
    }

    #[test]
    fn split_by_queue_and_totals() {
        let def = Definition {
            metrics: vec!["offered".into(), "abandon_rate".into()],
            group: "total".into(),
            by_queue: true,
            queues: Vec::new(),
        };
        let out = run(&def, &intervals());
        assert_eq!(
            out["rows"],
            json!([
                ["total", "informasi", 5, 0.0],
                ["total", "pengaduan", 20, 0.1]
            ])
        );
    }

    #[test]
    fn requests_read_repeated_and_comma_separated_metrics() {
        let r = parse_request("metrics=offered&metrics=answered,abandoned&group=day&by_queue=on&queues=pengaduan&from=2026-11-30&saved=").unwrap();
        assert_eq!(r.def.metrics, ["offered", "answered", "abandoned"]);
        assert_eq!(r.def.group, "day");
        assert!(r.def.by_queue);
        assert_eq!(r.range.from.as_deref(), Some("2026-11-30"));
        assert!(parse_request("saved=x").is_err());
        let repeated = parse_request("metrics=offered,answered,offered&metrics=offered").unwrap();
        assert_eq!(
            repeated.def.metrics,
            ["offered", "answered"],
            "each metric once"
        );
        let queues = [("pengaduan".to_owned(), "P".to_owned())];
        let mut bad = r.def.clone();
        bad.metrics.push("happiness".into());
        assert!(bad.check(&queues).unwrap_err().contains("happiness"));
        bad = r.def.clone();
        bad.group = "week".into();
        assert!(bad.check(&queues).is_err());
        assert!(r.def.check(&queues).is_ok());
    }
}
