package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestSubmitAndRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := draftBody("关于<b>冬季</b>消防检查的通知")
	r := h.want(h.do("POST", "/api/v1/drafts", "officer", body), http.StatusCreated, "")
	id := int64(r.body["id"].(float64))
	if r.body["state"] != "completeness" || r.body["revision"] != 1.0 || r.body["checks_done"] != false {
		t.Errorf("a submitted draft: %s", r.raw)
	}
	if r.body["title"] != body["title"] || r.body["deadline"] == "" || r.body["author"] != "王信息员" {
		t.Errorf("HTML is kept as text, the deadline and author are set: %s", r.raw)
	}

	mine := h.want(h.do("GET", "/api/v1/drafts", "officer", nil), http.StatusOK, "")
	if ds := mine.body["drafts"].([]any); len(ds) != 1 || ds[0].(map[string]any)["id"] != float64(id) {
		t.Errorf("my drafts: %s", mine.raw)
	}
	if ds := h.want(h.do("GET", "/api/v1/drafts", "head", nil), http.StatusOK, "").body["drafts"].([]any); len(ds) != 0 {
		t.Errorf("the head wrote no drafts, got %d", len(ds))
	}

	path := fmt.Sprintf("/api/v1/drafts/%d", id)
	for _, who := range []string{"officer", "head", "both", "sec", "auditor", "admin"} {
		d := h.want(h.do("GET", path, who, nil), http.StatusOK, "")
		for _, k := range []string{"findings", "decisions", "publications"} {
			if l, ok := d.body[k].([]any); !ok || len(l) != 0 {
				t.Errorf("%s sees %s %v, want an empty list", who, k, d.body[k])
			}
		}
	}
	for _, who := range []string{"officer2", "head2"} {
		h.want(h.do("GET", path, who, nil), http.StatusNotFound, "not_found") // exactly as a draft that does not exist
	}
	h.want(h.do("GET", "/api/v1/drafts/999999", "admin", nil), http.StatusNotFound, "not_found")
	h.want(h.doInvalid("GET", "/api/v1/drafts/abc", "admin", nil), http.StatusBadRequest, "invalid_id")
	h.want(h.doInvalid("GET", "/api/v1/drafts/0", "admin", nil), http.StatusBadRequest, "invalid_id")
}

func TestSubmitRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.want(h.do("POST", "/api/v1/drafts", "head", draftBody("科长不是信息员")), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/drafts", "officer2", draftBody("别的科室")), http.StatusForbidden, "department_scope")
	if n := h.draftCount(); n != 0 {
		t.Errorf("%d drafts after refused submits", n)
	}
}

// TestSubmitBadInput: every kind of bad input gets its 4xx and writes
// nothing. Where the document can say the input is wrong, it says so too.
func TestSubmitBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	with := func(k string, v any) map[string]any {
		b := maps.Clone(draftBody("坏输入"))
		b[k] = v
		return b
	}
	without := func(k string) map[string]any {
		b := maps.Clone(draftBody("坏输入"))
		delete(b, k)
		return b
	}
	valid := `{"title":"t","body":"b","department":"综合办","category":"news","channels":["website"],"formed_on":"2026-11-20"}`
	cases := []struct {
		name     string
		body     any
		docKnows bool // the document refuses it as well
		status   int
		code     string
	}{
		{"unknown field", with("priority", "high"), true, 400, "unknown_field"},
		{"wrong type: channels", with("channels", "website"), true, 400, "wrong_type"},
		{"wrong type: title", with("title", 42), true, 400, "wrong_type"},
		{"invalid JSON", `{"title": "未完`, true, 400, "invalid_json"},
		{"not an object", `["title"]`, true, 400, "wrong_type"},
		{"empty body", "", true, 400, "empty_body"},
		{"invalid UTF-8", []byte("{\"title\":\"\xff\xfe\"}"), true, 400, "invalid_utf8"},
		{"missing field", without("formed_on"), true, 400, "missing_field"},
		{"null field", with("title", nil), true, 400, "missing_field"},
		{"empty title", with("title", ""), true, 400, "empty_field"},
		{"blank title", with("title", "   "), false, 400, "empty_field"},
		{"blank body", with("body", " \n "), false, 400, "empty_field"},
		{"title too long", with("title", strings.Repeat("长", 201)), true, 400, "field_too_long"},
		{"body too long", with("body", strings.Repeat("x", 50001)), true, 400, "field_too_long"},
		{"NUL in title", with("title", "标题\x00"), false, 400, "invalid_text"},
		{"unknown category", with("category", "gossip"), true, 400, "unknown_category"},
		{"no channels", with("channels", []string{}), true, 400, "no_channels"},
		{"unknown channel", with("channels", []string{"website", "weibo"}), true, 400, "unknown_channel"},
		{"impossible date", with("formed_on", "2026-02-30"), true, 400, "invalid_date"},
		{"not a date", with("formed_on", "20/11/2026"), true, 400, "invalid_date"},
		{"unknown department", with("department", "无此科室"), false, 422, "unknown_department"},
	}
	for _, c := range cases {
		send := h.do
		if c.docKnows {
			send = h.doInvalid
		}
		r := send("POST", "/api/v1/drafts", "officer", c.body)
		if r.status != c.status || r.errCode() != c.code {
			t.Errorf("%s: got %d %q, want %d %q: %s", c.name, r.status, r.errCode(), c.status, c.code, r.raw)
		}
		if !strings.Contains(r.raw, `"message"`) {
			t.Errorf("%s: no message: %s", c.name, r.raw)
		}
	}
	if n := h.draftCount(); n != 0 {
		t.Errorf("%d drafts written by bad input", n)
	}
	// Two JSON values: the server refuses the second; the document's body
	// decoder reads the first only, so this one is checked by the server alone.
	h.want(h.do("POST", "/api/v1/drafts", "officer", valid+" "+valid), http.StatusBadRequest, "invalid_json")
	if n := h.draftCount(); n != 0 {
		t.Errorf("%d drafts written by bad input", n)
	}
	h.want(h.do("POST", "/api/v1/drafts", "officer", valid), http.StatusCreated, "")
	if n := h.draftCount(); n != 1 {
		t.Errorf("%d drafts after one good submit", n)
	}
}

