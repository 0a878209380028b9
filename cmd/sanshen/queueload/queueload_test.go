package queueload

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func TestQueueLoadSmall(t *testing.T) {
	o := Options{Drafts: 400, Events: 4000, Reviewers: 5, Duration: 2 * time.Second, Departments: 3, Think: 10 * time.Millisecond,
		DatabaseURL: testenv.DatabaseURL(t)}
	cfg := config.Config{MaxBodySize: 1 << 20, MaxDeliver: 3}
	r, err := Run(context.Background(), cfg, testenv.Logger(t), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range r.Kinds {
		if k.N == 0 || k.Errors != 0 || k.P50 <= 0 || k.P99 < k.P50 {
			t.Errorf("%s: %+v", k.Name, k)
		}
	}
	if !r.Verify.OK || r.Verify.Events < int64(o.Events) {
		t.Fatalf("seeded trail: %+v", r.Verify)
	}
	if r.Sequenced < int64(o.Events) || r.ConsistencyTime <= 0 {
		t.Errorf("transparency log: %d events sequenced (want ≥ %d), consistency checked in %s", r.Sequenced, o.Events, r.ConsistencyTime)
	}
}
