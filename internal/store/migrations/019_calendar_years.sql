-- +goose Up
-- Years of the official working-day calendar that a platform admin added
-- by pasting the State Council's holiday notice (or listing the dates),
-- after a preview: the embedded data covers the years it shipped with, and
-- these rows extend or correct it. data is the year in cn-holidays.json's
-- shape ({"off": [...], "workdays": [...]}); notice is the text as pasted.
CREATE TABLE calendar_years (
    year     int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    data     json NOT NULL,
    notice   text NOT NULL DEFAULT '',
    added_by bigint NOT NULL REFERENCES users(id),
    added_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE calendar_years;
