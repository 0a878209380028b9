package runetext

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/checks/internal/difftest"
)

// folds are the folds New is called with, and one that makes runes no string
// can hold, which string conversion spells U+FFFD.
var folds = []func(rune) rune{nil, FoldDigits, foldConf, func(r rune) rune {
	switch r {
	case 'a':
		return 0xD800 // a surrogate
	case 'b':
		return -1
	case 'c':
		return 0x110000
	case 'd':
		return '\ufffd'
	case '年':
		return 'Y'
	}
	return r
}}

// sameNew checks New and Prepare against the original New (oracle_test.go).
func sameNew(t *testing.T, raw string) {
	t.Helper()
	for i, fold := range folds {
		got, want := New(raw, fold), oldNew(raw, fold)
		if got.Str != want.Str || !slices.Equal(got.Runes, want.Runes) || !slices.Equal(got.ByteAt, want.ByteAt) {
			t.Fatalf("New(%q, fold %d) = %q %q %v, want %q %q %v", raw, i,
				got.Str, string(got.Runes), got.ByteAt, want.Str, string(want.Runes), want.ByteAt)
		}
		p := Prepare(raw, fold)
		if p.Str != want.Str || !slices.Equal(p.Runes, want.Runes) || p.ByteAt != nil {
			t.Fatalf("Prepare(%q, fold %d) = %q %q, want %q %q", raw, i, p.Str, string(p.Runes), want.Str, string(want.Runes))
		}
		for b, r := range want.ByteAt {
			if p.Rune(b) != r || got.Rune(b) != r {
				t.Fatalf("%q, fold %d: Rune(%d) = %d (Prepare), %d (New), want %d", raw, i, b, p.Rune(b), got.Rune(b), r)
			}
		}
	}
}

func TestNewSameAsOriginal(t *testing.T) {
	for _, s := range difftest.Literals(t) {
		sameNew(t, s)
	}
	for _, c := range difftest.Corpus(t) {
		sameNew(t, c.Title)
		sameNew(t, c.Body)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for range 3000 {
		sameNew(t, difftest.Text(r, r.IntN(20))+"abcd"[:r.IntN(5)])
	}
}

func FuzzNewSameAsOriginal(f *testing.F) {
	for _, s := range difftest.Snippets {
		f.Add(s)
	}
	f.Add("abcd年\xff\xe5\x85１２ＡＢ\u3000")
	f.Fuzz(sameNew)
}
