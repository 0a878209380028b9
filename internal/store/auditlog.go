package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
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
	return s.ChainEvents(ctx, audit.DraftChain(draftID))
}

// ChainEvents returns a chain's audit events in chain order.
func (s *Store) ChainEvents(ctx context.Context, chain string) ([]audit.Event, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE chain = $1 ORDER BY idx`, chain)
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Event, error) { return scanEvent(r) })
	if err != nil {
		return nil, fmt.Errorf("error reading audit events: %w", err)
	}
	return evs, nil
}

// LastEvent is a draft's latest audit event with the given action, or
// ErrNotFound.
func (s *Store) LastEvent(ctx context.Context, draftID int64, action string) (audit.Event, error) {
	e, err := scanEvent(s.Pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE chain = $1 AND action = $2
		ORDER BY idx DESC LIMIT 1`, audit.DraftChain(draftID), action))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("error reading audit events: %w", err)
	}
	return e, nil
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

// LogCheck is what a whole verification holds the transparency log to.
type LogCheck struct {
	// VerifierKey is the log's public key (audit.LogKey.VerifierKey); with
	// it every stored head's signature is checked, without it only their
	// roots. A head held outside is refused without it.
	VerifierKey string
	// Held are signed heads kept outside the database (a file, a witness):
	// the log must still be the one they signed.
	Held [][]byte
	// Skew is the clock-skew tolerance (0: audit.DefaultSkew).
	Skew time.Duration
}

// VerifyAll verifies the whole trail against s.Log (see Verify).
func (s *Store) VerifyAll(ctx context.Context) (audit.Result, error) {
	return s.Verify(ctx, s.Log)
}

