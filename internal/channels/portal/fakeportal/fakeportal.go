// Package fakeportal is a real, in-memory implementation of the portal
// content API contract (docs/portal.md), so a demo can publish to a portal
// and click the receipt's URL, and tests can drive the portal client
// through lost answers, outages and refusals with fault injection.
package fakeportal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/portal"
)

// maxBody is the largest request body the fake reads; more answers 413.
const maxBody = 4 << 20

// Options configure a fake portal.
type Options struct {
	KeyID  string // the only X-Sanshen-Key-Id accepted
	Secret []byte
	// PublicBase prefixes the item URLs of receipts (default: the scheme
	// and Host of the request), so receipts point where a browser can go.
	PublicBase string
	// FetchAttachments makes every write GET each attachment URL and check
	// its size and sha256, as a careful portal would.
	FetchAttachments bool
	Now              func() time.Time
	HTTP             *http.Client // fetches attachments (nil: a 10s-timeout client)
	Log              *slog.Logger // nil: discard
}

// StoredItem is an item as the fake holds it, for tests to inspect.
type StoredItem struct {
	ID, URL                   string
	Item                      portal.Item   // the current payload
	Version                   int           // 1 on create, one more per update
	History                   []portal.Item // every payload received, oldest first
	Created, Updated, Deleted time.Time     // Deleted is zero while the item is live
	DeleteReason, DeleteNote  string
}

// RequestLog is one API request the fake answered, for tests to count
// attempts and see what was replayed.
type RequestLog struct {
	At                time.Time
	Method, Path, Key string
	Status            int
	Code              string // the error code answered, if any
	Replay            bool
}

// record is what the fake keeps per idempotency key: the request's
// fingerprint and the answer to repeat.
type record struct {
	fp     [32]byte
	status int
	body   []byte
}

// Server is the fake portal; it is an http.Handler.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu              sync.Mutex
	items           map[string]*StoredItem
	order           []string
	keys            map[string]record
	seq             int
	failN, failCode int
	stallN          int
	stallFor        time.Duration
	writes, replays int
	reqs            []RequestLog
}

// New returns an empty fake portal.
func New(opts Options) *Server {
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, items: map[string]*StoredItem{}, keys: map[string]record{}, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/items", s.api)
	s.mux.HandleFunc("PUT /v1/items/{id}", s.api)
	s.mux.HandleFunc("DELETE /v1/items/{id}", s.api)
	s.mux.HandleFunc("GET /v1/items/{id}", s.api)
	s.mux.HandleFunc("GET /items/{id}", s.page)
	s.mux.HandleFunc("GET /{$}", s.list)
	return s
}

// ServeHTTP serves the API and the public pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// FailNext makes the next n write requests answer status without
// committing, as an overloaded or broken portal would (429 comes with
// Retry-After: 1).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, status
}

// CommitThenStall makes the next n writes commit and then wait d (or until
// the client gives up) before answering, so the answer is lost after the
// portal committed: the case idempotency keys exist for.
func (s *Server) CommitThenStall(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stallN, s.stallFor = n, d
}

// Items returns copies of every item, live or deleted, in creation order.
func (s *Server) Items() []StoredItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StoredItem, 0, len(s.order))
	for _, id := range s.order {
		it := *s.items[id]
		it.History = slices.Clone(it.History)
		out = append(out, it)
	}
	return out
}

// Writes counts committed creates, updates and deletes; replays are not
// writes, so a test can prove a retry did not publish twice.
func (s *Server) Writes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.writes }

// Replays counts writes answered from an idempotency record.
func (s *Server) Replays() int { s.mu.Lock(); defer s.mu.Unlock(); return s.replays }

