package words

import (
	"slices"
	"unicode/utf8"
)

// Match is one occurrence of a listed word in the original text. Start and
// End are rune offsets (End exclusive) into the text given to FindAll, not
// into its normalised form, so a reviewer sees exactly what was written,
// noise characters between the word's characters included.
type Match struct {
	Word       string // the word as listed (its first spelling, if several normalise alike)
	Start, End int    // rune offsets into the original text
}

// Matcher finds every occurrence, overlapping ones included, of a word list
// in text. It is immutable once built and safe for concurrent use, so one
// Matcher per list version can serve every stage worker.
type Matcher struct {
	version int
	scope   Scope

	words  []string // listed spelling of word i
	wlen   []int32  // normalised length, in runes, of word i
	maxLen int

	// Alphabet: every rune that occurs in a normalised word gets a symbol
	// 1..nsym; 0 means "in no word".
	bmp   *[0x10000]uint16 // symbol of a BMP rune; symExtra means "see extra"
	extra map[rune]uint32  // symbols of the other runes

	// The automaton as a double array: state s goes on symbol c to
	// t = cells[s].base + c if cells[t].check == s. The root is cell 0, so
	// its row is a dense table; cells is padded so t is always in range.
	cells []cell
	word  []int32 // word ending at each cell, or -1
}

const symExtra = 0xFFFF

// cell is one state of the double array, everything a scan step reads in
// one 16-byte load.
type cell struct {
	base  int32 // children of this state are at base + symbol
	check int32 // the parent of the state here; -1 if the cell is free
	fail  int32 // failure link
	out   int32 // first state on the failure chain (itself included) where a word ends; 0 if none
}

// trie is the build-time form: states in breadth-first order, the edges of
// state s at edges[first[s]:first[s+1]], sorted by symbol.
type trie struct {
	first []int32
	edges []edge
	word  []int32
}

type edge struct{ sym, to int32 }

// NewMatcher builds the automaton for a word-list version. Words are
// normalised exactly like the text (see Normalize), with leading and
// trailing noise trimmed; words that end up empty are ignored, and words
// that normalise alike are kept once, under their first spelling. Building
// is cheap (milliseconds for 10,000 words), so a new list version simply
// gets a new Matcher.
func NewMatcher(words []string, version int) *Matcher {
	loadTables()
	m := &Matcher{version: version}

	// Normalise and deduplicate; assign symbols.
	var entries []entry
	seen := make(map[string]bool, len(words))
	symOf := make(map[rune]int32)
	for _, w := range words {
		rs := normalizeWord(w)
		if len(rs) == 0 {
			continue
		}
		key := string(rs)
		if seen[key] {
			continue
		}
		seen[key] = true
		syms := make([]int32, len(rs))
		for i, r := range rs {
			s, ok := symOf[r]
			if !ok {
				s = int32(len(symOf) + 1)
				symOf[r] = s
			}
			syms[i] = s
		}
		entries = append(entries, entry{syms, int32(len(m.words))})
		m.words = append(m.words, w)
		m.wlen = append(m.wlen, int32(len(rs)))
		m.maxLen = max(m.maxLen, len(rs))
	}
	nsym := len(symOf)
	if len(entries) == 0 {
		return m
	}
	m.bmp = new([0x10000]uint16)
	for r, s := range symOf {
		if r < 0x10000 && s < symExtra {
			m.bmp[r] = uint16(s)
			continue
		}
		if r < 0x10000 {
			m.bmp[r] = symExtra
		}
		if m.extra == nil {
			m.extra = make(map[rune]uint32)
		}
		m.extra[r] = uint32(s)
	}

	t := buildTrie(entries)
	m.place(t, nsym)
	return m
}

// buildTrie builds the trie level by level from the words sorted by
// symbols, so that state ids are in breadth-first order (a failure link
// always points to a smaller id) and each state's edges are contiguous and
// sorted: at each depth, entries that share a prefix are adjacent, their
// prefix states increase, and within one prefix the next symbol increases.
func buildTrie(entries []entry) *trie {
	slices.SortFunc(entries, func(a, b entry) int { return slices.Compare(a.syms, b.syms) })
	t := &trie{word: []int32{-1}}
	node := make([]int32, len(entries)) // state reached by entries[i].syms[:depth]
	var parents []int32                 // parent of each edge
	active := make([]int, len(entries)) // entries longer than depth, in order
	for i := range active {
		active[i] = i
	}
	for depth := 0; len(active) > 0; depth++ {
		lastParent, lastSym, child := int32(0), int32(0), int32(0)
		keep := active[:0]
		for _, i := range active {
			e := &entries[i]
			p, c := node[i], e.syms[depth]
			if child == 0 || p != lastParent || c != lastSym {
				child = int32(len(t.word))
				t.word = append(t.word, -1)
				t.edges = append(t.edges, edge{c, child})
				parents = append(parents, p)
				lastParent, lastSym = p, c
			}
			node[i] = child
			if len(e.syms) == depth+1 {
				t.word[child] = e.id
			} else {
				keep = append(keep, i)
			}
		}
		active = keep
	}
	// Edges were appended grouped by parent, parents in increasing order:
	// the edges of state s follow those of all states < s.
	t.first = make([]int32, len(t.word)+1)
	for _, p := range parents {
		t.first[p+1]++
	}
	for s := 1; s < len(t.first); s++ {
		t.first[s] += t.first[s-1]
	}
	return t
}

