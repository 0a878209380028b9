package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestAgenciesMigrationKeepsAnOffice: an installation from before agencies
// (schema 009) with its people, a draft, its trail, a word list and the
// initial reviewer on, migrated, is the default agency's — and its trail
// still verifies, because nothing sealed changed.
func TestAgenciesMigrationKeepsAnOffice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := store.Open(ctx, testenv.EmptyDatabaseURL(t), testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.MigrateTo(ctx, 9); err != nil {
		t.Fatal(err)
	}
	// As sanshen 009 wrote them (its SQL, not today's store).
	for _, q := range []string{
		`INSERT INTO departments (name) VALUES ('综合办')`,
		`INSERT INTO users (name, roles, departments) SELECT '王信息员', '{officer}', ARRAY[id] FROM departments`,
		`INSERT INTO users (name, roles, departments) VALUES ('管理员', '{admin}', '{}')`,
		`INSERT INTO drafts (author_id, department_id, state, revision, step_done, awaits_person, formed_on, deadline)
			SELECT u.id, d.id, 'compliance', 1, true, true, '2026-11-20', '2026-12-18' FROM users u, departments d WHERE u.name = '王信息员'`,
		`INSERT INTO revisions (draft_id, revision, title, body, category, channels, formed_on, content_sha256)
			SELECT id, 1, '通知', '正文', 'news', '{website}', '2026-11-20', '\x00' FROM drafts`,
		`INSERT INTO word_lists (words) VALUES ('{绝密}'), ('{绝密,机密}')`,
		`UPDATE policy SET person_stages = '{completeness}'`,
	} {
		if _, err := s.Pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A trail sealed before agencies: the draft's submit, and two events
	// of the system chain.
	sub := audit.Event{Chain: "draft/1", DraftID: 1, Actor: "王信息员", Role: "officer", Stage: "completeness", Action: "submit", Revision: 1, At: time.Now()}
	audit.Seal(&sub, 0, nil)
	if _, err := s.Pool.Exec(ctx, `INSERT INTO audit_events (chain, idx, draft_id, actor, role, stage, action, revision, at, hash)
		VALUES ($1, $2, (SELECT id FROM drafts), $3, $4, $5, $6, $7, $8, $9)`, sub.Chain, sub.Index, sub.Actor, sub.Role, sub.Stage, sub.Action, sub.Revision, sub.At, sub.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `INSERT INTO audit_chains (chain, length, head) VALUES ('draft/1', 1, $1)`, sub.Hash); err != nil {
		t.Fatal(err)
	}
	var prev []byte
	for i, action := range []string{"department_add", "user_add"} {
		e := audit.Event{Chain: audit.SystemChain, Actor: "cli", Role: "admin", Action: action, Comment: "综合办", At: time.Now()}
		audit.Seal(&e, int64(i), prev)
		prev = e.Hash
		if _, err := s.Pool.Exec(ctx, `INSERT INTO audit_events (chain, idx, actor, role, action, comment, at, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.Chain, e.Index, e.Actor, e.Role, e.Action, e.Comment, e.At, e.PrevHash, e.Hash); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Pool.Exec(ctx, `INSERT INTO audit_chains (chain, length, head) VALUES ('system', $1, $2)
			ON CONFLICT (chain) DO UPDATE SET length = $1, head = $2`, e.Index, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	one := func(q string) int64 {
		t.Helper()
		var n int64
		if err := s.Pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	for q, want := range map[string]int64{
		`SELECT count(*) FROM agencies WHERE id = 1 AND slug = 'default'`:                  1,
		`SELECT count(*) FROM departments WHERE agency_id = 1`:                             1,
		`SELECT count(*) FROM users WHERE agency_id = 1`:                                   2,
		`SELECT count(*) FROM users WHERE name = '管理员' AND 'platform_admin' = ANY(roles)`:  1,
		`SELECT count(*) FROM users WHERE name = '王信息员' AND 'platform_admin' = ANY(roles)`: 0,
		`SELECT count(*) FROM drafts WHERE agency_id = 1`:                                  1,
		`SELECT max(number) FROM word_lists WHERE agency_id IS NULL`:                       2,
		`SELECT count(*) FROM audit_events WHERE agency_id = 1 AND chain = 'system'`:       2,
	} {
		if got := one(q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	p, err := s.Policy(ctx, store.DefaultAgency)
	if err != nil || !p.Requires(domain.StageCompleteness) {
		t.Errorf("the policy moved to the default agency: %+v %v", p, err)
	}
	// The old office works on: its people sign in, its draft waits in the
	// queue of its agency, a new department joins its agency.
	u, _, err := s.UserForSignIn(ctx, "管理员")
	if err != nil || u.AgencyID != store.DefaultAgency {
		t.Fatalf("the old admin: %+v %v", u, err)
	}
	if _, err := s.AddDepartment(ctx, u.Actor(), "执法队"); err != nil {
		t.Fatal(err)
	}
	if res, err := s.VerifyAgency(ctx, store.DefaultAgency); err != nil || !res.OK {
		t.Fatalf("the default agency's trail after the migration: %+v %v", res, err)
	}
	if res, err := s.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("the whole trail after the migration: %+v %v", res, err)
	}
}