// Requests returns every API request answered so far, oldest first.
func (s *Server) Requests() []RequestLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// ListenAndServe serves the fake on addr until ctx is done, for a demo
// command to run it on a loopback port.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("error listening on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves the fake on ln until ctx is done; a caller that listens on
// port 0 knows the address this way.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	defer stop()
	s.opts.Log.Info("fake portal listening", "url", "http://"+ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("error serving the fake portal: %w", err)
	}
	return nil
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// api answers one API request and logs it.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	lg := RequestLog{At: s.now(), Method: r.Method, Path: r.URL.Path, Key: r.Header.Get(portal.HeaderIdempotencyKey)}
	status, body := s.handle(w, r, &lg)
	lg.Status = status
	s.mu.Lock()
	s.reqs = append(s.reqs, lg)
	s.mu.Unlock()
	if body != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	w.Write(body)
}

func fail(lg *RequestLog, status int, code, field, format string, args ...any) (int, []byte) {
	lg.Code = code
	b, _ := json.Marshal(portal.ErrorBody{Code: code, Message: fmt.Sprintf(format, args...), Field: field})
	return status, b
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, lg *RequestLog) (int, []byte) {
	write := r.Method != http.MethodGet
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return fail(lg, http.StatusRequestEntityTooLarge, "too_large", "", "body over %d bytes", maxBody)
		}
		return fail(lg, http.StatusBadRequest, "bad_body", "", "reading the body: %v", err)
	}
	if write {
		s.mu.Lock()
		code := 0
		if s.failN > 0 {
			s.failN--
			code = s.failCode
		}
		s.mu.Unlock()
		if code != 0 {
			if code == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			return fail(lg, code, "injected", "", "injected failure")
		}
	}
	if st, b := s.authenticate(r, body, lg); st != 0 {
		return st, b
	}
	id := r.PathValue("id")
	if !write {
		return s.read(r, id, lg)
	}
	key := lg.Key
	fp := sha256.Sum256([]byte(r.Method + "\n" + r.URL.EscapedPath() + "\n" + string(body)))
	s.mu.Lock()
	st, b, done := s.replayLocked(key, fp, r.Method, lg)
	s.mu.Unlock()
	if done {
		return st, b
	}
	var it portal.Item
	var del portal.DeleteBody
	if r.Method == http.MethodDelete {
		if err := json.Unmarshal(body, &del); err != nil {
			return fail(lg, http.StatusBadRequest, "bad_json", "", "the body is not a withdrawal: %v", err)
		}
		if !slices.Contains(portal.DeleteReasons, del.Reason) {
			return fail(lg, http.StatusUnprocessableEntity, "invalid", "reason", "reason must be one of %s", strings.Join(portal.DeleteReasons, ", "))
		}
	} else {
		if err := json.Unmarshal(body, &it); err != nil {
			return fail(lg, http.StatusBadRequest, "bad_json", "", "the body is not an item: %v", err)
		}
		if field, msg := validate(it); field != "" {
			return fail(lg, http.StatusUnprocessableEntity, "invalid", field, "%s: %s", field, msg)
		}
		if s.opts.FetchAttachments {
			if code, field, msg := s.fetchAll(r.Context(), it); code != "" {
				return fail(lg, http.StatusUnprocessableEntity, code, field, "%s: %s", field, msg)
			}
		}
	}

	s.mu.Lock()
	if st, b, done := s.replayLocked(key, fp, r.Method, lg); done {
		s.mu.Unlock()
		return st, b
	}
	st, b = s.commitLocked(r, id, it, del, lg)
	stall := time.Duration(0)
	if st < 300 {
		s.keys[key] = record{fp: fp, status: st, body: b}
		s.writes++
		if s.stallN > 0 {
			s.stallN--
			stall = s.stallFor
		}
	}
	s.mu.Unlock()
	if stall > 0 {
		t := time.NewTimer(stall)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	}
	return st, b
}

