package annualreport

import (
	"os"
	"slices"
	"strings"
	"testing"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// realReport is a real published report (建国门街道, 2024), as copied
// from its page: its tables are consistent, its headings are not.
func realReport(t testing.TB) domain.Content {
	t.Helper()
	b, err := os.ReadFile("testdata/jianguomen-2024-annual-report.txt")
	if err != nil {
		t.Fatal(err)
	}
	return domain.Content{Title: "建国门街道办事处2024年政府信息公开工作年度报告", Body: string(b), Category: "annual_report"}
}

// brief is a finding as the tests compare it: its code, the text it
// marks and its suggestion.
type brief struct{ code, marked, suggestion string }

func briefs(c domain.Content, fs []domain.Finding) []brief {
	body := []rune(c.Body)
	var out []brief
	for _, f := range fs {
		b := brief{code: f.Code, suggestion: f.Suggestion}
		if f.Start >= 0 {
			b.marked = string(body[f.Start:f.End])
		}
		if f.MessageZH == "" || f.MessageEN == "" {
			b.code += " (without its messages)"
		}
		out = append(out, b)
	}
	return out
}

func TestRealReport(t *testing.T) {
	c := realReport(t)
	p := Parse(c.Body)
	if p.Section2 == nil || p.Cases == nil || p.Appeals == nil {
		t.Fatalf("tables not read: 二 %v, 三 %v (missing %q), 四 %v", p.Section2 != nil, p.Cases != nil, p.CasesMissing, p.Appeals != nil)
	}
	if got := p.Cases.New[ar.NumApplicants].Value; got != 17 {
		t.Errorf("new applications: %d, want 17", got)
	}
	if got := p.Cases.Outcomes["unavailable_not_held"][ar.Natural].Value; got != 9 {
		t.Errorf("本机关不掌握, natural persons: %d, want 9", got)
	}
	if got := p.Section2.Penalties.Value; got != 139 {
		t.Errorf("penalties: %d, want 139", got)
	}
	if got := p.Appeals.Review[ar.Pending].Value; got != 1 {
		t.Errorf("reviews pending: %d, want 1", got)
	}
	got := briefs(c, Check(c, nil))
	want := []brief{
		{CodeNumbering, "（1）", "（一）"},
		{CodeNumbering, "（2）", "（二）"},
		{CodeNumbering, "（5）", "（五）"},
		{CodeNumbering, "5、", "五、"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %v\nwant %v", got, want)
	}
}

// edit replaces the n-th (from 1) occurrence of the line old in body.
func edit(t *testing.T, body, old, repl string, n int) string {
	t.Helper()
	parts := strings.Split(body, "\n")
	for i, l := range parts {
		if l == old {
			n--
			if n == 0 {
				parts[i] = repl
				return strings.Join(parts, "\n")
			}
		}
	}
	t.Fatalf("no line %q", old)
	return ""
}

func TestEditedReport(t *testing.T) {
	c := realReport(t)
	// The concluded total of the total column, 17, becomes 18.
	c.Body = strings.Replace(c.Body, "\t（七）总计\n\t16\n\t1\n\t0\n\t0\n\t0\n\t0\n\t17", "\t（七）总计\n\t16\n\t1\n\t0\n\t0\n\t0\n\t0\n\t18", 1)
	// The prose says 18 applications arrived, the table 17.
	c.Body = strings.Replace(c.Body, "新收政府信息公开申请 17 件", "新收政府信息公开申请 18 件", 1)
	// A third style of numbering, and a part out of order.
	c.Body = edit(t, c.Body, "（四）政府信息管理", "4、政府信息管理", 1)
	c.Body = edit(t, c.Body, "六、其他需要报告的事项", "七、其他需要报告的事项", 1)
	// One review counted as upheld too, its total unchanged.
	c.Body = strings.Replace(c.Body, "\n\t0\n\t0\n\t0\n\t1\n\t1\n", "\n\t1\n\t0\n\t0\n\t1\n\t1\n", 1)
	got := briefs(c, Check(c, nil))
	want := []brief{
		{CodeNumbering, "（1）", "（一）"},
		{CodeNumbering, "（2）", "（二）"},
		{CodeNumbering, "4、", "（四）"},
		{CodeNumbering, "（5）", "（五）"},
		{CodeNumbering, "5、", "五、"},
		{CodeNumbering, "七、", "六、"},
		{CodeTotal, "18", "17"}, // the row's total against its cells
		{CodeTotal, "18", "17"}, // the column's total against its outcomes
		{CodeBalance, "0", "-"},
		{CodeTotal, "1", "2"},
		{CodeProse, "18", "17"},
	}
	// The balance's suggestion would be negative (17 - 18): none.
	for i := range want {
		if want[i].suggestion == "-" {
			want[i].suggestion = ""
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %v\nwant %v", got, want)
	}
	for _, f := range Check(c, nil) {
		if f.Code == CodeTotal || f.Code == CodeBalance {
			if f.Severity != domain.SeverityBlock {
				t.Errorf("%s is %s, want block", f.Code, f.Severity)
			}
		}
	}
}

func TestAgainstRecords(t *testing.T) {
	c := realReport(t)
	facts := ar.Facts{Year: 2024, Channels: map[string]int{"wechat": 570, "douyin": 30},
		Section2: ar.Section2{Penalties: 140}, Cases: ar.CaseCounts{Outcomes: map[ar.Outcome]ar.Row{}}}
	got := briefs(c, Check(c, &facts))[4:] // after the numbering
	want := []brief{
		{CodeRecords, "139", "140"},
		{CodeRecords, "574", "570"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %v\nwant %v", got, want)
	}
	// Cases recorded: the tables against them.
	facts.Cases.Recorded = true
	facts.Cases.New = ar.Row{16, 1}
	facts.Cases.Outcomes = map[ar.Outcome]ar.Row{"disclosed": {0, 1}, "withheld_third_party": {1}, "withheld_internal": {1},
		"unavailable_not_held": {9}, "other": {4}, "rejected_repeat": {1}}
	facts.Cases.Appeals.Review[ar.Pending] = 1
	got = briefs(c, Check(c, &facts))[4:]
	want = []brief{
		{CodeRecords, "139", "140"},
		{CodeRecords, "0", "1"}, // 重复申请, natural persons
		{CodeRecords, "5", "4"}, // 其他, natural persons
		{CodeRecords, "574", "570"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %v\nwant %v", got, want)
	}
}

func TestNotAReport(t *testing.T) {
	c := domain.Content{Title: "2025年工作总结", Body: "今年完成了各项工作。\n一是加强学习。"}
	got := briefs(c, Check(c, nil))
	if want := []brief{{CodeLayout, "", ""}}; !slices.Equal(got, want) {
		t.Errorf("findings: got %v, want %v", got, want)
	}
}

func TestYear(t *testing.T) {
	if y := Year(realReport(t)); y != 2024 {
		t.Errorf("year %d, want 2024", y)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(realReport(f).Body)
	f.Add("三、收到和处理政府信息公开申请情况\n\t本年新收\n\t1\n")
	f.Fuzz(func(t *testing.T, body string) {
		c := domain.Content{Body: body}
		n := len([]rune(body))
		for _, fd := range Check(c, &ar.Facts{Cases: ar.CaseCounts{Recorded: true}}) {
			if fd.Start > fd.End || fd.End > n || fd.Start < -1 {
				t.Fatalf("finding %s at %d..%d of %d runes", fd.Code, fd.Start, fd.End, n)
			}
		}
	})
}
