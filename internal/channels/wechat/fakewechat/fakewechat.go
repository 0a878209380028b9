// Package fakewechat is an in-memory WeChat Official Account publish API,
// implemented as CHANNELS.md §1 documents it, so tests and demos can run
// sanshen's WeChat channel end to end and drive it through expired tokens,
// quota errors, an IP whitelist refusal and lost answers.
//
// Where the documentation names no errcode the fake picks one; each such
// choice is marked UNVERIFIED here and pinned by a test named *Unverified*.
// The fake decides a publish job's outcome when it is submitted: a job
// that will succeed is listed by freepublish/batchget at once, while
// freepublish/get answers "publishing" for the first Options.PublishingPolls
// polls.
package fakewechat

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Errcodes the fake answers where CHANNELS.md names none (UNVERIFIED: taken
// from WeChat's general errcode table, not from the endpoints' own docs).
const (
	CodeInvalidFileType = 40005 // UNVERIFIED: uploadimg/add_material, wrong image type
	CodeInvalidSize     = 40009 // UNVERIFIED: uploadimg/add_material, image too big
	CodeInvalidMedia    = 40007 // UNVERIFIED: unknown media_id or article_id; also a second submit
	CodeContentSize     = 45002 // UNVERIFIED: draft/add content too long
	CodeTitleSize       = 45003 // UNVERIFIED: draft/add title too long
	CodeDigestSize      = 45004 // UNVERIFIED: draft/add digest too long
	CodeURLSize         = 45005 // UNVERIFIED: draft/add content_source_url too long
	CodeArticleCount    = 45008 // UNVERIFIED: draft/add with 0 or more than 8 articles
	CodeAuthorSize      = 45110 // UNVERIFIED: draft/add author too long
	CodeBadRequest      = 47001 // UNVERIFIED here: a body that is not the expected JSON/multipart
)

// messages are the errmsg texts the fake answers.
var messages = map[int]string{
	-1: "system error", 40001: "invalid credential, access_token is invalid or not latest", 40013: "invalid appid",
	40014: "invalid access_token", 42001: "access_token expired", 45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit  mustslower  retry next minute", 48001: "api unauthorized", 53501: "请勿频繁请求",
	61004: "access clientip is not registered", 40243: "AppSecret已被冻结，请登录MP解冻后再次调用。",
	CodeInvalidFileType: "invalid file type", CodeInvalidSize: "invalid image size", CodeInvalidMedia: "invalid media_id",
	CodeContentSize: "content size out of limit", CodeTitleSize: "title size out of limit", CodeDigestSize: "description size out of limit",
	CodeURLSize: "url size out of limit", CodeArticleCount: "article size out of limit", CodeAuthorSize: "author size out of limit",
	CodeBadRequest: "data format error", 45028: "has no masssend quota", 45066: "retry too fast", 45067: "clientmsgid size out of limit",
}

// Options configure a fake.
type Options struct {
	AppID, Secret string // the only credentials stable_token accepts
	// PublicBase prefixes image and article URLs (default: the scheme and
	// Host of the request), so an article_url opens the fake's page.
	PublicBase string
	// PublishingPolls is how many freepublish/get polls of a job answer 1
	// (publishing) before its final status.
	PublishingPolls int
	// FinalStatus is every job's final publish_status: 0 (default), or 2, 3
	// or 4 to simulate a failure.
	FinalStatus int
	// MassPerDay is how many mass sends a day succeed (default 1, a verified
	// subscription account's); past it, 45028 (UNVERIFIED).
	MassPerDay int
	// NumericIDs answers publish_id as a JSON number instead of a string,
	// as the event XML and some SDKs have it.
	NumericIDs bool
	Now        func() time.Time
	Log        *slog.Logger // nil: discard
}

// Article is a draft or published article as the fake stores it.
type Article struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
	URL                string `json:"url,omitempty"`
	IsDeleted          bool   `json:"is_deleted"`
}

// job is a publish job; a job whose final status is 0 carries the article.
type job struct {
	id, articleID string
	polls, final  int
	after         int // a status after success: 5 or 6 (TakeDown)
	articles      []Article
	updated       time.Time
}

