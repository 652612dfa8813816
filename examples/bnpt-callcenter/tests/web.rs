//! The web side over HTTP: the first admin's one-time password, sign-in throttling, sessions,
//! CSRF and same-origin checks, roles on every page, `openapi.json` against the routes, bad
//! input answered 4xx with a message (never 5xx), tickets linked to a real SIPp call with its
//! recording played by range requests, and the real-time stream.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{
    ADMIN_PASSWORD, OPEN, PATIENCE, Reply, Service, api_token, sipp, sipp_available, tone_prompt,
    wait_sipp,
};
use serde_json::{Value, json};

/// A signed-in browser: its session cookie and CSRF token.
struct Browser<'a> {
    service: &'a Service,
    cookie: String,
    csrf: String,
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn login(service: &Service, user: &str, password: &str) -> Reply {
    service.request(
        "POST",
        "/login",
        &[FORM],
        form(&[("username", user), ("password", password), ("next", "/")]).as_bytes(),
    )
}

fn session_cookie(reply: &Reply) -> String {
    let set = reply
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("bnpt_session="))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no session cookie: {reply:?}"));
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

impl<'a> Browser<'a> {
    /// Signs in; a one-time password is changed to `password` + "-own" first.
    fn sign_in(service: &'a Service, user: &str, password: &str) -> Self {
        let reply = login(service, user, password);
        assert_eq!(reply.status, 303, "{}", reply.text());
        let cookie = session_cookie(&reply);
        let mut b = Browser {
            service,
            cookie,
            csrf: String::new(),
        };
        b.csrf = b.get("/api/v1/me").json()["csrf"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if reply.header("location") == Some("/account/password") {
            let own = format!("{password}-own");
            let changed = b.post_form(
                "/account/password",
                &[("current", password), ("new", &own), ("repeat", &own)],
            );
            assert_eq!(changed.status, 303, "{}", changed.text());
            let me = b.get("/api/v1/me").json();
            assert_eq!(me["user"]["must_change_password"], false);
        }
        b
    }

    fn get(&self, path: &str) -> Reply {
        self.service
            .request("GET", path, &[("Cookie", &self.cookie)], b"")
    }

    fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.service.request(
            "POST",
            path,
            &[("Cookie", &self.cookie), FORM],
            form(&all).as_bytes(),
        )
    }

    fn send(&self, method: &str, path: &str, body: &Value) -> Reply {
        self.service.request(
            method,
            path,
            &[("Cookie", &self.cookie), ("X-CSRF-Token", &self.csrf), JSON],
            body.to_string().as_bytes(),
        )
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Creates an account with the API token; returns its one-time password.
fn make_user(
    service: &Service,
    token: &str,
    user: &str,
    role: &str,
    agent: Option<&str>,
) -> String {
    let password = format!("{user}-first-password");
    let reply = service.request(
        "POST",
        "/api/v1/users",
        &[("Authorization", &bearer(token)), JSON],
        json!({ "username": user, "display_name": user, "role": role,
                "password": password, "agent_id": agent })
        .to_string()
        .as_bytes(),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.json()["must_change_password"], true);
    password
}

#[test]
fn the_first_admin_gets_a_one_time_password_that_must_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start_with(&data, OPEN, None);
    let stderr = service.stderr_text();
    let password = stderr
        .lines()
        .skip_while(|l| !l.contains("one-time password"))
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.contains("one-time password"))
        .unwrap_or_else(|| panic!("no one-time password printed:\n{stderr}"))
        .to_owned();
    assert!(password.len() >= 10);

    let reply = login(&service, "admin", &password);
    assert_eq!(reply.header("location"), Some("/account/password"));
    let cookie = session_cookie(&reply);
    // Until it is changed, nothing else is allowed.
    let page = service.request("GET", "/users", &[("Cookie", &cookie)], b"");
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/account/password"));
    let api = service.request("GET", "/api/v1/users", &[("Cookie", &cookie)], b"");
    assert_eq!(api.status, 403, "{}", api.text());

    let admin = Browser::sign_in(&service, "admin", &password);
    assert_eq!(admin.get("/users").status, 200);
    assert_eq!(
        login(&service, "admin", &password).status,
        401,
        "the one-time password is spent"
    );
    drop(admin);
    drop(service);

    // The next start makes no new admin and prints no password.
    let again = Service::start_with(&data, OPEN, None);
    assert!(!again.stderr_text().contains("one-time password"));
}

