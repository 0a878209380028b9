-- +goose Up
-- The authoritative-expression tables (internal/checks/expressions): organ
-- names replaced and leaders' former titles, each a list of the platform's
-- (agency_id NULL) plus each agency's additions, versioned like the word
-- list: every save is a new version, numbered per list.
CREATE TABLE expression_lists (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('organ', 'leader')),
    agency_id  bigint REFERENCES agencies(id),
    number     int NOT NULL,
    entries    jsonb NOT NULL,
    created_by bigint REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX expression_lists_scope ON expression_lists (kind, COALESCE(agency_id, 0), number);

-- Where an agency is (北京市东城区): it picks the date of an organ's new
-- name, which differs by place.
ALTER TABLE agencies ADD COLUMN locality text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE agencies DROP COLUMN locality;
DROP TABLE expression_lists;
