-- +goose Up
-- Files attached to drafts, stored once by their SHA-256 (the bytes live in
-- the blob store: the filesystem or S3). The row keeps what was learned at
-- upload: the real type (sniffed), image size or video duration, the
-- metadata stripped from an image, and a document's text for the checks
-- (text_readable false: an OFD or a scan, which a person must read).
CREATE TABLE files (
    sha256        text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type    text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('image', 'video', 'document')),
    size          bigint NOT NULL CHECK (size > 0),
    width         int NOT NULL DEFAULT 0,
    height        int NOT NULL DEFAULT 0,
    duration_ms   bigint NOT NULL DEFAULT 0,
    stripped      text[] NOT NULL DEFAULT '{}',
    text_readable boolean NOT NULL DEFAULT false,
    text          text NOT NULL DEFAULT '',
    agency_id     bigint NOT NULL REFERENCES agencies(id),
    uploaded_by   bigint NOT NULL REFERENCES users(id),
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);

-- Another agency's upload of bytes already stored: it may read them too.
CREATE TABLE file_uploads (
    sha256      text NOT NULL REFERENCES files(sha256),
    agency_id   bigint NOT NULL REFERENCES agencies(id),
    uploaded_by bigint NOT NULL REFERENCES users(id),
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sha256, agency_id)
);

-- The attachment manifest of a revision: which file under which name, for
-- what. The revision's content hash covers it (domain.Content.SHA256).
CREATE TABLE revision_attachments (
    draft_id bigint NOT NULL,
    revision int NOT NULL,
    position int NOT NULL,
    name     text NOT NULL,
    sha256   text NOT NULL REFERENCES files(sha256),
    role     text NOT NULL CHECK (role IN ('cover', 'image', 'video', 'document')),
    PRIMARY KEY (draft_id, revision, position),
    UNIQUE (draft_id, revision, name),
    FOREIGN KEY (draft_id, revision) REFERENCES revisions (draft_id, revision)
);
CREATE INDEX revision_attachments_file ON revision_attachments (sha256);

-- The summary (摘要) channels show under the title.
ALTER TABLE revisions ADD COLUMN digest text NOT NULL DEFAULT '';

-- Withdrawal from each channel a revision reached: 'pending' until the
-- channel is asked, 'sending' while it is (claimed, as a send is), then
-- 'done' (removed), 'gone' (the channel had no such item any more),
-- 'failed' (retried), or 'manual' (the channel cannot delete, or failed for
-- good: a person removes it and resolves the task).
ALTER TABLE publications ADD COLUMN withdraw_status text
    CHECK (withdraw_status IN ('pending', 'sending', 'done', 'gone', 'failed', 'manual', 'resolved'));
ALTER TABLE publications ADD COLUMN withdraw_reason text NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN withdraw_error text NOT NULL DEFAULT '';
ALTER TABLE publications ADD COLUMN withdraw_claimed_at timestamptz;
ALTER TABLE publications ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE publications ADD COLUMN resolved_by bigint REFERENCES users(id);
ALTER TABLE publications ADD COLUMN resolution text NOT NULL DEFAULT '';
CREATE INDEX publications_withdrawing ON publications (draft_id) WHERE withdraw_status IN ('pending', 'sending', 'failed', 'manual');

-- +goose Down
DROP INDEX publications_withdrawing;
ALTER TABLE publications DROP COLUMN resolution, DROP COLUMN resolved_by, DROP COLUMN withdrawn_at,
    DROP COLUMN withdraw_claimed_at, DROP COLUMN withdraw_error, DROP COLUMN withdraw_reason, DROP COLUMN withdraw_status;
ALTER TABLE revisions DROP COLUMN digest;
DROP TABLE revision_attachments;
DROP TABLE file_uploads;
DROP TABLE files;