#[test]
fn sign_in_is_throttled_and_sessions_end_at_sign_out() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(&dir.path().join("data"));
    for _ in 0..5 {
        let r = login(&service, "admin", "wrong password");
        assert_eq!(r.status, 401);
        assert!(r.text().contains("Wrong user name or password"));
    }
    let throttled = login(&service, "admin", ADMIN_PASSWORD);
    assert_eq!(throttled.status, 429, "{}", throttled.text());
    assert!(throttled.header("retry-after").is_some());

    // Another service (a fresh limiter): sign in and out.
    drop(service);
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(&dir.path().join("data"));
    let admin = Browser::sign_in(&service, "admin", ADMIN_PASSWORD);
    assert_eq!(admin.get("/api/v1/me").status, 200);
    let out = admin.post_form("/logout", &[]);
    assert_eq!(out.status, 303);
    assert_eq!(admin.get("/api/v1/me").status, 401);
    let page = admin.get("/dashboard");
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login?next=/dashboard"));
}

#[test]
fn changes_need_the_csrf_token_and_the_same_origin() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::start(&dir.path().join("data"));
    let admin = Browser::sign_in(&service, "admin", ADMIN_PASSWORD);
    let body = json!({ "username": "x1", "display_name": "X", "role": "manager",
                       "password": "long enough pw" })
    .to_string();
    let no_token = service.request(
        "POST",
        "/api/v1/users",
        &[("Cookie", &admin.cookie), JSON],
        body.as_bytes(),
    );
    assert_eq!(no_token.status, 403);
    assert!(no_token.json()["error"].as_str().unwrap().contains("CSRF"));
    let wrong_form = service.request(
        "POST",
        "/logout",
        &[("Cookie", &admin.cookie), FORM],
        b"csrf=nope",
    );
    assert_eq!(wrong_form.status, 403);
    let cross = service.request(
        "POST",
        "/api/v1/users",
        &[
            ("Cookie", &admin.cookie),
            ("X-CSRF-Token", &admin.csrf),
            ("Origin", "http://evil.example"),
            JSON,
        ],
        body.as_bytes(),
    );
    assert_eq!(cross.status, 403);
    let cross_login = service.request(
        "POST",
        "/login",
        &[FORM, ("Origin", "http://evil.example")],
        form(&[("username", "admin"), ("password", ADMIN_PASSWORD)]).as_bytes(),
    );
    assert_eq!(cross_login.status, 403);
    assert_eq!(
        admin
            .send(
                "POST",
                "/api/v1/users",
                &serde_json::from_str(&body).unwrap()
            )
            .status,
        201
    );
}

