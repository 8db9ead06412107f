-- The fair queue (issue 14): claims take turns between organisations. `claimed_at` is the time
-- of a job's latest claim; an organisation's latest claim (the MAX over its jobs) decides, among
-- organisations with as few jobs in progress, whose turn it is.
ALTER TABLE jobs ADD COLUMN claimed_at TEXT;

CREATE INDEX jobs_org_claimed ON jobs (organisation_id, claimed_at);
-- An organisation's jobs in progress (held under a live lease), counted at every claim.
CREATE INDEX jobs_org_working ON jobs (organisation_id, lease_expires_at)
    WHERE status IN ('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING');
