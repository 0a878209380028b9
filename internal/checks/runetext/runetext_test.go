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

func FuzzNew(f *testing.F) {
	for _, s := range []string{"", "abc", "第１２３号", "a\xffb", "\xe5\x85", "\xf0\x9f\x98\x80x", "\u3000１\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n := utf8.RuneCountInString(raw)
		for _, fold := range []func(rune) rune{nil, FoldDigits} {
			tx := New(raw, fold)
			if len(tx.Runes) != n || len(tx.ByteAt) != len(tx.Str)+1 || tx.Str != string(tx.Runes) {
				t.Fatalf("%q: %d runes, %d offsets for %d bytes, want %d runes", raw, len(tx.Runes), len(tx.ByteAt), len(tx.Str), n)
			}
			if tx.Rune(0) != 0 || tx.Rune(len(tx.Str)) != n {
				t.Fatalf("%q: Rune(0) = %d, Rune(len) = %d, want 0, %d", raw, tx.Rune(0), tx.Rune(len(tx.Str)), n)
			}
			for b := 1; b <= len(tx.Str); b++ {
				if d := tx.Rune(b) - tx.Rune(b-1); d < 0 || d > 1 || tx.Rune(b) > n {
					t.Fatalf("%q: Rune(%d) = %d after %d", raw, b, tx.Rune(b), tx.Rune(b-1))
				}
			}
			for i, r := range tx.Str { // every rune starts where ByteAt steps to its index
				if tx.Rune(i) != utf8.RuneCountInString(tx.Str[:i]) || tx.Runes[tx.Rune(i)] != r {
					t.Fatalf("%q: byte %d maps to rune %d", raw, i, tx.Rune(i))
				}
			}
		}
	})
}
