-- +goose Up
-- A queue shows drafts whose stage checks are done, oldest first. Every
-- update of a draft adds an entry to this index (they are not HOT: the
-- sweeper's index covers step_sent_at and step_done), and until VACUUM
-- each old entry is a dead row the queue must step over. Indexing only the
-- step-done versions leaves one entry per draft and stage instead of two;
-- the id makes the index order the queue's order.
DROP INDEX drafts_queue;
CREATE INDEX drafts_queue ON drafts (state, state_entered_at, id)
    WHERE state IN ('compliance', 'confidentiality') AND step_done;

-- +goose Down
DROP INDEX drafts_queue;
CREATE INDEX drafts_queue ON drafts (state, state_entered_at) WHERE state IN ('compliance', 'confidentiality');
