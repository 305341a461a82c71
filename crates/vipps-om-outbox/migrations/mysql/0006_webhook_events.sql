-- Webhook events for the shop (MySQL 8, MariaDB 10.6+): one row per
-- event, written in the same transaction as the job outcome that causes it
-- (a job failed for good, delivered after having failed) or by the waiting
-- scan (a job waiting longer than the threshold), and kept until the
-- shop's endpoint answered 2xx. Times are milliseconds since the Unix
-- epoch (UTC).
CREATE TABLE vipps_om_outbox_events (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- The id the shop de-duplicates by (a UUID, 36 characters), in the
    -- body and a header.
    event_id        VARCHAR(64)  NOT NULL,
    event_type      VARCHAR(32)  NOT NULL
                                 CHECK (event_type IN ('job.failed', 'job.delivered_after_failure', 'job.waiting')),
    job_id          BIGINT       NOT NULL,
    -- Set only on job.waiting events: one such event per job.
    waiting_job_id  BIGINT,
    -- The JSON body sent, fixed when the event is made.
    body            LONGTEXT     NOT NULL,
    attempts        BIGINT       NOT NULL DEFAULT 0,
    next_attempt_at BIGINT       NOT NULL,
    leased_until    BIGINT,
    last_error      LONGTEXT,
    last_status     BIGINT,
    created_at      BIGINT       NOT NULL,
    delivered_at    BIGINT,
    CONSTRAINT vipps_om_outbox_events_event_id UNIQUE (event_id),
    CONSTRAINT vipps_om_outbox_events_waiting UNIQUE (waiting_job_id)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- Sending: the undelivered events that are due, oldest first (MySQL has
-- no partial indexes; delivered_at IS NULL leads).
CREATE INDEX vipps_om_outbox_events_due
    ON vipps_om_outbox_events (delivered_at, next_attempt_at, id);
CREATE INDEX vipps_om_outbox_events_job ON vipps_om_outbox_events (job_id);
