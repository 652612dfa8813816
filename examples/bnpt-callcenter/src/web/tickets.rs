//! CRM tickets (CRM-2, CRM-3, CRM-7, ACC-7d): the complaint report an agent files during or
//! after a call — category, service type, description, conversation notes — linked to the
//! call's CDR (caller, times, agent, IVR input) and its recording; open, pending and closed, with
//! assignment and a history of every change; an SLA clock that counts office hours only. And a
//! caller's contact history by phone number.

use askama::Template;
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

use super::auth::{Auth, Principal, refuse};
use super::pages::{Nav, html, message};
use super::{AppState, Id, error, iso, local, now_ms};
use crate::accounts::Capability;

/// A ticket's status.
pub(crate) const STATUSES: [&str; 3] = ["open", "pending", "closed"];
const MAX_TEXT: usize = 20_000;
/// Largest total of a ticket's conversation notes.
const MAX_NOTES: usize = 200_000;

/// A new ticket, from the form or the API.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct NewTicket {
    #[serde(default)]
    caller: String,
    category: String,
    service: String,
    description: String,
    #[serde(default)]
    notes: String,
    /// The call it is about (a CDR id); its caller is used when `caller` is empty.
    #[serde(default, deserialize_with = "optional_id")]
    cdr_id: Option<i64>,
    #[serde(default)]
    assigned_to: Option<String>,
}

/// A change to a ticket: any of a new status, a new assignee (empty: nobody), a note.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct TicketUpdate {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    assigned_to: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

/// Forms send an empty field for "none"; JSON sends a number or null.
fn optional_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    match Option::<Id>::deserialize(d)? {
        None => Ok(None),
        Some(Id::Number(n)) => Ok(Some(n)),
        Some(Id::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Id::Text(t)) => t.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A ticket as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Ticket {
    id: i64,
    status: String,
    caller: String,
    category: String,
    service: String,
    description: String,
    notes: String,
    cdr_id: Option<i64>,
    created_by: String,
    assigned_to: Option<String>,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    /// When the SLA runs out, counting office hours only.
    sla_due_at: Option<String>,
    sla_breached: bool,
    #[serde(skip)]
    created_ms: i64,
}

/// Why a ticket could not be made or changed: a 4xx with a message.
#[derive(Debug)]
pub(crate) struct Refusal(StatusCode, String);

fn bad(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message.into())
}

impl From<sqlx::Error> for Refusal {
    fn from(e: sqlx::Error) -> Self {
        tracing::warn!(error = %e, "tickets database");
        Refusal(StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}"))
    }
}

fn text_field(name: &str, v: &str, required: bool) -> Result<String, Refusal> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(bad(format!("{name} is required")));
    }
    if v.len() > MAX_TEXT {
        return Err(bad(format!("{name} is longer than {MAX_TEXT} bytes")));
    }
    Ok(v.to_owned())
}

fn ticket_from(state: &AppState, r: &sqlx::sqlite::SqliteRow) -> Result<Ticket, sqlx::Error> {
    let created_ms: i64 = r.try_get("created_ms")?;
    let closed_ms: Option<i64> = r.try_get("closed_ms")?;
    let sla = std::time::Duration::from_secs(state.web.crm.sla_hours.saturating_mul(3600));
    let due = jiff::Timestamp::from_millisecond(created_ms)
        .ok()
        .and_then(|t| state.office_hours.after_open_time(t, sla));
    let judged_at = closed_ms.unwrap_or_else(now_ms);
    Ok(Ticket {
        id: r.try_get("id")?,
        status: r.try_get("status")?,
        caller: r.try_get("caller")?,
        category: r.try_get("category")?,
        service: r.try_get("service")?,
        description: r.try_get("description")?,
        notes: r.try_get("notes")?,
        cdr_id: r.try_get("cdr_id")?,
        created_by: r.try_get("created_by")?,
        assigned_to: r.try_get("assigned_to")?,
        created_at: iso(created_ms),
        updated_at: iso(r.try_get("updated_ms")?),
        closed_at: closed_ms.map(iso),
        sla_due_at: due.map(|d| d.to_string()),
        sla_breached: due.is_some_and(|d| judged_at > d.as_millisecond()),
        created_ms,
    })
}