#[test]
fn each_role_sees_its_own_pages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let token = api_token(&data);
    let agent_pw = make_user(&service, &token, "ani", "agent", Some("1001"));
    let sup_pw = make_user(&service, &token, "sari", "supervisor", None);
    let mgr_pw = make_user(&service, &token, "made", "manager", None);
    let agent = Browser::sign_in(&service, "ani", &agent_pw);
    let sup = Browser::sign_in(&service, "sari", &sup_pw);
    let mgr = Browser::sign_in(&service, "made", &mgr_pw);
    let admin = Browser::sign_in(&service, "admin", ADMIN_PASSWORD);

    let pages = [
        "/dashboard",
        "/wallboard",
        "/reports",
        "/recordings",
        "/tickets",
        "/tickets/new",
        "/desk",
        "/users",
        "/audit",
    ];
    let allowed = |who: &str, page: &str| match (who, page) {
        ("agent", "/tickets" | "/tickets/new" | "/desk") => true,
        ("agent", _) => false,
        (_, "/desk") => false,
        ("admin", "/recordings" | "/tickets" | "/tickets/new") => false,
        ("supervisor", "/users" | "/audit") => false,
        ("manager", "/users") => false,
        ("admin" | "supervisor" | "manager", _) => true,
        _ => false,
    };
    for (who, b) in [
        ("agent", &agent),
        ("supervisor", &sup),
        ("manager", &mgr),
        ("admin", &admin),
    ] {
        for page in pages {
            let r = b.get(page);
            let expected = if allowed(who, page) { 200 } else { 403 };
            assert_eq!(r.status, expected, "{who} GET {page}: {}", r.text());
            if expected == 200 {
                assert!(r.text().contains("<html"), "{who} {page}");
            }
        }
    }
    // Each role's start page.
    assert_eq!(agent.get("/").header("location"), Some("/desk"));
    assert_eq!(sup.get("/").header("location"), Some("/dashboard"));
    assert_eq!(admin.get("/").header("location"), Some("/users"));

    // Role changes are audited; the last admin keeps the role.
    let users = admin.get("/api/v1/users").json();
    let id_of = |name: &str| {
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let r = admin.send(
        "PATCH",
        &format!("/api/v1/users/{}", id_of("sari")),
        &json!({ "role": "manager" }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        sup.get("/audit").status,
        200,
        "the new role applies at once"
    );
    let r = admin.send(
        "PATCH",
        &format!("/api/v1/users/{}", id_of("admin")),
        &json!({ "role": "agent" }),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = admin.send(
        "PATCH",
        &format!("/api/v1/users/{}", id_of("admin")),
        &json!({ "disabled": true }),
    );
    assert_eq!(r.status, 409, "{}", r.text());
    let r = admin.send(
        "PATCH",
        &format!("/api/v1/users/{}", id_of("made")),
        &json!({ "disabled": true }),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        mgr.get("/api/v1/me").status,
        401,
        "disabling ends the sessions"
    );
    let audit = admin.get("/api/v1/audit").json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "user.create",
        "user.role",
        "user.disable",
        "login",
        "user.password",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

/// Fills `{name}` in a path of `openapi.json`.
fn sample_path(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{number}", "+6281234567890")
}

#[test]
fn every_api_route_is_in_openapi_json_and_needs_a_sign_in() {
    let spec: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let token = api_token(&data);
    let auth = bearer(&token);
    let mut checked = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let url = format!("/api/v1{}", sample_path(path));
            let anonymous = service.request(&method, &url, &[JSON], b"{}");
            assert_eq!(anonymous.status, 401, "{method} {url} without a sign-in");
            assert!(anonymous.json()["error"].is_string());
            if path == "/realtime/stream" {
                continue; // a stream that never ends; checked below
            }
            let signed = service.request(&method, &url, &[("Authorization", &auth), JSON], b"{}");
            assert_ne!(signed.status, 405, "{method} {url} is not routed");
            let text = signed.text();
            assert!(
                !(signed.status == 404 && text.contains("no such API route")),
                "{method} {url} is in openapi.json but not routed"
            );
            assert!(
                signed.status < 500,
                "{method} {url}: {} {text}",
                signed.status
            );
            checked += 1;
        }
    }
    assert!(checked >= 18, "{checked}");
    // And a route that is not in the file is not served.
    let r = service.request(
        "GET",
        "/api/v1/not-in-the-spec",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(r.status, 404);
    let served = service.request(
        "GET",
        "/api/v1/openapi.json",
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(served.json(), spec);
}

#[test]
fn bad_input_gets_a_4xx_with_a_message_never_a_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let token = api_token(&data);
    let auth = bearer(&token);
    let cases: &[(&str, &str, &str)] = &[
        ("POST", "/api/v1/tickets", "not json"),
        ("POST", "/api/v1/tickets", "{}"),
        (
            "POST",
            "/api/v1/tickets",
            r#"{"category":"nope","service":"pengaduan","description":"x","caller":"1"}"#,
        ),
        (
            "POST",
            "/api/v1/tickets",
            r#"{"category":"Lainnya","service":"pengaduan","description":"x","cdr_id":999999}"#,
        ),
        (
            "POST",
            "/api/v1/tickets",
            r#"{"category":"Lainnya","service":"pengaduan","description":"","caller":"1"}"#,
        ),
        ("PATCH", "/api/v1/tickets/abc", r#"{"status":"closed"}"#),
        (
            "PATCH",
            "/api/v1/tickets/99999999",
            r#"{"status":"closed"}"#,
        ),
        ("GET", "/api/v1/tickets/99999999999999999999999", ""),
        ("GET", "/api/v1/tickets?status=maybe", ""),
        ("GET", "/api/v1/tickets?limit=-1", ""),
        ("GET", "/api/v1/recordings?from=yesterday", ""),
        ("GET", "/api/v1/recordings/nope", ""),
        ("GET", "/api/v1/recordings?number=*", ""),
        ("GET", "/api/v1/recordings?number=abc", ""),
        ("GET", "/api/v1/recordings/..%2F..%2Fsecrets.toml/audio", ""),
        ("GET", "/api/v1/reports/intervals?from=x&to=y", ""),
        (
            "POST",
            "/api/v1/users",
            r#"{"username":"a b","display_name":"x","role":"admin","password":"long enough pw"}"#,
        ),
        (
            "POST",
            "/api/v1/users",
            r#"{"username":"ab","display_name":"x","role":"king","password":"long enough pw"}"#,
        ),
        (
            "POST",
            "/api/v1/users",
            r#"{"username":"ab","display_name":"x","role":"agent","password":"short"}"#,
        ),
        (
            "POST",
            "/api/v1/users",
            r#"{"username":"ab","display_name":"x","role":"agent","password":"long enough pw","agent_id":"9999"}"#,
        ),
        ("PATCH", "/api/v1/users/999", r#"{"role":"admin"}"#),
        (
            "POST",
            "/api/v1/agents/1001/state",
            r#"{"state":"dancing"}"#,
        ),
        ("POST", "/api/v1/agents/1001/state", r#"{"state":"ready"}"#),
        (
            "POST",
            "/api/v1/agents/nobody/state",
            r#"{"state":"login"}"#,
        ),
        ("GET", "/api/v1/audit?limit=lots", ""),
    ];
    for (method, path, body) in cases {
        let r = service.request(
            method,
            path,
            &[("Authorization", &auth), JSON],
            body.as_bytes(),
        );
        assert!(
            (400..500).contains(&r.status),
            "{method} {path} {body}: {} {}",
            r.status,
            r.text()
        );
        assert!(
            r.json()["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{method} {path}: {}",
            r.text()
        );
    }
    // Pages answer bad input with a page, not a crash.
    let admin = Browser::sign_in(&service, "admin", ADMIN_PASSWORD);
    assert_eq!(admin.get("/reports?from=tomorrow").status, 400);
    let sup_pw = make_user(&service, &token, "sari", "supervisor", None);
    let sup = Browser::sign_in(&service, "sari", &sup_pw);
    let bad_number = sup.get("/recordings?number=abc");
    assert_eq!(bad_number.status, 400);
    assert!(bad_number.text().contains("not a phone number"));
    assert_eq!(admin.get("/no/such/page").status, 404);
    assert_eq!(admin.get("/static/nothing.js").status, 404);
    assert!(service.health().0 == 200, "still serving");
}

/// Reads a server-sent event stream until `want` events named `name` arrived.
fn read_events(service: &Service, path: &str, cookie: &str, name: &str, want: usize) -> Vec<Value> {
    let addr = service.ready["http"].as_str().unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\r\n"
    )
    .unwrap();
    let deadline = Instant::now() + PATIENCE;
    let mut text = String::new();
    let mut buf = [0u8; 8192];
    let mut events = Vec::new();
    while events.len() < want {
        assert!(Instant::now() < deadline, "no {name} events: {text}");
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "stream closed: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        events = text
            .split(&format!("event: {name}\n"))
            .skip(1)
            .filter_map(|chunk| chunk.lines().find_map(|l| l.strip_prefix("data: ")))
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
    }
    events
}

#[test]
fn a_sipp_call_becomes_a_ticket_with_its_recording_and_history() {
    if !sipp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    tone_prompt(&data, "welcome.wav", 300);
    let service = Service::start(&data);
    let token = api_token(&data);
    let sup_pw = make_user(&service, &token, "sari", "supervisor", None);
    let agent_pw = make_user(&service, &token, "ani", "agent", Some("1001"));
    let sup = Browser::sign_in(&service, "sari", &sup_pw);
    let agent = Browser::sign_in(&service, "ani", &agent_pw);

    // The live stream shows the call while it lasts.
    let mut caller = sipp(&service, dir.path(), 1, 3000);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let live = read_events(&service, "/events/realtime", &sup.cookie, "realtime", 1);
        if live[0]["calls_active"].as_u64() == Some(1) {
            assert!(live[0]["queues"]["pengaduan"]["name"].is_string());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the call never showed: {}",
            live[0]
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(wait_sipp(&mut caller, Duration::from_secs(60)).success());
    service.wait_health(|h| h["calls_active"] == 0);

    // The agent files a report about the call, by its CDR.
    let found = sup.get("/api/v1/recordings").json();
    let recording = found["recordings"][0].clone();
    let cdr_id = recording["call_id"].as_i64().unwrap();
    let new = agent.post_form(
        "/tickets",
        &[
            ("cdr_id", &cdr_id.to_string()),
            ("category", "Informasi mencurigakan"),
            ("service", "pengaduan"),
            ("description", "Caller reports a suspicious gathering"),
            ("notes", "Spoke calmly; gave the street name"),
        ],
    );
    assert_eq!(new.status, 303, "{}", new.text());
    let location = new.header("location").unwrap().to_owned();
    let ticket_id: i64 = location.trim_start_matches("/tickets/").parse().unwrap();
    let t = agent.get(&format!("/api/v1/tickets/{ticket_id}")).json();
    assert_eq!(t["status"], "open");
    assert_eq!(t["created_by"], "ani");
    assert_eq!(t["caller"], recording["caller"]);
    assert_eq!(t["call"]["cdr_id"], cdr_id);
    assert_eq!(t["call"]["recording_id"], recording["id"]);
    assert!(t["call"]["arrived_at"].is_string() && t["call"]["ended_at"].is_string());
    assert!(t["sla_due_at"].is_string());
    assert_eq!(t["sla_breached"], false);
    let page = sup.get(&location);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("suspicious gathering"));
    assert!(page.text().contains(&format!(
        "/recordings/{}/audio",
        recording["id"].as_str().unwrap()
    )));

    // The supervisor plays it with seeking: a range request gets 206 and exactly that range.
    let audio = format!("/recordings/{}/audio", recording["id"].as_str().unwrap());
    let part = service.request(
        "GET",
        &audio,
        &[("Cookie", &sup.cookie), ("Range", "bytes=0-43")],
        b"",
    );
    assert_eq!(part.status, 206, "{}", part.text());
    assert_eq!(part.body.len(), 44);
    assert_eq!(&part.body[..4], b"RIFF");
    let whole = sup.get(&audio);
    assert_eq!(whole.status, 200);
    assert_eq!(
        whole.body.len() as i64,
        recording["size_bytes"].as_i64().unwrap()
    );
    assert_eq!(
        agent.get(&audio).status,
        403,
        "agents do not play recordings"
    );
    let refused = agent.get(&format!("/api/v1{audio}"));
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["error"].is_string(),
        "the API refuses in JSON"
    );

    // Pending, then closed, with a note; every change is in the history.
    let r = sup.send(
        "PATCH",
        &format!("/api/v1/tickets/{ticket_id}"),
        &json!({ "status": "pending", "assigned_to": "sari" }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = sup.post_form(
        &location,
        &[
            ("status", "closed"),
            ("note", "Dispatched to the back office"),
        ],
    );
    assert_eq!(r.status, 303);
    let t = sup.get(&format!("/api/v1/tickets/{ticket_id}")).json();
    assert_eq!(t["status"], "closed");
    assert!(t["closed_at"].is_string());
    assert!(
        t["notes"]
            .as_str()
            .unwrap()
            .contains("Dispatched to the back office")
    );
    assert_eq!(t["events"].as_array().unwrap().len(), 5, "{}", t["events"]);

    // The caller's history has the call and the ticket.
    let number = recording["caller"].as_str().unwrap();
    let history = sup
        .get(&format!("/api/v1/contacts/{}", number.replace('+', "%2B")))
        .json();
    assert_eq!(history["calls"].as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history["tickets"][0]["id"], ticket_id);
    let closed = sup.get("/api/v1/tickets?status=closed").json();
    assert_eq!(closed["total"], 1);

    // Playing and downloading went to the audit log, with who did it.
    let admin = Browser::sign_in(&service, "admin", ADMIN_PASSWORD);
    let audit = admin.get("/api/v1/audit").json();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "recording.play" && e["actor"] == "sari"),
        "{audit}"
    );
    // And to the hash-chained access log: the search and the play (once, not per range),
    // which `recordings audit` proves intact — until a line is removed.
    let chain = std::fs::read_to_string(data.join("recordings-audit.jsonl")).unwrap();
    let entries: Vec<Value> = chain
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("sari", "recording.search"),
            ("sari", "recording.play"),
            ("sari", "recording.play"),
        ],
        "{chain}"
    );
    assert_eq!(entries[1]["target"], recording["id"]);
    let (exit, log) = service.terminate();
    assert!(exit.success(), "{log}");
    let verify = |data: &std::path::Path| {
        std::process::Command::new(common::BIN)
            .args(["recordings", "audit", "--json", "--data"])
            .arg(data)
            .output()
            .unwrap()
    };
    let out = verify(&data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["entries"], 3);
    let mut lines: Vec<&str> = chain.lines().collect();
    lines.remove(1);
    std::fs::write(data.join("recordings-audit.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = verify(&data);
    assert!(!out.status.success(), "a removed entry shows");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_agent_desk_sets_the_same_state_as_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let token = api_token(&data);
    let agent_pw = make_user(&service, &token, "ani", "agent", Some("1001"));
    let agent = Browser::sign_in(&service, "ani", &agent_pw);
    let r = agent.post_form("/desk", &[("state", "ready")]);
    assert_eq!(r.status, 409, "ready before logging in: {}", r.text());
    assert_eq!(agent.post_form("/desk", &[("state", "login")]).status, 200);
    assert_eq!(
        agent
            .post_form("/desk", &[("state", "not_ready"), ("reason", "lunch")])
            .status,
        200
    );
    let live = service
        .request(
            "GET",
            "/api/v1/realtime",
            &[("Authorization", &bearer(&token))],
            b"",
        )
        .json();
    let me = live["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agent"] == "1001")
        .unwrap()
        .clone();
    assert_eq!(me["state"], "not_ready");
    assert_eq!(me["reason"], "lunch");
    // The desk's own stream says the same.
    let state = read_events(&service, "/events/desk", &agent.cookie, "state", 1);
    assert_eq!(state[0]["state"], "not_ready");
    // Another agent's state is not the agent's to change.
    let r = agent.send(
        "POST",
        "/api/v1/agents/1002/state",
        &json!({ "state": "login" }),
    );
    assert_eq!(r.status, 403);
    let r = agent.send(
        "POST",
        "/api/v1/agents/1001/state",
        &json!({ "state": "logout" }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // The log-in and log-out times are reported (CRM-4).
    let now = jiff::Timestamp::now();
    let range = format!(
        "from={}&to={}",
        now - jiff::SignedDuration::from_hours(1),
        now + jiff::SignedDuration::from_hours(1)
    );
    let sessions = service
        .request(
            "GET",
            &format!("/api/v1/reports/agent-sessions?{range}"),
            &[("Authorization", &bearer(&token))],
            b"",
        )
        .json();
    let list = sessions["sessions"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{sessions}");
    assert_eq!(list[0]["agent"], "1001");
    assert!(list[0]["logged_out_at"].is_string());
}

/// A one-message SMTP server: returns its port and, once a message arrived, its DATA.
fn fake_smtp() -> (u16, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut out = stream;
        out.write_all(b"220 fake ESMTP\r\n").unwrap();
        let mut data = String::new();
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if std::io::BufRead::read_line(&mut reader, &mut line).unwrap_or(0) == 0 {
                break;
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    out.write_all(b"250 queued\r\n").unwrap();
                } else {
                    data.push_str(&line);
                }
                continue;
            }
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" | "HELO" => out.write_all(b"250-fake\r\n250 8BITMIME\r\n").unwrap(),
                "DATA" => {
                    in_data = true;
                    out.write_all(b"354 go on\r\n").unwrap();
                }
                "QUIT" => {
                    out.write_all(b"221 bye\r\n").unwrap();
                    break;
                }
                _ => out.write_all(b"250 OK\r\n").unwrap(),
            }
        }
        let _ = tx.send(data);
    });
    (port, rx)
}

/// A one-request HTTP server answering 204: its port and, later, the request's head and body.
fn fake_webhook() -> (u16, std::sync::mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        let (head, body) = loop {
            let n = stream.read(&mut buf).unwrap();
            raw.extend_from_slice(&buf[..n]);
            if let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if raw.len() >= split + 4 + length || n == 0 {
                    break (head, raw[split + 4..split + 4 + length].to_vec());
                }
            }
            assert!(n > 0, "webhook request cut short");
        };
        stream
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .unwrap();
        let _ = tx.send((head, body));
    });
    (port, rx)
}

