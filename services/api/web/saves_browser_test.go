package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestSessionExpiryKeepsTheForm: an officer types a draft, her session
// ends while the form is open (an idle timeout, here its row revoked), and
// she presses submit: she is asked to sign in again and comes back to the
// form with everything she typed and a message saying what happened. She
// then submits it once; she recalls it before anyone decides, and it is
// hers alone again. Screenshots at 1280 and 390 px.
func TestSessionExpiryKeepsTheForm(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	title, body := "关于开展冬季消防安全检查的通知", "各社区：为做好冬季消防安全工作，街道定于十二月开展消防安全专项检查，请各社区做好准备。"
	wang.do(chromedp.Navigate(s.base+"/web/drafts/new"),
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SetValue(chromedp.CSS("#body"), body))
	if _, err := s.sys.Store.Pool.Exec(context.Background(),
		`UPDATE sessions SET revoked_at = now() WHERE user_id = (SELECT id FROM users WHERE name = 'wang')`); err != nil {
		t.Fatal(err)
	}
	wang.do(chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#signin")))
	wang.do(chromedp.SendKeys(chromedp.CSS("#name"), "wang"), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#restored")))
	if got := wang.eval(`document.querySelector('#title').value`); got != title {
		t.Errorf("title after signing in again: %q", got)
	}
	if got := wang.eval(`document.querySelector('#body').value`); got != body {
		t.Errorf("body after signing in again: %q", got)
	}
	if msg := wang.text("#restored"); !strings.Contains(msg, "登录已过期") {
		t.Errorf("the message: %q", msg)
	}
	wang.shot("form-restored")
	wang.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#restored")))
	wang.shot("form-restored-390")
	wang.do(chromedp.EmulateViewport(1280, 900))

	wang.do(chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	id := wang.draftIDFromURL()
	var n int
	if err := s.sys.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM drafts`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d drafts (%v); want 1", n, err)
	}
	s.waitState(id, domain.StateCompliance)
	wang.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#recall")))
	wang.do(chromedp.Click(chromedp.CSS("#recall")), chromedp.WaitVisible(chromedp.CSS("#unsubmitted-note")))
	if st := wang.text("#draft-state"); st != "暂存（未提交）" {
		t.Errorf("state after recall: %q", st)
	}
	wang.shot("recalled")
	li := s.as("li")
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("main")))
	if li.exists("#draft-body") {
		t.Error("the head reads a recalled draft")
	}
	wang.do(chromedp.Navigate(s.base+"/web/drafts"), chromedp.WaitVisible(chromedp.CSS("#my-drafts")))
	if wang.exists("#saved-forms") {
		t.Error("the submitted form is still listed as saved")
	}
}
