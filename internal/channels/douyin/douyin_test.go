package douyin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin/fakedouyin"
)

// clock is a settable time for the fake and the client.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type env struct {
	fake       *fakedouyin.Server
	srv        *httptest.Server
	c          *douyin.Client
	clk        *clock // the fake's clock
	sleeps     []time.Duration
	oauthTypes []string // Content-Type of every OAuth request
	mu         sync.Mutex
}

// start runs a fake with small parts and an authorised client.
func start(t *testing.T) *env {
	t.Helper()
	e := &env{clk: &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}}
	e.fake = fakedouyin.New(fakedouyin.Options{ClientKey: "ck", ClientSecret: "cs", MinPartSize: 1000, Now: e.clk.Now})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth/") {
			e.mu.Lock()
			e.oauthTypes = append(e.oauthTypes, r.Header.Get("Content-Type"))
			e.mu.Unlock()
		}
		e.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.c = douyin.New(e.srv.URL, "ck", "cs", &douyin.MemoryStore{})
	e.c.HTTP, e.c.Tokens.HTTP, e.c.Tokens.Now = e.srv.Client(), e.srv.Client(), e.clk.Now
	e.c.SingleMax, e.c.ChunkSize = 2000, 1000
	e.c.Sleep = func(_ context.Context, d time.Duration) error { e.sleeps = append(e.sleeps, d); return nil }
	if _, err := e.c.Tokens.Exchange(context.Background(), e.fake.IssueCode()); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) upload(t *testing.T, size int) string {
	t.Helper()
	id, err := e.c.UploadVideo(context.Background(), "v.mp4", bytes.NewReader(bytes.Repeat([]byte("x"), size)), int64(size))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func asError(t *testing.T, err error) *douyin.Error {
	t.Helper()
	e, ok := errors.AsType[*douyin.Error](err)
	if !ok {
		t.Fatalf("error %v is not a *douyin.Error", err)
	}
	return e
}

func TestAuthorizeURL(t *testing.T) {
	ts := &douyin.TokenSource{ClientKey: "ck"}
	u, err := url.Parse(ts.AuthorizeURL("https://sanshen.example.gov.cn/douyin/callback?x=1", "s t"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "open.douyin.com" || u.Path != "/platform/oauth/connect/" || q.Get("client_key") != "ck" || q.Get("response_type") != "code" ||
		q.Get("scope") != "video.create.bind" || q.Get("redirect_uri") != "https://sanshen.example.gov.cn/douyin/callback?x=1" || q.Get("state") != "s t" {
		t.Fatalf("AuthorizeURL = %s", u)
	}
}

func TestExchangeAndRefreshAreFormEncoded(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	first, err := e.c.Tokens.Store.Load(ctx)
	if err != nil || !strings.HasPrefix(first.AccessToken, "act.") || first.OpenID != "fake-open-id" ||
		!first.AccessExpiresAt.Equal(e.clk.Now().Add(15*24*time.Hour)) || !first.RefreshExpiresAt.Equal(e.clk.Now().Add(30*24*time.Hour)) {
		t.Fatalf("after Exchange: %+v, %v", first, err)
	}
	e.clk.Add(24 * time.Hour)
	got, err := e.c.Tokens.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken == first.AccessToken || !got.RefreshExpiresAt.Equal(first.RefreshExpiresAt) || got.RefreshToken != first.RefreshToken {
		t.Fatalf("refresh: %+v, first %+v", got, first)
	}
	if stored, _ := e.c.Tokens.Store.Load(ctx); stored != got {
		t.Fatalf("stored %+v, want %+v", stored, got)
	}
	if len(e.oauthTypes) != 2 {
		t.Fatalf("OAuth requests %d, want 2", len(e.oauthTypes))
	}
	for _, ct := range e.oauthTypes {
		if ct != "application/x-www-form-urlencoded" {
			t.Fatalf("OAuth Content-Type %q", ct)
		}
	}
}

func TestTokenRefreshesWhenExpiredLocally(t *testing.T) {
	e := start(t)
	e.clk.Add(15 * 24 * time.Hour)
	e.upload(t, 10)
	if n := e.fake.Calls(douyin.PathRefreshToken); n != 1 {
		t.Fatalf("refreshes %d, want 1", n)
	}
	if n := e.fake.Calls(douyin.PathUpload); n != 1 {
		t.Fatalf("uploads %d, want 1", n)
	}
}

func TestRefreshOnExpiredErrorRetriesOnce(t *testing.T) {
	e := start(t)
	e.fake.ExpireAccessTokens()
	e.upload(t, 10)
	if r, u := e.fake.Calls(douyin.PathRefreshToken), e.fake.Calls(douyin.PathUpload); r != 1 || u != 2 {
		t.Fatalf("refreshes %d uploads %d, want 1 and 2", r, u)
	}

	// A platform that keeps refusing the token gets exactly one retry.
	var uploads, refreshes int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == douyin.PathRefreshToken {
			refreshes++
			io.WriteString(w, `{"data":{"access_token":"act.new","expires_in":1296000,"error_code":0,"description":""},"message":"success"}`)
			return
		}
		uploads++
		if uploads > 2 { // end a client that retries without bound; the count below fails it
			io.WriteString(w, `{"data":{"error_code":0,"video":{"video_id":"v"}},"extra":{"error_code":0}}`)
			return
		}
		io.WriteString(w, `{"data":{"error_code":28001008,"description":"access_token过期"},"extra":{"error_code":28001008,"logid":"L1"}}`)
	}))
	defer srv.Close()
	store := &douyin.MemoryStore{}
	store.Save(context.Background(), douyin.Tokens{AccessToken: "act.old", AccessExpiresAt: time.Now().Add(time.Hour),
		RefreshToken: "rft", RefreshExpiresAt: time.Now().Add(time.Hour), OpenID: "o"})
	c := douyin.New(srv.URL, "ck", "cs", store)
	_, err := c.UploadVideo(context.Background(), "v.mp4", strings.NewReader("abc"), 3)
	if de := asError(t, err); !de.TokenExpired() || de.Retryable || de.LogID != "L1" {
		t.Fatalf("err %+v", de)
	}
	if uploads != 2 || refreshes != 1 {
		t.Fatalf("uploads %d refreshes %d, want 2 and 1", uploads, refreshes)
	}
}

