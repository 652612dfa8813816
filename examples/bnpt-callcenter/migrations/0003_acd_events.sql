-- The ACD's event log: every event the scheduler logged, in order. The CMS figures (real-time
-- totals and interval rollups) are a projection of it, rebuilt at start-up and by `report`.
CREATE TABLE acd_events (
    seq INTEGER PRIMARY KEY,
    wall_ms INTEGER NOT NULL,
    -- sambung_core::event::EventKind as JSON
    kind TEXT NOT NULL
);
