//! Accounts on the web: changing one's password (required after a one-time password), the
//! admin's list of accounts with creation, role changes and disabling, and the audit log.
//! Every role change, creation and disabling is audited.

use askama::Template;
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;

use super::auth::{Auth, Principal, refuse};
use super::pages::{Nav, html, message};
use super::{AppState, Id, error, local, now_ms};
use crate::accounts::{AccountError, AuditEntry, Capability, NewUser, Role, User};

fn account_error(e: AccountError) -> (StatusCode, String) {
    match e {
        AccountError::Database(_) | AccountError::Hash(_) | AccountError::Random => {
            tracing::warn!(error = %e, "accounts");
            (StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        AccountError::NoSuchUser => (StatusCode::NOT_FOUND, e.to_string()),
        AccountError::Taken(_) | AccountError::LastAdmin => (StatusCode::CONFLICT, e.to_string()),
        _ => (StatusCode::BAD_REQUEST, e.to_string()),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Nav,
    forced: bool,
    problem: String,
}

/// `GET /account/password`.
pub(crate) async fn password_page(Auth(p): Auth) -> Response {
    let forced = p.user().is_some_and(|u| u.must_change_password);
    html(
        StatusCode::OK,
        &PasswordPage {
            nav: nav_of(&p),
            forced,
            problem: String::new(),
        },
    )
}

/// While the password is a one-time password, the navigation shows nothing else.
fn nav_of(p: &Principal) -> Nav {
    let mut nav = p.nav("");
    if p.user().is_some_and(|u| u.must_change_password) {
        let csrf = nav.csrf.clone();
        let name = nav.display_name.clone();
        nav = Nav {
            signed_in: true,
            display_name: name,
            csrf,
            ..Nav::default()
        };
    }
    nav
}

/// The password form.
#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

/// `POST /account/password`: needs the current password; ends the account's other sessions.
pub(crate) async fn change_password(
    State(state): State<AppState>,
    Auth(p): Auth,
    super::auth::PeerIp(source): super::auth::PeerIp,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let Principal::Session { session, token } = &p else {
        return error(
            StatusCode::BAD_REQUEST,
            "only a signed-in account has a password",
        );
    };
    let again = |code, problem: &str| {
        html(
            code,
            &PasswordPage {
                nav: nav_of(&p),
                forced: session.user.must_change_password,
                problem: problem.to_owned(),
            },
        )
    };
    let Ok(Form(f)) = form else {
        return again(StatusCode::BAD_REQUEST, "All three fields are required.");
    };
    if f.new != f.repeat {
        return again(StatusCode::BAD_REQUEST, "The new passwords differ.");
    }
    if f.new == f.current {
        return again(
            StatusCode::BAD_REQUEST,
            "The new password must differ from the current one.",
        );
    }
    // The current password is checked like a sign-in (and throttled like one).
    match state
        .accounts
        .check_password(&session.user.username, &f.current, source, now_ms())
        .await
    {
        Ok(_) => {}
        Err(crate::accounts::LoginError::Throttled) => {
            return again(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed tries; wait 15 minutes.",
            );
        }
        Err(_) => return again(StatusCode::UNAUTHORIZED, "The current password is wrong."),
    }
    if let Err(e) = state
        .accounts
        .set_password(session.user.id, &f.new, Some(token))
        .await
    {
        let (code, why) = account_error(e);
        return again(code, &why);
    }
    let _ = state
        .accounts
        .audit(
            now_ms(),
            &session.user.username,
            "user.password",
            &session.user.username,
            "",
        )
        .await;
    Redirect::to("/").into_response()
}

/// A new account, from the form or the API.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateUser {
    username: String,
    display_name: String,
    role: String,
    password: String,
    #[serde(default)]
    agent_id: Option<String>,
}

async fn create(
    state: &AppState,
    p: &Principal,
    u: &CreateUser,
) -> Result<User, (StatusCode, String)> {
    let role = Role::parse(u.role.trim()).ok_or((
        StatusCode::BAD_REQUEST,
        "role must be agent, supervisor, manager or admin".to_owned(),
    ))?;
    let agent_id = u
        .agent_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    if let Some(a) = agent_id
        && !state.web.agents.iter().any(|(id, _, _)| id == a)
    {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("agent_id {a:?} is not an agent in the configuration"),
        ));
    }
    let id = state
        .accounts
        .create(
            &NewUser {
                username: u.username.trim(),
                display_name: &u.display_name,
                role,
                password: &u.password,
                agent_id,
                // An account made by an admin gets a password only its owner should know.
                must_change_password: true,
            },
            now_ms(),
        )
        .await
        .map_err(account_error)?;
    let _ = state
        .accounts
        .audit(
            now_ms(),
            p.actor(),
            "user.create",
            u.username.trim(),
            role.as_str(),
        )
        .await;
    state.accounts.get(id).await.map_err(account_error)
}

/// A change to an account.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct UpdateUser {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
}

/// The admin page's form sends text.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct UpdateUserForm {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    disabled: Option<String>,
}

async fn update(
    state: &AppState,
    p: &Principal,
    id: i64,
    u: &UpdateUser,
) -> Result<User, (StatusCode, String)> {
    let role = match u.role.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(Role::parse(r).ok_or((
            StatusCode::BAD_REQUEST,
            "role must be agent, supervisor, manager or admin".to_owned(),
        ))?),
        None => None,
    };
    let before = state.accounts.get(id).await.map_err(account_error)?;
    if role == Some(Role::Agent) && before.agent_id.is_none() {
        return Err((
            StatusCode::BAD_REQUEST,
            "an account without an agent ID cannot become an agent".to_owned(),
        ));
    }
    let after = state
        .accounts
        .update(id, role, u.disabled, now_ms())
        .await
        .map_err(account_error)?;
    if after.role != before.role {
        let detail = format!("{} → {}", before.role.as_str(), after.role.as_str());
        let _ = state
            .accounts
            .audit(now_ms(), p.actor(), "user.role", &after.username, &detail)
            .await;
    }
    if after.disabled != before.disabled {
        let action = if after.disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        let _ = state
            .accounts
            .audit(now_ms(), p.actor(), action, &after.username, "")
            .await;
    }
    Ok(after)
}

