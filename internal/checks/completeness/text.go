package completeness

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/normal"
	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The fields of domain.Content that carry text, as findings name them.
const (
	fieldTitle = "title"
	fieldBody  = "body"
)

// text is one field prepared for scanning, named as findings name it; see
// runetext for how its offsets stay those of what the officer typed. Full-width
// digits become ASCII digits.
type text struct {
	name string
	*runetext.Text
}

func newText(name, raw string) *text {
	return &text{name: name, Text: runetext.Prepare(raw, runetext.FoldDigits)}
}

// slice returns the runes [start, end) as a string.
func (t *text) slice(start, end int) string { return string(t.Runes[start:end]) }

// ntext is one field as package normal reads it, for the detectors that must
// see through how a thing is written (document numbers, dates): Runes, Str
// and Span are those of the normalised text, and finding maps its offsets
// back to the original. The typographic rules (brackets, punctuation, names)
// read the text as written instead, in a text.
type ntext struct {
	name string
	*normal.Text
}

func newNText(name string, t *normal.Text) *ntext { return &ntext{name: name, Text: t} }

// slice returns the normalised runes [start, end) as a string.
func (t *ntext) slice(start, end int) string { return string(t.Runes[start:end]) }

// finding is newFinding for a finding made on the normalised text: start and
// end are offsets into it, and the finding gets those into the original.
func (t *ntext) finding(code string, sev domain.Severity, start, end int, zh, en, suggestion string) domain.Finding {
	s, e := t.Source(start, end)
	return newFinding(code, sev, t.name, s, e, zh, en, suggestion)
}

// runeSet is a set of runes for the tests made on every rune of a text, where
// strings.ContainsRune or a map lookup per rune shows in a profile.
type runeSet struct {
	ascii [2]uint64 // bit r of the 128 ASCII runes
	pages [4]uint64 // bit p: a rune of the set lies in r>>8 == p of the BMP, where Han runes seldom do
	other []rune    // the non-ASCII runes, sorted
}

func newRuneSet(ss ...string) *runeSet {
	s := &runeSet{}
	for _, str := range ss {
		for _, r := range str {
			switch {
			case r < utf8.RuneSelf:
				s.ascii[r/64] |= 1 << (r % 64)
				continue
			case r < 0x10000:
				p := r >> 8
				s.pages[p/64] |= 1 << (p % 64)
			}
			if !slices.Contains(s.other, r) {
				s.other = append(s.other, r)
			}
		}
	}
	slices.Sort(s.other)
	return s
}

func (s *runeSet) has(r rune) bool {
	switch {
	case r < 0:
		return false
	case r < utf8.RuneSelf:
		return s.ascii[r/64]&(1<<(r%64)) != 0
	case r < 0x10000:
		if p := r >> 8; s.pages[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	_, found := slices.BinarySearch(s.other, r)
	return found
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isLineBreak(r rune) bool { return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029 }

// isSpace is any blank a Chinese text uses, the ideographic space included.
func isSpace(r rune) bool {
	if r > '\u3000' { // no blank lies above it: a Han rune is decided at once
		return false
	}
	return unicode.IsSpace(r) || r == '\u3000'
}

// blank reports whether s holds nothing but blanks.
func blank(s string) bool { return strings.TrimFunc(s, isSpace) == "" }

// hasPrefixAt reports whether rs[i:] starts with s.
func hasPrefixAt(rs []rune, i int, s string) bool {
	for _, r := range s {
		if i < 0 || i >= len(rs) || rs[i] != r {
			return false
		}
		i++
	}
	return true
}

// hasSuffixAt reports whether rs[:end] ends with s.
func hasSuffixAt(rs []rune, end int, s string) bool {
	n := utf8.RuneCountInString(s)
	return end-n >= 0 && end <= len(rs) && hasPrefixAt(rs, end-n, s)
}

// hanRunStart returns where the run of Han characters that ends at end
// (exclusive) starts, looking back at most limit runes.
func hanRunStart(rs []rune, end, limit int) int {
	i := end
	for i > 0 && end-i < limit && isHan(rs[i-1]) {
		i--
	}
	return i
}

func newFinding(code string, sev domain.Severity, field string, start, end int, zh, en, suggestion string) domain.Finding {
	return domain.Finding{Code: code, Severity: sev, Stage: domain.StageCompleteness, Field: field,
		Start: start, End: end, MessageZH: zh, MessageEN: en, Suggestion: suggestion}
}

// wholeDraft is a finding about the draft as a whole: no field, offsets -1.
func wholeDraft(code string, sev domain.Severity, zh, en string) domain.Finding {
	return newFinding(code, sev, "", -1, -1, zh, en, "")
}

func fieldRank(field string) int {
	switch field {
	case "":
		return 0
	case fieldTitle:
		return 1
	}
	return 2
}

// sortFindings orders findings as a reader meets them: the whole draft, then
// the title, then the body, each by offset.
func sortFindings(fs []domain.Finding) {
	slices.SortStableFunc(fs, func(a, b domain.Finding) int {
		return cmp.Or(
			cmp.Compare(fieldRank(a.Field), fieldRank(b.Field)),
			cmp.Compare(a.Start, b.Start),
			cmp.Compare(a.End, b.End),
			cmp.Compare(a.Code, b.Code),
		)
	})
}

// dedupe drops a finding with the same code and span as an earlier one, which
// two overlapping heuristics may both produce.
func dedupe(fs []domain.Finding) []domain.Finding {
	type key struct {
		code, field string
		start, end  int
	}
	seen := map[key]bool{}
	out := fs[:0]
	for _, f := range fs {
		k := key{f.Code, f.Field, f.Start, f.End}
		if f.Start >= 0 && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	return out
}
