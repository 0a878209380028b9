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
		!strings.Contains(page, "<td>2.5</td>") || !strings.Contains(page, `id="report-no-cases"`) {
		t.Fatalf("the page: %d\n%s", r.StatusCode, page)
	}
	if r, _ := c.req("GET", "/web/reports/annual?year=1999", nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("year 1999: %d", r.StatusCode)
	}
	if r, body := c.req("GET", "/web/reports/annual.xlsx?year=2025", nil); r.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") {
		t.Errorf("the workbook: %d", r.StatusCode)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]
	dept := regexpOption.FindStringSubmatch(page)
	if dept == nil {
		t.Fatalf("no department to submit for:\n%s", page)
	}
	r, _ = c.req("POST", "/web/reports/annual", url.Values{"_csrf": {csrf}, "year": {"2025"}, "fees": {"2.5"}, "department": {dept[1]}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/web/drafts/") {
		t.Fatalf("submitting: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
}

var regexpOption = regexp.MustCompile(`<option>([^<]+)</option>`)
