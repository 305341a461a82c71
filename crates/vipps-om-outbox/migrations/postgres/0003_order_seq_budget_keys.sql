-- Per-order sequence, retry budget, idempotency keys, different content.
--
-- seq: the place of a job in its order (merchant, payment type, orderId),
-- assigned at enqueue under a per-order lock (PostgreSQL: an advisory lock
-- held until the enqueuing transaction commits), so that the sequence is
-- the commit order whatever the interleaving of transactions. Existing
-- jobs are numbered in id order.
ALTER TABLE vipps_om_outbox_jobs ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
UPDATE vipps_om_outbox_jobs SET seq = (
    SELECT COUNT(*) FROM vipps_om_outbox_jobs e
    WHERE e.merchant_serial_number = vipps_om_outbox_jobs.merchant_serial_number
      AND e.payment_type = vipps_om_outbox_jobs.payment_type
      AND e.order_id = vipps_om_outbox_jobs.order_id
      AND e.id <= vipps_om_outbox_jobs.id);
CREATE UNIQUE INDEX vipps_om_outbox_jobs_seq
    ON vipps_om_outbox_jobs (merchant_serial_number, payment_type, order_id, seq);

-- budget_used: attempts since the job was enqueued or last retried by
-- staff; WorkerConfig::max_attempts compares it. attempts (every attempt
-- ever) still decides what a 409 means.
ALTER TABLE vipps_om_outbox_jobs ADD COLUMN budget_used BIGINT NOT NULL DEFAULT 0;
UPDATE vipps_om_outbox_jobs SET budget_used = attempts;

-- idempotency_key: enqueuing the same job twice finds the first one.
-- Jobs enqueued before this migration have none.
ALTER TABLE vipps_om_outbox_jobs ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX vipps_om_outbox_jobs_key
    ON vipps_om_outbox_jobs (merchant_serial_number, idempotency_key);

-- failure: why a failed job failed, when it is not the API refusing it:
-- 'different_content' = the API already holds a different receipt (or
-- image) under this order (image id), and it cannot be replaced.
ALTER TABLE vipps_om_outbox_jobs ADD COLUMN failure TEXT;
