package runetext

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// sieveCases are expressions in the shape of the checks' ones, with the
// assertions a window must not change (^, $, \b in both modes), case folding,
// classes and repeats, with the anchors a caller would give.
var sieveCases = []struct{ re, anchors string }{
	{`([0-9]{4})[ \t\x{3000}]*年[ \t\x{3000}]*([0-9]{1,2})[ \t\x{3000}]*月[ \t\x{3000}]*([0-9]{1,2})[ \t\x{3000}]*日`, "年"},
	{`([0-9]{4})([-./])([0-9]{1,2})([-./])([0-9]{1,2})`, "-./"},
	{`(\p{Han}{0,12})([〔\[(（])[ \t]*([0-9]{2,4})[ \t]*([〕\])）])[ \t]*(第?)[ \t]*([0-9]{1,6})[ \t]*号`, "号"},
	{`(?:绝密|机密|秘密)[ \t]*★(?:[ \t]*(?:\d{1,3}[ \t]*(?:年|个月)|长期))?`, "★"},
	{`(?:绝密|机密|秘密)[ \t]*[☆*]`, "密"},
	{`(?m:^[ \t]*[0-9]+年$)`, "年"},
	{`^[0-9]+号|号[0-9]+$`, "号"},
	{`\b[a-z]+号\b`, "号"},
	{`\B号\B`, "号"},
	{`(?i)ab年`, "年"},
	{`(?i:k)年`, "年"},
	{`(?i)[k-l]年`, "年"},
	{`(?i)[k-l]+年`, "年"},
	{`[^。\n]{0,6}作出`, "出"},
	{`(?:住址|户籍地)[ \t]*(?::[ \t]*)?`, "住户"},
	{`年*月`, "月"},
	{`(年|月)+`, "年月"},
	{`.月.`, "月"},
	{`(?s:.月.)`, "月"},
	{`x?`, ""}, // empty matches: no anchor holds, AutoSieve runs it whole
	{`(年)?(月)?日`, "日"},
	// Without assertions and with a bounded match, windows are cut at the budget.
	{`(?:决定[^书日]|处罚如下)[^。]{0,6}?(?:警告|罚款)`, "定下"},
	{`(?:决定日期|处罚日期)[ \t]*(?:（[^（）\n]{0,3}）)?[ \t]*[：:]`, "期"},
	{`[^。]{1,3}号[^。]{0,2}`, "号"},
	{`x[ \t]*年[^\n]{0,3}`, "年"},
	{`a{2,}年.`, "年"},
	{`号[0-9]{1,3}[ \t]*年`, "年"},
	{`号[0-9]{1,3}[ \t]*年`, "号"},
	{`[0-9]{2}[^。]{0,4}号[ \t]*(?:日|期)`, "号"},
}

// sieveRunes are what random texts are made of: the expressions' runes, their
// neighbours, line breaks and invalid UTF-8.
var sieveRunes = []string{"年", "月", "日", "号", "0", "1", "2", "9", " ", "\t", "\u3000", "\n", "-", ".", "/",
	"〔", "〕", "[", "]", "（", "）", "第", "东", "政", "发", "★", "☆", "*", "绝", "机", "秘", "密", "住", "址",
	"户", "籍", "地", ":", "a", "b", "k", "K", "\u212a", "作", "出", "。", "x", "决定", "处罚如下", "警告", "罚款", "日期", "（", "）", "书", "aa", "：", "\xff", "\xe5\x85", "\ufffd", "长", "期"}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(sieveRunes[r.IntN(len(sieveRunes))])
	}
	return b.String()
}

func checkSieve(t *testing.T, s *Sieve, text string) {
	t.Helper()
	re := s.Regexp()
	if got, want := s.FindAllStringSubmatchIndex(text, -1), re.FindAllStringSubmatchIndex(text, -1); !equalIndexes(got, want) {
		t.Fatalf("%s on %q: FindAllStringSubmatchIndex = %v, want %v", re, text, got, want)
	}
	if got, want := s.FindAllStringIndex(text, -1), re.FindAllStringIndex(text, -1); !equalIndexes(got, want) {
		t.Fatalf("%s on %q: FindAllStringIndex = %v, want %v", re, text, got, want)
	}
	for _, n := range []int{0, 1, 2} {
		if got, want := s.FindAllStringIndex(text, n), re.FindAllStringIndex(text, n); !equalIndexes(got, want) {
			t.Fatalf("%s on %q: FindAllStringIndex(%d) = %v, want %v", re, text, n, got, want)
		}
	}
	if got, want := s.MatchString(text), re.MatchString(text); got != want {
		t.Fatalf("%s on %q: MatchString = %v, want %v", re, text, got, want)
	}
}