func TestRefreshTokenExpiredIsPermanentWithChineseMessage(t *testing.T) {
	e := start(t)
	// The fake's clock passes the refresh token's expiry; the client's does not.
	e.clk.Add(31 * 24 * time.Hour)
	e.c.Tokens.Now = func() time.Time { return e.clk.Now().Add(-16 * 24 * time.Hour) }
	_, err := e.c.Tokens.Refresh(context.Background())
	de := asError(t, err)
	if de.Code != douyin.CodeRefreshExpired || de.Retryable || de.MessageZH != "抖音授权已过期，请管理员重新授权" {
		t.Fatalf("server 10010: %+v", de)
	}
	// With the client's clock past it too, it says so without asking Douyin.
	e.c.Tokens.Now = e.clk.Now
	_, err = e.c.UploadVideo(context.Background(), "v.mp4", strings.NewReader("abc"), 3)
	if de := asError(t, err); de.Code != douyin.CodeRefreshExpired || de.MessageZH != douyin.MessageReauthorize {
		t.Fatalf("local 10010: %+v", de)
	}
	if n := e.fake.Calls(douyin.PathRefreshToken); n != 1 {
		t.Fatalf("refresh calls %d, want 1", n)
	}
}

func TestUploadSingleAndCreate(t *testing.T) {
	e := start(t)
	vid := e.upload(t, 2000)
	item, err := e.c.CreateVideo(context.Background(), douyin.CreateRequest{VideoID: vid, Text: "东四街道通知 #便民服务", CoverTsp: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	items := e.fake.Items()
	if e.fake.Calls(douyin.PathUpload) != 1 || e.fake.Calls(douyin.PathPartInit) != 0 || len(items) != 1 ||
		items[0].ItemID != item || items[0].VideoID != vid || items[0].Text != "东四街道通知 #便民服务" || items[0].CoverTsp != 1.5 {
		t.Fatalf("items %+v, item %q", items, item)
	}
}

func TestUploadChunked(t *testing.T) {
	e := start(t)
	vid := e.upload(t, 3500) // parts 1000, 1000, 1000, 500
	if p, i, c := e.fake.Calls(douyin.PathPartUpload), e.fake.Calls(douyin.PathPartInit), e.fake.Calls(douyin.PathPartComplete); p != 4 || i != 1 || c != 1 {
		t.Fatalf("parts %d inits %d completes %d", p, i, c)
	}
	if _, err := e.c.CreateVideo(context.Background(), douyin.CreateRequest{VideoID: vid, Text: "分片"}); err != nil {
		t.Fatal(err)
	}
	// A part under the fake's minimum (not the last) is refused at complete.
	e.c.ChunkSize = 900
	_, err := e.c.UploadVideo(context.Background(), "v.mp4", bytes.NewReader(make([]byte, 2700)), 2700)
	if de := asError(t, err); de.Op != "complete_video_part_upload" || de.Code != douyin.CodeBadParams {
		t.Fatalf("small parts: %+v", de)
	}
}

func TestUploadRetriesBusyAndReaderShort(t *testing.T) {
	e := start(t)
	e.fake.FailNext(1, douyin.CodeBusy)
	e.upload(t, 2500)
	if len(e.sleeps) != 1 || e.fake.Calls(douyin.PathPartInit) != 2 {
		t.Fatalf("sleeps %v, inits %d", e.sleeps, e.fake.Calls(douyin.PathPartInit))
	}
	if _, err := e.c.UploadVideo(context.Background(), "v.mp4", strings.NewReader("short"), 10); err == nil {
		t.Fatal("a reader shorter than size uploaded")
	}
}

func TestLocalRefusals(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	if _, err := e.c.UploadVideo(ctx, "big.mp4", strings.NewReader(""), douyin.MaxVideoSize+1); err == nil {
		t.Fatal("over 4 GB accepted")
	}
	if _, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: "v", Text: strings.Repeat("字", 1001)}); err == nil {
		t.Fatal("1001 characters accepted")
	}
	if _, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: "v", Text: strings.Repeat("字", 1000)}); err == nil {
		t.Fatal("unknown video_id accepted") // 1000 characters pass the local check and reach the fake
	}
	if n := e.fake.Calls(douyin.PathUpload) + e.fake.Calls(douyin.PathPartInit) + e.fake.Calls(douyin.PathCreate); n != 1 {
		t.Fatalf("calls %d, want 1", n)
	}
}