/// The CDR a ticket links to, with what the call center knows of it.
async fn call_json(state: &AppState, cdr_id: i64) -> Result<Option<Value>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, caller, called, service, arrived_ms, answered_ms, ended_ms, disposition, \
         agent, recording_id, ivr_input FROM cdrs WHERE id = ?",
    )
    .bind(cdr_id)
    .fetch_optional(state.store.pool())
    .await?;
    row.map(|r| -> Result<Value, sqlx::Error> {
        let recording: Option<String> = r.try_get("recording_id")?;
        Ok(json!({
            "cdr_id": r.try_get::<i64, _>("id")?,
            "caller": r.try_get::<String, _>("caller")?,
            "called": r.try_get::<String, _>("called")?,
            "service": r.try_get::<String, _>("service")?,
            "arrived_at": iso(r.try_get("arrived_ms")?),
            "answered_at": r.try_get::<Option<i64>, _>("answered_ms")?.map(iso),
            "ended_at": r.try_get::<Option<i64>, _>("ended_ms")?.map(iso),
            "disposition": r.try_get::<String, _>("disposition")?,
            "agent": r.try_get::<Option<String>, _>("agent")?,
            "ivr_input": r.try_get::<Option<String>, _>("ivr_input")?,
            "audio_url": recording.as_ref().map(|id| format!("/api/v1/recordings/{id}/audio")),
            "recording_id": recording,
        }))
    })
    .transpose()
}

const TICKET_COLUMNS: &str = "id, status, caller, category, service, description, notes, cdr_id, \
     created_by, assigned_to, created_ms, updated_ms, closed_ms";

async fn create(state: &AppState, actor: &str, t: &NewTicket) -> Result<i64, Refusal> {
    let crm = &state.web.crm;
    if !crm.categories.iter().any(|c| c == t.category.trim()) {
        return Err(bad(format!(
            "category must be one of: {}",
            crm.categories.join(", ")
        )));
    }
    if !crm.services.iter().any(|s| s == t.service.trim()) {
        return Err(bad(format!(
            "service must be one of: {}",
            crm.services.join(", ")
        )));
    }
    let description = text_field("description", &t.description, true)?;
    let notes = text_field("notes", &t.notes, false)?;
    let mut caller = text_field("caller", &t.caller, false)?;
    if caller.len() > 64 {
        return Err(bad("caller is longer than 64 characters"));
    }
    if let Some(cdr) = t.cdr_id {
        let Some(call) = call_json(state, cdr).await? else {
            return Err(bad(format!("no call with cdr_id {cdr}")));
        };
        if caller.is_empty() {
            caller = call["caller"].as_str().unwrap_or_default().to_owned();
        }
    }
    if caller.is_empty() {
        return Err(bad("caller is required when no cdr_id is given"));
    }
    let assigned = t
        .assigned_to
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let now = now_ms();
    let mut tx = state.store.pool().begin().await?;
    let id = sqlx::query(
        "INSERT INTO tickets (status, caller, category, service, description, notes, cdr_id, \
         created_by, assigned_to, created_ms, updated_ms) VALUES ('open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&caller)
    .bind(t.category.trim())
    .bind(t.service.trim())
    .bind(&description)
    .bind(&notes)
    .bind(t.cdr_id)
    .bind(actor)
    .bind(assigned)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .last_insert_rowid();
    record(&mut tx, id, now, actor, &["created".to_owned()]).await?;
    tx.commit().await?;
    Ok(id)
}

async fn load(state: &AppState, id: i64) -> Result<Option<Ticket>, sqlx::Error> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(state.store.pool())
        .await?;
    row.map(|r| ticket_from(state, &r)).transpose()
}

