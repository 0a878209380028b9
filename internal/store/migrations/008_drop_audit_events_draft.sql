-- +goose Up
-- Nothing reads audit events by draft_id: a draft's events are read by
-- their chain ('draft/<id>'), which the (chain, idx) key already serves.
-- The index cost one more insertion for every audit event written.
DROP INDEX audit_events_draft;

-- +goose Down
CREATE INDEX audit_events_draft ON audit_events (draft_id, idx) WHERE draft_id IS NOT NULL;
