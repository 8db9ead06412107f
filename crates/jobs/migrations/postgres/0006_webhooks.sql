-- Webhooks (issue 14), the twin of migrations/sqlite/0006_webhooks.sql.
CREATE TABLE notifications (
    notification_id  TEXT PRIMARY KEY,
    job_id           TEXT COLLATE "C" NOT NULL,
    organisation_id  TEXT NOT NULL,
    target           INTEGER NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('success', 'error')),
    created_at       TIMESTAMPTZ NOT NULL,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_token      TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_status      INTEGER,
    last_error       TEXT,
    delivered_at     TIMESTAMPTZ,
    gave_up_at       TIMESTAMPTZ,
    UNIQUE (job_id, target)
);

CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;

CREATE FUNCTION jobs_notify() RETURNS trigger AS $$
BEGIN
    INSERT INTO notifications (notification_id, job_id, organisation_id, target, outcome,
                               created_at, next_attempt_at)
    SELECT 'msg_' || NEW.job_id || '_' || (t.ord - 1), NEW.job_id, NEW.organisation_id, t.ord - 1,
           CASE NEW.status WHEN 'DONE' THEN 'success' ELSE 'error' END,
           NEW.updated_at, NEW.updated_at
    FROM json_array_elements(
             CASE WHEN json_typeof(NEW.job_config -> 'notification_config') = 'array'
                  THEN NEW.job_config -> 'notification_config' ELSE '[]'::json END)
         WITH ORDINALITY AS t(target, ord)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER jobs_notify AFTER UPDATE OF status ON jobs
    FOR EACH ROW
    WHEN (NEW.status IN ('DONE', 'FAILED') AND OLD.status NOT IN ('DONE', 'FAILED', 'DELETED'))
    EXECUTE FUNCTION jobs_notify();

CREATE TABLE webhook_secrets (
    organisation_id TEXT PRIMARY KEY,
    secret          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    previous_secret TEXT,
    previous_until  TIMESTAMPTZ
);
