package runetext

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Sieve runs a regular expression only on the stretches of a text that can
// hold a match, and finds exactly what the expression finds on the whole text.
//
// Go's regexp has no literal to skip to in most of the checks' expressions
// ((?:绝密|机密|秘密)★, \p{Han}{0,12}〔…号), so it tries every position of a
// 1.5 KB draft, backtracking at each. Yet a match is made only of the runes
// the expression can match at all (its alphabet: digits, 年月日 and blanks
// for a date) and holds at least one anchor rune that every match needs (年,
// 号, ★). So a match lies within the maximal run of alphabet runes around an
// anchor, and the expression need only run there: a handful of short windows
// instead of the whole text.
//
// When the alphabet is most runes ([^。]{0,60}), a run is a whole sentence or
// more, but a match without unbounded repeats is short: it reaches at most so
// many runes before and after its anchor, not counting the runes of its
// unbounded repeats (blanks, usually), which are free. The anchor's window
// then ends there. When the anchor is a part of a sequence (the 定 of
// 决定…罚款), the reach is counted from where that part stands, and a window
// must also hold a rune of each other part (罚款's 款) to be searched at all.
// Windows that overlap are merged, so every match lies within one window, and
// the leftmost-first matches of the windows, in order, are those of the whole
// text.
//
// Assertions (^ and $ in either mode, \b) would see a window's edge where the
// text goes on, so an expression with them is cut only at runs, and its
// windows take one more rune on either side: no match can take in that rune
// (it is not in the alphabet), but the assertions see the same neighbour as
// on the whole text. A text holding invalid UTF-8 next to an anchor is
// matched whole, as decoding it backwards might not agree with the
// expression's forward decoding.
type Sieve struct {
	re      *regexp.Regexp
	anchors []rune // every match holds one; nil: run on the whole text
	alpha   []rune // sorted, merged ranges lo, hi, lo, hi… of every rune a match can hold
	context bool   // the expression has assertions
	minLen  int    // the fewest runes of a match

	// A match reaches at most left runes before its anchor and right runes
	// from it on, counting only runes outside free (the ranges of the
	// runes of unbounded repeats); -1: no bound but the run.
	left, right int
	free        []rune

	// needs are further sets of runes each match holds one of (the colon
	// after a label): a window without one of them holds no match.
	needs [][]rune
}

// NewSieve prepares re to be run on the runs around the runes of anchors. It
// panics if some match of re could hold none of them: the anchors are part of
// the code, so a wrong one is a programming error, as for regexp.MustCompile.
func NewSieve(re *regexp.Regexp, anchors string) *Sieve {
	tree := parse(re)
	as := []rune(anchors)
	if len(as) == 0 || !covers(tree, as) {
		panic(fmt.Sprintf("runetext: not every match of %q holds one of %q", re, anchors))
	}
	// The reach from the anchors is that of the first part they stand for,
	// or that of the whole match.
	primary := part{set: as, left: -1, right: -1}
	if total := maxRunes(tree); total < maxRunesCap {
		primary.left, primary.right = total, total
	}
	for _, p := range parts(tree) {
		if covers(p.tree, as) {
			primary.left, primary.right = p.left, p.right
			break
		}
	}
	return newSieve(re, tree, &primary)
}

// AutoSieve is NewSieve with anchors chosen from the expression itself, for
// expressions that are data (a category's required fields): those of the
// part of the sequence that has the fewest. When it finds none, the sieve
// runs the expression on the whole text.
func AutoSieve(re *regexp.Regexp) *Sieve {
	tree := parse(re)
	var primary *part
	for _, p := range parts(tree) {
		if p.set != nil && (primary == nil || len(p.set) < len(primary.set)) {
			primary = &p
		}
	}
	return newSieve(re, tree, primary)
}

func parse(re *regexp.Regexp) *syntax.Regexp {
	// regexp.Compile parses with syntax.Perl, so this cannot fail.
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		panic(err)
	}
	return tree
}

