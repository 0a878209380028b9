package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestSessionExpiryKeepsEveryForm: not only the draft form — a reviewer's
// decision comment, the column's 指南 (thousands of characters), the word
// list and a case's 补正 note are typed, the person's session ends while
// the form is open (its row revoked, as an idle timeout would), and the
// form is submitted: nothing is applied; after signing in again the person
// is back on the form's page with what they typed in the form it was typed
// in, and a message at the form saying what happened. The copy is put back
// once. Screenshots at 1280 px.
func TestSessionExpiryKeepsEveryForm(t *testing.T) {
	s, caseID := caseSite(t)
	ctx := context.Background()
	wang := s.as("wang")
	id := wang.submitDraft("关于做好春节期间安全工作的通知", body1)
	s.waitState(id, domain.StateCompliance)

	// A reviewer's return: the comment and the return's reason.
	li := s.as("li")
	comment := "请补充春节期间的值班安排和联系人。"
	li.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", s.base, id)), chromedp.WaitVisible(chromedp.CSS("#decide-form")),
		chromedp.SendKeys(chromedp.CSS("#comment"), comment), chromedp.SetValue(chromedp.CSS("#return-reason"), "incomplete"))
	li.expireAndPress("#return")
	if d, err := s.sys.Store.Draft(ctx, id); err != nil || d.State != domain.StateCompliance {
		t.Fatalf("the draft after a return posted without a session: %s (%v)", d.State, err)
	}
	li.signInAgain("#decide-form #form-restored")
	if got := li.eval(`[document.querySelector('#comment').value, document.querySelector('#return-reason').value].join('|')`); got != comment+"|incomplete" {
		t.Errorf("the decision form after signing in again: %q", got)
	}
	li.saysExpired()
	li.shot("decision-restored")
	li.do(chromedp.Click(chromedp.CSS("#return")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	s.waitState(id, domain.StateReturned)

	// The column's 指南: long, typed over what was saved.
	admin := s.as("admin")
	guide := strings.Repeat("申请人可以通过网上申请、信函或当面提交等方式提出政府信息公开申请。", 120)
	admin.do(chromedp.Navigate(s.base+"/web/admin/site"), chromedp.WaitVisible(chromedp.CSS("#site-form")),
		chromedp.SetValue(chromedp.CSS("#guide"), guide), chromedp.SendKeys(chromedp.CSS("#sponsor"), "某街道办事处"))
	admin.expireAndPress("#site-save")
	if st, err := s.sys.Store.AgencySite(ctx, 1); err != nil || st.Guide != "" {
		t.Fatalf("the guide was saved without a session: %d characters (%v)", len([]rune(st.Guide)), err)
	}
	admin.signInAgain("#site-form #form-restored")
	if got := admin.eval(`document.querySelector('#guide').value`); got != guide {
		t.Errorf("the guide after signing in again: %d characters, want %d", len([]rune(got)), len([]rune(guide)))
	}
	if got := admin.eval(`document.querySelector('#sponsor').value`); got != "某街道办事处" {
		t.Errorf("the sponsor after signing in again: %q", got)
	}
	admin.saysExpired()
	admin.shot("site-restored")
	admin.do(chromedp.Click(chromedp.CSS("#site-save")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if st, _ := s.sys.Store.AgencySite(ctx, 1); st.Guide != guide {
		t.Errorf("the guide submitted again: %d characters", len([]rune(st.Guide)))
	}

	// The word list: the agency's form (of the page's two that post alike).
	words := "内部资料\n绝密\n仅限内部传阅"
	admin.do(chromedp.Navigate(s.base+"/web/admin/words"), chromedp.WaitVisible(chromedp.CSS("#words")),
		chromedp.SetValue(chromedp.CSS("#words"), words))
	admin.expireAndPress(`section[aria-labelledby="agency-words-h"] button[type="submit"]`)
	if n := s.count(`SELECT count(*) FROM word_lists WHERE agency_id = 1`); n != 0 {
		t.Fatalf("%d word lists saved without a session", n)
	}
	admin.signInAgain(`section[aria-labelledby="agency-words-h"] form #form-restored`)
	if got := admin.eval(`document.querySelector('#words').value`); got != words {
		t.Errorf("the word list after signing in again: %q", got)
	}
	admin.saysExpired()
	admin.shot("words-restored")
	// Put back once: the page again is the saved list, no message.
	admin.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#words")))
	if admin.exists("#form-restored") || admin.eval(`document.querySelector('#words').value`) == words {
		t.Error("the kept word list comes back twice")
	}

	// A case's 补正 note: one of the case page's many forms that post to
	// the same address, told apart by their action.
	zheng := s.as("zheng")
	note := "请补充身份证明材料复印件，并写明所需信息的文号或名称。"
	zheng.do(chromedp.Navigate(fmt.Sprintf("%s/web/applications/%d", s.base, caseID)), chromedp.WaitVisible(chromedp.CSS("#act-supplement")),
		chromedp.SetValue(chromedp.CSS("#s-note"), note))
	zheng.expireAndPress("#act-supplement button[type=submit]")
	if n := s.count(fmt.Sprintf(`SELECT count(*) FROM applications WHERE id = %d AND supplement_requested_on IS NOT NULL`, caseID)); n != 0 {
		t.Fatal("the 补正 was recorded without a session")
	}
	zheng.signInAgain("#act-supplement #form-restored")
	if got := zheng.eval(`document.querySelector('#s-note').value`); got != note {
		t.Errorf("the 补正 note after signing in again: %q", got)
	}
	if got := zheng.eval(`document.activeElement.id`); got != "s-note" {
		t.Errorf("the focus after signing in again: %q", got)
	}
	zheng.saysExpired()
	zheng.shot("case-restored")
	if n := s.count(`SELECT count(*) FROM kept_forms`); n != 0 {
		t.Errorf("%d kept forms left after they were put back", n)
	}
}

// expireAndPress ends the person's session on the server (its row
// revoked, as an idle timeout ends it) and presses a form's button: the
// sign-in page answers.
func (p *person) expireAndPress(button string) {
	p.s.t.Helper()
	if _, err := p.s.sys.Store.Pool.Exec(context.Background(),
		`UPDATE sessions SET revoked_at = now() WHERE user_id = (SELECT id FROM users WHERE name = $1)`, p.name); err != nil {
		p.s.t.Fatal(err)
	}
	p.do(chromedp.Click(chromedp.CSS(button)), chromedp.WaitVisible(chromedp.CSS("#signin")))
}

// signInAgain signs in on the sign-in page the browser is on (the second
// factor too) and waits for the page it goes back to to show sel.
func (p *person) signInAgain(sel string) {
	p.s.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS("#name"), p.name), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signin")), chromedp.WaitVisible(chromedp.CSS("#verify-code, #logout")))
	if p.exists("#verify-code") {
		code, _ := p.s.code(p.name)
		p.do(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("#verify-code")))
	}
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

// saysExpired checks the message put at the restored form.
func (p *person) saysExpired() {
	p.s.t.Helper()
	if msg := p.text("#form-restored"); !strings.Contains(msg, "登录已过期") || !strings.Contains(msg, "重新提交") {
		p.s.t.Errorf("%s: the message at the form: %q", p.name, msg)
	}
}

// TestRefusalsKeepTheForm: a form refused for what it says comes back as
// typed, the field at fault marked (aria-invalid, aria-describedby the
// message, which stands at the form) and focused — the word list (a word
// too long), a department added or renamed to a name taken, a case's
// record (a 补正 without its matter, an outcome dated before the letter
// came) — where each once was a bare error page or a flash that lost it.
// Screenshots at 1280 px, and the case page at 390.
func TestRefusalsKeepTheForm(t *testing.T) {
	s, caseID := caseSite(t)
	admin := s.as("admin")
	long := strings.Repeat("长", 51)
	words := "内部资料\n" + long + "\n绝密"
	admin.do(chromedp.Navigate(s.base+"/web/admin/words"), chromedp.WaitVisible(chromedp.CSS("#words")),
		chromedp.SetValue(chromedp.CSS("#words"), words),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="agency-words-h"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#words[aria-invalid="true"]`)))
	admin.refusedAt("words", words, "超过50个字")
	admin.shot("words-refused")

	admin.do(chromedp.Navigate(s.base+"/web/admin/departments"), chromedp.WaitVisible(chromedp.CSS("#d-name")),
		chromedp.SendKeys(chromedp.CSS("#d-name"), "综合办"), chromedp.Click(chromedp.CSS("#d-name ~ button")),
		chromedp.WaitVisible(chromedp.CSS(`#d-name[aria-invalid="true"]`)))
	admin.refusedAt("d-name", "综合办", "该科室已存在")
	admin.shot("department-exists")
	rename := admin.eval(`document.querySelector('#departments input[value="综合办"]').id`)
	admin.do(chromedp.SetValue(chromedp.CSS("#"+rename), "执法队"), chromedp.Click(chromedp.CSS("#"+rename+" ~ button")),
		chromedp.WaitVisible(chromedp.CSS("#"+rename+`[aria-invalid="true"]`)))
	admin.refusedAt(rename, "执法队", "该科室已存在")
	if n := s.count(`SELECT count(*) FROM departments WHERE name = '执法队'`); n != 1 {
		t.Errorf("%d departments named 执法队", n)
	}

	zheng := s.as("zheng")
	page := fmt.Sprintf("%s/web/applications/%d", s.base, caseID)
	zheng.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#act-supplement")),
		chromedp.SetValue(chromedp.CSS("#s-note"), "   "), chromedp.Click(chromedp.CSS("#act-supplement button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#s-note[aria-invalid="true"]`)))
	zheng.refusedAt("s-note", "   ", "请写明需要申请人补正的事项")
	note := "全部公开，答复书另行送达。"
	zheng.do(chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#act-outcome")),
		chromedp.SetValue(chromedp.CSS("#o-outcome"), "disclosed"), chromedp.SetValue(chromedp.CSS("#o-note"), note),
		chromedp.SetValue(chromedp.CSS("#o-on"), "2020-01-01"), chromedp.Click(chromedp.CSS("#act-outcome button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#o-on[aria-invalid="true"]`)))
	zheng.refusedAt("o-on", "2020-01-01", "早于收到申请之日")
	if got := zheng.eval(`document.querySelector('#o-note').value`); got != note {
		t.Errorf("the outcome's note after the refusal: %q", got)
	}
	zheng.shot("case-refused")
	zheng.do(chromedp.EmulateViewport(390, 844))
	zheng.shot("case-refused-390")
	zheng.do(chromedp.EmulateViewport(1280, 900))
}

// refusedAt checks a refused form: the field id holds value, is marked,
// described by the message (which says want and stands in the field's
// form) and has the focus.
func (p *person) refusedAt(id, value, want string) {
	p.s.t.Helper()
	got := p.eval(fmt.Sprintf(`(() => { const f = document.getElementById(%q), m = document.getElementById('error');
		return [f.value, f.getAttribute('aria-invalid'), (f.getAttribute('aria-describedby') || '').split(' ').includes('error'),
			document.activeElement === f, !!m && m.closest('form') === f.form].join('|'); })()`, id))
	if got != value+"|true|true|true|true" {
		p.s.t.Errorf("%s: the refused field %s: value, marked, described, focused, message at its form: %q", p.name, id, got)
	}
	if msg := p.text("#error"); !strings.Contains(msg, want) {
		p.s.t.Errorf("%s: the refusal of %s says %q, want %q", p.name, id, msg, want)
	}
}