// authenticate checks the key id, the timestamp, the signature and, for
// writes, the idempotency key.
func (s *Server) authenticate(r *http.Request, body []byte, lg *RequestLog) (int, []byte) {
	kid, ts, sig := r.Header.Get(portal.HeaderKeyID), r.Header.Get(portal.HeaderTimestamp), r.Header.Get(portal.HeaderSignature)
	switch {
	case kid == "" || ts == "" || sig == "":
		return fail(lg, http.StatusUnauthorized, "missing_signature", "", "%s, %s and %s are required", portal.HeaderKeyID, portal.HeaderTimestamp, portal.HeaderSignature)
	case kid != s.opts.KeyID:
		return fail(lg, http.StatusUnauthorized, "unknown_key", "", "unknown key id %q", kid)
	}
	if err := portal.CheckTimestamp(ts, s.now()); err != nil {
		return fail(lg, http.StatusUnauthorized, "bad_timestamp", "", "%v", err)
	}
	if !portal.Verify(s.opts.Secret, r.Method, r.URL.EscapedPath(), ts, lg.Key, body, sig) {
		return fail(lg, http.StatusUnauthorized, "bad_signature", "", "the signature does not match")
	}
	if r.Method != http.MethodGet {
		if err := portal.CheckKey(lg.Key); err != nil {
			return fail(lg, http.StatusBadRequest, "bad_idempotency_key", "", "%v", err)
		}
	}
	return 0, nil
}

// replayLocked answers a key seen before: the first answer again for the
// same request, 422 for a different one.
func (s *Server) replayLocked(key string, fp [32]byte, method string, lg *RequestLog) (int, []byte, bool) {
	rec, ok := s.keys[key]
	if !ok {
		return 0, nil, false
	}
	if rec.fp != fp {
		st, b := fail(lg, http.StatusUnprocessableEntity, "idempotency_key_reused", "", "key %q was used for a different request", key)
		return st, b, true
	}
	s.replays++
	lg.Replay = true
	if method == http.MethodPost && rec.status == http.StatusCreated {
		return http.StatusOK, rec.body, true
	}
	return rec.status, rec.body, true
}

func (s *Server) commitLocked(r *http.Request, id string, it portal.Item, del portal.DeleteBody, lg *RequestLog) (int, []byte) {
	now := s.now()
	if r.Method == http.MethodPost {
		for _, st := range s.items {
			if st.Deleted.IsZero() && st.Item.Agency.Slug == it.Agency.Slug && st.Item.DraftID == it.DraftID {
				return fail(lg, http.StatusConflict, "duplicate_draft", "draft_id", "draft %d of %s is already item %s", it.DraftID, it.Agency.Slug, st.ID)
			}
		}
		s.seq++
		base := s.opts.PublicBase
		if base == "" {
			base = "http://" + r.Host
			if r.TLS != nil {
				base = "https://" + r.Host
			}
		}
		id = fmt.Sprintf("dc%06d", s.seq)
		st := &StoredItem{ID: id, URL: strings.TrimRight(base, "/") + "/items/" + id, Item: it, Version: 1,
			History: []portal.Item{it}, Created: now, Updated: now}
		s.items[id] = st
		s.order = append(s.order, id)
		b, _ := json.Marshal(portal.Receipt{ID: st.ID, URL: st.URL})
		return http.StatusCreated, b
	}
	st := s.items[id]
	if st == nil || !st.Deleted.IsZero() {
		return fail(lg, http.StatusNotFound, "not_found", "", "no item %q", id)
	}
	if r.Method == http.MethodDelete {
		st.Deleted, st.DeleteReason, st.DeleteNote = now, del.Reason, del.Note
		return http.StatusNoContent, nil
	}
	if it.DraftID != st.Item.DraftID || it.Agency.Slug != st.Item.Agency.Slug {
		return fail(lg, http.StatusConflict, "draft_mismatch", "draft_id", "item %s is draft %d of %s", id, st.Item.DraftID, st.Item.Agency.Slug)
	}
	if it.Revision < st.Item.Revision {
		return fail(lg, http.StatusConflict, "stale_revision", "revision", "item %s is at revision %d", id, st.Item.Revision)
	}
	st.Item, st.Updated = it, now
	st.Version++
	st.History = append(st.History, it)
	b, _ := json.Marshal(portal.Receipt{ID: st.ID, URL: st.URL})
	return http.StatusOK, b
}