// Verify checks everything the trail promises, in one snapshot:
//   - every chain, event by event (hashes, links, times within the skew),
//     against its recorded head;
//   - every draft has its chain, with an event for each revision and
//     decision its rows record;
//   - every event is in the transparency log or waiting for it, and the
//     log, recomputed from the events, matches every stored signed head and
//     every head held outside; no event joined after the newest head is
//     dated before it (beyond the skew).
func (s *Store) Verify(ctx context.Context, c LogCheck) (audit.Result, error) {
	if len(c.Held) > 0 && c.VerifierKey == "" {
		return audit.Result{}, errors.New("a head held outside can only be checked with the log's public key: configure it")
	}
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return audit.Result{}, fmt.Errorf("error starting verification: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	v := audit.NewVerifier()
	if c.Skew > 0 {
		v.Skew = c.Skew
	}
	rows, _ := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events ORDER BY seq`)
	if err := feed(rows, v); err != nil {
		return audit.Result{}, err
	}
	heads, err := queryHeads(ctx, tx, "")
	if err != nil {
		return audit.Result{}, err
	}
	v.CheckHeads(heads)
	if err := checkDraftChains(ctx, tx, v); err != nil {
		return audit.Result{}, err
	}
	log, err := checkLog(ctx, tx, v, c)
	if err != nil {
		return audit.Result{}, err
	}
	res := v.Result()
	res.Log = log
	return res, nil
}

// checkDraftChains finds drafts whose chain is gone, and rows (revisions,
// decisions) with no event in it.
func checkDraftChains(ctx context.Context, tx pgx.Tx, v *audit.Verifier) error {
	rows, _ := tx.Query(ctx, `SELECT 'draft/' || d.id, 0::bigint, 'the draft exists but its chain is gone'
		FROM drafts d WHERE NOT EXISTS (SELECT 1 FROM audit_chains c WHERE c.chain = 'draft/' || d.id AND c.length > 0)
		UNION ALL
		SELECT 'draft/' || r.draft_id, r.revision::bigint, 'revision ' || r.revision || ' has no submit, revise, correct or save event in the chain'
		FROM revisions r WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.chain = 'draft/' || r.draft_id
			AND e.revision = r.revision AND e.action IN ('submit', 'revise', 'correct', 'save'))
		UNION ALL
		SELECT 'draft/' || x.draft_id, x.revision::bigint, 'the ' || x.stage || ' ' || x.decision || ' of revision ' || x.revision || ' has no event in the chain'
		FROM decisions x WHERE NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.chain = 'draft/' || x.draft_id
			AND e.revision = x.revision AND e.stage = x.stage AND e.action = x.decision)
		LIMIT 100`)
	var chain, problem string
	var rev int64
	_, err := pgx.ForEachRow(rows, []any{&chain, &rev, &problem}, func() error {
		v.Fail(audit.Break{Chain: chain, Problem: problem})
		return nil
	})
	if err != nil {
		return fmt.Errorf("error checking the drafts' chains: %w", err)
	}
	return nil
}

// checkLog recomputes the transparency log from the events, in leaf order,
// and holds it to the stored and the held heads.
func checkLog(ctx context.Context, tx pgx.Tx, v *audit.Verifier, c LogCheck) (*audit.LogResult, error) {
	// The heads to hold the log to, by size: stored, then held outside.
	type want struct {
		what string
		head audit.TreeHead
	}
	wants := map[int64][]want{}
	rows, _ := tx.Query(ctx, `SELECT size, root, at, note FROM audit_heads ORDER BY size`)
	var lastAt time.Time
	var lastSize int64
	nHeads := 0
	var size int64
	var root []byte
	var at time.Time
	var note string
	if _, err := pgx.ForEachRow(rows, []any{&size, &root, &at, &note}, func() error {
		nHeads++
		h := audit.TreeHead{Size: size, Time: at}
		copy(h.Root[:], root)
		if c.VerifierKey != "" {
			opened, err := audit.OpenHead([]byte(note), c.VerifierKey)
			if err != nil {
				v.Fail(audit.Break{Chain: "log", Index: size, Problem: "stored head of size " + fmt.Sprint(size) + ": " + err.Error()})
				return nil
			}
			if opened.Size != size || opened.Root != h.Root {
				v.Fail(audit.Break{Chain: "log", Index: size, Problem: "stored head's columns differ from what its note signs"})
			}
			h = opened
		}
		wants[h.Size] = append(wants[h.Size], want{"the stored head", h})
		lastAt, lastSize = at, size
		return nil
	}); err != nil {
		return nil, fmt.Errorf("error reading tree heads: %w", err)
	}
	rs, err := restores(ctx, tx, v, c.VerifierKey)
	if err != nil {
		return nil, err
	}
held:
	for _, msg := range c.Held {
		h, err := audit.OpenHead(msg, c.VerifierKey)
		if err != nil {
			v.Fail(audit.Break{Chain: "log", Problem: "a head held outside: " + err.Error()})
			continue
		}
		nHeads++
		// A head published before a restore, beyond what the backup held:
		// its leaves are lost, as the restore head declares. The one it
		// names must be this very head.
		for _, r := range rs {
			if h.Size > r.From && h.Size <= r.Published.Size && !h.Time.After(r.Time) {
				if h.Size == r.Published.Size && h.Root != r.Published.Root {
					v.Fail(audit.Break{Chain: "log", Index: h.Size, Problem: fmt.Sprintf(
						"the head held outside of size %d differs from the last published head the restore of %s names", h.Size, r.Time.Format(time.RFC3339))})
				}
				continue held
			}
		}
		wants[h.Size] = append(wants[h.Size], want{"the head held outside", h})
	}
	var b audit.TreeBuilder
	check := func() {
		for _, w := range wants[b.Size()] {
			if b.Root() != w.head.Root {
				v.Fail(audit.Break{Chain: "log", Index: b.Size(), Problem: fmt.Sprintf(
					"the log recomputed from the events differs from %s of size %d: events were changed, removed or rewritten", w.what, b.Size())})
			}
		}
		delete(wants, b.Size())
	}
	check() // a head of size 0
	rows, _ = tx.Query(ctx, `SELECT l.idx, l.seq, l.hash, e.hash, e.at, COALESCE(e.chain, ''), COALESCE(e.idx, 0)
		FROM audit_leaves l LEFT JOIN audit_events e ON e.seq = l.seq ORDER BY l.idx`)
	var idx, seq, evIdx int64
	var leafHash, evHash []byte
	var evAt *time.Time
	var chain string
	if _, err := pgx.ForEachRow(rows, []any{&idx, &seq, &leafHash, &evHash, &evAt, &chain, &evIdx}, func() error {
		if idx != b.Size() {
			v.Fail(audit.Break{Chain: "log", Index: b.Size(), Problem: fmt.Sprintf("leaves %d to %d are missing", b.Size(), idx-1)})
			for b.Size() < idx { // carry on: the roots will not match
				b.Add(audit.LeafHash(nil))
			}
		}
		if evHash == nil {
			v.Fail(audit.Break{Seq: seq, Chain: "log", Index: idx, Problem: "the event of this leaf is gone"})
			b.Add(audit.LeafHash(nil))
		} else {
			leaf := audit.LeafHash(evHash)
			if !audit.SameHash(leafHash, leaf) {
				v.Fail(audit.Break{Seq: seq, Chain: chain, Index: evIdx, Problem: fmt.Sprintf("the event differs from the one that joined the log as leaf %d", idx)})
			}
			if idx >= lastSize && nHeads > 0 && evAt != nil && evAt.Before(lastAt.Add(-v.Skew)) {
				v.Fail(audit.Break{Seq: seq, Chain: chain, Index: evIdx, Problem: fmt.Sprintf(
					"joined the log after the head of %s but is dated %s: back-dated", lastAt.UTC().Format(time.RFC3339), evAt.UTC().Format(time.RFC3339))})
			}
			b.Add(leaf)
		}
		check()
		return nil
	}); err != nil {
		return nil, fmt.Errorf("error reading the log: %w", err)
	}
	for size, ws := range wants {
		for _, w := range ws {
			v.Fail(audit.Break{Chain: "log", Index: size, Problem: fmt.Sprintf(
				"the log has %d leaves but %s has %d: it was truncated", b.Size(), w.what, size)})
		}
	}
	rows, _ = tx.Query(ctx, `SELECT e.seq, e.chain, e.idx FROM audit_events e
		WHERE NOT EXISTS (SELECT 1 FROM audit_leaves l WHERE l.seq = e.seq)
		  AND NOT EXISTS (SELECT 1 FROM audit_unsequenced u WHERE u.seq = e.seq) LIMIT 100`)
	if _, err := pgx.ForEachRow(rows, []any{&seq, &chain, &evIdx}, func() error {
		v.Fail(audit.Break{Seq: seq, Chain: chain, Index: evIdx, Problem: "the event is neither in the log nor waiting for it: inserted outside sanshen"})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("error checking events against the log: %w", err)
	}
	r := b.Root()
	res := &audit.LogResult{Size: b.Size(), Root: base64.StdEncoding.EncodeToString(r[:]), Heads: nHeads}
	for _, x := range rs {
		res.Restores = append(res.Restores, audit.Restore{LostFrom: x.LostFrom(), LostTo: x.LostTo(), PublishedRoot: x.Published.RootBase64(), At: x.Time})
	}
	return res, nil
}

// VerifyAgency verifies every chain of one agency: its drafts' chains, its
// applications' and its own (agency/ID), each whole, streaming in global order. The default
// agency's also include the system chain, which held its events before
// agencies existed.
func (s *Store) VerifyAgency(ctx context.Context, agencyID int64) (audit.Result, error) {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return audit.Result{}, fmt.Errorf("error starting verification: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	const chains = `(SELECT 'draft/' || id FROM drafts WHERE agency_id = $1
		UNION ALL SELECT 'application/' || id FROM applications WHERE agency_id = $1
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

// CheckAgainst verifies, for a checkpoint of the chain heads exported by a
// sanshen from before the transparency log, that every chain head it
// recorded is still in the trail, unchanged, at its position: nothing up to the checkpoint was
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

// EventFilter picks an agency's audit events for the event browser.
type EventFilter struct {
	AgencyID     int64
	From, To     time.Time // [From, To); zero: open
	Actor        string    // the person's name, exactly
	Action       string    // the action, or its prefix ending in ':' (denied:)
	DepartmentID int64     // the draft's department
	DraftID      int64
	Before       int64 // events before this seq (the next page); 0: the newest
	Limit        int
}

// Events lists the agency's audit events that pass f, the newest first.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]audit.Event, error) {
	q := `SELECT ` + eventColumns + ` FROM audit_events e WHERE e.agency_id = $1`
	args := []any{f.AgencyID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND "+cond, len(args))
	}
	if !f.From.IsZero() {
		add("e.at >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("e.at < $%d", f.To)
	}
	if f.Actor != "" {
		add("e.actor = $%d", f.Actor)
	}
	if strings.HasSuffix(f.Action, ":") {
		add("starts_with(e.action, $%d)", f.Action)
	} else if f.Action != "" {
		add("e.action = $%d", f.Action)
	}
	if f.DraftID > 0 {
		add("e.draft_id = $%d", f.DraftID)
	}
	if f.DepartmentID > 0 {
		add("e.draft_id IN (SELECT id FROM drafts WHERE department_id = $%d)", f.DepartmentID)
	}
	if f.Before > 0 {
		add("e.seq < $%d", f.Before)
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY e.seq DESC LIMIT $%d", len(args))
	rows, _ := s.Pool.Query(ctx, q, args...)
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Event, error) { return scanEvent(r) })
	if err != nil {
		return nil, fmt.Errorf("error reading audit events: %w", err)
	}
	return evs, nil
}