/// `GET /api/v1/users`.
pub(crate) async fn list_api(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Users, true) {
        return r;
    }
    match state.accounts.list().await {
        Ok(users) => Json(json!({ "users": users })).into_response(),
        Err(e) => {
            let (code, why) = account_error(e);
            error(code, why)
        }
    }
}

/// `POST /api/v1/users`: 201 with the account (its password must be changed at first sign-in).
pub(crate) async fn create_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    body: Result<Json<CreateUser>, JsonRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Users, true) {
        return r;
    }
    let u = match body {
        Ok(Json(u)) => u,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match create(&state, &p, &u).await {
        Ok(user) => (StatusCode::CREATED, Json(user)).into_response(),
        Err((code, why)) => error(code, why),
    }
}

/// `PATCH /api/v1/users/{id}` with `role` and/or `disabled`.
pub(crate) async fn update_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    body: Result<Json<UpdateUser>, JsonRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Users, true) {
        return r;
    }
    let u = match body {
        Ok(Json(u)) => u,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match update(&state, &p, id, &u).await {
        Ok(user) => Json(user).into_response(),
        Err((code, why)) => error(code, why),
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Nav,
    users: Vec<User>,
    roles: Vec<&'static str>,
    agents: Vec<(String, String)>,
    problem: String,
}

async fn users_page(
    state: &AppState,
    p: &Principal,
    code: StatusCode,
    problem: String,
) -> Response {
    match state.accounts.list().await {
        Ok(users) => html(
            code,
            &UsersPage {
                nav: p.nav("users"),
                users,
                roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
                agents: state
                    .web
                    .agents
                    .iter()
                    .map(|(id, name, _)| (id.clone(), name.clone()))
                    .collect(),
                problem,
            },
        ),
        Err(e) => {
            let (code, why) = account_error(e);
            message(code, &p.nav("users"), "Accounts", &why)
        }
    }
}

/// `GET /users`.
pub(crate) async fn page(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Some(r) = refuse(&p, Capability::Users, false) {
        return r;
    }
    users_page(&state, &p, StatusCode::OK, String::new()).await
}

/// `POST /users`: a new account.
pub(crate) async fn create_form(
    State(state): State<AppState>,
    Auth(p): Auth,
    form: Result<Form<CreateUser>, FormRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Users, false) {
        return r;
    }
    let Ok(Form(u)) = form else {
        return users_page(
            &state,
            &p,
            StatusCode::BAD_REQUEST,
            "Every field is required.".to_owned(),
        )
        .await;
    };
    match create(&state, &p, &u).await {
        Ok(_) => Redirect::to("/users").into_response(),
        Err((code, why)) => users_page(&state, &p, code, why).await,
    }
}

/// `POST /users/{id}`: role change, disable or enable.
pub(crate) async fn update_form(
    State(state): State<AppState>,
    Auth(p): Auth,
    Id(id): Id,
    form: Result<Form<UpdateUserForm>, FormRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Users, false) {
        return r;
    }
    let f = form.map(|Form(f)| f).unwrap_or_default();
    let u = UpdateUser {
        role: f.role,
        disabled: f.disabled.as_deref().map(|d| d == "1" || d == "true"),
    };
    match update(&state, &p, id, &u).await {
        Ok(_) => Redirect::to("/users").into_response(),
        Err((code, why)) => users_page(&state, &p, code, why).await,
    }
}

/// `?before=&limit=` of the audit log.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

/// `GET /api/v1/audit?before=&limit=`: newest first.
pub(crate) async fn audit_api(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Audit, true) {
        return r;
    }
    let Ok(Query(q)) = query else {
        return error(StatusCode::BAD_REQUEST, "before and limit are numbers");
    };
    match state
        .accounts
        .audit_log(q.limit.unwrap_or(100), q.before)
        .await
    {
        Ok(entries) => Json(json!({ "entries": entries })).into_response(),
        Err(e) => {
            let (code, why) = account_error(e);
            error(code, why)
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    entries: Vec<(AuditEntry, String)>,
    older: Option<i64>,
}

/// `GET /audit`.
pub(crate) async fn audit_page(
    State(state): State<AppState>,
    Auth(p): Auth,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refuse(&p, Capability::Audit, false) {
        return r;
    }
    let q = query.map(|Query(q)| q).unwrap_or_default();
    match state.accounts.audit_log(200, q.before).await {
        Ok(entries) => {
            let older = (entries.len() == 200)
                .then(|| entries.last().map(|e| e.id))
                .flatten();
            let entries = entries
                .into_iter()
                .map(|e| {
                    let shown =
                        e.at.parse::<jiff::Timestamp>()
                            .map(|t| local(t.as_millisecond()))
                            .unwrap_or_default();
                    (e, shown)
                })
                .collect();
            html(
                StatusCode::OK,
                &AuditPage {
                    nav: p.nav("audit"),
                    entries,
                    older,
                },
            )
        }
        Err(e) => {
            let (code, why) = account_error(e);
            message(code, &p.nav("audit"), "Audit log", &why)
        }
    }
}
