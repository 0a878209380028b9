package words

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestFindAll(t *testing.T) {
	gov := []string{"中华", "华人", "中华人民", "敏感词", "ABC", "new york", "ash", "法轮"}
	tests := []struct {
		name  string
		words []string
		text  string
		want  []Match
	}{
		{"exact", []string{"敏感词"}, "这是一个敏感词测试", []Match{{"敏感词", 4, 7}}},
		{"twice", []string{"敏感词"}, "敏感词敏感词", []Match{{"敏感词", 0, 3}, {"敏感词", 3, 6}}},
		{"overlapping and nested", gov, "中华人民共和国",
			[]Match{{"中华", 0, 2}, {"华人", 1, 3}, {"中华人民", 0, 4}}},
		{"self-overlapping", []string{"哈哈"}, "哈哈哈", []Match{{"哈哈", 0, 2}, {"哈哈", 1, 3}}},
		{"suffix words share an end", []string{"人民", "中华人民", "华人民"}, "中华人民",
			[]Match{{"中华人民", 0, 4}, {"华人民", 1, 4}, {"人民", 2, 4}}},
		{"full-width Latin", gov, "ＡＢＣ和ａｂｃ", []Match{{"ABC", 0, 3}, {"ABC", 4, 7}}},
		{"full-width word, half-width text", []string{"ＦａＬｕｎ"}, "xFALUNx", []Match{{"ＦａＬｕｎ", 1, 6}}},
		{"lower-case", gov, "abc Abc", []Match{{"ABC", 0, 3}, {"ABC", 4, 7}}},
		{"asterisks", gov, "这是敏*感*词。", []Match{{"敏感词", 2, 7}}},
		{"spaces", gov, "敏 感 词", []Match{{"敏感词", 0, 5}}},
		{"ideographic spaces", gov, "敏　感　词", []Match{{"敏感词", 0, 5}}},
		{"zero-width", gov, "敏\u200b感\u200d\ufeff词", []Match{{"敏感词", 0, 6}}},
		{"middle dot and dash", gov, "敏·感-词", []Match{{"敏感词", 0, 5}}},
		{"underscores", gov, "敏_感__词", []Match{{"敏感词", 0, 6}}},
		{"three noise runes", gov, "敏*-*感词", []Match{{"敏感词", 0, 6}}},
		{"ellipsis is three noise runes", gov, "敏…感词", []Match{{"敏感词", 0, 4}}},
		{"noise at the edges stays outside", gov, "**敏感词**", []Match{{"敏感词", 2, 5}}},
		{"word listed with noise", []string{" 敏-感-词 "}, "敏感词", []Match{{" 敏-感-词 ", 0, 3}}},
		{"Latin with spaces", gov, "NEW   York", []Match{{"new york", 0, 10}}},
		{"variation selector", gov, "法\ufe0f轮", []Match{{"法轮", 0, 3}}},
		{"composed and decomposed", []string{"café"}, "cafe\u0301!", []Match{{"café", 0, 5}}},
		{"expansion matched once", []string{"f"}, "ﬀ", []Match{{"f", 0, 1}}},
		{"circled digit", []string{"1号"}, "①号", []Match{{"1号", 0, 2}}},
		{"mixed ASCII and Chinese offsets", []string{"abc", "中华", "gdp增速"}, "ABC中华abc人民GDP 增速",
			[]Match{{"abc", 0, 3}, {"中华", 3, 5}, {"abc", 5, 8}, {"gdp增速", 10, 16}}},
		{"astral runes count as one", []string{"中华"}, "😀中华", []Match{{"中华", 1, 3}}},
		{"traditional characters", gov, "敏感詞和中華", []Match{{"敏感词", 0, 3}, {"中华", 4, 6}}},
		{"traditional word, simplified text", []string{"賭博"}, "赌博", []Match{{"賭博", 0, 2}}},
		{"combining marks on Han", gov, "敏\u0301感\u0332词", []Match{{"敏感词", 0, 5}}},
		{"invisible characters do not count as noise", gov, "敏\u200b\u200b\u200b\u200b\u200b感词", []Match{{"敏感词", 0, 8}}},
		{"invisible characters plus three noise runes", gov, "敏\u200b*\u200b*\u200b*感词", []Match{{"敏感词", 0, 9}}},

		// Near misses.
		{"prefix only", gov, "敏感", nil},
		{"different last char", gov, "敏感字", nil},
		{"four noise runes", gov, "敏*-*-感词", nil},
		{"four spaces", gov, "敏    感词", nil},
		{"four noise runes with invisible ones between", gov, "敏*\u200b*-\u200b*感词", nil},
		{"line break", gov, "敏\n感词", nil},
		{"full-width comma is a clause break", gov, "发展中，华人", []Match{{"华人", 4, 6}}},
		{"enumeration comma", gov, "敏、感、词", nil},
		{"brackets", gov, "敏（感）词", nil},
		{"quotes", gov, "敏“感”词", nil},
		{"space between Latin words is a word break", gov, "tea shop", nil},
		{"no match across a Latin space", []string{"ab"}, "a b", nil},
		{"no text", gov, "", nil},
		{"empty list", nil, "中华人民共和国", nil},
		{"list of noise only", []string{"", " ", "***", "\u200b"}, "中华 ***", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMatcher(tt.words, 1)
			got := m.FindAll(tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("FindAll(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		offsets []int
	}{
		{"", "", nil},
		{"中华人民", "中华人民", []int{0, 1, 2, 3}},
		{"ＡＢＣ１２３", "abc123", []int{0, 1, 2, 3, 4, 5}},
		{"敏 感 词", "敏感词", []int{0, 2, 4}},
		{"敏*感*词", "敏感词", []int{0, 2, 4}},
		{"敏    感", "敏    感", []int{0, 1, 2, 3, 4, 5}},
		{"*敏感", "*敏感", []int{0, 1, 2}},
		{"a  b", "a b", []int{0, 1, 3}},
		{"a-b", "ab", []int{0, 2}},
		{"a 中", "a中", []int{0, 2}},
		{"中，华", "中,华", []int{0, 1, 2}},
		{"㈱a", "(株)a", []int{0, 0, 0, 1}},
		{"e\u0301x", "éx", []int{0, 2}},
		{"x\n\ny", "x\n\ny", []int{0, 1, 2, 3}},
		{"\xff中", "\ufffd中", []int{0, 1}},
	}
	for _, tt := range tests {
		got, offs := Normalize(tt.in)
		if got != tt.want || !slices.Equal(offs, tt.offsets) {
			t.Errorf("Normalize(%q) = %q, %v; want %q, %v", tt.in, got, offs, tt.want, tt.offsets)
		}
	}
}

func TestMatcherMeta(t *testing.T) {
	m := NewMatcher([]string{"ABC", "abc", "ａｂｃ", "", "中华", " 中华 "}, 7)
	if m.Len() != 2 || m.Version() != 7 {
		t.Fatalf("Len, Version = %d, %d; want 2, 7", m.Len(), m.Version())
	}
	if got := m.FindAll("abc"); !slices.Equal(got, []Match{{"ABC", 0, 3}}) {
		t.Errorf("duplicate spellings: got %v, want the first spelling once", got)
	}
	var nilM *Matcher
	if nilM.FindAll("abc") != nil || Check(nilM, domain.Content{Title: "abc"}) != nil {
		t.Error("a nil Matcher must find nothing")
	}
}

func TestCheck(t *testing.T) {
	m := NewMatcher([]string{"敏感词", "中华"}, 3)
	fs := Check(m, domain.Content{Title: "关于敏感词", Body: "中华人民，敏*感*词"})
	want := []domain.Finding{
		{Code: "sensitive_word", Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Field: "title", Start: 2, End: 5, MessageZH: "敏感词「敏感词」（词表第3版）",
			MessageEN: `sensitive word "敏感词" (word list version 3)`},
		{Code: "sensitive_word", Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Field: "body", Start: 0, End: 2, MessageZH: "敏感词「中华」（词表第3版）",
			MessageEN: `sensitive word "中华" (word list version 3)`},
		{Code: "sensitive_word", Severity: domain.SeverityWarn, Stage: domain.StageConfidentiality,
			Field: "body", Start: 5, End: 10, MessageZH: "敏感词「敏感词」（词表第3版）",
			MessageEN: `sensitive word "敏感词" (word list version 3)`},
	}
	if !slices.Equal(fs, want) {
		t.Fatalf("Check = %+v\nwant %+v", fs, want)
	}
	if domain.Blocking(fs) {
		t.Error("sensitive words warn, they never block")
	}
}

// reference finds the matches of words in text the slow, obvious way: it
// compares every normalised word at every position of the normalised text.
// It shares only the normaliser (the specification) with the Matcher.
func reference(words []string, text string) []Match {
	var nz normalizer
	nz.reset(text)
	nz.fill(int(^uint(0) >> 1))
	seen := map[string]bool{}
	var out []Match
	for _, w := range words {
		nw := normalizeWord(w)
		if len(nw) == 0 || seen[string(nw)] {
			continue
		}
		seen[string(nw)] = true
		for i := 0; i+len(nw) <= len(nz.runes); i++ {
			if slices.Equal(nz.runes[i:i+len(nw)], nw) {
				m := Match{w, nz.starts[i], nz.ends[i+len(nw)-1]}
				if !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
		}
	}
	sortMatches(out)
	return out
}

func sortMatches(ms []Match) {
	slices.SortFunc(ms, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.End, b.End), cmp.Compare(a.Start, b.Start), strings.Compare(a.Word, b.Word))
	})
}

// diffMatches describes how got differs from want, ignoring the order of
// matches that share a span; "" if they are the same.
func diffMatches(got, want []Match) string {
	g := slices.Clone(got)
	sortMatches(g)
	if slices.Equal(g, want) {
		return ""
	}
	return fmt.Sprintf("got %v\nwant %v", got, want)
}

// randomPieces are what random texts and words are made of: Han characters
// that share prefixes, Latin in both widths and cases, noise, clause breaks,
// combining marks, expansions and an astral rune.
var randomPieces = []string{
	"中", "华", "人", "民", "国", "家", "中", "华", "人", "a", "b", "A", "Ｂ", "ａ",
	" ", "*", "·", "\u200b", "-", "，", "\n", "\u0301", "ﬀ", "f", "…", "㈱", "株", "😀", "\ufe0f", "\xff",
}

func randomString(r *rand.Rand, maxPieces int) string {
	var b strings.Builder
	for range r.IntN(maxPieces + 1) {
		b.WriteString(randomPieces[r.IntN(len(randomPieces))])
	}
	return b.String()
}

func TestFindAllMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		words := make([]string, r.IntN(12))
		for j := range words {
			words[j] = randomString(r, 5)
		}
		text := randomString(r, 60)
		got := NewMatcher(words, 1).FindAll(text)
		if d := diffMatches(got, reference(words, text)); d != "" {
			t.Fatalf("case %d: words %q, text %q:\n%s", i, words, text, d)
		}
		checkOrdered(t, text, got)
	}
}

