// Package schedule is sanshen's durable scheduler: each job is a row of
// scheduled_jobs, so the schedule survives restarts, and a Runner in any
// number of replicas runs the jobs that are due. It drives scheduled
// publishing, withdrawals at expiry and review reminders.
//
// What "never acts twice" means, exactly:
//
//   - A Handler is given the transaction that marks its job done. An effect
//     written in that transaction commits together with the mark, or not at
//     all: it happens exactly once, whatever crashes or retries occur.
//   - The job's row stays locked while its handler runs, so no other replica
//     takes the job during that time, even when the lease runs out. The
//     handler's context ends when the lease ends, so a slow handler is cut
//     off instead of running beside a retry.
//   - An effect outside the database (a message sent, an API called) cannot
//     commit with the mark. If the process dies after the effect and before
//     the commit, the job runs again. Such a handler must be idempotent, or
//     claim its effect itself in a committed row (as a publication's send is
//     claimed). Job.ID is the same for every attempt, so it can serve as an
//     idempotency key. Two runs of one job, or of one kind for one subject,
//     are still never under way at once, provided the handler stops when its
//     context ends.
//   - A replica that dies mid-run leaves its claim (state 'running' until
//     claimed_until). When the lease has run out, another replica claims the
//     job again, and that counts as an attempt. A handler that returns an
//     error or panics has its transaction rolled back, and the job is retried
//     after a backoff. After MaxAttempts attempts the job is 'failed', with
//     its last error, for an admin to see (Failed).
//
// Due-ness and leases are decided by the runner's clock (Runner.Now), which
// is passed to SQL, never by the database's now(). Replicas' clocks must
// agree to well within a lease.
//
// Runners poll, every second by default, and a runner that finds a due job
// keeps claiming until none is left, so a backlog drains at once. A
// LISTEN/NOTIFY wake-up would save at most one poll interval on jobs due
// minutes to months ahead. Its cost would be a held connection per replica,
// and a NOTIFY in every scheduling transaction, which makes PostgreSQL
// serialize their commits. One indexed probe per second per replica costs
// less.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what Schedule, Cancel and Failed need from the database: a
// pgx.Tx, so a caller schedules inside its own transaction (the one that
// publishes a draft schedules its expiry, and both commit or neither), or a
// *pgxpool.Pool or *pgx.Conn for a statement of its own. A transaction
// must be READ COMMITTED, PostgreSQL's default: each statement needs to see
// what committed before it.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Job is a scheduled job as its handler sees it.
type Job struct {
	ID      int64           // the same for every attempt: an idempotency key for external effects
	Kind    string          // which Handler runs it: "expire", "publish_at", "review_reminder", ...
	Key     string          // its subject, such as a draft's id
	Due     time.Time       // when this attempt was due: as scheduled, or a retry's time
	Payload json.RawMessage // the payload given to Schedule, as JSON
	// Attempt counts the claims of this job, this one included: 1 on the
	// first run.
	Attempt int
	// LastError is why the previous attempt failed ("" on the first run).
	LastError string
}

// A job's row is locked while its handler runs (Runner). Schedule and
// Cancel skip such a row instead of waiting for it: they never wait on a
// handler, nor deadlock with one that locks the job's subject. Each is two
// statements, in this order. The first, on the pending job, waits out a
// claim being taken (a moment). The second, with a fresh snapshot, sees
// that claim and passes it by only if its run has begun. So every claim
// not under way (taken but not yet started, or left by a dead replica) is
// stopped.
const (
	pendingSQL = `INSERT INTO scheduled_jobs (kind, key, due_at, payload) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, key) WHERE state = 'pending' DO UPDATE SET due_at = EXCLUDED.due_at, payload = EXCLUDED.payload`
	cancelPendingSQL = `UPDATE scheduled_jobs SET state = 'cancelled', done_at = now()
		WHERE kind = $1 AND key = $2 AND state = 'pending'`
	stopClaimsSQL = `UPDATE scheduled_jobs SET state = 'cancelled', claimed_until = NULL, done_at = now(), last_error = $3
		WHERE id IN (SELECT id FROM scheduled_jobs WHERE kind = $1 AND key = $2 AND state = 'running' FOR UPDATE SKIP LOCKED)`
)

