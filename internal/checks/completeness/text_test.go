package completeness

import (
	"strings"
	"testing"
	"unicode"
)

// TestIsSpace checks the shortcut of isSpace against its definition on every rune.
func TestIsSpace(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF+1; r++ {
		if got, want := isSpace(r), unicode.IsSpace(r) || r == '\u3000'; got != want {
			t.Fatalf("isSpace(%U) = %v, want %v", r, got, want)
		}
	}
}

// TestRuneSet checks the sets that stand for strings.ContainsRune and the
// bracket maps on every rune.
func TestRuneSet(t *testing.T) {
	var brackets strings.Builder
	for o, c := range pairs {
		brackets.WriteRune(o)
		brackets.WriteRune(c)
	}
	for _, c := range []struct {
		set   *runeSet
		runes string
	}{
		{repeatableRunes, repeatable},
		{bracketRunes, brackets.String()},
		{orgSuffixEnds, "府处会局"},
		{newRuneSet("a\U0001F600", "é"), "a\U0001F600é"},
		{newRuneSet(), ""},
	} {
		for r := rune(-1); r <= 0x10FFFF+1; r++ {
			if got, want := c.set.has(r), strings.ContainsRune(c.runes, r); got != want {
				t.Fatalf("set of %q has(%U) = %v, want %v", c.runes, r, got, want)
			}
		}
	}
}
