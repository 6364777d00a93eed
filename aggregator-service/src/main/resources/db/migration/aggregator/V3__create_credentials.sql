-- The token issuer's signing keys (shared by every replica, surviving restarts) and the bootstrap admin credential.
CREATE TABLE signing_key (
    kid         TEXT PRIMARY KEY,
    algorithm   TEXT        NOT NULL,
    private_key TEXT        NOT NULL,
    public_key  TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    active      BOOLEAN     NOT NULL
);
CREATE UNIQUE INDEX signing_key_one_active ON signing_key (active) WHERE active;

CREATE TABLE admin_credential (
    name        TEXT PRIMARY KEY,
    secret_hash TEXT        NOT NULL,
    source      TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
