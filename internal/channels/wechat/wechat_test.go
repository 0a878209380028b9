package wechat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
)

var (
	pngImg = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	gifImg = append([]byte("GIF89a"), make([]byte, 100)...)
)

// waits records the client's waits without taking them; onSleep, if set,
// runs at each wait with its index.
type waits struct {
	mu      sync.Mutex
	d       []time.Duration
	onSleep func(i int)
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	i, f := len(w.d)-1, w.onSleep
	w.mu.Unlock()
	if f != nil {
		f(i)
	}
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// setup starts a fake behind wrap (nil: none) and a client for it.
func setup(t *testing.T, opts fakewechat.Options, wrap func(http.Handler) http.Handler) (*fakewechat.Server, *wechat.Client, *waits, string) {
	t.Helper()
	opts.AppID, opts.Secret = "wxapp", "s3cret"
	fake := fakewechat.New(opts)
	var h http.Handler = fake
	if wrap != nil {
		h = wrap(fake)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	w := &waits{}
	return fake, &wechat.Client{BaseURL: srv.URL, AppID: "wxapp", Secret: "s3cret", HTTP: srv.Client(), Sleep: w.sleep}, w, srv.URL
}

func asError(t *testing.T, err error) *wechat.Error {
	t.Helper()
	e, ok := errors.AsType[*wechat.Error](err)
	if !ok {
		t.Fatalf("error %v is not a *wechat.Error", err)
	}
	return e
}

// draft uploads a cover and adds a draft titled title.
func draft(t *testing.T, c *wechat.Client, title string) string {
	t.Helper()
	ctx := context.Background()
	thumb, _, err := c.AddMaterialImage(ctx, "cover.png", pngImg)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.AddDraft(ctx, wechat.Article{Title: title, Content: "<p>正文</p>", ThumbMediaID: thumb})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTokenCachedAndRefreshedOnceOnExpiry(t *testing.T) {
	fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
	ctx := context.Background()
	id := draft(t, c, "通知")
	for range 3 {
		if ok, err := c.DraftExists(ctx, id); err != nil || !ok {
			t.Fatalf("DraftExists = %v, %v", ok, err)
		}
	}
	if n := fake.Calls("/cgi-bin/stable_token"); n != 1 {
		t.Fatalf("stable_token called %d times for 5 calls, want 1 (cached)", n)
	}
	fake.ExpireTokens()
	if ok, err := c.DraftExists(ctx, id); err != nil || !ok {
		t.Fatalf("DraftExists after expiry = %v, %v", ok, err)
	}
	if n, g := fake.Calls("/cgi-bin/stable_token"), fake.Calls("/cgi-bin/draft/get"); n != 2 || g != 5 {
		t.Fatalf("after expiry: stable_token %d (want 2), draft/get %d (want 5: 3 + rejected + retry)", n, g)
	}
}

func TestTokenCodesRetriedExactlyOnce(t *testing.T) {
	for _, code := range []int{40001, 40014, 42001} {
		fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
		id := draft(t, c, "通知")
		fake.FailNext(1, code)
		if ok, err := c.DraftExists(context.Background(), id); err != nil || !ok {
			t.Fatalf("%d once: DraftExists = %v, %v", code, ok, err)
		}
		// The fake still holds the token valid, so stable_token hands it out
		// again and the client forces a refresh: 1 + 2 token calls.
		if n, g := fake.Calls("/cgi-bin/stable_token"), fake.Calls("/cgi-bin/draft/get"); n != 3 || g != 2 {
			t.Fatalf("%d once: stable_token %d (want 3), draft/get %d (want 2)", code, n, g)
		}
		fake.FailNext(2, code)
		_, err := c.DraftExists(context.Background(), id)
		if e := asError(t, err); e.Code != code || fake.Calls("/cgi-bin/draft/get") != 4 {
			t.Fatalf("%d twice: err %v after %d draft/get calls, want the code after exactly one retry", code, err, fake.Calls("/cgi-bin/draft/get"))
		}
	}
}

func TestNoRefreshOnOtherErrors(t *testing.T) {
	for _, code := range []int{45009, 45011, 53501, -1, 48001} {
		fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
		id := draft(t, c, "通知")
		fake.FailNext(1, code)
		_, err := c.DraftExists(context.Background(), id)
		e := asError(t, err)
		wantRetry := code != 48001
		if e.Code != code || e.Retryable != wantRetry || fake.Calls("/cgi-bin/stable_token") != 1 || fake.Calls("/cgi-bin/draft/get") != 1 {
			t.Fatalf("%d: %+v, token calls %d, draft/get %d; want no refresh, no retry, retryable %v", code, e,
				fake.Calls("/cgi-bin/stable_token"), fake.Calls("/cgi-bin/draft/get"), wantRetry)
		}
	}
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	const n = 20
	var rejected atomic.Int32
	all := make(chan struct{})
	var phase2 atomic.Bool
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/cgi-bin/stable_token" && phase2.Load() {
				select { // hold the refresh until every caller has been rejected
				case <-all:
				case <-time.After(10 * time.Second):
				}
			}
			h.ServeHTTP(w, r)
			if r.URL.Path == "/cgi-bin/draft/get" && phase2.Load() && rejected.Add(1) == n {
				close(all)
			}
		})
	}
	fake, c, _, _ := setup(t, fakewechat.Options{}, wrap)
	id := draft(t, c, "通知")
	fake.ExpireTokens()
	phase2.Store(true)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if ok, err := c.DraftExists(context.Background(), id); err != nil || !ok {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := fake.Calls("/cgi-bin/stable_token"); got != 2 {
		t.Fatalf("stable_token called %d times, want 2 (initial + one shared refresh)", got)
	}
}

