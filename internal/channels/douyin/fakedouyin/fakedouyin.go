// Package fakedouyin is an in-memory Douyin open platform speaking the
// OAuth and v1 publish endpoints as documented (CHANNELS.md §2), so tests
// and demos can authorise, upload, post, list and delete without Douyin,
// and drive the client through expired tokens, busy errors and a create
// whose answer is lost after it committed.
package fakedouyin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
)

// Lifetimes and limits the fake enforces.
const (
	AccessTTL  = 15 * 24 * time.Hour
	RefreshTTL = 30 * 24 * time.Hour
	UploadTTL  = 2 * time.Hour // an upload_id's validity
	CodeTTL    = 10 * time.Minute
	DailyCap   = 75 // creates per user per day (UNVERIFIED, blog only)
	maxBody    = 512 << 20
)

// OAuth error codes. Only 10010 is documented; the others are the fake's
// choice (UNVERIFIED), named in TestOAuthErrorCodesUnverified.
const (
	CodeMissingParam = 10005 // e.g. a JSON body where a form is expected
	CodeBadCode      = 10007 // unknown, used or expired authorisation code
	CodeBadClient    = 10013 // wrong client_key or client_secret
)

// CodeVideoUsed answers a create with a video_id already used. Douyin's
// real answer is UNVERIFIED; the fake says bad params.
const CodeVideoUsed = douyin.CodeBadParams

// Options configure a fake.
type Options struct {
	ClientKey, ClientSecret string
	OpenID                  string // the one user who authorises (default "fake-open-id")
	Scope                   string // granted scope (default douyin.ScopeCreate)
	MinPartSize             int64  // default douyin.MinPartSize; tests lower it
	DailyCap                int    // default DailyCap
	// ReviewPolls is how many status reads (video_data, video_list) of a
	// new post answer is_reviewed false before its review ends;
	// ReviewFails makes every review end failed (video_status
	// douyin.StatusReviewFailed, UNVERIFIED).
	ReviewPolls int
	ReviewFails bool
	Now         func() time.Time
	Log         *slog.Logger // nil: discard
}

// Item is a post as the fake holds it, for tests to inspect.
type Item struct {
	ItemID, OpenID, VideoID, Text, ShareURL string
	CoverTsp                                float64
	Created                                 time.Time
	Deleted                                 bool
	polls                                   int // status reads so far, for ReviewPolls
}

// reviewLocked is the post's review state as a status read sees it, and
// counts the read.
func (s *Server) reviewLocked(it *Item) (reviewed bool, status int) {
	it.polls++
	if it.polls <= s.opts.ReviewPolls {
		return false, douyin.StatusReviewing
	}
	if s.opts.ReviewFails {
		return true, douyin.StatusReviewFailed
	}
	return true, douyin.StatusPublic
}

// itemJSON is a post as video_list and video_data list it.
func (s *Server) itemJSON(it *Item) map[string]any {
	reviewed, status := s.reviewLocked(it)
	return map[string]any{"item_id": it.ItemID, "title": it.Text, "create_time": it.Created.Unix(),
		"share_url": it.ShareURL, "cover": "", "is_top": false, "is_reviewed": reviewed, "video_status": status, "media_type": 4,
		"statistics": map[string]int{"play_count": 0, "digg_count": 0, "comment_count": 0, "share_count": 0, "download_count": 0, "forward_count": 0}}
}

type token struct {
	openID, scope, refresh string
	expires                time.Time
}

type upload struct {
	openID  string
	created time.Time
	parts   map[int]int64 // part number → size
}

// Server is the fake platform; it is an http.Handler.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu              sync.Mutex
	codes           map[string]time.Time // code → expiry
	access, refresh map[string]*token
	uploads         map[string]*upload
	videos          map[string]string // video_id → open_id, deleted once used
	used            map[string]bool
	items           []*Item
	daily           map[string]int // open_id + date → creates
	seq, creates    int
	failN, failCode int
	dropN           int
	calls           map[string]int
}

