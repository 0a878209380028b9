-- +goose Up
-- After publication (issue 18): corrections, scheduled publishing, expiry.
--
-- A revision may carry a correction note (更正说明, a correction of a
-- published draft), a publication time (定时发布) and the author's expiry
-- date (有效期至). All three are part of what the reviewers approve: the
-- content hash covers them when set.
ALTER TABLE revisions
    ADD COLUMN correction text NOT NULL DEFAULT '',
    ADD COLUMN publish_at timestamptz,
    ADD COLUMN expires_on date;

-- published_revision: the revision the public pages and channels show; a
-- correction under review is a later revision while this one stays public.
-- expires_on: the last day the published item stays public, as stage 2
-- settled it (the author's date, or a penalty decision's publication period
-- by the agency's rule), or a reviewer set it; the expiry sweep reads it.
ALTER TABLE drafts
    ADD COLUMN published_revision int,
    ADD COLUMN expires_on date;
UPDATE drafts SET published_revision = revision WHERE published_at IS NOT NULL;
CREATE INDEX drafts_expiring ON drafts (expires_on) WHERE expires_on IS NOT NULL AND state <> 'withdrawn';

-- A publication a correction's publication on the same channel replaced
-- (withdraw_status 'replaced', or 'manual' where a person must delete it):
-- by which revision.
ALTER TABLE publications ADD COLUMN replaced_by int,
    DROP CONSTRAINT publications_withdraw_status_check,
    ADD CONSTRAINT publications_withdraw_status_check
        CHECK (withdraw_status IN ('pending', 'sending', 'done', 'gone', 'failed', 'manual', 'resolved', 'replaced'));

-- The publication periods of penalty decisions, per agency: they have
-- changed over the years, so each agency states its own and the source it
-- follows. No row: the defaults in compliance.DefaultPeriods.
CREATE TABLE agency_periods (
    agency_id     bigint PRIMARY KEY REFERENCES agencies(id),
    light_months  int NOT NULL CHECK (light_months BETWEEN 1 AND 120),
    heavy_months  int NOT NULL CHECK (heavy_months BETWEEN 1 AND 120),
    small_fine    bigint NOT NULL CHECK (small_fine >= 0),
    source        text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE agency_periods;
ALTER TABLE publications DROP COLUMN replaced_by, DROP CONSTRAINT publications_withdraw_status_check,
    ADD CONSTRAINT publications_withdraw_status_check
        CHECK (withdraw_status IN ('pending', 'sending', 'done', 'gone', 'failed', 'manual', 'resolved'));
DROP INDEX drafts_expiring;
ALTER TABLE drafts DROP COLUMN published_revision, DROP COLUMN expires_on;
ALTER TABLE revisions DROP COLUMN correction, DROP COLUMN publish_at, DROP COLUMN expires_on;
