package system_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// requireInitialReview turns on the agency's initial reviewer at stage 1.
func (h *harness) requireInitialReview() {
	h.t.Helper()
	admin := domain.Actor{ID: h.ids["admin"], Name: "管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := h.sys.Store.SetPolicy(context.Background(), admin, domain.Policy{People: []domain.Stage{domain.StageCompleteness}}); err != nil {
		h.t.Fatal(err)
	}
}

// waitForPerson polls until the draft waits for a person at state.
func (h *harness) waitForPerson(id int64, state domain.State) {
	h.t.Helper()
	testenv.Eventually(h.t, fmt.Sprintf("draft %d to wait for a person at %s", id, state), func() bool {
		d, err := h.sys.Store.Detail(context.Background(), id)
		return err == nil && d.State == state && d.StepDone
	})
}

// TestInitialReviewer: where the agency asks for it, a draft that passes
// stage 1's machine checks waits for an officer of its department who did
// not write it, and goes on only with that officer's decision.
func TestInitialReviewer(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	h.requireInitialReview()
	id := h.submit("关于开展冬季消防安全检查的通知")
	h.waitForPerson(id, domain.StateCompleteness)

	// The colleague's queue (their default one) lists it; the author's,
	// another department's officer's and the head's do not.
	q := h.mustStatus(h.do("GET", "/api/v1/queue", "colleague", nil), http.StatusOK)
	if q.body["stage"] != "completeness" || len(q.body["items"].([]any)) != 1 {
		t.Fatalf("the colleague's queue: %s", q.raw)
	}
	for _, who := range []string{"officer", "officer2"} {
		q := h.mustStatus(h.do("GET", "/api/v1/queue?stage=completeness", who, nil), http.StatusOK)
		if n := len(q.body["items"].([]any)); n != 0 {
			t.Errorf("%s's stage-1 queue lists %d drafts", who, n)
		}
	}
	if r := h.do("GET", "/api/v1/queue?stage=completeness", "head", nil); r.status != http.StatusForbidden || r.errCode() != "role_required" {
		t.Errorf("a head's stage-1 queue: %d %s", r.status, r.raw)
	}
	// The colleague may read it; to an officer of another department it is not there.
	h.mustStatus(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "colleague", nil), http.StatusOK)
	if r := h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "officer2", nil); r.status != http.StatusNotFound {
		t.Errorf("another department's officer reads the draft: %d", r.status)
	}

	// Refusals name their rule and change nothing.
	for _, tc := range []struct {
		who, rule string
		status    int
	}{
		{"officer", "separation_author", http.StatusForbidden},
		{"officer2", "not_found", http.StatusNotFound}, // not theirs to see
		{"head", "role_required", http.StatusForbidden},
	} {
		r := h.decide(id, tc.who, "completeness", 1, "approve", nil)
		if r.status != tc.status || r.errCode() != tc.rule {
			t.Errorf("%s deciding stage 1: %d %s, want %d %s", tc.who, r.status, r.raw, tc.status, tc.rule)
		}
	}
	if r := h.decide(id, "colleague", "completeness", 1, "return", nil); r.status != http.StatusUnprocessableEntity || r.errCode() != "comment_required" {
		t.Errorf("return without a comment: %d %s", r.status, r.raw)
	}

	// A return goes back to the author with the comment; the revision
	// comes back to the same queue.
	h.mustStatus(h.decide(id, "colleague", "completeness", 1, "return", map[string]any{"comment": "请补充检查时间"}), http.StatusOK)
	h.waitFor(id, domain.StateReturned)
	h.mustStatus(h.do("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", draftBody("关于开展冬季消防安全检查的通知")), http.StatusOK)
	h.waitForPerson(id, domain.StateCompleteness)

	// The approval sends it to stage 2, where the head decides as before;
	// the initial reviewer may not decide a second stage.
	h.mustStatus(h.decide(id, "colleague", "completeness", 2, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", 2, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 2, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StatePublished)

	a := h.mustStatus(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d/audit", id), "auditor", nil), http.StatusOK)
	var actions []string
	for _, e := range a.body["events"].([]any) {
		ev := e.(map[string]any)
		actions = append(actions, fmt.Sprint(ev["action"], "/", ev["stage"]))
	}
	// officer2's refused read is in the agency's chain, not the draft's (it took no lock on it).
	want := "submit/completeness checks_done/completeness denied:decide/completeness denied:decide/completeness denied:decide/completeness " +
		"denied:decide/completeness return/completeness revise/completeness checks_done/completeness approve/completeness checks_done/compliance approve/compliance"
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, want) {
		t.Fatalf("audit:\n got %s\nwant %s...", got, want)
	}
	h.verifyAudit()
}

// TestInitialReviewerBlockingStillReturns: a blocking finding at stage 1
// returns the draft at once, before any person, as without the policy.
func TestInitialReviewerBlockingStillReturns(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	h.requireInitialReview()
	b := draftBody("下月工作安排")
	b["formed_on"] = "2099-01-01" // in the future: a blocking stage-1 finding
	id := int64(h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated).body["id"].(float64))
	h.waitFor(id, domain.StateReturned)
	if n := h.count(`SELECT count(*) FROM decisions WHERE draft_id = $1`, id); n != 0 {
		t.Fatalf("%d decisions on a draft the machine returned", n)
	}
}

// TestInitialReviewerLiftedKeepsWaitingDrafts: turning the policy off
// sends new drafts straight on; a draft already waiting for the initial
// reviewer stays in that queue and can still be decided.
func TestInitialReviewerLiftedKeepsWaitingDrafts(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	h.requireInitialReview()
	waiting := h.submit("关于开展冬季消防安全检查的通知")
	h.waitForPerson(waiting, domain.StateCompleteness)
	admin := domain.Actor{ID: h.ids["admin"], Name: "管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := h.sys.Store.SetPolicy(context.Background(), admin, domain.Policy{}); err != nil {
		t.Fatal(err)
	}
	fresh := h.submit("关于做好节日期间安全生产工作的通知")
	h.waitFor(fresh, domain.StateCompliance)
	q := h.mustStatus(h.do("GET", "/api/v1/queue?stage=completeness", "colleague", nil), http.StatusOK)
	if items := q.body["items"].([]any); len(items) != 1 || int64(items[0].(map[string]any)["id"].(float64)) != waiting {
		t.Fatalf("after the policy is lifted the stage-1 queue is %s", q.raw)
	}
	h.mustStatus(h.decide(waiting, "colleague", "completeness", 1, "approve", nil), http.StatusOK)
	h.waitFor(waiting, domain.StateCompliance)
}
