package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// Two replicas taking one address's requests at once share its limit:
// of twelve at once, five pass; another address and another scope have
// their own; an hour later the address may again. (Fails with a count per
// process, or without the lock: more than five pass.)
func TestAllowAddressIsShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			ok, err := s.AllowAddress(ctx, "apply", "198.51.100.4", 5, time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 5 {
		t.Fatalf("%d of 12 requests at once allowed; want 5", allowed.Load())
	}
	for _, other := range [][2]string{{"apply", "198.51.100.5"}, {"apply_status", "198.51.100.4"}} {
		if ok, err := s.AllowAddress(ctx, other[0], other[1], 5, time.Hour); err != nil || !ok {
			t.Errorf("%s from %s: %v %v; want allowed", other[0], other[1], ok, err)
		}
	}
	exec(t, s, `UPDATE address_events SET at = at - interval '61 minutes' WHERE addr = '198.51.100.4'`)
	if ok, err := s.AllowAddress(ctx, "apply", "198.51.100.4", 5, time.Hour); err != nil || !ok {
		t.Errorf("an hour later: %v %v; want allowed", ok, err)
	}
	exec(t, s, `UPDATE address_events SET at = at - interval '2 days'`)
	if n, err := s.ForgetAddressEvents(ctx); err != nil || n != 8 {
		t.Errorf("forgetting the events older than a day: %d %v; want 8", n, err)
	}
}
