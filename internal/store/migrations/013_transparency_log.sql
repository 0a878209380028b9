-- +goose Up
-- The transparency log (internal/audit/log.go): a Merkle tree whose leaves
-- are the audit events in the order the sequencer gives them after commit.
--
-- audit_unsequenced is the queue of events waiting for their leaf: every
-- event is written into it in its own transaction, and the sequencer takes
-- what has committed. A sequence number taken at INSERT can commit after a
-- later one; the queue never lets the sequencer skip it.
CREATE TABLE audit_unsequenced (
    seq bigint PRIMARY KEY
);
INSERT INTO audit_unsequenced (seq) SELECT seq FROM audit_events;

-- A leaf: its place in the tree, its event, its hash (the record hash of the
-- event's sealed hash).
CREATE TABLE audit_leaves (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    seq  bigint NOT NULL UNIQUE,
    hash bytea NOT NULL
);

-- The tree's stored hashes (golang.org/x/mod/sumdb/tlog's StoredHashIndex):
-- what proofs and tree heads are read from.
CREATE TABLE audit_tree_hashes (
    idx  bigint PRIMARY KEY,
    hash bytea NOT NULL
);

-- Signed tree heads, as published.
CREATE TABLE audit_heads (
    size bigint PRIMARY KEY,
    root bytea NOT NULL,
    at   timestamptz NOT NULL,
    note text NOT NULL
);

-- +goose Down
DROP TABLE audit_heads, audit_tree_hashes, audit_leaves, audit_unsequenced;