async fn events(state: &AppState, id: i64) -> Result<Vec<Value>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT at_ms, actor, what FROM ticket_events WHERE ticket_id = ? ORDER BY id")
            .bind(id)
            .fetch_all(state.store.pool())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(json!({
                "at": iso(r.try_get("at_ms")?),
                "actor": r.try_get::<String, _>("actor")?,
                "what": r.try_get::<String, _>("what")?,
            }))
        })
        .collect()
}

async fn update(
    state: &AppState,
    actor: &str,
    id: i64,
    u: &TicketUpdate,
) -> Result<Ticket, Refusal> {
    let Some(before) = load(state, id).await? else {
        return Err(Refusal(StatusCode::NOT_FOUND, "no such ticket".to_owned()));
    };
    let now = now_ms();
    let mut changes = Vec::new();
    let mut tx = state.store.pool().begin().await?;
    if let Some(status) = u.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if !STATUSES.contains(&status) {
            return Err(bad("status must be open, pending or closed"));
        }
        if status != before.status {
            sqlx::query(
                "UPDATE tickets SET status = ?, closed_ms = CASE WHEN ? = 'closed' THEN ? ELSE NULL END WHERE id = ?",
            )
            .bind(status)
            .bind(status)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            changes.push(format!("status {} → {status}", before.status));
        }
    }
    if let Some(who) = u.assigned_to.as_deref().map(str::trim) {
        if who.len() > 64 {
            return Err(bad("assigned_to is longer than 64 characters"));
        }
        let who = (!who.is_empty()).then_some(who);
        if who != before.assigned_to.as_deref() {
            sqlx::query("UPDATE tickets SET assigned_to = ? WHERE id = ?")
                .bind(who)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            changes.push(format!("assigned to {}", who.unwrap_or("nobody")));
        }
    }
    if let Some(note) = u.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        let note = text_field("note", note, true)?;
        // Notes only grow; a ticket's stay within bounds.
        if before.notes.len() + note.len() > MAX_NOTES {
            return Err(bad(format!(
                "the ticket's notes would exceed {MAX_NOTES} bytes; close it and open a new one"
            )));
        }
        let stamped = format!("[{} {actor}] {note}", local(now));
        sqlx::query(
            "UPDATE tickets SET notes = CASE WHEN notes = '' THEN ? ELSE notes || char(10) || ? END WHERE id = ?",
        )
        .bind(&stamped)
        .bind(&stamped)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        changes.push("note added".to_owned());
    }
    if changes.is_empty() {
        return Err(bad("nothing to change: give status, assigned_to or note"));
    }
    record(&mut tx, id, now, actor, &changes).await?;
    tx.commit().await?;
    load(state, id)
        .await?
        .ok_or_else(|| Refusal(StatusCode::NOT_FOUND, "no such ticket".to_owned()))
}

/// Adds `whats` to a ticket's history and marks it updated, inside `tx`.
async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: i64,
    now: i64,
    actor: &str,
    whats: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tickets SET updated_ms = ? WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for what in whats {
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, at_ms, actor, what) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(now)
        .bind(actor)
        .bind(what)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Sends a ticket to the back office on every configured channel and records each outcome in
