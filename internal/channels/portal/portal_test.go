package portal_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
)

var secret = []byte("portal-test-secret")

// waits records the client's waits between attempts without taking them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.d)
}

// setup starts a fake portal and a client for it that records its waits.
func setup(t *testing.T, opts fakeportal.Options) (*fakeportal.Server, *portal.Client, *waits) {
	t.Helper()
	opts.KeyID, opts.Secret = "k1", secret
	fake := fakeportal.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	w := &waits{}
	return fake, &portal.Client{BaseURL: srv.URL, KeyID: "k1", Secret: secret, HTTP: srv.Client(), Sleep: w.sleep}, w
}

func item(rev int, title string) portal.Item {
	return portal.Item{
		Source: "sanshen", Agency: portal.Agency{Slug: "dongsi", Name: "东四街道办事处"},
		DraftID: 123, Revision: rev, Title: title, Digest: "摘要", Category: "news", Department: "办公室",
		FormedOn: "2026-11-30", PublishedAt: "2026-12-02T08:00:00+08:00",
		BodyHTML: "<p>正文</p>", BodyText: "正文", SourceURL: "https://sanshen.example.gov.cn/public/dongsi/items/123",
	}
}

func key(rev int) string { return "sanshen:test:123:" + strconv.Itoa(rev) + ":portal" }

