package api_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

func TestDraftAudit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.submit("审计")
	h.advance(id)
	h.advance(id)
	h.want(h.decide(id, "head2", domain.StageCompliance, "approve", nil), http.StatusNotFound, "not_found") // not theirs to see: as if not there
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", nil), http.StatusOK, "")

	path := fmt.Sprintf("/api/v1/drafts/%d/audit", id)
	r := h.want(h.do("GET", path, "auditor", nil), http.StatusOK, "")
	var actions []string
	for _, e := range r.body["events"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	for _, want := range []string{"submit", "checks_pass", "checks_done", "denied:decide", "approve"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no %q event in %v", want, actions)
		}
	}
	if v := r.body["verify"].(map[string]any); v["ok"] != true || v["events"] != float64(len(actions)) {
		t.Errorf("the chain's verification: %v", v)
	}
	for _, who := range []string{"admin", "head", "sec"} {
		h.want(h.do("GET", path, who, nil), http.StatusOK, "")
	}
	// The author is no reviewer of their own draft's trail.
	h.want(h.do("GET", path, "officer", nil), http.StatusForbidden, "not_visible")
	h.want(h.do("GET", path, "head2", nil), http.StatusNotFound, "not_found") // not theirs to see at all
	h.want(h.do("GET", "/api/v1/drafts/999999/audit", "auditor", nil), http.StatusNotFound, "not_found")

	// The pages show the refusal in the rule's own Chinese words and the
	// code beside it; the English message kept for the record only as
	// stored, under 存储原文 or in a title, never as the page's text; the
	// agency's chain names the draft.
	var reason, message string
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT reason, comment FROM audit_events WHERE chain = $1 AND action = 'denied:decide'`,
		fmt.Sprintf("draft/%d", id)).Scan(&reason, &message); err != nil || message == "" {
		t.Fatalf("the refusal's stored message: %q %v", message, err)
	}
	if reason != "department_scope" {
		t.Fatalf("the refusal's rule is %q", reason)
	}
	p := newPages(t, h)
	for _, page := range []string{fmt.Sprintf("/web/drafts/%d/audit", id), "/web/audit/events"} {
		_, html := p.as(h, "auditor").req("GET", page, nil)
		shown := regexp.MustCompile(`(?s)<details class="raw">.*?</details>|title="[^"]*"`).ReplaceAllString(html, "")
		if !strings.Contains(html, "<code>department_scope</code>") || !strings.Contains(html, "该稿件不属于您负责的科室。") ||
			strings.Contains(shown, template.HTMLEscapeString(message)) {
			t.Errorf("%s does not show the refusal in Chinese (stored: %q)", page, message)
		}
	}
	h.want(h.doInvalid("GET", "/api/v1/drafts/-1/audit", "auditor", nil), http.StatusBadRequest, "invalid_id")
}

func TestVerifyAudit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.submit("验证")
	for _, who := range []string{"auditor", "admin"} {
		r := h.want(h.do("GET", "/api/v1/audit/verify", who, nil), http.StatusOK, "")
		if r.body["ok"] != true || r.body["breaks"] != nil {
			t.Errorf("%s: %s", who, r.raw)
		}
	}
	for _, who := range []string{"officer", "head", "sec"} {
		h.want(h.do("GET", "/api/v1/audit/verify", who, nil), http.StatusForbidden, "role_required")
	}
	if _, err := h.store.Pool.Exec(context.Background(), `UPDATE audit_events SET comment = '改过' WHERE chain = 'agency/1' AND idx = 2`); err != nil {
		t.Fatal(err)
	}
	r := h.want(h.do("GET", "/api/v1/audit/verify", "auditor", nil), http.StatusOK, "")
	if r.body["ok"] != false || len(r.body["breaks"].([]any)) == 0 {
		t.Errorf("a rewritten event goes unnoticed: %s", r.raw)
	}
}
