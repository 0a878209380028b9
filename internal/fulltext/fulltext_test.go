package fulltext

import (
	"reflect"
	"testing"
)

func TestVector(t *testing.T) {
	got := Vector("消防安全，PM２.5", "低保")
	want := `'5' 'pm2' '低保' '保' '全' '安全' '消防' '防安'`
	if got != want {
		t.Fatalf("Vector = %s, want %s", got, want)
	}
}

func TestQuery(t *testing.T) {
	for _, c := range []struct{ q, want string }{
		{"消防", `'消防'`},
		{"消防安全", `'消防' & '防安' & '安全'`},
		{"税", `'税':*`},
		{" 低保  2024年 ", `'低保' & '2024':* & '年':*`},
		{"！？", ``},
	} {
		if got, _ := Query(c.q); got != c.want {
			t.Errorf("Query(%q) = %q, want %q", c.q, got, c.want)
		}
	}
}

func TestHighlight(t *testing.T) {
	got := Highlight("开展消防检查，消防通道", []string{"消防"}, 0)
	want := []Segment{{"开展", false}, {"消防", true}, {"检查，", false}, {"消防", true}, {"通道", false}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Highlight = %v", got)
	}
	cut := Highlight("一二三四五六七八九十低保一二三四五六七八九十", []string{"低保"}, 9)
	if cut[0].Text != "…" || cut[len(cut)-1].Text != "…" {
		t.Fatalf("a cut text is marked at both ends: %v", cut)
	}
}
