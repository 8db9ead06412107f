-- Idempotency-Key (issue 14), the twin of migrations/sqlite/0003_idempotency.sql.
CREATE TABLE idempotency_keys (
    organisation_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    fingerprint     TEXT,
    status_code     INTEGER,
    response        TEXT,
    PRIMARY KEY (organisation_id, idempotency_key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