// New returns a fake with no users authorised yet.
func New(opts Options) *Server {
	if opts.OpenID == "" {
		opts.OpenID = "fake-open-id"
	}
	if opts.Scope == "" {
		opts.Scope = douyin.ScopeCreate
	}
	if opts.MinPartSize <= 0 {
		opts.MinPartSize = douyin.MinPartSize
	}
	if opts.DailyCap <= 0 {
		opts.DailyCap = DailyCap
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), codes: map[string]time.Time{}, access: map[string]*token{},
		refresh: map[string]*token{}, uploads: map[string]*upload{}, videos: map[string]string{}, used: map[string]bool{},
		daily: map[string]int{}, calls: map[string]int{}}
	s.mux.HandleFunc("GET "+douyin.PathAuthorize+"{$}", s.connect)
	s.handle(douyin.PathAccessToken, false, s.exchange)
	s.handle(douyin.PathRefreshToken, false, s.refreshToken)
	s.handle(douyin.PathUpload, true, s.uploadSingle)
	s.handle(douyin.PathPartInit, true, s.partInit)
	s.handle(douyin.PathPartUpload, true, s.partUpload)
	s.handle(douyin.PathPartComplete, true, s.partComplete)
	s.handle(douyin.PathCreate, true, s.create)
	s.handle(douyin.PathList, true, s.list)
	s.handle(douyin.PathData, true, s.data)
	s.handle(douyin.PathDelete, true, s.delete)
	return s
}

// ServeHTTP serves the endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// IssueCode returns a fresh authorisation code for Options.OpenID, as the
// connect page's redirect would carry.
func (s *Server) IssueCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueCodeLocked()
}

// ExpireAccessTokens makes every access token issued so far expired, so a
// test sees Douyin refuse the client's token mid-flight.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		t.expires = s.now()
	}
}

// FailNext makes the next n calls to any endpoint answer errorCode without
// doing anything, as a busy or rate-limiting platform would.
func (s *Server) FailNext(n, errorCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, errorCode
}

// DropAnswerAfterCommit makes the next n creates commit the post and then
// close the connection without answering: the ambiguous case.
func (s *Server) DropAnswerAfterCommit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropN = n
}

// TakeDown removes the post itemID from the account, as its holder or
// the platform does after publication.
func (s *Server) TakeDown(itemID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.items {
		if it.ItemID == itemID {
			it.Deleted = true
		}
	}
}

// Items returns copies of every post, deleted ones included, oldest first.
func (s *Server) Items() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Item, len(s.items))
	for i, it := range s.items {
		out[i] = *it
	}
	return out
}

// Creates counts committed creates, so a test can prove a post went out once.
func (s *Server) Creates() int { s.mu.Lock(); defer s.mu.Unlock(); return s.creates }

// Calls counts the requests to path (e.g. douyin.PathCreate), answered or not.
func (s *Server) Calls(path string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[path] }

// apiErr is an error answer: the code and description of the envelope.
type apiErr struct {
	code int
	desc string
}

func (e *apiErr) Error() string { return fmt.Sprintf("%d %s", e.code, e.desc) }

func fail(code int, format string, args ...any) error {
	return &apiErr{code, fmt.Sprintf(format, args...)}
}

// errDrop tells handle to close the connection without an answer.
var errDrop = errors.New("drop the answer")

type handler func(r *http.Request, body []byte, t *token) (map[string]any, error)

// handle registers path for POST (GET for the list): it counts the call,
// applies FailNext, checks the user's token on OpenAPI calls, runs h under
// the lock and writes the endpoint's envelope.
func (s *Server) handle(path string, openAPI bool, h handler) {
	method := http.MethodPost
	if path == douyin.PathList {
		method = http.MethodGet
	}
	s.mux.HandleFunc(method+" "+path+"{$}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		s.mu.Lock()
		s.calls[path]++
		var data map[string]any
		switch {
		case err != nil:
			err = fail(douyin.CodeBadParams, "reading the body: %v", err)
		case s.failN > 0:
			s.failN--
			err = fail(s.failCode, "injected failure")
		default:
			var t *token
			if openAPI {
				t, err = s.authLocked(r, path)
			}
			if err == nil {
				data, err = h(r, body, t)
			}
		}
		s.mu.Unlock()
		if errors.Is(err, errDrop) {
			if conn, _, herr := http.NewResponseController(w).Hijack(); herr == nil {
				conn.Close()
			}
			return
		}
		s.write(w, openAPI, data, err)
	})
}

