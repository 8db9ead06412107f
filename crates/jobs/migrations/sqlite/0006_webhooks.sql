-- Webhooks (issue 14): one delivery per entry of a job's `notification_config`, made when the
-- job ends, retried until delivered or given up, claimed by any process like a job is.
CREATE TABLE notifications (
    -- The Standard Webhooks `webhook-id`: the same for every attempt of this delivery.
    notification_id  TEXT PRIMARY KEY,
    job_id           TEXT NOT NULL,
    organisation_id  TEXT NOT NULL,
    -- The entry of the job's notification_config (0-based).
    target           INTEGER NOT NULL,
    -- The `status` query parameter: 'success' (DONE) or 'error' (FAILED).
    outcome          TEXT NOT NULL CHECK (outcome IN ('success', 'error')),
    created_at       TEXT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- The process making the current attempt, and until when it may.
    lease_token      TEXT,
    lease_expires_at TEXT,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_at     TEXT,
    gave_up_at       TEXT,
    UNIQUE (job_id, target)
);

CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;

-- A job's deliveries are created by the same statement that ends it, whichever one that is
-- (the worker's DONE or FAILED, a cancel), so a job never ends without them and a crash cannot
-- come between the two.
CREATE TRIGGER jobs_notify AFTER UPDATE OF status ON jobs
WHEN NEW.status IN ('DONE', 'FAILED') AND OLD.status NOT IN ('DONE', 'FAILED', 'DELETED')
BEGIN
    INSERT INTO notifications (notification_id, job_id, organisation_id, target, outcome,
                               created_at, next_attempt_at)
    SELECT 'msg_' || NEW.job_id || '_' || t.key, NEW.job_id, NEW.organisation_id, t.key,
           CASE NEW.status WHEN 'DONE' THEN 'success' ELSE 'error' END,
           NEW.updated_at, NEW.updated_at
    FROM json_each(NEW.job_config, '$.notification_config') AS t
    WHERE true
    ON CONFLICT DO NOTHING;
END;

-- The key each organisation's deliveries are signed with (`whsec_…`). Kept as it is, not
-- hashed: signing needs it. After a rotation the previous one also signs until
-- `previous_until`, so receivers can switch without losing a delivery.
CREATE TABLE webhook_secrets (
    organisation_id TEXT PRIMARY KEY,
    secret          TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    previous_secret TEXT,
    previous_until  TEXT
);