// asError fails the test unless err is a *portal.Error.
func asError(t *testing.T, err error) *portal.Error {
	t.Helper()
	e, ok := errors.AsType[*portal.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *portal.Error", err, err)
	}
	return e
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestCreate(t *testing.T) {
	fake, c, _ := setup(t, fakeportal.Options{})
	ctx := t.Context()
	it := item(1, "关于冬季供暖的通知")
	r, err := c.Create(ctx, key(1), it)
	if err != nil {
		t.Fatal(err)
	}
	items := fake.Items()
	if len(items) != 1 || items[0].ID != r.ID || items[0].URL != r.URL || !reflect.DeepEqual(items[0].Item, it) {
		t.Fatalf("receipt %+v, portal holds %+v", r, items)
	}
	if st, page := get(t, r.URL); st != 200 || !strings.Contains(page, it.Title) {
		t.Fatalf("public page answered %d:\n%s", st, page)
	}
	if st, page := get(t, strings.TrimSuffix(r.URL, "/items/"+r.ID)+"/"); st != 200 || !strings.Contains(page, it.Title) {
		t.Fatalf("front page answered %d:\n%s", st, page)
	}
	s, err := c.Get(ctx, r.ID)
	if err != nil || s.Receipt != r || !reflect.DeepEqual(s.Item, it) || len(s.Raw) == 0 {
		t.Fatalf("Get: %+v, %v", s, err)
	}
}

func TestReplay(t *testing.T) {
	fake, c, _ := setup(t, fakeportal.Options{})
	ctx := t.Context()
	r1, err := c.Create(ctx, key(1), item(1, "标题"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.Create(ctx, key(1), item(1, "标题"))
	if err != nil || r2 != r1 {
		t.Fatalf("replay: %+v, %v; first %+v", r2, err, r1)
	}
	if fake.Writes() != 1 || fake.Replays() != 1 {
		t.Fatalf("writes %d replays %d, want 1 and 1", fake.Writes(), fake.Replays())
	}
	_, err = c.Create(ctx, key(1), item(1, "另一个标题"))
	e := asError(t, err)
	if e.Status != 422 || e.Code != "idempotency_key_reused" || e.Attempts != 1 || e.Retryable {
		t.Fatalf("reused key: %+v", e)
	}
	if n := len(fake.Requests()); n != 3 || fake.Writes() != 1 || len(fake.Items()) != 1 {
		t.Fatalf("%d requests, %d writes, %d items; want 3, 1, 1", n, fake.Writes(), len(fake.Items()))
	}
}

func TestRetry5xx(t *testing.T) {
	fake, c, w := setup(t, fakeportal.Options{})
	c.Backoff = 100 * time.Millisecond
	fake.FailNext(2, 503)
	r, err := c.Create(t.Context(), key(1), item(1, "标题"))
	if err != nil {
		t.Fatal(err)
	}
	if items := fake.Items(); len(items) != 1 || items[0].ID != r.ID || len(fake.Requests()) != 3 {
		t.Fatalf("items %+v after %d requests", items, len(fake.Requests()))
	}
	// Waits of 100ms and 200ms, each jittered in their upper half.
	got := w.all()
	if len(got) != 2 || got[0] < 50*time.Millisecond || got[0] > 100*time.Millisecond ||
		got[1] < 100*time.Millisecond || got[1] > 200*time.Millisecond {
		t.Fatalf("waits %v", got)
	}

	fake2, c2, _ := setup(t, fakeportal.Options{})
	fake2.FailNext(10, 500)
	_, err = c2.Create(t.Context(), key(1), item(1, "标题"))
	e := asError(t, err)
	if e.Status != 500 || !e.Retryable || e.Attempts != 4 || len(fake2.Items()) != 0 || len(fake2.Requests()) != 4 {
		t.Fatalf("exhausted: %+v, %d items, %d requests", e, len(fake2.Items()), len(fake2.Requests()))
	}
	if msg := e.Error(); !strings.Contains(msg, "POST /v1/items") || !strings.Contains(msg, "500") {
		t.Fatalf("Error() = %q", msg)
	}
}

func TestTimeoutAfterCommit(t *testing.T) {
	fake, c, _ := setup(t, fakeportal.Options{})
	c.AttemptTimeout = 300 * time.Millisecond
	fake.CommitThenStall(1, 2*time.Second)
	r, err := c.Create(t.Context(), key(1), item(1, "标题"))
	if err != nil {
		t.Fatal(err)
	}
	items := fake.Items()
	if len(items) != 1 || items[0].ID != r.ID || items[0].URL != r.URL {
		t.Fatalf("receipt %+v, items %+v", r, items)
	}
	if fake.Writes() != 1 || fake.Replays() != 1 {
		t.Fatalf("writes %d replays %d, want 1 and 1", fake.Writes(), fake.Replays())
	}
}

func TestRetryAfter(t *testing.T) {
	fake, c, w := setup(t, fakeportal.Options{})
	fake.FailNext(1, 429)
	if _, err := c.Create(t.Context(), key(1), item(1, "标题")); err != nil {
		t.Fatal(err)
	}
	if got := w.all(); len(got) != 1 || got[0] != time.Second {
		t.Fatalf("waits %v, want [1s]", got)
	}

	// A long Retry-After is capped at 30s.
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			rw.Header().Set("Retry-After", "120")
			rw.WriteHeader(429)
			return
		}
		rw.WriteHeader(201)
		rw.Write([]byte(`{"id":"x1","url":"https://portal.example.gov.cn/items/x1"}`))
	}))
	defer srv.Close()
	w2 := &waits{}
	c2 := &portal.Client{BaseURL: srv.URL, KeyID: "k1", Secret: secret, Sleep: w2.sleep}
	if _, err := c2.Create(t.Context(), key(1), item(1, "标题")); err != nil {
		t.Fatal(err)
	}
	if got := w2.all(); len(got) != 1 || got[0] != 30*time.Second {
		t.Fatalf("waits %v, want [30s]", got)
	}
}

