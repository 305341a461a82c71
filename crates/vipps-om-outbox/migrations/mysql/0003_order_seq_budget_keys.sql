-- Per-order sequence, retry budget, idempotency keys, different content.
--
-- MySQL commits every DDL statement on its own (a migration cannot be
-- rolled back as a whole there), so the columns come in one ALTER TABLE
-- and the unique indexes in another, after the numbering that they need.
ALTER TABLE vipps_om_outbox_jobs
    ADD COLUMN seq             BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN budget_used     BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN idempotency_key VARCHAR(255),
    ADD COLUMN failure         VARCHAR(32);

-- seq: the place of a job in its order (merchant, payment type, orderId),
-- assigned at enqueue under a per-order lock (a row of
-- vipps_om_outbox_order_locks, below, locked until the enqueuing
-- transaction ends), so that the sequence is the commit order whatever
-- the interleaving of transactions. Existing jobs are numbered in id order.
UPDATE vipps_om_outbox_jobs j
JOIN (SELECT a.id, COUNT(*) AS n
        FROM vipps_om_outbox_jobs a
        JOIN vipps_om_outbox_jobs e
          ON e.merchant_serial_number = a.merchant_serial_number
         AND e.payment_type = a.payment_type
         AND e.order_id = a.order_id
         AND e.id <= a.id
       GROUP BY a.id) numbered ON numbered.id = j.id
SET j.seq = numbered.n;

-- budget_used: attempts since the job was enqueued or last retried by
-- staff; WorkerConfig::max_attempts compares it. attempts (every attempt
-- ever) still decides what a 409 means.
UPDATE vipps_om_outbox_jobs SET budget_used = attempts;

-- idempotency_key: enqueuing the same job twice finds the first one.
-- Jobs enqueued before this migration have none.
-- failure: why a failed job failed, when it is not the API refusing it:
-- 'different_content' = the API already holds a different receipt (or
-- image) under this order (image id), and it cannot be replaced.
ALTER TABLE vipps_om_outbox_jobs
    ADD UNIQUE INDEX vipps_om_outbox_jobs_seq (merchant_serial_number, payment_type, order_id, seq),
    ADD UNIQUE INDEX vipps_om_outbox_jobs_key (merchant_serial_number, idempotency_key);

-- The per-order locks: MySQL has no transaction-scoped advisory locks
-- (GET_LOCK lasts until the session releases it, beyond a COMMIT), so an
-- order's lock is a row of this table, locked with SELECT ... FOR UPDATE
-- until the transaction ends. Orders share 256 of them (ORDER_LOCK_BUCKETS),
-- chosen by a hash of the order, as PostgreSQL's advisory locks are.
CREATE TABLE vipps_om_outbox_order_locks (
    bucket INT NOT NULL PRIMARY KEY
) ENGINE = InnoDB;

INSERT INTO vipps_om_outbox_order_locks (bucket)
SELECT hi.n * 16 + lo.n
  FROM (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3
        UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7
        UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11
        UNION ALL SELECT 12 UNION ALL SELECT 13 UNION ALL SELECT 14 UNION ALL SELECT 15) hi
 CROSS JOIN
       (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3
        UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7
        UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11
        UNION ALL SELECT 12 UNION ALL SELECT 13 UNION ALL SELECT 14 UNION ALL SELECT 15) lo;
