-- Every admin action: who did what to which object, when, and how it ended.
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor       TEXT        NOT NULL,
    action      TEXT        NOT NULL,
    target      TEXT,
    outcome     TEXT        NOT NULL,
    detail      JSONB
);

CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at DESC);
