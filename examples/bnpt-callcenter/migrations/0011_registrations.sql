-- The registrar's bindings, so a restart knows where the phones are (PBX-8). One row per
-- contact; rows past expires_at (Unix seconds) are ignored and cleared on the next change.
CREATE TABLE registrations (
    aor TEXT NOT NULL,
    contact TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    q INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    cseq INTEGER NOT NULL,
    path TEXT NOT NULL,
    received TEXT,
    PRIMARY KEY (aor, contact)
);
