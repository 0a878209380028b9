package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// logged is a trail whose events are all in the log under a signed head,
// verified with the log's key.
func logged(t *testing.T) (*store.Store, int64, audit.LogKey, store.StoredHead) {
	t.Helper()
	ctx := context.Background()
	s, id := trail(t)
	key := logKey(t)
	s.Log = store.LogCheck{VerifierKey: key.VerifierKey}
	if _, err := s.Sequence(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	h, signed, err := s.SignHead(ctx, key, "test.example/audit", 1, time.Minute, time.Now())
	if err != nil || !signed {
		t.Fatalf("head: %v %v", signed, err)
	}
	if res, err := s.VerifyAll(ctx); err != nil || !res.OK || res.Log == nil || res.Log.Size != 6 || res.Log.Heads != 1 {
		t.Fatalf("an intact log: %+v %v", res, err)
	}
	return s, id, key, h
}

func wantBreak(t *testing.T, s *store.Store, c store.LogCheck, want string) {
	t.Helper()
	res, err := s.Verify(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(fmt.Sprint(res.Breaks), want) {
		t.Fatalf("want a break %q, got ok=%v %v", want, res.OK, res.Breaks)
	}
}

// reseal rewrites a chain from its index from on, re-hashing every event
// and resetting the chain's head: what an attacker with the database and
// the hash function can do. It gives no leaf or head anything new.
func reseal(t *testing.T, s *store.Store, chain string, from int64) {
	t.Helper()
	ctx := context.Background()
	rows, err := s.Pool.Query(ctx, `SELECT `+strings.ReplaceAll(eventCols, "\n", " ")+` FROM audit_events WHERE chain = $1 ORDER BY idx`, chain)
	if err != nil {
		t.Fatal(err)
	}
	var evs []audit.Event
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.Seq, &e.Index, &e.DraftID, &e.ActorID, &e.Actor, &e.Role, &e.Stage, &e.Action, &e.Revision,
			&e.ContentSHA256, &e.Reason, &e.Comment, &e.At); err != nil {
			t.Fatal(err)
		}
		e.Chain = chain
		evs = append(evs, e)
	}
	rows.Close()
	var prev []byte
	for i := range evs {
		e := &evs[i]
		if e.Index >= from {
			audit.Seal(e, int64(i), prev)
			exec(t, s, fmt.Sprintf(`UPDATE audit_events SET idx = %d, prev_hash = '\x%x', hash = '\x%x', at = '%s' WHERE seq = %d`,
				e.Index, e.PrevHash, e.Hash, e.At.Format(time.RFC3339Nano), e.Seq))
		} else {
			e.Hash = rehash(t, s, e.Seq)
		}
		prev = e.Hash
	}
	exec(t, s, fmt.Sprintf(`UPDATE audit_chains SET length = %d, head = '\x%x' WHERE chain = '%s'`, len(evs), prev, chain))
}

const eventCols = `seq, idx, COALESCE(draft_id, 0), COALESCE(actor_id, 0), actor, role, stage, action, revision,
	content_sha256, reason, comment, at`