/// its history (CRM-6).
async fn dispatch(
    state: &AppState,
    actor: &str,
    id: i64,
) -> Result<Vec<crate::dispatch::Outcome>, Refusal> {
    if !state.dispatcher.enabled() {
        return Err(Refusal(
            StatusCode::CONFLICT,
            "dispatch is not configured ([crm] dispatch_to or webhook_url)".to_owned(),
        ));
    }
    let Some(ticket) = detail_json(state, id).await? else {
        return Err(Refusal(StatusCode::NOT_FOUND, "no such ticket".to_owned()));
    };
    let outcomes = state.dispatcher.send(&ticket, now_ms() / 1000).await;
    let now = now_ms();
    let whats: Vec<String> = outcomes
        .iter()
        .map(|o| {
            if o.ok {
                format!("dispatched by {}: {}", o.channel, o.detail)
            } else {
                format!("dispatch by {} failed: {}", o.channel, o.detail)
            }
        })
        .collect();
    let mut tx = state.store.pool().begin().await?;
    record(&mut tx, id, now, actor, &whats).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// After a ticket is filed: dispatched in the background when `[crm] dispatch_on_create`.
fn dispatch_if_configured(state: &AppState, actor: &str, id: i64) {
    if state.web.crm.dispatch_on_create && state.dispatcher.enabled() {
        let state = state.clone();
        let actor = actor.to_owned();
        tokio::spawn(async move {
            if let Err(r) = dispatch(&state, &actor, id).await {
                tracing::warn!(ticket = id, error = %r.1, "ticket not dispatched");
            }
        });
    }
}

/// `POST /api/v1/tickets/{id}/dispatch`: 200 with each channel's outcome, 502 if one failed.
pub(crate) async fn dispatch_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, true) {
        return r;
    }
    match dispatch(&state, p.actor(), id).await {
        Ok(outcomes) => {
            let ok = outcomes.iter().all(|o| o.ok);
            let code = if ok {
                StatusCode::OK
            } else {
                StatusCode::BAD_GATEWAY
            };
            (code, Json(json!({ "ok": ok, "results": outcomes }))).into_response()
        }
        Err(r) => refused(r),
    }
}

/// `POST /tickets/{id}/dispatch`: the ticket page's button.
pub(crate) async fn dispatch_form(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, false) {
        return r;
    }
    match dispatch(&state, p.actor(), id).await {
        Ok(outcomes) if outcomes.iter().all(|o| o.ok) => {
            Redirect::to(&format!("/tickets/{id}")).into_response()
        }
        Ok(outcomes) => {
            let failed: Vec<String> = outcomes
                .iter()
                .filter(|o| !o.ok)
                .map(|o| format!("{}: {}", o.channel, o.detail))
                .collect();
            ticket_page(
                &state,
                &p,
                id,
                StatusCode::BAD_GATEWAY,
                format!("Not dispatched — {}", failed.join("; ")),
            )
            .await
        }
        Err(r) => ticket_page(&state, &p, id, r.0, r.1).await,
    }
}

/// List filters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    status: Option<String>,
    caller: Option<String>,
    assigned_to: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

async fn list(state: &AppState, q: &ListQuery) -> Result<(i64, Vec<Ticket>), Refusal> {
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(bad("status must be open, pending or closed"));
    }
    let caller = q.caller.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let assigned = q
        .assigned_to
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let filter = "WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR caller = ?2) \
                  AND (?3 IS NULL OR assigned_to = ?3)";
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM tickets {filter}"
    )))
    .bind(status)
    .bind(caller)
    .bind(assigned)
    .fetch_one(state.store.pool())
    .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TICKET_COLUMNS} FROM tickets {filter} ORDER BY id DESC LIMIT ?4 OFFSET ?5"
    )))
    .bind(status)
    .bind(caller)
    .bind(assigned)
    .bind(i64::from(q.limit.unwrap_or(50).clamp(1, 500)))
    .bind(i64::from(q.offset.unwrap_or(0)))
    .fetch_all(state.store.pool())
    .await?;
    let tickets = rows
        .iter()
        .map(|r| ticket_from(state, r))
        .collect::<Result<_, _>>()?;
    Ok((total, tickets))
}

/// A caller's history: their calls (newest first, at most `limit`) and their tickets.
pub(crate) async fn contact_json(
    state: &AppState,
    number: &str,
    limit: u32,
) -> Result<Value, sqlx::Error> {
    let rows = sqlx::query("SELECT id FROM cdrs WHERE caller = ? ORDER BY arrived_ms DESC LIMIT ?")
        .bind(number)
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(state.store.pool())
        .await?;
    let mut calls = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(c) = call_json(state, r.try_get("id")?).await? {
            calls.push(c);
        }
    }
    let tickets = list(
        state,
        &ListQuery {
            caller: Some(number.to_owned()),
            limit: Some(limit),
            ..ListQuery::default()
        },
    )
    .await
    .map(|(_, t)| t)
    .unwrap_or_default();
    Ok(json!({ "number": number, "calls": calls, "tickets": tickets }))
}

