package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// A stage-1 block that is wrong is never a dead end: the author sends the
// revision on, unchanged, with an explanation; the checks do not run
// again; the department head sees the finding and the explanation and must
// override it with a visible comment; the override is on the decision.
func TestStageOneFalseBlockExplainedAndOverridden(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.submit("京东建国罚字〔2024〕第0012号行政处罚决定书")
	block := domain.Finding{Code: "docno_ordinal", Severity: domain.SeverityBlock, Stage: domain.StageCompleteness, Field: "title",
		Start: 0, End: 14, MessageZH: "文号不应含“第”字", MessageEN: "a document number has no 第"}
	if d := h.advance(id, block); d.State != domain.StateReturned {
		t.Fatalf("a blocking finding at stage 1: %s", d.State)
	}
	path := "/api/v1/drafts/" + itoa(id) + "/explain"
	why := "本件为行政处罚决定书，属执法文书，“第0012号”是其规范写法，不适用GB/T 9704公文文号格式。"
	h.want(h.do("POST", path, "officer2", map[string]any{"revision": 1, "explanation": why}), http.StatusNotFound, "not_found")
	h.want(h.do("POST", path, "officer", map[string]any{"revision": 1, "explanation": "\u3000\u200b"}), http.StatusUnprocessableEntity, "explanation_required")
	h.want(h.do("POST", path, "officer", map[string]any{"revision": 2, "explanation": why}), http.StatusConflict, "stale_decision")
	h.want(h.doInvalid("POST", path, "officer", map[string]any{"explanation": why}), http.StatusBadRequest, "missing_field")
	r := h.want(h.do("POST", path, "officer", map[string]any{"revision": 1, "explanation": why}), http.StatusOK, "")
	if r.body["state"] != "compliance" || r.body["revision"] != 1.0 || r.body["explanation"] != why {
		t.Fatalf("explained: %s", r.raw)
	}
	// Stage 2's checks run; the head then sees the explanation and must override.
	h.advance(id)
	g := h.want(h.do("GET", "/api/v1/drafts/"+itoa(id), "head", nil), http.StatusOK, "")
	if g.body["explanation"] != why {
		t.Errorf("the head does not see the explanation: %s", g.raw)
	}
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", nil), http.StatusUnprocessableEntity, "override_comment_required")
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", map[string]any{"comment": "\u3000"}), http.StatusUnprocessableEntity, "override_comment_required")
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", map[string]any{"comment": "核实为执法文书文号，同意放行。"}), http.StatusOK, "")
	// Once overridden, stage 3 decides as usual.
	h.advance(id)
	h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", nil), http.StatusOK, "")
	if d := h.advance(id); d.State != domain.StatePublished {
		t.Fatalf("published? %s", d.State)
	}
	g = h.want(h.do("GET", "/api/v1/drafts/"+itoa(id), "head", nil), http.StatusOK, "")
	decs := g.body["decisions"].([]any)
	if first := decs[0].(map[string]any); first["override"] != true || first["stage"] != "compliance" {
		t.Errorf("the override is not on the decision: %v", first)
	}
	if second := decs[1].(map[string]any); second["override"] != false {
		t.Errorf("stage 3's approval is not an override: %v", second)
	}
	a := h.want(h.do("GET", "/api/v1/drafts/"+itoa(id)+"/audit", "auditor", nil), http.StatusOK, "")
	var trail []string
	for _, e := range a.body["events"].([]any) {
		ev := e.(map[string]any)
		trail = append(trail, fmt.Sprint(ev["action"], "/", ev["stage"], "/", ev["reason"]))
	}
	// officer2's refused look went to the agency's chain, not the draft's:
	// a refused read takes no lock on the draft (store.Check).
	want := "submit/completeness/<nil> checks_block/completeness/<nil> denied:explain/returned/explanation_required denied:explain/returned/stale_decision"
	if got := strings.Join(trail, " "); !strings.HasPrefix(got, want) || !strings.Contains(got, "explain/completeness/<nil> checks_pass/completeness/<nil>") ||
		!strings.Contains(got, "approve/compliance/override") {
		t.Errorf("trail: %s", got)
	}
	var checks int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action LIKE 'checks_%' AND stage = 'completeness'`, id).Scan(&checks); err != nil || checks != 2 {
		t.Errorf("stage 1 ran its checks again: %d events (%v)", checks, err)
	}
}

// A person's return is answered with a revision, never an explanation.
func TestExplainOnlyAMachineReturn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.reviewed("待终审稿件")
	h.want(h.decide(id, "sec", domain.StageConfidentiality, "return", map[string]any{"comment": "请补充来源"}), http.StatusOK, "")
	h.want(h.do("POST", "/api/v1/drafts/"+itoa(id)+"/explain", "officer", map[string]any{"revision": 1, "explanation": "不需要修改"}), http.StatusConflict, "not_explainable")
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", map[string]any{"reason": "state_secret"}), http.StatusUnprocessableEntity, "reason_only_with_reject")
}
