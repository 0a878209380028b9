package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyStale is how long after its claim a key still in flight is
// taken to be abandoned (its process died before the effect committed:
// the effect's transaction marks the key done), so a retry runs again. A
// request slower than that (a database failing over under it) loses its
// key to the retry: its effect's transaction fails (ErrIdempotencyLost),
// never runs the effect a second time. A claim whose process holds a lease
// (HoldRequests) is abandoned sooner, when the lease is LeaseLost old.
const IdempotencyStale = 15 * time.Second

// LeaseBeat is how often HoldRequests renews its lease, and LeaseLost how
// old a lease is when its process is taken to be dead: its claims are
// abandoned, and a retry takes them over.
const (
	LeaseBeat = time.Second
	LeaseLost = 4 * time.Second
)

// ErrIdempotencyLost is a request whose Idempotency-Key a retry took over
// while it ran (IdempotencyStale): its effect did not commit, the retry's
// does.
var ErrIdempotencyLost = errors.New("a retry with the same Idempotency-Key took it over")

// The outcomes of ClaimIdempotency.
type IdemOutcome int

const (
	IdemNew      IdemOutcome = iota // the first request with the key (or a retry of one that never took effect): run it
	IdemDone                        // answered before: replay the answer
	IdemInFlight                    // the first request is still running
	IdemMismatch                    // the key was used for another request
)

// IdemClaim is what ClaimIdempotency found.
type IdemClaim struct {
	Outcome IdemOutcome
	// For IdemDone: the answer stored (Status 0 when the effect committed
	// and the process died before storing it) and the draft it concerned.
	Status   int
	Response []byte
	DraftID  int64
	// Claimed names this claim (IdemNew): the answer and the release
	// touch the key only while it is still this claim's, never a later
	// retry's that took it over after IdempotencyStale.
	Claimed time.Time
}

// idemKey is the key of the request a context carries (WithIdempotency),
// with the claim's time.
type idemKey struct {
	userID  int64
	key     string
	claimed time.Time
}

type idemCtx struct{}

// WithIdempotency marks ctx as a request under the person's key, claimed
// at claimed (IdemClaim.Claimed): the transaction that commits its effect
// (Submit, Revise, Decide) marks the key done in the same commit, and fails
// with ErrIdempotencyLost if the claim is no longer the key's.
func WithIdempotency(ctx context.Context, userID int64, key string, claimed time.Time) context.Context {
	return context.WithValue(ctx, idemCtx{}, &idemKey{userID, key, claimed})
}

func idempotencyOf(ctx context.Context) *idemKey {
	k, _ := ctx.Value(idemCtx{}).(*idemKey)
	return k
}

// queueIdemDone marks the key done with the draft, in the effect's batch;
// the transaction fails (ErrIdempotencyLost, from writeErr) if a retry
// took the key over. A group commit then runs its members one by one, so
// only this one fails.
func queueIdemDone(b *pgx.Batch, k *idemKey, draftID int64) {
	if k != nil {
		b.Queue(`SELECT idempotency_done($1, $2, $3, $4)`, k.userID, k.key, k.claimed, draftID)
	}
}

// idemLostCode is the SQLSTATE idempotency_done raises (migration 032).
const idemLostCode = "SS001"

