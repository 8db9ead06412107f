-- Idempotency-Key on POST /v1/batch/jobs (issue 14): the first request with a key claims it
-- (a row with no fingerprint yet, while it is handled), then records what it answered; a
-- repeat within the key's lifetime gets that answer again instead of a second job.
CREATE TABLE idempotency_keys (
    organisation_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    -- SHA-256 of the request (hex); NULL while the first request is being handled.
    fingerprint     TEXT,
    status_code     INTEGER,
    response        TEXT,
    PRIMARY KEY (organisation_id, idempotency_key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
