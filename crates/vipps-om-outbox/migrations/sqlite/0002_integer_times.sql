-- Times and counters are integers, and nothing is scheduled centuries ahead.
--
-- SQLite stores what it is given: an INTEGER column takes a floating-point
-- value too, and `now + wait` silently becomes one when it overflows a
-- 64-bit integer (a huge Retry-After did that before the wait was capped),
-- after which the row could not be read back. This rebuilds the table with
-- CHECKs that every time and counter is an integer, converts what is
-- there (a REAL is rounded, clamped to the 64-bit range by CAST), and makes
-- a job or lease scheduled more than 24 hours ahead (MAX_SCHEDULE_AHEAD)
-- due now. The AUTOINCREMENT sequence is kept, so purged ids never return.
CREATE TABLE vipps_om_outbox_jobs_v2 (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                   TEXT    NOT NULL CHECK (kind IN ('image', 'category_v2', 'category_v3', 'receipt')),
    merchant_serial_number TEXT    NOT NULL,
    payment_type           TEXT    NOT NULL,
    order_id               TEXT    NOT NULL,
    payload                TEXT    NOT NULL,
    state                  TEXT    NOT NULL DEFAULT 'pending'
                                   CHECK (state IN ('pending', 'in_flight', 'delivered', 'failed')),
    attempts               INTEGER NOT NULL DEFAULT 0 CHECK (typeof(attempts) = 'integer'),
    next_attempt_at        INTEGER NOT NULL CHECK (typeof(next_attempt_at) = 'integer'),
    lease_owner            TEXT,
    leased_until           INTEGER CHECK (leased_until IS NULL OR typeof(leased_until) = 'integer'),
    last_error             TEXT,
    last_status            INTEGER CHECK (last_status IS NULL OR typeof(last_status) = 'integer'),
    problems               TEXT,
    outcome                TEXT CHECK (outcome IN ('created', 'already_present', 'already_there')),
    result_id              TEXT,
    created_at             INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
    updated_at             INTEGER NOT NULL CHECK (typeof(updated_at) = 'integer'),
    delivered_at           INTEGER CHECK (delivered_at IS NULL OR typeof(delivered_at) = 'integer'),
    failed_at              INTEGER CHECK (failed_at IS NULL OR typeof(failed_at) = 'integer')
);

INSERT INTO vipps_om_outbox_jobs_v2 (
    id, kind, merchant_serial_number, payment_type, order_id, payload, state, attempts,
    next_attempt_at, lease_owner, leased_until, last_error, last_status, problems, outcome,
    result_id, created_at, updated_at, delivered_at, failed_at)
SELECT
    id, kind, merchant_serial_number, payment_type, order_id, payload, state,
    CAST(attempts AS INTEGER),
    CASE WHEN CAST(next_attempt_at AS INTEGER) > now_ms + 86400000 THEN now_ms
         ELSE CAST(next_attempt_at AS INTEGER) END,
    lease_owner,
    CASE WHEN leased_until IS NULL THEN NULL
         WHEN CAST(leased_until AS INTEGER) > now_ms + 86400000 THEN now_ms
         ELSE CAST(leased_until AS INTEGER) END,
    last_error,
    CAST(last_status AS INTEGER),
    problems, outcome, result_id,
    CAST(created_at AS INTEGER),
    CAST(updated_at AS INTEGER),
    CAST(delivered_at AS INTEGER),
    CAST(failed_at AS INTEGER)
FROM vipps_om_outbox_jobs,
     (SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) AS now_ms);

-- Keep the id sequence (it may be ahead of the largest id after a purge).
INSERT INTO sqlite_sequence (name, seq)
SELECT 'vipps_om_outbox_jobs_v2', 0
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'vipps_om_outbox_jobs_v2');
UPDATE sqlite_sequence
SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'vipps_om_outbox_jobs'), 0))
WHERE name = 'vipps_om_outbox_jobs_v2';

DROP TABLE vipps_om_outbox_jobs;
ALTER TABLE vipps_om_outbox_jobs_v2 RENAME TO vipps_om_outbox_jobs;

CREATE INDEX vipps_om_outbox_jobs_due
    ON vipps_om_outbox_jobs (merchant_serial_number, next_attempt_at, id)
    WHERE state IN ('pending', 'in_flight');
CREATE INDEX vipps_om_outbox_jobs_order
    ON vipps_om_outbox_jobs (order_id, payment_type, merchant_serial_number, id);
CREATE INDEX vipps_om_outbox_jobs_state ON vipps_om_outbox_jobs (state);
CREATE INDEX vipps_om_outbox_jobs_delivered_at
    ON vipps_om_outbox_jobs (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX vipps_om_outbox_jobs_failed_at
    ON vipps_om_outbox_jobs (failed_at) WHERE failed_at IS NOT NULL;