// TestFindAllMatchesReferenceDense uses many words over a larger alphabet,
// so states have many children and the automaton grows large.
func TestFindAllMatchesReferenceDense(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("中华人民共和国家政府工作报告发展改革安全稳定经济社会文化生态环境保护建设abcxyz")
	gen := func(n int) string {
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(rs)
	}
	for i := range 40 {
		words := make([]string, 50+r.IntN(1500))
		for j := range words {
			words[j] = gen(1 + r.IntN(5))
		}
		text := gen(2000)
		got := NewMatcher(words, 1).FindAll(text)
		if d := diffMatches(got, reference(words, text)); d != "" {
			t.Fatalf("case %d: %d words:\n%s", i, len(words), d[:min(len(d), 400)])
		}
	}
}

// TestDiffMatchesCanFail makes sure the comparison above is not vacuous.
func TestDiffMatchesCanFail(t *testing.T) {
	words := []string{"中华", "华人", "中华人民"}
	want := reference(words, "中华人民共和国")
	if len(want) != 3 {
		t.Fatalf("reference found %v", want)
	}
	if diffMatches(want[:2], want) == "" || diffMatches([]Match{{"中华", 0, 3}, want[1], want[2]}, want) == "" {
		t.Fatal("diffMatches does not notice a missing or shifted match")
	}
}

