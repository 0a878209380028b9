package web

import (
	"cmp"
	"slices"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// segment is a run of text, marked when findings cover it.
type segment struct {
	Text     string
	Mark     bool
	Severity string // "block" when any covering finding blocks
	Title    string // the covering findings' messages, for the tooltip
	Refs     []int  // indexes of the covering findings, for the list's anchors
	Ends     []int  // indexes of the findings that end with this run: its numbered links
}

// highlight splits text at the findings' rune offsets so each covered run
// can be marked. Overlapping findings merge into one run per boundary.
func highlight(text string, fs []store.Finding, field, lang string) []segment {
	rs := []rune(text)
	type span struct {
		start, end, idx int
		f               store.Finding
	}
	var spans []span
	for i, f := range fs {
		if f.Field != field || f.Start < 0 || f.End <= f.Start || f.End > len(rs) {
			continue
		}
		spans = append(spans, span{f.Start, f.End, i, f})
	}
	if len(spans) == 0 {
		return []segment{{Text: text}}
	}
	cuts := []int{0, len(rs)}
	for _, s := range spans {
		cuts = append(cuts, s.start, s.end)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []segment
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		seg := segment{Text: string(rs[a:b])}
		var titles []string
		for _, s := range spans {
			if s.start <= a && b <= s.end {
				seg.Mark = true
				seg.Refs = append(seg.Refs, s.idx)
				if s.end == b {
					seg.Ends = append(seg.Ends, s.idx)
				}
				if s.f.Severity == domain.SeverityBlock {
					seg.Severity = "block"
				}
				msg := s.f.MessageZH
				if lang == langEN {
					msg = s.f.MessageEN
				}
				titles = append(titles, msg)
			}
		}
		if seg.Mark && seg.Severity == "" {
			seg.Severity = "warn"
		}
		seg.Title = strings.Join(titles, "；")
		out = append(out, seg)
	}
	return out
}

// diffPart is a run of the difference between two revisions.
type diffPart struct {
	Op   string // "eq", "ins", "del", or "fold": an unchanged run shown folded
	Text string
	N    int // for "fold": its length in characters
}

// A long unchanged run is folded but for foldKeep characters at each end,
// so a reviewer sees each change in its context and not the whole text.
const (
	foldOver = 240
	foldKeep = 80
)

// fold folds the long unchanged runs of a difference.
func fold(ps []diffPart) []diffPart {
	out := make([]diffPart, 0, len(ps))
	for i, p := range ps {
		rs := []rune(p.Text)
		if p.Op != "eq" || len(rs) <= foldOver {
			out = append(out, p)
			continue
		}
		head, tail := foldKeep, foldKeep
		if i == 0 {
			head = 0 // the text's start: only the context before the first change
		}
		if i == len(ps)-1 {
			tail = 0
		}
		if head > 0 {
			out = append(out, diffPart{Op: "eq", Text: string(rs[:head])})
		}
		mid := rs[head : len(rs)-tail]
		out = append(out, diffPart{Op: "fold", Text: string(mid), N: len(mid)})
		if tail > 0 {
			out = append(out, diffPart{Op: "eq", Text: string(rs[len(rs)-tail:])})
		}
	}
	return out
}

// diff compares two revisions' text with go-diff's Myers diff, cleaned up
// to whole words and phrases so a reviewer reads changes, not characters.
func diff(before, after string) []diffPart {
	dmp := diffmatchpatch.New()
	ds := dmp.DiffMain(before, after, false)
	ds = dmp.DiffCleanupSemantic(ds)
	out := make([]diffPart, 0, len(ds))
	for _, d := range ds {
		op := "eq"
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			op = "ins"
		case diffmatchpatch.DiffDelete:
			op = "del"
		}
		out = append(out, diffPart{Op: op, Text: d.Text})
	}
	return fold(out)
}

// sortFindings orders findings blocking first, then by place.
func sortFindings(fs []store.Finding) {
	slices.SortStableFunc(fs, func(a, b store.Finding) int {
		if a.Severity != b.Severity {
			if a.Severity == domain.SeverityBlock {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Start, b.Start))
	})
}
