package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSettingsRefusalsKeepTheForm: in the browser, a person's access, the
// review periods, the queue limit and a person's notification address,
// refused for what they say, come back as typed, the field at fault
// marked and focused, the message at its form (the browser's own checks
// are turned off, so that the server's refusal is what is seen).
func TestSettingsRefusalsKeepTheForm(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	admin := s.as("admin")
	// What a field of form sel holds, and whether it is marked, described
	// by the message, focused, the message at its form.
	state := func(p *person, field string) string {
		return p.eval(fmt.Sprintf(`(() => { const f = document.querySelector(%q), m = document.getElementById('error');
			return [f.type === 'checkbox' ? String(f.checked) : f.value, f.getAttribute('aria-invalid'),
				(f.getAttribute('aria-describedby') || '').split(' ').includes('error'), document.activeElement === f,
				!!m && m.closest('form') === f.form].join('|'); })()`, field))
	}
	submit := func(p *person, form, marked string) {
		p.eval(fmt.Sprintf(`(() => { const f = document.querySelector(%q); f.noValidate = true; f.requestSubmit(); return ""; })()`, form))
		p.do(chromedp.WaitVisible(chromedp.CSS(marked + `[aria-invalid="true"]`)))
	}

	chen := s.userID("chen")
	admin.do(chromedp.Navigate(fmt.Sprintf("%s/web/admin/users/%d", s.base, chen)), chromedp.WaitVisible(chromedp.CSS("#access-form")))
	checked := admin.eval(`[...document.querySelectorAll('#access-form input[name=departments]')].map(e => e.checked).join(',')`)
	admin.eval(`document.querySelectorAll('#access-form input[name=roles]').forEach(e => e.checked = false); ""`)
	submit(admin, "#access-form", "#access-form input[name=roles]")
	if got := state(admin, "#access-form input[name=roles]"); got != "false|true|true|true|true" {
		t.Errorf("no role: the first role's box: checked, marked, described, focused, message at its form: %q", got)
	}
	if got := admin.eval(`[...document.querySelectorAll('#access-form input[name=roles]')].some(e => e.checked) + "|" +
		[...document.querySelectorAll('#access-form input[name=departments]')].map(e => e.checked).join(',')`); got != "false|"+checked {
		t.Errorf("no role: the roles and departments as posted: %q, want false|%s", got, checked)
	}
	if msg := admin.text("#error"); !strings.Contains(msg, "请至少选择一个角色") {
		t.Errorf("no role: %q", msg)
	}
	admin.shot("access-refused")

	admin.do(chromedp.Navigate(s.base+"/web/admin/policy"), chromedp.WaitVisible(chromedp.CSS("#review-policy-form")),
		chromedp.SetValue(chromedp.CSS("#months-plan"), "7"), chromedp.SetValue(chromedp.CSS("#months-news"), "121"))
	submit(admin, "#review-policy-form", "#months-news")
	if got := state(admin, "#months-news") + " " + admin.eval(`document.querySelector('#months-plan').value`); got != "121|true|true|true|true 7" {
		t.Errorf("a review period too long: %q", got)
	}
	admin.shot("review-policy-refused")

	admin.do(chromedp.Navigate(s.base+"/web/admin/notifications"), chromedp.WaitVisible(chromedp.CSS("#queue-limit")),
		chromedp.SetValue(chromedp.CSS("#days"), "0"))
	submit(admin, "#queue-limit", "#days")
	if got := state(admin, "#days"); got != "0|true|true|true|true" {
		t.Errorf("a queue limit of 0: %q", got)
	}

	wang := s.as("wang")
	wang.do(chromedp.Navigate(s.base+"/web/account/notifications"), chromedp.WaitVisible(chromedp.CSS("#notify-prefs")),
		chromedp.SetValue(chromedp.CSS("#email"), "wang at example"))
	submit(wang, "#notify-prefs", "#email")
	if got := state(wang, "#email"); got != "wang at example|true|true|true|true" {
		t.Errorf("a bad address: %q", got)
	}
	if n := s.count(`SELECT count(*) FROM audit_events WHERE action IN ('user_access', 'review_policy_set')`); n != 0 {
		t.Errorf("%d refused changes audited", n)
	}
}
