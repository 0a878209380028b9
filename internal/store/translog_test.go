package store_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strconv"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func logKey(t *testing.T) audit.LogKey {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(nil)
	k, err := audit.NewLogKey("test.example/audit", key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func count(t *testing.T, s *store.Store, q string) int64 {
	t.Helper()
	var n int64
	if err := s.Pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// The sequencer gives every committed event a leaf, in commit order: an
// event whose sequence number was taken first but committed last is not
// skipped, it comes later. Signed heads cover exactly the leaves below their
// size, and proofs check out.
func TestTransparencyLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	admin := domain.Actor{Name: "测试管理员", AgencyID: store.DefaultAgency, Roles: []domain.Role{domain.RoleAdmin}}
	key := logKey(t)

	// An event whose transaction is still open...
	slow, err := s.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx) //nolint:errcheck
	var slowSeq int64
	if err := slow.QueryRow(ctx, `WITH ev AS (INSERT INTO audit_events (chain, idx, actor, role, action, at, hash)
		VALUES ('slow', 1, 'x', 'admin', 'test', now(), '\x00') RETURNING seq)
		INSERT INTO audit_unsequenced (seq) SELECT seq FROM ev RETURNING seq`).Scan(&slowSeq); err != nil {
		t.Fatal(err)
	}
	// ...while others commit after it.
	if _, err := s.AddDepartment(ctx, admin, "综合办"); err != nil {
		t.Fatal(err)
	}
	n, err := s.Sequence(ctx, 100)
	if err != nil || n != 1 {
		t.Fatalf("sequenced %d, %v; want the one committed event", n, err)
	}
	h1, signed, err := s.SignHead(ctx, key, "test.example/audit", 1, time.Minute, time.Now())
	if err != nil || !signed || h1.Size != 1 {
		t.Fatalf("first head %+v signed %v err %v", h1, signed, err)
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDepartment(ctx, admin, "执法队"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Sequence(ctx, 100); err != nil || n != 2 {
		t.Fatalf("sequenced %d, %v; want the slow event and the new one", n, err)
	}
	if got := count(t, s, `SELECT idx FROM audit_leaves WHERE seq = `+strconv.FormatInt(slowSeq, 10)); got != 1 {
		t.Errorf("the slow event is leaf %d, want 1 (after the one that committed first)", got)
	}
	if count(t, s, `SELECT count(*) FROM audit_unsequenced`) != 0 {
		t.Error("events left unsequenced")
	}
	// Not due: one new leaf, under the minimum, within the interval.
	if _, signed, _ := s.SignHead(ctx, key, "test.example/audit", 10, time.Minute, time.Now()); signed {
		t.Error("a head signed before it was due")
	}
	h2, signed, err := s.SignHead(ctx, key, "test.example/audit", 2, time.Minute, time.Now())
	if err != nil || !signed || h2.Size != 3 {
		t.Fatalf("second head %+v %v %v", h2, signed, err)
	}
	latest, err := s.LatestHead(ctx)
	if err != nil || latest.Size != 3 {
		t.Fatalf("latest head %+v %v", latest, err)
	}
	opened, err := audit.OpenHead([]byte(latest.Note), key.VerifierKey)
	if err != nil || opened.Root != h2.Root || opened.Size != 3 {
		t.Fatalf("the stored head does not open with the log's key: %+v %v", opened, err)
	}

	// Inclusion of the slow event in the latest head, and consistency of
	// the two heads, as an inspector checks them.
	p, err := s.ProveInclusion(ctx, slowSeq, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var proof tlog.RecordProof
	for _, x := range p.Proof {
		var h tlog.Hash
		copy(h[:], x)
		proof = append(proof, h)
	}
	var leaf tlog.Hash
	copy(leaf[:], p.Hash)
	if err := tlog.CheckRecord(proof, p.Size, h2.Root, p.Leaf, leaf); err != nil {
		t.Errorf("inclusion proof: %v", err)
	}
	from, to, tp, err := s.ProveConsistency(ctx, h1.Size, h2.Size)
	if err != nil || from != h1.Root || to != h2.Root {
		t.Fatalf("consistency: %v", err)
	}
	if err := tlog.CheckTree(tp, h2.Size, h2.Root, h1.Size, h1.Root); err != nil {
		t.Errorf("consistency proof: %v", err)
	}
	if _, err := s.ProveInclusion(ctx, slowSeq, 1, 0); err == nil {
		t.Error("an event proved in a head from before it was sequenced")
	}
	// An agency's auditor proves only its own agency's events.
	var own int64
	if err := s.Pool.QueryRow(ctx, `SELECT max(seq) FROM audit_events WHERE agency_id = $1`, store.DefaultAgency).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProveInclusion(ctx, own, 0, store.DefaultAgency); err != nil {
		t.Errorf("its own agency's event: %v", err)
	}
	if _, err := s.ProveInclusion(ctx, own, 0, store.DefaultAgency+1); !errors.Is(err, store.ErrNotInLog) {
		t.Errorf("another agency's event: %v, want ErrNotInLog", err)
	}
	if _, err := s.ProveInclusion(ctx, slowSeq, 0, store.DefaultAgency); !errors.Is(err, store.ErrNotInLog) {
		t.Errorf("an event of no agency, for an agency: %v, want ErrNotInLog", err)
	}
}
