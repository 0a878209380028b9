package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/totp"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// TestRefusedViewTakesNoLock: a draft its asker may not see is ErrNotFound,
// like one that does not exist; the refusal is audited in the agency's
// chain, and it waits for no lock on the draft: a transition holding the
// draft's row does not hold up the refusal, nor the refusal the transition.
func TestRefusedViewTakesNoLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, ds := office(t, 1)
	id := ds[0].ID
	dep, _ := s.AddDepartment(ctx, admin, "综合办")
	other, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "周队长", Roles: []domain.Role{domain.RoleDeptHead}, Departments: []int64{dep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	// A transition's transaction holds the draft and its chain.
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT 1 FROM drafts d JOIN audit_chains c ON c.chain = 'draft/' || d.id WHERE d.id = $1 FOR UPDATE OF d, c`, id); err != nil {
		t.Fatal(err)
	}
	// The bound only keeps a regression from hanging the suite.
	bounded, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	_, err = s.Check(bounded, other.Actor(), id, "view", domain.CanView)
	if !errors.Is(err, store.ErrNotFound) || bounded.Err() != nil {
		t.Fatalf("a refused view: %v (context: %v)", err, bounded.Err())
	}
	if _, err := s.Check(bounded, other.Actor(), id+1000, "view", domain.CanView); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a missing draft: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var chain, reason string
	if err := s.Pool.QueryRow(ctx, `SELECT chain, reason FROM audit_events WHERE action = 'denied:view' AND actor_id = $1`, other.ID).Scan(&chain, &reason); err != nil {
		t.Fatalf("the refusal is not audited: %v", err)
	}
	if chain != "agency/1" || reason != string(domain.RuleNotVisible) {
		t.Fatalf("the refusal went to %s (%s)", chain, reason)
	}
	// A viewer refused by the rule asked is told the rule.
	author, _ := s.PersonByName(ctx, "王信息员")
	if _, err := s.Check(ctx, author.Actor(), id, "read_audit", domain.CanViewAudit); !errorsIsRule(err, domain.RuleNotVisible) {
		t.Fatalf("the author reading the trail: %v", err)
	}
}

func errorsIsRule(err error, rule domain.Rule) bool {
	var r *domain.Refusal
	return errors.As(err, &r) && r.Rule == rule
}

// TestNewsCarriesWhatCanViewNeeds: the live pages' news of a transition
// holds the draft's department and author, before and after, so the hub
// judges each page without a query.
func TestNewsCarriesWhatCanViewNeeds(t *testing.T) {
	t.Parallel()
	s, ds := office(t, 1)
	h := &heard{}
	s.Announce = h
	d := ds[0]
	pass := func(work.Item, int64, domain.Content) ([]domain.Finding, error) { return nil, nil }
	if errs := s.CompleteChecksBatch(context.Background(), []work.Item{stage1(d)}, pass); errs[0] != nil {
		t.Fatal(errs[0])
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.notes) != 1 {
		t.Fatalf("news: %v", h.notes)
	}
	var n store.News
	if err := json.Unmarshal([]byte(h.notes[0]), &n); err != nil {
		t.Fatal(err)
	}
	want := store.News{DraftID: d.ID, AgencyID: 1, DepartmentID: d.DepartmentID, AuthorID: d.AuthorID, State: domain.StateCompliance,
		Revision: 1, From: domain.StateCompleteness}
	if n != want {
		t.Fatalf("news %+v, want %+v", n, want)
	}
}

// TestSecondFactorCodesWorkOnce: a TOTP step and a recovery code are each
// spent once.
func TestSecondFactorCodesWorkOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := office(t, 0)
	u, _ := s.PersonByName(ctx, "王信息员")
	if ok, _ := s.UseTOTPStep(ctx, u.ID, 100); ok {
		t.Fatal("a step is spent without a second factor")
	}
	code := "abcd-efgh-ijkl-mnop-qrst-uvwx"
	if err := s.EnrolTOTP(ctx, u.Actor(), []byte("sealed"), 100, [][]byte{totp.HashRecoveryCode(code)}); err != nil {
		t.Fatal(err)
	}
	for step, want := range map[int64]bool{100: false, 99: false} {
		if ok, _ := s.UseTOTPStep(ctx, u.ID, step); ok != want {
			t.Fatalf("step %d after enrolling at 100: %v", step, ok)
		}
	}
	if ok, _ := s.UseTOTPStep(ctx, u.ID, 101); !ok {
		t.Fatal("the next step is refused")
	}
	if ok, _ := s.UseTOTPStep(ctx, u.ID, 101); ok {
		t.Fatal("a step works twice")
	}
	if ok, _ := s.UseRecoveryCode(ctx, u.User, totp.HashRecoveryCode("ABCD EFGH IJKL MNOP QRST UVWX")); !ok {
		t.Fatal("the recovery code is refused")
	}
	if ok, _ := s.UseRecoveryCode(ctx, u.User, totp.HashRecoveryCode(code)); ok {
		t.Fatal("a recovery code works twice")
	}
}

// TestResetEndsSessionsAndTokens: a password reset, and a disabled
// account, leave nothing of the old access; a token also ends by expiry.
func TestResetEndsSessionsAndTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := office(t, 0)
	u, _ := s.PersonByName(ctx, "王信息员")
	_, tok, err := s.AddToken(ctx, admin, u.ID, "脚本")
	if err != nil {
		t.Fatal(err)
	}
	sid, _, _ := s.CreateSession(ctx, u.User, time.Hour, "test", "127.0.0.1")
	if _, err := s.UserByToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, admin, u.ID, "$argon2id$v=19$m=64,t=1,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAA"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a token survived the reset: %v", err)
	}
	if _, _, err := s.SessionUser(ctx, sid, time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a session survived the reset: %v", err)
	}
	ts, err := s.Tokens(ctx, u.Actor(), u.ID)
	if err != nil || len(ts) != 2 || ts[0].Active(time.Now()) || ts[0].LastUsedAt == nil {
		t.Fatalf("the tokens after the reset: %+v %v", ts, err)
	}
	// A token made by an admin lasts TokenTTL.
	s.TokenTTL = 2 * time.Hour
	tk, _, err := s.AddToken(ctx, admin, u.ID, "短期")
	if err != nil || tk.ExpiresAt.Sub(tk.CreatedAt) < 119*time.Minute || tk.ExpiresAt.Sub(tk.CreatedAt) > 121*time.Minute {
		t.Fatalf("a token's lifetime: %+v %v", tk, err)
	}
	// Nobody of another agency lists or revokes them.
	foreign := domain.Actor{ID: 999, AgencyID: 2, Roles: []domain.Role{domain.RoleAdmin}}
	if _, err := s.Tokens(ctx, foreign, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another agency's admin: %v", err)
	}
	if _, err := s.RevokeToken(ctx, foreign, tk.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another agency's admin revoking: %v", err)
	}
}

// TestPublicationURLs: only http(s) addresses are recorded for a channel.
func TestPublicationURLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, ds := office(t, 1)
	err := s.ResolvePublication(ctx, admin, ds[0].ID, domain.ChannelWeChat, true, "javascript:alert(1)", "核实")
	if !errorsIsRule(err, domain.RuleInvalidURL) {
		t.Fatalf("javascript: URL: %v", err)
	}
}
