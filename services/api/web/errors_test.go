package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// wantErrorPage checks that an error of a staff page is a page: HTML in
// the staff layout with the status given, its heading and its way back,
// and nothing of the JSON answer the API gives.
func wantErrorPage(t *testing.T, what string, res *http.Response, body string, status int, heading, back string) {
	t.Helper()
	if res.StatusCode != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("%s: %d %s; want %d and a page: %s", what, res.StatusCode, res.Header.Get("Content-Type"), status, body)
		return
	}
	if !strings.Contains(body, `<h1 id="error-heading">`+heading+`</h1>`) || !strings.Contains(body, `<p class="error" role="alert" id="error">`) ||
		!strings.Contains(body, `id="error-home">`+back+`</a>`) {
		t.Errorf("%s: the page has no heading %q, message or link %q: %s", what, heading, back, body)
	}
	if strings.Contains(body, `"code"`) || strings.Contains(body, "not_found") || strings.Contains(body, "internal error") {
		t.Errorf("%s: the page shows the JSON answer: %s", what, body)
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("%s: no Content-Security-Policy on the page: %v", what, res.Header)
	}
}

// TestStaffErrorPages: an address under /web that no page answers, a page
// that fails, a post over the size limit are pages in the staff layout,
// in the person's language, with the right status and a link back (the
// workbench for someone signed in); the API's errors stay JSON.
func TestStaffErrorPages(t *testing.T) {
	t.Parallel()
	s := startSite(t)

	// Signed out, an address under /web asks to sign in first (and then
	// shows the page below); a post over the size limit is refused at once.
	anon := s.client()
	res, _ := anon.req("GET", "/web/nosuch", nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/web/login?next=%2Fweb%2Fnosuch" {
		t.Errorf("no such page, signed out: %d %s", res.StatusCode, loc)
	}
	big := url.Values{"title": {"超长"}, "body": {strings.Repeat("字", 100_000)}}
	res, body := anon.req("POST", "/web/login", big)
	wantErrorPage(t, "a body over the limit, signed out", res, body, http.StatusRequestEntityTooLarge, "提交的内容过大", "返回首页")

	wang := s.client()
	wang.signIn("wang", password)
	res, body = wang.req("GET", "/web/nosuch", nil)
	wantErrorPage(t, "no such page", res, body, http.StatusNotFound, "未找到该页面", "返回工作台")
	if !strings.Contains(body, `id="logout"`) || !strings.Contains(body, `href="/web/drafts/new"`) {
		t.Errorf("the page is not in the staff layout of the signed-in officer: %s", body)
	}
	// An address that takes a form only, opened as a page.
	res, body = wang.req("GET", "/web/drafts/1/decide", nil)
	switch res.StatusCode {
	case http.StatusNotFound:
		wantErrorPage(t, "a form's address", res, body, http.StatusNotFound, "未找到该页面", "返回工作台")
	default:
		wantErrorPage(t, "a form's address", res, body, http.StatusMethodNotAllowed, "该地址不能直接打开", "返回工作台")
	}
	// A body over the limit, refused before the pages' own middleware ran:
	// still the signed-in person's page.
	res, body = wang.req("POST", "/web/drafts", big)
	wantErrorPage(t, "a body over the limit", res, body, http.StatusRequestEntityTooLarge, "提交的内容过大", "返回工作台")
	if !strings.Contains(body, `id="logout"`) {
		t.Errorf("the 413 page does not know who is signed in: %s", body)
	}

	// In English for someone who reads English.
	en := s.client()
	u, _ := url.Parse(s.base)
	en.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: "en"}})
	en.signIn("chen", password)
	res, body = en.req("GET", "/web/nosuch", nil)
	wantErrorPage(t, "no such page, in English", res, body, http.StatusNotFound, "Page not found", "Back to your work")

	// The API answers JSON, as before.
	res, body = anon.req("GET", "/api/v1/drafts", nil)
	if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"unauthorized"`) {
		t.Errorf("the API's 401: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}

	// A failure no page handles: 系统繁忙, never the JSON "internal".
	s.exec(`ALTER TABLE draft_saves RENAME TO draft_saves_away`)
	res, body = wang.req("GET", "/web/drafts", nil)
	wantErrorPage(t, "a failing page", res, body, http.StatusInternalServerError, "系统繁忙", "返回工作台")
	s.exec(`ALTER TABLE draft_saves_away RENAME TO draft_saves`)
}

// TestSignInAgainAfterAFormPost: a form posted after the session ended
// (a recall, a decision) asks to sign in again and then goes back to a
// page that opens: the page the form was on, or the draft's page, never
// the form's address, which takes a post only.
func TestSignInAgainAfterAFormPost(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	res, _ := wang.req("POST", "/web/drafts", wang.draftForm("登录过期后撤回的稿件"))
	var id int64
	if _, err := fmt.Sscanf(res.Header.Get("Location"), "/web/drafts/%d", &id); err != nil {
		t.Fatalf("submitting: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	draftPage := fmt.Sprintf("/web/drafts/%d", id)
	_, page := wang.req("GET", draftPage, nil)
	csrf := csrfField.FindStringSubmatch(page)[1]
	s.exec(`UPDATE sessions SET revoked_at = now()`)

	for _, c := range []struct {
		what, referer, path, next string
	}{
		{"no Referer", "", draftPage + "/recall", draftPage},
		{"the page the form was on", s.base + "/web/queue?stage=compliance", draftPage + "/decide", "/web/queue?stage=compliance"},
		{"another site's Referer", "http://elsewhere.example/web/queue", "/web/admin/notifications/deliveries/3/acknowledge", "/web/admin/notifications"},
		{"a Referer that takes a post only", s.base + draftPage + "/decide", draftPage + "/decide", draftPage},
		{"a saved form's discard", "", "/web/drafts/saved/abcdefghijklmnopqrst/discard", "/web/drafts"},
		{"signing out", "", "/web/logout", "/web/"},
	} {
		wang.hdr.Del("Referer")
		if c.referer != "" {
			wang.hdr.Set("Referer", c.referer)
		}
		res, _ := wang.req("POST", c.path, url.Values{"_csrf": {csrf}, "decision": {"approve"}})
		if want := "/web/login?next=" + url.QueryEscape(c.next); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("%s: POST %s after the session ended: %d %s; want %s", c.what, c.path, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	wang.hdr.Del("Referer")

	// Signing in again goes to the draft's page, which opens.
	res, _ = wang.req("POST", draftPage+"/recall", url.Values{"_csrf": {csrf}})
	next, _ := url.Parse(res.Header.Get("Location"))
	_, login := wang.req("GET", next.RequestURI(), nil)
	m := csrfField.FindStringSubmatch(login)
	if m == nil || !strings.Contains(login, `value="`+draftPage+`"`) {
		t.Fatalf("the sign-in form does not carry where to go: %s", login)
	}
	res, _ = wang.req("POST", "/web/login", url.Values{"_csrf": {m[1]}, "name": {"wang"}, "password": {password}, "next": {next.Query().Get("next")}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != draftPage {
		t.Fatalf("signed in again: %d %s; want %s", res.StatusCode, loc, draftPage)
	}
	if res, _ := wang.req("GET", draftPage, nil); res.StatusCode != http.StatusOK {
		t.Errorf("the page signing in went back to: %d", res.StatusCode)
	}
}

// TestErrorPageInTheBrowser: the page of an address that does not exist
// reads in Chinese alone, passes axe-core, and its link goes back to the
// person's work.
func TestErrorPageInTheBrowser(t *testing.T) {
	s := startSite(t)
	wang := s.as("wang")
	wang.do(chromedp.Navigate(s.base+"/web/drafts/12345/nosuch"), chromedp.WaitVisible(chromedp.CSS("#error-heading")))
	if h := wang.text("#error-heading"); h != "未找到该页面" {
		t.Errorf("the heading: %q", h)
	}
	if words := wang.eval(englishWords); words != "" {
		t.Errorf("the error page shows English: %s", words)
	}
	if v := wang.axe(); v != "" {
		t.Errorf("the error page has accessibility violations (axe-core, WCAG 2.1 AA): %s", v)
	}
	wang.shot("not-found")
	wang.do(chromedp.Click(chromedp.CSS("#error-home")), chromedp.WaitNotPresent(chromedp.CSS("#error-heading")))
	if loc := wang.eval(`location.pathname`); loc != "/web/drafts" {
		t.Errorf("the link back goes to %s; want the officer's drafts", loc)
	}
}
