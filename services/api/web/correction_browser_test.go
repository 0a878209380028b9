package web_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestCorrectionInTheBrowser: the author corrects a published item from
// its page: the form starts from the published text and asks for the
// note; while the correction is reviewed the page says the public still
// reads revision 1; published, the item's address shows the corrected text
// with the dated note. A reviewer then sets how long it stays public.
// Screenshots at 1280 and 390 px.
func TestCorrectionInTheBrowser(t *testing.T) {
	s := startSite(t)
	wang, li, zhao := s.as("wang"), s.as("li"), s.as("zhao")
	id := wang.submitDraft("关于调整便民服务大厅开放时间的公告", body1)
	s.waitState(id, domain.StateCompliance)
	li.decide(id, "approve", "")
	s.waitState(id, domain.StateConfidentiality)
	zhao.decide(id, "approve", "")
	s.waitState(id, domain.StatePublished)
	if li.exists("#start-correction") {
		t.Errorf("a reviewer is offered the correction")
	}
	page := fmt.Sprintf("%s/web/drafts/%d", s.base, id)
	wang.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#start-correction")))
	wang.do(chromedp.Click(chromedp.CSS("#start-correction")), chromedp.WaitVisible(chromedp.CSS("#correction")))
	if got := wang.text("h1"); got != "更正已发布的信息" {
		t.Errorf("the correction form's heading: %q", got)
	}
	wang.eval(`(document.querySelector('#body').value += '\n开放时间调整为每日9:00至17:00。', 'ok')`)
	// Without a note the browser itself asks for one (required).
	if req := wang.eval(`String(document.querySelector('#correction').required)`); req != "true" {
		t.Errorf("the correction note is not required: %s", req)
	}
	wang.do(chromedp.SendKeys(chromedp.CSS("#correction"), "原公告未写明调整后的开放时间，现予补充。"))
	wang.shot("correction-form-1280")
	wang.do(chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	s.waitState(id, domain.StateCompliance)
	wang.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#correcting")))
	if got := wang.text("#correcting"); !strings.Contains(got, "第 1 版") {
		t.Errorf("the page under correction says %q", got)
	}
	wang.shot("under-correction-1280")
	li.decide(id, "approve", "")
	s.waitState(id, domain.StateConfidentiality)
	zhao.decide(id, "approve", "")
	s.waitState(id, domain.StatePublished)

	public := fmt.Sprintf("%s/public/default/items/%d", s.base, id)
	res, err := (&http.Client{}).Get(public)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "9:00至17:00") || !strings.Contains(string(body), "更正说明") {
		t.Fatalf("the corrected item: %d %s", res.StatusCode, body)
	}
	wang.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(public), chromedp.WaitVisible(chromedp.CSS(".correction")))
	wang.shot("public-corrected-390")

	// The department head sets how long it stays public.
	li.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#expiry")), chromedp.Click(chromedp.CSS("#expiry summary")),
		chromedp.WaitVisible(chromedp.CSS("#expiry-date")))
	li.do(chromedp.SetValue(chromedp.CSS("#expiry-date"), "2099-12-31"), chromedp.SendKeys(chromedp.CSS("#expiry-comment"), "调整期间有效"))
	li.shot("expiry-form-1280")
	li.do(chromedp.Click(chromedp.CSS("#expiry-send")), chromedp.WaitVisible(chromedp.CSS("#expires-on")))
	if got := li.text("#expires-on"); got != "2099-12-31" {
		t.Errorf("the page's expiry says %q", got)
	}
	li.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#expires-on")))
	li.shot("draft-corrected-390")
}
