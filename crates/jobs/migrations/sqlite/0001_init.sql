-- Verbatim job store, SQLite. The PostgreSQL twin (issue 4) mirrors this table for table:
-- TEXT timestamps become TIMESTAMPTZ, TEXT JSON becomes JSONB; names and constraints stay.
-- Timestamps here are fixed-width RFC 3339 UTC with milliseconds ("2026-11-29T02:00:00.123Z"),
-- so text order is time order.

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    secret_hash     TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the secret; the secret is never stored
    created_at      TEXT NOT NULL,
    revoked_at      TEXT
);

CREATE TABLE jobs (
    -- Globally unique (not only per organisation): storage keys are derived from it.
    job_id           TEXT PRIMARY KEY,
    organisation_id  TEXT NOT NULL,
    api_key_id       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN
                       ('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING', 'DONE', 'FAILED', 'DELETED')),
    model_code       TEXT NOT NULL,
    job_config       TEXT NOT NULL,
    metadata         TEXT,
    input_metadata   TEXT NOT NULL,
    output_metadata  TEXT NOT NULL,
    error_message    TEXT,
    input_key        TEXT,
    input_url        TEXT,
    submitted_at     TEXT NOT NULL,
    started_at       TEXT,
    completed_at     TEXT,
    deleted_at       TEXT,
    expired_at       TEXT,
    updated_at       TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- The queue: who holds the job, the fencing token of that claim, until when;
    -- and when a handed-back job may be claimed again.
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at TEXT,
    visible_after    TEXT
);

CREATE INDEX jobs_org_submitted ON jobs (organisation_id, submitted_at);
CREATE INDEX jobs_queue ON jobs (submitted_at)
    WHERE status IN ('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING');

-- Presign step 1 holds a job id for an organisation until its upload URL expires.
CREATE TABLE upload_reservations (
    job_id          TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    object_key      TEXT NOT NULL,
    expires_at      TEXT NOT NULL
);
