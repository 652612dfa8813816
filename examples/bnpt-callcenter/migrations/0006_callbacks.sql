-- Callback requests left outside office hours, for the agents to return the next working day.
CREATE TABLE callbacks (
    id INTEGER PRIMARY KEY,
    cdr_id INTEGER NOT NULL,
    caller TEXT NOT NULL,
    service TEXT NOT NULL,
    requested_ms INTEGER NOT NULL,
    done_ms INTEGER
);
