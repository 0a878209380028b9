-- +goose Up
-- Officers' assessment (考核, issue 20 point 4): the weights of an
-- agency's score formula. An agency without a row uses the weights the
-- code ships (assessment.DefaultWeights). Each change is also an event in
-- the agency's audit chain.
CREATE TABLE assessment_weights (
    agency_id  bigint PRIMARY KEY REFERENCES agencies(id),
    published  numeric(8,2) NOT NULL CHECK (published BETWEEN 0 AND 1000),
    first_pass numeric(8,2) NOT NULL CHECK (first_pass BETWEEN 0 AND 1000),
    on_time    numeric(8,2) NOT NULL CHECK (on_time BETWEEN 0 AND 1000),
    returned   numeric(8,2) NOT NULL CHECK (returned BETWEEN 0 AND 1000),
    set_by     bigint REFERENCES users(id),
    set_at     timestamptz NOT NULL DEFAULT now()
);
-- The assessment reads decisions by their time (returns and the time at
-- each stage in a period).
CREATE INDEX decisions_created ON decisions (created_at);

-- +goose Down
DROP INDEX decisions_created;
DROP TABLE assessment_weights;