func TestUploadImageRefusesLocally(t *testing.T) {
	fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
	big := append(append([]byte{}, pngImg...), make([]byte, 2<<20)...)
	for name, data := range map[string][]byte{"big.png": big, "a.gif": gifImg} {
		_, err := c.UploadImage(context.Background(), name, data)
		if e := asError(t, err); e.Field != "media" || e.Retryable || e.MessageZH == "" {
			t.Fatalf("%s: %+v, want a local refusal of the media", name, e)
		}
	}
	if n := fake.Calls("/cgi-bin/media/uploadimg"); n != 0 {
		t.Fatalf("uploadimg called %d times for refused images", n)
	}
	u, err := c.UploadImage(context.Background(), "ok", pngImg)
	if err != nil || !strings.HasPrefix(u, "http") {
		t.Fatalf("UploadImage = %q, %v", u, err)
	}
	if _, _, err := c.AddMaterialImage(context.Background(), "a.gif", gifImg); err != nil {
		t.Fatalf("add_material takes GIF: %v", err)
	}
}

func TestAddDraftLimits(t *testing.T) {
	fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
	ok := wechat.Article{Title: strings.Repeat("标", 32), Author: strings.Repeat("作", 16), Digest: strings.Repeat("摘", 128),
		Content: strings.Repeat("文", 19999), ContentSourceURL: "https://x/" + strings.Repeat("a", 1014), ThumbMediaID: "m"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("limits exactly met: %v", err)
	}
	cases := map[string]func(*wechat.Article){
		"title":              func(a *wechat.Article) { a.Title += "x" },
		"author":             func(a *wechat.Article) { a.Author += "x" },
		"digest":             func(a *wechat.Article) { a.Digest += "x" },
		"content":            func(a *wechat.Article) { a.Content += "x" },
		"content_source_url": func(a *wechat.Article) { a.ContentSourceURL += "x" },
		"thumb_media_id":     func(a *wechat.Article) { a.ThumbMediaID = "" },
	}
	for field, mutate := range cases {
		a := ok
		mutate(&a)
		_, err := c.AddDraft(context.Background(), a)
		if e := asError(t, err); e.Field != field || e.Op != "draft/add" {
			t.Fatalf("%s: got %+v", field, e)
		}
	}
	if n := fake.Calls("/cgi-bin/draft/add"); n != 0 {
		t.Fatalf("draft/add called %d times for invalid articles", n)
	}
}

