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

// TestSaveUnsubmitted: a draft kept unsubmitted (暂存, "unsubmitted": true)
// is numbered and in its trail as a save, seen by its author alone,
// neither checked nor counted as submitted; saved again it stays so; its
// first submission (a PUT without the flag) is a submit at stage 1.
func TestSaveUnsubmitted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	body := draftBody("暂存的稿件")
	body["unsubmitted"] = true
	r := h.want(h.do("POST", "/api/v1/drafts", "officer", body), http.StatusCreated, "")
	if r.body["state"] != "unsubmitted" || r.body["saved"] != true || r.body["revision"] != float64(1) {
		t.Fatalf("saved: %s", r.raw)
	}
	id := int64(r.body["id"].(float64))
	path := fmt.Sprintf("/api/v1/drafts/%d", id)
	if d := h.draft(id); !d.StepDone || !d.Saved {
		t.Errorf("a saved draft owes a machine step (%v) or is not saved (%v)", !d.StepDone, d.Saved)
	}
	h.want(h.do("GET", path, "head", nil), http.StatusNotFound, "not_found")
	h.want(h.do("GET", path, "officer", nil), http.StatusOK, "")
	var submitted int
	if err := h.store.Pool.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE id = $1 AND submitted_at IS NOT NULL`, id).Scan(&submitted); err != nil || submitted != 0 {
		t.Errorf("a saved draft has a submission time (%d, %v)", submitted, err)
	}
	// Saved into another department: refused; nor is a saved draft recalled.
	other := draftBody("暂存的稿件")
	other["department"] = "执法队"
	other["unsubmitted"] = true
	h.want(h.do("PUT", path, "officer", other), http.StatusUnprocessableEntity, "department_change")
	h.want(h.do("POST", path+"/recall", "officer", nil), http.StatusConflict, "no_such_transition")

	body["title"] = "暂存的稿件（续）"
	r = h.want(h.do("PUT", path, "officer", body), http.StatusOK, "")
	if r.body["state"] != "unsubmitted" || r.body["revision"] != float64(2) {
		t.Fatalf("saved again: %s", r.raw)
	}
	delete(body, "unsubmitted")
	r = h.want(h.do("PUT", path, "officer", body), http.StatusOK, "")
	if r.body["state"] != "completeness" || r.body["revision"] != float64(3) || r.body["saved"] != nil {
		t.Fatalf("submitted: %s", r.raw)
	}
	h.advance(id)
	h.want(h.do("GET", path, "head", nil), http.StatusOK, "")
	// Saved again once submitted: refused; the assessment counts it once.
	body["unsubmitted"] = true
	h.want(h.do("PUT", path, "officer", body), http.StatusConflict, "no_such_transition")
	if err := h.store.Pool.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE id = $1 AND submitted_at IS NOT NULL`, id).Scan(&submitted); err != nil || submitted != 1 {
		t.Errorf("the first submission has no time (%d, %v)", submitted, err)
	}

	a := h.want(h.do("GET", path+"/audit", "auditor", nil), http.StatusOK, "")
	var actions []string
	for _, e := range a.body["events"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	want := []string{"save", "denied:save", "denied:recall", "save", "submit", "checks_pass", "denied:save"}
	if fmt.Sprint(actions[:len(want)-1]) != fmt.Sprint(want[:len(want)-1]) || actions[len(actions)-1] != "denied:save" {
		t.Errorf("trail %v; want %v", actions, want)
	}
	if res, err := h.store.VerifyAll(ctx); err != nil || !res.OK {
		t.Errorf("the trail does not verify: %+v %v", res, err)
	}
}
