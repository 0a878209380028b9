package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sanshen-gov/sanshen/internal/channels"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// The Op of each call, which is also its path after /cgi-bin/.
const (
	opToken       = "stable_token"
	opUploadImg   = "media/uploadimg"
	opAddMaterial = "material/add_material"
	opDraftAdd    = "draft/add"
	opDraftGet    = "draft/get"
	opSubmit      = "freepublish/submit"
	opGet         = "freepublish/get"
	opDelete      = "freepublish/delete"
	opBatchGet    = "freepublish/batchget"
	opMassSend    = "message/mass/sendall"
)

// maxResponse bounds how much of an answer is read; draft/get returns
// whole article bodies (up to 1 MB each, 8 per draft).
const maxResponse = 16 << 20

// tokenMargin is how long before its expiry a cached token is replaced,
// matching stable_token, which hands out a new token only in that window.
const tokenMargin = 5 * time.Minute

// Client calls one Official Account's API. It caches the access token and
// refreshes it only when WeChat rejects it, one refresh at a time however
// many goroutines share the Client. A Client must not be copied after use.
type Client struct {
	BaseURL string // default DefaultBaseURL
	AppID   string
	Secret  string       // the AppSecret; never logged
	HTTP    *http.Client // nil: a client with a 30s timeout
	Now     func() time.Time
	// Sleep waits between polls (nil: a timer that stops when ctx is done);
	// tests replace it to see the waits without taking them.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger // nil: discard

	mu     sync.Mutex
	tok    string
	exp    time.Time
	flight *flight
}

// flight is one token fetch in progress, which concurrent callers wait for
// instead of fetching their own.
type flight struct {
	done chan struct{}
	tok  string
	err  error
}

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// UploadImage uploads an image for use inside article content and returns
// its URL. WeChat takes only JPG and PNG under 1 MB here, so anything else
// is refused locally with a typed Error before calling.
func (c *Client) UploadImage(ctx context.Context, name string, data []byte) (string, error) {
	ct, body, err := imageBody(opUploadImg, name, data, MaxUploadImg-1, "image/jpeg", "image/png")
	if err != nil {
		return "", err
	}
	var out struct {
		URL string `json:"url"`
	}
	if err := c.call(ctx, opUploadImg, nil, ct, body, &out); err != nil {
		return "", err
	}
	if out.URL == "" {
		return "", &Error{Op: opUploadImg, Message: "answer has no url", Retryable: true}
	}
	return out.URL, nil
}

// AddMaterialImage uploads a permanent image (bmp, png, jpeg or gif, at
// most 10 MB) and returns its media_id, which a draft's ThumbMediaID needs,
// and its URL.
func (c *Client) AddMaterialImage(ctx context.Context, name string, data []byte) (mediaID, imageURL string, err error) {
	ct, body, err := imageBody(opAddMaterial, name, data, MaxMaterialImage, "image/jpeg", "image/png", "image/gif", "image/bmp")
	if err != nil {
		return "", "", err
	}
	var out struct {
		MediaID string `json:"media_id"`
		URL     string `json:"url"`
	}
	if err := c.call(ctx, opAddMaterial, url.Values{"type": {"image"}}, ct, body, &out); err != nil {
		return "", "", err
	}
	if out.MediaID == "" {
		return "", "", &Error{Op: opAddMaterial, Message: "answer has no media_id", Retryable: true}
	}
	return out.MediaID, out.URL, nil
}

var imageExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/bmp": ".bmp"}

