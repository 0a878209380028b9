package web_test

import (
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
