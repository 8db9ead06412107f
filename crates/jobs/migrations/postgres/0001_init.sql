-- Verbatim job store, PostgreSQL: the twin of migrations/sqlite/0001_init.sql, table for table,
-- with the same names and constraints. Differences, and why:
-- - Times are TIMESTAMPTZ (written at millisecond precision by the store, like SQLite's text).
-- - JSON documents are JSON, not JSONB: JSON keeps the client's text (key order included) as
--   sent, and nothing ever queries inside them.
-- - Names compared or sorted by the store use COLLATE "C", so ordering is by bytes exactly as
--   in SQLite whatever the cluster's locale.

CREATE TABLE organisations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    secret_hash     TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the secret; the secret is never stored
    created_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    -- Creation order within one millisecond (SQLite's rowid).
    seq             BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE TABLE jobs (
    -- Globally unique (not only per organisation): storage keys are derived from it.
    job_id           TEXT COLLATE "C" PRIMARY KEY,
    organisation_id  TEXT NOT NULL,
    api_key_id       TEXT NOT NULL,
    status           TEXT COLLATE "C" NOT NULL CHECK (status IN
                       ('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING', 'DONE', 'FAILED', 'DELETED')),
    model_code       TEXT COLLATE "C" NOT NULL,
    job_config       JSON NOT NULL,
    metadata         JSON,
    input_metadata   JSON NOT NULL,
    output_metadata  JSON NOT NULL,
    error_message    TEXT,
    input_key        TEXT,
    input_url        TEXT,
    submitted_at     TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ,
    deleted_at       TIMESTAMPTZ,
    expired_at       TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- The queue: who holds the job, the fencing token of that claim, until when;
    -- and when a handed-back job may be claimed again.
    lease_owner      TEXT,
    lease_token      TEXT,
    lease_expires_at TIMESTAMPTZ,
    visible_after    TIMESTAMPTZ
);

CREATE INDEX jobs_org_submitted ON jobs (organisation_id, submitted_at);
CREATE INDEX jobs_queue ON jobs (submitted_at, job_id)
    WHERE status IN ('QUEUED', 'IN_PROGRESS', 'DECODING', 'POST_PROCESSING');

-- Presign step 1 holds a job id for an organisation until its upload URL expires.
CREATE TABLE upload_reservations (
    job_id          TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    object_key      TEXT NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