// imageBody checks an image's sniffed type and size and builds the
// multipart body with the field "media", naming the file with an
// extension that matches its type.
func imageBody(op, name string, data []byte, limit int, types ...string) (string, []byte, error) {
	typ := http.DetectContentType(data)
	if !slices.Contains(types, typ) {
		return "", nil, refusal(op, "media", "图片格式不受支持。", "image %q is %s; %s takes %s", name, typ, op, strings.Join(types, ", "))
	}
	if len(data) > limit {
		return "", nil, refusal(op, "media", "图片过大。", "image %q has %d bytes; %s takes at most %d", name, len(data), op, limit)
	}
	if name == "" {
		name = "image"
	}
	if ext := strings.ToLower(path.Ext(name)); ext != imageExt[typ] && !(typ == "image/jpeg" && ext == ".jpeg") {
		name += imageExt[typ]
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, err := w.CreateFormFile("media", name)
	if err == nil {
		_, err = fw.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return "", nil, fmt.Errorf("error building the %s upload: %w", op, err)
	}
	return w.FormDataContentType(), b.Bytes(), nil
}

// AddDraft creates a draft of one article and returns its media_id. A
// retry after a lost answer creates a second draft, so the caller persists
// the media_id and cleans up duplicates rather than retrying blindly.
func (c *Client) AddDraft(ctx context.Context, a Article) (string, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	w := wireArticle{Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
		ContentSourceURL: a.ContentSourceURL, ThumbMediaID: a.ThumbMediaID,
		NeedOpenComment: b2i(a.NeedOpenComment), OnlyFansCanComment: b2i(a.OnlyFansCanComment)}
	var out struct {
		MediaID string `json:"media_id"`
	}
	if err := c.callJSON(ctx, opDraftAdd, map[string][]wireArticle{"articles": {w}}, &out); err != nil {
		return "", err
	}
	if out.MediaID == "" {
		return "", &Error{Op: opDraftAdd, Message: "answer has no media_id", Ambiguous: true}
	}
	return out.MediaID, nil
}

// DraftExists reports whether the draft mediaID is still in the draft box.
// After an ambiguous Submit, false means the submit happened. It relies on
// draft/get answering CodeInvalidMediaID for a missing draft (UNVERIFIED).
func (c *Client) DraftExists(ctx context.Context, mediaID string) (bool, error) {
	err := c.callJSON(ctx, opDraftGet, map[string]string{"media_id": mediaID}, nil)
	if e, ok := errors.AsType[*Error](err); ok && e.Code == CodeInvalidMediaID {
		return false, nil
	}
	return err == nil, err
}

// Submit asks WeChat to publish the draft mediaID and returns the job's
// publish_id. Success means the job was accepted, not that it finished:
// see WaitPublished. On an Ambiguous error do not submit again; reconcile
// with DraftExists and FindPublished.
func (c *Client) Submit(ctx context.Context, mediaID string) (string, error) {
	var out struct {
		PublishID flexID `json:"publish_id"`
	}
	if err := c.callJSON(ctx, opSubmit, map[string]string{"media_id": mediaID}, &out); err != nil {
		return "", err
	}
	if out.PublishID == "" {
		return "", &Error{Op: opSubmit, Message: "answer has no publish_id", Ambiguous: true}
	}
	return string(out.PublishID), nil
}

// PublishStatus asks once how the job publishID is doing.
func (c *Client) PublishStatus(ctx context.Context, publishID string) (Status, error) {
	var out struct {
		PublishID     flexID `json:"publish_id"`
		PublishStatus State  `json:"publish_status"`
		ArticleID     flexID `json:"article_id"`
		ArticleDetail struct {
			Item []struct {
				Idx        int    `json:"idx"`
				ArticleURL string `json:"article_url"`
			} `json:"item"`
		} `json:"article_detail"`
		FailIdx []int `json:"fail_idx"`
	}
	if err := c.callJSON(ctx, opGet, map[string]string{"publish_id": publishID}, &out); err != nil {
		return Status{PublishID: publishID}, err
	}
	st := Status{PublishID: string(out.PublishID), State: out.PublishStatus, ArticleID: string(out.ArticleID), FailIdx: out.FailIdx}
	if st.PublishID == "" {
		st.PublishID = publishID
	}
	for _, it := range out.ArticleDetail.Item {
		st.Articles = append(st.Articles, PublishedArticle{Index: it.Idx, URL: it.ArticleURL})
	}
	return st, nil
}

// Backoff is how WaitPublished spaces its polls: First, doubling up to
// Max. freepublish/get has a small daily quota, so polls are sparse.
type Backoff struct {
	First, Max time.Duration // zero: 2s and 60s
}

// WaitPublished polls the job until its state is no longer publishing and
// returns that status; a failed job is a Status with a failure State and
// a nil error. A retryable error (quota 45009, busy, transport) does not
// end the wait: the next waits jump to Max. It returns ctx's error, with
// the last status seen, when ctx ends first.
func (c *Client) WaitPublished(ctx context.Context, publishID string, b Backoff) (Status, error) {
	if b.First <= 0 {
		b.First = 2 * time.Second
	}
	if b.Max <= 0 {
		b.Max = 60 * time.Second
	}
	wait, last := min(b.First, b.Max), Status{PublishID: publishID, State: StatePublishing}
	for {
		st, err := c.PublishStatus(ctx, publishID)
		d := wait
		switch e, _ := errors.AsType[*Error](err); {
		case err == nil && st.State != StatePublishing:
			return st, nil
		case err == nil:
			last, wait = st, min(wait*2, b.Max)
		case ctx.Err() == nil && e != nil && e.Retryable:
			c.log().Warn("wechat publish poll failed, backing off", "publish_id", publishID, "errcode", e.Code, "err", err, "wait", b.Max)
			d, wait = b.Max, b.Max
		default:
			return last, err
		}
		if err := c.sleep(ctx, d); err != nil {
			return last, fmt.Errorf("error waiting for publish job %s: %w", publishID, err)
		}
	}
}

// DeleteArticle deletes a published article, irreversibly: index counts
// from 1, and 0 deletes every article of articleID.
func (c *Client) DeleteArticle(ctx context.Context, articleID string, index int) error {
	return c.callJSON(ctx, opDelete, map[string]any{"article_id": articleID, "index": index}, nil)
}

// batchPage is how many articles FindPublished asks for per page (the
// documented maximum is 20).
const batchPage = 20

// FindPublished looks through the published (发布) articles for the newest
// one titled exactly title and updated at or after since, to find the
// article of a submit whose answer was lost. Pass a since a few minutes
// before the submit: WeChat's clock is not sanshen's.
func (c *Client) FindPublished(ctx context.Context, title string, since time.Time) (articleID, articleURL string, found bool, err error) {
	var best int64 = -1
	for offset := 0; ; offset += batchPage {
		var out struct {
			TotalCount int `json:"total_count"`
			Item       []struct {
				ArticleID  flexID `json:"article_id"`
				UpdateTime int64  `json:"update_time"`
				Content    struct {
					NewsItem []struct {
						Title     string `json:"title"`
						URL       string `json:"url"`
						IsDeleted bool   `json:"is_deleted"`
					} `json:"news_item"`
				} `json:"content"`
			} `json:"item"`
		}
		req := map[string]int{"offset": offset, "count": batchPage, "no_content": 1}
		if err := c.callJSON(ctx, opBatchGet, req, &out); err != nil {
			return "", "", false, err
		}
		for _, it := range out.Item {
			if it.UpdateTime < since.Unix() || it.UpdateTime <= best {
				continue
			}
			for _, n := range it.Content.NewsItem {
				if n.Title == title && !n.IsDeleted {
					articleID, articleURL, found, best = string(it.ArticleID), n.URL, true, it.UpdateTime
					break
				}
			}
		}
		if len(out.Item) == 0 || offset+len(out.Item) >= out.TotalCount {
			return articleID, articleURL, found, nil
		}
	}
}

// callJSON is call with a JSON body encoded without HTML escapes: WeChat
// wants no \uXXXX escapes, and json.Marshal turns < > & into \u003c etc.
func (c *Client) callJSON(ctx context.Context, op string, in, out any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		return fmt.Errorf("error encoding the %s request: %w", op, err)
	}
	return c.call(ctx, op, nil, "application/json", b.Bytes(), out)
}

