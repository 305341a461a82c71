-- Fewer index writes per job: vipps_om_outbox_jobs_state is covered by
-- vipps_om_outbox_jobs_state_created (state, created_at, id).
ALTER TABLE vipps_om_outbox_jobs DROP INDEX vipps_om_outbox_jobs_state;
