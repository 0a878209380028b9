package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// A claim's last word touches only that claim. A request whose database
// went away (a failover) releases its key late, from the background; by
// then a retry may have taken the stale key over and be running: the late
// release must not free the key under it (a third retry would run the
// effect a second time), nor may a late answer become the retry's.
func TestLateReleaseLeavesALaterClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	u, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "王信息员", Roles: []domain.Role{domain.RoleOfficer}})
	if err != nil {
		t.Fatal(err)
	}
	sum := []byte("POST /api/v1/drafts\n{}")
	first, err := s.ClaimIdempotency(ctx, u.ID, "k", sum)
	if err != nil || first.Outcome != store.IdemNew || first.Claimed.IsZero() {
		t.Fatalf("the first claim: %+v %v", first, err)
	}
	// The first request's process lost its database: the claim goes stale.
	if _, err := s.Pool.Exec(ctx, `UPDATE idempotency_keys SET claimed_at = claimed_at - interval '3 minutes'`); err != nil {
		t.Fatal(err)
	}
	stale := first.Claimed.Add(-3 * time.Minute)
	retry, err := s.ClaimIdempotency(ctx, u.ID, "k", sum)
	if err != nil || retry.Outcome != store.IdemNew || retry.Claimed.Equal(stale) {
		t.Fatalf("the retry after the claim went stale: %+v %v", retry, err)
	}
	// The first request's late words arrive now.
	if err := s.AnswerIdempotency(ctx, u.ID, "k", stale, 500, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseIdempotency(ctx, u.ID, "k", stale); err != nil {
		t.Fatal(err)
	}
	if third, err := s.ClaimIdempotency(ctx, u.ID, "k", sum); err != nil || third.Outcome != store.IdemInFlight {
		t.Fatalf("a third request while the retry runs: %+v %v; want in flight", third, err)
	}
	// The retry's own release frees the key.
	if err := s.ReleaseIdempotency(ctx, u.ID, "k", retry.Claimed); err != nil {
		t.Fatal(err)
	}
	if again, err := s.ClaimIdempotency(ctx, u.ID, "k", sum); err != nil || again.Outcome != store.IdemNew {
		t.Fatalf("after the retry's release: %+v %v", again, err)
	}
}

