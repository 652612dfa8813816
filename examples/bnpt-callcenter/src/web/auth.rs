//! Who is asking: the session cookie (browsers) or the API bearer token (other systems); the
//! sign-in and sign-out pages; CSRF and same-origin checks on every change made with a cookie.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use askama::Template;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;

use super::pages::{Nav, html, message};
use super::{AppState, error, now_ms};
use crate::accounts::{Capability, LoginError, Session, User};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "bnpt_session";
/// The header `fetch` and htmx requests carry the CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// The largest form body read while looking for its CSRF token.
const MAX_FORM: usize = 1 << 20;

/// Who made a request.
#[derive(Debug, Clone)]
pub(crate) enum Principal {
    /// A signed-in browser (or a script holding its cookie).
    Session { session: Session, token: String },
    /// Another system, with the API bearer token: every capability but the agent desk.
    ApiToken,
}

impl Principal {
    /// The name the audit log records.
    pub(crate) fn actor(&self) -> &str {
        match self {
            Principal::Session { session, .. } => &session.user.username,
            Principal::ApiToken => "api-token",
        }
    }

    /// The account, for a session.
    pub(crate) fn user(&self) -> Option<&User> {
        match self {
            Principal::Session { session, .. } => Some(&session.user),
            Principal::ApiToken => None,
        }
    }

    /// Whether this principal has `what`.
    pub(crate) fn can(&self, what: Capability) -> bool {
        match self {
            Principal::Session { session, .. } => session.user.role.can(what),
            Principal::ApiToken => what != Capability::AgentDesk,
        }
    }

    /// The navigation bar of a page for this principal.
    pub(crate) fn nav(&self, active: &'static str) -> Nav {
        match self {
            Principal::Session { session, .. } => Nav::for_session(session, active),
            Principal::ApiToken => Nav::anonymous(),
        }
    }
}

/// Marks a request to the JSON API (set by [`authenticate`]; nested routers see their paths
/// without the `/api/v1` prefix, so handlers shared with the pages ask this instead).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiRequest;

/// A handler's principal (set by [`authenticate`]).
pub(crate) struct Auth(pub(crate) Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Auth)
            .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "sign-in required"))
    }
}

/// The address a request came from (unspecified when the server was not started with
/// connection info, as in some tests).
pub(crate) struct PeerIp(pub(crate) IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

/// The refusal of a principal without `what`: 403, as JSON for the API, a page otherwise;
/// `None` when allowed.
pub(crate) fn refuse(p: &Principal, what: Capability, api: bool) -> Option<Response> {
    if p.can(what) {
        return None;
    }
    let text = "your role does not allow this";
    Some(if api {
        error(StatusCode::FORBIDDEN, text)
    } else {
        message(StatusCode::FORBIDDEN, &p.nav(""), "Not allowed", text)
    })
}

fn is_api(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/")
}

fn is_public(path: &str) -> bool {
    path == "/healthz" || path == "/login" || path.starts_with("/static/")
}

/// The value of cookie `name`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// A change from another site: the `Origin` header, when sent, must name this host.
fn cross_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    origin_host.is_empty() || !origin_host.eq_ignore_ascii_case(host)
}