// Server is the fake; it is an http.Handler.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu              sync.Mutex
	tokens          map[string]time.Time // token → expiry
	current         string
	media           map[string]bool // permanent media_ids
	drafts          map[string][]Article
	jobs            []*job
	seq             int
	failN, failCode int
	dropN           int
	ipWhitelist     bool
	calls           map[string]int
	published       int
	mass            map[string]string // clientmsgid → msg_id
	massDay         map[string]int    // Beijing date → successful mass sends
	massSent        int
}

// New returns an empty fake.
func New(opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), tokens: map[string]time.Time{}, media: map[string]bool{},
		drafts: map[string][]Article{}, calls: map[string]int{}, mass: map[string]string{}, massDay: map[string]int{}}
	s.mux.HandleFunc("POST /cgi-bin/{op...}", s.api)
	s.mux.HandleFunc("GET /s/{id}", s.page)
	return s
}

// ServeHTTP serves the API and the article pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ExpireTokens makes every token issued so far answer 42001, as after
// expiry; stable_token then issues a new one.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.tokens[t] = time.Time{}
	}
	s.current = ""
}

// FailNext makes the next n business calls answer errcode without
// executing, after the token check.
func (s *Server) FailNext(n, errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, errcode
}

// IPWhitelistError makes every call, stable_token included, answer 40164
// as WeChat does when the caller's IP is not whitelisted.
func (s *Server) IPWhitelistError(on bool) { s.mu.Lock(); defer s.mu.Unlock(); s.ipWhitelist = on }

// DropAnswerAfterCommit makes the next n successful business calls commit
// and then close the connection without answering: the lost answer that
// makes a write ambiguous.
func (s *Server) DropAnswerAfterCommit(n int) { s.mu.Lock(); defer s.mu.Unlock(); s.dropN = n }

// TakeDown makes the job of articleID report status (5: the account's
// user deleted every article; 6: the platform banned them) from now on, as
// WeChat does after a successful publish is taken down.
func (s *Server) TakeDown(articleID string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.article(articleID); j != nil {
		j.after = status
		for i := range j.articles {
			j.articles[i].IsDeleted = true
		}
	}
}

// MassSent counts the mass sends that went out (a repeated clientmsgid
// counts once).
func (s *Server) MassSent() int { s.mu.Lock(); defer s.mu.Unlock(); return s.massSent }

