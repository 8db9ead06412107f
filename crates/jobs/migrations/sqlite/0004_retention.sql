-- Retention (issue 14): a job's files are purged some time after it ended (`expired_at` then
-- says when). The server's retention is a setting; a job may ask for a shorter one, kept here
-- in milliseconds for the sweeper's query (it is also in job_config, as the client sent it).
ALTER TABLE jobs ADD COLUMN retention_ms REAL;

CREATE INDEX jobs_unexpired ON jobs (completed_at)
    WHERE expired_at IS NULL AND status IN ('DONE', 'FAILED');