func TestPermanent(t *testing.T) {
	for _, status := range []int{400, 401, 404, 409, 413, 422} {
		fake, c, _ := setup(t, fakeportal.Options{})
		fake.FailNext(5, status)
		_, err := c.Create(t.Context(), key(1), item(1, "标题"))
		if e := asError(t, err); e.Status != status || e.Attempts != 1 || e.Retryable || len(fake.Requests()) != 1 {
			t.Errorf("%d: %+v after %d requests", status, e, len(fake.Requests()))
		}
	}
	cases := map[string]func(c *portal.Client){
		"bad_signature": func(c *portal.Client) { c.Secret = []byte("wrong") },
		"bad_timestamp": func(c *portal.Client) { c.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) } },
		"unknown_key":   func(c *portal.Client) { c.KeyID = "k2" },
	}
	for code, spoil := range cases {
		fake, c, _ := setup(t, fakeportal.Options{})
		spoil(c)
		_, err := c.Create(t.Context(), key(1), item(1, "标题"))
		if e := asError(t, err); e.Status != 401 || e.Code != code || e.Attempts != 1 || e.Retryable || len(fake.Items()) != 0 {
			t.Errorf("%s: %+v", code, e)
		}
	}
	// A key the contract refuses never leaves sanshen.
	fake, c, _ := setup(t, fakeportal.Options{})
	for _, k := range []string{"", strings.Repeat("k", 201), "含中文"} {
		_, err := c.Create(t.Context(), k, item(1, "标题"))
		if e := asError(t, err); e.Code != "bad_key" || e.Retryable {
			t.Errorf("key %q: %+v", k, e)
		}
	}
	if n := len(fake.Requests()); n != 0 {
		t.Fatalf("%d requests with bad keys", n)
	}
}

func TestUpdateDelete(t *testing.T) {
	fake, c, _ := setup(t, fakeportal.Options{})
	ctx := t.Context()
	r, err := c.Create(ctx, key(1), item(1, "旧标题"))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.Update(ctx, r.ID, key(2), item(2, "新标题"))
	if err != nil || r2 != r {
		t.Fatalf("update: %+v, %v", r2, err)
	}
	st := fake.Items()[0]
	if st.Version != 2 || st.Item.Revision != 2 || st.Item.Title != "新标题" || len(st.History) != 2 || st.History[0].Title != "旧标题" {
		t.Fatalf("after update: %+v", st)
	}
	if code, page := get(t, r.URL); code != 200 || !strings.Contains(page, "新标题") || strings.Contains(page, "旧标题") {
		t.Fatalf("page %d:\n%s", code, page)
	}
	_, err = c.Update(ctx, r.ID, key(3), item(1, "回退"))
	if e := asError(t, err); e.Status != 409 || e.Code != "stale_revision" {
		t.Fatalf("older revision: %+v", e)
	}

	gone, err := c.Delete(ctx, r.ID, "sanshen:test:123:2:delete", "revoked", "撤回")
	if err != nil || gone {
		t.Fatalf("delete: %v, %v", gone, err)
	}
	if st := fake.Items()[0]; st.Deleted.IsZero() || st.DeleteReason != "revoked" || st.DeleteNote != "撤回" {
		t.Fatalf("after delete: %+v", st)
	}
	if code, page := get(t, r.URL); code != 410 || !strings.Contains(page, "该信息已撤下") {
		t.Fatalf("page after delete %d:\n%s", code, page)
	}
	if _, err := c.Get(ctx, r.ID); asError(t, err).Status != 410 {
		t.Fatalf("Get after delete: %v", err)
	}
	replays := fake.Replays()
	if gone, err := c.Delete(ctx, r.ID, "sanshen:test:123:2:delete", "revoked", "撤回"); err != nil || gone || fake.Replays() != replays+1 {
		t.Fatalf("delete replay: %v, %v", gone, err)
	}
	if gone, err := c.Delete(ctx, r.ID, "sanshen:test:123:3:delete", "revoked", ""); err != nil || !gone {
		t.Fatalf("delete again: %v, %v", gone, err)
	}
	_, err = c.Update(ctx, r.ID, key(4), item(4, "复活"))
	if e := asError(t, err); e.Status != 404 || e.Retryable {
		t.Fatalf("update after delete: %+v", e)
	}
	if fake.Writes() != 3 {
		t.Fatalf("writes %d, want 3 (create, update, delete)", fake.Writes())
	}
}

