package comparison

// BenchmarkBuild/* reports build time (ns/op) and the automaton's memory
// (MB-automaton: live heap after build minus before, with GC);
// BenchmarkScan/* reports MB/s. The libraries scan the normalised text
// (their best case: they can neither normalise nor map offsets back), while
// ours scans the original text, normalisation and offset mapping included.

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	bobu "github.com/BobuSumisu/aho-corasick"
	cloudflare "github.com/cloudflare/ahocorasick"
	coregx "github.com/coregx/ahocorasick"
	petar "github.com/petar-dambovaliev/aho-corasick"

	"github.com/sanshen-gov/sanshen/internal/checks/words"
	"github.com/sanshen-gov/sanshen/internal/checks/words/benchcorpus"
)

type benchCorpus struct {
	words     []string // the list, as admins would type it
	normWords []string // the list normalised, for the libraries
	text      string   // ~4 MB of report-style Chinese
	normText  []byte   // its normalised form, for the libraries
}

var (
	corpusOnce sync.Once
	corpus     *benchCorpus
)

func loadCorpus() *benchCorpus {
	corpusOnce.Do(func() {
		r := rand.New(rand.NewPCG(benchcorpus.Seed, benchcorpus.WordCount))
		ws := benchcorpus.Words(r, benchcorpus.WordCount)
		corpus = newCorpus(ws, benchcorpus.Text(r, ws, benchcorpus.TextBytes))
	})
	return corpus
}

// newCorpus normalises the list and the text for the libraries. The words
// are Han characters only, so Normalize leaves no noise at their ends to trim.
func newCorpus(ws []string, text string) *benchCorpus {
	c := &benchCorpus{words: ws, text: text}
	for _, w := range ws {
		n, _ := words.Normalize(w)
		c.normWords = append(c.normWords, n)
	}
	n, _ := words.Normalize(text)
	c.normText = []byte(n)
	return c
}

// libraries are the contenders: how each builds its automaton from the
// normalised list, and scans normalised text with it. Each scan returns the
// number of matches: every overlapping one, as ours finds, but for
// cloudflare, which only says which words occur.
var libraries = []struct {
	name  string
	build func(c *benchCorpus) any
	scan  func(a any, text []byte) int
}{
	{"BobuSumisu-v1.0.3",
		func(c *benchCorpus) any { return bobu.NewTrieBuilder().AddStrings(c.normWords).Build() },
		func(a any, text []byte) int {
			n := 0
			a.(*bobu.Trie).Walk(text, func(_, _, _ int64) bool { n++; return true })
			return n
		}},
	{"petar-dambovaliev-DFA",
		func(c *benchCorpus) any {
			b := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: true})
			return b.Build(c.normWords)
		},
		func(a any, text []byte) int {
			n := 0
			it := a.(petar.AhoCorasick).IterOverlappingByte(text)
			for m := it.Next(); m != nil; m = it.Next() {
				n++
			}
			return n
		}},
	{"coregx-v0.3.1",
		func(c *benchCorpus) any {
			a, err := coregx.NewBuilder().AddStrings(c.normWords).Build()
			if err != nil {
				panic(err)
			}
			return a
		},
		func(a any, text []byte) int { return len(a.(*coregx.Automaton).FindAllOverlapping(text)) }},
	{"cloudflare",
		func(c *benchCorpus) any { return cloudflare.NewStringMatcher(c.normWords) },
		func(a any, text []byte) int { return len(a.(*cloudflare.Matcher).Match(text)) }},
}

func BenchmarkBuild(b *testing.B) {
	c := loadCorpus()
	b.Run("ours", func(b *testing.B) { benchcorpus.Build(b, func() any { return words.NewMatcher(c.words, 1) }) })
	for _, l := range libraries {
		b.Run(l.name, func(b *testing.B) { benchcorpus.Build(b, func() any { return l.build(c) }) })
	}
}

