-- +goose Up
-- The queue asks, for each waiting draft, whether the reviewer decided
-- another stage of it; by actor first, that is one index probe.
CREATE INDEX decisions_actor ON decisions (actor_id, draft_id);

-- +goose Down
DROP INDEX decisions_actor;
