-- Indexes for browsing the jobs (the support console's /jobs page and
-- dashboard, `browse`): one per filter, each ending in the keyset the
-- pages are sorted by, so that a page is an index range scan however many
-- jobs the table holds.
--
-- receipt_number: bottomLine.receiptNumber of a receipt job's stored
-- request (NULL for other kinds, and when the stored request is not JSON,
-- which fails the job when it is delivered), a virtual column so that it
-- can be indexed on MySQL 8 and MariaDB alike. Cut to 191 characters (the
-- API's own limit is far below).
--
-- One ALTER TABLE (MySQL commits every DDL statement on its own).
ALTER TABLE vipps_om_outbox_jobs
    ADD COLUMN receipt_number VARCHAR(191) AS
        (CASE WHEN kind = 'receipt' AND JSON_VALID(payload)
              THEN LEFT(JSON_UNQUOTE(JSON_EXTRACT(payload, '$.bottomLine.receiptNumber')), 191) END) VIRTUAL,
    -- Every job, newest or oldest first (the time it was enqueued), and
    -- the date range.
    ADD INDEX vipps_om_outbox_jobs_created (created_at, id),
    -- By state, kind and merchant, in time order.
    ADD INDEX vipps_om_outbox_jobs_state_created (state, created_at, id),
    ADD INDEX vipps_om_outbox_jobs_kind_created (kind, created_at, id),
    ADD INDEX vipps_om_outbox_jobs_merchant_created (merchant_serial_number, created_at, id),
    -- The dashboard's backlog: jobs not delivered per state and merchant,
    -- retried or not, with the oldest, read from the index alone.
    ADD INDEX vipps_om_outbox_jobs_backlog (state, merchant_serial_number, attempts, created_at),
    -- By orderId (sorted, and the prefix search).
    ADD INDEX vipps_om_outbox_jobs_order_id (order_id, id),
    ADD INDEX vipps_om_outbox_jobs_receipt_number (receipt_number, id);