// Schedule has the job of kind for key run at due, with payload (encoded as
// JSON) for its handler. A subject has one job of each kind: scheduling it
// again replaces its time and payload, whether the new time is earlier or
// later. A run of it already under way is not stopped; the new job waits
// for that run to end. Given a transaction, the job exists once it commits.
func Schedule(ctx context.Context, q Querier, kind, key string, due time.Time, payload any) error {
	stmts, err := scheduling(kind, key, due, payload)
	if err != nil {
		return err
	}
	if err := execAll(ctx, q, stmts); err != nil {
		return fmt.Errorf("error scheduling the %s job of %q: %w", kind, key, err)
	}
	return nil
}

// QueueSchedule is Schedule for a caller that sends its transaction's writes
// as one batch, as internal/store does: it adds the statements to b, and an
// error among them comes back when the batch's results are read.
func QueueSchedule(b *pgx.Batch, kind, key string, due time.Time, payload any) error {
	stmts, err := scheduling(kind, key, due, payload)
	if err != nil {
		return err
	}
	queueAll(b, stmts)
	return nil
}

// Cancel cancels the job of kind for key so that it never runs. This covers
// a job waiting for its time, one claimed but not yet started, and one left
// by a dead replica. It cannot cancel a run already under way; that run's
// handler should check its subject's state, as every handler does. Nothing
// to cancel is not an error.
func Cancel(ctx context.Context, q Querier, kind, key string) error {
	if err := execAll(ctx, q, cancelling(kind, key)); err != nil {
		return fmt.Errorf("error cancelling the %s job of %q: %w", kind, key, err)
	}
	return nil
}

// QueueCancel is Cancel for a caller that sends its writes as one batch.
func QueueCancel(b *pgx.Batch, kind, key string) { queueAll(b, cancelling(kind, key)) }

// statement is one of the statements of Schedule or Cancel, in order.
type statement struct {
	sql  string
	args []any
}

func scheduling(kind, key string, due time.Time, payload any) ([]statement, error) {
	if kind == "" {
		return nil, errors.New("error scheduling a job: the kind is empty")
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("error encoding the payload of the %s job of %q: %w", kind, key, err)
	}
	// The claims not yet running are stopped before the new job is
	// written: outside a transaction, the other order lets a runner claim
	// the new job between the two statements, and then stops that claim.
	return []statement{
		{stopClaimsSQL, []any{kind, key, "superseded: scheduled again before it ran"}},
		{pendingSQL, []any{kind, key, due, json.RawMessage(body)}},
	}, nil
}

func cancelling(kind, key string) []statement {
	return []statement{
		{cancelPendingSQL, []any{kind, key}},
		{stopClaimsSQL, []any{kind, key, "cancelled before it ran"}},
	}
}

func execAll(ctx context.Context, q Querier, stmts []statement) error {
	for _, s := range stmts {
		if _, err := q.Exec(ctx, s.sql, s.args...); err != nil {
			return err
		}
	}
	return nil
}

func queueAll(b *pgx.Batch, stmts []statement) {
	for _, s := range stmts {
		b.Queue(s.sql, s.args...)
	}
}

// Failed lists the jobs that ran out of attempts, latest first, at most
// limit of them, for an admin. Scheduling the same kind and key again (with
// the job's payload) retries one.
func Failed(ctx context.Context, q Querier, limit int) ([]Job, error) {
	rows, _ := q.Query(ctx, `SELECT id, kind, key, due_at, payload, attempts, last_error FROM scheduled_jobs
		WHERE state = 'failed' ORDER BY done_at DESC, id DESC LIMIT $1`, limit)
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Job, error) {
		var j Job
		return j, r.Scan(&j.ID, &j.Kind, &j.Key, &j.Due, &j.Payload, &j.Attempt, &j.LastError)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing failed scheduled jobs: %w", err)
	}
	return jobs, nil
}
