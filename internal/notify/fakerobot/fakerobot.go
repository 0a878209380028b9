// Package fakerobot is an in-memory WeCom group robot and DingTalk custom
// robot, implemented as CHANNELS.md §4 documents them, so that tests and
// demos (a future `sanshen fake-channels`) can run sanshen's notifications
// end to end: it checks the key or access_token, verifies DingTalk
// signatures and keywords, records what it accepts, and can be told to
// answer errcodes, answer 5xx, or hang after accepting a message.
//
// Where CHANNELS.md names no errcode the fake answers the one the notify
// package names from community sources ([C]); the text of each errmsg is
// the fake's own.
package fakerobot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sanshen-gov/sanshen/internal/notify"
)

// Limits the fake enforces, from CHANNELS.md §4.
const (
	MaxWeComText     = 2048                    // bytes of a WeCom text message
	MaxWeComMarkdown = notify.MaxMarkdownBytes // bytes of a WeCom markdown message [C]
	SignWindow       = time.Hour               // how far a DingTalk timestamp may be from the fake's clock
)

const (
	maxBody        = 1 << 20               // bytes of request body read
	unknownMsgType = "unsupported msgtype" // errmsg for a body that is no message
)

// CodeDingTalkBadMessage is what the fake answers a DingTalk body that is
// not a text or markdown message (400105 "不支持的消息类型" [C]).
const CodeDingTalkBadMessage = 400105

// Options configure a fake.
type Options struct {
	WeComKey      string // the only key accepted; empty: any non-empty key
	DingTalkToken string // the only access_token accepted; empty: any non-empty one
	// DingTalkSecret, when set, makes every DingTalk request need a valid
	// signature made with it and a timestamp within SignWindow of Now.
	DingTalkSecret string
	// DingTalkKeywords, when set, makes every DingTalk message need to
	// contain one of them (the robot's keyword security setting).
	DingTalkKeywords []string
	Now              func() time.Time // nil: time.Now
	Log              *slog.Logger     // nil: discard; credentials are never logged
}

// Received is one message a robot accepted.
type Received struct {
	Robot    string    // notify.ChannelWeCom or notify.ChannelDingTalk
	Token    string    // the key or access_token it was sent with
	RawQuery string    // the request's query as sent, signature included
	At       time.Time // by the fake's clock
	MsgType  string    // "markdown" or "text"
	Title    string    // a DingTalk markdown message's title
	// Content is the markdown content (WeCom), the markdown text
	// (DingTalk) or a text message's content.
	Content string
	Body    json.RawMessage // the request body as sent
}

// Server is the fake. It is safe for concurrent use.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex
	received []Received
	faults   []fault
}

// fault is one injected answer: an errcode, an HTTP status, or a hang
// after accepting the message.
type fault struct {
	errcode int
	status  int
	hang    bool
}

// New returns a fake with both robots, at /cgi-bin/webhook/send?key= (WeCom)
// and /robot/send?access_token= (DingTalk).
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), closed: make(chan struct{})}
	s.mux.HandleFunc("POST /cgi-bin/webhook/send", s.weCom)
	s.mux.HandleFunc("POST /robot/send", s.dingTalk)
	return s
}

// Handler serves both robots, e.g. behind httptest.NewServer.
func (s *Server) Handler() http.Handler { return s.mux }

// Received returns a copy of the accepted messages, oldest first.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// FailNext makes the next n requests, to either robot, answer errcode
// without accepting the message. Like every injected fault it applies to
// requests that pass the key, token and signature checks.
func (s *Server) FailNext(n, errcode int) { s.inject(n, fault{errcode: errcode}) }

// ServerErrorNext makes the next n requests answer HTTP 503 without
// accepting the message.
func (s *Server) ServerErrorNext(n int) { s.inject(n, fault{status: http.StatusServiceUnavailable}) }

// HangNext makes the next n requests accept (and record) their message and
// then never answer, until the client gives up or Close is called: the
// lost answer a client must treat as ambiguous.
func (s *Server) HangNext(n int) { s.inject(n, fault{hang: true}) }

// Close releases every hanging request; later hangs return at once.
func (s *Server) Close() { s.once.Do(func() { close(s.closed) }) }

