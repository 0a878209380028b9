package system_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestSubmitToPublishedPage(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	id := h.submit("关于开展冬季消防安全检查的通知")
	d := h.waitFor(id, domain.StateCompliance)
	if d.Revision != 1 {
		t.Fatalf("revision %d", d.Revision)
	}
	// The queue of the department head lists it, with its deadline.
	q := h.mustStatus(h.do("GET", "/api/v1/queue", "head", nil), http.StatusOK)
	items := q.body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["deadline"] != "2026-12-18" {
		t.Fatalf("queue: %s", q.raw)
	}
	// Another department's head sees nothing.
	if q2 := h.mustStatus(h.do("GET", "/api/v1/queue", "head2", nil), http.StatusOK); len(q2.body["items"].([]any)) != 0 {
		t.Fatalf("another department's queue shows the draft: %s", q2.raw)
	}
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", map[string]any{"content_sha256": d.ContentSHA256}), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
	d = h.waitFor(id, domain.StatePublished)

	pubs := map[string]string{}
	for _, p := range d.Publications {
		pubs[p.Channel] = p.Status
	}
	if pubs["website"] != "delivered" || pubs["wechat"] != "not_configured" || len(pubs) != 2 {
		t.Fatalf("publications: %+v", d.Publications)
	}
	page := h.do("GET", "/public/", "", nil)
	if page.status != 200 || !strings.Contains(page.raw, "关于开展冬季消防安全检查的通知") {
		t.Fatalf("public list: %d %s", page.status, page.raw)
	}
	item := h.do("GET", fmt.Sprintf("/public/items/%d", id), "", nil)
	if item.status != 200 || !strings.Contains(item.raw, "专项检查") {
		t.Fatalf("public item: %d", item.status)
	}
	feed := h.do("GET", "/public/feed.json", "", nil)
	if !strings.Contains(feed.raw, fmt.Sprintf(`"id":"%d"`, id)) {
		t.Fatalf("feed: %s", feed.raw)
	}
	// The draft's trail: submit, checks, both approvals, channels, published.
	a := h.mustStatus(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d/audit", id), "auditor", nil), http.StatusOK)
	var actions []string
	for _, e := range a.body["events"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	want := "submit checks_pass checks_done approve checks_done approve channel_"
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "published") {
		t.Fatalf("audit actions %q", got)
	}
	if a.body["verify"].(map[string]any)["ok"] != true {
		t.Fatalf("draft chain does not verify: %s", a.raw)
	}
	h.verifyAudit()
	// The metrics saw every transition, including its time in the stage.
	m := h.metrics()
	for _, want := range []string{
		`sanshen_transitions_total{outcome="published",stage="publishing"} 1`,
		`sanshen_transitions_total{outcome="confidentiality",stage="compliance"} 1`,
		`sanshen_transitions_total{outcome="completeness",stage="new"} 1`,
		`sanshen_time_in_stage_seconds_count{stage="confidentiality"} 1`,
		`sanshen_queue_depth{stage="compliance"} 0`,
		`sanshen_publications_total{channel="website",status="delivered"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Withdraw takes it off the public pages, audited.
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "head", map[string]any{"reason": "信息有误"}), http.StatusOK)
	if page := h.do("GET", "/public/", "", nil); strings.Contains(page.raw, "冬季消防") {
		t.Fatal("withdrawn item still listed")
	}
	if r := h.do("GET", fmt.Sprintf("/public/items/%d", id), "", nil); r.status != http.StatusGone || !strings.Contains(r.raw, "该信息已撤下") {
		t.Fatalf("withdrawn item page: %d %s", r.status, r.raw)
	}
	h.verifyAudit()
}

func TestReturnAndRevise(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	id := h.submit("辖区道路维修工程进展情况")
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	r := h.decide(id, "sec", "confidentiality", 1, "return", nil)
	if r.status != http.StatusUnprocessableEntity || r.errCode() != "comment_required" {
		t.Fatalf("return without comment: %d %s", r.status, r.raw)
	}
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "return", map[string]any{"comment": "请删除施工单位负责人手机号"}), http.StatusOK)
	h.waitFor(id, domain.StateReturned)

	// Only the author revises.
	b := draftBody("辖区道路维修工程进展情况（修订）")
	if r := h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "head", b); r.status != http.StatusForbidden || r.errCode() != "author_only" {
		t.Fatalf("non-author revise: %d %s", r.status, r.raw)
	}
	moved := draftBody("辖区道路维修工程进展情况（修订）")
	moved["department"] = "执法队"
	if r := h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", moved); r.status != http.StatusUnprocessableEntity || r.errCode() != "department_change" {
		t.Fatalf("revision into another department: %d %s", r.status, r.raw)
	}
	r = h.mustStatus(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", b), http.StatusOK)
	if r.body["revision"].(float64) != 2 {
		t.Fatalf("revision after revise: %s", r.raw)
	}
	h.waitFor(id, domain.StateCompliance)
	// A decision on the old revision is stale and changes nothing.
	if r := h.decide(id, "head", "compliance", 1, "approve", nil); r.status != http.StatusConflict || r.errCode() != "stale_decision" {
		t.Fatalf("stale decision: %d %s", r.status, r.raw)
	}
	if d := h.waitFor(id, domain.StateCompliance); d.Revision != 2 {
		t.Fatalf("stale decision moved the draft: %+v", d.Draft)
	}
	// Approvals of revision 1 do not carry over: both stages decide again.
	h.mustStatus(h.decide(id, "head", "compliance", 2, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 2, "approve", nil), http.StatusOK)
	d := h.waitFor(id, domain.StatePublished)
	if len(d.Decisions) != 4 {
		t.Fatalf("decisions: %+v", d.Decisions)
	}
	if n := h.count(`SELECT count(*) FROM publications WHERE draft_id = $1 AND channel = 'website' AND status = 'delivered'`, id); n != 1 {
		t.Fatalf("website publications: %d", n)
	}
	h.verifyAudit()
}

func TestBlockingFindingReturnsAutomatically(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	b := draftBody("下月工作安排")
	b["formed_on"] = "2099-01-01" // in the future: a blocking stage-1 finding
	r := h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated)
	id := int64(r.body["id"].(float64))
	d := h.waitFor(id, domain.StateReturned)
	found := false
	for _, f := range d.Findings {
		if f.Code == "formed_on_future" && f.Severity == domain.SeverityBlock && f.Stage == domain.StageCompleteness {
			found = true
		}
	}
	if !found {
		t.Fatalf("findings: %+v", d.Findings)
	}
	g := h.mustStatus(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", nil), http.StatusOK)
	if !strings.Contains(g.raw, "formed_on_future") {
		t.Fatalf("the author does not see the finding: %s", g.raw)
	}
}

func TestSeparationOfDutiesAndScope(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	id := h.submit("社区养老服务站开放公告")
	h.waitFor(id, domain.StateCompliance)

	// Another department's head: the draft is not there for them (404,
	// exactly as a draft that does not exist), to decide or to read.
	if r := h.decide(id, "head2", "compliance", 1, "approve", nil); r.status != http.StatusNotFound || r.errCode() != "not_found" {
		t.Fatalf("cross-department decision: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "head2", nil); r.status != http.StatusNotFound || r.errCode() != "not_found" {
		t.Fatalf("cross-department read: %d %s", r.status, r.raw)
	}
	// An officer is no reviewer.
	if r := h.decide(id, "officer", "compliance", 1, "approve", nil); r.status != http.StatusForbidden || r.errCode() != "role_required" {
		t.Fatalf("officer decision: %d %s", r.status, r.raw)
	}
	// Wrong stage: 409.
	if r := h.decide(id, "sec", "confidentiality", 1, "approve", nil); r.status != http.StatusConflict || r.errCode() != "stale_decision" {
		t.Fatalf("wrong stage: %d %s", r.status, r.raw)
	}
	// One person with both roles decides stage 2, then may not decide stage 3.
	h.mustStatus(h.decide(id, "both", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	if r := h.decide(id, "both", "confidentiality", 1, "approve", nil); r.status != http.StatusForbidden || r.errCode() != "separation_two_stages" {
		t.Fatalf("two stages: %d %s", r.status, r.raw)
	}
	// Nor does the queue offer it to them.
	if q := h.mustStatus(h.do("GET", "/api/v1/queue?stage=confidentiality", "both", nil), http.StatusOK); len(q.body["items"].([]any)) != 0 {
		t.Fatalf("queue offers a second stage: %s", q.raw)
	}
	// The author never decides their own draft, whatever roles they hold.
	r := h.mustStatus(h.do("POST", "/api/v1/drafts", "authorhead", draftBody("自己起草的稿件")), http.StatusCreated)
	own := int64(r.body["id"].(float64))
	h.waitFor(own, domain.StateCompliance)
	if r := h.decide(own, "authorhead", "compliance", 1, "approve", nil); r.status != http.StatusForbidden || r.errCode() != "separation_author" {
		t.Fatalf("author decision: %d %s", r.status, r.raw)
	}
	// Reject needs a reason code from the law.
	if r := h.decide(id, "sec", "confidentiality", 1, "reject", map[string]any{"reason": "不喜欢"}); r.status != http.StatusUnprocessableEntity || r.errCode() != "reason_required" {
		t.Fatalf("reject without law reason: %d %s", r.status, r.raw)
	}
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "reject", map[string]any{"reason": "third_party_rights"}), http.StatusOK)
	h.waitFor(id, domain.StateRejected)

	// Every refused attempt is in the draft's trail with its rule; the
	// refused read is in the agency's (it took no lock on the draft).
	denied := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action LIKE 'denied:%'`, id)
	if denied < 5 {
		t.Fatalf("audited refusals: %d, want at least 5", denied)
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE chain = 'agency/1' AND action = 'denied:view' AND comment LIKE 'draft ' || $1::bigint || ':%'`, id); n != 1 {
		t.Fatalf("the refused read audited %d times in the agency's chain", n)
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND reason = 'separation_two_stages'`, id); n != 1 {
		t.Fatalf("two-stage refusal audited %d times", n)
	}
	h.verifyAudit()
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	with := func(k string, v any) map[string]any {
		b := draftBody("测试标题")
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"missing title", with("title", nil), 400, "missing_field"},
		{"unknown field", `{"title":"a","extra":1}`, 400, "unknown_field"},
		{"wrong type", with("channels", "website"), 400, "wrong_type"},
		{"not JSON", `{"title":`, 400, "invalid_json"},
		{"invalid UTF-8", []byte("{\"title\":\"\xff\xfe\"}"), 400, "invalid_utf8"},
		{"empty body", "", 400, "empty_body"},
		{"unknown department", with("department", "不存在的科室"), 422, "unknown_department"},
		{"unknown category", with("category", "gossip"), 400, "unknown_category"},
		{"unknown channel", with("channels", []string{"weibo"}), 400, "unknown_channel"},
		{"bad date", with("formed_on", "2025-02-30"), 400, "invalid_date"},
		{"too large", with("body", strings.Repeat("长", 40000)), 413, "body_too_large"},
		{"NUL in text", with("body", "正文\u0000"), 400, "invalid_text"},
		{"other department", with("department", "执法队"), 403, "department_scope"},
	}
	for _, tc := range cases {
		r := h.do("POST", "/api/v1/drafts", "officer", tc.body)
		if r.status != tc.status || r.errCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.raw, tc.status, tc.code)
		}
		if msg, _ := r.body["error"].(map[string]any); msg == nil || msg["message"] == "" {
			t.Errorf("%s: no error message: %s", tc.name, r.raw)
		}
	}
	if n := h.count(`SELECT count(*) FROM drafts`); n != 0 {
		t.Fatalf("bad input wrote %d drafts", n)
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE chain = 'agency/1' AND action = 'denied:submit' AND reason = 'department_scope'`); n != 1 {
		t.Fatalf("refused submission audited %d times", n)
	}
	if r := h.do("GET", "/api/v1/drafts/12abc", "officer", nil); r.status != 400 || r.errCode() != "invalid_id" {
		t.Fatalf("malformed id: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/drafts/999999", "officer", nil); r.status != 404 {
		t.Fatalf("missing draft: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/queue", "", nil); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	// HTML is stored as text and escaped on the public pages.
	b := draftBody(`<script>alert(1)</script>通知`)
	b["body"] = `<img src=x onerror=alert(1)>正文内容`
	r := h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated)
	id := int64(r.body["id"].(float64))
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), 200)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), 200)
	h.waitFor(id, domain.StatePublished)
	page := h.do("GET", fmt.Sprintf("/public/items/%d", id), "", nil)
	if strings.Contains(page.raw, "<script>") || strings.Contains(page.raw, "<img") || !strings.Contains(page.raw, "&lt;script&gt;") {
		t.Fatalf("public page does not escape: %s", page.raw)
	}
}
