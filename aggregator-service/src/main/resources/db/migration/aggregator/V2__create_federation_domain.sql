-- Federations, their clients and enrollment tokens, rounds, assignments, accepted updates and global adapters.
-- Every mutable row has a version column: writers update WHERE version = ? (zero rows: another replica won).

CREATE TABLE federation (
    id             UUID PRIMARY KEY,
    name           TEXT        NOT NULL UNIQUE,
    status         TEXT        NOT NULL,
    config         JSONB       NOT NULL,
    current_round  INT         NOT NULL DEFAULT 0,
    adapter_version INT,
    failure_reason TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    created_by     TEXT        NOT NULL,
    version        BIGINT      NOT NULL DEFAULT 0
);
CREATE INDEX federation_status ON federation (status);

CREATE TABLE enrollment_token (
    id            UUID PRIMARY KEY,
    federation_id UUID        NOT NULL REFERENCES federation (id),
    token_hash    TEXT        NOT NULL UNIQUE,
    label         TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT        NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    max_uses      INT         NOT NULL,
    uses          INT         NOT NULL DEFAULT 0,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX enrollment_token_federation ON enrollment_token (federation_id);

CREATE TABLE client (
    id                  UUID PRIMARY KEY,
    federation_id       UUID        NOT NULL REFERENCES federation (id),
    name                TEXT        NOT NULL,
    secret_hash         TEXT        NOT NULL,
    status              TEXT        NOT NULL,
    enrollment_token_id UUID        REFERENCES enrollment_token (id),
    agent_version       TEXT,
    enrolled_at         TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL,
    version             BIGINT      NOT NULL DEFAULT 0,
    UNIQUE (federation_id, name)
);
CREATE INDEX client_live ON client (federation_id, status, last_seen_at);

CREATE TABLE round (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    federation_id          UUID        NOT NULL REFERENCES federation (id),
    number                 INT         NOT NULL,
    attempt                INT         NOT NULL,
    status                 TEXT        NOT NULL,
    base_version           INT         NOT NULL,
    opened_at              TIMESTAMPTZ NOT NULL,
    deadline               TIMESTAMPTZ NOT NULL,
    closed_at              TIMESTAMPTZ,
    sampled                INT         NOT NULL,
    submitted              INT         NOT NULL DEFAULT 0,
    min_clients            INT         NOT NULL,
    adapter_version        INT,
    failure_reason         TEXT,
    claimed_by             TEXT,
    claimed_at             TIMESTAMPTZ,
    claims                 INT         NOT NULL DEFAULT 0,
    metrics                JSONB,
    version                BIGINT      NOT NULL DEFAULT 0,
    UNIQUE (federation_id, number, attempt)
);
CREATE INDEX round_open ON round (status) WHERE status IN ('COLLECTING', 'AGGREGATING');

CREATE TABLE assignment (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id       BIGINT      NOT NULL REFERENCES round (id),
    client_id      UUID        NOT NULL REFERENCES client (id),
    status         TEXT        NOT NULL,
    seed           BIGINT      NOT NULL,
    assigned_at    TIMESTAMPTZ NOT NULL,
    downloaded_at  TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ,
    failure_reason TEXT,
    version        BIGINT      NOT NULL DEFAULT 0,
    UNIQUE (round_id, client_id)
);
CREATE INDEX assignment_client_open ON assignment (client_id) WHERE status IN ('ASSIGNED', 'DOWNLOADED');

CREATE TABLE client_update (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id      BIGINT           NOT NULL REFERENCES round (id),
    client_id     UUID             NOT NULL REFERENCES client (id),
    blob_key      TEXT             NOT NULL UNIQUE,
    sha256        TEXT             NOT NULL,
    size_bytes    BIGINT           NOT NULL,
    example_count BIGINT           NOT NULL,
    codec         TEXT             NOT NULL,
    base_version  INT              NOT NULL,
    norm          DOUBLE PRECISION NOT NULL,
    clip_factor   DOUBLE PRECISION NOT NULL,
    metrics       JSONB            NOT NULL,
    training_ms   BIGINT           NOT NULL,
    received_at   TIMESTAMPTZ      NOT NULL,
    UNIQUE (round_id, client_id)
);

CREATE TABLE adapter_version (
    federation_id UUID        NOT NULL REFERENCES federation (id),
    version       INT         NOT NULL,
    round_number  INT         NOT NULL,
    rank          INT         NOT NULL,
    blob_key      TEXT        NOT NULL,
    state_key     TEXT,
    sha256        TEXT        NOT NULL,
    size_bytes    BIGINT      NOT NULL,
    registry_id   TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (federation_id, version)
);
CREATE INDEX adapter_version_unregistered ON adapter_version (created_at) WHERE registry_id IS NULL;
