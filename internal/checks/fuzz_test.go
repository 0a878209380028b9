package checks_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/checks/completeness"
	"github.com/sanshen-gov/sanshen/internal/checks/compliance"
	"github.com/sanshen-gov/sanshen/internal/checks/normal"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// FuzzRun runs the three stages on any draft and checks what holds whatever
// the text: no panic, the same findings twice, every finding well formed,
// spans that begin and end on visible characters, and no two findings of one
// kind overlapping (see checkRun). What the findings should be is the golden test's job. The
// seeds are the golden test's drafts; each input also runs recombined from
// their lines (see compose), which reaches the rules far more often than
// mutated bytes do.
//
//	go test ./internal/checks -run '^$' -fuzz FuzzRun
func FuzzRun(f *testing.F) {
	r := goldenRunner(f)
	var pieces []string
	seen := map[string]bool{}
	for _, set := range goldenSets {
		for i, d := range set.read(f, set.corpus) {
			c := d.content
			f.Add(c.Title, c.Body, c.Department, c.Category, uint8(i))
			if set.name == "cases" {
				for _, s := range append(strings.Split(c.Body, "\n"), c.Title) {
					if !seen[s] {
						seen[s] = true
						pieces = append(pieces, s)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, title, body, dept, category string, k uint8) {
		c := domain.Content{Title: title, Body: body, Department: dept, Category: category,
			FormedOn: checks.Today(goldenNow).AddDate(0, 0, -int(k%64))}
		if k%7 == 0 {
			c.FormedOn = time.Time{}
		}
		for i, ch := range []domain.Channel{domain.ChannelWebsite, domain.ChannelWeChat, domain.ChannelDouyin} {
			if k&(1<<i) != 0 {
				c.Channels = append(c.Channels, ch)
			}
		}
		checkRun(t, r, c)
		c.Title, c.Body = compose(pieces, title), compose(pieces, body)
		checkRun(t, r, c)
	})
}

// compose reads the first 64 runes of s as a list of pieces, one a rune: a
// line of the hard cases or a line break. A fuzzer mutating s thus
// recombines whole snippets.
func compose(pieces []string, s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n++; n > 64 {
			break
		}
		if k := int(r) % (len(pieces) + 1); k < len(pieces) {
			b.WriteString(pieces[k])
		} else {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// checkRun runs every stage on c twice and checks that both runs find the
// same, and that each finding has a code, both messages, a known severity
// and its stage, and either no field and offsets -1/-1 or a field and rune
// offsets Start <= End within that field.
func checkRun(t *testing.T, r *checks.Runner, c domain.Content) {
	t.Helper()
	ctx := context.Background()
	for _, st := range stages {
		fs, err := r.Run(ctx, st, 1, c)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := r.Run(ctx, st, 1, c); !slices.Equal(fs, again) {
			t.Fatalf("stage %s finds %+v, then %+v on %+v", st, fs, again, c)
		}
		for _, f := range fs {
			n := -1 // runes of the field; -1: the whole draft
			switch f.Field {
			case "title":
				n = utf8.RuneCountInString(c.Title)
			case "body":
				n = utf8.RuneCountInString(c.Body)
			case "":
			default:
				t.Fatalf("stage %s: finding %+v in an unknown field", st, f)
			}
			placed := n < 0 && f.Start == -1 && f.End == -1 || n >= 0 && 0 <= f.Start && f.Start <= f.End && f.End <= n
			if !placed || f.Code == "" || f.MessageZH == "" || f.MessageEN == "" || f.Stage != st ||
				f.Severity != domain.SeverityBlock && f.Severity != domain.SeverityWarn {
				t.Fatalf("stage %s: malformed finding %+v on title %q, body %q", st, f, c.Title, c.Body)
			}
		}
	}
	checkOverlaps(t, r, c)
	// The stages' exported helpers, which the findings rest on.
	if _, s, e, ok := completeness.DecisionDate(c.Body); ok && !(0 <= s && s < e && e <= utf8.RuneCountInString(c.Body)) {
		t.Fatalf("decision date at [%d,%d) of body %q", s, e, c.Body)
	}
	if exp, ok := compliance.PenaltyExpiry(c); ok && c.Category != "penalty" {
		t.Fatalf("expiry %v for a %q", exp, c.Category)
	}
}

// normalised reports whether findings of code are made on the normalised
// text (package normal), and so span the match as the offset map gives it.
func normalised(code string) bool {
	for _, p := range []string{"docno_", "date_", "decision_date_", "resident_id", "mobile_number", "bank_card",
		"home_address", "classified_marking", "work_secret_marking", "not_for_publication", "request_for_instructions",
		"consultation_draft", "sensitive_word"} {
		if strings.HasPrefix(code, p) {
			return true
		}
	}
	return false
}

// checkOverlaps checks how the findings of every stage lie on the text. The
// normaliser's offset map must give spans that cover whole original runes of
// the match: a finding never starts or ends on an invisible character it
// removed (those are reported by invisible_character, one finding a run).
// Two findings of one code in one field never overlap, except sensitive
// words (nested and overlapping words are each reported); and an invisible
// character's finding lies inside or outside each other finding, never
// across its edge.
func checkOverlaps(t *testing.T, r *checks.Runner, c domain.Content) {
	t.Helper()
	for _, st := range stages {
		fs, _ := r.Run(context.Background(), st, 1, c)
		for i, f := range fs {
			if f.Field == "" || f.Start == f.End {
				continue
			}
			rs := []rune(c.Body)
			if f.Field == "title" {
				rs = []rune(c.Title)
			}
			if normalised(f.Code) && (normal.Invisible(rs[f.Start]) || normal.Invisible(rs[f.End-1])) {
				t.Fatalf("stage %s: %s [%d,%d) %+q starts or ends on an invisible character", st, f.Code, f.Start, f.End, string(rs[f.Start:f.End]))
			}
			for _, g := range fs[i+1:] {
				if g.Field != f.Field || g.Start >= f.End || f.Start >= g.End || g.Start == g.End {
					continue
				}
				switch {
				case f.Code == g.Code && f.Code != "sensitive_word" && (f.Start != g.Start || f.End != g.End):
					t.Fatalf("stage %s: two %s overlap: [%d,%d) and [%d,%d) in %+q", st, f.Code, f.Start, f.End, g.Start, g.End, string(rs))
				case f.Code == g.Code && f.Code != "sensitive_word":
					t.Fatalf("stage %s: %s twice at [%d,%d) in %+q", st, f.Code, f.Start, f.End, string(rs))
				case f.Code == "invisible_character" && !(g.Start <= f.Start && f.End <= g.End),
					g.Code == "invisible_character" && !(f.Start <= g.Start && g.End <= f.End):
					t.Fatalf("stage %s: %s [%d,%d) straddles %s [%d,%d) in %+q", st, f.Code, f.Start, f.End, g.Code, g.Start, g.End, string(rs))
				}
			}
		}
	}
}
