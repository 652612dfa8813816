-- The caller's satisfaction rating (1–5) keyed after the agent hung up; NULL when none.
ALTER TABLE cdrs ADD COLUMN survey_score INTEGER;
