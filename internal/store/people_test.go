package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Many reviewers decide at once, several of them racing for the same
// draft: the decisions are group-committed, yet each is judged on its own
// against the draft as the ones before it left it. Exactly one decision per
// draft wins, every loser is refused as stale and audited, and the trail
// verifies.
func TestConcurrentDecisionsAreEachJudged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const drafts, racers = 12, 3
	s, ds := office(t, drafts)
	dep := ds[0].DepartmentID
	var heads []store.User
	for _, name := range []string{"李科长", "赵科长", "钱科长"} {
		u, _, err := s.AddUser(ctx, admin, store.NewUser{Name: name, Roles: []domain.Role{domain.RoleDeptHead}, Departments: []int64{dep}})
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, u)
	}
	// Every draft through stage 1 and stage 2's checks: waiting for a head.
	pass := func(work.Item, int64, domain.Content) ([]domain.Finding, error) { return nil, nil }
	for _, st := range []domain.State{domain.StateCompleteness, domain.StateCompliance} {
		var ws []work.Item
		for _, d := range ds {
			ws = append(ws, work.Item{DraftID: d.ID, Revision: 1, State: st})
		}
		for i, err := range s.CompleteChecksBatch(ctx, ws, pass) {
			if err != nil {
				t.Fatalf("draft %d at %s: %v", ws[i].DraftID, st, err)
			}
		}
	}
	type answer struct {
		draft int64
		head  string
		d     store.Draft
		err   error
	}
	answers := make(chan answer, drafts*racers)
	var wg sync.WaitGroup
	for _, d := range ds {
		for _, h := range heads {
			wg.Go(func() {
				req := domain.DecisionRequest{Stage: domain.StageCompliance, Revision: 1, Decision: domain.DecisionApprove}
				got, err := s.Decide(ctx, h.Actor(), d.ID, req, nil)
				answers <- answer{d.ID, h.Name, got, err}
			})
		}
	}
	wg.Wait()
	close(answers)
	won := map[int64]string{}
	refused := 0
	for a := range answers {
		var r *domain.Refusal
		switch {
		case a.err == nil:
			if prev, ok := won[a.draft]; ok {
				t.Errorf("draft %d approved twice at compliance: by %s and %s", a.draft, prev, a.head)
			}
			won[a.draft] = a.head
			if a.d.ID != a.draft || a.d.State != domain.StateConfidentiality || a.d.StepDone {
				t.Errorf("the answer to %s shows draft %d %s (checks done %v); want it waiting for confidentiality checks",
					a.head, a.d.ID, a.d.State, a.d.StepDone)
			}
		case errors.As(a.err, &r) && r.Rule == domain.RuleStale:
			refused++
		default:
			t.Errorf("draft %d, %s: %v", a.draft, a.head, a.err)
		}
	}
	if len(won) != drafts || refused != drafts*(racers-1) {
		t.Fatalf("%d drafts approved, %d refusals; want %d and %d", len(won), refused, drafts, drafts*(racers-1))
	}
	var approvals, denials, rows int
	if err := s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_events WHERE action = 'approve'),
		(SELECT count(*) FROM audit_events WHERE action = 'denied:decide' AND reason = 'stale_decision'),
		(SELECT count(*) FROM decisions)`).Scan(&approvals, &denials, &rows); err != nil {
		t.Fatal(err)
	}
	if approvals != drafts || denials != refused || rows != drafts {
		t.Errorf("audited %d approvals and %d denials, %d decision rows; want %d, %d, %d", approvals, denials, rows, drafts, refused, drafts)
	}
	if res, err := s.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
}

// Concurrent submissions are group-committed: every officer gets their own
// draft, with its own chain, its first audit event and its stage-1 work.
func TestConcurrentSubmissions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, ds := office(t, 1)
	author := domain.Actor{ID: ds[0].AuthorID, Name: ds[0].Author, Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{ds[0].DepartmentID}}
	const n = 40
	got := make([]store.Draft, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := ds[0].Content
			c.Title = c.Title + string(rune('一'+i))
			got[i], errs[i] = s.Submit(ctx, author, ds[0].DepartmentID, c, ds[0].Content.FormedOn.AddDate(0, 1, 0))
		})
	}
	wg.Wait()
	seen := map[int64]bool{ds[0].ID: true}
	for i, d := range got {
		if errs[i] != nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		if seen[d.ID] {
			t.Fatalf("draft id %d given twice", d.ID)
		}
		seen[d.ID] = true
		stored, err := s.Draft(ctx, d.ID)
		if err != nil || stored.Content.Title != d.Content.Title || stored.State != domain.StateCompleteness || stored.ContentSHA256 != d.ContentSHA256 {
			t.Fatalf("submission %d answered %+v; stored %+v (%v)", i, d, stored, err)
		}
	}
	var events, outbox, chains int
	if err := s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_events WHERE action = 'submit'),
		(SELECT count(*) FROM outbox), (SELECT count(*) FROM audit_chains WHERE chain LIKE 'draft/%')`).Scan(&events, &outbox, &chains); err != nil {
		t.Fatal(err)
	}
	if events != n+1 || outbox != n+1 || chains != n+1 {
		t.Errorf("%d submit events, %d outbox rows, %d chains; want %d each", events, outbox, chains, n+1)
	}
	if res, err := s.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
}
