-- +goose Up
CREATE TABLE departments (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    roles         text[] NOT NULL,
    departments   bigint[] NOT NULL DEFAULT '{}',
    password_hash text,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- API tokens are stored as their SHA-256: a leaked table does not leak tokens.
CREATE TABLE api_tokens (
    token_sha256 bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE TABLE drafts (
    id               bigserial PRIMARY KEY,
    author_id        bigint NOT NULL REFERENCES users(id),
    department_id    bigint NOT NULL REFERENCES departments(id),
    state            text NOT NULL,
    revision         int NOT NULL,
    -- step_done: the machine step owed in this state (checks, publishing) finished.
    step_done        boolean NOT NULL DEFAULT false,
    state_entered_at timestamptz NOT NULL DEFAULT now(),
    -- step_sent_at: when the work of the current step was last sent; the sweeper re-sends after a bound.
    step_sent_at     timestamptz NOT NULL DEFAULT now(),
    formed_on        date NOT NULL,
    deadline         date NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz
);
CREATE INDEX drafts_queue ON drafts (state, state_entered_at) WHERE state IN ('compliance', 'confidentiality');
CREATE INDEX drafts_pending_step ON drafts (step_sent_at) WHERE NOT step_done;
CREATE INDEX drafts_author ON drafts (author_id, updated_at DESC);
CREATE INDEX drafts_published ON drafts (published_at DESC) WHERE state = 'published';

CREATE TABLE revisions (
    draft_id       bigint NOT NULL REFERENCES drafts(id),
    revision       int NOT NULL,
    title          text NOT NULL,
    body           text NOT NULL,
    category       text NOT NULL,
    channels       text[] NOT NULL,
    formed_on      date NOT NULL,
    content_sha256 bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (draft_id, revision)
);

CREATE TABLE findings (
    id         bigserial PRIMARY KEY,
    draft_id   bigint NOT NULL,
    revision   int NOT NULL,
    stage      text NOT NULL,
    code       text NOT NULL,
    severity   text NOT NULL CHECK (severity IN ('block', 'warn')),
    field      text NOT NULL DEFAULT '',
    start_rune int NOT NULL,
    end_rune   int NOT NULL,
    message_zh text NOT NULL,
    message_en text NOT NULL,
    suggestion text NOT NULL DEFAULT '',
    FOREIGN KEY (draft_id, revision) REFERENCES revisions (draft_id, revision)
);
CREATE INDEX findings_draft ON findings (draft_id, revision, stage);

CREATE TABLE decisions (
    id             bigserial PRIMARY KEY,
    draft_id       bigint NOT NULL,
    revision       int NOT NULL,
    stage          text NOT NULL,
    actor_id       bigint NOT NULL REFERENCES users(id),
    decision       text NOT NULL,
    reason         text NOT NULL DEFAULT '',
    comment        text NOT NULL DEFAULT '',
    content_sha256 bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (draft_id, revision) REFERENCES revisions (draft_id, revision)
);
CREATE INDEX decisions_draft ON decisions (draft_id);

-- Audit trail: one hash chain per draft (chain = 'draft/ID') or per subject
-- ('system'), so transitions of different drafts never wait on one lock;
-- seq is the global order. Rows are never updated or deleted by sanshen.
CREATE TABLE audit_chains (
    chain   text PRIMARY KEY,
    length  bigint NOT NULL DEFAULT 0,
    head    bytea
);

CREATE TABLE audit_events (
    seq            bigserial PRIMARY KEY,
    chain          text NOT NULL,
    idx            bigint NOT NULL,
    draft_id       bigint,
    actor_id       bigint,
    actor          text NOT NULL,
    role           text NOT NULL,
    stage          text NOT NULL DEFAULT '',
    action         text NOT NULL,
    revision       int NOT NULL DEFAULT 0,
    content_sha256 bytea,
    reason         text NOT NULL DEFAULT '',
    comment        text NOT NULL DEFAULT '',
    at             timestamptz NOT NULL,
    prev_hash      bytea,
    hash           bytea NOT NULL,
    UNIQUE (chain, idx)
);
CREATE INDEX audit_events_draft ON audit_events (draft_id, idx) WHERE draft_id IS NOT NULL;

-- Checkpoints: a digest over every chain head at a point in time, signed,
-- exported so a later verify can prove no tail was cut off.
CREATE TABLE audit_checkpoints (
    id         bigserial PRIMARY KEY,
    upto_seq   bigint NOT NULL,
    chains     bigint NOT NULL,
    events     bigint NOT NULL,
    digest     bytea NOT NULL,
    signature  bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    subject    text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- One row per (draft, revision, channel): the guard that makes each
-- publication happen once.
CREATE TABLE publications (
    draft_id     bigint NOT NULL,
    revision     int NOT NULL,
    channel      text NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'not_configured', 'failed', 'unknown')),
    url          text NOT NULL DEFAULT '',
    external_id  text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    attempts     int NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    PRIMARY KEY (draft_id, revision, channel),
    FOREIGN KEY (draft_id, revision) REFERENCES revisions (draft_id, revision)
);

CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    consumer    text NOT NULL,
    subject     text NOT NULL,
    payload     bytea NOT NULL,
    msg_id      text NOT NULL DEFAULT '',
    deliveries  int NOT NULL,
    last_error  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz
);

-- +goose Down
DROP TABLE dead_letters, publications, outbox, audit_checkpoints, audit_events, audit_chains,
    decisions, findings, revisions, drafts, api_tokens, users, departments;
