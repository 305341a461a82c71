-- The outbox of order-details deliveries (SQLite).
-- Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE vipps_om_outbox_jobs (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                   TEXT    NOT NULL CHECK (kind IN ('image', 'category_v2', 'category_v3', 'receipt')),
    merchant_serial_number TEXT    NOT NULL,
    payment_type           TEXT    NOT NULL,
    order_id               TEXT    NOT NULL,
    payload                TEXT    NOT NULL,
    state                  TEXT    NOT NULL DEFAULT 'pending'
                                   CHECK (state IN ('pending', 'in_flight', 'delivered', 'failed')),
    attempts               INTEGER NOT NULL DEFAULT 0,
    next_attempt_at        INTEGER NOT NULL,
    lease_owner            TEXT,
    leased_until           INTEGER,
    last_error             TEXT,
    last_status            INTEGER,
    problems               TEXT,
    outcome                TEXT CHECK (outcome IN ('created', 'already_present', 'already_there')),
    result_id              TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    delivered_at           INTEGER,
    failed_at              INTEGER
);

-- Claiming: the due jobs of one merchant, oldest first.
CREATE INDEX vipps_om_outbox_jobs_due
    ON vipps_om_outbox_jobs (merchant_serial_number, next_attempt_at, id)
    WHERE state IN ('pending', 'in_flight');

-- Sequence within an order, and status by order.
CREATE INDEX vipps_om_outbox_jobs_order
    ON vipps_om_outbox_jobs (order_id, payment_type, merchant_serial_number, id);

CREATE INDEX vipps_om_outbox_jobs_state ON vipps_om_outbox_jobs (state);
CREATE INDEX vipps_om_outbox_jobs_delivered_at
    ON vipps_om_outbox_jobs (delivered_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX vipps_om_outbox_jobs_failed_at
    ON vipps_om_outbox_jobs (failed_at) WHERE failed_at IS NOT NULL;
