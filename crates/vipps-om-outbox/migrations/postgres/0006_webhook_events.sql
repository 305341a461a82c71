-- Webhook events for the shop (PostgreSQL): one row per event, written in
-- the same transaction as the job outcome that causes it (a job failed for
-- good, delivered after having failed) or by the waiting scan (a job
-- waiting longer than the threshold), and kept until the shop's endpoint
-- answered 2xx. Times are milliseconds since the Unix epoch (UTC).
CREATE TABLE vipps_om_outbox_events (
    id              BIGSERIAL PRIMARY KEY,
    -- The id the shop de-duplicates by (a UUID), in the body and a header.
    event_id        TEXT   NOT NULL UNIQUE,
    event_type      TEXT   NOT NULL
                           CHECK (event_type IN ('job.failed', 'job.delivered_after_failure', 'job.waiting')),
    job_id          BIGINT NOT NULL,
    -- Set only on job.waiting events: one such event per job.
    waiting_job_id  BIGINT UNIQUE,
    -- The JSON body sent, fixed when the event is made.
    body            TEXT   NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until    BIGINT,
    last_error      TEXT,
    last_status     BIGINT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);

-- Sending: the undelivered events that are due, oldest first.
CREATE INDEX vipps_om_outbox_events_due
    ON vipps_om_outbox_events (next_attempt_at, id) WHERE delivered_at IS NULL;
CREATE INDEX vipps_om_outbox_events_job ON vipps_om_outbox_events (job_id);
