-- +goose Up
-- 暂存: a draft can be kept, unsubmitted and seen only by its author,
-- before it was ever submitted (store.Save). submitted_at is when it was
-- first submitted (NULL: never, a saved draft): what the assessment
-- counts as a submission in its period, where created_at is when the row
-- was made. Every draft before this migration was made by its submission.
ALTER TABLE drafts ADD COLUMN submitted_at timestamptz;
UPDATE drafts SET submitted_at = created_at;
ALTER TABLE drafts ALTER COLUMN submitted_at SET DEFAULT now();

-- +goose Down
ALTER TABLE drafts DROP COLUMN submitted_at;
