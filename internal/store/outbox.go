package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OutboxRow is a message waiting to be published to JetStream.
type OutboxRow struct {
	ID        int64
	Subject   string
	Payload   []byte
	CreatedAt time.Time
}

func scanOutboxRow(r pgx.CollectableRow) (OutboxRow, error) {
	var o OutboxRow
	return o, r.Scan(&o.ID, &o.Subject, &o.Payload, &o.CreatedAt)
}

// RelayOutbox hands up to limit unsent rows at least grace old, oldest
// first, to fn. Rows are claimed with SKIP LOCKED inside fn's transaction,
// so relay replicas share the work; fn publishes them and returns the ids
// it published, which are marked sent in the same transaction. The grace
// leaves fresh rows to the process that committed them (Announcer).
func (s *Store) RelayOutbox(ctx context.Context, limit int, grace time.Duration, fn func([]OutboxRow) ([]int64, error)) (int, error) {
	var sent []int64
	var ferr error
	err := s.lockTx(ctx, func(b *pgx.Batch) {
		// Marking rows sent needs no WAL flush: a mark lost in a crash only
		// sends those rows again, which JetStream's duplicate window and the
		// workers' compare-and-set absorb. The plans are fixed as for the
		// batches: a generic plan cached while the outbox was small would
		// otherwise mark rows by scanning the whole table.
		b.Queue(machinePlans)
		b.Queue(`SELECT id, subject, payload, created_at FROM outbox
			WHERE sent_at IS NULL AND created_at <= now() - make_interval(secs => $2)
			ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit, grace.Seconds())
	}, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		rows, _ := br.Query()
		batch, err := pgx.CollectRows(rows, scanOutboxRow)
		if err != nil {
			return fmt.Errorf("error reading outbox: %w", err)
		}
		if len(batch) > 0 {
			sent, ferr = fn(batch)
		}
		return nil
	}, func(b *pgx.Batch) {
		// What was published is marked even when fn failed part-way.
		if len(sent) > 0 {
			queueMarkSent(b, sent)
		}
	})
	if err != nil {
		return 0, fmt.Errorf("error relaying the outbox: %w", err)
	}
	return len(sent), ferr
}

// MarkSent marks outbox rows sent that were published outside RelayOutbox
// (by an Announcer). Like the relay's marks it needs no WAL flush: a mark
// lost in a crash only sends those rows again.
func (s *Store) MarkSent(ctx context.Context, ids []int64) error {
	err := s.quickWrite(ctx, func(b *pgx.Batch) {
		b.Queue(machinePlans)
		queueMarkSent(b, ids)
	})
	if err != nil {
		return fmt.Errorf("error marking outbox rows sent: %w", err)
	}
	return nil
}

// queueMarkSent marks the rows ids sent; a row already marked keeps its
// first time.
func queueMarkSent(b *pgx.Batch, ids []int64) {
	b.Queue(`UPDATE outbox SET sent_at = now() WHERE id = ANY($1) AND sent_at IS NULL`, ids)
}

// OutboxLag is the age of the oldest unsent outbox row (0 when none).
func (s *Store) OutboxLag(ctx context.Context) (time.Duration, int64, error) {
	var oldest *time.Time
	var n int64
	// Through the partial index of unsent rows (batchPlans), not a scan of
	// the day of sent rows the outbox keeps.
	err := s.readTx(ctx, func(b *pgx.Batch) {
		b.Queue(batchPlans)
		b.Queue(`SELECT min(created_at), count(*) FROM outbox WHERE sent_at IS NULL`)
	}, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		return br.QueryRow().Scan(&oldest, &n)
	})
	if err != nil || oldest == nil {
		return 0, n, err
	}
	return time.Since(*oldest), n, nil
}

// PruneOutbox deletes sent rows older than keep; the audit trail, not the
// outbox, is the record of what happened.
func (s *Store) PruneOutbox(ctx context.Context, keep time.Duration) (int64, error) {
	ct, err := s.Pool.Exec(ctx, `DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => $1)`, keep.Seconds())
	if err != nil {
		return 0, fmt.Errorf("error pruning outbox: %w", err)
	}
	return ct.RowsAffected(), nil
}
