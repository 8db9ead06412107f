-- The fair queue (issue 14), the twin of migrations/sqlite/0002_fair_queue.sql.
ALTER TABLE jobs ADD COLUMN claimed_at TIMESTAMPTZ;

CREATE INDEX jobs_org_claimed ON jobs (organisation_id, claimed_at);
CREATE INDEX jobs_org_working ON jobs (organisation_id, lease_expires_at)
    WHERE status IN ('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING');
