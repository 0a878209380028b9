package confidentiality

import (
	"math/rand/v2"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/checks/internal/difftest"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// same checks that the optimised detectors find exactly what the original
// ones (oracle_test.go) find on a draft, and on each of its fields.
func same(t *testing.T, title, body string) {
	t.Helper()
	c := domain.Content{Title: title, Body: body}
	if d := difftest.Diff(Check(c), origCheck(c)); d != "" {
		t.Fatalf("Check(%q, %q) differs from the original: %s", title, body, d)
	}
	for _, s := range []string{title, body} {
		if d := difftest.Diff(Markings(s), origMarkings(s)); d != "" {
			t.Fatalf("Markings(%q) differs from the original: %s", s, d)
		}
		if d := difftest.Diff(PersonalData(s), origPersonalData(s)); d != "" {
			t.Fatalf("PersonalData(%q) differs from the original: %s", s, d)
		}
	}
}

func TestSameAsOriginalOnTestInputs(t *testing.T) {
	for _, s := range difftest.Literals(t) {
		same(t, s, s+"\n"+s)
	}
	for _, s := range seeds {
		same(t, s, s)
	}
}

func TestSameAsOriginalOnCorpus(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range difftest.Corpus(t) {
		same(t, c.Title, c.Body)
		same(t, difftest.Spice(r, c.Title, 1), difftest.Spice(r, c.Body, 8))
	}
}

func TestSameAsOriginalOnRandomTexts(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	n := 5000
	if testing.Short() {
		n = 500
	}
	for range n {
		same(t, difftest.Text(r, r.IntN(3)), difftest.Text(r, r.IntN(30)))
	}
}

func FuzzSameAsOriginal(f *testing.F) {
	for _, s := range difftest.Snippets {
		f.Add("关于开展工作的通知", s)
	}
	for _, s := range seeds {
		f.Add(s, s)
	}
	for _, c := range difftest.Corpus(f)[:10] {
		f.Add(c.Title, c.Body)
	}
	f.Add("【内部】通知", "当事人：张三，男，公民身份号码：11010519491231002X，住址：北京市东城区XX路12号，电话13812345678。\n内部资料 注意保存\n机密★10年")
	f.Fuzz(func(t *testing.T, title, body string) {
		same(t, title, body)
		same(t, difftest.Compose(title), difftest.Compose(body))
	})
}
