package words

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/normal"
)

// maxNoise is the longest run of noise runes skipped between two word runes.
const maxNoise = 3

// maxSegment bounds a normalisation segment so that a pathological run of
// combining marks cannot make one step emit unbounded output.
const maxSegment = 32

// Rune classes after normalisation.
const (
	clsWord  uint8 = 1
	clsNoise uint8 = 2
	clsOther uint8 = 3
	clsMask  uint8 = 3

	fBB    uint8 = 4 // NFKC boundary before the rune: it never combines leftwards
	fInert uint8 = 8 // NFKC + lower-case map the rune, alone, to itself
)

type outRune struct {
	r   rune
	cls uint8
}

var (
	tablesOnce sync.Once
	bmpFlags   *[0x10000]uint8   // flags of each BMP rune
	bmpIndex   *[0x10000]uint16  // for a non-inert BMP rune, its index in bmpMapped
	bmpMapped  [][]outRune       // normalised forms of the non-inert BMP runes
	hardPunct  = map[rune]bool{} // original runes that are always boundaries
	lineBreaks = [...]rune{'\n', '\r', '\v', '\f', 0x85, 0x2028, 0x2029}
)

func init() {
	for _, r := range "，、。．！？；：｡﹐﹑﹒﹔﹕﹖﹗" {
		hardPunct[r] = true
	}
}

// loadTables builds the per-rune tables once per process: 192 KB of flags
// and indexes for the BMP, and the normalised forms of the ~6,000 BMP runes
// that normalisation changes (about 0.5 MB in all; ~10 ms).
func loadTables() {
	tablesOnce.Do(func() {
		t, idx := new([0x10000]uint8), new([0x10000]uint16)
		mapped := make([][]outRune, 1, 8192) // index 0 unused
		for r := rune(0); r < 0x10000; r++ {
			f, out := computeRune(r)
			t[r] = f
			if f&fInert == 0 {
				idx[r] = uint16(len(mapped))
				mapped = append(mapped, out)
			}
		}
		bmpFlags, bmpIndex, bmpMapped = t, idx, mapped
	})
}

// computeRune returns the flags of r and, unless r is inert, its normalised
// form with the class of each output rune. The form is the shared fold of
// package normal (NFKC, invisible characters and combining marks removed,
// traditional characters simplified, star and hyphen look-alikes folded),
// lower-cased: the word list reads a text exactly as the other detectors do.
func computeRune(r rune) (uint8, []outRune) {
	var f uint8
	if normal.StartsSegment(r) {
		f |= fBB
	}
	folded := normal.Fold(r)
	if utf8.ValidRune(r) && len(folded) == 1 && folded[0] == r && unicode.ToLower(r) == r {
		return f | fInert | classify(r, r), nil
	}
	out := appendSegment(nil, r, folded)
	cls := clsOther
	if len(out) == 1 {
		cls = out[0].cls
	}
	return f | cls, out
}

// appendSegment appends the lower-cased runes of folded, the normalised form
// of a segment whose first original rune is orig, with their classes.
func appendSegment(dst []outRune, orig rune, folded []rune) []outRune {
	for _, r := range folded {
		r = unicode.ToLower(r)
		dst = append(dst, outRune{r, classify(orig, r)})
	}
	return dst
}

// classify gives the class of the normalised rune r that came from a segment
// starting with the original rune orig.
func classify(orig, r rune) uint8 {
	if hardPunct[orig] {
		return clsOther
	}
	for _, lb := range lineBreaks {
		if r == lb {
			return clsOther
		}
	}
	switch {
	case unicode.IsLetter(r) || unicode.IsNumber(r):
		return clsWord
	case unicode.Is(unicode.Variation_Selector, r) || r == 0x034F: // CGJ
		return clsNoise
	case unicode.IsMark(r):
		return clsWord
	case unicode.IsSpace(r) || unicode.Is(unicode.Cf, r):
		return clsNoise
	case unicode.In(r, unicode.Ps, unicode.Pe, unicode.Pi, unicode.Pf):
		return clsOther
	case unicode.IsPunct(r) || unicode.IsSymbol(r):
		return clsNoise
	}
	return clsOther
}

