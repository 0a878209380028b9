-- +goose Up
-- A staff page's form posted after its person's session expired (issue
-- 19): what was typed, kept on the server for the person the form's sealed
-- token names (form_user, form_token: services/api/web/saves.go), until
-- they sign in again and come back to the form's page, where it is put
-- back into the form and deleted. Nothing of it was applied: a form is
-- applied only with a valid session (and its CSRF token). Passwords,
-- second-factor codes and secrets are never kept (web.secretFields). The
-- draft form keeps its own in draft_saves (029), listed among the
-- officer's drafts; these are not listed anywhere, and a copy older than a
-- day is deleted unread.
CREATE TABLE kept_forms (
    user_id    bigint NOT NULL REFERENCES users(id),
    form_key   text NOT NULL CHECK (form_key ~ '^[A-Za-z0-9_-]{16,64}$'),
    action     text NOT NULL, -- the address the form posted to
    page       text NOT NULL, -- the page it was on, where it comes back
    form       jsonb NOT NULL, -- its fields: name -> values
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, form_key)
);
CREATE INDEX kept_forms_created ON kept_forms (created_at);

-- +goose Down
DROP TABLE kept_forms;
