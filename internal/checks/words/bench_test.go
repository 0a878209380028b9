package words

// Benchmarks of the sensitive-word matcher and a naive strings.Index loop on
// ~4 MB of generated report-style Chinese and a 10,000-word list (package
// benchcorpus):
//
//	go test -run=^$ -bench=. -benchmem ./internal/checks/words/
//
// BenchmarkBuild/* reports build time (ns/op) and the automaton's memory
// (MB-automaton: live heap after build minus before, with GC). BenchmarkScan/*
// reports MB/s. Ours scans the original text, normalisation and offset
// mapping included; the naive loop scans the normalised text. The comparison
// with the Go Aho-Corasick libraries, on the same workload, is a module of its
// own so that they are not requirements of the product: see comparison/.

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks/words/benchcorpus"
)

// naiveTextBytes is how much of the text the naive loop scans: it is ~1000x
// slower than ours, and a slice keeps it short.
const naiveTextBytes = 256 << 10

type benchCorpus struct {
	words    []string // the list, as admins would type it
	text     string   // ~4 MB of report-style Chinese
	normText []byte   // its normalised form, for the naive loop
}

var (
	corpusOnce sync.Once
	corpus     benchCorpus
)

func loadCorpus() *benchCorpus {
	corpusOnce.Do(func() {
		r := rand.New(rand.NewPCG(benchcorpus.Seed, benchcorpus.WordCount))
		corpus.words = benchcorpus.Words(r, benchcorpus.WordCount)
		corpus.text = benchcorpus.Text(r, corpus.words, benchcorpus.TextBytes)
		n, _ := Normalize(corpus.text)
		corpus.normText = []byte(n)
		loadTables()
	})
	return &corpus
}

// naiveWords is the list normalised, for the naive loop.
func naiveWords(words []string) []string {
	ws := make([]string, len(words))
	for i, w := range words {
		ws[i] = string(normalizeWord(w))
	}
	return ws
}

func BenchmarkBuild(b *testing.B) {
	c := loadCorpus()
	b.Run("ours", func(b *testing.B) { benchcorpus.Build(b, func() any { return NewMatcher(c.words, 1) }) })
	b.Run("naive-strings.Index", func(b *testing.B) { benchcorpus.Build(b, func() any { return naiveWords(c.words) }) })
}

func BenchmarkScan(b *testing.B) {
	c := loadCorpus()
	b.Run("ours", func(b *testing.B) {
		m := NewMatcher(c.words, 1)
		benchcorpus.Scan(b, len(c.text), func() int { return len(m.FindAll(c.text)) })
	})
	b.Run("ours-Normalize-only", func(b *testing.B) {
		b.SetBytes(int64(len(c.text)))
		for b.Loop() {
			Normalize(c.text)
		}
	})
	// The automaton alone, over the normalised runes held in memory: the
	// like-for-like comparison with the libraries, which scan normalised text.
	b.Run("ours-automaton-only", func(b *testing.B) {
		m := NewMatcher(c.words, 1)
		var nz normalizer
		nz.reset(c.text)
		nz.fill(int(^uint(0) >> 1))
		benchcorpus.Scan(b, len(c.normText), func() int { _, ms := m.scan(&nz, 0, 0, nil); return len(ms) })
	})
	b.Run("naive-strings.Index", func(b *testing.B) {
		ws, s := naiveWords(c.words), string(cutRunes(c.normText, naiveTextBytes))
		benchcorpus.Scan(b, len(s), func() int { return naiveCount(ws, s) })
	})
}

// naiveCount counts every overlapping occurrence of each word in s, the
// obvious way.
func naiveCount(words []string, s string) int {
	n := 0
	for _, w := range words {
		for off := 0; ; {
			i := strings.Index(s[off:], w)
			if i < 0 {
				break
			}
			n++
			_, sz := utf8.DecodeRuneInString(s[off+i:])
			off += i + sz
		}
	}
	return n
}

// cutRunes returns a prefix of at most n bytes of s ending on a rune boundary.
func cutRunes(s []byte, n int) []byte {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
