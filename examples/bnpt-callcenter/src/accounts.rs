//! Web accounts: users with one of four roles, Argon2id password hashes, server-side sessions
//! in the database, sign-in throttling, and the audit log.
//!
//! A session cookie carries 32 random bytes; the `sessions` table keeps only their SHA-256, so
//! a copy of the database signs no one in. Sessions end after [`SESSION_IDLE`] without a
//! request. Sign-in failures are counted per source address and per user name
//! ([`MAX_LOGIN_FAILURES`] in [`LOGIN_WINDOW_S`]) and further tries are refused until the window
//! passes. The first start makes an `admin` account whose one-time password is printed once
//! and must be changed at the first sign-in — or is taken from `BNPT_ADMIN_PASSWORD` or the
//! file `[http] admin_password_file` names.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sambung_sip::auth::FailureLimiter;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::sqlite::SqlitePool;

use crate::secrets::hex;
use crate::sync::lock;

/// A session lasts this long after its last request.
pub(crate) const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// Failed sign-ins from one address, or for one user name, before tries are refused.
pub(crate) const MAX_LOGIN_FAILURES: u32 = 5;
/// The window those failures are counted in, and how long the refusal lasts.
pub(crate) const LOGIN_WINDOW_S: u64 = 15 * 60;
/// The shortest password accepted.
pub(crate) const MIN_PASSWORD_LEN: usize = 10;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    /// Takes calls, files tickets, sets their own state.
    Agent,
    /// Watches queues and agents, listens to recordings, handles tickets.
    Supervisor,
    /// A supervisor who also reads the audit log.
    Manager,
    /// Manages accounts; sees the dashboards but not recordings.
    Admin,
}

/// A part of the web side, granted by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Capability {
    /// Dashboard, wallboard and `/api/v1/realtime`.
    Realtime,
    /// Historical reports.
    Reports,
    /// Search, play and download recordings (REC-2, REC-3): supervisors and managers only.
    Recordings,
    /// Tickets and contact histories.
    Tickets,
    /// Set one's own agent state.
    AgentDesk,
    /// Create accounts, change roles, disable accounts.
    Users,
    /// Read the audit log.
    Audit,
}

impl Role {
    /// Every role, least to most privileged.
    pub(crate) const ALL: [Role; 4] = [Role::Agent, Role::Supervisor, Role::Manager, Role::Admin];

    /// The name stored and shown.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// The role named `name`.
    pub(crate) fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether this role has `what`.
    pub(crate) fn can(self, what: Capability) -> bool {
        use Capability as C;
        match what {
            C::Realtime | C::Reports => self != Role::Agent,
            C::Recordings => matches!(self, Role::Supervisor | Role::Manager),
            C::Tickets => self != Role::Admin,
            C::AgentDesk => self == Role::Agent,
            C::Users => self == Role::Admin,
            C::Audit => matches!(self, Role::Manager | Role::Admin),
        }
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct User {
    pub(crate) id: i64,
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) role: Role,
    /// The ACD agent ID an agent account acts as.
    pub(crate) agent_id: Option<String>,
    /// The password is a one-time password: nothing but changing it is allowed.
    pub(crate) must_change_password: bool,
    pub(crate) disabled: bool,
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) user: User,
    /// The token forms and `fetch` calls send back (`csrf` field or `X-CSRF-Token` header).
    pub(crate) csrf: String,
    pub(crate) expires_ms: i64,
}