func newSieve(re *regexp.Regexp, tree *syntax.Regexp, primary *part) *Sieve {
	s := &Sieve{re: re, alpha: mergeRanges(alphabet(tree, nil)), minLen: minRunes(tree),
		context: hasAssertions(tree), left: -1, right: -1}
	if primary == nil {
		return s
	}
	s.anchors = s.matchable(primary.set) // not nil: with no anchor a match can hold, nothing matches
	if !s.context && primary.left >= 0 {
		s.free = mergeRanges(freeRunes(tree, false, nil))
		s.left, s.right = primary.left, primary.right
	}
	for _, p := range parts(tree) {
		if p.set != nil && len(s.needs) < maxNeeds && !slices.Equal(p.set, primary.set) &&
			!slices.ContainsFunc(s.needs, func(n []rune) bool { return slices.Equal(n, s.matchable(p.set)) }) {
			s.needs = append(s.needs, s.matchable(p.set))
		}
	}
	return s
}

// part is a part of the sequence an expression is, or the whole expression,
// with its anchors, if it has any, and how far a match reaches before and
// after a rune of the part, in runes outside the free ones; -1 when the
// reach is too long to count (see maxRunesCap).
type part struct {
	tree        *syntax.Regexp
	set         []rune // bestAnchors of the part, nil if none
	left, right int
}

// parts returns the parts of the top-level sequence of tree, or tree alone.
func parts(tree *syntax.Regexp) []part {
	t := tree
	for t.Op == syntax.OpCapture {
		t = t.Sub[0]
	}
	subs := []*syntax.Regexp{t}
	if t.Op == syntax.OpConcat {
		subs = t.Sub
	}
	total := maxRunes(tree) // the sum of the parts' when it is below maxRunesCap
	var out []part
	before := 0
	for _, sub := range subs {
		m := maxRunes(sub)
		p := part{tree: sub, set: bestAnchors(sub), left: before + m, right: total - before}
		if total >= maxRunesCap {
			p.left, p.right = -1, -1
		}
		if p.set != nil && !covers(sub, p.set) {
			p.set = nil // cannot happen: bestAnchors only picks what covers accepts
		}
		out = append(out, p)
		before = min(before+m, maxRunesCap)
	}
	return out
}

// maxNeeds bounds the sets a window is checked for.
const maxNeeds = 4

