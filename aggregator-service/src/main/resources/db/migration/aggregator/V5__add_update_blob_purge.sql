-- The bytes of an accepted update are deleted a while after its round ended (fedtune.aggregator.update-retention);
-- the row stays as the record of what was received, marked with when its blob went.
ALTER TABLE client_update ADD COLUMN blob_purged_at TIMESTAMPTZ;
CREATE INDEX client_update_unpurged ON client_update (round_id) WHERE blob_purged_at IS NULL;