/// A new account.
#[derive(Debug, Clone)]
pub(crate) struct NewUser<'a> {
    pub(crate) username: &'a str,
    pub(crate) display_name: &'a str,
    pub(crate) role: Role,
    pub(crate) password: &'a str,
    pub(crate) agent_id: Option<&'a str>,
    pub(crate) must_change_password: bool,
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AccountError {
    #[error("user name must be 1 to 64 letters, digits, '.', '_' or '-'")]
    BadUsername,
    #[error("display name must be 1 to 100 characters")]
    BadDisplayName,
    #[error("password must be at least {MIN_PASSWORD_LEN} characters and at most 1024")]
    WeakPassword,
    #[error("an agent account needs the agent ID of its phone")]
    AgentIdRequired,
    #[error("user name {0:?} is taken")]
    Taken(String),
    #[error("no such user")]
    NoSuchUser,
    #[error("the last active admin cannot lose the role or be disabled")]
    LastAdmin,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("no system random source")]
    Random,
    #[error("database")]
    Database(#[from] sqlx::Error),
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoginError {
    #[error("too many failed sign-ins; try again later")]
    Throttled,
    #[error("wrong user name or password")]
    Wrong,
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// Accounts, sessions and the audit log, over the service's database.
pub(crate) struct Accounts {
    pool: SqlitePool,
    limiter: Mutex<FailureLimiter>,
    /// A hash to verify against when the user name is unknown, so that a wrong name takes as
    /// long as a wrong password.
    decoy: String,
}

/// 32 random bytes, hex.
fn random_token() -> Result<String, AccountError> {
    let key = crate::secrets::random_key().map_err(|_| AccountError::Random)?;
    Ok(hex(&key))
}

fn token_sha256(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Argon2id with the crate's default parameters (19 MiB, 2 passes), off the async threads.
async fn hash_password(password: &str) -> Result<String, AccountError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hash(e.to_string()))?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadUsername)
    }
}

fn password_rules(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if (MIN_PASSWORD_LEN..=1024).contains(&n) {
        Ok(())
    } else {
        Err(AccountError::WeakPassword)
    }
}

/// The columns [`user_from`] reads, as a literal for `concat!` (sqlx takes only static SQL).
macro_rules! user_columns {
    () => {
        "id, username, display_name, role, agent_id, must_change_password, disabled_ms"
    };
}

fn user_from(row: &sqlx::sqlite::SqliteRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("role {role:?}").into()))?,
        agent_id: row.try_get("agent_id")?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        disabled: row.try_get::<Option<i64>, _>("disabled_ms")?.is_some(),
    })
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// An entry of the audit log.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditEntry {
    pub(crate) id: i64,
    pub(crate) at: String,
    pub(crate) actor: String,
    pub(crate) action: String,
    pub(crate) subject: String,
    pub(crate) detail: String,
}

impl Accounts {
    /// Accounts over `pool` (the service's database, migrated).
    pub(crate) async fn new(pool: SqlitePool) -> Result<Self, AccountError> {
        let decoy = hash_password(&random_token()?).await?;
        Ok(Self {
            pool,
            limiter: Mutex::new(FailureLimiter::new(MAX_LOGIN_FAILURES, LOGIN_WINDOW_S)),
            decoy,
        })
    }