// matchable returns the runes of rs a match can hold, never nil.
func (s *Sieve) matchable(rs []rune) []rune {
	out := []rune{}
	for _, r := range rs {
		if inRanges(s.alpha, r) && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// Regexp returns the expression the sieve runs.
func (s *Sieve) Regexp() *regexp.Regexp { return s.re }

// inRanges reports whether r is in the sorted, merged ranges lo, hi, lo, hi….
func inRanges(ranges []rune, r rune) bool {
	i, found := slices.BinarySearch(ranges, r)
	return found || i%2 == 1 // a bound, or between a lo and its hi
}

// windows calls yield with the byte range [lo, hi) of every window of str in
// order, or with the whole of str when the sieve cannot narrow it.
func (s *Sieve) windows(str string, yield func(lo, hi int) bool) {
	if s.anchors == nil {
		yield(0, len(str))
		return
	}
	// next is the next occurrence of each anchor, -1 when there is none
	// left, below pos when it is to be searched again.
	var nextBuf [8]int
	next := nextBuf[:0]
	for range s.anchors {
		next = append(next, -2)
	}
	var winBuf [8][2]int
	wins := winBuf[:0]
	for pos := 0; pos < len(str); {
		p := -1
		for i, r := range s.anchors {
			if next[i] == -1 {
				continue
			}
			if next[i] < pos {
				next[i] = strings.IndexRune(str[pos:], r)
				if next[i] < 0 {
					next[i] = -1
					continue
				}
				next[i] += pos
			}
			if p < 0 || next[i] < p {
				p = next[i]
			}
		}
		if p < 0 {
			break
		}
		lo, hi, ok := s.around(str, p)
		if !ok {
			yield(0, len(str))
			return
		}
		if s.left < 0 {
			pos = hi // the run is the same for every anchor in it
		} else {
			_, size := utf8.DecodeRuneInString(str[p:])
			pos = p + size
		}
		// A match around this anchor lies within [lo, hi), so it is
		// as long as a match and holds a rune of every part.
		if utf8.RuneCountInString(str[lo:hi]) < s.minLen || !s.hasNeeds(str[lo:hi]) {
			continue
		}
		if n := len(wins); n > 0 && lo <= wins[n-1][1] {
			wins[n-1][1] = max(wins[n-1][1], hi)
		} else {
			wins = append(wins, [2]int{lo, hi})
		}
	}
	// Windows are yielded only once the whole text is known to be valid
	// around every anchor, so that a fallback never repeats a window's matches.
	for _, w := range wins {
		lo, hi := w[0], w[1]
		if s.context {
			if lo > 0 {
				_, size := utf8.DecodeLastRuneInString(str[:lo])
				lo -= size
			}
			if hi < len(str) {
				_, size := utf8.DecodeRuneInString(str[hi:])
				hi += size
			}
		}
		if !yield(lo, hi) {
			return
		}
	}
}

// hasNeeds reports whether win holds a rune of each of s.needs.
func (s *Sieve) hasNeeds(win string) bool {
	for _, set := range s.needs {
		if !slices.ContainsFunc(set, func(r rune) bool { return strings.ContainsRune(win, r) }) {
			return false
		}
	}
	return true
}

// around returns the window of the anchor at byte p: the run of alphabet
// runes around it, cut at the reach of a match. ok is false at invalid UTF-8,
// whose decoding backwards is not to be trusted, and at U+FFFD, which stands
// for it. The rune that ends the window either side is decoded too, as
// assertions will see it.
func (s *Sieve) around(str string, p int) (lo, hi int, ok bool) {
	lo, hi = p, p
	for left := s.left; lo > 0; {
		r, size := utf8.DecodeLastRuneInString(str[:lo])
		if r == utf8.RuneError {
			return 0, 0, false
		}
		if !inRanges(s.alpha, r) {
			break
		}
		if s.left >= 0 && !inRanges(s.free, r) {
			if left == 0 {
				break
			}
			left--
		}
		lo -= size
	}
	for right := s.right; hi < len(str); {
		r, size := utf8.DecodeRuneInString(str[hi:])
		if r == utf8.RuneError {
			return 0, 0, false
		}
		if !inRanges(s.alpha, r) {
			break
		}
		if s.right >= 0 && !inRanges(s.free, r) {
			if right == 0 {
				break
			}
			right--
		}
		hi += size
	}
	return lo, hi, true
}

// MatchString reports whether str holds a match, as s.Regexp().MatchString.
func (s *Sieve) MatchString(str string) bool {
	found := false
	s.windows(str, func(lo, hi int) bool {
		found = s.re.MatchString(str[lo:hi])
		return !found
	})
	return found
}

// FindAllStringIndex is s.Regexp().FindAllStringIndex(str, n).
func (s *Sieve) FindAllStringIndex(str string, n int) [][]int {
	return s.findAll(str, n, s.re.FindAllStringIndex)
}

// FindAllStringSubmatchIndex is s.Regexp().FindAllStringSubmatchIndex(str, n).
func (s *Sieve) FindAllStringSubmatchIndex(str string, n int) [][]int {
	return s.findAll(str, n, s.re.FindAllStringSubmatchIndex)
}

func (s *Sieve) findAll(str string, n int, find func(string, int) [][]int) [][]int {
	if n < 0 {
		n = len(str) + 1
	}
	var out [][]int
	s.windows(str, func(lo, hi int) bool {
		if len(out) >= n {
			return false
		}
		ms := find(str[lo:hi], n-len(out))
		for _, m := range ms {
			for i := range m {
				if m[i] >= 0 {
					m[i] += lo
				}
			}
		}
		out = append(out, ms...)
		return true
	})
	return out
}

// alphabet appends the rune ranges (lo, hi pairs) that re can match.
func alphabet(re *syntax.Regexp, out []rune) []rune {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			for _, f := range orbit(r, re.Flags) {
				out = append(out, f, f)
			}
		}
	case syntax.OpCharClass:
		out = append(out, re.Rune...)
	case syntax.OpAnyCharNotNL:
		out = append(out, 0, '\n'-1, '\n'+1, unicode.MaxRune)
	case syntax.OpAnyChar:
		out = append(out, 0, unicode.MaxRune)
	}
	for _, sub := range re.Sub {
		out = alphabet(sub, out)
	}
	return out
}

// orbit is r and, when the expression ignores case there, the runes it folds to.
func orbit(r rune, flags syntax.Flags) []rune {
	out := []rune{r}
	if flags&syntax.FoldCase != 0 {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			out = append(out, f)
		}
	}
	return out
}

