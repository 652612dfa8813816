-- Web accounts, their server-side sessions, and the audit log.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- agent, supervisor, manager, admin
    role TEXT NOT NULL,
    -- Argon2id, PHC string.
    password_hash TEXT NOT NULL,
    -- The ACD agent ID an agent account acts as (its phone's login).
    agent_id TEXT,
    -- 1 while the password is a one-time password that must be changed at the next login.
    must_change_password INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    disabled_ms INTEGER
);
-- One row per signed-in browser; the cookie holds a random token, the table only its SHA-256.
CREATE TABLE sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
-- Who did what: sign-ins, recording access, role changes, deletions.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
