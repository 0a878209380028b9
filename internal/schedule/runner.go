package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Handler does a job's work. tx is the transaction that marks the job done
// when the handler returns nil. An effect written in it happens exactly
// once; an error rolls it back with the effect. The handler must not
// commit or roll back tx itself. ctx ends when the lease does.
type Handler func(ctx context.Context, tx pgx.Tx, j Job) error

// External is a Handler for an effect outside the database, such as a
// message sent or an API called. fn runs while the job's row is locked, so
// two runs of the job are never under way at once, provided fn stops when
// ctx ends. A crash after the effect and before the commit runs fn again,
// so fn must be idempotent (Job.ID is an idempotency key) or claim its
// effect itself.
func External(fn func(ctx context.Context, j Job) error) Handler {
	return func(ctx context.Context, _ pgx.Tx, j Job) error { return fn(ctx, j) }
}

// Defaults of a Runner's settings.
const (
	DefaultLease       = time.Minute
	DefaultPoll        = time.Second
	DefaultMaxAttempts = 10
)

// DefaultBackoff is the wait before retrying after the attempt-th attempt
// failed: 10 s, doubling each time, at most an hour. With the default 10
// attempts, a job fails about an hour and a half after its first run.
func DefaultBackoff(attempt int) time.Duration {
	const first, most = 10 * time.Second, time.Hour
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 10 { // already past the cap; also keeps the shift in range
		return most
	}
	return min(first<<(attempt-1), most)
}

// Runner claims due jobs and runs their handlers, one at a time, until its
// context ends. Replicas share the work: a job is claimed with FOR UPDATE
// SKIP LOCKED, so each claim goes to one runner. Runs of one kind for one
// subject never overlap: a job scheduled while another of its kind and key
// is under way waits for that run to end (or for its lease to run out).
type Runner struct {
	// Pool connects as a role that may update scheduled_jobs (the
	// services' role may).
	Pool *pgxpool.Pool
	// Handlers maps a job's kind to its handler. A runner claims only the
	// kinds it has, so services can split the kinds between them. A kind
	// no runner has stays pending.
	Handlers map[string]Handler
	// Replica names the runner in claimed_by (default host-pid).
	Replica string
	// Lease is how long a claim lasts (default DefaultLease). When it runs
	// out, the handler's context ends, and another replica may claim the
	// job again once no run of it is under way. It bounds how late a job
	// left by a dead replica is retried.
	Lease time.Duration
	// Poll is how often an idle runner looks for due jobs (default
	// DefaultPoll).
	Poll time.Duration
	// Now is the clock that decides what is due and when leases end
	// (default time.Now). Tests control it.
	Now func() time.Time
	// Log gets the runner's logs (default: discarded).
	Log *slog.Logger
	// MaxAttempts is how many claims a job gets before it fails for good
	// (default DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the wait before retrying a job whose attempt-th attempt
	// failed (default DefaultBackoff).
	Backoff func(attempt int) time.Duration
}

// Run claims and runs due jobs until ctx ends, then returns nil. It returns
// an error only when the runner is misconfigured. A database error is
// logged and retried at the next poll. A run cut off by ctx leaves its
// claim, like a crash; another replica retries it after the lease.
func (r *Runner) Run(ctx context.Context) error {
	c, err := r.settled()
	if err != nil {
		return err
	}
	c.Log.Info("scheduler started", "replica", c.Replica, "kinds", c.kinds, "lease", c.Lease, "poll", c.Poll)
	for {
		for ctx.Err() == nil {
			claimed, err := c.next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					c.Log.Error("claiming a scheduled job failed", "err", err)
				}
				break
			}
			if !claimed {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(c.Poll):
		}
	}
}

// runner is a Runner with its defaults filled in.
type runner struct {
	Runner
	kinds []string
}

