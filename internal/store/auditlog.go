package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
)

// appendEvent appends e to its chain, taking the chain's row lock until
// commit. Draft transitions lock the chain with the draft instead (lockDraft).
func appendEvent(ctx context.Context, tx pgx.Tx, e *audit.Event) error {
	var length int64
	var head []byte
	err := tx.QueryRow(ctx, `INSERT INTO audit_chains (chain) VALUES ($1)
		ON CONFLICT (chain) DO UPDATE SET chain = EXCLUDED.chain RETURNING length, head`, e.Chain).Scan(&length, &head)
	if err != nil {
		return fmt.Errorf("error locking audit chain %s: %w", e.Chain, err)
	}
	var set moveSet
	set.append(e, length, head)
	b := &pgx.Batch{}
	b.Queue(batchPlans)
	set.queue(b, nil) // an event alone: nothing to announce
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("error appending audit event: %w", err)
	}
	return nil
}

const eventColumns = `seq, chain, idx, COALESCE(draft_id, 0), COALESCE(actor_id, 0), actor, role, stage, action, revision,
	content_sha256, reason, comment, at, prev_hash, hash, COALESCE(agency_id, 0)`

func scanEvent(r pgx.Row) (audit.Event, error) {
	var e audit.Event
	err := r.Scan(&e.Seq, &e.Chain, &e.Index, &e.DraftID, &e.ActorID, &e.Actor, &e.Role, &e.Stage, &e.Action,
		&e.Revision, &e.ContentSHA256, &e.Reason, &e.Comment, &e.At, &e.PrevHash, &e.Hash, &e.AgencyID)
	e.At = e.At.UTC()
	return e, err
}

// DraftEvents returns a draft's audit events in chain order.
func (s *Store) DraftEvents(ctx context.Context, draftID int64) ([]audit.Event, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE chain = $1 ORDER BY idx`, audit.DraftChain(draftID))
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Event, error) { return scanEvent(r) })
	if err != nil {
		return nil, fmt.Errorf("error reading audit events: %w", err)
	}
	return evs, nil
}

// VerifyChain verifies one chain (a draft's), against its recorded head.
func (s *Store) VerifyChain(ctx context.Context, chain string) (audit.Result, error) {
	v := audit.NewVerifier()
	rows, _ := s.Pool.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE chain = $1 ORDER BY seq`, chain)
	if err := feed(rows, v); err != nil {
		return audit.Result{}, err
	}
	heads, err := s.heads(ctx, chain)
	if err != nil {
		return audit.Result{}, err
	}
	v.CheckHeads(heads)
	return v.Result(), nil
}

// VerifyAll verifies every chain, streaming the events in global order.
func (s *Store) VerifyAll(ctx context.Context) (audit.Result, error) {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return audit.Result{}, fmt.Errorf("error starting verification: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	v := audit.NewVerifier()
	rows, _ := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events ORDER BY seq`)
	if err := feed(rows, v); err != nil {
		return audit.Result{}, err
	}
	heads, err := queryHeads(ctx, tx, "")
	if err != nil {
		return audit.Result{}, err
	}
	v.CheckHeads(heads)
	return v.Result(), nil
}

// VerifyAgency verifies every chain of one agency: its drafts' chains and
// its own (agency/ID), each whole, streaming in global order. The default
// agency's also include the system chain, which held its events before
// agencies existed.
func (s *Store) VerifyAgency(ctx context.Context, agencyID int64) (audit.Result, error) {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return audit.Result{}, fmt.Errorf("error starting verification: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	const chains = `(SELECT 'draft/' || id FROM drafts WHERE agency_id = $1
		UNION ALL SELECT 'agency/' || $1 UNION ALL SELECT 'system' WHERE $1 = 1)`
	v := audit.NewVerifier()
	rows, _ := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE chain IN `+chains+` ORDER BY seq`, agencyID)
	if err := feed(rows, v); err != nil {
		return audit.Result{}, err
	}
	rows, _ = tx.Query(ctx, `SELECT chain, length, head FROM audit_chains WHERE chain IN `+chains+` AND length > 0`, agencyID)
	heads, err := pgx.CollectRows(rows, scanHead)
	if err != nil {
		return audit.Result{}, fmt.Errorf("error reading audit chain heads: %w", err)
	}
	v.CheckHeads(heads)
	return v.Result(), nil
}

func feed(rows pgx.Rows, v *audit.Verifier) error {
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fmt.Errorf("error reading audit events: %w", err)
		}
		v.Add(&e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error reading audit events: %w", err)
	}
	return nil
}

func (s *Store) heads(ctx context.Context, chain string) ([]audit.Head, error) {
	return queryHeads(ctx, s.Pool, chain)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func scanHead(r pgx.CollectableRow) (audit.Head, error) {
	var h audit.Head
	return h, r.Scan(&h.Chain, &h.Length, &h.Hash)
}

// queryHeads reads the recorded chain heads; chain "" means all of them.
func queryHeads(ctx context.Context, q querier, chain string) ([]audit.Head, error) {
	rows, _ := q.Query(ctx, `SELECT chain, length, head FROM audit_chains WHERE ($1 = '' OR chain = $1) AND length > 0`, chain)
	hs, err := pgx.CollectRows(rows, scanHead)
	if err != nil {
		return nil, fmt.Errorf("error reading audit chain heads: %w", err)
	}
	return hs, nil
}

// MakeCheckpoint records and signs the state of every chain now. The
// returned checkpoint is what an operator exports and keeps elsewhere.
func (s *Store) MakeCheckpoint(ctx context.Context, key ed25519.PrivateKey) (audit.Checkpoint, error) {
	var cp audit.Checkpoint
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		heads, err := queryHeads(ctx, tx, "")
		if err != nil {
			return err
		}
		cp.Heads = heads
		cp.Chains = int64(len(heads))
		for _, h := range heads {
			cp.Events += h.Length
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(seq), 0) FROM audit_events`).Scan(&cp.UptoSeq); err != nil {
			return fmt.Errorf("error reading audit sequence: %w", err)
		}
		cp.At = time.Now().UTC().Truncate(time.Microsecond)
		cp.Sign(key)
		_, err = tx.Exec(ctx, `INSERT INTO audit_checkpoints (upto_seq, chains, events, digest, signature, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			cp.UptoSeq, cp.Chains, cp.Events, cp.Digest, cp.Signature, cp.At)
		return err
	})
	if err != nil {
		return cp, fmt.Errorf("error making audit checkpoint: %w", err)
	}
	return cp, nil
}

// CheckAgainst verifies that every chain head a checkpoint recorded is still
// in the trail, unchanged, at its position: nothing up to the checkpoint was
// removed or rewritten since, even together with the chain heads.
func (s *Store) CheckAgainst(ctx context.Context, cp audit.Checkpoint) ([]audit.Break, error) {
	var breaks []audit.Break
	for _, h := range cp.Heads {
		var hash []byte
		err := s.Pool.QueryRow(ctx, `SELECT hash FROM audit_events WHERE chain = $1 AND idx = $2`, h.Chain, h.Length).Scan(&hash)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			breaks = append(breaks, audit.Break{Chain: h.Chain, Index: h.Length, Problem: "event recorded in the checkpoint is missing"})
		case err != nil:
			return nil, fmt.Errorf("error checking checkpoint: %w", err)
		case string(hash) != string(h.Hash):
			breaks = append(breaks, audit.Break{Chain: h.Chain, Index: h.Length, Problem: "event differs from the one the checkpoint recorded"})
		}
	}
	return breaks, nil
}
