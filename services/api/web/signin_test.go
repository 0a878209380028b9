package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// client is a plain HTTP browser stand-in with a cookie jar.
type client struct {
	t    *testing.T
	base string
	site *site // the people's second factors
	http *http.Client
	hdr  http.Header
}

// client is a browser stand-in for the site.
func (s *site) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: s.t, base: s.base, site: s, hdr: http.Header{}, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) req(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.hdr {
		r.Header[k] = v
	}
	res, err := c.http.Do(r)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn posts the sign-in form and returns the response.
func (c *client) signIn(name, pw string) *http.Response {
	c.t.Helper()
	_, page := c.req("GET", "/web/login", nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no login token in %s", page)
	}
	res, _ := c.req("POST", "/web/login", url.Values{"_csrf": {m[1]}, "name": {name}, "password": {pw}})
	if res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") == "/web/login/code" {
		// The second factor: the code the person's app shows.
		code, ok := c.site.code(name)
		if !ok {
			c.t.Fatalf("%s is asked for a code, but has no second factor in the fixture", name)
		}
		_, page := c.req("GET", "/web/login/code", nil)
		m := csrfField.FindStringSubmatch(page)
		if m == nil {
			c.t.Fatalf("no CSRF token on the code page: %s", page)
		}
		res, _ = c.req("POST", "/web/login/code", url.Values{"_csrf": {m[1]}, "code": {code}})
	}
	return res
}

