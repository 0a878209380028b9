// Package runetext prepares a text for regular-expression matching while
// keeping the offsets that findings report.
//
// Findings give rune offsets into the original text, but the detectors match
// their regular expressions on a folded copy of it (full-width digits made
// ASCII, for instance), and regexp reports byte offsets into that copy. A
// Text folds one rune for one rune, so rune offsets into the copy are rune
// offsets into the original, and keeps the map from the copy's byte offsets
// back to rune offsets.
package runetext

import "unicode/utf8"

// Text is a string folded rune by rune (so rune offsets are unchanged) with a
// map from byte offsets of the folded string back to rune offsets.
//
// An invalid byte of the original becomes one U+FFFD, exactly as
// utf8.RuneCountInString counts it.
type Text struct {
	Runes  []rune // the original's runes, folded
	Str    string // string(Runes), for the regular expressions
	ByteAt []int  // ByteAt[b] is the rune offset of byte b of Str; len(Str)+1 entries
}

// New prepares raw, folding each rune with fold; fold may be nil to keep the
// runes as they are.
func New(raw string, fold func(rune) rune) *Text {
	rs := []rune(raw)
	if fold != nil {
		for i, r := range rs {
			rs[i] = fold(r)
		}
	}
	str := string(rs)
	byteAt := make([]int, len(str)+1)
	n := 0
	for b := 0; b < len(str); {
		_, size := utf8.DecodeRuneInString(str[b:])
		for k := range size {
			byteAt[b+k] = n
		}
		b += size
		n++
	}
	byteAt[len(str)] = n
	return &Text{Runes: rs, Str: str, ByteAt: byteAt}
}

// Rune returns the rune offset of byte offset b of t.Str; b may be len(t.Str).
func (t *Text) Rune(b int) int { return t.ByteAt[b] }

// Span converts a byte range of t.Str, as regexp reports it, to a rune range.
func (t *Text) Span(b0, b1 int) (int, int) { return t.ByteAt[b0], t.ByteAt[b1] }

// FoldDigits maps the full-width digits ０-９ to the ASCII digits and leaves
// every other rune alone.
func FoldDigits(r rune) rune {
	if r >= '０' && r <= '９' {
		return r - '０' + '0'
	}
	return r
}
