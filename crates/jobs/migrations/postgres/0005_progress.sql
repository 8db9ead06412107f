-- Progress (issue 14), the twin of migrations/sqlite/0005_progress.sql.
ALTER TABLE jobs ADD COLUMN progress JSON;
ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMPTZ;