func TestAddDraftSendsNoHTMLEscapes(t *testing.T) {
	var mu sync.Mutex
	var body []byte
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/cgi-bin/draft/add" {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				body = b
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			h.ServeHTTP(w, r)
		})
	}
	_, c, _, _ := setup(t, fakewechat.Options{}, wrap)
	thumb, _, err := c.AddMaterialImage(context.Background(), "c.png", pngImg)
	if err != nil {
		t.Fatal(err)
	}
	content := `<p>A &amp; B <a href="https://example.gov.cn/?a=1&b=2">链接</a></p>`
	if _, err := c.AddDraft(context.Background(), wechat.Article{Title: "标题", Content: content, ThumbMediaID: thumb, NeedOpenComment: true}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if bytes.Contains(body, []byte(`\u003c`)) || bytes.Contains(body, []byte(`\u0026`)) || !bytes.Contains(body, []byte(`<p>A &amp; B`)) ||
		!bytes.Contains(body, []byte(`"need_open_comment":1`)) {
		t.Fatalf("draft/add body has HTML escapes or lacks fields: %s", body)
	}
}

func TestSubmitAndWaitPublished(t *testing.T) {
	fake, c, w, base := setup(t, fakewechat.Options{PublishingPolls: 7}, nil)
	id := draft(t, c, "关于春节假期的通知")
	pid, err := c.Submit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitPublished(context.Background(), pid, wechat.Backoff{})
	if err != nil || st.State != wechat.StateSuccess || st.ArticleID == "" || !strings.HasPrefix(st.URL(), base+"/s/") {
		t.Fatalf("WaitPublished = %+v, %v", st, err)
	}
	want := []time.Duration{2, 4, 8, 16, 32, 60, 60}
	for i := range want {
		want[i] *= time.Second
	}
	if got := w.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	if fake.Drafts() != 0 || fake.Published() != 1 {
		t.Fatalf("drafts %d, published %d; want the draft gone and one publication", fake.Drafts(), fake.Published())
	}
	res, err := http.Get(st.URL())
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("article page: %v %v", res, err)
	}
	res.Body.Close()
}

