-- Indexes for browsing the jobs (the support console's /jobs page and
-- dashboard, `browse`): one per filter, each ending in the keyset the
-- pages are sorted by, so that a page is an index range scan however many
-- jobs the table holds.
--
-- Every job, newest or oldest first (the time it was enqueued), and the
-- date range.
CREATE INDEX vipps_om_outbox_jobs_created
    ON vipps_om_outbox_jobs (created_at, id);
-- By state, kind and merchant, in time order.
CREATE INDEX vipps_om_outbox_jobs_state_created
    ON vipps_om_outbox_jobs (state, created_at, id);
CREATE INDEX vipps_om_outbox_jobs_kind_created
    ON vipps_om_outbox_jobs (kind, created_at, id);
CREATE INDEX vipps_om_outbox_jobs_merchant_created
    ON vipps_om_outbox_jobs (merchant_serial_number, created_at, id);
-- The dashboard's backlog: jobs not delivered per state and merchant,
-- retried or not, with the oldest; read from the index alone, which holds
-- only the jobs not delivered.
CREATE INDEX vipps_om_outbox_jobs_backlog
    ON vipps_om_outbox_jobs (state, merchant_serial_number, attempts, created_at)
    WHERE state IN ('pending', 'in_flight', 'failed');
-- By orderId (sorted, and the prefix search).
CREATE INDEX vipps_om_outbox_jobs_order_id
    ON vipps_om_outbox_jobs (order_id, id);
-- By receipt number: bottomLine.receiptNumber of a receipt job's stored
-- request (NULL when the stored request is not JSON, which fails the job
-- when it is delivered). The query repeats this expression exactly.
CREATE INDEX vipps_om_outbox_jobs_receipt_number
    ON vipps_om_outbox_jobs ((CASE WHEN json_valid(payload) THEN json_extract(payload, '$.bottomLine.receiptNumber') END), id)
    WHERE kind = 'receipt';