fn refused(r: Refusal) -> Response {
    error(r.0, r.1)
}

/// `GET /api/v1/tickets?status=&caller=&assigned_to=&limit=&offset=`.
pub(crate) async fn list_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, true) {
        return r;
    }
    let Ok(Query(q)) = query else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad query string (limit and offset are numbers)",
        );
    };
    match list(&state, &q).await {
        Ok((total, tickets)) => Json(json!({ "total": total, "tickets": tickets })).into_response(),
        Err(r) => refused(r),
    }
}

/// `POST /api/v1/tickets`: 201 with the ticket.
pub(crate) async fn create_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    body: Result<Json<NewTicket>, JsonRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, true) {
        return r;
    }
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match create(&state, p.actor(), &body).await {
        Ok(id) => {
            dispatch_if_configured(&state, p.actor(), id);
            match detail_json(&state, id).await {
                Ok(Some(t)) => (StatusCode::CREATED, Json(t)).into_response(),
                Ok(None) => error(StatusCode::NOT_FOUND, "no such ticket"),
                Err(e) => super::unavailable("tickets", &e),
            }
        }
        Err(r) => refused(r),
    }
}

/// A ticket with its call and history.
async fn detail_json(state: &AppState, id: i64) -> Result<Option<Value>, sqlx::Error> {
    let Some(ticket) = load(state, id).await? else {
        return Ok(None);
    };
    let call = match ticket.cdr_id {
        Some(cdr) => call_json(state, cdr).await?,
        None => None,
    };
    let mut v = serde_json::to_value(&ticket).unwrap_or(Value::Null);
    v["call"] = call.unwrap_or(Value::Null);
    v["events"] = json!(events(state, id).await?);
    Ok(Some(v))
}

/// `GET /api/v1/tickets/{id}`.
pub(crate) async fn get_api(State(state): State<AppState>, Auth(p): Auth, Id(id): Id) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, true) {
        return r;
    }
    match detail_json(&state, id).await {
        Ok(Some(t)) => Json(t).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such ticket"),
        Err(e) => super::unavailable("tickets", &e),
    }
}

/// `PATCH /api/v1/tickets/{id}` with `status`, `assigned_to` and/or `note`.
pub(crate) async fn update_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    body: Result<Json<TicketUpdate>, JsonRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, true) {
        return r;
    }
    let body = match body {
        Ok(Json(b)) => b,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match update(&state, p.actor(), id, &body).await {
        Ok(t) => Json(t).into_response(),
        Err(r) => refused(r),
    }
}

/// `GET /api/v1/contacts/{number}`: the caller's calls and tickets.
pub(crate) async fn contact_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(number): Path<String>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, true) {
        return r;
    }
    match contact_json(&state, &number, 100).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => super::unavailable("contacts", &e),
    }
}

/// One line of the tickets table.
struct TicketLine {
    id: i64,
    status: String,
    caller: String,
    category: String,
    assigned_to: String,
    created: String,
    sla_due: String,
    sla_breached: bool,
}

