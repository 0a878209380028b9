-- +goose Up
-- A case's handlers (承办人) and its extension's approval (issue 20).
--
-- The handlers: the case handlers who handle the case, the only people
-- who add and read its applicant's identity documents
-- (domain.CanReadIdentity). The person who takes an application in is one;
-- the head of the 政府信息公开工作机构 (a case handler who is a dept_head)
-- or an admin assigns and removes them; a case handler takes a case that
-- has none (an online application). Every change is an event in the case's
-- chain (application_handler_assigned, _removed, application_taken); the
-- rows are the present, the chain the history.
CREATE TABLE application_handlers (
    application_id bigint NOT NULL REFERENCES applications(id),
    user_id        bigint NOT NULL REFERENCES users(id),
    assigned_by    bigint REFERENCES users(id),
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, user_id)
);
CREATE INDEX application_handlers_user ON application_handlers (user_id);

-- The cases taken in before: the case handler who took a letter or a
-- visit in handles it (their intake event in the case's chain is the
-- record); an online case, or one an admin took in, has none until the
-- head assigns one or a case handler takes it.
INSERT INTO application_handlers (application_id, user_id, assigned_by, assigned_at)
SELECT a.id, a.created_by, a.created_by, a.created_at
FROM applications a JOIN users u ON u.id = a.created_by
WHERE 'case_handler' = ANY (u.roles);

-- The extension (Article 33): a handler asks for it with the reason
-- (extension_requested_*); the head approves it as themselves
-- (extension_approver_id, and their name in extension_approver) or
-- declines it (the request cleared). The approver is a user now, never a
-- name typed by the handler.
ALTER TABLE applications
    ADD COLUMN extension_requested_on date,
    ADD COLUMN extension_requested_by bigint REFERENCES users(id),
    ADD COLUMN extension_request_note text NOT NULL DEFAULT '' CHECK (length(extension_request_note) <= 2000),
    ADD COLUMN extension_approver_id  bigint REFERENCES users(id);

-- +goose Down
ALTER TABLE applications DROP COLUMN extension_approver_id, DROP COLUMN extension_request_note,
    DROP COLUMN extension_requested_by, DROP COLUMN extension_requested_on;
DROP TABLE application_handlers;
