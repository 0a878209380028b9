package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestAnnualReportPage: the page shows the year's report with its
// tables, the workbook downloads, and an officer submits the report as a
// draft.
func TestAnnualReportPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client()
	c.signIn("wang", password)
	r, page := c.req("GET", "/web/reports/annual?year=2025&fees=2.5", nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(page, `id="table-3"`) || !strings.Contains(page, "2025年政府信息公开工作年度报告") ||
		!strings.Contains(page, "<td>2.5</td>") || strings.Contains(page, `id="report-no-cases"`) { // the cases are recorded: no "not recorded" notice
		t.Fatalf("the page: %d\n%s", r.StatusCode, page)
	}
	// A year or an amount that is not one: the page says so, with the
	// field as typed and marked.
	for _, tc := range []struct{ query, field string }{
		{"year=1999", `id="year" name="year" type="number" min="2000" max="2100" required value="1999" aria-invalid="true" aria-describedby="error" autofocus`},
		{"year=2025&fees=" + url.QueryEscape("十二万"), `id="fees" name="fees" inputmode="decimal" value="十二万" aria-invalid="true" aria-describedby="error fees-hint" autofocus`},
	} {
		if r, page := c.req("GET", "/web/reports/annual?"+tc.query, nil); r.StatusCode != http.StatusBadRequest || !strings.Contains(page, tc.field) ||
			strings.Count(page, `role="alert"`) != 1 {
			t.Errorf("%s: %d\n%s", tc.query, r.StatusCode, page)
		}
	}
	if r, body := c.req("GET", "/web/reports/annual.xlsx?year=2025", nil); r.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") {
		t.Errorf("the workbook: %d", r.StatusCode)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	dept := regexpOption.FindStringSubmatch(page)
	if dept == nil {
		t.Fatalf("no department to submit for:\n%s", page)
	}
	// A department that is not one (gone since the page was shown): the
	// page again (422), the form as posted, the department marked.
	r, page = c.req("POST", "/web/reports/annual", url.Values{"_csrf": {csrf}, "year": {"2025"}, "fees": {"2.5"}, "department": {"已撤销的科室"}})
	if p, ok := postedBack(t, page); r.StatusCode != http.StatusUnprocessableEntity || !ok || p.Kind != "refused" || p.Action != "/web/reports/annual" ||
		p.Field != "department" || p.Fields.Get("department") != "已撤销的科室" || p.Fields.Get("fees") != "2.5" ||
		!strings.Contains(page, "没有这个部门：“已撤销的科室”。") || !strings.Contains(page, `id="report-submit"`) {
		t.Errorf("an unknown department: %d, given back %+v\n%s", r.StatusCode, p, page)
	}
	if n := s.count(`SELECT count(*) FROM drafts`); n != 0 {
		t.Fatalf("%d drafts after the refusal", n)
	}
	r, _ = c.req("POST", "/web/reports/annual", url.Values{"_csrf": {csrf}, "year": {"2025"}, "fees": {"2.5"}, "department": {dept[1]}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/web/drafts/") {
		t.Fatalf("submitting: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
}

var regexpOption = regexp.MustCompile(`<option>([^<]+)</option>`)

// TestAssessmentPage: the admin's ranking page and its workbook; the
// weights form saves; an officer may not see it.
func TestAssessmentPage(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client()
	c.signIn("admin", password)
	r, page := c.req("GET", "/web/reports/assessment?period=2025-Q1", nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(page, `id="officers"`) || !strings.Contains(page, "得分 = 发布条数") || !strings.Contains(page, `id="weights"`) {
		t.Fatalf("the page: %d\n%s", r.StatusCode, page)
	}
	if r, body := c.req("GET", "/web/reports/assessment.xlsx?period=2025-03", nil); r.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") {
		t.Errorf("the workbook: %d", r.StatusCode)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	form := url.Values{"_csrf": {csrf}, "period": {"2025-Q1"}, "published": {"3"}, "first_pass": {"10"}, "on_time": {"10"}, "returned": {"5"}}
	if r, _ := c.req("POST", "/web/reports/assessment/weights", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the weights: %d", r.StatusCode)
	}
	if _, page := c.req("GET", "/web/reports/assessment?period=2025-Q1", nil); !strings.Contains(page, "权重：发布 3，一次通过 10，按时 10，退回 5") {
		t.Errorf("the weights after saving:\n%s", page)
	}
	// A weight that is not one: the form again, as typed, that field marked.
	form.Set("returned", "-1")
	if r, page := c.req("POST", "/web/reports/assessment/weights", form); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(page, `data-kind="refused"`) || !strings.Contains(page, `data-field="returned"`) {
		t.Errorf("a negative weight: %d\n%s", r.StatusCode, page)
	}
	o := s.client()
	o.signIn("wang", password)
	if r, _ := o.req("GET", "/web/reports/assessment", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("an officer opened the assessment: %d", r.StatusCode)
	}
}