// checkOrdered checks the promises of FindAll about offsets and order.
func checkOrdered(t *testing.T, text string, ms []Match) {
	t.Helper()
	n := utf8.RuneCountInString(text)
	for i, m := range ms {
		if m.Start < 0 || m.Start >= m.End || m.End > n {
			t.Fatalf("match %v outside text of %d runes", m, n)
		}
		if i > 0 {
			p := ms[i-1]
			if p.End > m.End || (p.End == m.End && p.Start > m.Start) {
				t.Fatalf("matches out of order: %v before %v", p, m)
			}
		}
	}
}

// TestFindAllLongText crosses chunk boundaries with matches in flight.
func TestFindAllLongText(t *testing.T) {
	words := []string{"中华人民共和国", "人民", "华人", "国家"}
	var b strings.Builder
	for i := range 5000 {
		b.WriteString("中华人民共和国")
		if i%7 == 0 {
			b.WriteString("*")
		}
		if i%11 == 0 {
			b.WriteString("国家")
		}
	}
	text := b.String()
	got := NewMatcher(words, 1).FindAll(text)
	if d := diffMatches(got, reference(words, text)); d != "" {
		t.Fatal(d[:min(len(d), 500)])
	}
	checkOrdered(t, text, got)
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "中华人民", "敏*感*词", "ＡＢＣ", "e\u0301", "㈱", "a  b", "\xff\xfe", "ﬀ…"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		norm, offs := Normalize(text)
		if !utf8.ValidString(norm) {
			t.Fatalf("Normalize(%q) = %q, not UTF-8", text, norm)
		}
		if c := utf8.RuneCountInString(norm); c != len(offs) {
			t.Fatalf("Normalize(%q): %d runes but %d offsets", text, c, len(offs))
		}
		n := utf8.RuneCountInString(text)
		for i, o := range offs {
			if o < 0 || o >= n || (i > 0 && o < offs[i-1]) {
				t.Fatalf("Normalize(%q): offsets %v not monotonic within %d runes", text, offs, n)
			}
		}
		// Invalid bytes count as one U+FFFD each, whatever follows them.
		if n2, o2 := Normalize(string([]rune(text))); n2 != norm || !slices.Equal(o2, offs) {
			t.Fatalf("Normalize(%+q) = %+q %v, but of its runes %+q %v", text, norm, offs, n2, o2)
		}
	})
}