// place lays the trie out as a double array, state by state in
// breadth-first order, each state's children at the first base where all
// their cells are free, and then sets the failure and output links. The
// first free cell at or after a position is found with a union-find over
// the used cells, so the search never walks the crowded front of the array.
func (m *Matcher) place(t *trie, nsym int) {
	n := len(t.word)
	pos := make([]int32, n) // cell of each trie state; the root is cell 0
	cells := make([]cell, 0, n+nsym+1)
	var nextFree []int32 // nextFree[i] == i: cell i is free; else a cell before the next free one
	grow := func(size int32) {
		for int32(len(cells)) < size {
			i := int32(len(cells))
			cells = append(cells, cell{check: -1})
			nextFree = append(nextFree, i)
		}
	}
	find := func(i int32) int32 { // first free cell >= i
		for {
			grow(i + 1)
			p := nextFree[i]
			if p == i {
				return i
			}
			grow(p + 1)
			nextFree[i] = nextFree[p] // path halving
			i = p
		}
	}
	grow(int32(nsym) + 2)
	nextFree[0] = 1 // the root's cell
	// States with several children search from multiFrom on: once the
	// front of the array is so full that a search fails many times, it
	// moves past it and leaves the holes there to single-child states.
	multiFrom := int32(0)
	for u := 0; u < n; u++ {
		es := t.edges[t.first[u]:t.first[u+1]]
		if len(es) == 0 {
			continue // a leaf: base 0 leads nowhere, as no cell's check is a leaf
		}
		c0 := es[0].sym
		var base int32
		start := c0
		if len(es) > 1 {
			start += multiFrom
		}
		tries := 0
		for f := find(start); ; f = find(f + 1) {
			tries++
			base = f - c0 // >= 0, as f >= c0
			grow(base + es[len(es)-1].sym + 1)
			ok := true
			for _, e := range es[1:] {
				if cells[base+e.sym].check != -1 {
					ok = false
					break
				}
			}
			if ok {
				break
			}
		}
		if tries > 16 {
			multiFrom = max(multiFrom, base)
		}
		pu := pos[u]
		cells[pu].base = base
		for _, e := range es {
			i := base + e.sym
			cells[i].check = pu
			nextFree[i] = i + 1
			pos[e.to] = i
		}
	}
	// Pad so that base + symbol is always a valid index.
	maxBase := int32(0)
	for _, c := range cells {
		maxBase = max(maxBase, c.base)
	}
	grow(maxBase + int32(nsym) + 1)
	cells[0].check = -1
	m.cells = slices.Clip(cells)
	m.word = make([]int32, len(cells))
	for i := range m.word {
		m.word[i] = -1
	}
	for u := 0; u < n; u++ {
		m.word[pos[u]] = t.word[u]
	}
	// Failure and output links, in breadth-first order.
	for u := 0; u < n; u++ {
		pu := pos[u]
		for _, e := range t.edges[t.first[u]:t.first[u+1]] {
			v := pos[e.to]
			f := int32(0)
			if u != 0 {
				f = m.step(m.cells[pu].fail, e.sym)
			}
			m.cells[v].fail = f
			if m.word[v] >= 0 {
				m.cells[v].out = v
			} else {
				m.cells[v].out = m.cells[f].out
			}
		}
	}
}

// step is the Aho-Corasick transition: from s on symbol c (c != 0).
func (m *Matcher) step(s, c int32) int32 {
	for {
		if t := m.cells[s].base + c; m.cells[t].check == s {
			return t
		}
		if s == 0 {
			return 0
		}
		s = m.cells[s].fail
	}
}

// Scope is whose list a Matcher was built from, as its findings name it.
type Scope int