#[test]
fn tickets_are_dispatched_by_email_and_a_signed_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (smtp_port, mail) = fake_smtp();
    let (hook_port, hook) = fake_webhook();
    let config = dir.path().join("bnpt.toml");
    std::fs::write(
        &config,
        format!(
            "[crm]\ndispatch_to = [\"pengaduan@bnpt.go.id\"]\nmail_from = \"callcenter@bnpt.local\"\n\
             smtp_host = \"127.0.0.1\"\nsmtp_port = {smtp_port}\nwebhook_url = \"http://127.0.0.1:{hook_port}/tickets\"\n"
        ),
    )
    .unwrap();
    let service = Service::start_configured(&data, &config);
    let token = api_token(&data);
    let auth = bearer(&token);
    let created = service.request(
        "POST",
        "/api/v1/tickets",
        &[("Authorization", &auth), JSON],
        json!({ "caller": "+6281234567890", "category": "Laporan ancaman", "service": "pengaduan",
                "description": "Threat reported against a school" })
        .to_string()
        .as_bytes(),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_i64().unwrap();
    let sent = service.request(
        "POST",
        &format!("/api/v1/tickets/{id}/dispatch"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(sent.status, 200, "{}", sent.text());
    assert_eq!(sent.json()["results"].as_array().unwrap().len(), 2);

    let message = mail.recv_timeout(PATIENCE).unwrap();
    assert!(message.contains("To: pengaduan@bnpt.go.id"), "{message}");
    assert!(
        message.contains("Threat reported against a school"),
        "{message}"
    );
    assert!(message.contains("+6281234567890"), "{message}");

    let (head, body) = hook.recv_timeout(PATIENCE).unwrap();
    assert!(head.starts_with("post /tickets http/1.1"), "{head}");
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {name} in {head}"))
    };
    let timestamp: i64 = header("x-bnpt-timestamp").parse().unwrap();
    let secret = common::secret_top(&data, "webhook_secret");
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(header("x-bnpt-signature"), format!("sha256={expected}"));
    let payload: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(payload["id"], id);
    assert_eq!(payload["description"], "Threat reported against a school");

    // Both deliveries are in the ticket's history; with the relay gone the next try fails,
    // says so, and is recorded too.
    let again = service.request(
        "POST",
        &format!("/api/v1/tickets/{id}/dispatch"),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(again.status, 502, "{}", again.text());
    let t = service
        .request(
            "GET",
            &format!("/api/v1/tickets/{id}"),
            &[("Authorization", &auth)],
            b"",
        )
        .json();
    let history: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["what"].as_str().unwrap())
        .collect();
    assert!(
        history.iter().any(|w| w.starts_with("dispatched by email")),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .any(|w| w.starts_with("dispatched by webhook: HTTP 204")),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .any(|w| w.starts_with("dispatch by email failed")),
        "{history:?}"
    );
}

#[test]
fn custom_reports_are_run_saved_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let token = api_token(&data);
    let sup_pw = make_user(&service, &token, "sari", "supervisor", None);
    let sup = Browser::sign_in(&service, "sari", &sup_pw);
    let run = sup.get("/api/v1/reports/custom?metrics=offered,service_level&group=day&by_queue=1");
    assert_eq!(run.status, 200, "{}", run.text());
    assert_eq!(
        run.json()["columns"],
        json!(["day", "queue", "offered", "service_level"])
    );
    assert_eq!(
        sup.get("/api/v1/reports/custom?metrics=joy&group=day")
            .status,
        400
    );
    assert_eq!(
        sup.get("/api/v1/reports/custom?metrics=offered&queues=nowhere")
            .status,
        400
    );

    // Saved from the page's form, listed, run by ID, and the name is unique.
    let saved = sup.post_form(
        "/reports/custom",
        &[
            ("metrics", "offered"),
            ("metrics", "abandoned"),
            ("group", "hour"),
            ("queues", "pengaduan"),
            ("name", "Pengaduan per jam"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.text());
    let list = sup.get("/api/v1/reports/saved").json();
    let report = &list["reports"][0];
    assert_eq!(report["name"], "Pengaduan per jam");
    assert_eq!(report["owner"], "sari");
    assert_eq!(
        report["definition"]["metrics"],
        json!(["offered", "abandoned"])
    );
    let id = report["id"].as_i64().unwrap();
    let by_id = sup
        .get(&format!("/api/v1/reports/custom?saved={id}"))
        .json();
    assert_eq!(by_id["columns"], json!(["hour", "offered", "abandoned"]));
    let page = sup.get(saved.header("location").unwrap());
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Pengaduan per jam"));
    let again = sup.send(
        "POST",
        "/api/v1/reports/saved",
        &json!({ "name": "Pengaduan per jam", "definition": { "metrics": ["offered"], "group": "day" } }),
    );
    assert_eq!(again.status, 409);

    // Someone else's report is not an agent's or another supervisor's to delete; a manager may.
    let other_pw = make_user(&service, &token, "budi", "supervisor", None);
    let other = Browser::sign_in(&service, "budi", &other_pw);
    assert_eq!(
        other
            .send("DELETE", &format!("/api/v1/reports/saved/{id}"), &json!({}))
            .status,
        403
    );
    let mgr_pw = make_user(&service, &token, "made", "manager", None);
    let mgr = Browser::sign_in(&service, "made", &mgr_pw);
    assert_eq!(
        mgr.send("DELETE", &format!("/api/v1/reports/saved/{id}"), &json!({}))
            .status,
        204
    );
    assert_eq!(
        sup.get("/api/v1/reports/saved").json()["reports"],
        json!([])
    );
    let audit = mgr.get("/api/v1/audit").json();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "report.delete")
    );
    // The agents' part of the historical report.
    let agents =
        sup.get("/api/v1/reports/agents?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z");
    assert_eq!(agents.status, 200);
    assert!(agents.json()["agents"].is_array());
}

