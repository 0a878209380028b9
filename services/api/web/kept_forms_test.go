package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pageForm is the fields a page's forms carry (its CSRF token and its
// person's sealed form token: every form has them) with fields set.
func (c *client) pageForm(path string, fields url.Values) url.Values {
	c.t.Helper()
	res, page := c.req("GET", path, nil)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d", path, res.StatusCode)
	}
	for name, re := range map[string]*regexp.Regexp{"_csrf": csrfField, "form_key": formKeyField, "form_token": formTokenField, "form_user": formUserField} {
		m := re.FindStringSubmatch(page)
		if m == nil {
			c.t.Fatalf("%s: the page's forms have no %s", path, name)
		}
		fields.Set(name, m[1])
	}
	c.hdr.Set("Referer", c.base+path)
	return fields
}

// TestKeptFormsHTTP: a staff form posted after the session expired is
// kept for its token's person, without its passwords, and applies nothing;
// signing in again leads back to its page, which puts it back once; a
// forged token keeps nothing, another person's key and a copy over a day
// old put nothing back.
func TestKeptFormsHTTP(t *testing.T) {
	s := startSite(t)
	admin := s.client()
	admin.signIn("admin", password)
	f := admin.pageForm("/web/admin/users", url.Values{"name": {"赵六"}, "roles": {"officer"}, "password": {"a-new-secret-9"}})
	key := f.Get("form_key")
	s.exec(`UPDATE sessions SET revoked_at = now()`)

	forged := url.Values{}
	for k, v := range f {
		forged[k] = v
	}
	forged.Set("form_user", strconv.FormatInt(s.userID("wang"), 10))
	if res, _ := admin.req("POST", "/web/admin/users", forged); strings.Contains(res.Header.Get("Location"), "restore") {
		t.Errorf("a forged token: %s", res.Header.Get("Location"))
	}
	res, _ := admin.req("POST", "/web/admin/users", f)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/web/login?next="+url.QueryEscape("/web/admin/users?restore="+key) {
		t.Fatalf("after expiry: %d %s", res.StatusCode, loc)
	}
	if n := s.count(`SELECT count(*) FROM kept_forms`); n != 1 {
		t.Fatalf("%d kept forms; want 1 (the forged token keeps none)", n)
	}
	if n := s.count(`SELECT count(*) FROM kept_forms WHERE form ? 'password' OR form::text LIKE '%a-new-secret-9%'`); n != 0 {
		t.Error("the password was kept")
	}
	if n := s.count(`SELECT count(*) FROM users WHERE name = '赵六'`); n != 0 {
		t.Error("the form was applied without a session")
	}

	// Another person's key puts back nothing, and leaves it.
	wang := s.client()
	wang.signIn("wang", password)
	if _, page := wang.req("GET", "/web/?restore="+key, nil); strings.Contains(page, "posted-form") {
		t.Error("another person's kept form comes back")
	}
	admin.hdr.Del("Referer")
	admin.signIn("admin", password)
	_, page := admin.req("GET", "/web/admin/users?restore="+key, nil)
	if !strings.Contains(page, `id="form-restored"`) || !strings.Contains(page, `data-action="/web/admin/users"`) ||
		!strings.Contains(page, "赵六") || strings.Contains(page, "a-new-secret-9") {
		t.Errorf("the users page does not put the form back: %s", page)
	}
	if _, again := admin.req("GET", "/web/admin/users?restore="+key, nil); strings.Contains(again, "posted-form") {
		t.Error("the kept form comes back twice")
	}

	// A day old: gone.
	g := admin.pageForm("/web/admin/words", url.Values{"scope": {"agency"}, "words": {"旧词"}})
	s.exec(`UPDATE sessions SET revoked_at = now()`)
	admin.req("POST", "/web/admin/words", g)
	s.exec(`UPDATE kept_forms SET created_at = now() - interval '25 hours'`)
	admin.hdr.Del("Referer")
	admin.signIn("admin", password)
	if _, page := admin.req("GET", "/web/admin/words?restore="+g.Get("form_key"), nil); strings.Contains(page, "posted-form") {
		t.Error("a kept form over a day old comes back")
	}
}

// TestLockClearRefusedInPlace: clearing a sign-in brake that is refused
// goes back to the page the table is on, with the rule said there.
func TestLockClearRefusedInPlace(t *testing.T) {
	s := startSite(t)
	admin := s.client()
	admin.signIn("admin", password)
	f := admin.pageForm("/web/admin/users", url.Values{"back": {"/web/admin/users"}})
	res, _ := admin.req("POST", "/web/admin/signin-locks/clear", f)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/web/admin/users" {
		t.Fatalf("a refused clear: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, page := admin.req("GET", "/web/admin/users", nil); !strings.Contains(page, `class="flash bad"`) {
		t.Error("the users page does not say the refusal")
	}
}