// massSend sends a draft to every follower, once per clientmsgid: a repeat
// within the day answers 45065 with the first send's msg_id.
func (s *Server) massSend(body []byte) answer {
	var req struct {
		MpNews struct {
			MediaID string `json:"media_id"`
		} `json:"mpnews"`
		MsgType     string `json:"msgtype"`
		ClientMsgID string `json:"clientmsgid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.MsgType != "mpnews" {
		return fail(CodeBadRequest)
	}
	if len(req.ClientMsgID) > 64 {
		return fail(45067)
	}
	if id, ok := s.mass[req.ClientMsgID]; ok && req.ClientMsgID != "" {
		return answer{body: map[string]any{"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": s.id(id)}}
	}
	if _, ok := s.drafts[req.MpNews.MediaID]; !ok {
		return fail(CodeInvalidMedia)
	}
	day := s.now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if s.massDay[day] >= max(s.opts.MassPerDay, 1) {
		return fail(45028)
	}
	delete(s.drafts, req.MpNews.MediaID) // a mass-sent draft leaves the draft box
	s.massDay[day]++
	s.massSent++
	s.seq++
	id := fmt.Sprint(1000000000 + s.seq)
	if req.ClientMsgID != "" {
		s.mass[req.ClientMsgID] = id
	}
	return answer{body: map[string]any{"errcode": 0, "errmsg": "send job submission success", "msg_id": s.id(id), "msg_data_id": s.id(fmt.Sprint(s.seq))}}
}

// Drafts counts the drafts in the draft box.
func (s *Server) Drafts() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.drafts) }

// Published counts accepted submits whose job succeeds, so a test can
// prove an article was published exactly once.
func (s *Server) Published() int { s.mu.Lock(); defer s.mu.Unlock(); return s.published }

// Calls counts the requests to path, e.g. "/cgi-bin/stable_token", whatever
// their answer.
func (s *Server) Calls(path string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[path] }

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// answer is a handler's result: a body to send, or an errcode.
type answer struct {
	body any
	code int
}

func fail(code int) answer { return answer{code: code} }

// api answers one API call: faults first, then the token, then the
// endpoint, under the lock so calls are serialised like commits.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	op := r.PathValue("op")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 12<<20))
	s.mu.Lock()
	s.calls[r.URL.Path]++
	a := s.handleLocked(r, op, body, err)
	drop := false
	if a.code == 0 && op != "stable_token" && s.dropN > 0 {
		s.dropN--
		drop = true
	}
	s.mu.Unlock()
	s.opts.Log.Debug("fake wechat call", "op", op, "errcode", a.code, "dropped", drop)
	if drop {
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}
	if a.code != 0 {
		msg, ok := messages[a.code]
		if !ok {
			msg = "fake error"
		}
		if a.code == 40164 {
			ip, _, _ := net.SplitHostPort(r.RemoteAddr)
			msg = fmt.Sprintf("invalid ip %s ipv6 ::ffff:%s, not in whitelist", ip, ip)
		}
		a.body = map[string]any{"errcode": a.code, "errmsg": msg + " rid: " + randomHex(4) + "-" + randomHex(6)}
	}
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(a.body)
}

func (s *Server) handleLocked(r *http.Request, op string, body []byte, readErr error) answer {
	if s.ipWhitelist {
		return fail(40164)
	}
	if readErr != nil {
		return fail(CodeBadRequest)
	}
	if op == "stable_token" {
		return s.stableToken(body)
	}
	exp, ok := s.tokens[r.URL.Query().Get("access_token")]
	if !ok {
		return fail(40014)
	}
	if !s.now().Before(exp) {
		return fail(42001)
	}
	if s.failN > 0 {
		s.failN--
		return fail(s.failCode)
	}
	switch op {
	case "media/uploadimg", "material/add_material":
		return s.upload(r, op, body)
	case "draft/add":
		return s.draftAdd(body)
	case "message/mass/sendall":
		return s.massSend(body)
	}
	var req struct {
		MediaID   string          `json:"media_id"`
		PublishID json.RawMessage `json:"publish_id"`
		ArticleID string          `json:"article_id"`
		Index     int             `json:"index"`
		Offset    int             `json:"offset"`
		Count     int             `json:"count"`
		NoContent int             `json:"no_content"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return fail(CodeBadRequest)
	}
	switch op {
	case "draft/get":
		if d, ok := s.drafts[req.MediaID]; ok {
			return answer{body: map[string]any{"news_item": d}}
		}
		return fail(CodeInvalidMedia)
	case "draft/delete":
		if _, ok := s.drafts[req.MediaID]; !ok {
			return fail(CodeInvalidMedia)
		}
		delete(s.drafts, req.MediaID)
		return answer{body: map[string]any{"errcode": 0, "errmsg": "ok"}}
	case "freepublish/submit":
		return s.submit(r, req.MediaID)
	case "freepublish/get":
		return s.get(strings.Trim(string(req.PublishID), `"`))
	case "freepublish/delete":
		return s.deleteArticle(req.ArticleID, req.Index)
	case "freepublish/batchget":
		return s.batchGet(req.Offset, req.Count, req.NoContent == 1)
	}
	return answer{body: map[string]any{"errcode": 48001, "errmsg": "api unauthorized (the fake does not implement " + op + ")"}}
}

// stableToken returns the current token while it has more than 5 minutes
// left, a new one otherwise or when force_refresh is set.
func (s *Server) stableToken(body []byte) answer {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	switch {
	case json.Unmarshal(body, &req) != nil || req.GrantType != "client_credential":
		return fail(CodeBadRequest)
	case req.AppID != s.opts.AppID:
		return fail(40013)
	case req.Secret != s.opts.Secret:
		return fail(40001)
	}
	now := s.now()
	if exp, ok := s.tokens[s.current]; req.ForceRefresh || !ok || exp.Sub(now) <= 5*time.Minute {
		s.current = randomHex(32)
		s.tokens[s.current] = now.Add(7200 * time.Second)
	}
	return answer{body: map[string]any{"access_token": s.current, "expires_in": int(s.tokens[s.current].Sub(now).Seconds())}}
}

