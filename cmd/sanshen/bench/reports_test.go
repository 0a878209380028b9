package bench_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/bench"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestBenchReports: a small year seeds, and the annual report and the
// three assessments each report their runs.
func TestBenchReports(t *testing.T) {
	server := testenv.DatabaseURL(t)
	var out bytes.Buffer
	err := bench.ReportsMain(context.Background(), config.Config{DatabaseURL: server}, testenv.Logger(t),
		[]string{"-items", "300", "-cases", "50", "-runs", "1"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	runs := regexp.MustCompile(`(?m)^(annual report|assessment) .* run 1 +[0-9.]+ ms$`).FindAllString(out.String(), -1)
	if len(runs) != 4 || !strings.Contains(out.String(), "seeded 300 items") {
		t.Errorf("the bench's output:\n%s", out.String())
	}
}