func (r *Runner) settled() (*runner, error) {
	c := &runner{Runner: *r}
	c.Handlers = maps.Clone(r.Handlers)
	if c.Pool == nil {
		return nil, errors.New("schedule: Runner.Pool is nil")
	}
	for kind, h := range c.Handlers {
		if h == nil {
			return nil, fmt.Errorf("schedule: the handler of %q is nil", kind)
		}
		c.kinds = append(c.kinds, kind)
	}
	if len(c.kinds) == 0 {
		return nil, errors.New("schedule: Runner has no handlers")
	}
	slices.Sort(c.kinds)
	if c.Replica == "" {
		host, _ := os.Hostname()
		c.Replica = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	return c, nil
}

// claimSQL takes the earliest due job: a pending one whose time has come
// and whose subject has no claim of its kind still in its lease, or a
// running one whose lease ran out (its replica died; a live replica's run
// holds the row locked and is skipped). Such a job is claimed again,
// unless it has been scheduled again meanwhile ('cancelled': the newer job,
// with a higher id, replaces it) or is out of attempts ('failed'). The
// claim commits on its own, so the attempt counts even if the handler then
// kills the process.
const claimSQL = `
WITH c AS (
    SELECT id, state = 'running' AS expired, CASE
            WHEN state = 'pending' THEN 'running'
            WHEN EXISTS (SELECT 1 FROM scheduled_jobs n WHERE n.kind = s.kind AND n.key = s.key
                AND n.state IN ('pending', 'running') AND n.id > s.id) THEN 'cancelled'
            WHEN attempts >= $5 THEN 'failed'
            ELSE 'running' END AS next
    FROM scheduled_jobs s
    WHERE kind = ANY($1) AND (
        state = 'pending' AND due_at <= $2 AND NOT EXISTS (SELECT 1 FROM scheduled_jobs r
            WHERE r.kind = s.kind AND r.key = s.key AND r.state = 'running' AND r.claimed_until > $2)
        OR state = 'running' AND claimed_until <= $2)
    ORDER BY due_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE scheduled_jobs j SET
    state = c.next,
    attempts = j.attempts + (c.next = 'running')::int,
    claimed_by = CASE WHEN c.next = 'running' THEN $3 ELSE j.claimed_by END,
    claimed_until = CASE WHEN c.next = 'running' THEN $4::timestamptz END,
    done_at = CASE WHEN c.next <> 'running' THEN now() END,
    last_error = CASE
        WHEN NOT c.expired THEN j.last_error
        WHEN c.next = 'cancelled' THEN 'superseded: scheduled again after the lease of ' || j.claimed_by || ' ran out'
        ELSE 'the lease of ' || j.claimed_by || ' ran out before its run finished (did it die?)' END
FROM c WHERE j.id = c.id
RETURNING j.id, j.kind, j.key, j.due_at, j.payload, j.attempts, j.last_error, j.state`

// next claims one due job and runs it; it reports whether there was one.
func (c *runner) next(ctx context.Context) (bool, error) {
	now := c.Now()
	var j Job
	var state string
	err := c.Pool.QueryRow(ctx, claimSQL, c.kinds, now, c.Replica, now.Add(c.Lease), c.MaxAttempts).
		Scan(&j.ID, &j.Kind, &j.Key, &j.Due, &j.Payload, &j.Attempt, &j.LastError, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("error claiming a scheduled job: %w", err)
	}
	log := c.Log.With("job", j.ID, "kind", j.Kind, "key", j.Key, "attempt", j.Attempt)
	switch state {
	case "failed":
		log.Error("scheduled job failed for good: its replica's lease ran out on its last attempt", "err", j.LastError)
		return true, nil
	case "cancelled":
		log.Warn("scheduled job left by a dead replica replaced by a newer one", "err", j.LastError)
		return true, nil
	}
	c.run(ctx, log, j)
	return true, nil
}

// errVoided: the claim was cancelled, superseded or taken over before the
// run locked it.
var errVoided = errors.New("the claim was voided before the run began")

// run runs j's handler in the transaction that marks it done, and records a
// failure for a retry.
func (c *runner) run(ctx context.Context, log *slog.Logger, j Job) {
	hctx, cancel := context.WithTimeout(ctx, c.Lease)
	defer cancel()
	began := time.Now()
	err := pgx.BeginFunc(hctx, c.Pool, func(tx pgx.Tx) error {
		// The fence: this claim still stands (a claim is told apart by its
		// attempt number). The lock held from here to the commit keeps every
		// other replica off the job.
		var one int
		err := tx.QueryRow(hctx, `SELECT 1 FROM scheduled_jobs WHERE id = $1 AND state = 'running' AND attempts = $2 FOR UPDATE`,
			j.ID, j.Attempt).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return errVoided
		}
		if err != nil {
			return fmt.Errorf("error locking the job: %w", err)
		}
		if err := c.call(hctx, log, tx, j); err != nil {
			return err
		}
		if _, err := tx.Exec(hctx, `UPDATE scheduled_jobs SET state = 'done', claimed_until = NULL, done_at = now() WHERE id = $1`, j.ID); err != nil {
			return fmt.Errorf("error marking the job done: %w", err)
		}
		return nil
	})
	switch {
	case err == nil:
		log.Debug("scheduled job done", "took", time.Since(began))
	case errors.Is(err, errVoided):
		log.Info("scheduled job not run: cancelled or scheduled again after it was claimed")
	case ctx.Err() != nil:
		log.Info("scheduler stopped mid-run; the job is retried after its lease", "lease", c.Lease)
	default:
		if hctx.Err() != nil {
			err = fmt.Errorf("ran past its lease of %s: %w", c.Lease, err)
		}
		c.fail(ctx, log, j, err)
	}
}

