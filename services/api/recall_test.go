package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// TestRecall: the author takes a draft back before anyone decided on it;
// it is unsubmitted and theirs alone until they resubmit it; after the head
// decided, it is too late. Each recall is in the draft's trail.
func TestRecall(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	id := h.submit("收回再改")
	path := fmt.Sprintf("/api/v1/drafts/%d", id)

	// While stage 1's checks are in flight: the checks' answer is dropped.
	r := h.want(h.do("POST", path+"/recall", "officer", nil), http.StatusOK, "")
	if r.body["state"] != "unsubmitted" {
		t.Fatalf("recalled: %s", r.raw)
	}
	errs := h.store.CompleteChecksBatch(context.Background(), []work.Item{{DraftID: id, Revision: 1, State: domain.StateCompleteness}},
		func(work.Item, int64, domain.Content) ([]domain.Finding, error) { return nil, nil })
	if errs[0] == nil {
		t.Error("stage 1's checks completed on a recalled draft")
	}
	if d := h.draft(id); d.State != domain.StateUnsubmitted || !d.StepDone {
		t.Fatalf("after the late checks: %s step_done=%v", d.State, d.StepDone)
	}
	h.want(h.do("GET", path, "head", nil), http.StatusNotFound, "not_found")
	h.want(h.do("GET", path, "officer", nil), http.StatusOK, "")
	h.want(h.do("POST", path+"/recall", "officer", nil), http.StatusConflict, "no_such_transition")

	// Resubmitted: a new revision at stage 1; the head sees it again.
	r = h.want(h.do("PUT", path, "officer", draftBody("收回再改（修改后）")), http.StatusOK, "")
	if r.body["state"] != "completeness" || r.body["revision"] != float64(2) {
		t.Fatalf("resubmitted: %s", r.raw)
	}
	h.advance(id)
	h.advance(id)
	h.want(h.do("POST", path+"/recall", "head", nil), http.StatusForbidden, "author_only")
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", nil), http.StatusOK, "")
	h.want(h.do("POST", path+"/recall", "officer", nil), http.StatusConflict, "recall_after_decision")

	a := h.want(h.do("GET", path+"/audit", "auditor", nil), http.StatusOK, "")
	var actions []string
	for _, e := range a.body["events"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	want := []string{"submit", "recall", "denied:recall", "revise", "checks_pass", "checks_done", "denied:recall", "approve", "denied:recall"}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Errorf("trail %v; want %v", actions, want)
	}
}