func FuzzFindAll(f *testing.F) {
	f.Add("中华|华人|中华人民", "中华人民共和国")
	f.Add("敏感词|abc", "敏*感*词 ＡＢＣ")
	f.Add("f|ff|株", "ﬀ㈱")
	f.Add("||", "")
	f.Fuzz(func(t *testing.T, list, text string) {
		words := strings.Split(list, "|")
		got := NewMatcher(words, 1).FindAll(text)
		checkOrdered(t, text, got)
		if d := diffMatches(got, reference(words, text)); d != "" {
			t.Fatalf("words %q, text %q:\n%s", words, text, d)
		}
	})
}

// TestFastPaths checks the shortcuts of the normaliser against the general
// code: the inline decoder against unicode/utf8, and the rule that a lead
// byte E4-E9 (U+4000-U+9FFF) and ASCII always start a new NFKC segment.
func TestFastPaths(t *testing.T) {
	loadTables()
	for r := rune(0); r < 0x80; r++ {
		if bmpFlags[r]&fBB == 0 {
			t.Fatalf("ASCII %q combines leftwards", r)
		}
	}
	for r := rune(0x4000); r <= 0x9FFF; r++ {
		if bmpFlags[r]&fBB == 0 {
			t.Fatalf("%U combines leftwards", r)
		}
	}
	buf := make([]byte, 4)
	for c0 := 0xC0; c0 < 0x100; c0++ {
		for c1 := 0; c1 < 0x100; c1++ {
			for _, c2 := range []byte{0x00, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF} {
				buf[0], buf[1], buf[2], buf[3] = byte(c0), byte(c1), c2, 0x80
				for _, n := range []int{2, 3, 4} {
					s := string(buf[:n])
					r1, s1 := decodeRune(s, 0)
					r2, s2 := utf8.DecodeRuneInString(s)
					if r1 != r2 || s1 != s2 {
						t.Fatalf("decodeRune(% x) = %U, %d; utf8 says %U, %d", s, r1, s1, r2, s2)
					}
					// The copy inlined in fill: invalid bytes must read as
					// U+FFFD each, as the re-encoded runes do.
					n1, o1 := Normalize(s)
					n2, o2 := Normalize(string([]rune(s)))
					if n1 != n2 || !slices.Equal(o1, o2) {
						t.Fatalf("Normalize(% x) = %q %v; decoded it is %q %v", s, n1, o1, n2, o2)
					}
				}
			}
		}
	}
}

