-- +goose Up
-- Applications for disclosure (依申请公开, issue 20 point 1): cases on
-- Article 33's clock. The deadline is never stored: it is computed from the
-- received date, the 补正, the extension and the pauses recorded here
-- (calendar.ApplicationClock). Every change is audited in the case's own
-- chain, application/{id}.

-- How long an agency keeps applicants' identity documents (PIPL): the
-- lifecycle's sweep deletes them that many days after the case closed.
ALTER TABLE agencies ADD COLUMN identity_retention_days int NOT NULL DEFAULT 180
    CHECK (identity_retention_days BETWEEN 1 AND 3650);

CREATE TABLE applications (
    id             bigserial PRIMARY KEY,
    agency_id      bigint NOT NULL REFERENCES agencies(id),
    -- The applicant's query code for the public status page: random, unique.
    query_code     text NOT NULL UNIQUE CHECK (length(query_code) BETWEEN 8 AND 32),
    route          text NOT NULL CHECK (route IN ('online', 'letter', 'visit')),
    applicant_type text NOT NULL CHECK (applicant_type IN ('natural', 'business', 'research', 'charity', 'legal', 'other_org')),
    applicant_name text NOT NULL CHECK (applicant_name <> '' AND length(applicant_name) <= 200),
    -- The applicant's identity as recorded (their ID or organisation code,
    -- phone): their own reply may repeat it (a warning at stage 3, not a block).
    applicant_id_number text NOT NULL DEFAULT '' CHECK (length(applicant_id_number) <= 64),
    applicant_phone     text NOT NULL DEFAULT '' CHECK (length(applicant_phone) <= 64),
    -- Where to reach them: an e-mail or postal address.
    applicant_contact   text NOT NULL DEFAULT '' CHECK (length(applicant_contact) <= 500),
    description    text NOT NULL CHECK (description <> '' AND length(description) <= 5000),
    purpose        text NOT NULL DEFAULT '' CHECK (length(purpose) <= 2000),
    -- Article 31: online, the day the system confirms it; a letter, the day
    -- it is signed for; a visit, that day.
    received_on    date NOT NULL,
    state          text NOT NULL CHECK (state IN ('received', 'supplement_requested', 'processing', 'extended',
                                                  'reply_in_review', 'answered', 'closed')),
    -- The one 补正 (Article 30): asked within 7 working days of receipt;
    -- the clock restarts the day the corrected application arrives.
    supplement_requested_on date,
    supplement_note         text NOT NULL DEFAULT '',
    supplement_received_on  date,
    -- The one extension of 20 working days, approved by the head of the
    -- 政府信息公开工作机构, named.
    extended_on        date,
    extension_approver text NOT NULL DEFAULT '',
    extension_note     text NOT NULL DEFAULT '',
    -- The outcome: a row of the annual report's table 三, and the day the
    -- case was concluded (the report counts concluded cases by it).
    outcome        text CHECK (outcome IN ('disclosed', 'partly_disclosed',
        'withheld_secret', 'withheld_law', 'withheld_safety', 'withheld_third_party', 'withheld_internal',
        'withheld_process', 'withheld_enforcement', 'withheld_inquiry',
        'unavailable_not_held', 'unavailable_needs_making', 'unavailable_unclear',
        'rejected_petition', 'rejected_repeat', 'rejected_publication', 'rejected_mass', 'rejected_confirmation',
        'other_no_supplement', 'other_no_fee', 'other')),
    concluded_on   date,
    outcome_note   text NOT NULL DEFAULT '',
    -- The reply (答复书): a draft of category application_reply.
    reply_draft_id bigint UNIQUE REFERENCES drafts(id),
    delivery_method text CHECK (delivery_method IN ('email', 'post', 'collection')),
    delivered_on   date,
    closed_on      date,
    -- Fees (收费通知): the notice's day and amount (fen), and when paid.
    fee_notice_on  date,
    fee_amount_fen bigint CHECK (fee_amount_fen >= 0),
    fee_paid_on    date,
    created_by     bigint REFERENCES users(id), -- NULL: the public form
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((outcome IS NULL) = (concluded_on IS NULL))
);
CREATE INDEX applications_agency ON applications (agency_id, received_on);
CREATE INDEX applications_open ON applications (agency_id) WHERE state NOT IN ('answered', 'closed');

-- The clock's pauses: consultation of a third party (Article 32) or of
-- other agencies. The working days after started_on up to and including
-- ended_on are not counted; an open pause (ended_on NULL) runs to today.
CREATE TABLE application_pauses (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications(id),
    reason         text NOT NULL CHECK (reason IN ('third_party', 'agencies')),
    started_on     date NOT NULL,
    ended_on       date CHECK (ended_on >= started_on),
    note           text NOT NULL DEFAULT ''
);
CREATE INDEX application_pauses_case ON application_pauses (application_id);
CREATE UNIQUE INDEX application_pauses_one_open ON application_pauses (application_id) WHERE ended_on IS NULL;

-- 行政复议 and 行政诉讼 about a case (the report's table 四).
CREATE TABLE application_appeals (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications(id),
    kind           text NOT NULL CHECK (kind IN ('review', 'lawsuit')),
    after_review   boolean NOT NULL DEFAULT false CHECK (kind = 'lawsuit' OR NOT after_review),
    filed_on       date NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('upheld', 'corrected', 'other', 'pending')),
    decided_on     date,
    note           text NOT NULL DEFAULT '',
    CHECK ((outcome = 'pending') = (decided_on IS NULL))
);
CREATE INDEX application_appeals_case ON application_appeals (application_id);

-- An applicant's identity documents (Article 29), in the blob store; read
-- only by the case handlers, deleted after the agency's retention
-- (deleted_at set, the blob removed).
CREATE TABLE application_documents (
    id             bigserial PRIMARY KEY,
    application_id bigint NOT NULL REFERENCES applications(id),
    sha256         text NOT NULL,
    name           text NOT NULL,
    content_type   text NOT NULL,
    size           bigint NOT NULL,
    added_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE INDEX application_documents_case ON application_documents (application_id);

-- +goose Down
DROP TABLE application_documents, application_appeals, application_pauses, applications;
ALTER TABLE agencies DROP COLUMN identity_retention_days;
