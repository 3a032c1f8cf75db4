-- erasectl schema, version 1.
-- Shipped migrations are never edited: add NNN_name.sql instead. Each file
-- runs in one transaction and sets PRAGMA user_version to its number.

-- Mutable request state. Upstream systems may INSERT (request_id,
-- subject_email, device_id, product, received_at, source); every other column
-- has a default. A finished request keeps its subject only as subject_ref:
-- the engine sets subject_email to NULL when it reaches done or rejected.
CREATE TABLE erasure_queue (
    request_id       TEXT PRIMARY KEY NOT NULL
                     CHECK (length(request_id) BETWEEN 1 AND 128),
    subject_email    TEXT CHECK (subject_email IS NULL OR length(subject_email) <= 254),
    device_id        TEXT CHECK (device_id IS NULL OR length(device_id) <= 64),
    product          TEXT CHECK (product IS NULL OR length(product) <= 128),
    received_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    source           TEXT CHECK (source IS NULL OR length(source) <= 256),
    -- hex HMAC-SHA256 of the normalized email; filled at enqueue, or by the
    -- next run for rows inserted by upstream systems.
    subject_ref      TEXT,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'done', 'failed',
                                       'held', 'rejected')),
    outcome          TEXT CHECK (outcome IS NULL OR outcome IN ('erased', 'not_found')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    hold_reason      TEXT,
    extension_months INTEGER NOT NULL DEFAULT 0
                     CHECK (extension_months BETWEEN 0 AND 2),
    extension_reason TEXT,
    queued_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    completed_at     TEXT,
    CHECK (subject_email IS NOT NULL OR device_id IS NOT NULL
           OR subject_ref IS NOT NULL)
);
CREATE INDEX erasure_queue_status ON erasure_queue(status);
CREATE INDEX erasure_queue_subject_ref ON erasure_queue(subject_ref);
CREATE INDEX erasure_queue_received ON erasure_queue(received_at);

-- Append-only evidence. No email, name, token or response body is stored:
-- subjects appear only as subject_ref, paths with the subject as {subject}.
-- hash = SHA-256 of the canonical encoding documented in src/ledger.h.
CREATE TABLE ledger (
    seq          INTEGER PRIMARY KEY NOT NULL,
    ts           TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    subject_ref  TEXT NOT NULL,
    event        TEXT NOT NULL,
    target_kind  TEXT NOT NULL DEFAULT '',
    target_id    TEXT NOT NULL DEFAULT '',
    method       TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',
    status       INTEGER NOT NULL DEFAULT 0,
    body_sha256  TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '',
    operator     TEXT NOT NULL DEFAULT '',
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX ledger_request ON ledger(request_id);
CREATE INDEX ledger_subject_ref ON ledger(subject_ref);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;

CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;

-- Checkpoints written by `erasectl checkpoint`, so reports and receipts can
-- name the latest one that covers an entry. The file is the evidence; this
-- is an index of them.
CREATE TABLE checkpoints (
    id           INTEGER PRIMARY KEY,
    created_at   TEXT NOT NULL,
    entries      INTEGER NOT NULL,
    root         TEXT NOT NULL,
    head         TEXT NOT NULL,
    signed       INTEGER NOT NULL DEFAULT 0,
    file         TEXT
);
