// Package runetext prepares a text for regular-expression matching while
// keeping the offsets that findings report.
//
// Findings give rune offsets into the original text, but the detectors match
// their regular expressions on a folded copy of it (full-width digits made
// ASCII, for instance), and regexp reports byte offsets into that copy. A
// Text folds one rune for one rune, so rune offsets into the copy are rune
// offsets into the original, and keeps the map from the copy's byte offsets
// back to rune offsets.
//
// A Sieve runs an expression only where in the text it can match, which is
// what makes the checks affordable: see sieve.go.
package runetext

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Text is a string folded rune by rune (so rune offsets are unchanged) with a
// map from byte offsets of the folded string back to rune offsets.
//
// An invalid byte of the original becomes one U+FFFD, exactly as
// utf8.RuneCountInString counts it.
type Text struct {
	Runes []rune // the original's runes, folded
	Str   string // string(Runes), for the regular expressions
	// ByteAt[b] is the rune offset of byte b of Str; len(Str)+1 entries. New
	// fills it; Prepare leaves it nil.
	ByteAt []int

	// starts[i] is the byte offset in Str of rune i, len(Runes)+1 entries,
	// built by the first Rune of a Text without ByteAt: many texts are
	// never asked for an offset, having nothing to report.
	startsOnce sync.Once
	starts     []int32
}

// New prepares raw, folding each rune with fold; fold may be nil to keep the
// runes as they are.
func New(raw string, fold func(rune) rune) *Text {
	t := prepare(raw, fold)
	t.ByteAt = make([]int, len(t.Str)+1)
	for b, i := 0, 0; b < len(t.Str); i++ {
		for range runeLen(t.Str[b]) {
			t.ByteAt[b] = i
			b++
		}
	}
	t.ByteAt[len(t.Str)] = len(t.Runes)
	return t
}

// Prepare is New without ByteAt, for the checks: Rune and Span look the
// offset up in a table of where each rune starts, built when first needed,
// which takes 4 bytes a rune where ByteAt takes 8 a byte (24 a Chinese
// character). Every field of every draft is prepared at every stage, and
// ByteAt was most of the checks' allocations and a good part of their time.
func Prepare(raw string, fold func(rune) rune) *Text {
	t := prepare(raw, fold)
	if len(t.Str) > math.MaxInt32 { // too long for the table
		return New(raw, fold)
	}
	return t
}

// prepare folds raw into Runes and Str. It decodes raw once and copies the
// stretches fold leaves alone rather than re-encoding them, sharing raw
// itself when there are none. Str is valid UTF-8 whatever raw is.
func prepare(raw string, fold func(rune) rune) *Text {
	// The runes of raw if it is valid UTF-8, counted without decoding;
	// append grows rs past it otherwise.
	n := 0
	for i := 0; i < len(raw); i++ {
		if raw[i]&0xC0 != 0x80 {
			n++
		}
	}
	rs := make([]rune, 0, n)
	var sb strings.Builder
	copied := 0 // raw[:copied] is in sb
	for j := 0; j < len(raw); {
		r, w := rune(raw[j]), 1
		switch {
		case r < utf8.RuneSelf:
		case j+2 < len(raw) && raw[j]-0xE1 <= 0xEF-0xE1 && raw[j] != 0xED && raw[j+1]&0xC0 == 0x80 && raw[j+2]&0xC0 == 0x80:
			// Three bytes with no range to check (lead E1-EC, EE-EF):
			// Chinese text, decoded inline.
			r, w = (r&0x0F)<<12|rune(raw[j+1]&0x3F)<<6|rune(raw[j+2]&0x3F), 3
		default:
			r, w = utf8.DecodeRuneInString(raw[j:]) // U+FFFD, 1 for an invalid byte
		}
		f := r
		if fold != nil {
			f = fold(r)
		}
		rs = append(rs, f)
		if f != r || r == utf8.RuneError && w == 1 { // folded, or an invalid byte that Str spells U+FFFD
			if sb.Cap() == 0 {
				sb.Grow(len(raw) + 2*utf8.UTFMax)
			}
			sb.WriteString(raw[copied:j])
			sb.WriteRune(f)
			copied = j + w
		}
		j += w
	}
	str := raw
	if sb.Cap() > 0 {
		sb.WriteString(raw[copied:])
		str = sb.String()
	}
	return &Text{Runes: rs, Str: str}
}

// runeLen is the length of the rune that starts with byte c of valid UTF-8.
func runeLen(c byte) int {
	switch {
	case c >= 0xF0:
		return 4
	case c >= 0xE0:
		return 3
	case c >= 0xC0:
		return 2
	}
	return 1
}

// Rune returns the rune offset of byte offset b of t.Str; b may be len(t.Str).
func (t *Text) Rune(b int) int {
	if t.ByteAt != nil {
		return t.ByteAt[b]
	}
	if b < 0 || b > len(t.Str) {
		panic(fmt.Sprintf("runetext: byte offset %d out of range [0, %d]", b, len(t.Str)))
	}
	t.startsOnce.Do(func() {
		t.starts = make([]int32, 0, len(t.Runes)+1)
		for b := 0; b < len(t.Str); b += runeLen(t.Str[b]) {
			t.starts = append(t.starts, int32(b))
		}
		t.starts = append(t.starts, int32(len(t.Str)))
	})
	i, found := slices.BinarySearch(t.starts, int32(b))
	if !found {
		i-- // b is inside rune i-1
	}
	return i
}

// Span converts a byte range of t.Str, as regexp reports it, to a rune range.
func (t *Text) Span(b0, b1 int) (int, int) { return t.Rune(b0), t.Rune(b1) }

// FoldDigits maps the full-width digits ０-９ to the ASCII digits and leaves
// every other rune alone.
func FoldDigits(r rune) rune {
	if r >= '０' && r <= '９' {
		return r - '０' + '0'
	}
	return r
}
