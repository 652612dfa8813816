-- Each start of the service, and whether it stopped cleanly. A run without `stopped_at` that
-- is not the current one ended in a crash or kill -9.
CREATE TABLE service_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT    NOT NULL,  -- RFC 3339 UTC
    stopped_at  TEXT,              -- NULL while running or after a crash
    version     TEXT    NOT NULL,
    pid         INTEGER NOT NULL
);
