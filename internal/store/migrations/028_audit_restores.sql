-- +goose Up
-- Restore heads (issue 21, backup and restore): a database restored from a
-- backup holds a shorter transparency log than the heads already published.
-- `sanshen audit restore` records, signed with the log's key, the size the
-- restored log has (where it goes on: a declared fork, never a silent one)
-- and the last head published before the restore; the leaves between the
-- two are lost, and `sanshen audit verify` reports exactly that range.
-- Written by the owner (the command runs as DATABASE_URL's owner); the
-- services only read it.
CREATE TABLE audit_restores (
    id             bigserial PRIMARY KEY,
    restored_size  bigint NOT NULL,
    published_size bigint NOT NULL,
    published_root bytea NOT NULL,
    at             timestamptz NOT NULL,
    note           text NOT NULL,
    CHECK (published_size > restored_size)
);

-- +goose Down
DROP TABLE audit_restores;
