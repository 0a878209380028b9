package fakedouyin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
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

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type answer struct {
	Data struct {
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
		AccessToken string `json:"access_token"`
		OpenID      string `json:"open_id"`
		UploadID    string `json:"upload_id"`
		Video       struct {
			VideoID string `json:"video_id"`
		} `json:"video"`
	} `json:"data"`
	Extra *struct {
		ErrorCode int    `json:"error_code"`
		LogID     string `json:"logid"`
	} `json:"extra"`
	Message string `json:"message"`
}

type fx struct {
	fake  *fakedouyin.Server
	srv   *httptest.Server
	clk   *clock
	token string
}

func setup(t *testing.T) *fx {
	t.Helper()
	f := &fx{clk: &clock{t: time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)}}
	f.fake = fakedouyin.New(fakedouyin.Options{ClientKey: "ck", ClientSecret: "cs", MinPartSize: 4, Now: f.clk.Now})
	f.srv = httptest.NewServer(f.fake)
	t.Cleanup(f.srv.Close)
	a := f.do(t, douyin.PathAccessToken, nil, "application/x-www-form-urlencoded",
		[]byte(url.Values{"client_key": {"ck"}, "client_secret": {"cs"}, "code": {f.fake.IssueCode()}, "grant_type": {"authorization_code"}}.Encode()))
	if a.Data.ErrorCode != 0 || !strings.HasPrefix(a.Data.AccessToken, "act.") || a.Message != "success" || a.Extra != nil {
		t.Fatalf("exchange: %+v", a)
	}
	f.token = a.Data.AccessToken
	return f
}

// do posts body to path with the token and open_id (for OpenAPI paths).
func (f *fx) do(t *testing.T, path string, q url.Values, ctype string, body []byte) answer {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	method := http.MethodPost
	if path == douyin.PathList {
		method = http.MethodGet
	}
	req, _ := http.NewRequest(method, f.srv.URL+path+"?"+q.Encode(), bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("access-token", f.token)
	res, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a answer
	if b, _ := io.ReadAll(res.Body); json.Unmarshal(b, &a) != nil || res.StatusCode != 200 {
		t.Fatalf("%s: status %d body %s", path, res.StatusCode, b)
	}
	return a
}

func (f *fx) api(t *testing.T, path string, q url.Values, ctype string, body []byte) answer {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("open_id", "fake-open-id")
	a := f.do(t, path, q, ctype, body)
	if a.Extra == nil || a.Extra.ErrorCode != a.Data.ErrorCode || a.Extra.LogID == "" {
		t.Fatalf("%s: OpenAPI envelope without a matching extra: %+v", path, a)
	}
	return a
}

func part(t *testing.T, n int) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("video", "v.mp4")
	w.Write(bytes.Repeat([]byte("v"), n))
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func TestOAuthErrorCodesUnverified(t *testing.T) {
	// Only 10010 is documented; 10005 (missing parameter: a JSON body),
	// 10007 (bad code) and 10013 (bad client) are the fake's choice.
	f := setup(t)
	js, _ := json.Marshal(map[string]string{"client_key": "ck", "client_secret": "cs", "code": f.fake.IssueCode(), "grant_type": "authorization_code"})
	if a := f.do(t, douyin.PathAccessToken, nil, "application/json", js); a.Data.ErrorCode != fakedouyin.CodeMissingParam || a.Message != "error" {
		t.Fatalf("JSON body: %+v", a)
	}
	form := func(v url.Values) []byte { return []byte(v.Encode()) }
	if a := f.do(t, douyin.PathAccessToken, nil, "application/x-www-form-urlencoded",
		form(url.Values{"client_key": {"ck"}, "client_secret": {"cs"}, "code": {"nope"}, "grant_type": {"authorization_code"}})); a.Data.ErrorCode != fakedouyin.CodeBadCode {
		t.Fatalf("bad code: %+v", a)
	}
	if a := f.do(t, douyin.PathAccessToken, nil, "application/x-www-form-urlencoded",
		form(url.Values{"client_key": {"ck"}, "client_secret": {"x"}, "code": {f.fake.IssueCode()}, "grant_type": {"authorization_code"}})); a.Data.ErrorCode != fakedouyin.CodeBadClient {
		t.Fatalf("bad secret: %+v", a)
	}
}

func TestRefreshKeepsRefreshExpiryAndAnswers10010(t *testing.T) {
	f := setup(t)
	// The fake's refresh token is the one the exchange granted.
	c := douyin.New(f.srv.URL, "ck", "cs", nil)
	c.Tokens.Now = f.clk.Now
	if _, err := c.Tokens.Exchange(context.Background(), f.fake.IssueCode()); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(29 * 24 * time.Hour)
	if _, err := c.Tokens.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(2 * 24 * time.Hour)
	c.Tokens.Now = func() time.Time { return time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC) }
	_, err := c.Tokens.Refresh(context.Background())
	if e, ok := errors.AsType[*douyin.Error](err); !ok || e.Code != douyin.CodeRefreshExpired {
		t.Fatalf("refresh after 31 days: %v", err)
	}
}

