// Package fulltext turns Chinese text into the terms the public column's
// search index holds, and a visitor's query into the tsquery that finds
// them.
//
// PostgreSQL 15 has no Chinese parser, and pg_trgm's trigrams cannot find
// a one- or two-character word (消防, 低保). So the text is cut here, in Go:
// every run of Han characters gives its character bigrams (消防安全 gives
// 消防, 防安, 安全) and its last character alone (全), every run of
// letters or digits gives itself as one word, lower-cased. The terms go to
// a tsvector without positions, under a GIN index. A query of two or more
// Han characters looks for all its bigrams; one character looks for every
// bigram that starts with it and the run-final single (a prefix match,
// '消':*), so it needs no index of single characters; a word is a prefix
// match. Terms carry no positions, so a query of three or more characters
// finds items that hold all its bigrams, in practice the items that hold
// the query (Highlight marks the exact hits).
package fulltext

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxWord bounds a letters-or-digits term (bytes); longer runs are cut.
const maxWord = 60

// kind is a rune's class for the cutting.
type kind int

const (
	sep kind = iota
	han
	word
)

func classify(r rune) kind {
	switch {
	case unicode.Is(unicode.Han, r):
		return han
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return word
	}
	return sep
}

// fold maps full-width letters and digits to ASCII and lower-cases, so
// ＰＭ２．５ and pm2.5 are one word.
func fold(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	return unicode.ToLower(r)
}

// Run is one run of a text: Han characters, or letters and digits.
type Run struct {
	Text string
	Han  bool
}

// Runs cuts s into its runs, folded.
func Runs(s string) []Run {
	var out []Run
	var b strings.Builder
	cur := sep
	flush := func() {
		if b.Len() > 0 {
			out = append(out, Run{Text: b.String(), Han: cur == han})
			b.Reset()
		}
	}
	for _, r := range s {
		r = fold(r)
		k := classify(r)
		if k != cur {
			flush()
			cur = k
		}
		if k != sep {
			b.WriteRune(r)
		}
	}
	flush()
	return out
}

// terms adds the index terms of one run to set.
func terms(run Run, set map[string]struct{}) {
	if !run.Han {
		w := run.Text
		if len(w) > maxWord {
			w = w[:maxWord]
			for !utf8.ValidString(w) {
				w = w[:len(w)-1]
			}
		}
		set[w] = struct{}{}
		return
	}
	rs := []rune(run.Text)
	for i := 0; i+1 < len(rs); i++ {
		set[string(rs[i:i+2])] = struct{}{}
	}
	set[string(rs[len(rs)-1])] = struct{}{}
}

// Vector is the tsvector literal of the texts' terms (each once, no
// positions), for a tsvector column: `'消防' '防安' …`.
func Vector(texts ...string) string {
	set := map[string]struct{}{}
	for _, t := range texts {
		for _, run := range Runs(t) {
			terms(run, set)
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(k))
	}
	return b.String()
}

// Quote is a lexeme in tsvector/tsquery syntax. Runs hold only letters,
// digits and Han, but a quote or backslash would be escaped all the same.
func Quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `''`) + "'"
}

// Query is a visitor's query as a tsquery (every run must match), and
// the runs Highlight marks; "" when the query holds nothing to look for.
func Query(q string) (string, []string) {
	var parts, runs []string
	seen := map[string]bool{}
	for _, run := range Runs(q) {
		if seen[run.Text] {
			continue
		}
		seen[run.Text] = true
		runs = append(runs, run.Text)
		rs := []rune(run.Text)
		switch {
		case !run.Han:
			set := map[string]struct{}{}
			terms(run, set)
			for k := range set {
				parts = append(parts, Quote(k)+":*")
			}
		case len(rs) == 1:
			parts = append(parts, Quote(run.Text)+":*")
		default:
			for i := 0; i+1 < len(rs); i++ {
				parts = append(parts, Quote(string(rs[i:i+2])))
			}
		}
	}
	return strings.Join(parts, " & "), runs
}

// Segment is a piece of a highlighted text: a hit or not.
type Segment struct {
	Text string
	Hit  bool
}

// Highlight cuts text into segments, the hits being the places where one
// of runs occurs (folded as Runs folds, so ＰＭ matches pm). With max > 0
// the text is first cut to about max characters around the first hit,
// with an ellipsis where it was cut.
func Highlight(text string, runs []string, max int) []Segment {
	src := []rune(text)
	folded := make([]rune, len(src))
	for i, r := range src {
		folded[i] = fold(r)
	}
	hit := make([]bool, len(src))
	first := -1
	for _, q := range runs {
		qr := []rune(q)
		if len(qr) == 0 {
			continue
		}
		for i := 0; i+len(qr) <= len(folded); i++ {
			if runesEqual(folded[i:i+len(qr)], qr) {
				for j := i; j < i+len(qr); j++ {
					hit[j] = true
				}
				if first < 0 || i < first {
					first = i
				}
			}
		}
	}
	from, to := 0, len(src)
	if max > 0 && len(src) > max {
		if first > max/3 {
			from = first - max/3
		}
		to = min(from+max, len(src))
	}
	var out []Segment
	if from > 0 {
		out = append(out, Segment{Text: "…"})
	}
	for i := from; i < to; {
		j := i
		for j < to && hit[j] == hit[i] {
			j++
		}
		out = append(out, Segment{Text: string(src[i:j]), Hit: hit[i]})
		i = j
	}
	if to < len(src) {
		out = append(out, Segment{Text: "…"})
	}
	return out
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
