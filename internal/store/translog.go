package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sanshen-gov/sanshen/internal/audit"
)

// hashReader reads the log's stored hashes (a tlog.HashReader), from the
// database and from the hashes a sequencing transaction has computed but
// not yet written.
type hashReader struct {
	ctx     context.Context
	q       pgx.Tx
	pending map[int64]tlog.Hash
}

func (r *hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for i, x := range indexes {
		if h, ok := r.pending[x]; ok {
			out[i] = h
		} else {
			missing = append(missing, x)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, _ := r.q.Query(r.ctx, `SELECT idx, hash FROM audit_tree_hashes WHERE idx = ANY($1)`, missing)
	got := map[int64]tlog.Hash{}
	var idx int64
	var hash []byte
	if _, err := pgx.ForEachRow(rows, []any{&idx, &hash}, func() error {
		var h tlog.Hash
		copy(h[:], hash)
		got[idx] = h
		return nil
	}); err != nil {
		return nil, fmt.Errorf("error reading the log's hashes: %w", err)
	}
	for i, x := range indexes {
		if _, ok := r.pending[x]; ok {
			continue
		}
		h, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("the log's stored hash %d is missing", x)
		}
		out[i] = h
	}
	return out, nil
}

// sequencerLock makes one sequencer at a time: its transaction holds it.
const sequencerLock = 7260016

// Sequence gives up to limit events waiting in audit_unsequenced their
// leaves, in one transaction, and reports how many. Only committed events
// are seen, in seq order among them; one sequencer runs at a time (a
// replica that finds another at work returns 0). It runs off the hot path:
// the relay calls it every second.
func (s *Store) Sequence(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, sequencerLock).Scan(&locked); err != nil || !locked {
			return err
		}
		var size int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM audit_leaves`).Scan(&size); err != nil {
			return fmt.Errorf("error reading the log's size: %w", err)
		}
		rows, _ := tx.Query(ctx, `SELECT u.seq, e.hash FROM audit_unsequenced u JOIN audit_events e ON e.seq = u.seq
			ORDER BY u.seq LIMIT $1`, limit)
		var seqs []int64
		var evHashes [][]byte
		var seq int64
		var h []byte
		if _, err := pgx.ForEachRow(rows, []any{&seq, &h}, func() error {
			seqs, evHashes = append(seqs, seq), append(evHashes, append([]byte(nil), h...))
			return nil
		}); err != nil {
			return fmt.Errorf("error reading events to sequence: %w", err)
		}
		if len(seqs) == 0 {
			return nil
		}
		r := &hashReader{ctx: ctx, q: tx, pending: map[int64]tlog.Hash{}}
		leafIdx := make([]int64, len(seqs))
		leafHash := make([][]byte, len(seqs))
		var hashIdx []int64
		var hashes [][]byte
		for i := range seqs {
			leaf := size + int64(i)
			lh := audit.LeafHash(evHashes[i])
			stored, err := tlog.StoredHashesForRecordHash(leaf, lh, r)
			if err != nil {
				return fmt.Errorf("error computing the log's hashes: %w", err)
			}
			first := tlog.StoredHashIndex(0, leaf)
			for k, sh := range stored {
				r.pending[first+int64(k)] = sh
				hashIdx, hashes = append(hashIdx, first+int64(k)), append(hashes, sh[:])
			}
			leafIdx[i], leafHash[i] = leaf, lh[:]
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO audit_leaves (idx, seq, hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])`, leafIdx, seqs, leafHash)
		b.Queue(`INSERT INTO audit_tree_hashes (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])`, hashIdx, hashes)
		b.Queue(`DELETE FROM audit_unsequenced WHERE seq = ANY($1)`, seqs)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("error writing the log's leaves: %w", err)
		}
		n = len(seqs)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("error sequencing audit events: %w", err)
	}
	return n, nil
}

// StoredHead is a signed tree head as kept and published.
type StoredHead struct {
	audit.TreeHead
	Note string `json:"note"` // the signed checkpoint
}

// LatestHead is the newest signed head, or ErrNotFound before the first.
func (s *Store) LatestHead(ctx context.Context) (StoredHead, error) {
	hs, err := s.Heads(ctx, 1)
	if err != nil {
		return StoredHead{}, err
	}
	if len(hs) == 0 {
		return StoredHead{}, fmt.Errorf("no signed tree head yet: %w", ErrNotFound)
	}
	return hs[0], nil
}