func TestTokenChecks(t *testing.T) {
	f := setup(t)
	if a := f.do(t, douyin.PathPartInit, url.Values{"open_id": {"someone-else"}}, "", nil); a.Data.ErrorCode != douyin.CodeTokenMismatch {
		t.Fatalf("open_id mismatch: %+v", a)
	}
	f.fake.ExpireAccessTokens()
	if a := f.api(t, douyin.PathPartInit, nil, "", nil); a.Data.ErrorCode != douyin.CodeTokenExpired {
		t.Fatalf("expired: %+v", a)
	}
	f.token = "act.unknown"
	if a := f.api(t, douyin.PathPartInit, nil, "", nil); a.Data.ErrorCode != douyin.CodeOldTokenInvalid {
		t.Fatalf("unknown: %+v", a)
	}
}

func TestChunkBookkeeping(t *testing.T) {
	f := setup(t)
	id := f.api(t, douyin.PathPartInit, nil, "", nil).Data.UploadID
	if !strings.ContainsAny(id, "+/=") {
		t.Fatalf("upload_id %q needs no URL-encoding; the client's encoding goes untested", id)
	}
	up := func(n, size int) int {
		ct, b := part(t, size)
		return f.api(t, douyin.PathPartUpload, url.Values{"upload_id": {id}, "part_number": {fmt.Sprint(n)}}, ct, b).Data.ErrorCode
	}
	complete := func() answer { return f.api(t, douyin.PathPartComplete, url.Values{"upload_id": {id}}, "", nil) }
	if up(0, 4) == 0 {
		t.Fatal("part 0 accepted")
	}
	if up(1, 4) != 0 || up(3, 2) != 0 {
		t.Fatal("parts refused")
	}
	if a := complete(); a.Data.ErrorCode != douyin.CodeBadParams || !strings.Contains(a.Data.Description, "part 2 missing") {
		t.Fatalf("missing part: %+v", a)
	}
	if up(2, 3) != 0 {
		t.Fatal("part 2 refused")
	}
	if a := complete(); !strings.Contains(a.Data.Description, "part 2 has 3 bytes") {
		t.Fatalf("small middle part: %+v", a)
	}
	if up(2, 4) != 0 {
		t.Fatal("part 2 again refused")
	}
	if a := complete(); a.Data.ErrorCode != 0 || a.Data.Video.VideoID == "" {
		t.Fatalf("complete: %+v", a)
	}
	if a := complete(); a.Data.ErrorCode != douyin.CodeBadParams {
		t.Fatalf("completed twice: %+v", a)
	}
	// An upload_id lapses after two hours.
	id = f.api(t, douyin.PathPartInit, nil, "", nil).Data.UploadID
	f.clk.Add(2 * time.Hour)
	if up(1, 4) != douyin.CodeBadParams {
		t.Fatal("expired upload_id accepted")
	}
}

func TestDailyCapUnverified(t *testing.T) {
	// 75 creates per user per day, error 2114007: a blog's claim (UNVERIFIED).
	f := setup(t)
	create := func() int {
		ct, b := part(t, 1)
		vid := f.api(t, douyin.PathUpload, nil, ct, b).Data.Video.VideoID
		body, _ := json.Marshal(douyin.CreateRequest{VideoID: vid, Text: "t"})
		return f.api(t, douyin.PathCreate, nil, "application/json", body).Data.ErrorCode
	}
	for i := range 75 {
		if code := create(); code != 0 {
			t.Fatalf("create %d: %d", i+1, code)
		}
	}
	if code := create(); code != douyin.CodeDailyCap || f.fake.Creates() != 75 {
		t.Fatalf("76th create: %d, creates %d", code, f.fake.Creates())
	}
	f.clk.Add(24 * time.Hour)
	if code := create(); code != 0 {
		t.Fatalf("next day: %d", code)
	}
}

func TestFailNextAndList(t *testing.T) {
	f := setup(t)
	f.fake.FailNext(1, douyin.CodeBusy)
	if a := f.api(t, douyin.PathList, url.Values{"cursor": {"0"}, "count": {"10"}}, "", nil); a.Data.ErrorCode != douyin.CodeBusy {
		t.Fatalf("FailNext: %+v", a)
	}
	if a := f.api(t, douyin.PathList, url.Values{"cursor": {"0"}, "count": {"21"}}, "", nil); a.Data.ErrorCode != douyin.CodeBadParams {
		t.Fatalf("count 21: %+v", a)
	}
	if a := f.api(t, douyin.PathList, url.Values{"cursor": {"0"}, "count": {"20"}}, "", nil); a.Data.ErrorCode != 0 {
		t.Fatalf("list: %+v", a)
	}
	if f.fake.Calls(douyin.PathList) != 3 {
		t.Fatalf("calls %d", f.fake.Calls(douyin.PathList))
	}
}

func TestConnectRedirects(t *testing.T) {
	f := setup(t)
	ts := &douyin.TokenSource{BaseURL: f.srv.URL, ClientKey: "ck"}
	c := f.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(ts.AuthorizeURL("https://sanshen.example/cb", "st"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || loc.Host != "sanshen.example" || loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %d %s", res.StatusCode, loc)
	}
}
