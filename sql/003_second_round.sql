-- erasectl schema, version 3 (second round).
-- erasure_queue gains: customer subjects (a Particle username that is not
-- an email), the awaiting_approval state, the erased_with_residue outcome.
-- SQLite cannot change a CHECK constraint in place, so the table is
-- rebuilt with its rows. Who enqueued, approved or denied a request is in
-- the ledger (the operator of those entries), not here.
CREATE TABLE erasure_queue_v3 (
    request_id       TEXT PRIMARY KEY NOT NULL
                     CHECK (length(request_id) BETWEEN 1 AND 128),
    subject_email    TEXT CHECK (subject_email IS NULL OR length(subject_email) <= 254),
    -- a customer username named exactly (not an email); cleared like the
    -- email when the request is finished
    subject_customer TEXT CHECK (subject_customer IS NULL OR
                                 length(subject_customer) BETWEEN 1 AND 254),
    device_id        TEXT CHECK (device_id IS NULL OR length(device_id) <= 64),
    product          TEXT CHECK (product IS NULL OR length(product) <= 128),
    received_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    source           TEXT CHECK (source IS NULL OR length(source) <= 256),
    subject_ref      TEXT,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('awaiting_approval', 'pending', 'running',
                                       'done', 'failed', 'held', 'rejected')),
    outcome          TEXT CHECK (outcome IS NULL OR outcome IN
                                 ('erased', 'not_found', 'erased_with_residue')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    hold_reason      TEXT,
    extension_months INTEGER NOT NULL DEFAULT 0
                     CHECK (extension_months BETWEEN 0 AND 2),
    extension_reason TEXT,
    queued_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    completed_at     TEXT,
    CHECK (subject_email IS NOT NULL OR subject_customer IS NOT NULL
           OR device_id IS NOT NULL OR subject_ref IS NOT NULL)
);
INSERT INTO erasure_queue_v3 (request_id, subject_email, device_id, product,
    received_at, source, subject_ref, status, outcome, attempts, last_error,
    hold_reason, extension_months, extension_reason, queued_at, updated_at,
    completed_at)
SELECT request_id, subject_email, device_id, product, received_at, source,
    subject_ref, status, outcome, attempts, last_error, hold_reason,
    extension_months, extension_reason, queued_at, updated_at, completed_at
FROM erasure_queue;
DROP TABLE erasure_queue;
ALTER TABLE erasure_queue_v3 RENAME TO erasure_queue;
CREATE INDEX erasure_queue_subject_ref ON erasure_queue(subject_ref);
CREATE INDEX erasure_queue_received ON erasure_queue(received_at);
CREATE INDEX erasure_queue_window ON erasure_queue(status, received_at, request_id);

-- Settings the database must keep with its evidence: the fingerprint of
-- the HMAC key its subject_refs were made with (key "hmac_key_fingerprint").
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- One row per run, erase or sweep: working state for `metrics` (when the
-- last run succeeded, how long it took, its API calls). Evidence about
-- requests is in the ledger, never here.
CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('run', 'erase', 'sweep')),
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    exit_code    INTEGER,
    requests     INTEGER NOT NULL DEFAULT 0,
    erased       INTEGER NOT NULL DEFAULT 0,
    not_found    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    api_calls    INTEGER NOT NULL DEFAULT 0,
    api_failures INTEGER NOT NULL DEFAULT 0,
    findings     INTEGER
);