// TestConcurrent shares one Matcher between goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	m := NewMatcher([]string{"中华", "华人", "中华人民", "敏感词"}, 1)
	text := strings.Repeat("中华人民共和国，敏*感*词。", 500)
	want := m.FindAll(text)
	done := make(chan []Match)
	for range 4 {
		go func() { done <- m.FindAll(text) }()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got, want) {
			t.Fatal("concurrent FindAll differs")
		}
	}
}

// TestHugeAlphabet takes the alphabet past 65,535 symbols, where BMP runes
// spill from the 16-bit table into the map.
func TestHugeAlphabet(t *testing.T) {
	var words []string
	for r := rune(0x20000); r < 0x2A6D0; r++ { // CJK extension B
		words = append(words, string(r))
	}
	for r := rune(0xAC00); r <= 0xD7A3; r++ { // Hangul syllables
		words = append(words, string(r))
	}
	for r := rune(0x4E00); r <= 0x9FA5; r++ {
		words = append(words, string(r)+"x")
	}
	// Traditional characters among them fold to simplified ones that are
	// listed too, and count once.
	distinct := map[string]bool{}
	for _, w := range words {
		distinct[string(normalizeWord(w))] = true
	}
	m := NewMatcher(words, 1)
	if m.Len() != len(distinct) || len(distinct) < len(words)*9/10 || len(m.extra) == 0 {
		t.Fatalf("Len = %d of %d distinct (%d words), %d symbols in the map", m.Len(), len(distinct), len(words), len(m.extra))
	}
	got := m.FindAll("𠀀가龥xA")
	want := []Match{{"𠀀", 0, 1}, {"가", 1, 2}, {"龥x", 2, 4}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestLongWord has a word longer than a chunk of the scan.
func TestLongWord(t *testing.T) {
	words := []string{strings.Repeat("中华", 3000), "华中"}
	text := strings.Repeat("中华", 10000)
	got := NewMatcher(words, 1).FindAll(text)
	if d := diffMatches(got, reference(words, text)); d != "" {
		t.Fatal(d[:min(len(d), 300)])
	}
	if len(got) != 7001+9999 { // a 6,000-rune word at every even offset, "华中" at every odd one
		t.Fatalf("%d matches", len(got))
	}
}
