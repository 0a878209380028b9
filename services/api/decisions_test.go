package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestDecisionsToPublished: compliance, confidentiality, published, with
// the decision bound to the content read.
func TestDecisionsToPublished(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.submit("三审到底")
	h.advance(id)
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", nil), http.StatusConflict, "checks_pending")
	h.advance(id)

	read := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "head", nil), http.StatusOK, "")
	r := h.want(h.decide(id, "head", domain.StageCompliance, "approve", map[string]any{"content_sha256": read.body["content_sha256"]}), http.StatusOK, "")
	if r.body["state"] != "confidentiality" || r.body["checks_done"] != false {
		t.Errorf("after compliance: %s", r.raw)
	}
	h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", nil), http.StatusConflict, "checks_pending")
	h.advance(id)
	r = h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", map[string]any{"comment": "同意发布"}), http.StatusOK, "")
	if r.body["state"] != "publishing" {
		t.Errorf("after confidentiality: %s", r.raw)
	}
	h.advance(id)

	d := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "auditor", nil), http.StatusOK, "")
	if d.body["state"] != "published" || len(d.body["decisions"].([]any)) != 2 {
		t.Errorf("published with two decisions: %s", d.raw)
	}
	status := map[string]string{}
	for _, p := range d.body["publications"].([]any) {
		p := p.(map[string]any)
		status[p["channel"].(string)] = p["status"].(string)
	}
	if status["website"] != "delivered" || status["portal"] != "not_configured" {
		t.Errorf("publications %v", status)
	}
}

func TestReturnAndReject(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ret := h.submit("退回")
	h.advance(ret)
	h.advance(ret)
	h.want(h.decide(ret, "head", domain.StageCompliance, "return", nil), http.StatusUnprocessableEntity, "comment_required")
	h.want(h.decide(ret, "head", domain.StageCompliance, "return", map[string]any{"comment": "  "}), http.StatusUnprocessableEntity, "comment_required")
	r := h.want(h.decide(ret, "head", domain.StageCompliance, "return", map[string]any{"comment": "请核实数据。"}), http.StatusOK, "")
	if r.body["state"] != "returned" {
		t.Errorf("returned: %s", r.raw)
	}

	rej := h.reviewed("不予公开")
	h.want(h.decide(rej, "sec", domain.StageConfidentiality, "reject", nil), http.StatusUnprocessableEntity, "reason_required")
	bad := map[string]any{"stage": "confidentiality", "revision": 1, "decision": "reject", "reason": "dislike"}
	h.want(h.doInvalid("POST", fmt.Sprintf("/api/v1/drafts/%d/decisions", rej), "sec", bad), http.StatusUnprocessableEntity, "reason_required")
	r = h.want(h.decide(rej, "sec", domain.StageConfidentiality, "reject", map[string]any{"reason": "state_secret"}), http.StatusOK, "")
	if r.body["state"] != "rejected" {
		t.Errorf("rejected: %s", r.raw)
	}
	d := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", rej), "sec", nil), http.StatusOK, "")
	last := d.body["decisions"].([]any)[1].(map[string]any)
	if last["decision"] != "reject" || last["reason"] != "state_secret" {
		t.Errorf("the reject and its reason: %v", last)
	}
}

