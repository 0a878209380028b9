-- +goose Up
-- Notifications (issue 18 point 8): what sanshen tells a person, in the
-- pages and outside them (mail, the agency's WeCom and DingTalk robots).

-- A person's e-mail address, which they set on their account; empty: none.
ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT '' CHECK (length(email) <= 254);
-- Mail as one digest a day instead of one mail per notification.
ALTER TABLE users ADD COLUMN notify_digest boolean NOT NULL DEFAULT false;
-- How many working days a draft may wait in a review queue before its
-- reviewers are reminded (the office's limit).
ALTER TABLE agencies ADD COLUMN notify_queue_days int NOT NULL DEFAULT 2 CHECK (notify_queue_days BETWEEN 1 AND 60);

-- One notification to one person. dedupe_key names the event (an audit
-- event's sequence number, a draft's stay in a queue, a deadline): the
-- same event never notifies a person twice, whoever produces it again.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    agency_id  bigint NOT NULL REFERENCES agencies(id),
    user_id    bigint NOT NULL REFERENCES users(id),
    kind       text NOT NULL CHECK (kind <> ''),
    draft_id   bigint REFERENCES drafts(id),
    dedupe_key text NOT NULL CHECK (dedupe_key <> ''),
    subject    text NOT NULL,
    body       text NOT NULL,
    link       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    UNIQUE (user_id, dedupe_key)
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- What a person chose for a kind; no row: the defaults (mail on, robots off).
-- The pages always show every notification.
CREATE TABLE notification_prefs (
    user_id  bigint NOT NULL REFERENCES users(id),
    kind     text NOT NULL,
    email    boolean NOT NULL,
    wecom    boolean NOT NULL,
    dingtalk boolean NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- An agency's group robots. The URL (it holds the robot's key or token)
-- and DingTalk's signing secret are sealed with the installation's key
-- (SANSHEN_TOTP_KEY); url_hint is the URL with its credential redacted,
-- the only form the pages show.
CREATE TABLE agency_robots (
    agency_id     bigint NOT NULL REFERENCES agencies(id),
    channel       text NOT NULL CHECK (channel IN ('wecom', 'dingtalk')),
    url_sealed    bytea NOT NULL,
    secret_sealed bytea,
    url_hint      text NOT NULL,
    updated_by    bigint REFERENCES users(id),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, channel)
);

-- The outbox of notifications: a row per notification and channel (mail to
-- its person; a robot once per event for the agency, however many people
-- chose it), or per person and day for a digest. Written in the
-- notification's transaction; a dispatcher claims rows with SKIP LOCKED.
-- A robot send is claimed ('sending', committed) before it is posted: a
-- claim found expired is 'unknown' and never posted again. A mail claim
-- found expired is sent again: its Message-ID is the same.
CREATE TABLE notification_deliveries (
    id              bigserial PRIMARY KEY,
    agency_id       bigint NOT NULL REFERENCES agencies(id),
    channel         text NOT NULL CHECK (channel IN ('mail', 'wecom', 'dingtalk')),
    user_id         bigint REFERENCES users(id),
    notification_id bigint REFERENCES notifications(id),
    digest_day      date,
    dedupe_key      text NOT NULL UNIQUE,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
    attempts        int NOT NULL DEFAULT 0,
    next_at         timestamptz NOT NULL,
    claimed_until   timestamptz,
    error           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by bigint REFERENCES users(id),
    CHECK ((notification_id IS NULL) = (digest_day IS NOT NULL)),
    CHECK ((state = 'sending') = (claimed_until IS NOT NULL))
);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_at) WHERE state = 'pending';
CREATE INDEX notification_deliveries_sending ON notification_deliveries (claimed_until) WHERE state = 'sending';
CREATE INDEX notification_deliveries_problems ON notification_deliveries (agency_id, created_at)
    WHERE state IN ('failed', 'unknown') AND acknowledged_at IS NULL;

-- How far the notifications have read the transparency log (as the
-- webhooks' cursor): the next leaf to consider.
CREATE TABLE notification_cursor (
    id       int PRIMARY KEY CHECK (id = 1),
    next_idx bigint NOT NULL
);

-- +goose Down
DROP TABLE notification_cursor, notification_deliveries, agency_robots, notification_prefs, notifications;
ALTER TABLE agencies DROP COLUMN notify_queue_days;
ALTER TABLE users DROP COLUMN notify_digest, DROP COLUMN email;
