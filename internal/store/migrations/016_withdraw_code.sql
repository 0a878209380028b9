-- +goose Up
-- Why an item was withdrawn, as a code (domain.WithdrawalCodes: error,
-- superseded, revoked, expired, other): the channels that take a reason get
-- it, and the public page of a withdrawn item names it.
ALTER TABLE publications ADD COLUMN IF NOT EXISTS withdraw_code text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE publications DROP COLUMN withdraw_code;
