package assessment

import (
	"errors"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestParsePeriod(t *testing.T) {
	day := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, domain.Beijing) }
	for _, c := range []struct {
		in       string
		from, to time.Time
	}{
		{"2025", day(2025, 1), day(2026, 1)},
		{"2025-Q4", day(2025, 10), day(2026, 1)},
		{"2025-Q2", day(2025, 4), day(2025, 7)},
		{"2024-02", day(2024, 2), day(2024, 3)},
		{"2025-12", day(2025, 12), day(2026, 1)},
	} {
		p, err := ParsePeriod(c.in)
		if err != nil || !p.From.Equal(c.from) || !p.To.Equal(c.to) {
			t.Errorf("%s: %v to %v, %v", c.in, p.From, p.To, err)
		}
	}
	for _, bad := range []string{"", "25", "2025-Q5", "2025-13", "2025-1", "2025-00", "1999"} {
		if _, err := ParsePeriod(bad); !errors.Is(err, ErrInvalidPeriod) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// The score by the formula; ranks shared by equal scores; nothing
// published scores no rates.
func TestRank(t *testing.T) {
	lines := []Line{
		{Name: "甲", Published: 10, FirstPass: 5, Article26: Clock{10, 10}, Returned: map[string]int{"compliance": 5}},
		{Name: "乙", Published: 10, FirstPass: 5, Article26: Clock{10, 10}, Returned: map[string]int{"compliance": 2, "confidentiality": 3}},
		{Name: "丙", Submitted: 4},
		{Name: "丁", Published: 2, FirstPass: 2, DoublePub: Clock{2, 1}},
	}
	got := Rank(DefaultWeights, lines)
	want := []struct {
		name  string
		score float64
		rank  int
	}{{"丁", 2 + 20 + 10, 1}, {"乙", 10 + 10 + 20 - 10, 2}, {"甲", 10 + 10 + 20 - 10, 2}, {"丙", 0, 4}}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Score != w.score || got[i].Rank != w.rank {
			t.Errorf("%d: %s %v #%d, want %s %v #%d", i, got[i].Name, got[i].Score, got[i].Rank, w.name, w.score, w.rank)
		}
	}
	if err := (Weights{Published: -1}).Check(); !errors.Is(err, ErrInvalidWeights) {
		t.Errorf("a negative weight: %v", err)
	}
}
