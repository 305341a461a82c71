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
-- By orderId (sorted, and the prefix search), in byte order whatever the
-- database's collation: the same order on every backend, and a prefix is
-- a range of it.
CREATE INDEX vipps_om_outbox_jobs_order_id
    ON vipps_om_outbox_jobs (order_id COLLATE "C", id);
-- By receipt number: bottomLine.receiptNumber of a receipt job's stored
-- request, NULL when the stored request is not JSON (which fails the job
-- when it is delivered; an enqueue never fails because of it).
CREATE FUNCTION vipps_om_outbox_receipt_number(payload TEXT) RETURNS TEXT
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN payload::jsonb -> 'bottomLine' ->> 'receiptNumber';
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
CREATE INDEX vipps_om_outbox_jobs_receipt_number
    ON vipps_om_outbox_jobs (vipps_om_outbox_receipt_number(payload), id)
    WHERE kind = 'receipt';
