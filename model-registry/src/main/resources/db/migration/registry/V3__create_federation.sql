-- A federation as the registry knows it: created by its first adapter version (the aggregator owns the rest).
CREATE TABLE federation (
    id         UUID        PRIMARY KEY,
    name       TEXT        NOT NULL,
    base_model TEXT        NOT NULL,
    privacy    JSONB       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version    BIGINT      NOT NULL DEFAULT 0
);
