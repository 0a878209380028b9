package fakeportal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
)

var secret = []byte("fake-test-secret")

func start(t *testing.T) (*fakeportal.Server, *httptest.Server, *portal.Client) {
	t.Helper()
	fake := fakeportal.New(fakeportal.Options{KeyID: "k1", Secret: secret, PublicBase: "https://portal.example.gov.cn"})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv, &portal.Client{BaseURL: srv.URL, KeyID: "k1", Secret: secret, HTTP: srv.Client()}
}

func item() portal.Item {
	return portal.Item{Source: "sanshen", Agency: portal.Agency{Slug: "dongsi"}, DraftID: 7, Revision: 1, Title: "标题",
		BodyText: "正文", SourceURL: "https://sanshen.example.gov.cn/public/dongsi/items/7"}
}

// send makes a raw request, signed when sign is true, and returns the
// status and error body.
func send(t *testing.T, base, method, path, key string, body []byte, sign bool) (int, portal.ErrorBody) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
	if sign {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set(portal.HeaderKeyID, "k1")
		req.Header.Set(portal.HeaderTimestamp, ts)
		req.Header.Set(portal.HeaderSignature, portal.Sign(secret, method, path, ts, key, body))
	}
	if key != "" {
		req.Header.Set(portal.HeaderIdempotencyKey, key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var eb portal.ErrorBody
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &eb)
	return res.StatusCode, eb
}

func TestValidation(t *testing.T) {
	fake, _, c := start(t)
	att := portal.Attachment{Name: "a.pdf", MediaType: "application/pdf", Size: 3, SHA256: strings.Repeat("a", 64), Role: "document", URL: "https://s.example/a.pdf"}
	cases := map[string]func(*portal.Item){
		"source":                    func(it *portal.Item) { it.Source = "" },
		"agency.slug":               func(it *portal.Item) { it.Agency.Slug = "" },
		"draft_id":                  func(it *portal.Item) { it.DraftID = 0 },
		"revision":                  func(it *portal.Item) { it.Revision = 0 },
		"title":                     func(it *portal.Item) { it.Title = "  " },
		"body_html":                 func(it *portal.Item) { it.BodyText = "" },
		"source_url":                func(it *portal.Item) { it.SourceURL = "/public/dongsi/items/7" },
		"formed_on":                 func(it *portal.Item) { it.FormedOn = "2026年11月30日" },
		"published_at":              func(it *portal.Item) { it.PublishedAt = "2026-12-02 08:00" },
		"expires_on":                func(it *portal.Item) { it.ExpiresOn = "2026-13-01" },
		"attachments[1].sha256":     func(it *portal.Item) { b := att; b.SHA256 = "ABC"; it.Attachments = []portal.Attachment{att, b} },
		"attachments[0].role":       func(it *portal.Item) { b := att; b.Role = "cover"; it.Attachments = []portal.Attachment{b} },
		"attachments[0].url":        func(it *portal.Item) { b := att; b.URL = "a.pdf"; it.Attachments = []portal.Attachment{b} },
		"cover.role":                func(it *portal.Item) { b := att; it.Cover = &b },
		"attachments[0].media_type": func(it *portal.Item) { b := att; b.MediaType = ""; it.Attachments = []portal.Attachment{b} },
	}
	for field, spoil := range cases {
		it := item()
		spoil(&it)
		_, err := c.Create(t.Context(), "k-"+field, it)
		e, ok := errors.AsType[*portal.Error](err)
		if !ok || e.Status != 422 || e.Code != "invalid" || e.Field != field || e.Retryable {
			t.Errorf("%s: %v", field, err)
		}
	}
	if len(fake.Items()) != 0 || fake.Writes() != 0 {
		t.Fatalf("invalid items were stored: %+v", fake.Items())
	}
	// A receipt points at PublicBase.
	r, err := c.Create(t.Context(), "k-ok", item())
	if err != nil || r.URL != "https://portal.example.gov.cn/items/"+r.ID {
		t.Fatalf("receipt %+v, %v", r, err)
	}
	// The same draft cannot be created twice under another key.
	_, err = c.Create(t.Context(), "k-again", item())
	if e, ok := errors.AsType[*portal.Error](err); !ok || e.Status != 409 || e.Code != "duplicate_draft" {
		t.Fatalf("second create of a draft: %v", err)
	}
}

func TestRawRequests(t *testing.T) {
	fake, srv, c := start(t)
	body, _ := json.Marshal(item())
	if st, eb := send(t, srv.URL, "POST", "/v1/items", "k1", body, false); st != 401 || eb.Code != "missing_signature" {
		t.Errorf("unsigned: %d %+v", st, eb)
	}
	if st, eb := send(t, srv.URL, "POST", "/v1/items", "k1", []byte(`{"title":`), true); st != 400 || eb.Code != "bad_json" {
		t.Errorf("bad JSON: %d %+v", st, eb)
	}
	if st, eb := send(t, srv.URL, "POST", "/v1/items", "", body, true); st != 400 || eb.Code != "bad_idempotency_key" {
		t.Errorf("no key: %d %+v", st, eb)
	}
	if st, eb := send(t, srv.URL, "POST", "/v1/items", "k1", make([]byte, 5<<20), false); st != 413 || eb.Code != "too_large" {
		t.Errorf("huge: %d %+v", st, eb)
	}
	if st, eb := send(t, srv.URL, "GET", "/v1/items/nope", "", nil, true); st != 404 || eb.Code != "not_found" {
		t.Errorf("unknown id: %d %+v", st, eb)
	}
	if st, eb := send(t, srv.URL, "DELETE", "/v1/items/nope", "d1", []byte(`{"reason":"because"}`), true); st != 422 || eb.Field != "reason" {
		t.Errorf("bad reason: %d %+v", st, eb)
	}
	a, _ := c.Create(t.Context(), "a", item())
	other := item()
	other.DraftID = 8
	b, _ := c.Create(t.Context(), "b", other)
	if _, err := c.Delete(t.Context(), a.ID, "del", "expired", ""); err != nil {
		t.Fatal(err)
	}
	// The same key on another item is another request.
	_, err := c.Delete(t.Context(), b.ID, "del", "expired", "")
	if e, ok := errors.AsType[*portal.Error](err); !ok || e.Code != "idempotency_key_reused" {
		t.Fatalf("key reused on another item: %v", err)
	}
	if items := fake.Items(); !items[1].Deleted.IsZero() {
		t.Fatal("the second item was deleted")
	}
}

func TestConcurrentSameKey(t *testing.T) {
	fake, _, c := start(t)
	var wg sync.WaitGroup
	receipts := make([]portal.Receipt, 8)
	for i := range receipts {
		wg.Go(func() {
			r, err := c.Create(t.Context(), "same", item())
			if err != nil {
				t.Error(err)
			}
			receipts[i] = r
		})
	}
	wg.Wait()
	for _, r := range receipts {
		if r != receipts[0] {
			t.Fatalf("receipts differ: %+v", receipts)
		}
	}
	if fake.Writes() != 1 || fake.Replays() != 7 || len(fake.Items()) != 1 {
		t.Fatalf("writes %d replays %d items %d", fake.Writes(), fake.Replays(), len(fake.Items()))
	}
}

func TestServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- fakeportal.New(fakeportal.Options{KeyID: "k1", Secret: secret}).Serve(ctx, ln) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "暂无信息") {
		t.Fatalf("front page %d:\n%s", res.StatusCode, page)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop")
	}
}
