-- +goose Up
-- Web sign-in sessions: the cookie holds a random id, the table its SHA-256.
CREATE TABLE sessions (
    id_sha256    bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id),
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,   -- absolute timeout
    revoked_at   timestamptz,
    user_agent   text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Failed sign-ins, for rate limiting across API replicas.
CREATE TABLE signin_failures (
    id   bigserial PRIMARY KEY,
    name text NOT NULL,
    ip   text NOT NULL,
    at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signin_failures_name ON signin_failures (name, at);
CREATE INDEX signin_failures_ip ON signin_failures (ip, at);

-- Who has a draft open for review; advisory, expires.
CREATE TABLE claims (
    draft_id   bigint PRIMARY KEY REFERENCES drafts(id),
    user_id    bigint NOT NULL REFERENCES users(id),
    since      timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE claims, signin_failures, sessions;