func equalIndexes(a, b [][]int) bool {
	return slices.EqualFunc(a, b, func(x, y []int) bool { return slices.Equal(x, y) })
}

func sieves(t testing.TB) []*Sieve {
	var out []*Sieve
	for _, c := range sieveCases {
		re := regexp.MustCompile(c.re)
		if c.anchors != "" {
			out = append(out, NewSieve(re, c.anchors))
		}
		out = append(out, AutoSieve(re))
	}
	return out
}

func TestSieveRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ss := sieves(t)
	for range 3000 {
		text := randomText(r, r.IntN(40))
		for _, s := range ss {
			checkSieve(t, s, text)
		}
	}
}

func TestSieveAnchorsChecked(t *testing.T) {
	for _, c := range []struct{ re, anchors string }{
		{`年|月`, "年"},         // a branch without the anchor
		{`年?月`, "年"},         // an optional anchor
		{`[年月]日`, "年"},       // a class wider than the anchors
		{`(?i)k年`, "k年"[:1]}, // K and the Kelvin sign match too
		{`x*`, "x"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSieve(%q, %q) did not panic", c.re, c.anchors)
				}
			}()
			NewSieve(regexp.MustCompile(c.re), c.anchors)
		}()
	}
}

// TestSieveReach checks how far windows reach from an anchor: from its part
// of the sequence to either end of the longest match, in runes outside the
// unbounded repeats; -1 (runs only) with assertions or past maxRunesCap.
func TestSieveReach(t *testing.T) {
	for _, c := range []struct {
		re, anchors        string // no anchors: AutoSieve
		left, right, needs int
	}{
		{`(?:决定[^书日]|处罚如下)[^。]{0,6}?(?:警告|罚款)`, "", 4, 4 + 6 + 2, 1},
		{`(?:决定日期|处罚日期)[ \t]*(?:（[^（）\n]{0,3}）)?[ \t]*[：:]`, "", 4, 4 + 5 + 1, 1},
		{`(\p{Han}{0,12})([〔\[(（])[ \t]*([0-9]{2,4})[ \t]*([〕\])）])[ \t]*(第?)[ \t]*([0-9]{1,6})[ \t]*号`, "号", 26, 1, 3},
		{`([0-9]{4})[ \t]*年[ \t]*([0-9]{1,2})月`, "年", 5, 4, 2},
		{`(?:绝密|机密|秘密)[ \t]*★`, "密", 2, 3, 1},
		{`(?m:^年)`, "", -1, -1, 0},
		{`\b年`, "年", -1, -1, 0},
		{`年+`, "", 0, 0, 0},
	} {
		re := regexp.MustCompile(c.re)
		s := AutoSieve(re)
		if c.anchors != "" {
			s = NewSieve(re, c.anchors)
		}
		if s.left != c.left || s.right != c.right || len(s.needs) != c.needs {
			t.Errorf("%s: reach %d, %d with %d needs (%q), want %d, %d with %d", c.re, s.left, s.right, len(s.needs), s.needs, c.left, c.right, c.needs)
		}
	}
}

func TestAutoSieveAnchors(t *testing.T) {
	for _, c := range []struct{ re, want string }{
		{`(?:决定日期|处罚日期)[ \t]*[：:]`, "期"},
		{`([0-9]{4})([-./])([0-9]{1,2})`, "-./"},
		{`.*`, ""},
		{`[^。]{2}`, ""},
	} {
		if got := string(AutoSieve(regexp.MustCompile(c.re)).anchors); got != c.want {
			t.Errorf("AutoSieve(%q) anchors %q, want %q", c.re, got, c.want)
		}
	}
}

func FuzzSieve(f *testing.F) {
	for _, s := range []string{"", "2024年3月5日", "2024-03-05 2024.3.5", "东政发〔2024〕12号", "[2024]12号",
		"机密★10年 秘密☆ 绝密*", "住址: 北京\n户籍地", "ab年 AB年 \u212a年", "号1\n1号", "作出\n。作出", "\xff年\xe5\x85月日"} {
		f.Add(s)
	}
	ss := sieves(f)
	f.Fuzz(func(t *testing.T, text string) {
		// The text itself, and its bytes read as a list of sieveRunes.
		var b strings.Builder
		for i := range len(text) {
			b.WriteString(sieveRunes[int(text[i])%len(sieveRunes)])
		}
		for _, s := range ss {
			checkSieve(t, s, text)
			checkSieve(t, s, b.String())
		}
	})
}
