-- Transcript corrections (issue 16), the twin of migrations/sqlite/0007_corrections.sql.
ALTER TABLE jobs ADD COLUMN corrections JSON;
ALTER TABLE jobs ADD COLUMN corrections_revision BIGINT NOT NULL DEFAULT 0;
