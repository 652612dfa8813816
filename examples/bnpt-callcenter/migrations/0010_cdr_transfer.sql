-- Where an agent transferred the call (an extension, a queue or a DID); NULL when not
-- transferred. The last transfer wins.
ALTER TABLE cdrs ADD COLUMN transferred_to TEXT;
