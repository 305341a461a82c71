-- Nothing is scheduled centuries ahead.
--
-- BIGINT columns already hold only integers (an overflowing `now + wait`
-- is refused in strict mode, not stored). What a huge Retry-After could
-- leave behind is a job or lease scheduled far in the future; such a job
-- or lease (more than 24 hours ahead, MAX_SCHEDULE_AHEAD) becomes due now.
UPDATE vipps_om_outbox_jobs
SET next_attempt_at = (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)
WHERE next_attempt_at > (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000) + 86400000;

UPDATE vipps_om_outbox_jobs
SET leased_until = (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)
WHERE leased_until > (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000) + 86400000;
