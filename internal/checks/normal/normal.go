// Package normal is the one normalisation in front of every detector of the
// machine checks: markings, personal data, credit codes, document numbers,
// dates, and (through Fold and FoldSegment) the sensitive-word list. A draft
// that writes 祕密★, 秘\u200b密★ or 秘密☆ is read as 秘密★; an ID number written
// １１０１０５ 19900307 1239 is read as 110105199003071239.
//
// The normalised text keeps a map back to the original, so a finding made on
// it still highlights the characters the drafter typed, invisible ones
// included. Offsets are rune offsets, End exclusive, as findings give them.
//
// # What it does
//
// Per rune (or per NFKC segment: a rune and the combining runes after it),
// in this order:
//
//  1. Unicode NFKC: full-width digits, letters and punctuation become ASCII
//     (，is ",", ：is ":", （ is "("), the ideographic and no-break spaces a
//     space, ﹝ is 〔, … is "...", compatibility ideographs their unified
//     forms, accents are composed.
//  2. Invisible characters are removed: Unicode's default-ignorable code
//     points (zero-width space, ZWJ, ZWNJ, word joiner, soft hyphen, BOM,
//     bidi controls, variation selectors, Hangul fillers, CGJ). They are
//     listed by Text.Hidden, as they are a finding of their own.
//  3. Combining marks left over by NFKC (on a Han character, say) are
//     removed: 敏\u0301感 reads 敏感.
//  4. Traditional characters become simplified ones, character by character,
//     with OpenCC's table (opencc/): 機密 is 机密, 祕密 is 秘密, 內部 is 内部.
//     Phrases are not converted.
//  5. The star look-alikes ☆ ✩-✰ ⋆ ⭐ ⭑ 🌟 become ★, and the hyphen look-alikes
//     (U+2010-U+2013, the minus sign) become "-". The asterisk stays an
//     asterisk: masks use it, and only the marking detector gives it the
//     meaning of a star, right after a level word.
//
// Then two rules that look at the runes around:
//
//  6. Inside a marking, whitespace is collapsed: 秘 密★, 秘\n密★ and
//     绝 密 ★ read 秘密★ (and 工 作 秘 密★ 工作秘密★). Only a run of whitespace
//     between characters that then make up a level word and a star goes.
//  7. Inside an ID-shaped or phone-shaped grouping, a single space, dot or
//     hyphen between groups goes: 6-8-4, 6-4-4-4 and 4-4-4-4-2 (an 18-character
//     resident ID, the last group may end in X) and 3-4-4 (a mobile number,
//     after +86 or 86- if any). The groups must use one separator, stand on
//     one line, not be joined to a further group, and read as what they look
//     like: a province code and a date where an ID has them, 13-19 where a
//     mobile number starts. Nothing else is joined, and nothing across a line
//     break: numbers in tables and statistics stay apart.
//
// # The offset map
//
// Each rune of the normalised text comes from a span of original runes:
// usually one rune; an NFKC segment for a composed or expanded one (the
// three dots of … all come from the one …). Removed runes come before the
// span of the next rune kept, so Source of a normalised range is the
// original range from the first kept rune's start to the last kept rune's
// end: whatever was removed between them is inside it, nothing removed
// around them is. While the text needs no such map (each rune folds to one
// rune and nothing is removed) it is not allocated.
package normal

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/runetext"
)

// Text is a field normalised for the detectors, with the map back to the
// original. The embedded runetext.Text holds the normalised runes and string
// (Runes, Str), and its Span converts byte offsets of Str to rune offsets of
// Runes; Source converts those to rune offsets of the original.
type Text struct {
	*runetext.Text

	orig  string
	origN int     // runes of orig (an invalid byte counts one)
	src   []int32 // original start of each normalised rune; nil: the identity
	end   []int32 // original end (exclusive) of each normalised rune

	hidden    []Range // invisible characters removed, as runs of original runes
	origRunes []rune  // built on first use
}

// Range is a range of rune offsets, End exclusive.
type Range struct{ Start, End int }

// New normalises s.
func New(s string) *Text {
	loadTables()
	n := 0 // runes of s if it is valid UTF-8; append grows past it otherwise
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			n++
		}
	}
	b := builder{s: s, runes: make([]rune, 0, n), capHint: n}
	b.run()
	t := &Text{orig: s, origN: b.ri, src: b.src, end: b.end, hidden: b.hidden}
	runes, str := b.runes, b.str
	if b.maybeMarking || b.maybeGroup {
		if del := collapse(runes, b.maybeMarking, b.maybeGroup); del != nil {
			runes, t.src, t.end = compact(runes, b.src, b.end, del)
			str = string(runes)
		}
	}
	t.Text = &runetext.Text{Runes: runes, Str: str}
	return t
}

// String normalises s and returns the normalised text alone.
func String(s string) string { return New(s).Str }