// A request slower than IdempotencyStale loses its key to its client's
// retry: when its effect arrives, its transaction fails with
// ErrIdempotencyLost and stores nothing, while another request committed
// in the same group goes through, and the retry's effect is the one draft.
func TestATakenOverClaimCommitsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	s, by, dep := o.s, o.officers[0], o.deps[0].ID
	c := domain.Content{Title: "关于冬季供暖的通知", Body: "本街道冬季供暖自11月15日开始。", Department: o.deps[0].Name, Category: "news",
		Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)}
	deadline := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	sum := []byte("POST /api/v1/drafts\n{...}")
	first, err := s.ClaimIdempotency(ctx, by.ID, "slow", sum)
	if err != nil || first.Outcome != store.IdemNew {
		t.Fatalf("the first claim: %+v %v", first, err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE idempotency_keys SET claimed_at = claimed_at - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	stale := first.Claimed.Add(-time.Minute)
	retry, err := s.ClaimIdempotency(ctx, by.ID, "slow", sum)
	if err != nil || retry.Outcome != store.IdemNew {
		t.Fatalf("the retry after the claim went stale: %+v %v", retry, err)
	}
	other, err := s.ClaimIdempotency(ctx, by.ID, "other", []byte("another request"))
	if err != nil || other.Outcome != store.IdemNew {
		t.Fatalf("another request's claim: %+v %v", other, err)
	}
	// The slow first request's effect arrives now, with another request's.
	errs := make(chan error, 2)
	for _, k := range []struct {
		key     string
		claimed time.Time
	}{{"slow", stale}, {"other", other.Claimed}} {
		go func() {
			_, err := s.Submit(store.WithIdempotency(ctx, by.ID, k.key, k.claimed), by, dep, c, deadline)
			errs <- err
		}()
	}
	var lost, ok int
	for range 2 {
		switch err := <-errs; {
		case errors.Is(err, store.ErrIdempotencyLost):
			lost++
		case err == nil:
			ok++
		default:
			t.Fatal(err)
		}
	}
	drafts := func() (n int) {
		t.Helper()
		if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE author_id = $1`, by.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if lost != 1 || ok != 1 || drafts() != 1 {
		t.Fatalf("the slow request and another: %d lost, %d stored, %d drafts; want 1, 1, 1", lost, ok, drafts())
	}
	// The retry's effect is the one draft for the key.
	d, err := s.Submit(store.WithIdempotency(ctx, by.ID, "slow", retry.Claimed), by, dep, c, deadline)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.ClaimIdempotency(ctx, by.ID, "slow", sum); err != nil || again.Outcome != store.IdemDone || again.DraftID != d.ID {
		t.Fatalf("after the retry's effect: %+v %v; want done with draft %d", again, err, d.ID)
	}
	if drafts() != 2 {
		t.Fatalf("%d drafts; want 2 (the other request's and the retry's)", drafts())
	}
}

// A claim made by a process that holds a lease (HoldRequests) stays in
// flight while the lease is renewed, up to IdempotencyStale; once the
// process stops renewing (killed mid-request), its client's retry takes
// the key over LeaseLost after the last renewal instead of waiting out the
// 15 s. (Fails if the claim ignores its holder: the retry would wait.)
func TestAClaimOfADeadProcessIsTakenOverSoon(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	u, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "赵信息员", Roles: []domain.Role{domain.RoleOfficer}})
	if err != nil {
		t.Fatal(err)
	}
	run, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { s.HoldRequests(run, "api test"); close(stopped) }()
	var leases int
	for deadline := time.Now().Add(10 * time.Second); leases == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("HoldRequests registered no lease within 10 s")
		}
		if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM request_leases WHERE name = 'api test'`).Scan(&leases); err != nil {
			t.Fatal(err)
		}
	}
	sum := []byte("POST /api/v1/drafts\n{}")
	first, err := s.ClaimIdempotency(ctx, u.ID, "k", sum)
	if err != nil || first.Outcome != store.IdemNew {
		t.Fatalf("the first claim: %+v %v", first, err)
	}
	var holder *int64
	if err := s.Pool.QueryRow(ctx, `SELECT holder FROM idempotency_keys WHERE key = 'k'`).Scan(&holder); err != nil || holder == nil {
		t.Fatalf("the claim's holder: %v %v; want the lease", holder, err)
	}
	// Ten seconds in, the process still renews its lease: in flight.
	if _, err := s.Pool.Exec(ctx, `UPDATE idempotency_keys SET claimed_at = claimed_at - interval '10 seconds'`); err != nil {
		t.Fatal(err)
	}
	if again, err := s.ClaimIdempotency(ctx, u.ID, "k", sum); err != nil || again.Outcome != store.IdemInFlight {
		t.Fatalf("a retry while the holder lives: %+v %v; want in flight", again, err)
	}
	// The process dies: its lease was last renewed LeaseLost ago.
	stop()
	<-stopped
	if _, err := s.Pool.Exec(ctx, `UPDATE request_leases SET seen_at = now() - make_interval(secs => $1)`, store.LeaseLost.Seconds()+0.5); err != nil {
		t.Fatal(err)
	}
	retry, err := s.ClaimIdempotency(ctx, u.ID, "k", sum)
	if err != nil || retry.Outcome != store.IdemNew || !retry.Claimed.After(first.Claimed) {
		t.Fatalf("a retry after its holder died: %+v %v; want to run it", retry, err)
	}
	// The retry's claim carries no lease now (HoldRequests stopped): the
	// 15 s rule holds it.
	if third, err := s.ClaimIdempotency(ctx, u.ID, "k", sum); err != nil || third.Outcome != store.IdemInFlight {
		t.Fatalf("a third request while the retry runs: %+v %v; want in flight", third, err)
	}
}