// TestDecisionRefused: each rule's refusal, its status and code, and the
// draft unchanged after every one.
func TestDecisionRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.submit("拒绝的决定")
	h.advance(id)
	h.advance(id)
	own := func() int64 {
		r := h.want(h.do("POST", "/api/v1/drafts", "authorhead", draftBody("自己写的")), http.StatusCreated, "")
		own := int64(r.body["id"].(float64))
		h.advance(own)
		h.advance(own)
		return own
	}()
	blocked := h.submit("有阻断问题")
	h.advance(blocked)
	h.advance(blocked, domain.Finding{Code: "classification_mark", Severity: domain.SeverityBlock, Stage: domain.StageCompliance,
		Field: "body", Start: 0, End: 2, MessageZH: "密级标志", MessageEN: "classification mark", Suggestion: "删除"})

	path := fmt.Sprintf("/api/v1/drafts/%d/decisions", id)
	approve := func(stage string, rev any) map[string]any {
		return map[string]any{"stage": stage, "revision": rev, "decision": "approve"}
	}
	with := func(b map[string]any, k string, v any) map[string]any {
		b[k] = v
		return b
	}
	cases := []struct {
		name     string
		who      string
		path     string
		body     any
		docKnows bool
		status   int
		code     string
	}{
		{"no token", "", path, approve("compliance", 1), true, 401, "unauthorized"},
		{"unknown token", "bogus", path, approve("compliance", 1), false, 401, "invalid_token"},
		{"another department's head", "head2", path, approve("compliance", 1), false, 404, "not_found"}, // not theirs to see
		{"not the stage's role", "sec", path, approve("compliance", 1), false, 403, "role_required"},
		{"officer", "officer", path, approve("compliance", 1), false, 403, "role_required"},
		{"own draft", "authorhead", fmt.Sprintf("/api/v1/drafts/%d/decisions", own), approve("compliance", 1), false, 403, "separation_author"},
		{"stage 1 has no person here", "officer", path, approve("completeness", 1), false, 403, "no_person_at_stage"},
		{"older revision", "head", path, approve("compliance", 2), false, 409, "stale_decision"},
		{"another stage", "sec", path, approve("confidentiality", 1), false, 409, "stale_decision"},
		{"content changed since read", "head", path, with(approve("compliance", 1), "content_sha256", strings.Repeat("ab", 32)), false, 409, "stale_decision"},
		{"override needs a comment", "head", fmt.Sprintf("/api/v1/drafts/%d/decisions", blocked), approve("compliance", 1), false, 422, "override_comment_required"},
		{"unknown verdict", "head", path, map[string]any{"stage": "compliance", "revision": 1, "decision": "maybe"}, true, 422, "invalid_decision"},
		{"not a stage", "head", path, approve("publishing", 1), true, 422, "invalid_decision"},
		{"missing revision", "head", path, map[string]any{"stage": "compliance", "decision": "approve"}, true, 400, "missing_field"},
		{"revision as text", "head", path, approve("compliance", "1"), true, 400, "wrong_type"},
		{"unknown field", "head", path, with(approve("compliance", 1), "signature", "李"), true, 400, "unknown_field"},
		{"bad hash", "head", path, with(approve("compliance", 1), "content_sha256", "xyz"), true, 400, "invalid_hash"},
		{"comment too long", "head", path, with(approve("compliance", 1), "comment", strings.Repeat("评", 5001)), true, 400, "field_too_long"},
		{"invalid JSON", "head", path, `{"stage":"compliance",`, true, 400, "invalid_json"},
		{"empty body", "head", path, "", true, 400, "empty_body"},
		{"no such draft", "head", "/api/v1/drafts/999999/decisions", approve("compliance", 1), false, 404, "not_found"},
		{"not a draft id", "head", "/api/v1/drafts/x/decisions", approve("compliance", 1), true, 400, "invalid_id"},
	}
	for _, c := range cases {
		send := h.do
		if c.docKnows {
			send = h.doInvalid
		}
		r := send("POST", c.path, c.who, c.body)
		if r.status != c.status || r.errCode() != c.code {
			t.Errorf("%s: got %d %q, want %d %q: %s", c.name, r.status, r.errCode(), c.status, c.code, r.raw)
		}
	}
	for _, d := range []int64{id, own, blocked} {
		if got := h.draft(d); got.State != domain.StateCompliance || got.Revision != 1 {
			t.Errorf("draft %d moved to %s revision %d after refusals", d, got.State, got.Revision)
		}
	}

	// One person never decides two stages of a draft.
	two := h.submit("两级")
	h.advance(two)
	h.advance(two)
	h.want(h.decide(two, "both", domain.StageCompliance, "approve", nil), http.StatusOK, "")
	h.advance(two)
	h.want(h.decide(two, "both", domain.StageConfidentiality, "approve", nil), http.StatusForbidden, "separation_two_stages")
	// Approving past the blocking finding with a comment is an override.
	h.want(h.decide(blocked, "head", domain.StageCompliance, "approve", map[string]any{"comment": "已核实，非密级标志"}), http.StatusOK, "")
}