// isNoiseRune reports whether a normalised rune is noise wherever it stands;
// it trims the ends of listed words.
func isNoiseRune(r rune) bool { return classify(r, r) == clsNoise }

// flagsOf returns the flags of r, from the table for the BMP.
func flagsOf(r rune) uint8 {
	if r < 0x10000 {
		return bmpFlags[r]
	}
	f, _ := computeRune(r)
	return f
}

// normalizer turns the original text into the normalised rune stream, a
// chunk at a time, recording for each output rune the span [start, end) of
// original runes it came from. It is the one implementation behind
// Normalize, NewMatcher and FindAll, so words and text can never drift apart.
type normalizer struct {
	text string
	pos  int // byte offset of the next original rune
	ri   int // rune offset of the next original rune

	// Output of the current chunk.
	runes  []rune
	starts []int
	ends   []int

	// Noise-run state.
	prevWord  bool // the last rune emitted (or held before a pending run) is a word rune
	prevASCII bool // ... and an ASCII letter or digit
	longRun   bool // the current noise run is longer than maxNoise: emitted as is
	npend     int
	pendSpace bool
	pend      [maxNoise]struct {
		r          rune
		start, end int
	}

	multi bool // some output runes share one source span (an NFKC expansion)
}

func (n *normalizer) reset(text string) {
	loadTables()
	n.text, n.pos, n.ri = text, 0, 0
	n.prevWord, n.prevASCII, n.longRun = false, false, false
	n.npend, n.pendSpace, n.multi = 0, false, false
}

func (n *normalizer) push(r rune, start, end int) {
	n.runes = append(n.runes, r)
	n.starts = append(n.starts, start)
	n.ends = append(n.ends, end)
}

// flushPending emits the held noise run unchanged.
func (n *normalizer) flushPending() {
	for i := 0; i < n.npend; i++ {
		p := &n.pend[i]
		n.push(p.r, p.start, p.end)
	}
	if n.npend > 0 {
		n.prevWord = false
	}
	n.npend, n.pendSpace = 0, false
}

// emit feeds one normalised rune through the noise-skipping rule.
func (n *normalizer) emit(r rune, cls uint8, start, end int) {
	switch cls {
	case clsWord:
		if n.npend > 0 { // a short run between two word runes
			ascii := r < utf8.RuneSelf
			if n.prevASCII && ascii && n.pendSpace {
				n.push(' ', n.pend[0].start, n.pend[n.npend-1].end)
			}
			n.npend, n.pendSpace = 0, false
		}
		n.push(r, start, end)
		n.prevWord, n.prevASCII, n.longRun = true, r < utf8.RuneSelf, false
	case clsNoise:
		if n.prevWord && !n.longRun {
			if n.npend < maxNoise {
				p := &n.pend[n.npend]
				p.r, p.start, p.end = r, start, end
				n.npend++
				if unicode.IsSpace(r) {
					n.pendSpace = true
				}
				return
			}
			n.flushPending()
			n.longRun = true
		}
		n.push(r, start, end)
		n.prevWord = false
	default:
		n.flushPending()
		n.push(r, start, end)
		n.prevWord, n.longRun = false, false
	}
}