// ClaimIdempotency takes the person's key for a request whose method, path
// and body hash to sum, or says what became of the request that took it.
func (s *Store) ClaimIdempotency(ctx context.Context, userID int64, key string, sum []byte) (IdemClaim, error) {
	var c IdemClaim
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// A key older than a day is forgotten.
		if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at < now() - make_interval(secs => $3)`,
			userID, key, IdempotencyTTL.Seconds()); err != nil {
			return err
		}
		holder := s.holder()
		err := tx.QueryRow(ctx, `INSERT INTO idempotency_keys (user_id, key, request_sha256, holder) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
			RETURNING claimed_at`, userID, key, sum, holder).Scan(&c.Claimed)
		if err == nil {
			c.Outcome = IdemNew
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var had []byte
		var state string
		var live bool
		var status *int
		var draft *int64
		// A claim is live while it is younger than IdempotencyStale and
		// its holder, if it has one, still renews its lease (both by the
		// database's clock).
		err = tx.QueryRow(ctx, `SELECT request_sha256, state, status, response, draft_id,
				claimed_at > now() - make_interval(secs => $3) AND (holder IS NULL OR EXISTS (
					SELECT 1 FROM request_leases l WHERE l.id = holder AND l.seen_at > now() - make_interval(secs => $4)))
			FROM idempotency_keys WHERE user_id = $1 AND key = $2 FOR UPDATE`,
			userID, key, IdempotencyStale.Seconds(), LeaseLost.Seconds()).Scan(&had, &state, &status, &c.Response, &draft, &live)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("the idempotency key vanished while claimed; try again")
		}
		if err != nil {
			return err
		}
		if draft != nil {
			c.DraftID = *draft
		}
		if status != nil {
			c.Status = *status
		}
		switch {
		case !bytes.Equal(had, sum):
			c.Outcome = IdemMismatch
		case state == "done" || status != nil:
			c.Outcome = IdemDone
		case live:
			c.Outcome = IdemInFlight
		default:
			// Abandoned before its effect committed: this retry runs it.
			c.Outcome = IdemNew
			err = tx.QueryRow(ctx, `UPDATE idempotency_keys SET claimed_at = clock_timestamp(), holder = $3 WHERE user_id = $1 AND key = $2
				RETURNING claimed_at`, userID, key, holder).Scan(&c.Claimed)
		}
		return err
	})
	if err != nil {
		return c, fmt.Errorf("error claiming the idempotency key: %w", err)
	}
	return c, nil
}

// AnswerIdempotency stores the answer sent to the request that holds the
// key, to be replayed to its retries.
func (s *Store) AnswerIdempotency(ctx context.Context, userID int64, key string, claimed time.Time, status int, body []byte) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND key = $2 AND claimed_at = $5`,
		userID, key, status, body, claimed); err != nil {
		return fmt.Errorf("error storing the answer to an idempotent request: %w", err)
	}
	return nil
}

// ReleaseIdempotency forgets a key whose request failed without an answer
// worth keeping (a server error): a retry runs again. A key whose effect
// committed is kept.
func (s *Store) ReleaseIdempotency(ctx context.Context, userID int64, key string, claimed time.Time) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND state = 'in_flight' AND claimed_at = $3`,
		userID, key, claimed); err != nil {
		return fmt.Errorf("error releasing an idempotency key: %w", err)
	}
	return nil
}

// ForgetIdempotency deletes the keys older than IdempotencyTTL; the
// lifecycle's daily sweep calls it.
func (s *Store) ForgetIdempotency(ctx context.Context) (int64, error) {
	ct, err := s.Pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)`, IdempotencyTTL.Seconds())
	if err != nil {
		return 0, fmt.Errorf("error forgetting old idempotency keys: %w", err)
	}
	return ct.RowsAffected(), nil
}

// HoldRequests holds this process's lease on the claims it makes
// (migration 033) until ctx ends: it registers the lease and renews it
// every LeaseBeat, so that a retry of a request this process was running
// when it died takes the key over LeaseLost after the last renewal. While the database is out of reach it keeps trying; the
// claims made meanwhile carry no lease (the IdempotencyStale rule).
// name says which process holds it, for an operator reading the table.
func (s *Store) HoldRequests(ctx context.Context, name string) {
	t := time.NewTicker(LeaseBeat)
	defer t.Stop()
	for {
		id := s.holder()
		if id == nil {
			// Registering, it also drops dead processes' leases of a day ago.
			var got int64
			if err := s.Pool.QueryRow(ctx, `WITH gone AS (DELETE FROM request_leases WHERE seen_at < now() - interval '1 day')
				INSERT INTO request_leases (name) VALUES ($1) RETURNING id`, name).Scan(&got); err == nil {
				s.lease.Store(got)
			}
		} else {
			// A lease deleted under it (a restore) is written again.
			_, _ = s.Pool.Exec(ctx, `INSERT INTO request_leases (id, name) VALUES ($1, $2)
				ON CONFLICT (id) DO UPDATE SET seen_at = now()`, *id, name)
		}
		select {
		case <-ctx.Done():
			// The lease is left to age: requests still finishing keep
			// their keys until LeaseLost.
			s.lease.Store(0)
			return
		case <-t.C:
		}
	}
}

// holder is the lease the claims of this process carry, or nil.
func (s *Store) holder() *int64 {
	if id := s.lease.Load(); id != 0 {
		return &id
	}
	return nil
}
