-- The agent who answered the call, once one has.
ALTER TABLE cdrs ADD COLUMN agent TEXT;
