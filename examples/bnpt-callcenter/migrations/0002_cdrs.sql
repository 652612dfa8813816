-- Call detail records: one row per call, written when the call arrives and completed when it
-- ends. A row left without `ended_ms` by a crash is closed as `interrupted` at the next start.
CREATE TABLE cdrs (
    id INTEGER PRIMARY KEY,
    sip_call_id TEXT NOT NULL,
    caller TEXT NOT NULL,
    called TEXT NOT NULL,
    service TEXT NOT NULL,
    arrived_ms INTEGER NOT NULL,
    answered_ms INTEGER,
    ended_ms INTEGER,
    -- in_progress, completed, abandoned, rejected, interrupted
    disposition TEXT NOT NULL,
    -- remote_hangup, local_hangup, cancelled, rejected, no_ack, shutdown, interrupted
    end_reason TEXT,
    recording_id TEXT
);
CREATE INDEX cdrs_arrived ON cdrs (arrived_ms);
