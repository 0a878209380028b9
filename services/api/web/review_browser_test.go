package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

const body1 = "为切实做好辖区冬季消防安全工作，街道办事处定于十二月上旬开展消防安全专项检查，请各社区、各单位做好自查和配合工作。"

// TestReviewInTheBrowser walks one draft through all three reviews, a
// return and a revision, the way the office's people do it.
func TestReviewInTheBrowser(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	wang.shot("my-drafts-empty")
	wang.do(chromedp.Navigate(s.base + "/web/drafts/new"))
	if d := wang.text("#deadline"); !strings.Contains(d, "公开期限") {
		t.Fatalf("deadline hint: %q", d)
	}
	wang.shot("new-draft-form")
	id := wang.submitDraft("关于开展冬季消防安全检查的通知", body1)
	wang.shot("submitted")
	s.waitState(id, domain.StateCompliance)

	li := s.as("li") // lands on the compliance queue
	li.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-id="%d"]`, id))))
	li.shot("compliance-queue")
	li.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-id="%d"] a`, id))), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	li.shot("compliance-draft")
	li.decide(id, "approve", "")
	s.waitState(id, domain.StateConfidentiality)

	zhao := s.as("zhao")
	zhao.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-id="%d"]`, id))))
	zhao.shot("confidentiality-queue")
	// A return without a comment is refused, with the rule's words at the
	// form; one without its reason too, the comment kept and the reason's
	// field marked.
	zhao.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.Click(chromedp.CSS("#return")), chromedp.WaitVisible(chromedp.CSS("#decide-error")))
	if f := zhao.text("#decide-error"); !strings.Contains(f, "退回时必须填写意见") {
		t.Fatalf("return without comment: %q", f)
	}
	// (The refused page has a #decide-error too: wait for the new one's mark.)
	zhao.do(chromedp.SendKeys(chromedp.CSS("#comment"), "时间安排不清楚"), chromedp.Click(chromedp.CSS("#return")),
		chromedp.WaitVisible(chromedp.CSS(`#return-reason[aria-invalid="true"]`)))
	state := zhao.eval(`[document.querySelector("#comment").value, document.querySelector("#return-reason").getAttribute("aria-invalid"),
		document.activeElement.id].join("|")`)
	if f := zhao.text("#decide-error"); !strings.Contains(f, "请选择退回原因") || state != "时间安排不清楚|true|return-reason" {
		t.Fatalf("return without its reason: %q; comment, aria-invalid, focus: %q", f, state)
	}
	zhao.decide(id, "return", "请补充检查的具体时间安排。")
	s.waitState(id, domain.StateReturned)

	wang.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#return-comment")))
	if c := wang.text("#return-comment"); !strings.Contains(c, "请补充检查的具体时间安排") {
		t.Fatalf("the officer does not see the comment: %q", c)
	}
	wang.shot("returned-draft")
	wang.do(chromedp.Click(chromedp.CSS("#revise")), chromedp.WaitVisible(chromedp.CSS("#draft-form")))
	wang.shot("revise-form")
	wang.do(chromedp.SetValue(chromedp.CSS("#body"), body1+"检查时间为十二月一日至十二月十日。"),
		chromedp.Click(chromedp.CSS("#submit-draft")), chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	s.waitState(id, domain.StateCompliance)

	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#diff ins")))
	if ins := li.text("#diff ins"); !strings.Contains(ins, "十二月一日") {
		t.Fatalf("diff shows %q", ins)
	}
	li.shot("revision-2-diff")
	li.decide(id, "approve", "")
	s.waitState(id, domain.StateConfidentiality)
	zhao.decide(id, "approve", "")
	s.waitState(id, domain.StatePublished)

	pub := s.as("qian")
	pub.do(chromedp.Navigate(s.base+"/public/"), chromedp.WaitVisible(chromedp.CSS("ul.items")))
	if l := pub.text("ul.items"); !strings.Contains(l, "关于开展冬季消防安全检查的通知") {
		t.Fatalf("public list: %q", l)
	}
	pub.shot("public-list")
	pub.do(chromedp.Navigate(fmt.Sprintf("%s/public/items/%d", s.base, id)))
	pub.shot("public-item")
	pub.do(chromedp.Navigate(s.base+"/web/audit"), chromedp.WaitVisible(chromedp.CSS("#verify.ok")))
	pub.shot("audit-verify")
	pub.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d/audit", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#events")))
	pub.shot("draft-audit")

	wang.do(chromedp.Navigate(s.base+"/web/drafts"), chromedp.WaitVisible(chromedp.CSS("table.list")))
	wang.shot("my-drafts")
	// English as the switch.
	wang.do(chromedp.Click(chromedp.CSS("a.lang")), chromedp.WaitVisible(chromedp.CSS("table.list")))
	if h := wang.text("h1"); h != "My drafts" {
		t.Fatalf("English page title %q", h)
	}
	wang.shot("my-drafts-en")
	// The admin's pages.
	adm := s.as("admin")
	for _, pg := range []string{"users", "departments", "words", "deadletters"} {
		adm.do(chromedp.Navigate(s.base+"/web/admin/"+pg), chromedp.WaitVisible(chromedp.CSS("h1")))
		adm.shot("admin-" + pg)
	}
	adm.do(chromedp.Navigate(s.base+"/web/admin/words"), chromedp.SetValue(chromedp.CSS("#words"), "整改不力\n群体事件"),
		chromedp.Click(chromedp.CSS("form.stack button")), chromedp.WaitVisible(chromedp.CSS("#words-version")))
	if v := adm.text("#words-version"); !strings.Contains(v, "第1版") || !strings.Contains(v, "2 个词") {
		t.Fatalf("word list page: %q", v)
	}
	// A narrow window.
	li.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)))
	li.shot("narrow-draft")
}

