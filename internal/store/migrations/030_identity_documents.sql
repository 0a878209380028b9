-- +goose Up
-- Identity documents of applications (依申请公开, issue 20): the table of
-- migration 025 put to use. A document is deleted (deleted_at, audited as
-- application_document_deleted in the case's chain) once the agency's
-- identity_retention_days have passed since the case was closed; its bytes
-- leave the blob store after that transaction commits, and blob_removed_at
-- records that they did, so a sweep cut short between the two removes them
-- the next time. A document's bytes and size are checked here too.
ALTER TABLE application_documents
    ADD COLUMN blob_removed_at timestamptz,
    ADD CONSTRAINT application_documents_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT application_documents_size CHECK (size > 0),
    ADD CONSTRAINT application_documents_name CHECK (name <> '' AND length(name) <= 255),
    ADD CONSTRAINT application_documents_removed CHECK (blob_removed_at IS NULL OR deleted_at IS NOT NULL);
-- The sweep's two questions: which live documents, which blobs still to remove.
CREATE INDEX application_documents_live ON application_documents (application_id) WHERE deleted_at IS NULL;
CREATE INDEX application_documents_unremoved ON application_documents (id) WHERE deleted_at IS NOT NULL AND blob_removed_at IS NULL;
CREATE INDEX application_documents_sha256 ON application_documents (sha256);

-- +goose Down
DROP INDEX application_documents_live, application_documents_unremoved, application_documents_sha256;
ALTER TABLE application_documents
    DROP CONSTRAINT application_documents_sha256,
    DROP CONSTRAINT application_documents_size,
    DROP CONSTRAINT application_documents_name,
    DROP CONSTRAINT application_documents_removed,
    DROP COLUMN blob_removed_at;
