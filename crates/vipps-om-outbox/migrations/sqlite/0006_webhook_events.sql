-- Webhook events for the shop (SQLite): one row per event, written in the
-- same transaction as the job outcome that causes it (a job failed for
-- good, delivered after having failed) or by the waiting scan (a job
-- waiting longer than the threshold), and kept until the shop's endpoint
-- answered 2xx. Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE vipps_om_outbox_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The id the shop de-duplicates by (a UUID), in the body and a header.
    event_id        TEXT    NOT NULL UNIQUE,
    event_type      TEXT    NOT NULL
                            CHECK (event_type IN ('job.failed', 'job.delivered_after_failure', 'job.waiting')),
    job_id          INTEGER NOT NULL,
    -- Set only on job.waiting events: one such event per job.
    waiting_job_id  INTEGER UNIQUE,
    -- The JSON body sent, fixed when the event is made.
    body            TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (typeof(attempts) = 'integer'),
    next_attempt_at INTEGER NOT NULL CHECK (typeof(next_attempt_at) = 'integer'),
    leased_until    INTEGER CHECK (leased_until IS NULL OR typeof(leased_until) = 'integer'),
    last_error      TEXT,
    last_status     INTEGER,
    created_at      INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
    delivered_at    INTEGER CHECK (delivered_at IS NULL OR typeof(delivered_at) = 'integer')
);

-- Sending: the undelivered events that are due, oldest first.
CREATE INDEX vipps_om_outbox_events_due
    ON vipps_om_outbox_events (next_attempt_at, id) WHERE delivered_at IS NULL;
CREATE INDEX vipps_om_outbox_events_job ON vipps_om_outbox_events (job_id);