impl TicketLine {
    fn of(t: &Ticket) -> Self {
        Self {
            id: t.id,
            status: t.status.clone(),
            caller: t.caller.clone(),
            category: t.category.clone(),
            assigned_to: t.assigned_to.clone().unwrap_or_default(),
            created: local(t.created_ms),
            sla_due: t
                .sla_due_at
                .as_deref()
                .and_then(|d| d.parse::<jiff::Timestamp>().ok())
                .map(|d| local(d.as_millisecond()))
                .unwrap_or_default(),
            sla_breached: t.sla_breached,
        }
    }
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct TicketsPage {
    nav: Nav,
    status: String,
    caller: String,
    total: i64,
    tickets: Vec<TicketLine>,
}

/// `GET /tickets`: the list, filtered by status and caller.
pub(crate) async fn list_page(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, false) {
        return r;
    }
    let q = query.map(|Query(q)| q).unwrap_or_default();
    match list(&state, &q).await {
        Ok((total, tickets)) => html(
            StatusCode::OK,
            &TicketsPage {
                nav: p.nav("tickets"),
                status: q.status.clone().unwrap_or_default(),
                caller: q.caller.clone().unwrap_or_default(),
                total,
                tickets: tickets.iter().map(TicketLine::of).collect(),
            },
        ),
        Err(r) => message(r.0, &p.nav("tickets"), "Tickets", &r.1),
    }
}

#[derive(Template)]
#[template(path = "ticket_new.html")]
struct NewTicketPage {
    nav: Nav,
    problem: String,
    caller: String,
    cdr_id: String,
    category: String,
    service: String,
    description: String,
    notes: String,
    categories: Vec<String>,
    services: Vec<String>,
    call_summary: String,
}

/// `?cdr_id=` or `?caller=` of the new-ticket form.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewQuery {
    #[serde(default, deserialize_with = "optional_id")]
    cdr_id: Option<i64>,
    caller: Option<String>,
}

fn new_page_of(p: &Principal, state: &AppState, t: &NewTicket, problem: String) -> NewTicketPage {
    NewTicketPage {
        nav: p.nav("tickets"),
        problem,
        caller: t.caller.clone(),
        cdr_id: t.cdr_id.map(|c| c.to_string()).unwrap_or_default(),
        category: t.category.clone(),
        service: t.service.clone(),
        description: t.description.clone(),
        notes: t.notes.clone(),
        categories: state.web.crm.categories.clone(),
        services: state.web.crm.services.clone(),
        call_summary: String::new(),
    }
}

/// `GET /tickets/new?cdr_id=&caller=`: the complaint report form, filled from the call.
pub(crate) async fn new_page(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<NewQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, false) {
        return r;
    }
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let mut t = NewTicket {
        caller: q.caller.unwrap_or_default(),
        cdr_id: q.cdr_id,
        ..NewTicket::default()
    };
    let mut summary = String::new();
    if let Some(cdr) = q.cdr_id {
        match call_json(&state, cdr).await {
            Ok(Some(call)) => {
                t.caller = call["caller"].as_str().unwrap_or_default().to_owned();
                t.service = call["service"].as_str().unwrap_or_default().to_owned();
                summary = format!(
                    "Call {cdr}: {} → {}, arrived {}, IVR input: {}",
                    t.caller,
                    call["called"].as_str().unwrap_or_default(),
                    call["arrived_at"].as_str().unwrap_or_default(),
                    call["ivr_input"].as_str().unwrap_or("none"),
                );
            }
            Ok(None) => summary = format!("There is no call {cdr}."),
            Err(e) => return super::unavailable("calls", &e),
        }
    }
    let mut page = new_page_of(&p, &state, &t, String::new());
    page.call_summary = summary;
    html(StatusCode::OK, &page)
}

/// `POST /tickets`: files the form; back to it with the problem on bad input.
pub(crate) async fn create_form(
    State(state): State<AppState>,
    Auth(p): Auth,
    form: Result<Form<NewTicket>, FormRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, false) {
        return r;
    }
    let t = match form {
        Ok(Form(t)) => t,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                &p.nav("tickets"),
                "Bad form",
                &e.body_text(),
            );
        }
    };
    match create(&state, p.actor(), &t).await {
        Ok(id) => {
            dispatch_if_configured(&state, p.actor(), id);
            Redirect::to(&format!("/tickets/{id}")).into_response()
        }
        Err(r) => html(r.0, &new_page_of(&p, &state, &t, r.1)),
    }
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage {
    nav: Nav,
    t: TicketLine,
    service: String,
    description: String,
    notes: String,
    created_by: String,
    call: Option<CallView>,
    events: Vec<(String, String, String)>,
    statuses: Vec<&'static str>,
    problem: String,
    can_dispatch: bool,
}