func (s *Server) base(r *http.Request) string {
	if s.opts.PublicBase != "" {
		return strings.TrimRight(s.opts.PublicBase, "/")
	}
	return "http://" + r.Host
}

// upload stores an image from the multipart field "media", checking the
// type and size limits of uploadimg (jpg/png, under 1 MB) or add_material
// (bmp/png/jpeg/gif, at most 10 MB).
func (s *Server) upload(r *http.Request, op string, body []byte) answer {
	_, params, _ := strings.Cut(r.Header.Get("Content-Type"), "boundary=")
	form, err := multipart.NewReader(bytes.NewReader(body), strings.Trim(params, `"`)).ReadForm(12 << 20)
	if err != nil || len(form.File["media"]) != 1 {
		return fail(CodeBadRequest)
	}
	defer form.RemoveAll()
	f, err := form.File["media"][0].Open()
	if err != nil {
		return fail(CodeBadRequest)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	types, limit := []string{"image/jpeg", "image/png"}, 1<<20-1
	if op == "material/add_material" {
		if r.URL.Query().Get("type") != "image" {
			return fail(40004) // UNVERIFIED: the fake implements type=image only
		}
		types, limit = append(types, "image/gif", "image/bmp"), 10<<20
	}
	switch {
	case !slices.Contains(types, http.DetectContentType(data)):
		return fail(CodeInvalidFileType)
	case len(data) > limit:
		return fail(CodeInvalidSize)
	}
	s.seq++
	u := fmt.Sprintf("%s/mmbiz_png/%d", s.base(r), s.seq)
	if op == "media/uploadimg" {
		return answer{body: map[string]any{"url": u}}
	}
	id := fmt.Sprintf("MEDIA_%d_%s", s.seq, randomHex(8))
	s.media[id] = true
	return answer{body: map[string]any{"media_id": id, "url": u}}
}

// draftAdd validates and stores a draft of 1 to 8 articles.
func (s *Server) draftAdd(body []byte) answer {
	var req struct {
		Articles []Article `json:"articles"`
	}
	if json.Unmarshal(body, &req) != nil {
		return fail(CodeBadRequest)
	}
	if len(req.Articles) == 0 || len(req.Articles) > 8 {
		return fail(CodeArticleCount)
	}
	n := utf8.RuneCountInString
	for _, a := range req.Articles {
		switch {
		case a.Title == "" || n(a.Title) > 32:
			return fail(CodeTitleSize)
		case n(a.Author) > 16:
			return fail(CodeAuthorSize)
		case n(a.Digest) > 128:
			return fail(CodeDigestSize)
		case a.Content == "" || n(a.Content) >= 20000 || len(a.Content) >= 1<<20:
			return fail(CodeContentSize)
		case len(a.ContentSourceURL) > 1024:
			return fail(CodeURLSize)
		case !s.media[a.ThumbMediaID]:
			return fail(CodeInvalidMedia)
		}
	}
	s.seq++
	id := fmt.Sprintf("DRAFT_%d_%s", s.seq, randomHex(8))
	s.drafts[id] = req.Articles
	return answer{body: map[string]any{"media_id": id}}
}

// submit takes the draft out of the draft box and starts a job. A second
// submit of the same media_id finds no draft and answers CodeInvalidMedia
// (UNVERIFIED).
func (s *Server) submit(r *http.Request, mediaID string) answer {
	arts, ok := s.drafts[mediaID]
	if !ok {
		return fail(CodeInvalidMedia)
	}
	delete(s.drafts, mediaID)
	s.seq++
	j := &job{id: fmt.Sprint(2247483647 + s.seq), polls: s.opts.PublishingPolls, final: s.opts.FinalStatus, updated: s.now()}
	if j.final == 0 {
		j.articleID = "ART_" + randomHex(12)
		for i := range arts {
			arts[i].URL = fmt.Sprintf("%s/s/%s?idx=%d", s.base(r), j.articleID, i+1)
		}
		j.articles = arts
		s.published++
	}
	s.jobs = append(s.jobs, j)
	return answer{body: map[string]any{"errcode": 0, "errmsg": "ok", "publish_id": s.id(j.id), "msg_data_id": s.id(fmt.Sprint(s.seq))}}
}

func (s *Server) id(v string) any {
	if s.opts.NumericIDs {
		return json.Number(v)
	}
	return v
}

// get reports a job: publishing for its first polls, then its final status;
// a succeeded job whose articles are all deleted reports 5.
func (s *Server) get(publishID string) answer {
	i := slices.IndexFunc(s.jobs, func(j *job) bool { return j.id == publishID })
	if i < 0 {
		return fail(CodeInvalidMedia) // UNVERIFIED: unknown publish_id
	}
	j := s.jobs[i]
	out := map[string]any{"publish_id": s.id(j.id), "publish_status": j.final, "article_id": "", "article_detail": map[string]any{"count": 0, "item": []any{}}, "fail_idx": []int{}}
	switch {
	case j.polls > 0:
		j.polls--
		out["publish_status"] = 1
	case j.final == 2 || j.final == 4:
		out["fail_idx"] = []int{1}
	case j.final == 0:
		items, live := []any{}, 0
		for i, a := range j.articles {
			items = append(items, map[string]any{"idx": i + 1, "article_url": a.URL})
			if !a.IsDeleted {
				live++
			}
		}
		out["article_id"], out["article_detail"] = j.articleID, map[string]any{"count": len(items), "item": items}
		if live == 0 {
			out["publish_status"] = 5
		}
		if j.after != 0 {
			out["publish_status"] = j.after
		}
	}
	out["errcode"], out["errmsg"] = 0, "ok"
	return answer{body: out}
}

func (s *Server) article(articleID string) *job {
	for _, j := range s.jobs {
		if j.articleID != "" && j.articleID == articleID {
			return j
		}
	}
	return nil
}

// deleteArticle marks article index (from 1; 0: all) of articleID deleted.
func (s *Server) deleteArticle(articleID string, index int) answer {
	j := s.article(articleID)
	if j == nil || index < 0 || index > len(j.articles) {
		return fail(CodeInvalidMedia) // UNVERIFIED: unknown article_id or index
	}
	for i := range j.articles {
		if index == 0 || index == i+1 {
			j.articles[i].IsDeleted = true
		}
	}
	j.updated = s.now()
	return answer{body: map[string]any{"errcode": 0, "errmsg": "ok"}}
}

// batchGet lists succeeded jobs, newest first, count at most 20.
func (s *Server) batchGet(offset, count int, noContent bool) answer {
	if offset < 0 || count < 1 || count > 20 {
		return fail(CodeBadRequest)
	}
	var items []any
	for i := len(s.jobs) - 1; i >= 0; i-- {
		j := s.jobs[i]
		if j.articleID == "" {
			continue
		}
		news := slices.Clone(j.articles)
		if noContent {
			for k := range news {
				news[k].Content = ""
			}
		}
		items = append(items, map[string]any{"article_id": j.articleID, "update_time": j.updated.Unix(),
			"content": map[string]any{"news_item": news, "create_time": j.updated.Unix(), "update_time": j.updated.Unix()}})
	}
	total := len(items)
	items = items[min(offset, total):min(offset+count, total)]
	return answer{body: map[string]any{"total_count": total, "item_count": len(items), "item": items}}
}

var pageTmpl = template.Must(template.New("p").Parse(`<!doctype html><meta charset="utf-8"><title>{{.Title}}</title>
<h1>{{.Title}}</h1><p>{{.Author}}</p>{{.Content}}`))

// page shows a published article, as mp.weixin.qq.com would; scripts are
// blocked by the Content-Security-Policy, as WeChat strips JS.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	j := s.article(r.PathValue("id"))
	var a Article
	idx := 1
	fmt.Sscan(r.URL.Query().Get("idx"), &idx)
	ok := j != nil && idx >= 1 && idx <= len(j.articles) && !j.articles[idx-1].IsDeleted
	if ok {
		a = j.articles[idx-1]
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy", "script-src 'none'")
	pageTmpl.Execute(w, struct {
		Title, Author string
		Content       template.HTML
	}{a.Title, a.Author, template.HTML(a.Content)})
}
