-- Where each logged-in agent sits (free seating: the extension they logged in from), so a
-- restart puts them back at their phones in the state they were in (PBX-8).
CREATE TABLE agent_seats (
    agent TEXT PRIMARY KEY,
    extension TEXT NOT NULL
);
