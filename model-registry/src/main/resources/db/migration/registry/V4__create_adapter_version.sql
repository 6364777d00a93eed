-- One immutable adapter version. Its bytes live in the blob store under blob_key; retention prunes the bytes and
-- keeps the row (blob_key NULL, pruned_at set), so a parent is never a dangling reference.
CREATE TABLE adapter_version (
    id             UUID        PRIMARY KEY,
    federation_id  UUID        NOT NULL REFERENCES federation (id),
    version        INTEGER     NOT NULL CHECK (version >= 0),
    round          INTEGER     NOT NULL CHECK (round >= 0),
    parent_version INTEGER     CHECK (parent_version >= 0 AND parent_version < version),
    base_model     TEXT        NOT NULL,
    peft           JSONB       NOT NULL,
    strategy       TEXT        NOT NULL,
    metrics        JSONB       NOT NULL,
    sha256         CHAR(64)    NOT NULL,
    size_bytes     BIGINT      NOT NULL CHECK (size_bytes >= 0),
    crc32          BIGINT      NOT NULL CHECK (crc32 >= 0),
    blob_key       TEXT        UNIQUE,
    pruned_at      TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT        NOT NULL,
    CONSTRAINT adapter_version_unique UNIQUE (federation_id, version),
    CONSTRAINT adapter_version_parent FOREIGN KEY (federation_id, parent_version)
        REFERENCES adapter_version (federation_id, version),
    CONSTRAINT adapter_version_pruned CHECK ((blob_key IS NULL) = (pruned_at IS NOT NULL))
);