#[test]
fn the_first_admin_password_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secret = dir.path().join("admin-password");
    std::fs::write(&secret, "from-a-file-password\n").unwrap();
    let config = dir.path().join("bnpt.toml");
    std::fs::write(
        &config,
        format!("[http]\nadmin_password_file = \"{}\"\n", secret.display()),
    )
    .unwrap();
    // Without BNPT_ADMIN_PASSWORD: start_configured sets it, so start the binary by hand.
    let service = Service::start_with_config_only(&data, &config);
    assert!(!service.stderr_text().contains("one-time password"));
    let admin = Browser::sign_in(&service, "admin", "from-a-file-password");
    assert_eq!(admin.get("/users").status, 200);
    drop(admin);
    drop(service);
    // Once the admin exists the file is not needed.
    std::fs::remove_file(&secret).unwrap();
    let again = Service::start_with_config_only(&data, &config);
    assert_eq!(again.health().0, 200);
}

#[test]
fn the_page_forms_answer_with_pages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let token = api_token(&data);
    let admin = Browser::sign_in(&service, "admin", ADMIN_PASSWORD);
    // New account from the form, then its role changed and it disabled from the list's forms.
    let made = admin.post_form(
        "/users",
        &[
            ("username", "dewi"),
            ("display_name", "Dewi"),
            ("role", "supervisor"),
            ("agent_id", ""),
            ("password", "dewi-first-password"),
        ],
    );
    assert_eq!(made.status, 303, "{}", made.text());
    let id = admin.get("/api/v1/users").json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "dewi")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let path = format!("/users/{id}");
    assert_eq!(admin.post_form(&path, &[("role", "manager")]).status, 303);
    assert_eq!(admin.post_form(&path, &[("disabled", "1")]).status, 303);
    let dewi = admin.get("/api/v1/users").json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "dewi")
        .unwrap()
        .clone();
    assert_eq!(
        (dewi["role"].as_str(), dewi["disabled"].as_bool()),
        (Some("manager"), Some(true))
    );
    let bad = admin.post_form(
        "/users",
        &[
            ("username", "x y"),
            ("display_name", "X"),
            ("role", "agent"),
            ("password", "long enough pw"),
        ],
    );
    assert_eq!(bad.status, 400);
    assert!(
        bad.text().contains("user name must be"),
        "the form says why"
    );
    assert_eq!(
        admin.post_form("/users/999", &[("role", "admin")]).status,
        404
    );

    // Dispatch without a configured channel: the ticket page says so (409).
    let sup_pw = make_user(&service, &token, "sari", "supervisor", None);
    let sup = Browser::sign_in(&service, "sari", &sup_pw);
    let filed = sup.post_form(
        "/tickets",
        &[
            ("caller", "+6281234567890"),
            ("category", "Lainnya"),
            ("service", "informasi"),
            ("description", "Asked for office hours"),
        ],
    );
    assert_eq!(filed.status, 303, "{}", filed.text());
    let ticket = filed.header("location").unwrap().to_owned();
    let sent = sup.post_form(&format!("{ticket}/dispatch"), &[]);
    assert_eq!(sent.status, 409);
    assert!(sent.text().contains("dispatch is not configured"));
    let empty = sup.post_form(
        "/tickets",
        &[
            ("category", "Lainnya"),
            ("service", "informasi"),
            ("description", ""),
        ],
    );
    assert_eq!(empty.status, 400);
    assert!(empty.text().contains("description is required"));
    assert_eq!(sup.get("/tickets/999").status, 404);
    assert_eq!(sup.get("/tickets/abc").status, 404);
    assert_eq!(sup.get("/contacts/%2B6281234567890").status, 200);
}

