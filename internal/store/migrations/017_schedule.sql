-- +goose Up
-- The durable schedule (internal/schedule): what is to be done to which
-- subject, and when: publish a scheduled draft, withdraw an expired item,
-- remind a reviewer. A job is 'pending' until a runner claims it; 'running'
-- while claimed, until claimed_until (the lease: a job whose replica died is
-- claimed again after it); then 'done', 'failed' (out of attempts, for an
-- admin to see), or 'cancelled' (cancelled or superseded). Due-ness and
-- leases are decided by the runners' clock, passed in, never by now().
CREATE TABLE scheduled_jobs (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind <> ''),
    key           text NOT NULL,
    due_at        timestamptz NOT NULL,
    payload       jsonb NOT NULL DEFAULT 'null',
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    attempts      int NOT NULL DEFAULT 0,
    last_error    text NOT NULL DEFAULT '',
    claimed_by    text NOT NULL DEFAULT '',
    claimed_until timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    done_at       timestamptz,
    CHECK ((state = 'running') = (claimed_until IS NOT NULL))
);
-- One waiting job per subject: scheduling it again moves it. A run under way
-- is not counted, so scheduling never waits for a handler (nor deadlocks
-- with one that locks the subject); the new job runs after it.
CREATE UNIQUE INDEX scheduled_jobs_pending_key ON scheduled_jobs (kind, key) WHERE state = 'pending';
CREATE INDEX scheduled_jobs_due ON scheduled_jobs (due_at) WHERE state = 'pending';
CREATE INDEX scheduled_jobs_lease ON scheduled_jobs (claimed_until) WHERE state = 'running';
CREATE INDEX scheduled_jobs_running_key ON scheduled_jobs (kind, key) WHERE state = 'running';
CREATE INDEX scheduled_jobs_failed ON scheduled_jobs (done_at) WHERE state = 'failed';

-- +goose Down
DROP TABLE scheduled_jobs;