// call makes a business call with the access token. When WeChat rejects
// the token (40001, 40014, 42001) the request was not executed, so it
// refreshes the token and tries once more; it retries nothing else.
func (c *Client) call(ctx context.Context, op string, q url.Values, ct string, body []byte, out any) error {
	tok, err := c.token(ctx, "")
	for retried := false; err == nil; retried = true {
		qq := url.Values{"access_token": {tok}}
		for k, v := range q {
			qq[k] = v
		}
		e := c.post(ctx, op, qq, ct, body, out)
		if e == nil {
			return nil
		}
		if retried || (e.Code != CodeBadCredential && e.Code != CodeTokenInvalid && e.Code != CodeTokenExpired) {
			return e
		}
		c.log().Info("wechat rejected the access token, refreshing it", "op", op, "errcode", e.Code)
		tok, err = c.token(ctx, tok)
	}
	return err
}

// token returns a cached token, or fetches one when there is none, it is
// near expiry, or it is stale (the token WeChat just rejected). Concurrent
// callers share one fetch.
func (c *Client) token(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	if c.tok != "" && c.tok != stale && c.now().Before(c.exp) {
		defer c.mu.Unlock()
		return c.tok, nil
	}
	if f := c.flight; f != nil { // share its result, even a failure of the leader's ctx
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.tok, f.err
		case <-ctx.Done():
			return "", &Error{Op: opToken, Message: "gave up waiting for the token", Err: ctx.Err(), Retryable: true}
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flight = f
	c.mu.Unlock()

	tok, ttl, err := c.fetchToken(ctx, false)
	if err == nil && stale != "" && tok == stale {
		c.log().Warn("stable_token returned the rejected token again, forcing a refresh")
		tok, ttl, err = c.fetchToken(ctx, true)
	}
	c.mu.Lock()
	c.flight, f.tok, f.err = nil, tok, err
	if err == nil {
		life := ttl - tokenMargin
		if life <= 0 {
			life = ttl / 2
		}
		c.tok, c.exp = tok, c.now().Add(life)
	}
	c.mu.Unlock()
	close(f.done)
	return tok, err
}

// fetchToken calls stable_token.
func (c *Client) fetchToken(ctx context.Context, force bool) (string, time.Duration, error) {
	body, err := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": c.AppID, "secret": c.Secret, "force_refresh": force})
	if err != nil {
		return "", 0, fmt.Errorf("error encoding the token request: %w", err)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if e := c.post(ctx, opToken, nil, "application/json", body, &out); e != nil {
		return "", 0, e
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return "", 0, &Error{Op: opToken, Message: "answer has no access_token or expires_in", Retryable: true}
	}
	return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
}

// post sends one request and reads WeChat's envelope: HTTP 200 with an
// errcode, 0 or absent on success. Errors never carry the URL, which holds
// the access token.
func (c *Client) post(ctx context.Context, op string, q url.Values, ct string, body []byte, out any) *Error {
	u := strings.TrimRight(c.BaseURL, "/")
	if u == "" {
		u = DefaultBaseURL
	}
	u += "/cgi-bin/" + op
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return &Error{Op: op, Message: "bad base URL", Err: errors.New("error building the request")}
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "sanshen-wechat/1")
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	res, err := hc.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err // drop the URL and its token
		}
		return &Error{Op: op, Err: fmt.Errorf("error sending the request: %w", err), Retryable: true, Ambiguous: true}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return &Error{Op: op, Err: fmt.Errorf("error reading the answer: %w", err), Retryable: true, Ambiguous: true}
	}
	if res.StatusCode != http.StatusOK {
		return &Error{Op: op, HTTPStatus: res.StatusCode, Retryable: res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests, Ambiguous: true}
	}
	var env struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return &Error{Op: op, Err: fmt.Errorf("error decoding the answer: %w", err), Retryable: true, Ambiguous: true}
	}
	if env.ErrCode == CodeClientMsgIDExists && op == opMassSend && out != nil {
		// The same clientmsgid was sent before: WeChat answers with the
		// first send's msg_id, which is this send's outcome.
		if err := json.Unmarshal(raw, out); err == nil {
			return nil
		}
	}
	if env.ErrCode != 0 {
		return codeError(op, env.ErrCode, env.ErrMsg)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{Op: op, Err: fmt.Errorf("error decoding the answer: %w", err), Retryable: true, Ambiguous: true}
		}
	}
	return nil
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	return channels.Sleep(ctx, d, c.Sleep)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) log() *slog.Logger { return channels.Logger(c.Log) }

