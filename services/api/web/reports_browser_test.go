package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestReportsInTheBrowser: the annual report and the assessment at 1280
// and 390 px, and the annual report as printed (print media: the report
// alone, no navigation or forms).
func TestReportsInTheBrowser(t *testing.T) {
	s := startSite(t)
	admin := s.as("admin")
	admin.do(chromedp.Navigate(s.base+"/web/reports/annual?year=2025"), chromedp.WaitVisible(chromedp.CSS("#table-3")))
	if txt := admin.text("#annual-report"); !strings.Contains(txt, "三、收到和处理政府信息公开申请情况") {
		t.Fatalf("the report: %q", txt)
	}
	admin.shot("annual-1280")
	admin.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#table-3")))
	admin.shot("annual-390")
	admin.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.base+"/web/reports/assessment?period=2025"), chromedp.WaitVisible(chromedp.CSS("#officers")))
	admin.shot("assessment-1280")
	admin.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#officers")))
	admin.shot("assessment-390")
	// Printed, the navigation and the forms are gone; the report stays.
	admin.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.base+"/web/reports/annual?year=2025"), chromedp.WaitVisible(chromedp.CSS("#table-3")),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}))
	if v := admin.eval(`[getComputedStyle(document.querySelector('header.top')).display, getComputedStyle(document.querySelector('.no-print')).display, getComputedStyle(document.querySelector('#annual-report')).display].join(' ')`); v != "none none block" {
		t.Errorf("printed, header, forms and report display as %q, want none none block", v)
	}
	admin.shot("annual-print")
}
