-- A base model that adapters are trained on: where it comes from and how to trust it.
CREATE TABLE base_model (
    id              UUID        PRIMARY KEY,
    name            TEXT        NOT NULL UNIQUE,
    architecture    TEXT        NOT NULL,
    source_uri      TEXT        NOT NULL,
    sha256          CHAR(64),
    size_bytes      BIGINT      CHECK (size_bytes >= 0),
    parameter_count BIGINT      CHECK (parameter_count >= 0),
    license         TEXT,
    tokenizer       TEXT,
    deprecated      BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMPTZ NOT NULL,
    version         BIGINT      NOT NULL DEFAULT 0
);