func TestFetchAttachments(t *testing.T) {
	file := []byte("not really a jpeg")
	sum := sha256.Sum256(file)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/a.jpg" {
			http.NotFound(w, r)
			return
		}
		w.Write(file)
	}))
	defer files.Close()
	att := portal.Attachment{Name: "a.jpg", MediaType: "image/jpeg", Size: int64(len(file)), SHA256: hex.EncodeToString(sum[:]),
		Role: "image", URL: files.URL + "/a.jpg", Width: 10, Height: 10}

	fake, c, _ := setup(t, fakeportal.Options{FetchAttachments: true})
	ok := item(1, "标题")
	ok.Attachments = []portal.Attachment{att}
	if _, err := c.Create(t.Context(), key(1), ok); err != nil {
		t.Fatal(err)
	}
	wrong, missing := item(2, "标题"), item(3, "标题")
	wrong.DraftID, missing.DraftID = 124, 125
	bad := att
	bad.SHA256 = strings.Repeat("0", 64)
	wrong.Attachments = []portal.Attachment{bad}
	gone := att
	gone.URL = files.URL + "/b.jpg"
	missing.Cover = &gone
	missing.Cover.Role = "cover"
	for code, it := range map[string]portal.Item{"attachment_mismatch": wrong, "attachment_unreachable": missing} {
		before := len(fake.Requests())
		_, err := c.Create(t.Context(), key(it.Revision), it)
		if e := asError(t, err); e.Status != 422 || e.Code != code || e.Attempts != 1 || e.Retryable || len(fake.Requests()) != before+1 {
			t.Errorf("%s: %+v", code, e)
		}
	}
	if n := len(fake.Items()); n != 1 {
		t.Fatalf("%d items, want 1", n)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	fake, c, _ := setup(t, fakeportal.Options{})
	c.Sleep, c.Backoff = nil, 10*time.Second
	fake.FailNext(5, 503)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Create(ctx, key(1), item(1, "标题"))
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %s after cancel", took)
	}
	if !errors.Is(err, context.Canceled) || !asError(t, err).Retryable || len(fake.Requests()) != 1 {
		t.Fatalf("err %v after %d requests", err, len(fake.Requests()))
	}
}

func TestBadReceipt(t *testing.T) {
	for _, body := range []string{`{"id":"","url":"https://p.example/items/1"}`, `{"id":"1","url":"/items/1"}`, `not json`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(201)
			w.Write([]byte(body))
		}))
		c := &portal.Client{BaseURL: srv.URL, KeyID: "k1", Secret: secret}
		_, err := c.Create(t.Context(), key(1), item(1, "标题"))
		if e := asError(t, err); e.Status != 201 || e.Code != "bad_receipt" || !e.Retryable {
			t.Errorf("%s: %+v", body, e)
		}
		srv.Close()
	}
	// An update's receipt must name the item updated.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id":"other","url":"https://p.example/items/other"}`))
	}))
	defer srv.Close()
	c := &portal.Client{BaseURL: srv.URL, KeyID: "k1", Secret: secret}
	_, err := c.Update(t.Context(), "mine", key(2), item(2, "标题"))
	if e := asError(t, err); e.Code != "bad_receipt" || !e.Retryable || e.Path != "/v1/items/mine" {
		t.Errorf("update answered another id: %+v", e)
	}
}

