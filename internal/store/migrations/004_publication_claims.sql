-- +goose Up
-- When an external send was claimed: a "sending" row younger than the
-- claim timeout belongs to a publisher still at work, an older one to a
-- publisher that died mid-send (its outcome is unknown).
ALTER TABLE publications ADD COLUMN claimed_at timestamptz;

-- +goose Down
ALTER TABLE publications DROP COLUMN claimed_at;
