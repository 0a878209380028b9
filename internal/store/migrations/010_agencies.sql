-- +goose Up
-- One installation serves many agencies (机关). An agency owns its
-- departments, people, drafts, review settings, word-list additions and
-- public column. What was here before belongs to the default agency (id 1),
-- which a fresh installation has too, so `sanshen all` needs no extra step.
CREATE TABLE agencies (
    id            bigserial PRIMARY KEY,
    -- its public column lives at /public/{slug}/
    slug          text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9-]{1,39}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- the review settings (were the policy table, migration 009)
    person_stages text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO agencies (id, slug, name, person_stages) SELECT 1, 'default', '本机关', person_stages FROM policy;
SELECT setval('agencies_id_seq', 1);
DROP TABLE policy;
CREATE TRIGGER agencies_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agencies
    FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();

-- A constant default fills existing rows without rewriting the table.
ALTER TABLE departments ADD COLUMN agency_id bigint NOT NULL DEFAULT 1 REFERENCES agencies(id);
ALTER TABLE departments ALTER COLUMN agency_id DROP DEFAULT;
ALTER TABLE departments DROP CONSTRAINT departments_name_key;
ALTER TABLE departments ADD CONSTRAINT departments_agency_name UNIQUE (agency_id, name);

-- A person belongs to one agency. Names stay unique across the
-- installation: people sign in by name.
ALTER TABLE users ADD COLUMN agency_id bigint NOT NULL DEFAULT 1 REFERENCES agencies(id);
ALTER TABLE users ALTER COLUMN agency_id DROP DEFAULT;
-- The admins of a single-office installation administered the installation:
-- they keep that power as platform admins.
UPDATE users SET roles = roles || '{platform_admin}' WHERE 'admin' = ANY (roles) AND NOT 'platform_admin' = ANY (roles);

ALTER TABLE drafts ADD COLUMN agency_id bigint NOT NULL DEFAULT 1 REFERENCES agencies(id);
ALTER TABLE drafts ALTER COLUMN agency_id DROP DEFAULT;
-- A queue is one agency's: its index leads with the agency.
DROP INDEX drafts_queue;
CREATE INDEX drafts_queue ON drafts (agency_id, state, state_entered_at, id) WHERE awaits_person;
DROP INDEX drafts_published;
CREATE INDEX drafts_published ON drafts (agency_id, published_at DESC) WHERE state = 'published';

-- Audit events carry their agency as a column, outside the hash: chain
-- names and sealed hashes stay as they were. NULL: the platform's.
ALTER TABLE audit_events ADD COLUMN agency_id bigint DEFAULT 1;
ALTER TABLE audit_events ALTER COLUMN agency_id DROP DEFAULT;
CREATE INDEX audit_events_agency ON audit_events (agency_id, seq);

-- The sensitive-word list: a platform-wide list (agency_id NULL) plus
-- each agency's additions, each versioned on its own.
ALTER TABLE word_lists ADD COLUMN agency_id bigint REFERENCES agencies(id);
ALTER TABLE word_lists ADD COLUMN number int;
UPDATE word_lists SET number = version;
ALTER TABLE word_lists ALTER COLUMN number SET NOT NULL;
CREATE UNIQUE INDEX word_lists_scope ON word_lists (COALESCE(agency_id, 0), number);

-- A dead letter about a draft is its agency's (NULL: the platform's).
ALTER TABLE dead_letters ADD COLUMN agency_id bigint DEFAULT 1;
ALTER TABLE dead_letters ALTER COLUMN agency_id DROP DEFAULT;

-- +goose Down
ALTER TABLE dead_letters DROP COLUMN agency_id;
DROP INDEX word_lists_scope;
ALTER TABLE word_lists DROP COLUMN number, DROP COLUMN agency_id;
DROP INDEX audit_events_agency;
ALTER TABLE audit_events DROP COLUMN agency_id;
DROP INDEX drafts_published;
CREATE INDEX drafts_published ON drafts (published_at DESC) WHERE state = 'published';
DROP INDEX drafts_queue;
CREATE INDEX drafts_queue ON drafts (state, state_entered_at, id) WHERE awaits_person;
ALTER TABLE drafts DROP COLUMN agency_id;
ALTER TABLE users DROP COLUMN agency_id;
ALTER TABLE departments DROP CONSTRAINT departments_agency_name;
ALTER TABLE departments ADD CONSTRAINT departments_name_key UNIQUE (name);
ALTER TABLE departments DROP COLUMN agency_id;
CREATE TABLE policy (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    person_stages text[] NOT NULL DEFAULT '{}',
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO policy (person_stages) SELECT person_stages FROM agencies WHERE id = 1;
CREATE TRIGGER policy_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy
    FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();
DROP TABLE agencies;