const (
	// ScopeList is a list with no owner named: "词表第N版".
	ScopeList Scope = iota
	// ScopePlatform is the installation's list for every agency.
	ScopePlatform
	// ScopeAgency is an agency's additions to the platform's list.
	ScopeAgency
)

// InScope returns the matcher with its findings naming scope's list; the
// automaton is shared, not copied.
func (m *Matcher) InScope(scope Scope) *Matcher {
	c := *m
	c.scope = scope
	return &c
}

// Version returns the word-list version the Matcher was built from; every
// finding records it so a reviewer knows which list flagged a word.
func (m *Matcher) Version() int { return m.version }

// Len returns the number of distinct words (after normalisation) the
// Matcher looks for, so admins can see what an edit of the list changed.
func (m *Matcher) Len() int { return len(m.words) }

// entry is a normalised word during the build.
type entry struct {
	syms []int32
	id   int32
}

// chunk is how many normalised runes FindAll holds at a time (more for
// lists with words longer than a quarter of it).
const chunk = 4096

// FindAll returns every occurrence of a listed word in text, overlapping and
// nested ones included ("中华", "华人" and "中华人民" all in "中华人民共和国"),
// as rune offsets into text. Matches come in the order the scan finds them:
// by End, then by Start. Noise between the characters of a word is part of
// the match's span. It is safe to call from several goroutines.
func (m *Matcher) FindAll(text string) []Match {
	if m == nil || len(m.words) == 0 || len(text) == 0 {
		return nil
	}
	chunkLen := max(chunk, 4*m.maxLen) // so the carried runes stay a small share
	// Usually one normalised rune per original rune, which in Chinese text
	// is a third of its bytes, so a short text is sized by its runes (a long
	// one holds a chunk's worth in its first UTFMax*chunkLen bytes); push
	// grows the buffers past this if need be.
	size := min(utf8.RuneCountInString(text[:min(len(text), utf8.UTFMax*chunkLen)]), chunkLen) + m.maxLen
	nz := normalizer{
		runes:  make([]rune, 0, size),
		starts: make([]int, 0, size),
		ends:   make([]int, 0, size),
	}
	nz.reset(text)
	var out []Match
	s := int32(0)
	from := 0 // first rune of the chunk not yet scanned
	for {
		nz.fill(from + chunkLen)
		s, out = m.scan(&nz, from, s, out)
		rs := nz.runes
		if nz.pos >= len(text) {
			break
		}
		// Keep the last maxLen-1 runes: a match may start among them.
		keep := min(m.maxLen-1, len(rs))
		cut := len(rs) - keep
		nz.runes = append(nz.runes[:0], rs[cut:]...)
		nz.starts = append(nz.starts[:0], nz.starts[cut:]...)
		nz.ends = append(nz.ends[:0], nz.ends[cut:]...)
		from = keep
	}
	if nz.multi {
		out = dedupe(out)
	}
	return out
}

// scan runs the automaton from state s over the normalised runes
// nz.runes[from:], appending the matches to out; it returns the state
// reached. Runs before from must be kept for matches that start there.
func (m *Matcher) scan(nz *normalizer, from int, s int32, out []Match) (int32, []Match) {
	bmp, cells := m.bmp, m.cells
	rs := nz.runes
	for i := from; i < len(rs); i++ {
		r := rs[i]
		var c int32
		if uint32(r) < 0x10000 && bmp[r] != symExtra {
			c = int32(bmp[r])
		} else {
			c = int32(m.extra[r])
		}
		if c == 0 {
			s = 0
			continue
		}
		for {
			if t := cells[s].base + c; cells[t].check == s {
				s = t
				break
			}
			if s == 0 {
				break
			}
			s = cells[s].fail
		}
		for o := cells[s].out; o != 0; o = cells[cells[o].fail].out {
			w := m.word[o]
			out = append(out, Match{m.words[w], nz.starts[i+1-int(m.wlen[w])], nz.ends[i]})
		}
	}
	return s, out
}

// dedupe removes the duplicates that arise when one original rune expands
// to several normalised runes (e.g. "ﬀ" to "ff" with the word "f": both
// matches map to the same span) and restores the (End, Start) order.
func dedupe(ms []Match) []Match {
	slices.SortStableFunc(ms, func(a, b Match) int {
		if a.End != b.End {
			return a.End - b.End
		}
		return a.Start - b.Start
	})
	j := 0
	for i := range ms {
		dup := false
		for k := j - 1; k >= 0 && ms[k].End == ms[i].End && ms[k].Start == ms[i].Start; k-- {
			if ms[k].Word == ms[i].Word {
				dup = true
				break
			}
		}
		if !dup {
			ms[j] = ms[i]
			j++
		}
	}
	return ms[:j]
}
