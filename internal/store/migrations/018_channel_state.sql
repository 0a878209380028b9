-- +goose Up
-- The platforms' publishing takes several calls, none of which takes an
-- idempotency key (CHANNELS.md §3): WeChat's cover upload, draft, submit
-- and poll; Douyin's upload, create and review. Each step's result is
-- recorded here before the next call, so a send resumed after a crash
-- continues from the last step and reconciles the one in doubt instead of
-- repeating it.
ALTER TABLE publications ADD COLUMN steps jsonb NOT NULL DEFAULT '{}';

-- After success, the platform may still take an item down (WeChat's
-- publish_status 5, deleted, or 6, banned). The publisher rechecks recent
-- items now and then (checked_at); what it finds is an alert on the
-- publications page until an admin acknowledges it.
ALTER TABLE publications ADD COLUMN checked_at timestamptz;
ALTER TABLE publications ADD COLUMN alert text NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN alert_at timestamptz;
ALTER TABLE publications ADD COLUMN alert_acknowledged_at timestamptz;
CREATE INDEX publications_alerts ON publications (draft_id) WHERE alert <> '' AND alert_acknowledged_at IS NULL;

-- The author's choices for the platforms (domain.ChannelOption): part of
-- the revision, and of its content hash when there are any.
ALTER TABLE revisions ADD COLUMN options text[] NOT NULL DEFAULT '{}';

-- A revision's attachment manifest with its files' facts, as the reads
-- want it (store.manifestQuery, without the documents' text): written once
-- with the revision, since neither ever changes, instead of joined and
-- aggregated at every lock of the draft.
ALTER TABLE revisions ADD COLUMN manifest json;
UPDATE revisions r SET manifest = (SELECT json_agg(json_build_object('name', ra.name, 'sha256', ra.sha256, 'role', ra.role, 'kind', f.kind,
        'media_type', f.media_type, 'size', f.size, 'width', f.width, 'height', f.height, 'duration_ms', f.duration_ms,
        'stripped', f.stripped, 'text_readable', f.text_readable, 'text', '') ORDER BY ra.position)
    FROM revision_attachments ra JOIN files f ON f.sha256 = ra.sha256 WHERE ra.draft_id = r.draft_id AND ra.revision = r.revision)
WHERE EXISTS (SELECT 1 FROM revision_attachments ra WHERE ra.draft_id = r.draft_id AND ra.revision = r.revision);

-- Each channel's health, for the admins' channels page: how its credentials
-- stand and when it last worked or failed. One row per channel.
CREATE TABLE channel_status (
    channel          text PRIMARY KEY,
    token_expires_at timestamptz,
    refresh_expires_at timestamptz,
    last_success_at  timestamptz,
    last_error_at    timestamptz,
    last_error       text NOT NULL DEFAULT '',
    -- not_authorised: the platform refused the account (IP whitelist,
    -- permission, expired authorisation): no send can succeed until an
    -- admin acts.
    not_authorised   boolean NOT NULL DEFAULT false,
    quota_day        date,
    quota_errors     int NOT NULL DEFAULT 0
);

-- A channel's OAuth tokens (Douyin), sealed with the installation's key:
-- the admin connects the account once; every replica refreshes from here.
CREATE TABLE channel_tokens (
    channel    text PRIMARY KEY,
    sealed     bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE channel_tokens, channel_status;
DROP INDEX publications_alerts;
ALTER TABLE publications DROP COLUMN alert_acknowledged_at, DROP COLUMN alert_at, DROP COLUMN alert, DROP COLUMN checked_at;
ALTER TABLE publications DROP COLUMN steps;
ALTER TABLE revisions DROP COLUMN options, DROP COLUMN manifest;
