package expressions

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func day(s string) time.Time {
	t, err := time.Parse(domain.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestShippedOrgansAreValid(t *testing.T) {
	organs := ShippedOrgans()
	if len(organs) < 10 {
		t.Fatalf("%d shipped organ entries", len(organs))
	}
	for _, o := range organs {
		if err := o.Validate(); err != nil {
			t.Error(err)
		}
		if o.Place != National {
			t.Errorf("%s: a shipped entry is national, not %s", o.Old, o.Place)
		}
	}
}

func codesAt(fs []domain.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code+"@"+f.Field+":"+string(rune('0'+f.Start/10))+string(rune('0'+f.Start%10))+"->"+f.Suggestion)
	}
	return out
}

func TestOrgans(t *testing.T) {
	tabs := Tables{Locality: "北京市东城区", Organs: append(ShippedOrgans(),
		Organ{Old: "工商行政管理局", New: "市场监督管理局", Place: "北京市东城区", From: "2019-01-10", Source: "东城区机构改革方案", AddedBy: "管理员"},
		Organ{Old: "工商行政管理局", New: "市场监督管理局", Place: National, From: "2019-04-01", Source: "地方机构改革"},
		Organ{Old: "安全生产监督管理局", New: "应急管理局", Place: "上海市", From: "2018-11-01", Source: "上海"})}
	cases := []struct {
		name, body, formed string
		want               []string
	}{
		{"a central body renamed", "环境保护部印发通知。", "2024-03-01", []string{"organ_name_outdated@body:00->生态环境部"}},
		{"before the change", "环境保护部印发通知。", "2018-03-16", nil},
		{"the district's date applies, not the national one", "区工商行政管理局开展检查。", "2019-02-01", []string{"organ_name_outdated@body:01->市场监督管理局"}},
		{"before the district's date", "区工商行政管理局开展检查。", "2019-01-09", nil},
		{"another city's entry does not apply", "安全生产监督管理局开展检查。", "2024-01-01", nil},
		{"原 passes", "原国家工商行政管理总局的文件。", "2024-01-01", nil},
		{"原 before a place name passes", "原北京市东城区工商行政管理局的档案。", "2024-01-01", nil},
		{"原 of another word does not", "原则上，区工商行政管理局负责。", "2024-01-01", []string{"organ_name_outdated@body:05->市场监督管理局"}},
		{"时任 passes", "时任农业部部长。", "2024-01-01", nil},
		{"a cited instrument passes", "依据《国家卫生和计划生育委员会关于印发某办法的通知》执行。", "2024-01-01", nil},
		{"after the citation it counts", "《某办法》由国家卫生和计划生育委员会制定。", "2024-01-01", []string{"organ_name_outdated@body:06->国家卫生健康委员会"}},
	}
	for _, tc := range cases {
		got := codesAt(Check(tabs, domain.Content{Body: tc.body, FormedOn: day(tc.formed)}))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLeaders(t *testing.T) {
	tabs := Tables{Leaders: []Leader{{Name: "李克强", Title: "国务院总理", Until: "2023-03-11", Source: "第十四届全国人大第一次会议决定", AddedBy: "管理员"}}}
	fs := Check(tabs, domain.Content{Title: "学习国务院总理李克强讲话", FormedOn: day("2024-01-05")})
	if len(fs) != 1 || fs[0].Code != CodeLeader || fs[0].Severity != domain.SeverityBlock || fs[0].Suggestion != "时任国务院总理李克强" || fs[0].Start != 2 || fs[0].End != 10 {
		t.Fatalf("findings %+v", fs)
	}
	for _, c := range []domain.Content{
		{Title: "时任国务院总理李克强讲话", FormedOn: day("2024-01-05")},
		{Title: "国务院总理李克强讲话", FormedOn: day("2023-03-11")},
	} {
		if fs := Check(tabs, c); len(fs) != 0 {
			t.Errorf("%q formed %s: %+v", c.Title, c.FormedOn.Format(domain.DateLayout), fs)
		}
	}
}

func TestTextFormat(t *testing.T) {
	organs := ShippedOrgans()[:2]
	back, err := ParseOrgans(FormatOrgans(organs))
	if err != nil || !slices.Equal(back, organs) {
		t.Fatalf("organs round trip: %v %v", back, err)
	}
	ls, err := ParseLeaders("李克强|国务院总理|2023-03-11||第十四届全国人大第一次会议决定\n\n")
	if err != nil || len(ls) != 1 || ls[0].Now != "" {
		t.Fatalf("leaders: %+v %v", ls, err)
	}
	for text, want := range map[string]string{
		"李克强｜国务院总理｜2023-03-11":        "第1行：应有5项",
		"\n李克强｜国务院总理｜2023年3月11日｜｜某决定": "第2行：“李克强”的任职截止日期",
		"李克强｜国务院总理｜2023-03-11｜｜":      "第1行：“李克强”缺少依据",
	} {
		if _, err := ParseLeaders(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
