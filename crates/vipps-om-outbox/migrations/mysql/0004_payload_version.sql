-- The format of the stored request (payload_version).
--
-- payload holds the request body exactly as the API takes it for the job's
-- kind (a receipt, an image, a v2 category, a v3 category), as JSON text;
-- payload_version says how to read it. Version 1 is that plain API body:
-- every row written so far is version 1, and so is a row written by hand
-- that leaves the column out. A build that does not know a row's version
-- fails that job with the reason instead of guessing.
ALTER TABLE vipps_om_outbox_jobs ADD COLUMN payload_version BIGINT NOT NULL DEFAULT 1;
