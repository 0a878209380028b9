package bench

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestSearchBench runs the search benchmark, small: every query answers,
// the two-character searches find items through the GIN index, and the
// table prints. No time is asserted.
func TestSearchBench(t *testing.T) {
	server := testenv.DatabaseURL(t)
	o := DefaultOptions()
	o.DatabaseURL = server
	cfg := config.Config{DatabaseURL: server, LogLevel: "warn"}
	res, err := RunSearch(context.Background(), cfg, testenv.Logger(t), o, 600, 2, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queries) != len(benchQueries(nil)) || res.BodyRunes < 100 {
		t.Fatalf("result: %+v", res)
	}
	for _, q := range res.Queries {
		if strings.HasPrefix(q.Name, "search 消防 (") || strings.HasPrefix(q.Name, "search 低保 (") {
			if q.Hits == 0 || !strings.Contains(res.Plans[q.Name], "public_items_terms") {
				t.Errorf("%s: %d hits, plan:\n%s", q.Name, q.Hits, res.Plans[q.Name])
			}
		}
	}
	var b bytes.Buffer
	WriteSearch(&b, res)
	if !strings.Contains(b.String(), "p99 ms") {
		t.Errorf("table: %s", b.String())
	}
}