func TestVideoIDSingleUseUnverifiedCode(t *testing.T) {
	// Douyin says video_id is single-use; what a second create answers is
	// UNVERIFIED. The fake answers 28001007 (bad params).
	e := start(t)
	vid := e.upload(t, 10)
	ctx := context.Background()
	if _, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: vid, Text: "一"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: vid, Text: "一"})
	if de := asError(t, err); de.Code != fakedouyin.CodeVideoUsed || de.Retryable || de.Ambiguous {
		t.Fatalf("second create: %+v", de)
	}
	if e.fake.Creates() != 1 {
		t.Fatalf("creates %d", e.fake.Creates())
	}
}

func TestAmbiguousCreateReconciledWithoutSecondCreate(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	for i := range 3 { // older posts, one with the same text before since
		vid := e.upload(t, 10)
		text := fmt.Sprintf("旧 %d", i)
		if i == 0 {
			text = "防汛通知 #防汛"
		}
		if _, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: vid, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Add(time.Hour)
	since := e.clk.Now().Add(-time.Minute)
	vid := e.upload(t, 10)
	e.fake.DropAnswerAfterCommit(1)
	_, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: vid, Text: "防汛通知 #防汛"})
	if de := asError(t, err); !de.Ambiguous || de.Retryable || de.Code != 0 {
		t.Fatalf("dropped answer: %+v", de)
	}
	item, share, found, err := e.c.FindByText(ctx, "防汛通知 #防汛", since)
	if err != nil || !found {
		t.Fatalf("FindByText: %v %v", found, err)
	}
	last := e.fake.Items()[3]
	if item != last.ItemID || share != last.ShareURL || last.VideoID != vid {
		t.Fatalf("found %q %q, want %+v", item, share, last)
	}
	if e.fake.Creates() != 4 || e.fake.Calls(douyin.PathCreate) != 4 {
		t.Fatalf("creates %d calls %d, want 4: no second create", e.fake.Creates(), e.fake.Calls(douyin.PathCreate))
	}
	if _, _, found, err := e.c.FindByText(ctx, "从未发布", since); found || err != nil {
		t.Fatalf("absent text: %v %v", found, err)
	}
}

