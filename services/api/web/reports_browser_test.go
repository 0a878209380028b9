package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestReportsInTheBrowser: the annual report and the assessment at 1280
// and 390 px, and the annual report as printed (print media: the report
// alone, no navigation or forms).
func TestReportsInTheBrowser(t *testing.T) {
	s := startSite(t)
	// This year's work, for the assessment to rank: one draft published,
	// one returned (要素不全), one waiting.
	wang, li, zhao := s.as("wang"), s.as("li"), s.as("zhao")
	var ids []int64
	for _, title := range []string{"关于开展冬季消防安全检查的通知", "关于调整社区服务中心开放时间的公告", "关于征集老旧小区改造意见的通知"} {
		id := wang.submitDraft(title, body1)
		s.waitState(id, domain.StateCompliance)
		ids = append(ids, id)
	}
	li.decide(ids[0], "approve", "")
	s.waitState(ids[0], domain.StateConfidentiality)
	zhao.decide(ids[0], "approve", "")
	s.waitState(ids[0], domain.StatePublished)
	li.decide(ids[1], "return", "请补充开放时间调整的起始日期。")
	s.waitState(ids[1], domain.StateReturned)
	year := strconv.Itoa(time.Now().In(domain.Beijing).Year())
	admin := s.as("admin")
	admin.do(chromedp.Navigate(s.base+"/web/reports/annual?year=2025"), chromedp.WaitVisible(chromedp.CSS("#table-3")))
	if txt := admin.text("#annual-report"); !strings.Contains(txt, "三、收到和处理政府信息公开申请情况") {
		t.Fatalf("the report: %q", txt)
	}
	admin.shot("annual-1280")
	admin.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#table-3")))
	admin.shot("annual-390")
	admin.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.base+"/web/reports/assessment?period="+year), chromedp.WaitVisible(chromedp.CSS("#officers")))
	if txt := admin.text("#officers"); !strings.Contains(txt, "wang") || !strings.Contains(txt, "要素不全1") {
		t.Errorf("the ranking lacks the officer's returns by reason: %q", txt)
	}
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
