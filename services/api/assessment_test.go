package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// The assessment of this month: the officer of 综合办 submitted three
// drafts, one published at the first pass, one returned at 复审 then
// published, one waiting; the officer of 执法队 submitted one. The
// formula's weights are the agency's once an admin sets them.
func TestAssessmentRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.published("一次通过的信息")
	returned := h.submit("被退回过的信息")
	h.advance(returned)
	h.advance(returned)
	h.want(h.decide(returned, "head", domain.StageCompliance, "return", map[string]any{"comment": "请补充", "reason": "incomplete"}), http.StatusOK, "")
	other := h.submit("另一条")
	h.advance(other)
	h.advance(other)
	h.want(h.decide(other, "head", domain.StageCompliance, "return", map[string]any{"comment": "x", "reason": "state_secret"}),
		http.StatusUnprocessableEntity, "invalid_return_reason")
	// Stage 1's machine checks return one on a blocking finding.
	machine := h.submit("含身份证号的信息")
	h.advance(machine, domain.Finding{Code: "id_number", Severity: domain.SeverityBlock, Field: "body", MessageZH: "身份证号", MessageEN: "an ID number"})
	h.submit("等待中的信息")
	b := draftBody("执法队的信息")
	b["department"] = "执法队"
	h.want(h.do("POST", "/api/v1/drafts", "officer2", b), http.StatusCreated, "")

	period := time.Now().In(domain.Beijing).Format("2006-01")
	r := h.want(h.do("GET", "/api/v1/reports/assessment?period="+period, "auditor", nil), http.StatusOK, "")
	// Every officer of the agency is ranked: 吴副科长 (an officer too)
	// submitted nothing and is ranked with nothing.
	officers := r.body["officers"].([]any)
	if len(officers) != 3 {
		t.Fatalf("officers: %v", officers)
	}
	var wang, idle map[string]any
	for _, o := range officers {
		switch o := o.(map[string]any); o["name"] {
		case "王信息员":
			wang = o
		case "吴副科长":
			idle = o
		}
	}
	if idle == nil || idle["submitted"] != float64(0) || idle["score"] != float64(0) || idle["rank"] != float64(2) ||
		idle["department"] != "综合办" || idle["returned"] == nil {
		t.Errorf("the officer who did nothing: %v", idle)
	}
	if wang == nil || wang["submitted"] != float64(5) || wang["published"] != float64(1) || wang["first_pass"] != float64(1) ||
		wang["returned"].(map[string]any)["compliance"] != float64(1) || wang["returned"].(map[string]any)["completeness"] != float64(1) ||
		wang["channels"].(map[string]any)["website"] != float64(1) || wang["department"] != "综合办" {
		t.Errorf("王信息员: %v", wang)
	}
	if r := wang["return_reasons"].(map[string]any); len(r) != 2 || r["incomplete"] != float64(1) || r["machine_checks"] != float64(1) {
		t.Errorf("王信息员's returns by reason: %v", r)
	}
	// 1 published + 20 × 100% first pass + 20 × on time − 2 × 2 returns.
	if wang["score"] != float64(37) || wang["rank"] != float64(1) {
		t.Errorf("score %v rank %v, want 37 and 1", wang["score"], wang["rank"])
	}
	if len(r.body["departments"].([]any)) != 2 || !strings.Contains(r.body["formula_zh"].(string), "得分") {
		t.Errorf("departments or formula: %v", r.body)
	}

	h.want(h.do("PUT", "/api/v1/reports/assessment/weights", "auditor", map[string]any{"published": 2, "first_pass": 0, "on_time": 0, "returned": 1}), http.StatusForbidden, "role_required")
	h.want(h.doInvalid("PUT", "/api/v1/reports/assessment/weights", "admin", map[string]any{"published": -1, "first_pass": 0, "on_time": 0, "returned": 1}), http.StatusBadRequest, "invalid_weights")
	h.want(h.do("PUT", "/api/v1/reports/assessment/weights", "admin", map[string]any{"published": 2, "first_pass": 0, "on_time": 0, "returned": 1}), http.StatusOK, "")
	r = h.want(h.do("GET", "/api/v1/reports/assessment?period="+period[:4], "admin", nil), http.StatusOK, "")
	for _, o := range r.body["officers"].([]any) {
		if o := o.(map[string]any); o["name"] == "王信息员" && o["score"] != float64(0) { // 2 × 1 published − 1 × 2 returns
			t.Errorf("with the agency's weights: %v", o)
		}
	}
	x := h.want(h.do("GET", "/api/v1/reports/assessment?format=xlsx&period="+period, "admin", nil), http.StatusOK, "")
	if !strings.HasPrefix(x.raw, "PK") {
		t.Error("not a workbook")
	}
	h.want(h.doInvalid("GET", "/api/v1/reports/assessment?period=2025-13", "admin", nil), http.StatusBadRequest, "invalid_period")
	h.want(h.do("GET", "/api/v1/reports/assessment", "officer", nil), http.StatusForbidden, "role_required")
}
