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

// TestInitialReviewInTheBrowser: an admin turns on the initial reviewer;
// a colleague of the author finds the draft in the 初审 queue, is refused
// a return without a comment, and approves it into 复审. The author is
// told why they may not decide their own draft.
func TestInitialReviewInTheBrowser(t *testing.T) {
	s := startSite(t)
	adm := s.as("admin")
	adm.do(chromedp.Navigate(s.base+"/web/admin/policy"), chromedp.WaitVisible(chromedp.CSS("#policy")))
	adm.shot("policy-off")
	adm.do(chromedp.Click(chromedp.CSS("#person-completeness")), chromedp.Click(chromedp.CSS("#policy button")),
		chromedp.WaitVisible(chromedp.CSS("#flash")))
	if f := adm.text("#flash"); !strings.Contains(f, "审核设置已保存") {
		t.Fatalf("policy saved: %q", f)
	}
	adm.shot("policy-on")
	if p, err := s.sys.Store.Policy(context.Background(), 1); err != nil || !p.Requires(domain.StageCompleteness) {
		t.Fatalf("policy after saving: %+v, %v", p, err)
	}

	wang := s.as("wang")
	chen := s.as("chen") // an officer: starts on their drafts, the 初审 queue a link away
	chen.do(chromedp.Click(chromedp.CSS(`nav a[href="/web/queue?stage=completeness"]`)), chromedp.WaitVisible(chromedp.CSS("#queue-rows")))
	if h := chen.text("h1"); h != "初审队列" {
		t.Fatalf("queue title %q", h)
	}
	id := wang.submitDraft("关于开展冬季消防安全检查的通知", body1)
	testenv.Eventually(t, "the draft to wait for its initial reviewer", func() bool {
		d, err := s.sys.Store.Draft(context.Background(), id)
		return err == nil && d.State == domain.StateCompleteness && d.StepDone
	})
	// The author cannot decide their own draft, and is told so.
	wang.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#cannot-decide")))
	if r := wang.text("#cannot-decide"); !strings.Contains(r, "起草人不能审核自己的稿件") {
		t.Fatalf("the author is told %q", r)
	}
	wang.shot("own-draft-at-initial-review")

	// The colleague's open queue shows it without a reload.
	chen.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-id="%d"]`, id))))
	chen.shot("initial-review-queue")
	chen.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-id="%d"] a`, id))), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	chen.shot("initial-review-draft")
	chen.do(chromedp.Click(chromedp.CSS("#return")), chromedp.WaitVisible(chromedp.CSS("#decide-error")))
	if f := chen.text("#decide-error"); !strings.Contains(f, "退回时必须填写意见") {
		t.Fatalf("return without comment: %q", f)
	}
	chen.decide(id, "approve", "")
	s.waitState(id, domain.StateCompliance)
	if f := chen.text("#flash"); !strings.Contains(f, "已通过") {
		t.Fatalf("after approving: %q", f)
	}

	// The head's page does not say the colleague "is reviewing" it: the
	// claim was for stage 1.
	li := s.as("li")
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	if c := li.eval(`String(document.querySelector("#claim") && document.querySelector("#claim").textContent)`); c != "null" {
		t.Fatalf("the head is told: %s", c)
	}
	li.shot("compliance-after-initial-review")
	chen.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.base+"/web/queue?stage=completeness"), chromedp.WaitVisible(chromedp.CSS("#queue-rows")))
	chen.shot("narrow-initial-review-queue")
}