// fill normalises original text until at least limit output runes are held
// (or the text ends; then any held noise is flushed). Output is appended.
func (n *normalizer) fill(limit int) {
	text := n.text
	pos, ri := n.pos, n.ri
	for pos < len(text) && len(n.runes) < limit {
		r, sz := rune(text[pos]), 1
		if r >= utf8.RuneSelf {
			// decodeRune inlined by hand for the three-byte case.
			if pos+2 < len(text) && uint32(r)-0xE1 <= 0xEF-0xE1 && r != 0xED && text[pos+1]&0xC0 == 0x80 && text[pos+2]&0xC0 == 0x80 {
				r, sz = (r&0x0F)<<12|rune(text[pos+1]&0x3F)<<6|rune(text[pos+2]&0x3F), 3
			} else {
				r, sz = decodeRune(text, pos)
			}
		}
		f := flagsOf(r)
		next := pos + sz
		// Does the next rune start a new segment? ASCII and U+4000-U+9FFF
		// (lead bytes E4-E9: CJK ideographs) always do; see TestFastBoundary.
		nextBB := true
		if next < len(text) {
			if b := text[next]; b >= utf8.RuneSelf && (b < 0xE4 || b > 0xE9) {
				nr, _ := decodeRune(text, next)
				nextBB = flagsOf(nr)&fBB != 0
			}
		}
		if nextBB { // r is a segment on its own
			switch {
			case f&fInert != 0:
				if cls := f & clsMask; cls == clsWord && n.npend == 0 {
					// Fast path: the bulk of Chinese text.
					n.runes = append(n.runes, r)
					n.starts = append(n.starts, ri)
					n.ends = append(n.ends, ri+1)
					n.prevWord, n.prevASCII, n.longRun = true, r < utf8.RuneSelf, false
				} else {
					n.emit(r, cls, ri, ri+1)
				}
			case 'A' <= r && r <= 'Z':
				n.emit(r+'a'-'A', clsWord, ri, ri+1)
			default:
				var out []outRune
				if r < 0x10000 {
					out = bmpMapped[bmpIndex[r]]
				} else {
					_, out = computeRune(r)
				}
				if len(out) > 1 {
					n.multi = true
				}
				for _, o := range out {
					n.emit(o.r, o.cls, ri, ri+1)
				}
			}
			pos, ri = next, ri+1
			continue
		}
		// Slow path: r with the combining runes after it.
		end, cnt := next, 1
		for end < len(text) && cnt < maxSegment {
			nr, nsz := utf8.DecodeRuneInString(text[end:])
			if flagsOf(nr)&fBB != 0 {
				break
			}
			end += nsz
			cnt++
		}
		var fbuf [8]rune
		var buf [8]outRune
		out := appendSegment(buf[:0], r, normal.FoldSegment(fbuf[:0], text[pos:end]))
		if len(out) > 1 {
			n.multi = true
		}
		for _, o := range out {
			n.emit(o.r, o.cls, ri, ri+cnt)
		}
		pos, ri = end, ri+cnt
	}
	n.pos, n.ri = pos, ri
	if pos >= len(text) {
		n.flushPending()
	}
}

// decodeRune decodes the rune at s[i:], inline for the three-byte
// sequences that need no range check (lead bytes E1-EC, EE-EF), which cover
// CJK text.
func decodeRune(s string, i int) (rune, int) {
	if i+2 < len(s) && s[i]-0xE1 <= 0xEF-0xE1 && s[i] != 0xED && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
		return rune(s[i]&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
	}
	return decodeSlow(s, i)
}

func decodeSlow(s string, i int) (rune, int) { return utf8.DecodeRuneInString(s[i:]) }

// Normalize returns the normalised form of text and, for each rune of the
// result, the rune offset in text it came from. It exists so that callers
// (and reviewers reading a finding) can see exactly what the matcher saw;
// the rules are in the package documentation.
func Normalize(text string) (string, []int) {
	loadTables()
	c := utf8.RuneCountInString(text) // usually the length of the result
	n := normalizer{runes: make([]rune, 0, c), starts: make([]int, 0, c), ends: make([]int, 0, c)}
	n.reset(text)
	n.fill(int(^uint(0) >> 1))
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range n.runes {
		b.WriteRune(r)
	}
	return b.String(), n.starts
}

// normalizeWord returns the normalised runes of a listed word, trimmed of
// leading and trailing noise.
func normalizeWord(w string) []rune {
	var n normalizer
	n.reset(w)
	n.fill(int(^uint(0) >> 1))
	rs := n.runes
	for len(rs) > 0 && isNoiseRune(rs[0]) {
		rs = rs[1:]
	}
	for len(rs) > 0 && isNoiseRune(rs[len(rs)-1]) {
		rs = rs[:len(rs)-1]
	}
	return rs
}