#[test]
fn junk_on_every_route_never_gets_a_5xx() {
    let spec: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let service = Service::start(&data);
    let token = api_token(&data);
    let auth = bearer(&token);
    let admin = Browser::sign_in(&service, "admin", ADMIN_PASSWORD);
    let big = "x".repeat(200_000);
    let bodies: [&str; 7] = [
        "",
        "{",
        "null",
        "[]",
        r#"{"state":7,"status":[1]}"#,
        "\u{0}\u{1}",
        &big,
    ];
    let queries = [
        "",
        "?limit=99999999999",
        "?from=%ZZ&to=",
        "?number=%2B%2B",
        "?status=&offset=-5",
    ];
    let mut paths: Vec<String> = spec["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|p| *p != "/realtime/stream")
        .map(|p| format!("/api/v1{}", sample_path(p)))
        .collect();
    paths.extend(
        [
            "/tickets",
            "/tickets/1",
            "/tickets/1/dispatch",
            "/users",
            "/users/1",
            "/desk",
            "/reports/custom",
            "/account/password",
            "/recordings",
            "/reports",
            "/contacts/%00",
        ]
        .map(str::to_owned),
    );
    let mut requests = 0;
    for path in &paths {
        for method in ["GET", "POST", "PATCH", "DELETE"] {
            for (i, body) in bodies.iter().enumerate() {
                let query = queries[i % queries.len()];
                let url = format!("{path}{query}");
                let api = path.starts_with("/api/");
                let r = if api {
                    service.request(
                        method,
                        &url,
                        &[("Authorization", &auth), JSON],
                        body.as_bytes(),
                    )
                } else {
                    service.request(
                        method,
                        &url,
                        &[
                            ("Cookie", &admin.cookie),
                            ("X-CSRF-Token", &admin.csrf),
                            FORM,
                        ],
                        body.as_bytes(),
                    )
                };
                requests += 1;
                assert!(
                    r.status < 500,
                    "{method} {url} with {:.40?}: {} {:.300}",
                    body,
                    r.status,
                    r.text()
                );
            }
        }
    }
    assert!(requests > 500, "{requests}");
    assert_eq!(service.health().0, 200, "still serving");
}