func BenchmarkScan(b *testing.B) {
	c := loadCorpus()
	b.Run("ours", func(b *testing.B) {
		m := words.NewMatcher(c.words, 1)
		benchcorpus.Scan(b, len(c.text), func() int { return len(m.FindAll(c.text)) })
	})
	// The best library wrapped behind our API: what adopting it would cost.
	b.Run("coregx-wrapped-FindAll", func(b *testing.B) {
		w := newCoregxMatcher(c.words)
		benchcorpus.Scan(b, len(c.text), func() int { return len(w.FindAll(c.text)) })
	})
	for _, l := range libraries {
		b.Run(l.name, func(b *testing.B) {
			a := l.build(c)
			benchcorpus.Scan(b, len(c.normText), func() int { return l.scan(a, c.normText) })
		})
	}
}

// coregxMatcher is coregx wrapped behind our API: normalise, scan the
// normalised bytes, map byte offsets back to rune offsets of the original.
type coregxMatcher struct {
	a       *coregx.Automaton
	words   []string
	runeLen []int
}

func newCoregxMatcher(ws []string) *coregxMatcher {
	c := &coregxMatcher{}
	var pats []string
	seen := map[string]bool{}
	for _, w := range ws {
		nw, _ := words.Normalize(w)
		if nw == "" || seen[nw] {
			continue
		}
		seen[nw] = true
		pats = append(pats, nw)
		c.words = append(c.words, w)
		c.runeLen = append(c.runeLen, utf8.RuneCountInString(nw))
	}
	a, err := coregx.NewBuilder().AddStrings(pats).Build()
	if err != nil {
		panic(err)
	}
	c.a = a
	return c
}

// FindAll is words.Matcher.FindAll through coregx. A match ends one rune
// after where its last rune starts in the original: true of the benchmark's
// text, where each normalised rune comes from one original rune, and
// TestLibrariesAgree checks it.
func (c *coregxMatcher) FindAll(text string) []words.Match {
	norm, starts := words.Normalize(text)
	buf := []byte(norm)
	ms := c.a.FindAllOverlapping(buf)
	out := make([]words.Match, 0, len(ms))
	bpos, ri := 0, 0 // matches come by end: count runes up to each end
	for _, m := range ms {
		for bpos < m.End {
			_, sz := utf8.DecodeRune(buf[bpos:])
			bpos += sz
			ri++
		}
		out = append(out, words.Match{Word: c.words[m.PatternID], Start: starts[ri-c.runeLen[m.PatternID]], End: starts[ri-1] + 1})
	}
	return out
}

// TestLibrariesAgree checks that the comparison is fair: on the normalised
// text, every library that reports overlapping matches finds exactly as many
// as ours does on the original text, and coregx wrapped behind our API finds
// exactly our matches.
func TestLibrariesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	ws := benchcorpus.Words(r, 1000)
	c := newCorpus(ws, benchcorpus.Text(r, ws, 200<<10))
	ours := words.NewMatcher(c.words, 1).FindAll(c.text)
	t.Logf("%d matches in %d bytes", len(ours), len(c.text))
	if len(ours) == 0 {
		t.Fatal("the generated text contains no listed word")
	}
	for _, l := range libraries {
		if l.name == "cloudflare" {
			continue
		}
		if got := l.scan(l.build(c), c.normText); got != len(ours) {
			t.Errorf("%s finds %d matches, ours %d", l.name, got, len(ours))
		}
	}
	wrapped := newCoregxMatcher(c.words).FindAll(c.text)
	byPlace := func(a, b words.Match) int {
		return cmp.Or(cmp.Compare(a.End, b.End), cmp.Compare(a.Start, b.Start), strings.Compare(a.Word, b.Word))
	}
	slices.SortFunc(ours, byPlace)
	slices.SortFunc(wrapped, byPlace)
	if !slices.Equal(wrapped, ours) {
		t.Errorf("coregx wrapped finds %d matches, ours %d, not the same", len(wrapped), len(ours))
	}
}
