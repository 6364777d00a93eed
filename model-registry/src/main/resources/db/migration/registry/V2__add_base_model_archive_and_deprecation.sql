-- Who registered a model, why it was deprecated, and the checkpoint archive uploaded for it (if any).
ALTER TABLE base_model
    ADD COLUMN created_by           TEXT NOT NULL DEFAULT 'unknown',
    ADD COLUMN deprecated_at        TIMESTAMPTZ,
    ADD COLUMN deprecation_reason   TEXT,
    ADD COLUMN archive_blob_key     TEXT UNIQUE,
    ADD COLUMN archive_content_type TEXT,
    ADD COLUMN archive_sha256       CHAR(64),
    ADD COLUMN archive_size_bytes   BIGINT CHECK (archive_size_bytes >= 0),
    ADD COLUMN archive_uploaded_at  TIMESTAMPTZ,
    ADD CONSTRAINT base_model_archive_complete CHECK (
        (archive_blob_key IS NULL) = (archive_sha256 IS NULL)
        AND (archive_blob_key IS NULL) = (archive_size_bytes IS NULL)
        AND (archive_blob_key IS NULL) = (archive_uploaded_at IS NULL));