func TestWaitPublishedFailureStates(t *testing.T) {
	for _, final := range []wechat.State{wechat.StateOriginalityFailed, wechat.StateFailed, wechat.StateAuditFailed} {
		_, c, _, _ := setup(t, fakewechat.Options{PublishingPolls: 1, FinalStatus: int(final)}, nil)
		pid, err := c.Submit(context.Background(), draft(t, c, "通知"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.WaitPublished(context.Background(), pid, wechat.Backoff{})
		wantIdx := final != wechat.StateFailed
		if err != nil || st.State != final || st.URL() != "" || (len(st.FailIdx) > 0) != wantIdx {
			t.Fatalf("final %v: %+v, %v", final, st, err)
		}
	}
}

func TestWaitPublishedBacksOffOnQuota(t *testing.T) {
	fake, c, w, _ := setup(t, fakewechat.Options{PublishingPolls: 3}, nil)
	w.onSleep = func(i int) {
		if i == 0 {
			fake.FailNext(1, wechat.CodeDailyQuota)
		}
	}
	pid, err := c.Submit(context.Background(), draft(t, c, "通知"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.WaitPublished(context.Background(), pid, wechat.Backoff{First: 2 * time.Second, Max: time.Minute})
	if err != nil || st.State != wechat.StateSuccess {
		t.Fatalf("WaitPublished = %+v, %v", st, err)
	}
	want := []time.Duration{2 * time.Second, time.Minute, time.Minute, time.Minute}
	if got := w.all(); !reflect.DeepEqual(got, want) {
		t.Fatalf("waits %v, want %v (poll, 45009, poll, poll)", got, want)
	}
}

func TestWaitPublishedStopsWithContext(t *testing.T) {
	_, c, w, _ := setup(t, fakewechat.Options{PublishingPolls: 100}, nil)
	pid, err := c.Submit(context.Background(), draft(t, c, "通知"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.onSleep = func(i int) {
		if i == 2 {
			cancel()
		}
	}
	st, err := c.WaitPublished(ctx, pid, wechat.Backoff{})
	if !errors.Is(err, context.Canceled) || st.State != wechat.StatePublishing {
		t.Fatalf("WaitPublished = %+v, %v; want the last status and context.Canceled", st, err)
	}
}

func TestIPWhitelistIsPermanentWithChineseMessage(t *testing.T) {
	fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
	fake.IPWhitelistError(true)
	_, err := c.UploadImage(context.Background(), "a.png", pngImg)
	e := asError(t, err)
	if e.Code != 40164 || e.Retryable || e.Op != "stable_token" || !strings.Contains(e.MessageZH, "IP白名单") ||
		!strings.Contains(e.ErrMsg, "not in whitelist") || !strings.Contains(e.Error(), "whitelist") {
		t.Fatalf("got %+v", e)
	}
	fake.IPWhitelistError(false)
	fake.FailNext(1, 61004)
	_, err = c.UploadImage(context.Background(), "a.png", pngImg)
	if e := asError(t, err); e.Code != 61004 || e.Retryable || !strings.Contains(e.MessageZH, "IP白名单") {
		t.Fatalf("61004: got %+v", e)
	}
}

func TestPermanentCredentialErrors(t *testing.T) {
	fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
	c.AppID = "wrong"
	_, err := c.DraftExists(context.Background(), "x")
	if e := asError(t, err); e.Code != 40013 || e.Retryable || e.MessageZH == "" {
		t.Fatalf("bad appid: %+v", e)
	}
	c.AppID, c.Secret = "wxapp", "wrong"
	_, err = c.DraftExists(context.Background(), "x")
	if e := asError(t, err); e.Code != 40001 || e.Retryable || !strings.Contains(e.MessageZH, "AppSecret") {
		t.Fatalf("bad secret: %+v", e)
	}
	c.Secret = "s3cret"
	fake.FailNext(1, 40243)
	_, err = c.DraftExists(context.Background(), "x")
	if e := asError(t, err); e.Code != 40243 || e.Retryable || !strings.Contains(e.MessageZH, "冻结") {
		t.Fatalf("frozen: %+v", e)
	}
}

// TestAmbiguousSubmitReconciled walks through the recovery CHANNELS.md §3
// recommends: the submit's answer is lost, the draft is gone, so the
// submit happened; the article is found by title instead of submitting
// again.
func TestAmbiguousSubmitReconciled(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	fake, c, _, _ := setup(t, fakewechat.Options{Now: func() time.Time { return now }}, nil)
	ctx := context.Background()
	title := "关于2026年春节假期安排的通知"
	id := draft(t, c, title)
	since := now.Add(-5 * time.Minute) // persisted before submitting
	fake.DropAnswerAfterCommit(1)
	_, err := c.Submit(ctx, id)
	e := asError(t, err)
	if !e.Ambiguous || strings.Contains(e.Error(), "access_token") {
		t.Fatalf("lost answer: %v; want Ambiguous and no token in the message", e)
	}
	exists, err := c.DraftExists(ctx, id)
	if err != nil || exists {
		t.Fatalf("DraftExists = %v, %v; want false: the submit happened", exists, err)
	}
	aid, u, found, err := c.FindPublished(ctx, title, since)
	if err != nil || !found || aid == "" || !strings.Contains(u, aid) {
		t.Fatalf("FindPublished = %q %q %v %v", aid, u, found, err)
	}
	if _, _, found, _ := c.FindPublished(ctx, title, now.Add(time.Minute)); found {
		t.Fatal("FindPublished matched an article older than since")
	}
	if _, _, found, _ := c.FindPublished(ctx, title+"（更正）", since); found {
		t.Fatal("FindPublished matched a different title")
	}
	if fake.Published() != 1 {
		t.Fatalf("published %d times", fake.Published())
	}
	if err := c.DeleteArticle(ctx, aid, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := c.FindPublished(ctx, title, since); found {
		t.Fatal("FindPublished found a deleted article")
	}
}

func TestFindPublishedPages(t *testing.T) {
	_, c, _, _ := setup(t, fakewechat.Options{}, nil)
	ctx := context.Background()
	for i := range 23 {
		title := "其他"
		if i == 0 {
			title = "最早的通知" // newest first, so this one is on the second page
		}
		if _, err := c.Submit(ctx, draft(t, c, title)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, found, err := c.FindPublished(ctx, "最早的通知", time.Time{}); err != nil || !found {
		t.Fatalf("FindPublished on page 2: %v %v", found, err)
	}
}

// TestSecondSubmitUnverified pins the assumption that re-submitting a
// published draft's media_id answers 40007 (UNVERIFIED in CHANNELS.md §3).
func TestSecondSubmitUnverified(t *testing.T) {
	fake, c, _, _ := setup(t, fakewechat.Options{}, nil)
	id := draft(t, c, "通知")
	if _, err := c.Submit(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	_, err := c.Submit(context.Background(), id)
	if e := asError(t, err); e.Code != wechat.CodeInvalidMediaID || e.Retryable || fake.Published() != 1 {
		t.Fatalf("second submit: %+v, published %d", e, fake.Published())
	}
}

// TestDraftExistsUnverified pins the assumption that draft/get answers
// 40007 for a missing draft; any other errcode stays an error.
func TestDraftExistsUnverified(t *testing.T) {
	code := 40007
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			io.WriteString(w, `{"access_token":"T","expires_in":7200}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": "x"})
	}))
	defer srv.Close()
	c := &wechat.Client{BaseURL: srv.URL, AppID: "a", Secret: "s"}
	if ok, err := c.DraftExists(context.Background(), "m"); ok || err != nil {
		t.Fatalf("40007: %v %v, want false, nil", ok, err)
	}
	code = 45009
	if ok, err := c.DraftExists(context.Background(), "m"); ok || err == nil {
		t.Fatalf("45009: %v %v, want an error", ok, err)
	}
}

func TestLenientIDs(t *testing.T) {
	_, c, _, _ := setup(t, fakewechat.Options{NumericIDs: true}, nil)
	pid, err := c.Submit(context.Background(), draft(t, c, "通知"))
	if err != nil || pid == "" || strings.ContainsAny(pid, `".`) {
		t.Fatalf("numeric publish_id decoded as %q, %v", pid, err)
	}
	if st, err := c.PublishStatus(context.Background(), pid); err != nil || st.PublishID != pid {
		t.Fatalf("PublishStatus = %+v, %v", st, err)
	}
	answer := `{"publish_id":"2247483999","publish_status":0,"article_id":9007199254740993,"article_detail":{"count":1,"item":[{"idx":1,"article_url":"https://mp.weixin.qq.com/s/x"}]},"fail_idx":[]}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			io.WriteString(w, `{"access_token":"T","expires_in":7200}`)
			return
		}
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	c2 := &wechat.Client{BaseURL: srv.URL, AppID: "a", Secret: "s"}
	st, err := c2.PublishStatus(context.Background(), "2247483999")
	if err != nil || st.PublishID != "2247483999" || st.ArticleID != "9007199254740993" || st.URL() != "https://mp.weixin.qq.com/s/x" {
		t.Fatalf("PublishStatus = %+v, %v", st, err)
	}
}

func TestNon200IsTransportError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"errcode":0}`, http.StatusBadGateway)
	}))
	defer srv.Close()
	c := &wechat.Client{BaseURL: srv.URL, AppID: "a", Secret: "s"}
	_, err := c.DraftExists(context.Background(), "m")
	if e := asError(t, err); e.HTTPStatus != 502 || !e.Retryable || e.Code != 0 {
		t.Fatalf("got %+v", e)
	}
}
