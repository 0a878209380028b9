package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The annual report: read as JSON and as a workbook, refused for a bad
// year or amount, and submitted as a draft that stage 1's validator,
// comparing it with the agency's records, finds nothing in.
func TestAnnualReportRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.published("年度内发布的一条信息")
	year := time.Now().In(domain.Beijing).Year()
	y := itoa(int64(year))

	r := h.want(h.do("GET", "/api/v1/reports/annual?year="+y, "officer", nil), http.StatusOK, "")
	if ch := r.body["channels"].(map[string]any); ch["website"] != float64(1) {
		t.Errorf("channels %v, want one item on the website", ch)
	}
	cases := r.body["cases"].(map[string]any)
	if cases["recorded"] != false || cases["note"] != ar.NoCasesNote || len(cases["rows"].([]any)) != len(ar.Outcomes)+4 {
		t.Errorf("cases: %v", cases)
	}
	x := h.want(h.do("GET", "/api/v1/reports/annual?format=xlsx&fees=1.5&year="+y, "auditor", nil), http.StatusOK, "")
	if !strings.HasPrefix(x.raw, "PK") || !strings.Contains(x.header.Get("Content-Disposition"), "annual-report-"+y+".xlsx") {
		t.Errorf("not a workbook: %q %v", x.raw[:min(10, len(x.raw))], x.header)
	}
	h.want(h.doInvalid("GET", "/api/v1/reports/annual?year=99", "officer", nil), http.StatusBadRequest, "invalid_year")
	h.want(h.do("GET", "/api/v1/reports/annual?fees=-1", "officer", nil), http.StatusBadRequest, "invalid_fees")
	h.want(h.doInvalid("GET", "/api/v1/reports/annual?format=pdf", "officer", nil), http.StatusBadRequest, "invalid_format")

	h.want(h.do("POST", "/api/v1/reports/annual", "auditor", map[string]any{"year": year, "department": "综合办"}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/reports/annual", "officer", map[string]any{"year": year, "department": "无此科"}), http.StatusUnprocessableEntity, "unknown_department")
	d := h.want(h.do("POST", "/api/v1/reports/annual", "officer", map[string]any{"year": year, "department": "综合办", "fees": "1.5"}), http.StatusCreated, "")
	if d.body["category"] != "annual_report" || d.body["state"] != string(domain.StateCompleteness) || !strings.Contains(d.body["body"].(string), "\t1.5\n") {
		t.Errorf("the draft: %v", d.body)
	}
	// Stage 1 as the worker runs it, with the agency's records.
	runner := checks.NewRunner()
	runner.Facts = store.AnnualFacts{Store: h.store, Cases: ar.NoCases{}}
	draft := h.draft(int64(d.body["id"].(float64)))
	fs, err := runner.Run(context.Background(), domain.StageCompleteness, 1, draft.Content)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if strings.HasPrefix(f.Code, "annual_report") {
			t.Errorf("the generated report has a finding: %+v", f)
		}
	}
}
