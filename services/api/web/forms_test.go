package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestFormErrorsInChinese: a refused draft form says what is wrong in
// Chinese (never the API's English detail), keeps what was typed, and
// marks the field at fault, which takes the focus.
func TestFormErrorsInChinese(t *testing.T) {
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	for _, tc := range []struct {
		field, value, want, english string
	}{
		{"title", "  ", "请填写标题。", "title must not be empty"},
		{"formed_on", "2026-13-01", "信息形成日期“2026-13-01”不是日期", "formed_on must be"},
		{"department", "不存在的科室", "科室“不存在的科室”不存在", "unknown_department"},
		{"expires_on", "2020-01-01", "有效期至早于信息形成日期", "is before formed_on"},
	} {
		f := wang.draftForm("表单错误")
		f.Set(tc.field, tc.value)
		res, page := wang.req("POST", "/web/drafts", f)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", tc.field, res.StatusCode)
			continue
		}
		if !strings.Contains(page, tc.want) || strings.Contains(page, tc.english) {
			t.Errorf("%s: the message is not the Chinese one %q", tc.field, tc.want)
		}
		if !strings.Contains(page, `id="`+tc.field+`" name="`+tc.field+`" aria-invalid="true" autofocus`) {
			t.Errorf("%s: the field is not marked and focused", tc.field)
		}
		if !strings.Contains(page, `value="为进一步做好辖区环境整治工作`) && !strings.Contains(page, "为进一步做好辖区环境整治工作") {
			t.Errorf("%s: what was typed is lost", tc.field)
		}
	}
	if n := s.count(`SELECT count(*) FROM drafts`); n != 0 {
		t.Errorf("%d drafts from refused forms", n)
	}
}