// builder is the first pass of New: the per-rune folds (steps 1-5).
type builder struct {
	s       string
	ri      int // rune offset in s of the next rune
	capHint int

	runes  []rune
	src    []int32 // nil while the map is the identity
	end    []int32
	sb     strings.Builder // the normalised string, once it differs from s
	copied int             // s[:copied] is in sb
	str    string

	hidden []Range
	prev   rune // the last original rune read

	// Whether the second pass may have work: whitespace next to a 密 or a
	// ★, a separator between two ASCII alphanumerics.
	maybeMarking, maybeGroup bool
}

// deviate starts the offset map, when the identity ends.
func (b *builder) deviate() {
	if b.src != nil {
		return
	}
	k := len(b.runes)
	b.src = make([]int32, k, max(b.capHint, k)+8)
	b.end = make([]int32, k, max(b.capHint, k)+8)
	for i := range k {
		b.src[i], b.end[i] = int32(i), int32(i+1)
	}
}

// replace writes the folded runes out for the original bytes s[pos:next]
// (runes ri..ri+cnt), replacing them in the normalised string.
func (b *builder) replace(pos, next, cnt int, out []rune) {
	if b.sb.Cap() == 0 {
		b.sb.Grow(len(b.s) + 2*utf8.UTFMax)
	}
	b.sb.WriteString(b.s[b.copied:pos])
	for _, r := range out {
		b.sb.WriteRune(r)
	}
	b.copied = next
	if len(out) != 1 || cnt != 1 {
		b.deviate()
	}
	for _, r := range out {
		b.runes = append(b.runes, r)
		if b.src != nil {
			b.src = append(b.src, int32(b.ri))
			b.end = append(b.end, int32(b.ri+cnt))
		}
		b.note(r)
	}
}

// note records what the second pass needs to know of the rune just
// emitted: whitespace before a character of a marking, a separator between
// two ASCII alphanumerics.
func (b *builder) note(r rune) {
	n := len(b.runes)
	switch {
	case markingRune(r):
		if n >= 2 && isSpace(b.runes[n-2]) {
			b.maybeMarking = true
		}
	case isAlnum(r):
		if n >= 3 && isSep(b.runes[n-2]) && isAlnum(b.runes[n-3]) {
			b.maybeGroup = true
		}
	}
}

// markingRune is a character of a marking that whitespace may stand before.
func markingRune(r rune) bool { return r == '★' || r == '密' || r == '秘' || r == '作' }

func (b *builder) run() {
	s := b.s
	pos := 0
	for pos < len(s) {
		r, sz := rune(s[pos]), 1
		if r >= utf8.RuneSelf {
			if pos+2 < len(s) && uint32(r)-0xE1 <= 0xEF-0xE1 && r != 0xED && s[pos+1]&0xC0 == 0x80 && s[pos+2]&0xC0 == 0x80 {
				// Three bytes with no range to check (lead E1-EC, EE-EF):
				// Chinese text, decoded inline.
				r, sz = (r&0x0F)<<12|rune(s[pos+1]&0x3F)<<6|rune(s[pos+2]&0x3F), 3
			} else {
				r, sz = utf8.DecodeRuneInString(s[pos:])
			}
		}
		next := pos + sz
		// Does the next rune start a new segment? ASCII and U+4000-U+9FFF
		// (lead bytes E4-E9: CJK ideographs) always do; see TestFastPaths.
		nextBB := true
		if next < len(s) {
			if c := s[next]; c >= utf8.RuneSelf && (c < 0xE4 || c > 0xE9) {
				nr, _ := utf8.DecodeRuneInString(s[next:])
				nextBB = flagsOf(nr)&fBB != 0
			}
		}
		if nextBB {
			if r < utf8.RuneSelf {
				b.runes = append(b.runes, r)
				if b.src != nil {
					b.src = append(b.src, int32(b.ri))
					b.end = append(b.end, int32(b.ri+1))
				}
				if isAlnum(r) {
					b.note(r)
				}
			} else if r == utf8.RuneError && sz == 1 { // an invalid byte: U+FFFD in the text
				b.replace(pos, next, 1, []rune{utf8.RuneError})
			} else {
				out, f := foldRune(r)
				switch {
				case f&fInert != 0:
					b.runes = append(b.runes, r)
					if b.src != nil {
						b.src = append(b.src, int32(b.ri))
						b.end = append(b.end, int32(b.ri+1))
					}
					if markingRune(r) {
						b.note(r)
					}
				case len(out) == 0:
					b.deviate()
					b.replace(pos, next, 1, nil)
					if f&fHidden != 0 && !b.partOfEmoji(r, next) {
						b.hide(b.ri)
					}
				default:
					b.replace(pos, next, 1, out)
				}
			}
			b.prev = r
			pos, b.ri = next, b.ri+1
			continue
		}
		// A segment: r with the runes that combine with it.
		end, cnt := next, 1
		for end < len(s) && cnt < maxSegment {
			nr, nsz := utf8.DecodeRuneInString(s[end:])
			if flagsOf(nr)&fBB != 0 {
				break
			}
			end += nsz
			cnt++
		}
		if flagsOf(r)&fHidden != 0 {
			b.hide(b.ri)
		}
		var buf [8]rune
		b.deviate()
		b.replace(pos, end, cnt, FoldSegment(buf[:0], s[pos:end]))
		b.prev = r
		pos, b.ri = end, b.ri+cnt
	}
	if b.sb.Cap() == 0 {
		b.str = s
	} else {
		b.sb.WriteString(s[b.copied:])
		b.str = b.sb.String()
	}
}

