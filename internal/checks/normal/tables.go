package normal

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tsCharacters is OpenCC's traditional-to-simplified character table; see
// opencc/README.md for its source and licence.
//
//go:embed opencc/TSCharacters.txt
var tsCharacters string

// Per-rune flags.
const (
	fInert  uint8 = 1 << iota // the rune alone folds to itself
	fBB                       // NFKC boundary before: the rune never combines with the one before it
	fHidden                   // the rune is an invisible (default-ignorable) character, removed
)

var (
	tablesOnce sync.Once
	bmpFlags   *[0x10000]uint8  // flags of each BMP rune
	bmpIndex   *[0x10000]uint16 // for a rune that is not inert, its fold in bmpMapped
	bmpMapped  [][]rune         // the folds of the BMP runes that change
	t2s        map[rune]rune    // OpenCC's table, first candidate, chains resolved
)

// loadTables builds the tables once per process: about 200 KB for the BMP
// and the 4,000 characters of OpenCC's table; about 10 ms.
func loadTables() {
	tablesOnce.Do(func() {
		t2s = parseTS(tsCharacters)
		fl, idx := new([0x10000]uint8), new([0x10000]uint16)
		mapped := make([][]rune, 1, 12288) // index 0 unused
		var buf [utf8.UTFMax]byte
		for r := rune(0); r < 0x10000; r++ {
			f, out := computeRune(r, buf[:])
			fl[r] = f
			if f&fInert == 0 {
				idx[r] = uint16(len(mapped))
				mapped = append(mapped, out)
			}
		}
		bmpFlags, bmpIndex, bmpMapped = fl, idx, mapped
	})
}

// parseTS reads OpenCC's table: "key<TAB>candidate candidate…", comments
// after #. Each key maps to its first candidate; a key whose candidate is
// itself a key is followed to the end of the chain, so that folding twice
// folds no further.
func parseTS(data string) map[rune]rune {
	m := make(map[rune]rune, 4200)
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		key, vals, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimSpace(vals), " ")
		k, ks := utf8.DecodeRuneInString(key)
		v, vs := utf8.DecodeRuneInString(first)
		if ks != len(key) || vs != len(first) || k == utf8.RuneError || v == utf8.RuneError || k == v {
			continue // only character-for-character entries; identities change nothing
		}
		m[k] = v
	}
	for k, v := range m {
		for i := 0; i < 8; i++ { // the table has chains of two at most
			w, ok := m[v]
			if !ok || w == v {
				break
			}
			v = w
		}
		m[k] = v
	}
	return m
}

// computeRune returns the flags of r and, unless r is inert, what it folds to
// on its own (possibly nothing).
func computeRune(r rune, buf []byte) (uint8, []rune) {
	var f uint8
	if !utf8.ValidRune(r) {
		return fBB, []rune{utf8.RuneError}
	}
	n := utf8.EncodeRune(buf, r)
	if norm.NFKC.Properties(buf[:n]).BoundaryBefore() {
		f |= fBB
	}
	if ignorable(r) {
		return f | fHidden, nil
	}
	out := foldNFKC(nil, norm.NFKC.String(string(buf[:n])))
	if len(out) == 1 && out[0] == r {
		return f | fInert, nil
	}
	return f, out
}

// foldNFKC appends the fold of ns, the NFKC form of a segment, rune by rune:
// invisible characters and combining marks are dropped, traditional
// characters become simplified ones, the star look-alikes ★ and the hyphen
// look-alikes -.
func foldNFKC(dst []rune, ns string) []rune {
	for _, r := range ns {
		if r, ok := post(r); ok {
			dst = append(dst, r)
		}
	}
	return dst
}

// post folds one rune of NFKC's output; false drops it.
func post(r rune) (rune, bool) {
	switch {
	case ignorable(r):
		return 0, false
	case r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Me):
		return 0, false
	}
	if s, ok := t2s[r]; ok {
		r = s
	}
	switch r {
	case '☆', '⋆', '⭐', '⭑', '🌟':
		return '★', true
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2212':
		return '-', true
	}
	if r >= '✩' && r <= '✰' {
		return '★', true
	}
	return r, true
}

// ignorable reports whether r is an invisible character the normaliser
// removes: Unicode's Default_Ignorable_Code_Point (format characters such as
// the zero-width space, ZWJ/ZWNJ, the word joiner, the soft hyphen, the BOM
// and the bidi controls; variation selectors; the Hangul fillers; the
// combining grapheme joiner), less the prepended concatenation marks, which
// are visible.
func ignorable(r rune) bool {
	if r < 0xAD {
		return false
	}
	return unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Prepended_Concatenation_Mark, r) ||
		unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// flagsOf returns the flags of r, from the table for the BMP.
func flagsOf(r rune) uint8 {
	if r < 0x10000 {
		return bmpFlags[r]
	}
	var buf [utf8.UTFMax]byte
	f, _ := computeRune(r, buf[:])
	return f
}

// foldRune returns what r folds to on its own and its flags; out is nil when
// r is inert or removed.
func foldRune(r rune) (out []rune, f uint8) {
	if r >= 0 && r < 0x10000 {
		f = bmpFlags[r]
		if f&fInert == 0 {
			out = bmpMapped[bmpIndex[r]]
		}
		return out, f
	}
	var buf [utf8.UTFMax]byte
	f, out = computeRune(r, buf[:])
	return out, f
}

// Fold returns what the rune r, standing alone, becomes in the normalised
// text: usually r itself; nothing for an invisible character or a combining
// mark; the simplified character for a traditional one; several runes for an
// NFKC expansion (… is ...). The sensitive-word matcher builds its tables
// from it, so that it normalises exactly as the other detectors do.
func Fold(r rune) []rune {
	loadTables()
	out, f := foldRune(r)
	if f&fInert != 0 {
		return []rune{r}
	}
	return out
}

// FoldSegment appends to dst what seg, a rune followed by the runes that
// combine with it (see StartsSegment), becomes in the normalised text.
func FoldSegment(dst []rune, seg string) []rune {
	loadTables()
	if !utf8.ValidString(seg) {
		seg = string([]rune(seg)) // each invalid byte is one U+FFFD, as counted
	}
	return foldNFKC(dst, norm.NFKC.String(seg))
}

// StartsSegment reports whether r never combines with the rune before it
// under NFKC, so that the text can be folded in pieces that start with it.
// ASCII and the CJK ideographs always do.
func StartsSegment(r rune) bool {
	loadTables()
	return flagsOf(r)&fBB != 0
}

// Invisible reports whether the normaliser removes r as an invisible
// character (and reports it, see Text.Hidden).
func Invisible(r rune) bool { return ignorable(r) }
