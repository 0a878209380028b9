package confidentiality

import (
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestCheck(t *testing.T) {
	c := domain.Content{
		Title: "秘密★1年 关于印发《2024年度保密工作要点》的通知",
		Body: "各科室：\n　　现将要点印发给你们。联系人：赵六，联系电话：13912345678。\n" +
			"索引号：" + creditOffice + "/2024-00012",
		Department: "办公室",
		Category:   "normative_document",
	}
	got := Check(c)
	want := []struct {
		field, code string
		start, end  int
	}{
		{"title", codeClassified, 0, 5}, // 秘密★1年
		{"body", codeMobile, 29, 40},    // 各科室：\n (5) 　　现将要点印发给你们。 (12) 联系人：赵六， (7) 联系电话： (5)
	}
	if len(got) != len(want) {
		t.Fatalf("Check found %d, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		f := got[i]
		if f.Field != w.field || f.Code != w.code || f.Start != w.start || f.End != w.end || f.Stage != domain.StageConfidentiality {
			t.Errorf("finding %d = %s %s [%d,%d) stage %q, want %s %s [%d,%d)", i,
				f.Field, f.Code, f.Start, f.End, f.Stage, w.field, w.code, w.start, w.end)
		}
	}
	if !domain.Blocking(got) {
		t.Error("a marking and a mobile number must block")
	}
}

func TestCheckOrder(t *testing.T) {
	// Findings of both detectors in one field interleave by offset.
	c := domain.Content{
		Title: "关于张三的处理决定",
		Body:  "电话13812345678\n内部资料 注意保存\n身份证号" + idBeijing,
	}
	got := Check(c)
	codes := []string{codeMobile, codeWorkSecret, codeResidentID}
	if len(got) != len(codes) {
		t.Fatalf("got %+v", got)
	}
	for i, code := range codes {
		if got[i].Code != code || got[i].Field != "body" {
			t.Errorf("finding %d = %s in %s, want %s in body", i, got[i].Code, got[i].Field, code)
		}
	}
	if Check(domain.Content{Title: "2023年政府信息公开工作年度报告", Body: "本机关严格执行保密审查制度。"}) != nil {
		t.Error("a clean annual report has findings")
	}
}
