package fakewechat_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
)

var pngImg = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)

type env struct {
	t    *testing.T
	fake *fakewechat.Server
	url  string
	tok  string
}

func start(t *testing.T, opts fakewechat.Options) *env {
	t.Helper()
	opts.AppID, opts.Secret = "wxapp", "s3cret"
	e := &env{t: t, fake: fakewechat.New(opts)}
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.tok = e.token(false)
	return e
}

// post sends body to the endpoint and decodes the answer.
func (e *env) post(path, ct string, body []byte) map[string]any {
	e.t.Helper()
	u := e.url + "/cgi-bin/" + path
	if path != "stable_token" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "access_token=" + e.tok
	}
	res, err := http.Post(u, ct, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
		e.t.Fatalf("%s: status %d, %v", path, res.StatusCode, err)
	}
	return out
}

func (e *env) json(path string, v any) map[string]any {
	e.t.Helper()
	b, _ := json.Marshal(v)
	return e.post(path, "application/json", b)
}

func (e *env) token(force bool) string {
	e.t.Helper()
	out := e.json("stable_token", map[string]any{"grant_type": "client_credential", "appid": "wxapp", "secret": "s3cret", "force_refresh": force})
	tok, _ := out["access_token"].(string)
	if tok == "" || out["expires_in"].(float64) < 300 {
		e.t.Fatalf("stable_token: %v", out)
	}
	return tok
}

func (e *env) upload(path, name string, data []byte) map[string]any {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("media", name)
	fw.Write(data)
	w.Close()
	return e.post(path, w.FormDataContentType(), b.Bytes())
}

func code(m map[string]any) int { f, _ := m["errcode"].(float64); return int(f) }

func (e *env) draft(title string) string {
	e.t.Helper()
	thumb := e.upload("material/add_material?type=image", "c.png", pngImg)["media_id"]
	out := e.json("draft/add", map[string]any{"articles": []map[string]any{{"title": title, "content": "<p>x</p>", "thumb_media_id": thumb}}})
	id, _ := out["media_id"].(string)
	if id == "" {
		e.t.Fatalf("draft/add: %v", out)
	}
	return id
}

func TestStableTokenAndExpiry(t *testing.T) {
	e := start(t, fakewechat.Options{})
	if again := e.token(false); again != e.tok {
		t.Fatal("stable_token without force_refresh changed the token")
	}
	if forced := e.token(true); forced == e.tok {
		t.Fatal("force_refresh kept the token")
	}
	e.tok = e.token(false)
	e.fake.ExpireTokens()
	if c := code(e.json("draft/get", map[string]string{"media_id": "x"})); c != 42001 {
		t.Fatalf("expired token answered %d, want 42001", c)
	}
	e.tok = "bogus"
	if c := code(e.json("draft/get", map[string]string{"media_id": "x"})); c != 40014 {
		t.Fatalf("unknown token answered %d, want 40014", c)
	}
	e.tok = e.token(false)
	if c := code(e.json("draft/get", map[string]string{"media_id": "x"})); c != 40007 {
		t.Fatalf("new token: %d", c)
	}
	if n := e.fake.Calls("/cgi-bin/draft/get"); n != 3 {
		t.Fatalf("Calls(draft/get) = %d", n)
	}
}

// TestUploadCodesUnverified pins the fake's choice of 40005 (wrong type)
// and 40009 (too big) for image uploads.
func TestUploadCodesUnverified(t *testing.T) {
	e := start(t, fakewechat.Options{})
	gif := append([]byte("GIF89a"), make([]byte, 10)...)
	if c := code(e.upload("media/uploadimg", "a.gif", gif)); c != 40005 {
		t.Fatalf("uploadimg gif: %d", c)
	}
	if c := code(e.upload("media/uploadimg", "a.png", append(append([]byte{}, pngImg...), make([]byte, 1<<20)...))); c != 40009 {
		t.Fatalf("uploadimg 1 MB: %d", c)
	}
	if out := e.upload("media/uploadimg", "a.png", pngImg); !strings.HasPrefix(out["url"].(string), e.url) {
		t.Fatalf("uploadimg: %v", out)
	}
	if out := e.upload("material/add_material?type=image", "a.gif", gif); out["media_id"] == nil {
		t.Fatalf("add_material gif: %v", out)
	}
}

// TestDraftAddCodesUnverified pins the fake's draft/add limit codes.
func TestDraftAddCodesUnverified(t *testing.T) {
	e := start(t, fakewechat.Options{})
	thumb := e.upload("material/add_material?type=image", "c.png", pngImg)["media_id"]
	cases := map[string]struct {
		field, value string
		code         int
	}{
		"title":   {"title", strings.Repeat("标", 33), 45003},
		"author":  {"author", strings.Repeat("作", 17), 45110},
		"digest":  {"digest", strings.Repeat("摘", 129), 45004},
		"content": {"content", strings.Repeat("文", 20000), 45002},
		"url":     {"content_source_url", strings.Repeat("a", 1025), 45005},
		"thumb":   {"thumb_media_id", "not-a-media-id", 40007},
	}
	for name, tc := range cases {
		a := map[string]any{"title": "标题", "content": "<p>x</p>", "thumb_media_id": thumb}
		a[tc.field] = tc.value
		if c := code(e.json("draft/add", map[string]any{"articles": []any{a}})); c != tc.code {
			t.Errorf("%s: errcode %d, want %d", name, c, tc.code)
		}
	}
	if e.fake.Drafts() != 0 {
		t.Fatalf("invalid drafts stored: %d", e.fake.Drafts())
	}
}

