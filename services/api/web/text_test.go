package web

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

func finding(field string, start, end int, sev domain.Severity) store.Finding {
	return store.Finding{Finding: domain.Finding{Field: field, Start: start, End: end, Severity: sev, MessageZH: "问题", MessageEN: "problem"}}
}

func joined(segs []segment) (string, string) {
	var all, marked strings.Builder
	for _, s := range segs {
		all.WriteString(s.Text)
		if s.Mark {
			marked.WriteString("[" + s.Text + ":" + s.Severity + "]")
		}
	}
	return all.String(), marked.String()
}

func TestHighlight(t *testing.T) {
	text := "当事人张三，身份证号11010519491231002X，住址北京市。"
	cases := []struct {
		name string
		fs   []store.Finding
		want string
	}{
		{"none", nil, ""},
		{"one", []store.Finding{finding("body", 10, 28, domain.SeverityBlock)}, "[11010519491231002X:block]"},
		{"other field ignored", []store.Finding{finding("title", 0, 2, domain.SeverityBlock)}, ""},
		{"overlap splits at every boundary", []store.Finding{finding("body", 3, 5, domain.SeverityWarn), finding("body", 4, 8, domain.SeverityBlock)},
			"[张:warn][三:block][，身份:block]"},
		{"out of range ignored", []store.Finding{finding("body", 10, 999, domain.SeverityBlock), finding("body", -1, -1, domain.SeverityBlock)}, ""},
	}
	for _, tc := range cases {
		all, marked := joined(highlight(text, tc.fs, "body", "zh"))
		if all != text {
			t.Errorf("%s: text changed to %q", tc.name, all)
		}
		if marked != tc.want {
			t.Errorf("%s: marked %q, want %q", tc.name, marked, tc.want)
		}
	}
}

func FuzzHighlight(f *testing.F) {
	f.Add("当事人张三，身份证号", 1, 3, 2, 5)
	f.Add("abc", 0, 3, 3, 3)
	f.Add("\xff\xfe中", 0, 1, 1, 2)
	f.Fuzz(func(t *testing.T, text string, s1, e1, s2, e2 int) {
		segs := highlight(text, []store.Finding{finding("body", s1, e1, domain.SeverityWarn), finding("body", s2, e2, domain.SeverityBlock)}, "body", "en")
		all, _ := joined(segs)
		if utf8.ValidString(text) && all != text {
			t.Fatalf("text changed: %q -> %q", text, all)
		}
		if utf8.RuneCountInString(all) != utf8.RuneCountInString(text) {
			t.Fatalf("rune count changed")
		}
	})
}

func TestDiff(t *testing.T) {
	parts := diff("检查时间另行通知。", "检查时间为十二月一日。")
	var ins, del string
	for _, p := range parts {
		switch p.Op {
		case "ins":
			ins += p.Text
		case "del":
			del += p.Text
		}
	}
	if !strings.Contains(ins, "十二月一日") || !strings.Contains(del, "另行通知") {
		t.Fatalf("diff: %+v", parts)
	}
}
