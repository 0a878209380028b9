-- +goose Up
-- Every API request resolves its token, and submissions their department:
-- the api caches both (internal/store/authcache.go). Any change to who is
-- who, by sanshen or by an operator in psql, is announced on sanshen_auth
-- so the cache forgets at once. Statement-level: one notification per
-- statement, folded into one per transaction by PostgreSQL.
-- +goose StatementBegin
CREATE FUNCTION sanshen_auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sanshen_auth', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER users_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();
CREATE TRIGGER api_tokens_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();
CREATE TRIGGER departments_auth_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION sanshen_auth_notify();

-- +goose Down
DROP TRIGGER departments_auth_notify ON departments;
DROP TRIGGER api_tokens_auth_notify ON api_tokens;
DROP TRIGGER users_auth_notify ON users;
DROP FUNCTION sanshen_auth_notify();
