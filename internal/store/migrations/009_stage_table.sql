-- +goose Up
-- The review queues follow domain.StageTable instead of naming its stages
-- here. awaits_person is written with every transition: the draft's
-- machine checks are done and it waits, at a review stage, for a person's
-- decision. The queue's index covers just those drafts, whatever stages
-- the table holds. (The backfill names the two stages a person decided
-- before this migration; it is history, not a list to keep.)
ALTER TABLE drafts ADD COLUMN awaits_person boolean NOT NULL DEFAULT false;
UPDATE drafts SET awaits_person = true WHERE state IN ('compliance', 'confidentiality') AND step_done;
DROP INDEX drafts_queue;
CREATE INDEX drafts_queue ON drafts (state, state_entered_at, id) WHERE awaits_person;

-- The agency's policy: the stages of StageTable's PersonIfRequired at which
-- it requires a person (the initial reviewer at 初审). One row serves the
-- installation until agencies each have their own.
CREATE TABLE policy (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    person_stages text[] NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO policy DEFAULT VALUES;
-- Cached by the api like users (migration 006): every change is announced.
CREATE TRIGGER policy_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy
    FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();

-- A claim holds for the stage and revision it was made at: the next
-- stage's reviewer, or the next revision's, is never told that someone who
-- already decided "is reviewing" it.
ALTER TABLE claims ADD COLUMN state text NOT NULL DEFAULT '', ADD COLUMN revision int NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE claims DROP COLUMN state, DROP COLUMN revision;
DROP TABLE policy;
DROP INDEX drafts_queue;
CREATE INDEX drafts_queue ON drafts (state, state_entered_at, id)
    WHERE state IN ('compliance', 'confidentiality') AND step_done;
ALTER TABLE drafts DROP COLUMN awaits_person;
