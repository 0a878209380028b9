package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// TestExpressionsInTheBrowser: an admin records the district's locality
// and its organ rename; a line without its source is refused with the line
// named; then a draft naming the old organ is returned by stage 1 with the
// new name as the suggestion.
func TestExpressionsInTheBrowser(t *testing.T) {
	s := startSite(t)
	adm := s.as("admin")
	adm.do(chromedp.Navigate(s.base+"/web/admin/expressions"), chromedp.WaitVisible(chromedp.CSS("#locality-form")),
		chromedp.SetValue(chromedp.CSS("#locality"), "北京市东城区"), chromedp.Click(chromedp.CSS("#locality-form button")),
		chromedp.WaitVisible(chromedp.CSS("#flash")))
	adm.do(chromedp.SetValue(chromedp.CSS("#entries-agency-organ"), "工商行政管理局｜市场监督管理局｜北京市东城区｜2019-01-10"),
		chromedp.Click(chromedp.CSS("#form-agency-organ button")), chromedp.WaitVisible(chromedp.CSS("#error")))
	if e := adm.text("#error"); !strings.Contains(e, "第1行") {
		t.Fatalf("a line without its source: %q", e)
	}
	adm.do(chromedp.SetValue(chromedp.CSS("#entries-agency-organ"), "工商行政管理局｜市场监督管理局｜北京市东城区｜2019-01-10｜东城区机构改革实施方案"),
		chromedp.Click(chromedp.CSS("#form-agency-organ button")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	adm.shot("expressions")
	if a, err := s.sys.Store.Agency(context.Background(), store.DefaultAgency); err != nil || a.Locality != "北京市东城区" {
		t.Fatalf("locality: %+v %v", a, err)
	}

	wang := s.as("wang")
	id := wang.submitDraft("区工商行政管理局开展节前市场检查", body1)
	s.waitState(id, domain.StateReturned)
	d, err := s.sys.Store.Detail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range d.Findings {
		found = found || f.Code == "organ_name_outdated" && f.Suggestion == "市场监督管理局" && f.Severity == domain.SeverityBlock
	}
	if !found {
		t.Fatalf("findings %+v", d.Findings)
	}
}
