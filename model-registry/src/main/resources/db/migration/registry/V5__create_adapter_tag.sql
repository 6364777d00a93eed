-- A named pointer (e.g. production) to one version of a federation; it moves, the versions do not.
CREATE TABLE adapter_tag (
    federation_id UUID        NOT NULL,
    tag           TEXT        NOT NULL,
    version       INTEGER     NOT NULL,
    tagged_at     TIMESTAMPTZ NOT NULL,
    tagged_by     TEXT        NOT NULL,
    PRIMARY KEY (federation_id, tag),
    CONSTRAINT adapter_tag_version FOREIGN KEY (federation_id, version)
        REFERENCES adapter_version (federation_id, version)
);

CREATE INDEX adapter_tag_by_version ON adapter_tag (federation_id, version);