struct CallView {
    cdr_id: i64,
    called: String,
    arrived: String,
    answered: String,
    ended: String,
    agent: String,
    disposition: String,
    ivr_input: String,
    recording_id: String,
}

async fn ticket_page(
    state: &AppState,
    p: &Principal,
    id: i64,
    code: StatusCode,
    problem: String,
) -> Response {
    let found = match detail_json(state, id).await {
        Ok(found) => found,
        Err(e) => return super::unavailable("tickets", &e),
    };
    let (Some(v), Ok(Some(ticket))) = (found, load(state, id).await) else {
        return message(
            StatusCode::NOT_FOUND,
            &p.nav("tickets"),
            "Not found",
            "There is no such ticket.",
        );
    };
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let when = |v: &Value| {
        v.as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| local(t.as_millisecond()))
            .unwrap_or_default()
    };
    let c = &v["call"];
    let call = c["cdr_id"].as_i64().map(|cdr_id| CallView {
        cdr_id,
        called: s(&c["called"]),
        arrived: when(&c["arrived_at"]),
        answered: when(&c["answered_at"]),
        ended: when(&c["ended_at"]),
        agent: s(&c["agent"]),
        disposition: s(&c["disposition"]),
        ivr_input: s(&c["ivr_input"]),
        // Only roles that may play recordings see the player.
        recording_id: if p.can(Capability::Recordings) {
            s(&c["recording_id"])
        } else {
            String::new()
        },
    });
    let events = v["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (when(&e["at"]), s(&e["actor"]), s(&e["what"])))
        .collect();
    html(
        code,
        &TicketPage {
            nav: p.nav("tickets"),
            t: TicketLine::of(&ticket),
            service: ticket.service.clone(),
            description: ticket.description.clone(),
            notes: ticket.notes.clone(),
            created_by: ticket.created_by.clone(),
            call,
            events,
            statuses: STATUSES.to_vec(),
            problem,
            can_dispatch: state.dispatcher.enabled(),
        },
    )
}

/// `GET /tickets/{id}`.
pub(crate) async fn detail_page(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, false) {
        return r;
    }
    ticket_page(&state, &p, id, StatusCode::OK, String::new()).await
}

/// `POST /tickets/{id}`: status, assignment, a note.
pub(crate) async fn update_form(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    form: Result<Form<TicketUpdate>, FormRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, false) {
        return r;
    }
    let u = form.map(|Form(u)| u).unwrap_or_default();
    match update(&state, p.actor(), id, &u).await {
        Ok(_) => Redirect::to(&format!("/tickets/{id}")).into_response(),
        Err(r) => ticket_page(&state, &p, id, r.0, r.1).await,
    }
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    nav: Nav,
    number: String,
    calls: Vec<(i64, String, String, String, String)>,
    tickets: Vec<TicketLine>,
}

/// `GET /contacts/{number}`: a caller's history (CRM-3, CTI-2).
pub(crate) async fn contact_page(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(number): Path<String>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Tickets, false) {
        return r;
    }
    let v = match contact_json(&state, &number, 100).await {
        Ok(v) => v,
        Err(e) => return super::unavailable("contacts", &e),
    };
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let calls = v["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["cdr_id"].as_i64().unwrap_or(0),
                s(&c["arrived_at"]),
                s(&c["disposition"]),
                s(&c["agent"]),
                s(&c["ivr_input"]),
            )
        })
        .collect();
    let tickets = list(
        &state,
        &ListQuery {
            caller: Some(number.clone()),
            limit: Some(100),
            ..ListQuery::default()
        },
    )
    .await
    .map(|(_, t)| t.iter().map(TicketLine::of).collect())
    .unwrap_or_default();
    html(
        StatusCode::OK,
        &ContactPage {
            nav: p.nav("tickets"),
            number,
            calls,
            tickets,
        },
    )
}
