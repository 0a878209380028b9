-- +goose Up
-- Outgoing webhooks: the audit trail's state changes sent, signed, to the
-- systems an installation names (an OA system, a records system), in the
-- transparency log's order. The cursor is the next log leaf to consider;
-- it moves only after a delivery succeeded, so nothing is skipped, and the
-- receiver deduplicates a resend by the event's id.
CREATE TABLE webhook_cursor (
    id       int PRIMARY KEY CHECK (id = 1),
    next_idx bigint NOT NULL
);

-- Every attempt, for the admins: which event, where, what came back.
CREATE TABLE webhook_deliveries (
    id         bigserial PRIMARY KEY,
    leaf       bigint NOT NULL,
    event_id   text NOT NULL,
    event_type text NOT NULL,
    url        text NOT NULL,
    status     int NOT NULL DEFAULT 0,
    error      text NOT NULL DEFAULT '',
    ok         boolean NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (at);

-- +goose Down
DROP TABLE webhook_deliveries, webhook_cursor;