func (s *Server) read(r *http.Request, id string, lg *RequestLog) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.items[id]
	switch {
	case st == nil:
		return fail(lg, http.StatusNotFound, "not_found", "", "no item %q", id)
	case !st.Deleted.IsZero():
		return fail(lg, http.StatusGone, "gone", "", "item %q was withdrawn (%s)", id, st.DeleteReason)
	}
	b, _ := json.Marshal(portal.Stored{Receipt: portal.Receipt{ID: st.ID, URL: st.URL}, Item: st.Item,
		UpdatedAt: st.Updated.Format(time.RFC3339)})
	return http.StatusOK, b
}

// validate returns the first field the contract refuses, and why.
func validate(it portal.Item) (field, msg string) {
	switch {
	case it.Source == "":
		return "source", "required"
	case it.Agency.Slug == "":
		return "agency.slug", "required"
	case it.DraftID < 1:
		return "draft_id", "must be at least 1"
	case it.Revision < 1:
		return "revision", "must be at least 1"
	case strings.TrimSpace(it.Title) == "":
		return "title", "required"
	case strings.TrimSpace(it.BodyHTML) == "" && strings.TrimSpace(it.BodyText) == "":
		return "body_html", "body_html or body_text is required"
	case !absolute(it.SourceURL):
		return "source_url", "must be an absolute http(s) URL"
	}
	for _, d := range []struct{ field, v, layout string }{
		{"formed_on", it.FormedOn, portal.DateLayout}, {"expires_on", it.ExpiresOn, portal.DateLayout},
		{"published_at", it.PublishedAt, portal.TimeLayout}} {
		if _, err := time.Parse(d.layout, d.v); d.v != "" && err != nil {
			return d.field, "must be in the layout " + d.layout
		}
	}
	if it.Cover != nil {
		if f, m := checkAttachment("cover", *it.Cover, "cover"); f != "" {
			return f, m
		}
	}
	for i, a := range it.Attachments {
		if f, m := checkAttachment(fmt.Sprintf("attachments[%d]", i), a, "image", "video", "document"); f != "" {
			return f, m
		}
	}
	return "", ""
}

func checkAttachment(at string, a portal.Attachment, roles ...string) (field, msg string) {
	sum, err := hex.DecodeString(a.SHA256)
	switch {
	case a.Name == "":
		return at + ".name", "required"
	case a.MediaType == "":
		return at + ".media_type", "required"
	case a.Size < 0:
		return at + ".size", "must not be negative"
	case err != nil || len(sum) != sha256.Size || strings.ToLower(a.SHA256) != a.SHA256:
		return at + ".sha256", "must be 64 lowercase hex digits"
	case !slices.Contains(roles, a.Role):
		return at + ".role", "must be one of " + strings.Join(roles, ", ")
	case !absolute(a.URL):
		return at + ".url", "must be an absolute http(s) URL"
	}
	return "", ""
}