fn safe_method(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `csrf` field of a form body.
#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Resolves the principal, turns away anonymous requests, and checks CSRF on changes made
/// with a cookie (the `X-CSRF-Token` header, or the `csrf` field of a form).
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let api = is_api(&path);
    let mut request = request;
    if api {
        request.extensions_mut().insert(ApiRequest);
    }
    if !safe_method(request.method()) && cross_origin(request.headers()) {
        return error(StatusCode::FORBIDDEN, "cross-origin request refused");
    }
    if is_public(&path) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let principal = if let Some(given) = bearer(headers).filter(|_| api) {
        let expected = &*state.api_token;
        (!expected.is_empty() && crate::secrets::same_secret(given, expected))
            .then_some(Principal::ApiToken)
    } else if let Some(token) = cookie(headers, COOKIE) {
        match state.accounts.session(token, now_ms()).await {
            Ok(found) => found.map(|session| Principal::Session {
                session,
                token: token.to_owned(),
            }),
            Err(e) => return super::unavailable("sessions", &e),
        }
    } else {
        None
    };
    let Some(principal) = principal else {
        if api {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "sign-in required: a session cookie or a valid bearer token",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
        if *request.method() == Method::GET {
            let target = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            return Redirect::to(&format!("/login?next={}", encode(&target))).into_response();
        }
        return message(
            StatusCode::UNAUTHORIZED,
            &Nav::anonymous(),
            "Signed out",
            "Your session has ended; sign in again.",
        );
    };
    if let Principal::Session { session, .. } = &principal {
        let allowed_first = ["/account/password", "/logout", "/api/v1/me"];
        if session.user.must_change_password && !allowed_first.contains(&path.as_str()) {
            if api {
                return error(
                    StatusCode::FORBIDDEN,
                    "the one-time password must be changed first (/account/password)",
                );
            }
            return Redirect::to("/account/password").into_response();
        }
        if !safe_method(request.method()) {
            let (given, rebuilt) = match csrf_of(request).await {
                Ok(found) => found,
                Err(r) => return r,
            };
            request = rebuilt;
            if !crate::secrets::same_secret(&given, &session.csrf) {
                return error(StatusCode::FORBIDDEN, "missing or wrong CSRF token");
            }
        }
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// The CSRF token a request carries, and the request (its body read and put back).
async fn csrf_of(request: Request) -> Result<(String, Request), Response> {
    if let Some(v) = request.headers().get(CSRF_HEADER) {
        let given = v.to_str().unwrap_or_default().to_owned();
        return Ok((given, request));
    }
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok((String::new(), request));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| error(StatusCode::PAYLOAD_TOO_LARGE, "form too large"))?;
    let probe = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let given = match Form::<CsrfField>::from_request(probe, &()).await {
        Ok(Form(f)) => f.csrf,
        Err(_) => String::new(),
    };
    Ok((given, Request::from_parts(parts, Body::from(bytes))))
}

/// Percent-encodes a path for a query value.
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Where to go after signing in: a local path only.
fn local_target(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    next: String,
    problem: String,
    username: String,
}

/// `?next=` of the sign-in page.
#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// `GET /login`.
pub(crate) async fn login_page(Query(q): Query<NextQuery>) -> Response {
    html(
        StatusCode::OK,
        &LoginPage {
            nav: Nav::anonymous(),
            next: local_target(q.next.as_deref()).to_owned(),
            problem: String::new(),
            username: String::new(),
        },
    )
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`: a session cookie and a redirect; 401 on a wrong password, 429 when
/// throttled.
pub(crate) async fn login(
    State(state): State<AppState>,
    PeerIp(source): PeerIp,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error(
            StatusCode::BAD_REQUEST,
            "username and password are required",
        );
    };
    let next = local_target(form.next.as_deref()).to_owned();
    let again = |code, problem: &str| {
        html(
            code,
            &LoginPage {
                nav: Nav::anonymous(),
                next: next.clone(),
                problem: problem.to_owned(),
                username: form.username.clone(),
            },
        )
    };
    match state
        .accounts
        .login(form.username.trim(), &form.password, source, now_ms())
        .await
    {
        Ok((token, session)) => {
            let target = if session.user.must_change_password {
                "/account/password"
            } else {
                next.as_str()
            };
            let mut r = Redirect::to(target).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &token)) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(LoginError::Throttled) => {
            let mut r = again(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed sign-ins. Try again in 15 minutes.",
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::accounts::LOGIN_WINDOW_S),
            );
            r
        }
        Err(LoginError::Wrong) => again(StatusCode::UNAUTHORIZED, "Wrong user name or password."),
        Err(LoginError::Account(e)) => super::unavailable("sign-in", &e),
    }
}

fn session_cookie(state: &AppState, token: &str) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        crate::accounts::SESSION_IDLE.as_secs(),
        if state.web.cookie_secure {
            "; Secure"
        } else {
            ""
        }
    )
}

/// `POST /logout`: ends the session, clears the cookie.
pub(crate) async fn logout(State(state): State<AppState>, Auth(p): Auth) -> Response {
    if let Principal::Session { token, session } = &p {
        if let Err(e) = state.accounts.logout(token).await {
            return super::unavailable("sign-out", &e);
        }
        let _ = state
            .accounts
            .audit(
                now_ms(),
                &session.user.username,
                "logout",
                &session.user.username,
                "",
            )
            .await;
    }
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("bnpt_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

/// `GET /api/v1/me`: who the session or token is, and the CSRF token for changes.
pub(crate) async fn me(Auth(p): Auth) -> Response {
    match &p {
        Principal::Session { session, .. } => Json(serde_json::json!({
            "user": session.user,
            "csrf": session.csrf,
            "expires_at": super::iso(session.expires_ms),
        }))
        .into_response(),
        Principal::ApiToken => {
            Json(serde_json::json!({ "user": null, "token": true })).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_targets_after_sign_in() {
        assert_eq!(local_target(Some("/tickets?x=1")), "/tickets?x=1");
        assert_eq!(local_target(Some("//evil.example")), "/");
        assert_eq!(local_target(Some("https://evil.example")), "/");
        assert_eq!(local_target(Some("/\\evil")), "/");
        assert_eq!(local_target(None), "/");
    }

    #[test]
    fn origins_must_match_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(
            !cross_origin(&h),
            "no Origin: same-site by SameSite cookies"
        );
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(!cross_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(cross_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_origin(&h));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; bnpt_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