func (s *Server) write(w http.ResponseWriter, openAPI bool, data map[string]any, err error) {
	if data == nil {
		data = map[string]any{}
	}
	code, desc := 0, ""
	if ae, ok := errors.AsType[*apiErr](err); ok {
		code, desc = ae.code, ae.desc
	} else if err != nil {
		code, desc = douyin.CodeBusy, err.Error()
	}
	data["error_code"], data["description"] = code, desc
	env := map[string]any{"data": data}
	if openAPI {
		s.mu.Lock()
		s.seq++
		logID := fmt.Sprintf("fake-log-%d", s.seq)
		now := s.now().UnixMilli()
		s.mu.Unlock()
		env["extra"] = map[string]any{"error_code": code, "description": desc, "sub_error_code": 0,
			"sub_description": "", "logid": logID, "now": now}
	} else if code == 0 {
		env["message"] = "success"
	} else {
		env["message"] = "error"
	}
	if code != 0 {
		s.opts.Log.Info("fake douyin error", "code", code, "description", desc)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(env)
}

// authLocked checks the access token (header, or the legacy query) and
// that open_id is its user's.
func (s *Server) authLocked(r *http.Request, path string) (*token, error) {
	key := r.Header.Get("access-token")
	if path == douyin.PathDelete {
		key = r.URL.Query().Get("access_token")
	}
	t, ok := s.access[key]
	switch {
	case !ok:
		return nil, fail(douyin.CodeOldTokenInvalid, "access token invalid")
	case !s.now().Before(t.expires):
		return nil, fail(douyin.CodeTokenExpired, "access token expired")
	case r.URL.Query().Get("open_id") != t.openID:
		return nil, fail(douyin.CodeTokenMismatch, "open_id does not match the token")
	case path != douyin.PathList && path != douyin.PathDelete && !slices.Contains(strings.Split(t.scope, ","), douyin.ScopeCreate):
		return nil, fail(douyin.CodeScope, "scope %s not authorised", douyin.ScopeCreate)
	}
	return t, nil
}

// connect stands in for the authorisation page: it grants at once and
// redirects with a code, for demos.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("client_key") != s.opts.ClientKey || q.Get("response_type") != "code" || err != nil || u.Host == "" {
		http.Error(w, "bad client_key, response_type or redirect_uri", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	code := s.issueCodeLocked()
	s.mu.Unlock()
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) issueCodeLocked() string {
	s.seq++
	code := fmt.Sprintf("fake-code-%d", s.seq)
	s.codes[code] = s.now().Add(CodeTTL)
	return code
}

// form reads an OAuth body, which must be form-encoded: Douyin does not
// read JSON there, so a JSON body lacks every parameter.
func form(r *http.Request, body []byte, names ...string) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return nil, fail(CodeMissingParam, "missing %s: the body must be application/x-www-form-urlencoded, not %q", names[0], mt)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fail(CodeMissingParam, "bad form: %v", err)
	}
	for _, n := range names {
		if v.Get(n) == "" {
			return nil, fail(CodeMissingParam, "missing %s", n)
		}
	}
	return v, nil
}

func (s *Server) exchange(r *http.Request, body []byte, _ *token) (map[string]any, error) {
	v, err := form(r, body, "client_key", "client_secret", "code", "grant_type")
	if err != nil {
		return nil, err
	}
	if v.Get("client_key") != s.opts.ClientKey || v.Get("client_secret") != s.opts.ClientSecret {
		return nil, fail(CodeBadClient, "client_key or client_secret wrong")
	}
	exp, ok := s.codes[v.Get("code")]
	delete(s.codes, v.Get("code"))
	if v.Get("grant_type") != "authorization_code" || !ok || !s.now().Before(exp) {
		return nil, fail(CodeBadCode, "code invalid or expired")
	}
	s.seq++
	rt := &token{openID: s.opts.OpenID, scope: s.opts.Scope, expires: s.now().Add(RefreshTTL), refresh: fmt.Sprintf("rft.fake-%d", s.seq)}
	s.refresh[rt.refresh] = rt
	return s.grantLocked(rt), nil
}

