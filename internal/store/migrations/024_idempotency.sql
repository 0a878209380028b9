-- +goose Up
-- Idempotent submissions (issue 21): a client that timed out sends the same
-- request again with the same Idempotency-Key, and gets the first answer
-- instead of a second draft or decision. A key is a person's (user_id) and
-- lives a day. state is 'in_flight' while the first request runs; the
-- transaction that commits the request's effect (the new draft, revision or
-- decision) sets 'done' and the draft, so a key still in flight long after
-- its claim means the effect never committed and the request may run again.
-- The answer (status and body) is stored after it is sent.
CREATE TABLE idempotency_keys (
    user_id        bigint NOT NULL REFERENCES users(id),
    key            text NOT NULL,
    request_sha256 bytea NOT NULL,
    state          text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'done')),
    draft_id       bigint,
    status         int,
    response       bytea,
    claimed_at     timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
