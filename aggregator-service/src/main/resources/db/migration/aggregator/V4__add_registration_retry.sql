-- Registration in the model registry backs off per version, so one version the registry refuses does not hold up
-- the others; the last error is kept for the operator.
ALTER TABLE adapter_version
    ADD COLUMN registry_attempts INT NOT NULL DEFAULT 0,
    ADD COLUMN registry_retry_at TIMESTAMPTZ,
    ADD COLUMN registry_error    TEXT;
