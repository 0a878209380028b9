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

// TestSaveAsDraftInTheBrowser: an officer types half a draft and presses
// 暂存: it is kept as the form and says what it lacks; she completes it
// and presses 暂存 again: it is a draft, unsubmitted, hers alone, on her
// list; she continues it from its page and submits it. Screenshots at 1280
// and 390 px, with axe on each page.
func TestSaveAsDraftInTheBrowser(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	title := "关于2027年元旦期间办事大厅开放时间的通告"
	wang.do(chromedp.Navigate(s.base+"/web/drafts/new"),
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.Click(chromedp.CSS("#save-draft")), chromedp.WaitVisible(chromedp.CSS("#restored")))
	if msg := wang.text("#restored"); !strings.Contains(msg, "正文") {
		t.Errorf("an incomplete form's 暂存 says: %q", msg)
	}
	wang.shot("save-incomplete")
	wang.do(chromedp.SetValue(chromedp.CSS("#body"), "元旦期间（2027年1月1日至3日）街道办事大厅暂停对外办公，1月4日起恢复正常。"),
		chromedp.Click(chromedp.CSS("#save-draft")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if msg := wang.text("#flash"); !strings.Contains(msg, "已暂存为稿件") {
		t.Errorf("暂存 of a complete form says: %q", msg)
	}
	if v := wang.axe(); v != "" {
		t.Errorf("axe on the saved draft's form: %s", v)
	}
	wang.do(chromedp.Navigate(s.base+"/web/drafts"), chromedp.WaitVisible(chromedp.CSS("#my-drafts")))
	if wang.exists("#saved-forms") {
		t.Error("the form saved as a draft is still listed as a form")
	}
	wang.do(chromedp.Click(chromedp.CSS("#my-drafts a")), chromedp.WaitVisible(chromedp.CSS("#unsubmitted-note")))
	id := wang.draftIDFromURL()
	if st := wang.text("#draft-state"); st != "暂存（未提交）" {
		t.Errorf("the saved draft's state: %q", st)
	}
	if !wang.exists("#not-checked") {
		t.Error("the saved draft's page does not say it is not checked yet")
	}
	if v := wang.axe(); v != "" {
		t.Errorf("axe on the saved draft's page: %s", v)
	}
	wang.shot("saved-draft")
	wang.do(chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#unsubmitted-note")))
	wang.noSideways("the saved draft's page")
	wang.shot("saved-draft-390")
	wang.do(chromedp.EmulateViewport(1280, 900))
	li := s.as("li")
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("main")))
	if li.exists("#draft-body") {
		t.Error("the head reads a saved draft")
	}
	wang.do(chromedp.Click(chromedp.CSS("#revise")), chromedp.WaitVisible(chromedp.CSS("#submit-draft")),
		chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	s.waitState(id, domain.StateCompliance)
}
