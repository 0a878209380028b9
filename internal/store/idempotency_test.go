package store_test

import (
	"context"
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
