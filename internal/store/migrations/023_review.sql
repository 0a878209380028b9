-- +goose Up
-- Periodic review (定期梳理) and validity (有效性), after publication.
--
-- review_policies: an agency's review period per category, in months
-- (0: never). A category without a row has the period the code ships
-- (domain.DefaultReviewMonths), so a new default reaches every agency
-- that did not choose.
CREATE TABLE review_policies (
    agency_id bigint NOT NULL REFERENCES agencies(id),
    category  text NOT NULL,
    months    int NOT NULL CHECK (months BETWEEN 0 AND 120),
    set_by    bigint REFERENCES users(id),
    set_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, category)
);

-- draft_reviews: what the reviews of a published item recorded, one row
-- per draft, beside drafts rather than on it (off the pipeline's hot
-- row). The next review date is not stored: it is computed from the
-- publication date, last_reviewed_on and the agency's period when read,
-- so a changed period moves every date at once. Each change is also an
-- event in the draft's audit chain, which keeps the history.
CREATE TABLE draft_reviews (
    draft_id         bigint PRIMARY KEY REFERENCES drafts(id),
    last_reviewed_on date,
    validity         text CHECK (validity IN ('valid', 'amended', 'repealed')),
    validity_on      date,
    superseded_by    bigint REFERENCES drafts(id),
    updated_by       bigint REFERENCES users(id),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((validity IS NULL) = (validity_on IS NULL)),
    CHECK (superseded_by IS NULL OR validity IN ('amended', 'repealed'))
);
CREATE INDEX draft_reviews_validity ON draft_reviews (validity_on) WHERE validity IS NOT NULL;

-- +goose Down
DROP TABLE draft_reviews;
DROP TABLE review_policies;