func (s *Server) refreshToken(r *http.Request, body []byte, _ *token) (map[string]any, error) {
	v, err := form(r, body, "client_key", "grant_type", "refresh_token")
	if err != nil {
		return nil, err
	}
	if v.Get("client_key") != s.opts.ClientKey {
		return nil, fail(CodeBadClient, "client_key wrong")
	}
	rt, ok := s.refresh[v.Get("refresh_token")]
	if v.Get("grant_type") != "refresh_token" || !ok {
		return nil, fail(CodeMissingParam, "refresh_token invalid")
	}
	if !s.now().Before(rt.expires) {
		return nil, fail(douyin.CodeRefreshExpired, "refresh_token expired")
	}
	return s.grantLocked(rt), nil
}

// grantLocked issues a 15-day access token; the refresh token keeps its expiry.
func (s *Server) grantLocked(rt *token) map[string]any {
	s.seq++
	at := fmt.Sprintf("act.fake-%d", s.seq)
	s.access[at] = &token{openID: rt.openID, scope: rt.scope, expires: s.now().Add(AccessTTL)}
	return map[string]any{"access_token": at, "expires_in": int64(AccessTTL / time.Second), "refresh_token": rt.refresh,
		"refresh_expires_in": int64(rt.expires.Sub(s.now()) / time.Second), "open_id": rt.openID, "scope": rt.scope}
}

// video returns the bytes of the multipart field "video".
func video(r *http.Request, body []byte) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, fail(douyin.CodeBadParams, "the body must be multipart/form-data")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, fail(douyin.CodeBadParams, "no multipart field \"video\": %v", err)
		}
		if p.FormName() == "video" {
			b, err := io.ReadAll(p)
			if err != nil {
				return nil, fail(douyin.CodeBadParams, "reading the video: %v", err)
			}
			return b, nil
		}
	}
}

func (s *Server) newVideoLocked(openID string) map[string]any {
	s.seq++
	id := fmt.Sprintf("v0200fake%06d", s.seq)
	s.videos[id] = openID
	return map[string]any{"video": map[string]any{"video_id": id, "width": 1080, "height": 1920}}
}

func (s *Server) uploadSingle(r *http.Request, body []byte, t *token) (map[string]any, error) {
	if _, err := video(r, body); err != nil {
		return nil, err
	}
	return s.newVideoLocked(t.openID), nil
}

func (s *Server) partInit(_ *http.Request, _ []byte, t *token) (map[string]any, error) {
	s.seq++
	// "+", "/" and "=" make a client that forgets to URL-encode fail.
	id := fmt.Sprintf("up+%d/fake==", s.seq)
	s.uploads[id] = &upload{openID: t.openID, created: s.now(), parts: map[int]int64{}}
	return map[string]any{"upload_id": id}, nil
}

func (s *Server) uploadLocked(r *http.Request, t *token) (*upload, string, error) {
	id := r.URL.Query().Get("upload_id")
	u, ok := s.uploads[id]
	if !ok || u.openID != t.openID || !s.now().Before(u.created.Add(UploadTTL)) {
		return nil, id, fail(douyin.CodeBadParams, "upload_id %q unknown or expired", id)
	}
	return u, id, nil
}

func (s *Server) partUpload(r *http.Request, body []byte, t *token) (map[string]any, error) {
	u, _, err := s.uploadLocked(r, t)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(r.URL.Query().Get("part_number"))
	if err != nil || n < 1 {
		return nil, fail(douyin.CodeBadParams, "part_number must be a number from 1")
	}
	b, err := video(r, body)
	if err != nil {
		return nil, err
	}
	u.parts[n] = int64(len(b))
	return nil, nil
}