func TestFindByTextPagesNewestFirstUnverified(t *testing.T) {
	// video_list's order is UNVERIFIED: the client assumes newest first and
	// stops at a page older than since.
	e := start(t)
	ctx := context.Background()
	start := e.clk.Now()
	for i := range 45 {
		if _, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: e.upload(t, 10), Text: fmt.Sprint("第", i)}); err != nil {
			t.Fatal(err)
		}
		e.clk.Add(time.Minute)
	}
	if _, _, found, err := e.c.FindByText(ctx, "第0", start); !found || err != nil || e.fake.Calls(douyin.PathList) != 3 {
		t.Fatalf("oldest: found %v err %v pages %d", found, err, e.fake.Calls(douyin.PathList))
	}
	if _, _, found, err := e.c.FindByText(ctx, "第0", start.Add(44*time.Minute)); found || err != nil || e.fake.Calls(douyin.PathList) != 5 {
		t.Fatalf("since excludes it: found %v err %v pages %d", found, err, e.fake.Calls(douyin.PathList))
	}
}

func TestBusyCreateIsRetryableTypedAndNotRetried(t *testing.T) {
	e := start(t)
	vid := e.upload(t, 10)
	e.fake.FailNext(1, douyin.CodeBusy)
	_, err := e.c.CreateVideo(context.Background(), douyin.CreateRequest{VideoID: vid, Text: "忙"})
	de := asError(t, err)
	if de.Code != douyin.CodeBusy || !de.Retryable || de.Ambiguous || de.MessageZH == "" || de.LogID == "" {
		t.Fatalf("busy: %+v", de)
	}
	if e.fake.Calls(douyin.PathCreate) != 1 || e.fake.Creates() != 0 || len(e.sleeps) != 0 {
		t.Fatalf("create calls %d creates %d sleeps %v", e.fake.Calls(douyin.PathCreate), e.fake.Creates(), e.sleeps)
	}
	for code, want := range map[int]bool{douyin.CodeRate: true, douyin.CodeOldBusy: true, douyin.CodeScope: false,
		douyin.CodeNoCapability: false, douyin.CodeOldCapability: false} {
		e.fake.FailNext(1, code)
		_, err := e.c.CreateVideo(context.Background(), douyin.CreateRequest{VideoID: vid, Text: "忙"})
		if de := asError(t, err); de.Code != code || de.Retryable != want {
			t.Fatalf("code %d: %+v", code, de)
		}
	}
}

func TestExtraErrorWithDataOKIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"data":{"error_code":0,"description":"","item_id":"@x"},"extra":{"error_code":28003018,"description":"rate","sub_error_code":7,"sub_description":"too fast","logid":"L9","now":1}}`)
	}))
	defer srv.Close()
	store := &douyin.MemoryStore{}
	store.Save(context.Background(), douyin.Tokens{AccessToken: "act.a", AccessExpiresAt: time.Now().Add(time.Hour), OpenID: "o"})
	_, err := douyin.New(srv.URL, "ck", "cs", store).CreateVideo(context.Background(), douyin.CreateRequest{VideoID: "v"})
	de := asError(t, err)
	if de.Code != douyin.CodeRate || de.SubCode != 7 || de.LogID != "L9" || !de.Retryable || de.Ambiguous || !strings.Contains(de.Error(), "too fast") {
		t.Fatalf("extra error: %+v", de)
	}
}

func TestDeleteUnverifiedDefaultCannotDelete(t *testing.T) {
	// Whether a new app can get video.delete is UNVERIFIED, so sanshen's
	// default treats Douyin as unable to delete: withdrawal is a person's task.
	if douyin.CanDelete {
		t.Fatal("CanDelete must be false by default")
	}
	e := start(t)
	ctx := context.Background()
	item, err := e.c.CreateVideo(ctx, douyin.CreateRequest{VideoID: e.upload(t, 10), Text: "撤回"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteVideo(ctx, item); err != nil {
		t.Fatal(err)
	}
	if !e.fake.Items()[0].Deleted {
		t.Fatal("not deleted")
	}
	if _, _, found, _ := e.c.FindByText(ctx, "撤回", time.Time{}); found {
		t.Fatal("a deleted post is listed")
	}
	if err := e.c.DeleteVideo(ctx, item); err == nil {
		t.Fatal("deleting twice succeeded")
	}
}
