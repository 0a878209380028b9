package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestExplainAStageOneBlockInTheBrowser: a draft stage 1 wrongly blocks is
// sent on unchanged with its author's explanation; the head sees it and
// may approve only with a written override.
func TestExplainAStageOneBlockInTheBrowser(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	wang.do(chromedp.Navigate(s.base+"/web/drafts/new"),
		chromedp.SendKeys(chromedp.CSS("#title"), "关于做好节日期间安全生产工作的通知"),
		// An impossible date in the text: a blocking stage-1 finding (the
		// form itself refuses a future date of forming).
		chromedp.SetValue(chromedp.CSS("#body"), body1+"\n本通知自2026年2月30日起施行。"),
		chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	id := wang.draftIDFromURL()
	s.waitState(id, domain.StateReturned)
	wang.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#explain")))
	wang.do(chromedp.Click(chromedp.CSS("#explain summary")), chromedp.WaitVisible(chromedp.CSS("#explanation")))
	wang.shot("explain-form")
	// Only a space (the ideographic one) says nothing: refused in place,
	// the form open again, the space kept and the field marked.
	wang.do(chromedp.SetValue(chromedp.CSS("#explanation"), "\u3000"), chromedp.Click(chromedp.CSS("#send-explained")),
		chromedp.WaitVisible(chromedp.CSS(`#explanation[aria-invalid="true"]`)))
	if v := wang.eval(`[JSON.stringify(document.querySelector("#explanation").value), document.activeElement.id, document.querySelector("#explain-form #error").textContent].join("|")`); v != "\"\u3000\"|explanation|请写明为什么机器检查的问题是误判。" {
		t.Fatalf("an explanation of a space: %q", v)
	}
	wang.do(chromedp.SetValue(chromedp.CSS("#explanation"), "信息形成日期按上级文件要求预填，经核实无误。"),
		chromedp.Click(chromedp.CSS("#send-explained")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if f := wang.text("#flash"); !strings.Contains(f, "已提交说明") {
		t.Fatalf("after explaining: %q", f)
	}
	testenv.Eventually(t, "the explained draft to wait for the head", func() bool {
		d, err := s.sys.Store.Draft(context.Background(), id)
		return err == nil && d.State == domain.StateCompliance && d.StepDone
	})
	li := s.as("li")
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#explanation-box")))
	if e := li.text("#explanation-box"); !strings.Contains(e, "经核实无误") {
		t.Fatalf("the head sees %q", e)
	}
	li.shot("explained-draft")
	li.do(chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS(`#comment[aria-invalid="true"]`)))
	if f := li.text("#decide-error"); !strings.Contains(f, "放行理由") {
		t.Fatalf("approve without an override: %q", f)
	}
	li.decide(id, "approve", "已核实形成日期，同意放行。")
	s.waitState(id, domain.StateConfidentiality)
}
