-- +goose Up
-- A draft form's saved content (暂存 and autosave, issue 19): what an
-- officer typed into the new-draft form or a revision's form, kept on the
-- server (office PCs are shared: nothing stays in the browser) until the
-- form is submitted or discarded. A form is its author's and its key
-- (form_key, one per form opened); draft_id is the draft a revision's
-- form revises (NULL: a new draft). Seen only by its author. A session that
-- expired while the form was open saves the form here too, and the form
-- comes back after signing in again. Nothing here is reviewed or audited:
-- it is not yet a submission.
CREATE TABLE draft_saves (
    author_id  bigint NOT NULL REFERENCES users(id),
    form_key   text NOT NULL CHECK (form_key ~ '^[A-Za-z0-9_-]{16,64}$'),
    draft_id   bigint REFERENCES drafts(id),
    title      text NOT NULL DEFAULT '',
    form       jsonb NOT NULL,
    expired    boolean NOT NULL DEFAULT false, -- saved as the session expired
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (author_id, form_key)
);
CREATE INDEX draft_saves_author ON draft_saves (author_id, updated_at DESC);

-- +goose Down
DROP TABLE draft_saves;