func (s *Server) partComplete(r *http.Request, _ []byte, t *token) (map[string]any, error) {
	u, id, err := s.uploadLocked(r, t)
	if err != nil {
		return nil, err
	}
	if len(u.parts) == 0 {
		return nil, fail(douyin.CodeBadParams, "no parts uploaded")
	}
	for n := 1; n <= len(u.parts); n++ {
		size, ok := u.parts[n]
		if !ok {
			return nil, fail(douyin.CodeBadParams, "part %d missing", n)
		}
		if n < len(u.parts) && size < s.opts.MinPartSize {
			return nil, fail(douyin.CodeBadParams, "part %d has %d bytes, under the %d minimum", n, size, s.opts.MinPartSize)
		}
	}
	delete(s.uploads, id)
	return s.newVideoLocked(t.openID), nil
}

func (s *Server) create(_ *http.Request, body []byte, t *token) (map[string]any, error) {
	var req douyin.CreateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fail(douyin.CodeBadParams, "the body is not JSON: %v", err)
	}
	switch owner, ok := s.videos[req.VideoID]; {
	case s.used[req.VideoID]:
		return nil, fail(CodeVideoUsed, "video_id %q already used", req.VideoID)
	case !ok || owner != t.openID:
		return nil, fail(douyin.CodeBadParams, "video_id %q unknown", req.VideoID)
	case utf8.RuneCountInString(req.Text) > douyin.MaxTextRunes:
		return nil, fail(douyin.CodeBadParams, "text over %d characters", douyin.MaxTextRunes)
	}
	day := t.openID + s.now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if s.daily[day] >= s.opts.DailyCap {
		return nil, fail(douyin.CodeDailyCap, "daily publish limit reached")
	}
	s.daily[day]++
	s.used[req.VideoID] = true
	s.seq++
	s.creates++
	it := &Item{ItemID: fmt.Sprintf("@fake%06d", s.seq), OpenID: t.openID, VideoID: req.VideoID, Text: req.Text,
		CoverTsp: req.CoverTsp, Created: s.now()}
	it.ShareURL = "https://www.iesdouyin.com/share/video/" + url.PathEscape(it.ItemID) + "/"
	s.items = append(s.items, it)
	if s.dropN > 0 {
		s.dropN--
		return nil, errDrop
	}
	return map[string]any{"item_id": it.ItemID}, nil
}

// list answers video_list newest first; cursor is an offset.
func (s *Server) list(r *http.Request, _ []byte, t *token) (map[string]any, error) {
	q := r.URL.Query()
	cursor, err1 := strconv.Atoi(q.Get("cursor"))
	count, err2 := strconv.Atoi(q.Get("count"))
	if err1 != nil || err2 != nil || cursor < 0 || count < 1 || count > 20 {
		return nil, fail(douyin.CodeBadParams, "cursor must be ≥ 0 and count 1 to 20")
	}
	var mine []*Item
	for _, it := range slices.Backward(s.items) {
		if it.OpenID == t.openID && !it.Deleted {
			mine = append(mine, it)
		}
	}
	list := []map[string]any{}
	end := min(cursor+count, len(mine))
	for _, it := range mine[min(cursor, end):end] {
		list = append(list, s.itemJSON(it))
	}
	return map[string]any{"list": list, "cursor": end, "has_more": end < len(mine)}, nil
}

// data answers video_data for the user's posts among item_ids.
func (s *Server) data(_ *http.Request, body []byte, t *token) (map[string]any, error) {
	var req struct {
		ItemIDs []string `json:"item_ids"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.ItemIDs) == 0 {
		return nil, fail(douyin.CodeBadParams, "item_ids is required")
	}
	list := []map[string]any{}
	for _, it := range s.items {
		if it.OpenID == t.openID && !it.Deleted && slices.Contains(req.ItemIDs, it.ItemID) {
			list = append(list, s.itemJSON(it))
		}
	}
	return map[string]any{"list": list}, nil
}

func (s *Server) delete(_ *http.Request, body []byte, t *token) (map[string]any, error) {
	var req struct {
		ItemID string `json:"item_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fail(douyin.CodeOldBadParams, "the body is not JSON: %v", err)
	}
	for _, it := range s.items {
		if it.ItemID == req.ItemID && it.OpenID == t.openID && !it.Deleted {
			it.Deleted = true
			return nil, nil
		}
	}
	return nil, fail(douyin.CodeOldBadParams, "item_id %q not found", req.ItemID)
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}