// TestSubmitTwiceUnverified pins 40007 for a second submit of a media_id.
func TestSubmitTwiceUnverified(t *testing.T) {
	e := start(t, fakewechat.Options{PublishingPolls: 1, NumericIDs: true})
	id := e.draft("通知")
	out := e.json("freepublish/submit", map[string]string{"media_id": id})
	pid, isNum := out["publish_id"].(float64)
	if code(out) != 0 || !isNum || e.fake.Drafts() != 0 {
		t.Fatalf("submit: %v (want a numeric publish_id), drafts %d", out, e.fake.Drafts())
	}
	if c := code(e.json("draft/get", map[string]string{"media_id": id})); c != 40007 {
		t.Fatalf("draft/get after submit: %d", c)
	}
	if c := code(e.json("freepublish/submit", map[string]string{"media_id": id})); c != 40007 || e.fake.Published() != 1 {
		t.Fatalf("second submit: %d, published %d", c, e.fake.Published())
	}
	if st := e.json("freepublish/get", map[string]any{"publish_id": int64(pid)})["publish_status"]; st != 1.0 {
		t.Fatalf("first poll: %v", st)
	}
	got := e.json("freepublish/get", map[string]any{"publish_id": int64(pid)})
	items := got["article_detail"].(map[string]any)["item"].([]any)
	u := items[0].(map[string]any)["article_url"].(string)
	if got["publish_status"] != 0.0 || !strings.HasPrefix(u, e.url+"/s/") {
		t.Fatalf("second poll: %v", got)
	}
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "<p>x</p>") || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("article page: %d %s", res.StatusCode, body)
	}
	aid := got["article_id"].(string)
	if c := code(e.json("freepublish/delete", map[string]any{"article_id": aid, "index": 0})); c != 0 {
		t.Fatalf("delete: %d", c)
	}
	if st := e.json("freepublish/get", map[string]any{"publish_id": int64(pid)})["publish_status"]; st != 5.0 {
		t.Fatalf("after delete: %v, want 5", st)
	}
}

func TestFailureStatusAndBatchGet(t *testing.T) {
	e := start(t, fakewechat.Options{FinalStatus: 4, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }})
	pid := e.json("freepublish/submit", map[string]string{"media_id": e.draft("通知")})["publish_id"]
	got := e.json("freepublish/get", map[string]any{"publish_id": pid})
	if got["publish_status"] != 4.0 || len(got["fail_idx"].([]any)) != 1 || e.fake.Published() != 0 {
		t.Fatalf("failed job: %v", got)
	}
	if out := e.json("freepublish/batchget", map[string]int{"offset": 0, "count": 20, "no_content": 1}); out["total_count"] != 0.0 {
		t.Fatalf("batchget lists a failed job: %v", out)
	}
}

func TestFaults(t *testing.T) {
	e := start(t, fakewechat.Options{})
	e.fake.FailNext(2, 45009)
	for range 2 {
		if c := code(e.json("draft/get", map[string]string{"media_id": "x"})); c != 45009 {
			t.Fatalf("FailNext: %d", c)
		}
	}
	e.fake.IPWhitelistError(true)
	out := e.json("draft/get", map[string]string{"media_id": "x"})
	if code(out) != 40164 || !strings.Contains(out["errmsg"].(string), "not in whitelist rid:") {
		t.Fatalf("whitelist: %v", out)
	}
	e.fake.IPWhitelistError(false)
	thumb := e.upload("material/add_material?type=image", "c.png", pngImg)["media_id"]
	e.fake.DropAnswerAfterCommit(1)
	b, _ := json.Marshal(map[string]any{"articles": []any{map[string]any{"title": "t", "content": "c", "thumb_media_id": thumb}}})
	res, err := http.Post(e.url+"/cgi-bin/draft/add?access_token="+e.tok, "application/json", bytes.NewReader(b))
	if err == nil {
		res.Body.Close()
		t.Fatal("dropped answer arrived")
	}
	if e.fake.Drafts() != 1 {
		t.Fatalf("drafts after a dropped answer: %d, want the commit kept", e.fake.Drafts())
	}
}

// TestOtherCodesUnverified pins the fake's remaining guesses: 40004 for an
// add_material type other than image, 40007 for an unknown publish_id or
// article_id, 47001 for a body that is not JSON.
func TestOtherCodesUnverified(t *testing.T) {
	e := start(t, fakewechat.Options{})
	if c := code(e.upload("material/add_material?type=voice", "a.png", pngImg)); c != 40004 {
		t.Errorf("type=voice: %d", c)
	}
	if c := code(e.json("freepublish/get", map[string]string{"publish_id": "1"})); c != 40007 {
		t.Errorf("unknown publish_id: %d", c)
	}
	if c := code(e.json("freepublish/delete", map[string]any{"article_id": "nope", "index": 0})); c != 40007 {
		t.Errorf("unknown article_id: %d", c)
	}
	if c := code(e.post("draft/get", "application/json", []byte("{"))); c != 47001 {
		t.Errorf("bad JSON: %d", c)
	}
}
