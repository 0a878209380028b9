-- +goose Up
-- A request's effect commits only while its Idempotency-Key is still its
-- own (issue 21). idempotency_done marks the key done in the effect's
-- transaction, and fails it (SQLSTATE SS001, store.ErrIdempotencyLost)
-- when a retry took the key over meanwhile: the request was slower than
-- store.IdempotencyStale, its client gave up on it and its retry now runs
-- the effect. So a stale claim can be taken over after seconds rather than
-- minutes (an api killed mid-request held its client's key for 2 minutes)
-- without the effect ever running twice.
-- +goose StatementBegin
CREATE FUNCTION idempotency_done(p_user bigint, p_key text, p_claimed timestamptz, p_draft bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE idempotency_keys SET state = 'done', draft_id = p_draft
        WHERE user_id = p_user AND key = p_key AND claimed_at = p_claimed AND state = 'in_flight';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the Idempotency-Key % is no longer this request''s: a retry took it over', p_key USING ERRCODE = 'SS001';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION idempotency_done(bigint, text, timestamptz, bigint);
