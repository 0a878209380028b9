-- +goose Up
-- The confidentiality stage's sensitive-word list. Every edit is a new
-- version; a finding records the version it was matched with.
CREATE TABLE word_lists (
    version    serial PRIMARY KEY,
    words      text[] NOT NULL,
    created_by bigint REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE word_lists;