// TokenExpires is when the cached access token will be refreshed (zero
// before the first call), for the channels page.
func (c *Client) TokenExpires() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exp
}

// Check fetches a token, proving the AppID, the AppSecret and the IP
// whitelist, for `sanshen channels check`.
func (c *Client) Check(ctx context.Context) error {
	_, err := c.token(ctx, "")
	return err
}

// MassSend sends the draft mediaID to every follower (群发, mpnews) and
// returns the job's msg_id. clientMsgID (at most 64 bytes) makes it
// idempotent for 24 hours: WeChat answers a repeat with 45065 and the
// first send's msg_id, which MassSend returns as a success. So, unlike a
// submit, a mass send whose answer was lost may simply be made again with
// the same clientMsgID.
func (c *Client) MassSend(ctx context.Context, mediaID, clientMsgID string) (string, error) {
	if len(clientMsgID) == 0 || len(clientMsgID) > MaxClientMsgID {
		return "", refusal(opMassSend, "clientmsgid", "群发消息标识长度须为1至64字节。", "clientmsgid must be 1 to %d bytes", MaxClientMsgID)
	}
	in := map[string]any{"filter": map[string]any{"is_to_all": true}, "mpnews": map[string]string{"media_id": mediaID},
		"msgtype": "mpnews", "send_ignore_reprint": 0, "clientmsgid": clientMsgID}
	var out struct {
		MsgID flexID `json:"msg_id"`
	}
	if err := c.callJSON(ctx, opMassSend, in, &out); err != nil {
		return "", err
	}
	if out.MsgID == "" {
		return "", &Error{Op: opMassSend, Message: "answer has no msg_id", Ambiguous: true, Retryable: true}
	}
	return string(out.MsgID), nil
}
