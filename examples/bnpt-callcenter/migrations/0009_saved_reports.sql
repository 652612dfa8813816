-- Custom reports a user saved: the chosen metrics, grouping and filters (CMS-4).
CREATE TABLE saved_reports (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    -- JSON: {"metrics": [...], "group": "interval|hour|day|total", "by_queue": bool, "queues": [...]}
    definition TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
