package compliance

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/checks/internal/difftest"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// same checks that the optimised rules find exactly what the original ones
// (oracle_test.go) find on a draft, and as a penalty decision.
func same(t *testing.T, c domain.Content) {
	t.Helper()
	for _, cat := range []string{c.Category, "penalty"} {
		c.Category = cat
		if d := difftest.Diff(Check(c), origCheck(c)); d != "" {
			t.Fatalf("Check(%+v) differs from the original: %s", c, d)
		}
		e1, ok1 := PenaltyExpiry(c)
		e2, ok2 := origPenaltyExpiry(c)
		if !e1.Equal(e2) || ok1 != ok2 {
			t.Fatalf("PenaltyExpiry(%+v) = %v %v, want %v %v", c, e1, ok1, e2, ok2)
		}
	}
}

func TestSameAsOriginalOnTestInputs(t *testing.T) {
	formed := difftest.Today.AddDate(0, 0, -3).Truncate(24 * time.Hour)
	for _, s := range difftest.Literals(t) {
		same(t, domain.Content{Title: "行政处罚决定书", Body: s, Category: "penalty", FormedOn: formed,
			Channels: []domain.Channel{domain.ChannelWebsite}})
		same(t, domain.Content{Body: s + "\n" + s, Category: "news"})
	}
}

func TestSameAsOriginalOnCorpus(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range difftest.Corpus(t) {
		same(t, c)
		c.Body = difftest.Spice(r, c.Body, 8)
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

func FuzzSameAsOriginal(f *testing.F) {
	for _, s := range difftest.Snippets {
		f.Add(s, uint8(0))
	}
	for _, c := range difftest.Corpus(f)[:10] {
		f.Add(c.Body, uint8(1))
	}
	f.Add("处罚内容：\n1. 警告\n2. 罚款人民币5000元\n依据《中华人民共和国食品安全法》第一百二十四条\n2024年3月5日", uint8(2))
	f.Add("本局决定：处以五千元以上五万元以下罚款，合计罚款壹万伍仟元。决定日期：2024年3月5日", uint8(3))
	f.Fuzz(func(t *testing.T, body string, k uint8) {
		c := domain.Content{Body: body, Category: difftest.Category(int(k)),
			Channels: []domain.Channel{domain.ChannelWeChat}, FormedOn: difftest.Today.AddDate(0, 0, -int(k%50)).Truncate(24 * time.Hour)}
		if k%5 == 0 {
			c.FormedOn = time.Time{}
		}
		same(t, c)
		c.Body = difftest.Compose(body)
		same(t, c)
	})
}
