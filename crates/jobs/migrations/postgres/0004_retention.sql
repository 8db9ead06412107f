-- Retention (issue 14), the twin of migrations/sqlite/0004_retention.sql.
ALTER TABLE jobs ADD COLUMN retention_ms DOUBLE PRECISION;

CREATE INDEX jobs_unexpired ON jobs (completed_at)
    WHERE expired_at IS NULL AND status IN ('DONE', 'FAILED');
