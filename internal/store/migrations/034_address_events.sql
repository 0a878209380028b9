-- +goose Up
-- The public column's rate limits per client address (the application
-- form, the status look-up): the events of the last hour, shared by every
-- api replica and kept across restarts (an in-memory count let each
-- replica take its own five an hour). store.AllowAddress counts and adds
-- under an advisory lock of the address; the lifecycle's daily sweep
-- deletes the events older than a day.
CREATE TABLE address_events (
    scope text NOT NULL,
    addr  text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX address_events_addr ON address_events (scope, addr, at);
CREATE INDEX address_events_at ON address_events (at);

-- +goose Down
DROP TABLE address_events;