// TestBrowserAccessAndSafety checks department scope by URL, separation of
// duties, CSRF, escaping of script in every page, live queues and two
// reviewers racing on one draft.
func TestBrowserAccessAndSafety(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	xssTitle := `<script>window.__x=1</script>通知`
	xssBody := `<img src=x onerror="window.__x=2">为做好辖区安全生产工作，现将有关事项通知如下，请遵照执行。`
	li := s.as("li") // on the compliance queue, live
	id := wang.submitDraft(xssTitle, xssBody)
	s.waitState(id, domain.StateCompliance)

	// The open queue shows the new draft without a reload.
	li.do(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-id="%d"]`, id))))
	li.shot("live-queue-with-script-title")

	noScript := func(p *person, page string) {
		t.Helper()
		if v := p.eval(`String(window.__x)`); v != "undefined" {
			t.Fatalf("%s: injected script ran (window.__x=%s)", page, v)
		}
		if n := p.eval(`String(document.querySelectorAll('main script, main img').length)`); n != "0" {
			t.Fatalf("%s: %s script/img elements in main", page, n)
		}
		if txt := p.text("main"); !strings.Contains(txt, "<script>") {
			t.Fatalf("%s: the title is not shown as text", page)
		}
	}
	noScript(li, "queue")
	wang.do(chromedp.Navigate(s.base + "/web/drafts"))
	noScript(wang, "my drafts")
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	noScript(li, "draft page")
	if b := li.text("#draft-body"); !strings.Contains(b, "<img src=x onerror") {
		t.Fatalf("body not shown as text: %q", b)
	}

	// Another department's head: by URL, the draft is not there (404, as a
	// draft that does not exist), and a forged decision finds nothing.
	zhou := s.as("zhou")
	zhou.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#error")))
	if e := zhou.text("#error"); !strings.Contains(e, "找不到该页面或稿件") {
		t.Fatalf("cross-department page: %q", e)
	}
	zhou.shot("cross-department-refused")
	status := zhou.eval(fmt.Sprintf(`(async () => { const t = document.querySelector('input[name=_csrf]').value;
		const r = await fetch('/web/drafts/%d/decide', {method:'POST', body:new URLSearchParams({_csrf:t, stage:'compliance', revision:'1', decision:'approve'})});
		return String(r.status) + ' ' + (await r.text()).includes('找不到该页面或稿件'); })()`, id))
	if status != "404 true" {
		t.Fatalf("forged cross-department decision: %s", status)
	}
	// No CSRF token: refused.
	status = li.eval(fmt.Sprintf(`(async () => { const r = await fetch('/web/drafts/%d/decide', {method:'POST',
		body:new URLSearchParams({stage:'compliance', revision:'1', decision:'approve'})}); return String(r.status); })()`, id))
	if status != "403" {
		t.Fatalf("decision without CSRF token: %s", status)
	}
	if d, _ := s.sys.Store.Draft(context.Background(), id); d.State != domain.StateCompliance {
		t.Fatalf("a refused request moved the draft to %s", d.State)
	}

	// Two reviewers open the draft; the second to decide gets the 409's message.
	sun := s.as("sun")
	sun.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	if c := sun.text("#claim"); !strings.Contains(c, "li") {
		t.Fatalf("claim not shown: %q", c)
	}
	sun.shot("claimed-by-li")
	li.do(chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	sun.do(chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if f := sun.text("#flash"); !strings.Contains(f, "已被他人处理") {
		t.Fatalf("second reviewer's message: %q", f)
	}
	sun.shot("second-reviewer-409")
	s.waitState(id, domain.StateConfidentiality)

	// sun holds both reviewer roles but decided stage 2 of nothing here; li did.
	// Make sun decide stage 2 of another draft, then try stage 3 of it.
	id2 := wang.submitDraft("社区养老服务站开放公告", body1)
	s.waitState(id2, domain.StateCompliance)
	sun.decide(id2, "approve", "")
	s.waitState(id2, domain.StateConfidentiality)
	sun.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id2)), chromedp.WaitVisible(chromedp.CSS("#cannot-decide")))
	if r := sun.text("#cannot-decide"); !strings.Contains(r, "两个环节") {
		t.Fatalf("two-stage rule: %q", r)
	}
	sun.shot("two-stages-refused")

	// Publish the script-titled draft and check the public pages escape it.
	zhao := s.as("zhao")
	zhao.decide(id, "approve", "")
	s.waitState(id, domain.StatePublished)
	zhao.do(chromedp.Navigate(fmt.Sprintf("%s/public/items/%d", s.base, id)))
	if v := zhao.eval(`String(window.__x)`); v != "undefined" {
		t.Fatalf("public page ran the script: %s", v)
	}
	if !strings.Contains(zhao.html(), "&lt;script&gt;") {
		t.Fatal("public page does not escape the title")
	}
	// Sign-out ends the session: the next page asks to sign in again.
	wang.do(chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.Navigate(s.base+"/web/drafts"), chromedp.WaitVisible(chromedp.CSS("#signin")))
	_ = time.Second
}

// TestKeyboardOnly signs in and decides with the keyboard alone.
func TestKeyboardOnly(t *testing.T) {
	s := startSite(t)
	if s.alloc == nil {
		s.alloc = browser(t)
	}
	ctx, cancel := chromedp.NewContext(s.alloc, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	p := &person{s: s, name: "li-keyboard", ctx: ctx}
	p.do(chromedp.Navigate(s.base+"/web/login"), chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.KeyEvent("li"), chromedp.KeyEvent(kb.Tab))
	if id := p.eval(`document.activeElement.id`); id != "password" {
		t.Fatalf("Tab from the name went to %q", id)
	}
	p.do(chromedp.KeyEvent(password+kb.Enter), chromedp.WaitVisible(chromedp.CSS("#logout")))
	wang := s.as("wang")
	id := wang.submitDraft("关于调整社区服务中心开放时间的公告", body1)
	s.waitState(id, domain.StateCompliance)
	p.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#decide-form")),
		chromedp.Focus(chromedp.CSS("#comment")))
	// From the comment, Tab reaches the return's reason, the reject's and
	// then the approve button.
	p.do(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	if id := p.eval(`document.activeElement.id`); id != "approve" {
		t.Fatalf("Tab order reached %q, want approve", id)
	}
	p.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("#flash")))
	s.waitState(id, domain.StateConfidentiality)
}