func absolute(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// fetchAll downloads every attachment and checks its size and hash.
func (s *Server) fetchAll(ctx context.Context, it portal.Item) (code, field, msg string) {
	all := it.Attachments
	names := make([]string, len(all))
	for i := range all {
		names[i] = fmt.Sprintf("attachments[%d]", i)
	}
	if it.Cover != nil {
		all, names = append([]portal.Attachment{*it.Cover}, all...), append([]string{"cover"}, names...)
	}
	for i, a := range all {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.URL, nil)
		if err != nil {
			return "attachment_unreachable", names[i] + ".url", err.Error()
		}
		res, err := s.opts.HTTP.Do(req)
		if err != nil {
			return "attachment_unreachable", names[i] + ".url", err.Error()
		}
		data, err := io.ReadAll(io.LimitReader(res.Body, a.Size+1))
		res.Body.Close()
		switch {
		case res.StatusCode != http.StatusOK || err != nil:
			return "attachment_unreachable", names[i] + ".url", fmt.Sprintf("GET answered %d %v", res.StatusCode, err)
		case int64(len(data)) != a.Size:
			return "attachment_mismatch", names[i] + ".size", fmt.Sprintf("the file is not %d bytes", a.Size)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != a.SHA256 {
			return "attachment_mismatch", names[i] + ".sha256", "the file's SHA-256 is " + hex.EncodeToString(sum[:])
		}
	}
	return "", "", ""
}

// The public pages. body_html is shown as sent: sanshen's output, already
// reviewed and sanitised; a real portal would sanitise it again.
var pages = template.Must(template.New("").Funcs(template.FuncMap{"raw": func(s string) template.HTML { return template.HTML(s) }}).Parse(`
{{define "head"}}<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{.}} - 数字门户（演示）</title></head><body>{{end}}
{{define "item"}}{{template "head" .Item.Title}}<p><a href="/">返回列表</a></p>
<h1>{{.Item.Title}}</h1>
<p>发布机构：{{or .Item.Agency.Name .Item.Agency.Slug}}{{with .Item.Department}} · {{.}}{{end}}{{with .Item.PublishedAt}} · 发布时间：{{.}}{{end}}{{with .Item.FormedOn}} · 成文日期：{{.}}{{end}}</p>
{{with .Item.Cover}}<p><img src="{{.URL}}" alt="{{.Name}}"{{with .Width}} width="{{.}}"{{end}}></p>{{end}}
{{with .Item.Digest}}<p><strong>摘要：</strong>{{.}}</p>{{end}}
<article>{{if .Item.BodyHTML}}{{raw .Item.BodyHTML}}{{else}}<pre>{{.Item.BodyText}}</pre>{{end}}</article>
{{with .Item.Attachments}}<h2>附件</h2><ul>{{range .}}<li><a href="{{.URL}}">{{.Name}}</a>（{{.MediaType}}，{{.Size}} 字节）</li>{{end}}</ul>{{end}}
<p><a href="{{.Item.SourceURL}}">信息来源</a> · 版本 {{.Version}}</p></body></html>{{end}}
{{define "gone"}}{{template "head" "该信息已撤下"}}<h1>该信息已撤下</h1><p>您访问的信息已于 {{.Deleted.Format "2006-01-02 15:04"}} 撤下，不再公开。</p><p><a href="/">返回列表</a></p></body></html>{{end}}
{{define "list"}}{{template "head" "全部信息"}}<h1>全部信息</h1>{{if not .}}<p>暂无信息。</p>{{end}}<ul>
{{range .}}<li><a href="/items/{{.ID}}">{{.Item.Title}}</a> · {{or .Item.Agency.Name .Item.Agency.Slug}} · {{.Item.PublishedAt}}</li>
{{end}}</ul></body></html>{{end}}`))

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		s.opts.Log.Error("error rendering a page", "page", name, "err", err)
		http.Error(w, "页面生成失败", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// page is the public page a receipt's URL points at.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st, ok := s.items[r.PathValue("id")]
	var it StoredItem
	if ok {
		it = *st
	}
	s.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "未找到该信息", http.StatusNotFound)
	case !it.Deleted.IsZero():
		s.render(w, http.StatusGone, "gone", it)
	default:
		s.render(w, http.StatusOK, "item", it)
	}
}

// list is the portal's front page: every live item, newest first.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	var live []StoredItem
	for _, it := range s.Items() {
		if it.Deleted.IsZero() {
			live = append(live, it)
		}
	}
	slices.Reverse(live)
	s.render(w, http.StatusOK, "list", live)
}
