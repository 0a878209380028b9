package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/api"
	"github.com/sanshen-gov/sanshen/services/api/web"
)

// pages serves the JSON API and the pages on one server over the
// harness's store, as system.Start wires them, and signs the cast in by
// sessions made in the store.
type pages struct {
	t    *testing.T
	base string
	http *http.Client
}

func newPages(t *testing.T, h *harness) *pages {
	t.Helper()
	srv := &api.Server{Store: h.store, Calendar: calendar.Official(), Metrics: metrics.New(), Log: testenv.Logger(t),
		MaxBodySize: maxBody, PublicURL: "http://public.test"}
	e := srv.Routes()
	ctx, stop := context.WithCancel(context.Background())
	w := &web.Web{Store: h.store, Calendar: calendar.Official(), Log: testenv.Logger(t), Metrics: srv.Metrics, Sealer: testSealer(t),
		Passwords: password.NewHasher(password.Test, 0)}
	if err := w.Register(ctx, e); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(func() { hs.Close(); stop() })
	return &pages{t: t, base: hs.URL, http: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// session is a cast member's signed-in page session.
type session struct {
	p         *pages
	sid, csrf string
}

func (p *pages) as(h *harness, who string) *session {
	p.t.Helper()
	ctx := context.Background()
	u, err := h.store.UserByToken(ctx, h.tokens[who])
	if err != nil {
		p.t.Fatal(err)
	}
	sid, sess, err := h.store.CreateSession(ctx, u, time.Hour, "test", "127.0.0.1")
	if err != nil {
		p.t.Fatal(err)
	}
	return &session{p: p, sid: sid, csrf: sess.CSRF}
}

func (s *session) req(method, path string, form url.Values) (*http.Response, string) {
	s.p.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("_csrf", s.csrf)
		body = strings.NewReader(form.Encode())
	}
	r, _ := http.NewRequest(method, s.p.base+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Header.Set("Cookie", "sanshen="+s.sid)
	res, err := s.p.http.Do(r)
	if err != nil {
		s.p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// The pages of the periodic review: the head's queue (their department's
// only), keep, the validity from the queue and the draft page, the
// review periods on the settings page; each decision in the trail.
func TestReviewPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	p := newPages(t, h)
	today := checks.Today(time.Now())
	norm := h.publishedAs("关于印发《社区公共空间管理办法》的通知", "normative_document", 380)
	amending := h.publishedAs("关于修改《社区公共空间管理办法》的决定", "normative_document", 5)

	head, head2, officer, admin := p.as(h, "head"), p.as(h, "head2"), p.as(h, "officer"), p.as(h, "admin")
	res, page := head.req("GET", "/web/review", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="item-`+fmt.Sprint(norm)+`"`) || !strings.Contains(page, "已到期") ||
		!strings.Contains(page, fmt.Sprintf(`href="/web/drafts/%d#correct"`, norm)) || strings.Contains(page, `id="item-`+fmt.Sprint(amending)+`"`) {
		t.Fatalf("the head's review queue (%d):\n%s", res.StatusCode, page)
	}
	if !strings.Contains(page, `href="/web/review" aria-current="page">定期梳理</a>`) {
		t.Errorf("the navigation lacks the review queue")
	}
	if _, page := head2.req("GET", "/web/review", nil); !strings.Contains(page, `id="review-empty"`) {
		t.Errorf("the other department's head sees items:\n%s", page)
	}
	if res, _ := officer.req("GET", "/web/review", nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("an officer's review queue: %d", res.StatusCode)
	}

	// The validity from the queue, its superseding item not a number:
	// refused in place, the queue again with the form as typed (422), that
	// field marked.
	res, page = head.req("POST", fmt.Sprintf("/web/drafts/%d/validity", norm), url.Values{"status": {"amended"}, "superseded_by": {"第3号"}, "back": {"review"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="item-`+fmt.Sprint(norm)+`"`) || !strings.Contains(page, `data-kind="refused"`) ||
		!strings.Contains(page, fmt.Sprintf(`data-action="/web/drafts/%d/validity"`, norm)) || !strings.Contains(page, `data-field="superseded_by"`) ||
		!strings.Contains(page, "第3号") || !strings.Contains(page, "修改或废止文件须为本机关的另一份稿件") {
		t.Errorf("a superseding item that is not a number, from the queue: %d\n%s", res.StatusCode, page)
	}

	// Keep from the queue: back to it, and the item has left it.
	res, _ = head.req("POST", fmt.Sprintf("/web/drafts/%d/review", norm), url.Values{"note": {"内容仍然适用"}, "back": {"review"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/web/review#item-%d", norm) {
		t.Fatalf("keep: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if _, page := head.req("GET", "/web/review", nil); !strings.Contains(page, `id="review-empty"`) {
		t.Errorf("the queue after keeping:\n%s", page)
	}
	// The other head cannot keep it: as if it did not exist.
	if res, _ := head2.req("POST", fmt.Sprintf("/web/drafts/%d/review", norm), url.Values{}); res.StatusCode != http.StatusNotFound {
		t.Errorf("the other head kept it: %d", res.StatusCode)
	}

	// The validity, from the draft page's form. A bad date, and a date
	// before the publication, are refused in place: the draft's page again
	// with the form as typed (422), the date marked.
	for _, on := range []string{"明天", today.AddDate(-3, 0, 0).Format(domain.DateLayout)} {
		res, page = head.req("POST", fmt.Sprintf("/web/drafts/%d/validity", norm), url.Values{"status": {"amended"}, "on": {on}, "comment": {"第五条已修改"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, fmt.Sprintf(`id="validity-form-%d"`, norm)) || !strings.Contains(page, `data-kind="refused"`) ||
			!strings.Contains(page, `data-field="on"`) || !strings.Contains(page, on) || !strings.Contains(page, "第五条已修改") || !strings.Contains(page, "有效性日期须为") {
			t.Errorf("the date %s: %d\n%s", on, res.StatusCode, page)
		}
	}
	if it, err := h.store.ReviewOf(context.Background(), norm); err != nil || it.Validity != nil {
		t.Fatalf("a refused validity was set: %+v (%v)", it.Validity, err)
	}
	on := today.AddDate(0, 0, -2)
	res, _ = head.req("POST", fmt.Sprintf("/web/drafts/%d/validity", norm), url.Values{"status": {"amended"},
		"on": {on.Format(domain.DateLayout)}, "superseded_by": {fmt.Sprint(amending)}, "comment": {"第五条已修改"}})
	if res.StatusCode != http.StatusSeeOther || cookieValue(res, "flash") != "flash.validity_set" {
		t.Fatalf("validity: %d %q", res.StatusCode, cookieValue(res, "flash"))
	}
	_, page = head.req("GET", fmt.Sprintf("/web/drafts/%d", norm), nil)
	for _, want := range []string{`id="review"`, "下次梳理：" + today.AddDate(1, 0, 0).Format(domain.DateLayout), "上次梳理：" + today.Format(domain.DateLayout),
		"<strong>已修改</strong> · " + on.Format(domain.DateLayout), fmt.Sprintf(`<a href="/web/drafts/%d">关于修改`, amending), `id="keep-form"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the draft page lacks %q", want)
		}
	}
	// An officer reads the draft page of their own item without the forms.
	if _, page := officer.req("GET", fmt.Sprintf("/web/drafts/%d", norm), nil); !strings.Contains(page, `id="review"`) || strings.Contains(page, `id="keep-form"`) {
		t.Errorf("the author's draft page: review section shown %v, keep form shown %v", strings.Contains(page, `id="review"`), strings.Contains(page, `id="keep-form"`))
	}

	// The settings page: the periods; an admin changes one.
	_, page = admin.req("GET", "/web/admin/policy", nil)
	if !strings.Contains(page, `id="review-policy-form"`) || !strings.Contains(page, `name="months.normative_document" type="number" min="0" max="120" value="12"`) {
		t.Fatalf("the settings page:\n%s", page)
	}
	form := url.Values{}
	for _, c := range domain.Categories {
		form.Set("months."+c, fmt.Sprint(domain.DefaultReviewMonths(c)))
	}
	form.Set("months.normative_document", "6")
	if res, _ := admin.req("POST", "/web/admin/policy/review", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the periods: %d", res.StatusCode)
	}
	if _, page := head.req("GET", fmt.Sprintf("/web/drafts/%d", norm), nil); !strings.Contains(page, "下次梳理："+today.AddDate(0, 6, 0).Format(domain.DateLayout)) {
		t.Errorf("the next review after the period became 6 months is not %s", today.AddDate(0, 6, 0).Format(domain.DateLayout))
	}
	form.Set("months.news", "121")
	if res, _ := admin.req("POST", "/web/admin/policy/review", form); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a period of 121 months: %d", res.StatusCode)
	}
	if res, _ := head.req("POST", "/web/admin/policy/review", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a head saved the periods: %d", res.StatusCode)
	}

	a := h.want(h.do("GET", fmt.Sprintf("/api/v1/drafts/%d/audit", norm), "auditor", nil), http.StatusOK, "")
	// The bad date never reached the store (a form that cannot be read
	// is not an attempt); the early one did, and was refused, as was the
	// other head's keep.
	for _, action := range []string{`"review_kept"`, `"validity_set"`, `"denied:validity_set"`, `"denied:review_kept"`} {
		if !strings.Contains(a.raw, action) {
			t.Errorf("the draft's trail lacks %s", action)
		}
	}
	if res, err := h.store.VerifyAll(context.Background()); err != nil || !res.OK {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
}

func cookieValue(res *http.Response, name string) string {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
