package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
)

// RecordRestore declares, after a restore from a backup, what the log
// lost: published is the last signed head published before the restore
// (kept outside: a witness's copy, the checkpoint file of the weekly
// routine). If the restored log is shorter, a restore head naming its size
// and that head is signed with the log's key and stored; the log goes on
// from the restored size, and verification reports the leaves in between
// as lost instead of a fork. Run it as the owner, before the relay starts
// again. A restored log that already covers the head lost nothing: that is
// an error saying so.
func (s *Store) RecordRestore(ctx context.Context, key audit.LogKey, published []byte, now time.Time) (audit.RestoreHead, error) {
	h, err := audit.OpenHead(published, key.VerifierKey)
	if err != nil {
		return audit.RestoreHead{}, fmt.Errorf("the last published head: %w", err)
	}
	var r audit.RestoreHead
	err = s.tx(ctx, func(tx pgx.Tx) error {
		// The sequencer waits: the restored size is the log's as restored.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, sequencerLock); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM audit_leaves`).Scan(&n); err != nil {
			return err
		}
		var declared bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_restores WHERE published_size = $1 AND published_root = $2)`,
			h.Size, h.Root[:]).Scan(&declared); err != nil {
			return err
		}
		if declared {
			return fmt.Errorf("a restore head already names the published head of size %d", h.Size)
		}
		if h.Size <= n {
			return fmt.Errorf("the restored log has %d leaves and covers the published head of size %d: nothing was lost (sanshen audit verify --checkpoint checks it)", n, h.Size)
		}
		r = audit.RestoreHead{Origin: h.Origin, From: n, Published: h, Time: now.UTC().Truncate(time.Second)}
		msg, err := key.SignRestore(r)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_restores (restored_size, published_size, published_root, at, note)
			VALUES ($1, $2, $3, $4, $5)`, r.From, h.Size, h.Root[:], r.Time, string(msg))
		return err
	})
	if err != nil {
		return r, fmt.Errorf("error recording the restore: %w", err)
	}
	return r, nil
}

// restores reads the restore heads, checked against the log's key when it
// is known; one that does not open is a break.
func restores(ctx context.Context, tx pgx.Tx, v *audit.Verifier, verifierKey string) ([]audit.RestoreHead, error) {
	rows, _ := tx.Query(ctx, `SELECT restored_size, published_size, published_root, at, note FROM audit_restores ORDER BY id`)
	var out []audit.RestoreHead
	var from, size int64
	var root []byte
	var at time.Time
	var note string
	_, err := pgx.ForEachRow(rows, []any{&from, &size, &root, &at, &note}, func() error {
		r := audit.RestoreHead{From: from, Published: audit.TreeHead{Size: size}, Time: at}
		copy(r.Published.Root[:], root)
		if verifierKey != "" {
			opened, err := audit.OpenRestore([]byte(note), verifierKey)
			if err != nil {
				v.Fail(audit.Break{Chain: "log", Index: from, Problem: "restore head: " + err.Error()})
				return nil
			}
			if opened.From != from || opened.Published.Size != size || opened.Published.Root != r.Published.Root {
				v.Fail(audit.Break{Chain: "log", Index: from, Problem: "restore head's columns differ from what its note signs"})
			}
			r = opened
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error reading restore heads: %w", err)
	}
	return out, nil
}