func TestRevise(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.submit("待修改")
	path := fmt.Sprintf("/api/v1/drafts/%d", id)
	h.want(h.do("PUT", path, "officer", draftBody("还在初审")), http.StatusConflict, "no_such_transition")

	h.advance(id)
	h.advance(id)
	h.want(h.decide(id, "head", domain.StageCompliance, "return", map[string]any{"comment": "请补充检查时间。"}), http.StatusOK, "")

	h.want(h.do("PUT", path, "head", draftBody("不是作者")), http.StatusForbidden, "author_only")
	h.want(h.do("PUT", path, "officer2", draftBody("看不到")), http.StatusNotFound, "not_found")
	h.want(h.do("PUT", "/api/v1/drafts/999999", "officer", draftBody("没有")), http.StatusNotFound, "not_found")
	moved := draftBody("换科室")
	moved["department"] = "执法队"
	h.want(h.do("PUT", path, "officer", moved), http.StatusUnprocessableEntity, "department_change")
	bad := draftBody("多字段")
	bad["extra"] = true
	h.want(h.doInvalid("PUT", path, "officer", bad), http.StatusBadRequest, "unknown_field")
	h.want(h.doInvalid("PUT", path, "officer", `{"title":`), http.StatusBadRequest, "invalid_json")
	if d := h.draft(id); d.Revision != 1 || d.State != domain.StateReturned {
		t.Fatalf("refused revisions changed the draft: %s revision %d", d.State, d.Revision)
	}

	r := h.want(h.do("PUT", path, "officer", draftBody("已补充检查时间")), http.StatusOK, "")
	if r.body["revision"] != 2.0 || r.body["state"] != "completeness" || r.body["title"] != "已补充检查时间" {
		t.Errorf("revised: %s", r.raw)
	}
	d := h.want(h.do("GET", path, "officer", nil), http.StatusOK, "")
	if ds := d.body["decisions"].([]any); len(ds) != 1 || ds[0].(map[string]any)["comment"] != "请补充检查时间。" {
		t.Errorf("the return and its comment stay in the history: %s", d.raw)
	}
}

func TestWithdraw(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.published("将撤回")
	path := fmt.Sprintf("/api/v1/drafts/%d/withdraw", id)
	reason := map[string]any{"reason": "信息有误"}

	d := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", nil), http.StatusOK, "")
	if d.body["published_at"] == nil || len(d.body["publications"].([]any)) != 2 {
		t.Errorf("a published draft: %s", d.raw)
	}

	h.want(h.do("POST", path, "officer", reason), http.StatusForbidden, "role_required")
	h.want(h.do("POST", path, "head2", reason), http.StatusNotFound, "not_found")
	h.want(h.do("POST", path, "head", map[string]any{"reason": "  "}), http.StatusUnprocessableEntity, "withdraw_reason_required")
	h.want(h.doInvalid("POST", path, "admin", map[string]any{}), http.StatusUnprocessableEntity, "withdraw_reason_required")
	h.want(h.doInvalid("POST", path, "admin", map[string]any{"reason": "x", "note": "y"}), http.StatusBadRequest, "unknown_field")
	h.want(h.doInvalid("POST", path, "admin", map[string]any{"reason": 1}), http.StatusBadRequest, "wrong_type")
	h.want(h.do("POST", "/api/v1/drafts/999999/withdraw", "admin", reason), http.StatusNotFound, "not_found")
	other := h.submit("未发布")
	h.want(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", other), "admin", reason), http.StatusConflict, "no_such_transition")

	r := h.want(h.do("POST", path, "head", reason), http.StatusOK, "")
	if r.body["state"] != "withdrawn" {
		t.Errorf("withdrawn: %s", r.raw)
	}
	h.want(h.do("POST", path, "admin", reason), http.StatusConflict, "no_such_transition")
}
