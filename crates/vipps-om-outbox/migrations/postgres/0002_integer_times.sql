-- Nothing is scheduled centuries ahead.
--
-- PostgreSQL's BIGINT columns already hold only integers (an overflowing
-- `now + wait` is refused, not stored). What a huge Retry-After could leave
-- behind is a job or lease scheduled far in the future; such a job or lease
-- (more than 24 hours ahead, MAX_SCHEDULE_AHEAD) becomes due now.
UPDATE vipps_om_outbox_jobs
SET next_attempt_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
WHERE next_attempt_at > (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT + 86400000;

UPDATE vipps_om_outbox_jobs
SET leased_until = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
WHERE leased_until > (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT + 86400000;