// call runs the handler, turning a panic into an error.
func (c *runner) call(ctx context.Context, log *slog.Logger, tx pgx.Tx, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("scheduled job's handler panicked", "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return c.Handlers[j.Kind](ctx, tx, j)
}

// fail records a failed attempt: the job is retried after the backoff, or
// has failed for good. A job scheduled again while it ran is replaced by the
// new one instead (two pending jobs of a subject would break the unique
// index).
func (c *runner) fail(ctx context.Context, log *slog.Logger, j Job, cause error) {
	msg := errorText(cause)
	retry := c.Now().Add(c.Backoff(j.Attempt))
	tag, err := c.Pool.Exec(ctx, `UPDATE scheduled_jobs SET
			state = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
			due_at = CASE WHEN attempts >= $3 THEN due_at ELSE $4 END,
			done_at = CASE WHEN attempts >= $3 THEN now() END,
			claimed_until = NULL, last_error = $5
		WHERE id = $1 AND state = 'running' AND attempts = $2`, j.ID, j.Attempt, c.MaxAttempts, retry, msg)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		tag, err = c.Pool.Exec(ctx, `UPDATE scheduled_jobs SET state = 'cancelled', claimed_until = NULL, done_at = now(), last_error = $3
			WHERE id = $1 AND state = 'running' AND attempts = $2`, j.ID, j.Attempt, msg+" (superseded: scheduled again while it ran)")
	}
	switch {
	case err != nil:
		log.Error("recording a scheduled job's failure failed; it is retried after its lease", "err", err, "cause", msg)
	case tag.RowsAffected() == 0:
		log.Info("scheduled job failed after its claim was voided", "err", msg)
	case j.Attempt >= c.MaxAttempts:
		log.Error("scheduled job failed for good", "err", msg)
	default:
		log.Warn("scheduled job failed; retrying", "err", msg, "retry_at", retry)
	}
}

// errorText is err's message, capped to keep the row small.
func errorText(err error) string {
	const most = 2000
	s := err.Error()
	if len(s) > most {
		s = strings.ToValidUTF8(s[:most], "") + "…"
	}
	return s
}