func (s *Server) inject(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// nextFault pops the next injected fault, if any.
func (s *Server) nextFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// message is both robots' request body, of which each reads its part.
type message struct {
	MsgType  string `json:"msgtype"`
	Markdown *struct {
		Content string `json:"content"` // WeCom
		Title   string `json:"title"`   // DingTalk
		Text    string `json:"text"`    // DingTalk
	} `json:"markdown"`
	Text *struct {
		Content string `json:"content"`
	} `json:"text"`
}

func (s *Server) weCom(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
	if key == "" || (s.opts.WeComKey != "" && key != s.opts.WeComKey) {
		answer(w, notify.CodeWeComBadKey, "invalid webhook url, hint: [fake]")
		return
	}
	s.serve(w, r, notify.ChannelWeCom, key, func(m message) (Received, int, string) {
		switch {
		case m.MsgType == "markdown" && m.Markdown != nil && m.Markdown.Content != "":
			if n := len(m.Markdown.Content); n > MaxWeComMarkdown {
				return Received{}, notify.CodeWeComBadContent, fmt.Sprintf("markdown.content exceed max length %d (got %d)", MaxWeComMarkdown, n)
			}
			return Received{MsgType: m.MsgType, Content: m.Markdown.Content}, 0, ""
		case m.MsgType == "text" && m.Text != nil && m.Text.Content != "":
			if n := len(m.Text.Content); n > MaxWeComText {
				return Received{}, notify.CodeWeComBadContent, fmt.Sprintf("text.content exceed max length %d (got %d)", MaxWeComText, n)
			}
			return Received{MsgType: m.MsgType, Content: m.Text.Content}, 0, ""
		}
		return Received{}, notify.CodeWeComBadContent, unknownMsgType + " or empty content"
	})
}

func (s *Server) dingTalk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("access_token")
	if token == "" || (s.opts.DingTalkToken != "" && token != s.opts.DingTalkToken) {
		answer(w, notify.CodeDingTalkBadToken, "token is not exist")
		return
	}
	if s.opts.DingTalkSecret != "" {
		if msg := s.checkSign(q.Get("timestamp"), q.Get("sign")); msg != "" {
			answer(w, notify.CodeDingTalkSecurity, msg)
			return
		}
	}
	s.serve(w, r, notify.ChannelDingTalk, token, func(m message) (Received, int, string) {
		var rec Received
		switch {
		case m.MsgType == "markdown" && m.Markdown != nil && m.Markdown.Title != "" && m.Markdown.Text != "":
			rec = Received{MsgType: m.MsgType, Title: m.Markdown.Title, Content: m.Markdown.Text}
		case m.MsgType == "text" && m.Text != nil && m.Text.Content != "":
			rec = Received{MsgType: m.MsgType, Content: m.Text.Content}
		default:
			return Received{}, CodeDingTalkBadMessage, unknownMsgType
		}
		if kw := s.opts.DingTalkKeywords; len(kw) > 0 && !containsAny(rec.Title+rec.Content, kw) {
			return Received{}, notify.CodeDingTalkSecurity, "keywords not in content"
		}
		return rec, 0, ""
	})
}

// checkSign verifies a DingTalk signature as the platform does: the
// timestamp (ms) within SignWindow, and sign = Base64(HMAC-SHA256 keyed by
// the secret of timestamp+"\n"+secret). It returns the errmsg of a
// failure, or "".
func (s *Server) checkSign(timestamp, sign string) string {
	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return "invalid timestamp"
	}
	if d := s.opts.Now().Sub(time.UnixMilli(ms)); d > SignWindow || d < -SignWindow {
		return "invalid timestamp"
	}
	mac := hmac.New(sha256.New, []byte(s.opts.DingTalkSecret))
	mac.Write([]byte(timestamp + "\n" + s.opts.DingTalkSecret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(sign), []byte(want)) {
		return "sign not match"
	}
	return ""
}

// serve applies the next fault, reads and checks the body with check,
// records what was accepted and answers.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, robot, token string, check func(message) (Received, int, string)) {
	f, faulty := s.nextFault()
	switch {
	case faulty && f.status != 0:
		http.Error(w, "fake: injected server error", f.status)
		return
	case faulty && f.errcode != 0:
		answer(w, f.errcode, "fake: injected error")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "fake: reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		m = message{}
	}
	rec, code, msg := check(m)
	if code != 0 {
		answer(w, code, msg)
		return
	}
	rec.Robot, rec.Token, rec.RawQuery, rec.At, rec.Body = robot, token, r.URL.RawQuery, s.opts.Now(), body
	s.mu.Lock()
	s.received = append(s.received, rec)
	s.mu.Unlock()
	s.opts.Log.Info("robot message accepted", "robot", robot, "msgtype", rec.MsgType, "title", rec.Title, "bytes", len(rec.Content))
	if faulty && f.hang {
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		return
	}
	answer(w, 0, "ok")
}

// answer writes a robot's JSON answer, always with HTTP 200.
func answer(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
