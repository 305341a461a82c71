-- The outbox of order-details deliveries (MySQL 8, MariaDB 10.6+).
-- Times are milliseconds since the Unix epoch (UTC).
--
-- Every text column compares byte for byte (utf8mb4_bin), as on SQLite and
-- PostgreSQL: orderIds, image ids and idempotency keys that differ only in
-- case are different. Identifiers that are indexed are VARCHARs (an index
-- over a TEXT column needs a prefix length); the API's own limits are far
-- below their widths (merchantSerialNumber 20 digits, orderId 128
-- characters). Requests and reasons are LONGTEXT; worker names and result
-- ids, not indexed, TEXT.
CREATE TABLE vipps_om_outbox_jobs (
    id                     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind                   VARCHAR(16)  NOT NULL CHECK (kind IN ('image', 'category_v2', 'category_v3', 'receipt')),
    merchant_serial_number VARCHAR(32)  NOT NULL,
    payment_type           VARCHAR(32)  NOT NULL,
    order_id               VARCHAR(191) NOT NULL,
    payload                LONGTEXT     NOT NULL,
    state                  VARCHAR(16)  NOT NULL DEFAULT 'pending'
                                        CHECK (state IN ('pending', 'in_flight', 'delivered', 'failed')),
    attempts               BIGINT       NOT NULL DEFAULT 0,
    next_attempt_at        BIGINT       NOT NULL,
    lease_owner            TEXT,
    leased_until           BIGINT,
    last_error             LONGTEXT,
    last_status            BIGINT,
    problems               LONGTEXT,
    outcome                VARCHAR(32) CHECK (outcome IN ('created', 'already_present', 'already_there')),
    result_id              TEXT,
    created_at             BIGINT       NOT NULL,
    updated_at             BIGINT       NOT NULL,
    delivered_at           BIGINT,
    failed_at              BIGINT,
    -- Claiming: the due jobs of one merchant, oldest first.
    INDEX vipps_om_outbox_jobs_due (merchant_serial_number, next_attempt_at, id),
    -- Sequence within an order, and status by order.
    INDEX vipps_om_outbox_jobs_order (order_id, payment_type, merchant_serial_number, id),
    INDEX vipps_om_outbox_jobs_state (state),
    INDEX vipps_om_outbox_jobs_delivered_at (delivered_at),
    INDEX vipps_om_outbox_jobs_failed_at (failed_at)
) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