    /// Whether any account exists.
    pub(crate) async fn any(&self) -> Result<bool, AccountError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }

    /// Makes the first admin if there are no accounts: with `configured` as the password,
    /// or a generated one-time password, which is returned so the caller can print it once.
    pub(crate) async fn ensure_admin(
        &self,
        configured: Option<&str>,
        now_ms: i64,
    ) -> Result<Option<String>, AccountError> {
        if self.any().await? {
            return Ok(None);
        }
        let generated = match configured {
            Some(_) => None,
            None => Some(random_token()?.chars().take(20).collect::<String>()),
        };
        let password = configured.or(generated.as_deref()).unwrap_or_default();
        self.create(
            &NewUser {
                username: "admin",
                display_name: "Administrator",
                role: Role::Admin,
                password,
                agent_id: None,
                must_change_password: generated.is_some(),
            },
            now_ms,
        )
        .await?;
        self.audit(now_ms, "system", "user.create", "admin", "first start")
            .await?;
        Ok(generated)
    }

    /// Creates an account; returns its id.
    pub(crate) async fn create(&self, u: &NewUser<'_>, now_ms: i64) -> Result<i64, AccountError> {
        check_username(u.username)?;
        if u.display_name.trim().is_empty() || u.display_name.chars().count() > 100 {
            return Err(AccountError::BadDisplayName);
        }
        password_rules(u.password)?;
        let agent_id = u.agent_id.map(str::trim).filter(|a| !a.is_empty());
        if u.role == Role::Agent && agent_id.is_none() {
            return Err(AccountError::AgentIdRequired);
        }
        let hash = hash_password(u.password).await?;
        let result = sqlx::query(
            "INSERT INTO users (username, display_name, role, password_hash, agent_id, must_change_password, created_ms) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(u.username)
        .bind(u.display_name.trim())
        .bind(u.role.as_str())
        .bind(hash)
        .bind(agent_id)
        .bind(i64::from(u.must_change_password))
        .bind(now_ms)
        .execute(&self.pool)
        .await;
        match result {
            Ok(done) => Ok(done.last_insert_rowid()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(AccountError::Taken(u.username.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every account, by user name.
    pub(crate) async fn list(&self) -> Result<Vec<User>, AccountError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY username"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(user_from).collect::<Result<_, _>>()?)
    }

    /// One account.
    pub(crate) async fn get(&self, id: i64) -> Result<User, AccountError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(AccountError::NoSuchUser)?;
        Ok(user_from(&row)?)
    }

    /// Whether `source` or `username` may not try to sign in now.
    pub(crate) fn throttled(&self, source: IpAddr, username: &str, now_s: u64) -> bool {
        lock(&self.limiter).blocked(source, Some(username), now_s)
    }

    /// Signs in: returns the new session's cookie token and the session.
    pub(crate) async fn login(
        &self,
        username: &str,
        password: &str,
        source: IpAddr,
        now_ms: i64,
    ) -> Result<(String, Session), LoginError> {
        let user = self
            .check_password(username, password, source, now_ms)
            .await?;
        let token = random_token()?;
        let csrf = random_token()?;
        let expires_ms = now_ms.saturating_add(ms(SESSION_IDLE));
        sqlx::query(
            "INSERT INTO sessions (token_sha256, user_id, csrf, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_sha256(&token))
        .bind(user.id)
        .bind(&csrf)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(&self.pool)
        .await
        .map_err(AccountError::from)?;
        self.audit(
            now_ms,
            &user.username,
            "login",
            &user.username,
            &source.to_string(),
        )
        .await?;
        Ok((
            token,
            Session {
                user,
                csrf,
                expires_ms,
            },
        ))
    }

    /// Checks a password (throttled and audited on failure like a sign-in); the account if
    /// right and enabled.
    pub(crate) async fn check_password(
        &self,
        username: &str,
        password: &str,
        source: IpAddr,
        now_ms: i64,
    ) -> Result<User, LoginError> {
        let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
        if self.throttled(source, username, now_s) {
            return Err(LoginError::Throttled);
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            ", password_hash FROM users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(AccountError::from)?;
        let (user, hash) = match &row {
            Some(r) => (
                Some(user_from(r).map_err(AccountError::from)?),
                r.try_get::<String, _>("password_hash")
                    .map_err(AccountError::from)?,
            ),
            None => (None, self.decoy.clone()),
        };
        let right = verify_password(password, &hash).await;
        let user = match user {
            Some(u) if right && !u.disabled => u,
            _ => {
                lock(&self.limiter).failed(source, Some(username), now_s);
                self.audit(
                    now_ms,
                    username,
                    "login.failed",
                    username,
                    &source.to_string(),
                )
                .await?;
                return Err(LoginError::Wrong);
            }
        };
        lock(&self.limiter).succeeded(username);
        Ok(user)
    }

    /// The live session of a cookie token, its expiry pushed on; `None` if there is none, it
    /// expired, or its account was disabled.
    pub(crate) async fn session(
        &self,
        token: &str,
        now_ms: i64,
    ) -> Result<Option<Session>, AccountError> {
        let key = token_sha256(token);
        let row = sqlx::query(
            "SELECT s.csrf, s.expires_ms, u.id AS id, u.username AS username, \
             u.display_name AS display_name, u.role AS role, u.agent_id AS agent_id, \
             u.must_change_password AS must_change_password, u.disabled_ms AS disabled_ms \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = ?",
        )
        .bind(&key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_ms: i64 = row.try_get("expires_ms")?;
        let user = user_from(&row)?;
        if expires_ms <= now_ms || user.disabled {
            sqlx::query("DELETE FROM sessions WHERE token_sha256 = ?")
                .bind(&key)
                .execute(&self.pool)
                .await?;
            return Ok(None);
        }
        let idle = ms(SESSION_IDLE);
        let mut expires = expires_ms;
        // Written at most once a minute per session, not on every request.
        if expires_ms - now_ms < idle - 60_000 {
            expires = now_ms.saturating_add(idle);
            sqlx::query("UPDATE sessions SET expires_ms = ? WHERE token_sha256 = ?")
                .bind(expires)
                .bind(&key)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Session {
            user,
            csrf: row.try_get("csrf")?,
            expires_ms: expires,
        }))
    }

    /// Ends the session of a cookie token.
    pub(crate) async fn logout(&self, token: &str) -> Result<(), AccountError> {
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = ?")
            .bind(token_sha256(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets a new password (clearing the one-time flag) and ends the account's other sessions.
    pub(crate) async fn set_password(
        &self,
        user_id: i64,
        password: &str,
        keep_session: Option<&str>,
    ) -> Result<(), AccountError> {
        password_rules(password)?;
        let hash = hash_password(password).await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
        )
        .bind(hash)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AccountError::NoSuchUser);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_sha256 != ?")
            .bind(user_id)
            .bind(keep_session.map(token_sha256).unwrap_or_default())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Changes an account's role and/or disables or re-enables it; the last active admin keeps
    /// both.
    pub(crate) async fn update(
        &self,
        user_id: i64,
        role: Option<Role>,
        disabled: Option<bool>,
        now_ms: i64,
    ) -> Result<User, AccountError> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = ?"
        ))
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AccountError::NoSuchUser)?;
        let user = user_from(&row)?;
        let loses_admin = user.role == Role::Admin
            && !user.disabled
            && (role.is_some_and(|r| r != Role::Admin) || disabled == Some(true));
        if loses_admin {
            let admins: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_ms IS NULL",
            )
            .fetch_one(&mut *tx)
            .await?;
            if admins <= 1 {
                return Err(AccountError::LastAdmin);
            }
        }
        if let Some(r) = role {
            sqlx::query("UPDATE users SET role = ? WHERE id = ?")
                .bind(r.as_str())
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(d) = disabled {
            sqlx::query("UPDATE users SET disabled_ms = ? WHERE id = ?")
                .bind(d.then_some(now_ms))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if d {
                sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        self.get(user_id).await
    }

    /// Appends to the audit log.
    pub(crate) async fn audit(
        &self,
        at_ms: i64,
        actor: &str,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<(), AccountError> {
        sqlx::query(
            "INSERT INTO audit_log (at_ms, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(at_ms)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest audit entries, at most `limit`, before entry `before` if given.
    pub(crate) async fn audit_log(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, AccountError> {
        let rows = sqlx::query(
            "SELECT id, at_ms, actor, action, subject, detail FROM audit_log \
             WHERE id < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit.min(1000)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at_ms: i64 = r.try_get("at_ms")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: jiff::Timestamp::from_millisecond(at_ms)
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    subject: r.try_get("subject")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn accounts() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = crate::store::Store::open(dir.path(), jiff::Timestamp::now())
            .await
            .unwrap();
        let accounts = Accounts::new(store.pool().clone()).await.unwrap();
        (dir, accounts)
    }

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn first_admin_has_a_one_time_password_made_once() {
        let (_dir, a) = accounts().await;
        let password = a.ensure_admin(None, 1_000).await.unwrap().unwrap();
        assert!(password.len() >= MIN_PASSWORD_LEN);
        assert_eq!(
            a.ensure_admin(None, 2_000).await.unwrap(),
            None,
            "only once"
        );
        let (token, session) = a.login("admin", &password, IP, 3_000).await.unwrap();
        assert_eq!(session.user.role, Role::Admin);
        assert!(session.user.must_change_password);
        a.set_password(session.user.id, "a much better one", Some(&token))
            .await
            .unwrap();
        let again = a.session(&token, 4_000).await.unwrap().unwrap();
        assert!(!again.user.must_change_password);
        assert!(matches!(
            a.login("admin", &password, IP, 5_000).await,
            Err(LoginError::Wrong)
        ));
    }

    #[tokio::test]
    async fn sessions_expire_and_end_at_logout() {
        let (_dir, a) = accounts().await;
        a.ensure_admin(Some("configured password"), 0)
            .await
            .unwrap();
        let (token, s) = a
            .login("admin", "configured password", IP, 0)
            .await
            .unwrap();
        assert!(
            !s.user.must_change_password,
            "a configured password is kept"
        );
        let idle = ms(SESSION_IDLE);
        assert!(a.session(&token, idle - 1).await.unwrap().is_some());
        // That request pushed the expiry on.
        assert!(a.session(&token, 2 * idle - 2).await.unwrap().is_some());
        assert!(a.session(&token, 4 * idle).await.unwrap().is_none());
        let (token, _) = a
            .login("admin", "configured password", IP, 0)
            .await
            .unwrap();
        a.logout(&token).await.unwrap();
        assert!(a.session(&token, 1).await.unwrap().is_none());
        assert!(a.session("not a token", 1).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn repeated_failures_are_throttled_then_the_right_password_too() {
        let (_dir, a) = accounts().await;
        a.ensure_admin(Some("configured password"), 0)
            .await
            .unwrap();
        for _ in 0..MAX_LOGIN_FAILURES {
            assert!(matches!(
                a.login("admin", "guess guess", IP, 1_000).await,
                Err(LoginError::Wrong)
            ));
        }
        assert!(matches!(
            a.login("admin", "configured password", IP, 2_000).await,
            Err(LoginError::Throttled)
        ));
        let later = 2_000 + i64::try_from(LOGIN_WINDOW_S).unwrap() * 1000;
        assert!(
            a.login("admin", "configured password", IP, later)
                .await
                .is_ok()
        );
        let log = a.audit_log(100, None).await.unwrap();
        assert_eq!(
            log.iter().filter(|e| e.action == "login.failed").count(),
            usize::try_from(MAX_LOGIN_FAILURES).unwrap()
        );
    }

    #[tokio::test]
    async fn roles_and_the_last_admin() {
        let (_dir, a) = accounts().await;
        a.ensure_admin(Some("configured password"), 0)
            .await
            .unwrap();
        let admin = a.list().await.unwrap()[0].clone();
        assert!(matches!(
            a.update(admin.id, Some(Role::Manager), None, 1).await,
            Err(AccountError::LastAdmin)
        ));
        let new = |username, role, agent_id| NewUser {
            username,
            display_name: "Someone",
            role,
            password: "long enough password",
            agent_id,
            must_change_password: false,
        };
        assert!(matches!(
            a.create(&new("ag", Role::Agent, None), 1).await,
            Err(AccountError::AgentIdRequired)
        ));
        let id = a
            .create(&new("sup", Role::Supervisor, None), 1)
            .await
            .unwrap();
        assert!(matches!(
            a.create(&new("sup", Role::Manager, None), 1).await,
            Err(AccountError::Taken(_))
        ));
        assert!(matches!(
            a.create(&new("bad name", Role::Manager, None), 1).await,
            Err(AccountError::BadUsername)
        ));
        let (token, _) = a.login("sup", "long enough password", IP, 1).await.unwrap();
        let user = a.update(id, None, Some(true), 2).await.unwrap();
        assert!(user.disabled);
        assert!(
            a.session(&token, 3).await.unwrap().is_none(),
            "disabling ends sessions"
        );
        assert!(Role::Supervisor.can(Capability::Recordings));
        assert!(!Role::Agent.can(Capability::Recordings));
        assert!(!Role::Admin.can(Capability::Recordings));
    }
}
