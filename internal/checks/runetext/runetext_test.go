package runetext

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		fold   func(rune) rune
		str    string
		byteAt []int
	}{
		{"empty", "", nil, "", []int{0}},
		{"ascii", "ab", nil, "ab", []int{0, 1, 2}},
		{"han", "公文", nil, "公文", []int{0, 0, 0, 1, 1, 1, 2}},
		{"full-width digits folded", "第１２号", FoldDigits, "第12号", []int{0, 0, 0, 1, 2, 3, 3, 3, 4}},
		{"full-width digits kept", "１", nil, "１", []int{0, 0, 0, 1}},
		{"invalid byte", "a\xffb", nil, "a\uFFFDb", []int{0, 1, 1, 1, 2, 3}},
		{"truncated rune", "\xe5\x85", nil, "\uFFFD\uFFFD", []int{0, 0, 0, 1, 1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := New(tt.raw, tt.fold)
			if tx.Str != tt.str || string(tx.Runes) != tt.str {
				t.Errorf("Str = %q, Runes = %q, want %q", tx.Str, string(tx.Runes), tt.str)
			}
			if !slices.Equal(tx.ByteAt, tt.byteAt) {
				t.Errorf("ByteAt = %v, want %v", tx.ByteAt, tt.byteAt)
			}
			if n := utf8.RuneCountInString(tt.raw); tx.Rune(len(tx.Str)) != n || len(tx.Runes) != n {
				t.Errorf("Rune(len) = %d, len(Runes) = %d, want %d", tx.Rune(len(tx.Str)), len(tx.Runes), n)
			}
		})
	}
}

func TestFoldDigits(t *testing.T) {
	for r, want := range map[rune]rune{'０': '0', '５': '5', '９': '9', '9': '9', 'Ａ': 'Ａ', '〇': '〇'} {
		if got := FoldDigits(r); got != want {
			t.Errorf("FoldDigits(%q) = %q, want %q", r, got, want)
		}
	}
}

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

func FuzzNew(f *testing.F) {
	for _, s := range []string{"", "abc", "第１２３号", "a\xffb", "\xe5\x85", "\xf0\x9f\x98\x80x", "\u3000１\n",
		"abcd年\xff\xe5\x85１２ＡＢ\u3000", "东政发〔２０２４〕１号\r\n秘密＊５年\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n := utf8.RuneCountInString(raw)
		for k, fold := range folds {
			tx := New(raw, fold)
			want := []rune(raw) // Runes are raw's runes, each folded
			if fold != nil {
				for i, r := range want {
					want[i] = fold(r)
				}
			}
			if !slices.Equal(tx.Runes, want) || len(tx.ByteAt) != len(tx.Str)+1 || tx.Str != string(tx.Runes) {
				t.Fatalf("%q, fold %d: runes %q, %d offsets for %d bytes, want runes %q", raw, k, string(tx.Runes), len(tx.ByteAt), len(tx.Str), string(want))
			}
			if tx.Rune(0) != 0 || tx.Rune(len(tx.Str)) != n {
				t.Fatalf("%q, fold %d: Rune(0) = %d, Rune(len) = %d, want 0, %d", raw, k, tx.Rune(0), tx.Rune(len(tx.Str)), n)
			}
			for b := 1; b <= len(tx.Str); b++ {
				if d := tx.Rune(b) - tx.Rune(b-1); d < 0 || d > 1 || tx.Rune(b) > n {
					t.Fatalf("%q, fold %d: Rune(%d) = %d after %d", raw, k, b, tx.Rune(b), tx.Rune(b-1))
				}
			}
			for i, r := range tx.Str { // every rune starts where ByteAt steps to its index
				if tx.Rune(i) != utf8.RuneCountInString(tx.Str[:i]) || string(tx.Runes[tx.Rune(i)]) != string(r) {
					t.Fatalf("%q, fold %d: byte %d maps to rune %d", raw, k, i, tx.Rune(i))
				}
			}
			// Prepare is New without ByteAt: the same text, the same offsets.
			p := Prepare(raw, fold)
			if p.Str != tx.Str || !slices.Equal(p.Runes, tx.Runes) || p.ByteAt != nil {
				t.Fatalf("%q, fold %d: Prepare gives %q %q, New %q %q", raw, k, p.Str, string(p.Runes), tx.Str, string(tx.Runes))
			}
			for b := range len(tx.Str) + 1 {
				if p.Rune(b) != tx.Rune(b) {
					t.Fatalf("%q, fold %d: Rune(%d) = %d after Prepare, %d after New", raw, k, b, p.Rune(b), tx.Rune(b))
				}
			}
		}
	})
}