func rehash(t *testing.T, s *store.Store, seq int64) []byte {
	t.Helper()
	var h []byte
	if err := s.Pool.QueryRow(context.Background(), `SELECT hash FROM audit_events WHERE seq = $1`, seq).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// Every tampering case of the attack review, against the real tables, run
// as the database's owner, who can write them.
func TestTamperingIsCaught(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("an event changed, re-hashed, its chain's head reset", func(t *testing.T) {
		t.Parallel()
		s, id, key, _ := logged(t)
		chain := audit.DraftChain(id)
		exec(t, s, `UPDATE audit_events SET comment = '已改' WHERE chain = '`+chain+`' AND idx = 1`)
		reseal(t, s, chain, 1)
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey}, "the event differs from the one that joined the log as leaf")
	})
	t.Run("an event deleted, the chain re-sealed", func(t *testing.T) {
		t.Parallel()
		s, _, key, _ := logged(t)
		chain := audit.AgencyChain(1)
		exec(t, s, `DELETE FROM audit_events WHERE chain = '`+chain+`' AND idx = 2`)
		reseal(t, s, chain, 2)
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey}, "the event of this leaf is gone")
	})
	t.Run("an event inserted and sealed into a chain", func(t *testing.T) {
		t.Parallel()
		s, _, key, _ := logged(t)
		chain := audit.AgencyChain(1)
		exec(t, s, `UPDATE audit_events SET idx = idx + 100 WHERE chain = '`+chain+`' AND idx >= 2`)
		exec(t, s, `INSERT INTO audit_events (chain, idx, actor, role, action, at, hash) VALUES ('`+chain+`', 2, '伪造者', 'admin', 'user_add', now() - interval '1 hour', '\x00')`)
		exec(t, s, `UPDATE audit_events SET idx = idx - 99 WHERE chain = '`+chain+`' AND idx >= 102`)
		reseal(t, s, chain, 2)
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey}, "neither in the log nor waiting for it")
	})
	t.Run("events reordered and re-sealed", func(t *testing.T) {
		t.Parallel()
		s, _, key, _ := logged(t)
		chain := audit.AgencyChain(1)
		exec(t, s, `UPDATE audit_events SET idx = -1 WHERE chain = '`+chain+`' AND idx = 2`)
		exec(t, s, `UPDATE audit_events SET idx = 2 WHERE chain = '`+chain+`' AND idx = 3`)
		exec(t, s, `UPDATE audit_events SET idx = 3 WHERE chain = '`+chain+`' AND idx = -1`)
		reseal(t, s, chain, 2)
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey}, "the event differs from the one that joined the log")
	})
	t.Run("every chain, the leaves and the tree rebuilt consistently, the stored heads deleted", func(t *testing.T) {
		t.Parallel()
		s, _, key, h := logged(t)
		held := []byte(h.Note) // kept by a witness
		chain := audit.AgencyChain(1)
		exec(t, s, `DELETE FROM audit_events WHERE chain = '`+chain+`' AND idx > 2`) // truncate...
		reseal(t, s, chain, 1)
		// ...and rebuild the whole log from the rewritten events.
		exec(t, s, `DELETE FROM audit_leaves`)
		exec(t, s, `DELETE FROM audit_tree_hashes`)
		exec(t, s, `DELETE FROM audit_heads`)
		exec(t, s, `INSERT INTO audit_unsequenced (seq) SELECT seq FROM audit_events`)
		if _, err := s.Sequence(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		// The database alone now verifies: only the head kept outside knows.
		if res, err := s.Verify(ctx, store.LogCheck{VerifierKey: key.VerifierKey}); err != nil || !res.OK {
			t.Fatalf("the rewrite should hide from the database alone: %+v %v", res.Breaks, err)
		}
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey, Held: [][]byte{held}}, "it was truncated")
	})
	t.Run("a log rewritten to the same size differs from the head held outside", func(t *testing.T) {
		t.Parallel()
		s, _, key, h := logged(t)
		chain := audit.AgencyChain(1)
		exec(t, s, `UPDATE audit_events SET comment = '改写' WHERE chain = '`+chain+`' AND idx = 1`)
		reseal(t, s, chain, 1)
		exec(t, s, `DELETE FROM audit_leaves`)
		exec(t, s, `DELETE FROM audit_tree_hashes`)
		exec(t, s, `DELETE FROM audit_heads`)
		exec(t, s, `INSERT INTO audit_unsequenced (seq) SELECT seq FROM audit_events`)
		if _, err := s.Sequence(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey, Held: [][]byte{[]byte(h.Note)}}, "differs from the head held outside of size 6")
	})
	t.Run("an event forged after the last head and back-dated", func(t *testing.T) {
		t.Parallel()
		s, _, key, _ := logged(t)
		chain := audit.AgencyChain(1)
		var n int64
		var head []byte
		if err := s.Pool.QueryRow(ctx, `SELECT length, head FROM audit_chains WHERE chain = $1`, chain).Scan(&n, &head); err != nil {
			t.Fatal(err)
		}
		// Sealed on the chain, dated last month, queued for the log like a real one.
		e := audit.Event{Chain: chain, AgencyID: 1, Actor: "伪造者", Role: "admin", Action: "user_add", Comment: "后门", At: time.Now().Add(-30 * 24 * time.Hour)}
		audit.Seal(&e, n, head)
		exec(t, s, fmt.Sprintf(`WITH ev AS (INSERT INTO audit_events (chain, idx, agency_id, actor, role, action, comment, at, prev_hash, hash)
			VALUES ('%s', %d, 1, '%s', 'admin', 'user_add', '后门', '%s', '\x%x', '\x%x') RETURNING seq)
			INSERT INTO audit_unsequenced SELECT seq FROM ev`, chain, e.Index, e.Actor, e.At.Format(time.RFC3339Nano), e.PrevHash, e.Hash))
		exec(t, s, fmt.Sprintf(`UPDATE audit_chains SET length = %d, head = '\x%x' WHERE chain = '%s'`, e.Index, e.Hash, chain))
		if _, err := s.Sequence(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey}, "back-dated")
	})
	t.Run("a head signed with another key", func(t *testing.T) {
		t.Parallel()
		s, _, key, _ := logged(t)
		other := logKey(t)
		if _, err := s.Sequence(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		exec(t, s, `DELETE FROM audit_heads`)
		if _, _, err := s.SignHead(ctx, other, "test.example/audit", 1, time.Minute, time.Now()); err != nil {
			t.Fatal(err)
		}
		wantBreak(t, s, store.LogCheck{VerifierKey: key.VerifierKey}, "not signed by the log's key")
	})
	t.Run("a held head without the log's key is refused", func(t *testing.T) {
		t.Parallel()
		s, _, _, h := logged(t)
		if _, err := s.Verify(ctx, store.LogCheck{Held: [][]byte{[]byte(h.Note)}}); err == nil {
			t.Fatal("a held head was checked without a key")
		}
	})
}

// A head published now is consistent with one published after a day's
// simulated work.
func TestHeadsStayConsistent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, key, first := logged(t)
	day := time.Now()
	for i := range 24 {
		if _, err := s.AddDepartment(ctx, admin, fmt.Sprintf("第%d科", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Sequence(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		day = day.Add(time.Hour)
		if _, _, err := s.SignHead(ctx, key, "test.example/audit", 1, time.Minute, day); err != nil {
			t.Fatal(err)
		}
	}
	last, err := s.LatestHead(ctx)
	if err != nil || last.Size != first.Size+24 {
		t.Fatalf("latest %+v %v", last, err)
	}
	res, err := s.Verify(ctx, store.LogCheck{VerifierKey: key.VerifierKey, Held: [][]byte{[]byte(first.Note), []byte(last.Note)}})
	if err != nil || !res.OK || res.Log.Heads != 27 {
		t.Fatalf("a day of heads: %+v %v", res, err)
	}
}