// mergeRanges sorts lo, hi pairs and merges those that touch.
func mergeRanges(rs []rune) []rune {
	pairs := make([][2]rune, 0, len(rs)/2)
	for i := 0; i+1 < len(rs); i += 2 {
		pairs = append(pairs, [2]rune{rs[i], rs[i+1]})
	}
	slices.SortFunc(pairs, func(a, b [2]rune) int { return int(a[0] - b[0]) })
	var out []rune
	for _, p := range pairs {
		if n := len(out); n > 0 && p[0] <= out[n-1]+1 {
			out[n-1] = max(out[n-1], p[1])
			continue
		}
		out = append(out, p[0], p[1])
	}
	return out
}

// covers reports whether every match of re holds a rune of as. It may say
// no when the answer is yes, never the reverse.
func covers(re *syntax.Regexp, as []rune) bool {
	switch re.Op {
	case syntax.OpNoMatch:
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if !slices.ContainsFunc(orbit(r, re.Flags), func(f rune) bool { return !slices.Contains(as, f) }) {
				return true
			}
		}
		return false
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return true // matches nothing
		}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= rune(len(as)) {
				return false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if !slices.Contains(as, r) {
					return false
				}
			}
		}
		return true
	case syntax.OpCapture, syntax.OpPlus:
		return covers(re.Sub[0], as)
	case syntax.OpRepeat:
		return re.Min >= 1 && covers(re.Sub[0], as)
	case syntax.OpConcat:
		return slices.ContainsFunc(re.Sub, func(sub *syntax.Regexp) bool { return covers(sub, as) })
	case syntax.OpAlternate:
		return !slices.ContainsFunc(re.Sub, func(sub *syntax.Regexp) bool { return !covers(sub, as) })
	}
	return false
}

// maxAnchors bounds the anchors AutoSieve takes: each costs a scan of the text.
const maxAnchors = 12

// bestAnchors picks few anchors every match of re holds, nil if it finds none.
// A literal gives its last rune (the head word of a Chinese compound, 日期 →
// 期, is the likelier to be shared), a small class its runes; a sequence takes
// its part with the fewest, an alternation the union of its branches'.
func bestAnchors(re *syntax.Regexp) []rune {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 && len(re.Rune) > 0 {
			return []rune{re.Rune[len(re.Rune)-1]}
		}
	case syntax.OpCharClass:
		var out []rune
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) == maxAnchors {
					return nil
				}
				out = append(out, r)
			}
		}
		return out
	case syntax.OpCapture, syntax.OpPlus:
		return bestAnchors(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return bestAnchors(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []rune
		for _, sub := range re.Sub {
			if as := bestAnchors(sub); as != nil && (best == nil || len(as) < len(best)) {
				best = as
			}
		}
		return best
	case syntax.OpAlternate:
		var out []rune
		for _, sub := range re.Sub {
			as := bestAnchors(sub)
			if as == nil {
				return nil
			}
			for _, r := range as {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
			if len(out) > maxAnchors {
				return nil
			}
		}
		return out
	}
	return nil
}

// minRunes is the fewest runes a match of re holds.
func minRunes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minRunes(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minRunes(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n += minRunes(sub)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, sub := range re.Sub {
			if m := minRunes(sub); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0
}

// freeRunes appends the alphabet of re's unbounded repeats.
func freeRunes(re *syntax.Regexp, unbounded bool, out []rune) []rune {
	if unbounded {
		return alphabet(re, out)
	}
	switch re.Op {
	case syntax.OpStar, syntax.OpPlus:
		unbounded = true
	case syntax.OpRepeat:
		unbounded = re.Max < 0
	}
	for _, sub := range re.Sub {
		out = freeRunes(sub, unbounded, out)
	}
	return out
}

// maxRunesCap stands for "very long" and keeps the sums from overflowing.
const maxRunesCap = 1 << 20

// maxRunes is the most runes a match of re holds outside its unbounded
// repeats, which count nothing (their runes are free, see freeRunes).
func maxRunes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxRunes(re.Sub[0])
	case syntax.OpRepeat:
		if re.Max < 0 {
			return 0
		}
		return min(re.Max*maxRunes(re.Sub[0]), maxRunesCap)
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n = min(n+maxRunes(sub), maxRunesCap)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, sub := range re.Sub {
			n = max(n, maxRunes(sub))
		}
		return n
	}
	return 0 // empty, assertions, and unbounded repeats
}

// hasAssertions reports whether re looks at what lies around a position.
func hasAssertions(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return slices.ContainsFunc(re.Sub, hasAssertions)
}
