package store_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

var admin = domain.Actor{Name: "测试管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}

// trail writes a few real events: departments, a user, a submitted draft.
func trail(t *testing.T) (*store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	s := testenv.Store(t)
	var dep store.Department
	for _, name := range []string{"综合办", "执法队", "社区办", "城管科"} {
		d, err := s.AddDepartment(ctx, admin, name)
		if err != nil {
			t.Fatal(err)
		}
		dep = d
	}
	u, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "王信息员", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{dep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	c := domain.Content{Title: "关于开展垃圾分类宣传周活动的通知", Body: "各社区：为推进垃圾分类工作……", Department: dep.Name,
		Category: "news", Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	d, err := s.Submit(ctx, u.Actor(), dep.ID, c, time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := s.VerifyAll(ctx); err != nil || !res.OK || res.Events != 6 {
		t.Fatalf("fresh trail: %+v %v", res, err)
	}
	return s, d.ID
}

func exec(t *testing.T, s *store.Store, sql string) {
	t.Helper()
	if _, err := s.Pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func mustBreak(t *testing.T, s *store.Store, wantIndex int64, wantProblem string) {
	t.Helper()
	res, err := s.VerifyAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || len(res.Breaks) == 0 {
		t.Fatalf("tampering not detected: %+v", res)
	}
	b := res.Breaks[0]
	if b.Chain != audit.AgencyChain(1) || b.Index != wantIndex || !strings.Contains(b.Problem, wantProblem) {
		t.Fatalf("break reported at %s, want agency/1 chain index %d with %q", b, wantIndex, wantProblem)
	}
}

func TestVerifyDetectsChangedEvent(t *testing.T) {
	t.Parallel()
	s, _ := trail(t)
	exec(t, s, `UPDATE audit_events SET comment = '财务科' WHERE chain = 'agency/1' AND idx = 2`)
	mustBreak(t, s, 2, "changed")
}

func TestVerifyDetectsDeletedEvent(t *testing.T) {
	t.Parallel()
	s, _ := trail(t)
	exec(t, s, `DELETE FROM audit_events WHERE chain = 'agency/1' AND idx = 2`)
	mustBreak(t, s, 3, "expected index 2")
}

func TestVerifyDetectsInsertedEvent(t *testing.T) {
	t.Parallel()
	s, _ := trail(t)
	// A forger who knows the hash function appends a well-formed event.
	ctx := context.Background()
	var idx int64
	var head []byte
	if err := s.Pool.QueryRow(ctx, `SELECT idx, hash FROM audit_events WHERE chain = 'agency/1' ORDER BY idx DESC LIMIT 1`).Scan(&idx, &head); err != nil {
		t.Fatal(err)
	}
	e := audit.Event{Chain: audit.AgencyChain(1), Actor: "伪造者", Role: "admin", Action: "user_add", Comment: "后门账号", At: time.Now()}
	audit.Seal(&e, idx, head)
	if _, err := s.Pool.Exec(ctx, `INSERT INTO audit_events (chain, idx, actor, role, action, comment, at, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.Chain, e.Index, e.Actor, e.Role, e.Action, e.Comment, e.At, e.PrevHash, e.Hash); err != nil {
		t.Fatal(err)
	}
	mustBreak(t, s, idx+1, "head records")
	// Inserted in the middle, it breaks the links instead.
	s2, _ := trail(t)
	exec(t, s2, `UPDATE audit_events SET idx = idx + 100 WHERE chain = 'agency/1' AND idx >= 3`)
	exec(t, s2, `UPDATE audit_events SET idx = idx - 99 WHERE chain = 'agency/1' AND idx >= 103`)
	exec(t, s2, `INSERT INTO audit_events (chain, idx, actor, role, action, at, prev_hash, hash)
		SELECT chain, 3, actor, role, action, at, prev_hash, hash FROM audit_events WHERE chain = 'agency/1' AND idx = 2`)
	mustBreak(t, s2, 4, "changed") // the first event whose position moved
}

func TestVerifyDetectsReorderedEvents(t *testing.T) {
	t.Parallel()
	s, _ := trail(t)
	exec(t, s, `UPDATE audit_events SET idx = -2 WHERE chain = 'agency/1' AND idx = 2`)
	exec(t, s, `UPDATE audit_events SET idx = 2 WHERE chain = 'agency/1' AND idx = 3`)
	exec(t, s, `UPDATE audit_events SET idx = 3 WHERE chain = 'agency/1' AND idx = -2`)
	mustBreak(t, s, 3, "")
}

// A draft's whole chain deleted, with its recorded head, while the draft
// remains: verify names the draft (it once said ok). A checkpoint exported
// by an earlier sanshen (the chain heads, signed) still catches the cut.
func TestDeletedChainIsCaught(t *testing.T) {
	t.Parallel()
	s, id := trail(t)
	ctx := context.Background()
	chain := audit.DraftChain(id)
	var heads []audit.Head
	rows, _ := s.Pool.Query(ctx, `SELECT chain, length, head FROM audit_chains WHERE length > 0`)
	var h audit.Head
	if _, err := pgx.ForEachRow(rows, []any{&h.Chain, &h.Length, &h.Hash}, func() error { heads = append(heads, h); return nil }); err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	cp := audit.Checkpoint{Heads: heads, At: time.Now()}
	cp.Sign(key)
	exec(t, s, `DELETE FROM audit_events WHERE chain = '`+chain+`'`)
	exec(t, s, `DELETE FROM audit_chains WHERE chain = '`+chain+`'`)
	res, err := s.VerifyAll(ctx)
	if err != nil || res.OK || !strings.Contains(fmt.Sprint(res.Breaks), chain+" index 0 (seq 0): the draft exists but its chain is gone") {
		t.Fatalf("a deleted chain: %+v %v", res.Breaks, err)
	}
	breaks, err := s.CheckAgainst(ctx, cp)
	if err != nil || len(breaks) != 1 || breaks[0].Chain != chain {
		t.Fatalf("the old checkpoint did not catch the cut: %v %v", breaks, err)
	}
}
