package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The store's transactions, and when to use each:
//
//   - readTx: a read-only transaction in one round trip (BEGIN, the
//     queries, COMMIT pipelined). For reads that must see one snapshot or
//     set plan settings: the queue, the outbox lag.
//   - quickWrite: a write that decides nothing from what it reads, in one
//     round trip (marking outbox rows sent).
//   - lockTx: the transitions' transaction, in two round trips: BEGIN with
//     the locking reads, then the writes they decided on with COMMIT.
//     Every batch (machine steps, people's groups, submissions) uses it.
//   - moveTx: one draft's transition that needs several dependent
//     statements (revise, withdraw, publication outcomes, resolve): fn
//     locks the draft (lockDraft) and adds its writes to a moveSet.
//   - tx: anything else (admin writes, the dead letters, the word list).
//
// Each writes a transition's compare-and-set, audit event and outbox row
// in the same transaction (moveSet), and reports the transitions only
// after the commit (committed).

// tx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.Pool, fn)
}

// moveTx runs fn in a transaction that writes what fn adds to the set
// (one draft's transition, usually) and b, and reports the transitions
// once it has committed.
func (s *Store) moveTx(ctx context.Context, fn func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error) error {
	var set moveSet
	err := s.tx(ctx, func(tx pgx.Tx) error {
		set = moveSet{}
		b := &pgx.Batch{}
		if err := fn(tx, &set, b); err != nil {
			return err
		}
		set.queue(b, s.Announce)
		return writeErr(tx.SendBatch(ctx, b).Close())
	})
	if err == nil {
		s.committed(&set)
	}
	return err
}

// readTx runs a read-only transaction in one round trip: BEGIN, the
// statements queue adds, COMMIT. read gets the results after BEGIN's.
func (s *Store) readTx(ctx context.Context, queue func(*pgx.Batch), read func(pgx.BatchResults) error) error {
	return s.trip(ctx, "BEGIN READ ONLY", queue, read)
}

// quickWrite runs the statements queue adds as one transaction in one
// round trip.
func (s *Store) quickWrite(ctx context.Context, queue func(*pgx.Batch)) error {
	return s.trip(ctx, "BEGIN", queue, func(pgx.BatchResults) error { return nil })
}

// lockTx runs a transaction in two round trips instead of four: BEGIN goes
// out with the first batch (the locking reads), COMMIT with the second (the
// writes). read gets the first batch's results after BEGIN's, and write
// fills the second batch from what read found (when it adds nothing, only
// COMMIT goes). On any error the transaction is rolled back.
func (s *Store) lockTx(ctx context.Context, lock func(*pgx.Batch), read func(pgx.BatchResults) error, write func(*pgx.Batch)) error {
	return s.onConn(ctx, func(conn *pgxpool.Conn) error {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		lock(b)
		if err := sendRead(ctx, conn, b, read); err != nil {
			return err
		}
		b = &pgx.Batch{}
		write(b)
		b.Queue("COMMIT")
		return writeErr(conn.SendBatch(ctx, b).Close())
	})
}

// trip runs a whole transaction, opened by begin, in one round trip.
func (s *Store) trip(ctx context.Context, begin string, queue func(*pgx.Batch), read func(pgx.BatchResults) error) error {
	return s.onConn(ctx, func(conn *pgxpool.Conn) error {
		b := &pgx.Batch{}
		b.Queue(begin)
		queue(b)
		b.Queue("COMMIT")
		return sendRead(ctx, conn, b, read)
	})
}

// onConn runs fn on a pooled connection for a transaction that fn opens and
// closes itself (in pipelined batches): if fn fails with the transaction
// still open, it is rolled back before the connection goes back.
func (s *Store) onConn(ctx context.Context, fn func(*pgxpool.Conn) error) (err error) {
	conn, err := s.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("error acquiring a connection: %w", err)
	}
	defer conn.Release()
	defer func() {
		if err != nil && !conn.Conn().IsClosed() && conn.Conn().PgConn().TxStatus() != 'I' {
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	return fn(conn)
}

// sendRead sends b, whose first statement is a BEGIN, hands its other
// results to read and closes it.
func sendRead(ctx context.Context, conn *pgxpool.Conn, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	br := conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return err
	}
	if err := read(br); err != nil {
		br.Close()
		return err
	}
	return br.Close()
}

// writeErr names a failed write; ErrConflict (a compare-and-set that found
// the draft moved) stays as it is, and a lost Idempotency-Key becomes
// ErrIdempotencyLost, for the callers to tell apart.
func writeErr(err error) error {
	if err == nil || errors.Is(err, ErrConflict) {
		return err
	}
	if pe := (*pgconn.PgError)(nil); errors.As(err, &pe) && pe.Code == idemLostCode {
		return ErrIdempotencyLost
	}
	return fmt.Errorf("error writing transition: %w", err)
}
