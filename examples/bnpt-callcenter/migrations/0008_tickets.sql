-- CRM complaint reports (tickets), linked to the call, its recording and the IVR input (the
-- keys the caller pressed, now kept on the CDR).
CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    -- open, pending, closed
    status TEXT NOT NULL,
    caller TEXT NOT NULL,
    category TEXT NOT NULL,
    service TEXT NOT NULL,
    description TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    cdr_id INTEGER REFERENCES cdrs (id),
    created_by TEXT NOT NULL,
    assigned_to TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    closed_ms INTEGER
);
CREATE INDEX tickets_caller ON tickets (caller);
CREATE INDEX tickets_status ON tickets (status, id);
-- Every change of a ticket, in order.
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id);
CREATE INDEX cdrs_caller ON cdrs (caller, arrived_ms);
ALTER TABLE cdrs ADD COLUMN ivr_input TEXT;
