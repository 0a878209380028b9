-- +goose Up
-- A revision that stage 1's machine checks returned can be sent on by its
-- author, unchanged, with an explanation; the next person sees it.
ALTER TABLE revisions ADD COLUMN explanation text NOT NULL DEFAULT '';
-- An approval past a blocking finding is an override, recorded with the
-- decision itself (it was only in the audit event).
ALTER TABLE decisions ADD COLUMN override boolean NOT NULL DEFAULT false;
UPDATE decisions x SET override = true FROM audit_events e
    WHERE e.chain = 'draft/' || x.draft_id AND e.revision = x.revision AND e.stage = x.stage
      AND e.action = 'approve' AND e.reason = 'override' AND x.decision = 'approve';

-- +goose Down
ALTER TABLE decisions DROP COLUMN override;
ALTER TABLE revisions DROP COLUMN explanation;