// maxSegment bounds a segment, so that a run of thousands of combining marks
// is folded in pieces.
const maxSegment = 32

// hide records the removed invisible rune at original offset i.
func (b *builder) hide(i int) {
	if n := len(b.hidden); n > 0 && b.hidden[n-1].End == i {
		b.hidden[n-1].End = i + 1
		return
	}
	b.hidden = append(b.hidden, Range{i, i + 1})
}

// partOfEmoji reports whether the invisible rune r belongs to an emoji, where
// it is not hidden but part of the picture: a variation selector after a
// symbol or before the keycap mark (❤️, 1️⃣), a ZWJ between two emoji (👨‍👩‍👧).
// It is still removed.
func (b *builder) partOfEmoji(r rune, next int) bool {
	nr, _ := utf8.DecodeRuneInString(b.s[next:])
	switch r {
	case 0xFE0E, 0xFE0F:
		return emojiLike(b.prev) || nr == 0x20E3
	case 0x200D:
		return (emojiLike(b.prev) || b.prev == 0xFE0F) && emojiLike(nr)
	}
	return false
}

func emojiLike(r rune) bool {
	return r >= 0x1F000 && r < 0x1FB00 || r >= 0x2190 && r < 0x2C00 && unicode.Is(unicode.So, r)
}

func isAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// isSep is a separator that may join the groups of a number.
func isSep(r rune) bool { return r == ' ' || r == '.' || r == '-' }

// isSpace is whitespace, line breaks included (after NFKC: the ideographic
// and no-break spaces are spaces by then).
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x85, 0x2028, 0x2029:
		return true
	}
	return r > 0x85 && unicode.IsSpace(r)
}

// compact removes the runes marked in del, and their entries in the map.
func compact(runes []rune, src, end []int32, del []bool) ([]rune, []int32, []int32) {
	if src == nil {
		src = make([]int32, len(runes))
		end = make([]int32, len(runes))
		for i := range runes {
			src[i], end[i] = int32(i), int32(i+1)
		}
	}
	j := 0
	for i := range runes {
		if del[i] {
			continue
		}
		runes[j], src[j], end[j] = runes[i], src[i], end[i]
		j++
	}
	return runes[:j], src[:j], end[:j]
}

// Source returns the range of original runes that the normalised runes
// [start, end) come from. An empty range maps to the position before the
// original rune of the normalised rune at start.
func (t *Text) Source(start, end int) (int, int) {
	if t.src == nil {
		return start, end
	}
	if start >= end {
		p := t.origN
		if start < len(t.src) {
			p = int(t.src[start])
		}
		return p, p
	}
	return int(t.src[start]), int(t.end[end-1])
}

// Identity reports whether the normalised runes are the original ones, one
// for one, so that Source changes no offset.
func (t *Text) Identity() bool { return t.src == nil }

// Hidden returns the invisible characters that were removed, as runs of
// original rune offsets, in order. Variation selectors and joiners that are
// part of an emoji are not listed.
func (t *Text) Hidden() []Range { return t.hidden }

// Original returns the text as given.
func (t *Text) Original() string { return t.orig }

// OriginalLen returns the number of runes of the original text.
func (t *Text) OriginalLen() int { return t.origN }

// OriginalRunes returns the runes of the original text (an invalid byte is
// one U+FFFD). Do not modify them.
func (t *Text) OriginalRunes() []rune {
	if t.origRunes == nil {
		t.origRunes = []rune(t.orig)
	}
	return t.origRunes
}

// Display returns what the drafter wrote for the normalised runes
// [start, end): the original runes of Source(start, end) without the
// invisible characters removed from them.
func (t *Text) Display(start, end int) string {
	s, e := t.Source(start, end)
	rs := t.OriginalRunes()[s:e]
	var b strings.Builder
	for i, r := range rs {
		if !t.hiddenAt(s + i) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hiddenAt reports whether original rune i was removed as invisible.
func (t *Text) hiddenAt(i int) bool {
	k, _ := slices.BinarySearchFunc(t.hidden, i, func(h Range, i int) int {
		if h.End <= i {
			return -1
		}
		if h.Start > i {
			return 1
		}
		return 0
	})
	return k < len(t.hidden) && t.hidden[k].Start <= i && i < t.hidden[k].End
}