// The worked example of docs/portal.md: a vendor checks their code with it.
func TestSignatureVector(t *testing.T) {
	const (
		ts   = "1796169600"
		k    = "sanshen:dongcheng:123:2:portal"
		body = `{"title":"示例"}`
		want = "v1=5627294d47c5fa4c0e399b84e05819db66ef0b62a63eb002d08415f518a76c8c"
	)
	got := portal.Sign([]byte("portal-demo-secret"), "POST", "/sanshen/v1/items", ts, k, []byte(body))
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !portal.Verify([]byte("portal-demo-secret"), "POST", "/sanshen/v1/items", ts, k, []byte(body), want) ||
		portal.Verify([]byte("portal-demo-secret"), "POST", "/sanshen/v1/items", ts, k, []byte(body+" "), want) ||
		portal.Verify([]byte("portal-demo-secret"), "PUT", "/sanshen/v1/items", ts, k, []byte(body), want) {
		t.Fatal("Verify does not check what Sign signs")
	}
	doc, err := os.ReadFile("../../../docs/portal.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{want, ts, k, body, "portal-demo-secret"} {
		if !strings.Contains(string(doc), s) {
			t.Errorf("docs/portal.md does not show %s", s)
		}
	}
}

// TestOpenAPIParity keeps the webhooks of services/api/openapi.json and the Go types in step:
// the same fields, the same required ones (those without omitempty), the
// same JSON types.
func TestOpenAPIParity(t *testing.T) {
	raw, err := os.ReadFile("../../../services/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	type schema struct {
		Required   []string
		Properties map[string]struct {
			Type any
			Ref  string `json:"$ref"`
			Enum []string
		}
	}
	var doc struct {
		Webhooks   map[string]map[string]json.RawMessage
		Components struct{ Schemas map[string]schema }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"portalCreate/post", "portalUpdate/put", "portalDelete/delete", "portalRead/get"} {
		name, method, _ := strings.Cut(w, "/")
		if doc.Webhooks[name][method] == nil {
			t.Errorf("webhook %s has no %s", name, method)
		}
	}
	for name, v := range map[string]any{"PortalItem": portal.Item{}, "PortalAgency": portal.Agency{}, "PortalAttachment": portal.Attachment{},
		"PortalReceipt": portal.Receipt{}, "PortalStored": portal.Stored{}, "PortalDelete": portal.DeleteBody{}, "PortalError": portal.ErrorBody{}} {
		sc, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("no schema %s", name)
			continue
		}
		fields := map[string]reflect.StructField{}
		var required []string
		var walk func(reflect.Type)
		walk = func(rt reflect.Type) {
			for f := range rt.Fields() {
				if f.Anonymous {
					walk(f.Type)
					continue
				}
				tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
				if tag == "-" {
					continue
				}
				fields[tag] = f
				if !strings.Contains(opts, "omitempty") {
					required = append(required, tag)
				}
			}
		}
		walk(reflect.TypeOf(v))
		for p := range sc.Properties {
			if _, ok := fields[p]; !ok {
				t.Errorf("%s.%s is not a field of %T", name, p, v)
			}
		}
		for tag, f := range fields {
			p, ok := sc.Properties[tag]
			if !ok {
				t.Errorf("%T field %s (%s) is missing from %s", v, f.Name, tag, name)
				continue
			}
			want := map[reflect.Kind]string{reflect.String: "string", reflect.Int: "integer", reflect.Int64: "integer",
				reflect.Slice: "array", reflect.Struct: "$ref", reflect.Pointer: "$ref"}[f.Type.Kind()]
			got := p.Ref
			if got != "" {
				got = "$ref"
			} else if s, ok := p.Type.(string); ok {
				got = s
			} else if l, ok := p.Type.([]any); ok && len(l) > 0 {
				got, _ = l[0].(string)
			}
			if got != want {
				t.Errorf("%s.%s is %q, the Go field %s", name, tag, got, f.Type)
			}
		}
		slices.Sort(required)
		slices.Sort(sc.Required)
		if !slices.Equal(required, sc.Required) {
			t.Errorf("%s requires %v; the Go fields without omitempty are %v", name, sc.Required, required)
		}
	}
	if got := doc.Components.Schemas["PortalDelete"].Properties["reason"].Enum; !slices.Equal(got, portal.DeleteReasons) {
		t.Errorf("PortalDelete.reason enum %v, Go %v", got, portal.DeleteReasons)
	}
}
