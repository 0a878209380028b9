package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

func queueIDs(r resp) []int64 {
	var out []int64
	for _, it := range r.body["items"].([]any) {
		out = append(out, int64(it.(map[string]any)["id"].(float64)))
	}
	return out
}

func TestQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first := h.submit("第一件")
	h.advance(first)
	h.advance(first)
	second := h.submit("第二件 消防")
	h.advance(second)
	h.advance(second)
	waiting := h.submit("检查未完")
	h.advance(waiting) // at compliance, checks not done: in nobody's queue yet
	atSec := h.reviewed("到终审")

	r := h.want(h.do("GET", "/api/v1/queue", "head", nil), http.StatusOK, "")
	if r.body["stage"] != "compliance" || fmt.Sprint(queueIDs(r)) != fmt.Sprint([]int64{first, second}) {
		t.Errorf("the head's queue, oldest first: %s", r.raw)
	}
	it := r.body["items"].([]any)[0].(map[string]any)
	if it["department"] != "综合办" || it["formed_on"] != "2026-11-20" || it["deadline"] == "" || it["author"] != "王信息员" {
		t.Errorf("a queue item: %v", it)
	}
	for q, want := range map[string][]int64{
		"?q=" + url.QueryEscape("消防"):           {second},
		"?department=" + url.QueryEscape("综合办"): {first, second},
		"?department=" + url.QueryEscape("执法队"): nil,
		"?category=news":            {first, second},
		"?category=penalty":         nil,
		"?limit=1":                  {first},
		"?stage=compliance&limit=5": {first, second},
	} {
		got := h.want(h.do("GET", "/api/v1/queue"+q, "head", nil), http.StatusOK, "")
		if fmt.Sprint(queueIDs(got)) != fmt.Sprint(want) {
			t.Errorf("queue%s: %v, want %v", q, queueIDs(got), want)
		}
	}
	if ids := queueIDs(h.want(h.do("GET", "/api/v1/queue", "head2", nil), http.StatusOK, "")); len(ids) != 0 {
		t.Errorf("another department's head sees %v", ids)
	}
	r = h.want(h.do("GET", "/api/v1/queue", "sec", nil), http.StatusOK, "")
	if r.body["stage"] != "confidentiality" || fmt.Sprint(queueIDs(r)) != fmt.Sprint([]int64{atSec}) {
		t.Errorf("the confidentiality queue: %s", r.raw)
	}
	// Someone who decided stage 2 never finds the draft in their stage-3 queue.
	r = h.want(h.do("GET", "/api/v1/queue?stage=confidentiality", "both", nil), http.StatusOK, "")
	if len(queueIDs(r)) != 1 {
		t.Errorf("孙主任 decided nothing yet and sees %v", queueIDs(r))
	}

	h.want(h.do("GET", "/api/v1/queue", "officer", nil), http.StatusForbidden, "role_required")
	h.want(h.do("GET", "/api/v1/queue?stage=confidentiality", "head", nil), http.StatusForbidden, "role_required")
	h.want(h.do("GET", "/api/v1/queue?department="+url.QueryEscape("无此科室"), "head", nil), http.StatusBadRequest, "unknown_department")
	h.want(h.doInvalid("GET", "/api/v1/queue?limit=0", "head", nil), http.StatusBadRequest, "invalid_limit")
	h.want(h.doInvalid("GET", "/api/v1/queue?limit=many", "head", nil), http.StatusBadRequest, "invalid_limit")
	h.want(h.doInvalid("GET", "/api/v1/queue?stage=publishing", "head", nil), http.StatusBadRequest, "invalid_stage")
	h.want(h.doInvalid("GET", "/api/v1/queue", "", nil), http.StatusUnauthorized, "unauthorized")

	// A decision takes the draft out of the queue.
	h.want(h.decide(first, "head", domain.StageCompliance, "approve", nil), http.StatusOK, "")
	if ids := queueIDs(h.want(h.do("GET", "/api/v1/queue", "head", nil), http.StatusOK, "")); fmt.Sprint(ids) != fmt.Sprint([]int64{second}) {
		t.Errorf("after deciding: %v", ids)
	}
}

// TestInitialReviewerQueue: where the agency asks for an initial reviewer,
// an officer of the draft's department (not its author) has the
// completeness queue and decides stage 1.
func TestInitialReviewerQueue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := h.store.SetPolicy(ctx, admin, domain.Policy{People: []domain.Stage{domain.StageCompleteness}}); err != nil {
		t.Fatal(err)
	}
	u, tok, err := h.store.AddUser(ctx, admin, store.NewUser{Name: "刘信息员", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{h.deps["综合办"]}})
	if err != nil {
		t.Fatal(err)
	}
	h.tokens["colleague"], h.ids["colleague"] = tok, u.ID

	id := h.submit("初审人工")
	if d := h.advance(id); d.State != domain.StateCompleteness || !d.StepDone {
		t.Fatalf("after stage 1's checks the draft is %s (checks done %v), want it waiting at completeness", d.State, d.StepDone)
	}
	r := h.want(h.do("GET", "/api/v1/queue", "colleague", nil), http.StatusOK, "")
	if r.body["stage"] != "completeness" || fmt.Sprint(queueIDs(r)) != fmt.Sprint([]int64{id}) {
		t.Errorf("the initial reviewer's queue: %s", r.raw)
	}
	if ids := queueIDs(h.want(h.do("GET", "/api/v1/queue?stage=completeness", "officer", nil), http.StatusOK, "")); len(ids) != 0 {
		t.Errorf("the author's own draft is in their queue: %v", ids)
	}
	h.want(h.decide(id, "officer", domain.StageCompleteness, "approve", nil), http.StatusForbidden, "separation_author")
	h.want(h.decide(id, "officer2", domain.StageCompleteness, "approve", nil), http.StatusNotFound, "not_found")
	r = h.want(h.decide(id, "colleague", domain.StageCompleteness, "approve", nil), http.StatusOK, "")
	if r.body["state"] != "compliance" {
		t.Errorf("after the initial review: %s", r.raw)
	}
}
