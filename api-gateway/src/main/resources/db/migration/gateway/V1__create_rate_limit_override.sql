-- Per-client exceptions to the default rate limit (a client id from the JWT subject).
CREATE TABLE rate_limit_override (
    client_id           TEXT        PRIMARY KEY,
    requests_per_second INTEGER     NOT NULL CHECK (requests_per_second > 0),
    burst               INTEGER     NOT NULL CHECK (burst >= requests_per_second),
    updated_at          TIMESTAMPTZ NOT NULL,
    version             BIGINT      NOT NULL DEFAULT 0
);
