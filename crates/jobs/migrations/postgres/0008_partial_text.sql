-- The text of a job as it is recognised, the twin of migrations/sqlite/0008_partial_text.sql.
ALTER TABLE jobs ADD COLUMN partial_text TEXT;
