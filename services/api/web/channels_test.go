package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/channels/douyin/fakedouyin"
	"github.com/sanshen-gov/sanshen/internal/config"
)

// TestDouyinConnect: an admin connects the office's Douyin account from
// the channels page: the button leads to Douyin's authorisation, Douyin
// sends the admin back with a code and the state, and the tokens are
// stored; the page then shows until when the authorisation holds. A
// callback whose state was not issued to this browser is refused.
func TestDouyinConnect(t *testing.T) {
	t.Parallel()
	fake := fakedouyin.New(fakedouyin.Options{ClientKey: "dy-key", ClientSecret: "dy-secret"})
	ds := httptest.NewServer(fake)
	t.Cleanup(ds.Close)
	s := startSiteWith(t, func(cfg *config.Config) {
		cfg.DouyinClientKey, cfg.DouyinClientSecret, cfg.DouyinURL = "dy-key", "dy-secret", ds.URL
	})
	c := s.client()
	c.signIn("admin", password)
	_, page := c.req("GET", "/web/admin/channels", nil)
	if !strings.Contains(page, "未连接账号") || !strings.Contains(page, `id="connect-douyin"`) || !strings.Contains(page, "未配置") {
		t.Fatalf("the channels page before connecting:\n%s", page)
	}
	csrf := csrfField.FindStringSubmatch(page)[1]

	// A forged callback: no state cookie of this browser.
	if r, _ := c.req("GET", "/web/admin/channels/douyin/callback?code=x&state=y", nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("a callback with a state never issued: %d", r.StatusCode)
	}

	r, _ := c.req("POST", "/web/admin/channels/douyin/connect", url.Values{"_csrf": {csrf}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, ds.URL+"/platform/oauth/connect/") {
		t.Fatalf("connect: %d to %q", r.StatusCode, loc)
	}
	// Douyin's page, after the admin scanned and agreed.
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Path != "/web/admin/channels/douyin/callback" {
		t.Fatalf("Douyin sent the admin to %q", res.Header.Get("Location"))
	}
	if r, _ := c.req("GET", back.RequestURI(), nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", r.StatusCode)
	}
	_, page = c.req("GET", "/web/admin/channels", nil)
	if !strings.Contains(page, "抖音账号已连接") || !strings.Contains(page, "授权有效至") || strings.Contains(page, "未连接账号") {
		t.Errorf("the channels page after connecting:\n%s", page)
	}
	// The same code cannot be used twice.
	if r, _ := c.req("GET", back.RequestURI(), nil); r.StatusCode != http.StatusBadRequest {
		t.Errorf("the callback replayed: %d", r.StatusCode)
	}

	// An officer may not see the page.
	o := s.client()
	o.signIn("wang", password)
	if r, _ := o.req("GET", "/web/admin/channels", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("an officer opened the channels page: %d", r.StatusCode)
	}
}
