-- Transcript corrections (issue 16): the speaker names and word texts a user gave a DONE job's
-- transcript, as the JSON document the api reads and writes whole (`{"speakers": {...},
-- "words": {...}}`), and a revision counted up by every change, so that concurrent changes
-- never lose one another (each is a compare-and-set on the revision). The original transcript
-- stays in the output bucket; these are only the user's changes.
ALTER TABLE jobs ADD COLUMN corrections TEXT;
ALTER TABLE jobs ADD COLUMN corrections_revision INTEGER NOT NULL DEFAULT 0;