func cookie(res *http.Response, name string) *http.Cookie {
	for _, ck := range res.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func TestSignInSessionAndRateLimit(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	c := s.client()

	res := c.signIn("wang", password)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	ck := cookie(res, "sanshen")
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Fatalf("session cookie: %+v", ck)
	}
	first := ck.Value
	if r, _ := c.req("GET", "/web/drafts", nil); r.StatusCode != 200 {
		t.Fatalf("signed-in page: %d", r.StatusCode)
	}
	// Signing in again issues a new session id and ends the old session.
	res = c.signIn("wang", password)
	if ck := cookie(res, "sanshen"); ck == nil || ck.Value == first {
		t.Fatalf("sign-in kept the old session id: %d %+v", res.StatusCode, res.Cookies())
	}
	old := s.client()
	u, _ := url.Parse(s.base)
	old.http.Jar.SetCookies(u, []*http.Cookie{{Name: "sanshen", Value: first}})
	if r, _ := old.req("GET", "/web/drafts", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the replaced session still works: %d", r.StatusCode)
	}

	// A client's own X-Forwarded-Proto is not believed: only a trusted
	// proxy's is (SANSHEN_TRUSTED_PROXIES; services/api/security tests it).
	spoof := s.client()
	spoof.hdr.Set("X-Forwarded-Proto", "https")
	if res, _ := spoof.req("GET", "/web/login", nil); cookie(res, "sanshen_login") == nil || cookie(res, "sanshen_login").Secure {
		t.Fatalf("a client's X-Forwarded-Proto was believed: %+v", res.Cookies())
	}

	// A state-changing request without the CSRF token is refused.
	if r, _ := c.req("POST", "/web/logout", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF token: %d", r.StatusCode)
	}

	// Failed sign-ins are audited and, after five, refused for a while.
	bad := s.client()
	for i := range 5 {
		if r := bad.signIn("zhao", "wrong-password"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d: %d", i, r.StatusCode)
		}
	}
	if r := bad.signIn("zhao", password); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("sign-in after five failures: %d (the right password must wait too)", r.StatusCode)
	}
	var n int
	if err := s.sys.Store.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM audit_events WHERE action = 'signin_failed' AND actor = 'zhao'`).Scan(&n); err != nil || n != 6 {
		t.Fatalf("audited failed sign-ins: %d %v", n, err)
	}

	// An admin resets a password: the user's sessions end, the new one works.
	hash := hashOf(t, "a-new-password-1")
	u2, _, _ := s.sys.Store.UserForSignIn(context.Background(), "wang")
	if err := s.sys.Store.SetPassword(context.Background(), domain.Actor{Name: "admin", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}, u2.ID, hash); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.req("GET", "/web/drafts", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("session survived a password reset: %d", r.StatusCode)
	}
	if r := s.client().signIn("wang", "a-new-password-1"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("new password: %d", r.StatusCode)
	}
	// Idle for longer than the idle timeout, or past the absolute one: signed out.
	for _, expire := range []string{
		`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE revoked_at IS NULL`,
		`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL`,
	} {
		fresh := s.client()
		fresh.signIn("sun", password)
		if r, _ := fresh.req("GET", "/web/audit", nil); r.StatusCode == http.StatusSeeOther {
			t.Fatal("fresh session refused")
		}
		if _, err := s.sys.Store.Pool.Exec(context.Background(), expire); err != nil {
			t.Fatal(err)
		}
		if r, _ := fresh.req("GET", "/web/drafts", nil); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/web/login") {
			t.Fatalf("after %q: %d %s", expire, r.StatusCode, r.Header.Get("Location"))
		}
	}
}

func TestLocalesComplete(t *testing.T) {
	t.Parallel()
	// Every page in both languages renders without a missing key showing.
	s := startSite(t)
	for _, lang := range []string{"zh", "en"} {
		c := s.client()
		u, _ := url.Parse(s.base)
		c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang}})
		c.signIn("admin", password)
		wang, _ := s.sys.Store.PersonByName(context.Background(), "wang")
		for _, p := range []string{"/web/admin/users", "/web/admin/departments", "/web/admin/deadletters", "/web/admin/words", "/web/admin/publications", "/web/admin/channels", "/web/audit", "/web/review", "/web/admin/policy",
			"/web/account", "/web/admin/users/" + strconv.FormatInt(wang.ID, 10)} {
			r, body := c.req("GET", p, nil)
			if r.StatusCode != 200 {
				t.Fatalf("%s %s: %d", lang, p, r.StatusCode)
			}
			if m := regexp.MustCompile(`\b(nav|users|audit|words|deadletters|departments|field|state|rule|input|account|tokens|person|locks|enrol|code|recovery|review|review_policy|validity)\.[a-z_]+\b`).FindString(body); m != "" {
				t.Errorf("%s %s shows an untranslated key %q", lang, p, m)
			}
		}
	}
}

func TestResolveUnknownPublication(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	officer, _, _ := s.sys.Store.UserForSignIn(ctx, "wang")
	d, err := s.sys.Store.Submit(ctx, officer.Actor(), officer.Departments[0], domain.Content{Title: "关于春节值班安排的通知",
		Body: "春节期间值班安排如下，请各科室遵照执行。", Department: "综合办", Category: "news",
		Channels: []domain.Channel{domain.ChannelWebsite, domain.ChannelWeChat}, FormedOn: time.Now().UTC().Truncate(24 * time.Hour)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A publisher died mid-send: the WeChat row is unknown.
	if _, err := s.sys.Store.Pool.Exec(ctx, `INSERT INTO publications (draft_id, revision, channel, status, attempts) VALUES ($1, 1, 'wechat', 'unknown', 1)`, d.ID); err != nil {
		t.Fatal(err)
	}
	c := s.client()
	c.signIn("admin", password)
	_, page := c.req("GET", "/web/admin/publications", nil)
	if !strings.Contains(page, "关于春节值班安排的通知") {
		t.Fatalf("the open publication is not listed")
	}
	token := csrfField.FindStringSubmatch(page)[1]
	form := url.Values{"_csrf": {token}, "draft": {strconv.FormatInt(d.ID, 10)}, "channel": {"wechat"}, "outcome": {"delivered"}, "url": {"https://mp.weixin.qq.com/s/x"}}
	if r, _ := c.req("POST", "/web/admin/publications/resolve", form); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("resolution without a note: %d", r.StatusCode)
	}
	form.Set("note", "已在公众号后台群发记录中核实")
	if r, _ := c.req("POST", "/web/admin/publications/resolve", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %d", r.StatusCode)
	}
	var status string
	if err := s.sys.Store.Pool.QueryRow(ctx, `SELECT status FROM publications WHERE draft_id = $1 AND channel = 'wechat'`, d.ID).Scan(&status); err != nil || status != "delivered" {
		t.Fatalf("status after resolve: %q %v", status, err)
	}
	if _, page = c.req("GET", "/web/admin/publications", nil); strings.Contains(page, "关于春节值班安排的通知") {
		t.Fatal("the resolved publication is still listed")
	}
}
