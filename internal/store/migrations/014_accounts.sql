-- +goose Up
-- Sign-in brakes count failures per name and address together, per name and
-- per address (domain.SignInWait); admins list and clear them.
CREATE INDEX signin_failures_pair ON signin_failures (name, ip, at);
-- A familiar address: one the person has signed in from (sessions.ip).
CREATE INDEX sessions_user_ip ON sessions (user_id, ip, created_at);

-- A session's CSRF token is derived from its id (store.csrfToken) and only
-- its SHA-256 is kept. The tokens of sessions already open were kept in
-- clear: those sessions end, once.
ALTER TABLE sessions ADD COLUMN csrf_sha256 bytea NOT NULL DEFAULT '\x'::bytea;
ALTER TABLE sessions ALTER COLUMN csrf_sha256 DROP DEFAULT;
UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL;
ALTER TABLE sessions DROP COLUMN csrf_token;
-- A session whose password was right may still owe its second factor:
-- 'code' (a TOTP or recovery code), or 'enrol' (a person who must have a
-- second factor and has none enrols first). Only 'done' is signed in.
ALTER TABLE sessions ADD COLUMN second_factor text NOT NULL DEFAULT 'done' CHECK (second_factor IN ('done', 'code', 'enrol'));
-- The TOTP secret being enrolled in this session (sealed, store.Sealer).
ALTER TABLE sessions ADD COLUMN totp_enrolment bytea;

-- The second factor: a TOTP secret sealed with the installation's key
-- (SANSHEN_TOTP_KEY) and bound to the user's id, the last time step used
-- (a code works once), and one-use recovery codes kept as SHA-256 (each
-- holds 120 random bits).
ALTER TABLE users ADD COLUMN totp_secret bytea;
ALTER TABLE users ADD COLUMN totp_enrolled_at timestamptz;
ALTER TABLE users ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
CREATE TABLE recovery_codes (
    user_id     bigint NOT NULL REFERENCES users(id),
    code_sha256 bytea NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (user_id, code_sha256)
);

-- API tokens: an id to list and revoke them by, a name, when last used,
-- and an expiry. The tokens already given out expire 90 days from now.
ALTER TABLE api_tokens ADD COLUMN id bigserial UNIQUE;
ALTER TABLE api_tokens ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
UPDATE api_tokens SET name = '初始令牌', expires_at = now() + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
-- A token written by hand (psql) lasts the default too.
ALTER TABLE api_tokens ALTER COLUMN expires_at SET DEFAULT now() + interval '90 days';
CREATE INDEX api_tokens_user ON api_tokens (user_id);
-- last_used_at changes all the time: only the columns that decide who a
-- token is announce a change to the auth cache (migration 006).
DROP TRIGGER api_tokens_auth_notify ON api_tokens;
CREATE TRIGGER api_tokens_auth_notify AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF token_sha256, user_id, revoked_at, expires_at
    ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();

-- +goose Down
DROP TRIGGER api_tokens_auth_notify ON api_tokens;
CREATE TRIGGER api_tokens_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();
DROP INDEX api_tokens_user;
ALTER TABLE api_tokens DROP COLUMN expires_at, DROP COLUMN last_used_at, DROP COLUMN name, DROP COLUMN id;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN disabled_at, DROP COLUMN totp_last_step, DROP COLUMN totp_enrolled_at, DROP COLUMN totp_secret;
ALTER TABLE sessions DROP COLUMN totp_enrolment, DROP COLUMN second_factor;
ALTER TABLE sessions ADD COLUMN csrf_token text NOT NULL DEFAULT '';
UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL;
ALTER TABLE sessions DROP COLUMN csrf_sha256;
DROP INDEX sessions_user_ip;
DROP INDEX signin_failures_pair;
