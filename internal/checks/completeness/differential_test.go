package completeness

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/sanshen-gov/sanshen/internal/checks/internal/difftest"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// same checks that the optimised rules find exactly what the original ones
// (oracle_test.go) find on a draft, and on its title and body alone.
func same(t *testing.T, c domain.Content) {
	t.Helper()
	if d := difftest.Diff(Check(c, difftest.Today), origCheck(c, difftest.Today)); d != "" {
		t.Fatalf("Check(%+v) differs from the original: %s", c, d)
	}
	for _, s := range []string{c.Title, c.Body} {
		if d := difftest.Diff(DocumentNumbers(s), origDocumentNumbers(newText("", s), -1)); d != "" {
			t.Fatalf("DocumentNumbers(%q) differs from the original: %s", s, d)
		}
		got, want := findDates(newText(fieldBody, s)), origFindDates(newText(fieldBody, s))
		if !slices.Equal(got, want) {
			t.Fatalf("findDates(%q) = %+v, want %+v", s, got, want)
		}
		d1, s1, e1, ok1 := DecisionDate(s)
		d2, s2, e2, ok2 := origExportedDecisionDate(s)
		if !d1.Equal(d2) || s1 != s2 || e1 != e2 || ok1 != ok2 {
			t.Fatalf("DecisionDate(%q) = %v %d %d %v, want %v %d %d %v", s, d1, s1, e1, ok1, d2, s2, e2, ok2)
		}
	}
}

// literalDrafts makes drafts of the string literals of this package's tests:
// each as the body and as the title, under the categories with rules of
// their own.
func literalDrafts(t *testing.T) []domain.Content {
	var out []domain.Content
	formed := difftest.Today.AddDate(0, 0, -3).Truncate(24 * time.Hour)
	for i, s := range difftest.Literals(t) {
		for _, cat := range []string{"penalty", "license", "normative_document", "civil_service", "fee", "news"} {
			dept := []string{"北京市东城区教育局", "城市管理办公室", ""}[i%3]
			out = append(out,
				domain.Content{Title: "关于开展工作的通知", Body: s, Department: dept, Category: cat, FormedOn: formed,
					Channels: []domain.Channel{domain.ChannelWebsite}},
				domain.Content{Title: s, Body: s + "\n" + s, Department: dept, Category: cat, FormedOn: formed})
		}
	}
	return out
}

func TestSameAsOriginalOnTestInputs(t *testing.T) {
	for _, c := range literalDrafts(t) {
		same(t, c)
	}
}

func TestSameAsOriginalOnCorpus(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range difftest.Corpus(t) {
		same(t, c)
		c.Body = difftest.Spice(r, c.Body, 8)
		c.Title = difftest.Spice(r, c.Title, 1)
		same(t, c)
	}
}

func TestSameAsOriginalOnRandomDrafts(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for range n {
		same(t, difftest.Content(r))
	}
}

// TestIsSpace checks the shortcut of isSpace against its definition on every rune.
func TestIsSpace(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF+1; r++ {
		if got, want := isSpace(r), unicode.IsSpace(r) || r == '\u3000'; got != want {
			t.Fatalf("isSpace(%U) = %v, want %v", r, got, want)
		}
	}
}

func FuzzSameAsOriginal(f *testing.F) {
	for _, s := range difftest.Snippets {
		f.Add("关于开展工作的通知", s, uint8(2), "北京市东城区教育局")
	}
	for i, c := range difftest.Corpus(f)[:10] {
		f.Add(c.Title, c.Body, uint8(i), c.Department)
	}
	f.Add("东政发〔2024〕12号", "东政发[2024]第012号\n决定日期：2024年2月30日\n二〇二四年三月五日", uint8(2), "东城区教育局")
	f.Add("北京市东城区教肓局通知", "北京市东城区教育局、北京市东城区教育局和北京市东城区教肓局。和平街道办与和平街道办事处", uint8(0), "北京市东城区教育局")
	f.Fuzz(func(t *testing.T, title, body string, cat uint8, dept string) {
		formed := difftest.Today.AddDate(0, 0, -int(cat%40)).Truncate(24 * time.Hour)
		if cat%7 == 0 {
			formed = time.Time{}
		}
		c := domain.Content{Title: title, Body: body, Department: dept, Category: difftest.Category(int(cat)),
			Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: formed}
		same(t, c)
		c.Title, c.Body = difftest.Compose(title), difftest.Compose(body)
		same(t, c)
	})
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