// Heads lists up to limit signed heads, newest first.
func (s *Store) Heads(ctx context.Context, limit int) ([]StoredHead, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT size, root, at, note FROM audit_heads ORDER BY size DESC LIMIT $1`, limit)
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (StoredHead, error) {
		var h StoredHead
		var root []byte
		err := r.Scan(&h.Size, &root, &h.Time, &h.Note)
		copy(h.Root[:], root)
		h.Time = h.Time.UTC()
		if p, perr := audit.ParseHead(firstBlock(h.Note)); perr == nil {
			h.Origin = p.Origin
		}
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("error reading tree heads: %w", err)
	}
	return hs, nil
}

// firstBlock is a note's text, before the blank line and its signatures.
func firstBlock(note string) string {
	for i := 0; i+1 < len(note); i++ {
		if note[i] == '\n' && note[i+1] == '\n' {
			return note[:i+1]
		}
	}
	return note
}

// SignHead signs and stores a head of the log as it now is, when it has
// grown since the last head by minLeaves, or at all and every has passed
// since; it reports whether it signed one.
func (s *Store) SignHead(ctx context.Context, key audit.LogKey, origin string, minLeaves int64, every time.Duration, now time.Time) (StoredHead, bool, error) {
	var head StoredHead
	signed := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, sequencerLock).Scan(&locked); err != nil || !locked {
			return err
		}
		var size, lastSize int64
		var lastAt *time.Time
		if err := tx.QueryRow(ctx, `SELECT (SELECT COALESCE(max(idx) + 1, 0) FROM audit_leaves),
			(SELECT COALESCE(max(size), 0) FROM audit_heads), (SELECT max(at) FROM audit_heads)`).Scan(&size, &lastSize, &lastAt); err != nil {
			return fmt.Errorf("error reading the log's size: %w", err)
		}
		grown := size - lastSize
		if grown <= 0 || (grown < minLeaves && lastAt != nil && now.Sub(*lastAt) < every) {
			return nil
		}
		root, err := tlog.TreeHash(size, &hashReader{ctx: ctx, q: tx})
		if err != nil {
			return fmt.Errorf("error computing the log's root: %w", err)
		}
		head.TreeHead = audit.TreeHead{Origin: origin, Size: size, Root: root, Time: now.UTC().Truncate(time.Second)}
		msg, err := key.SignHead(head.TreeHead)
		if err != nil {
			return fmt.Errorf("error signing the tree head: %w", err)
		}
		head.Note = string(msg)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_heads (size, root, at, note) VALUES ($1, $2, $3, $4)`, size, root[:], head.Time, head.Note); err != nil {
			return fmt.Errorf("error storing the tree head: %w", err)
		}
		signed = true
		return nil
	})
	return head, signed, err
}

// InclusionProof proves that the event seq is the log's leaf, in the tree
// of size size: tlog.CheckRecord(Proof, Size, Root, Leaf, Hash).
type InclusionProof struct {
	Seq   int64    `json:"seq"`
	Leaf  int64    `json:"leaf"`
	Size  int64    `json:"size"`
	Hash  []byte   `json:"leaf_hash"`
	Root  []byte   `json:"root"`
	Proof [][]byte `json:"proof"`
}

// ErrNotInLog means the event is not (yet) in the tree of the size asked.
var ErrNotInLog = errors.New("the event is not in the log at that size (it may not be sequenced yet)")

// ProveInclusion makes the inclusion proof of event seq in the tree of size
// size (0: the latest signed head's size). With agencyID other than 0, an
// event of another agency (or of the platform) is not found, as if it were
// not in the log: an agency's auditors prove their own agency's events.
func (s *Store) ProveInclusion(ctx context.Context, seq, size, agencyID int64) (InclusionProof, error) {
	p := InclusionProof{Seq: seq, Size: size}
	err := s.readOnly(ctx, func(tx pgx.Tx) error {
		if p.Size == 0 {
			if err := tx.QueryRow(ctx, `SELECT COALESCE(max(size), 0) FROM audit_heads`).Scan(&p.Size); err != nil {
				return err
			}
		}
		err := tx.QueryRow(ctx, `SELECT l.idx, l.hash FROM audit_leaves l JOIN audit_events e ON e.seq = l.seq
			WHERE l.seq = $1 AND ($2 = 0 OR e.agency_id = $2)`, seq, agencyID).Scan(&p.Leaf, &p.Hash)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && p.Leaf >= p.Size {
			return fmt.Errorf("event %d: %w", seq, ErrNotInLog)
		}
		if err != nil {
			return err
		}
		r := &hashReader{ctx: ctx, q: tx}
		root, err := tlog.TreeHash(p.Size, r)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(p.Size, p.Leaf, r)
		if err != nil {
			return err
		}
		p.Root = root[:]
		for _, h := range proof {
			p.Proof = append(p.Proof, append([]byte(nil), h[:]...))
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("error proving inclusion: %w", err)
	}
	return p, nil
}

// ProveConsistency proves that the tree of size to extends the tree of size
// from: both roots and the proof.
func (s *Store) ProveConsistency(ctx context.Context, from, to int64) (fromRoot, toRoot tlog.Hash, proof tlog.TreeProof, err error) {
	err = s.readOnly(ctx, func(tx pgx.Tx) error {
		var size int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(idx) + 1, 0) FROM audit_leaves`).Scan(&size); err != nil {
			return err
		}
		if from < 0 || from > to || to > size {
			return fmt.Errorf("sizes %d and %d: the log has %d leaves: %w", from, to, size, ErrNotInLog)
		}
		r := &hashReader{ctx: ctx, q: tx}
		var err error
		if fromRoot, err = tlog.TreeHash(from, r); err != nil {
			return err
		}
		if toRoot, err = tlog.TreeHash(to, r); err != nil {
			return err
		}
		proof, err = tlog.ProveTree(to, from, r)
		return err
	})
	if err != nil {
		err = fmt.Errorf("error proving consistency: %w", err)
	}
	return fromRoot, toRoot, proof, err
}

// readOnly runs fn in a read-only snapshot.
func (s *Store) readOnly(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}
