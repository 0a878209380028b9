package douyin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sanshen-gov/sanshen/internal/channels"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The v1 endpoints, named once so the client and fakedouyin agree.
const (
	PathUpload       = "/api/douyin/v1/video/upload_video/"
	PathPartInit     = "/api/douyin/v1/video/init_video_part_upload/"
	PathPartUpload   = "/api/douyin/v1/video/upload_video_part/"
	PathPartComplete = "/api/douyin/v1/video/complete_video_part_upload/"
	PathCreate       = "/api/douyin/v1/video/create_video/"
	PathList         = "/api/douyin/v1/video/video_list/"
	PathData         = "/api/douyin/v1/video/video_data/"
	PathDelete       = "/video/delete/" // legacy, scope video.delete: see CanDelete
	PathAccessToken  = "/oauth/access_token/"
	PathRefreshToken = "/oauth/refresh_token/"
	PathAuthorize    = "/platform/oauth/connect/"
)

// Paging and retry defaults of the client.
const (
	listPageSize       = 20
	maxListPages       = 100 // 2,000 posts: past that, reconcile by hand
	defaultAttempts    = 3
	defaultBackoffBase = time.Second
)

// Client publishes videos on the account Tokens authorises. Reads and
// uploads are retried on retryable errors (a new upload has no public
// effect); CreateVideo, the first public write, never is.
type Client struct {
	BaseURL   string // default DefaultBaseURL
	Tokens    *TokenSource
	HTTP      *http.Client
	SingleMax int64 // largest single-request upload (default MaxSingleUpload)
	ChunkSize int64 // part size of chunked uploads (default DefaultChunkSize)
	Attempts  int   // tries of a retryable upload part or read (default 3)
	Backoff   time.Duration
	Log       *slog.Logger // nil: discard
	// Sleep waits between attempts (nil: a timer that stops with ctx);
	// tests replace it so they take no wall-clock time.
	Sleep func(ctx context.Context, d time.Duration) error
}

// New returns a client and its token source for one app on one base URL.
func New(baseURL, clientKey, clientSecret string, store Store) *Client {
	return &Client{BaseURL: baseURL, Tokens: &TokenSource{BaseURL: baseURL, ClientKey: clientKey, ClientSecret: clientSecret, Store: store}}
}

// UploadVideo sends the video's size bytes from r and returns the
// video_id to create a post with. A video_id is single-use: upload again
// before every CreateVideo. Up to SingleMax it is one multipart request;
// above, a chunked upload of ChunkSize parts (each held in memory once).
func (c *Client) UploadVideo(ctx context.Context, name string, r io.Reader, size int64) (string, error) {
	if size <= 0 || size > MaxVideoSize {
		return "", fmt.Errorf("error uploading %q to Douyin: size %d is not within 1 byte to 4 GB", name, size)
	}
	var out struct {
		Video struct {
			VideoID string `json:"video_id"`
		} `json:"video"`
	}
	if size <= c.singleMax() {
		ctype, body, err := multipartBody(name, r, size)
		if err != nil {
			return "", err
		}
		if err := c.retry(ctx, "upload_video", func() error {
			return c.call(ctx, "upload_video", http.MethodPost, PathUpload, nil, ctype, body, &out)
		}); err != nil {
			return "", err
		}
		return videoID(out.Video.VideoID, "upload_video")
	}
	var init struct {
		UploadID string `json:"upload_id"`
	}
	if err := c.retry(ctx, "init_video_part_upload", func() error {
		return c.call(ctx, "init_video_part_upload", http.MethodPost, PathPartInit, nil, "", nil, &init)
	}); err != nil {
		return "", err
	}
	if init.UploadID == "" {
		return "", &Error{Op: "init_video_part_upload", Description: "answer without upload_id"}
	}
	chunk := c.ChunkSize
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	for part, left := 1, size; left > 0; part++ {
		n := min(chunk, left)
		ctype, body, err := multipartBody(name, r, n)
		if err != nil {
			return "", err
		}
		q := url.Values{"upload_id": {init.UploadID}, "part_number": {strconv.Itoa(part)}}
		if err := c.retry(ctx, "upload_video_part", func() error {
			return c.call(ctx, "upload_video_part", http.MethodPost, PathPartUpload, q, ctype, body, nil)
		}); err != nil {
			return "", err
		}
		left -= n
	}
	if err := c.call(ctx, "complete_video_part_upload", http.MethodPost, PathPartComplete,
		url.Values{"upload_id": {init.UploadID}}, "", nil, &out); err != nil {
		return "", err
	}
	return videoID(out.Video.VideoID, "complete_video_part_upload")
}

func videoID(id, op string) (string, error) {
	if id == "" {
		return "", &Error{Op: op, Description: "answer without video.video_id", Retryable: true}
	}
	return id, nil
}

// multipartBody reads n bytes of r into a body with the one file field
// "video" the upload endpoints read.
func multipartBody(name string, r io.Reader, n int64) (string, []byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("video", name)
	if err == nil {
		var got int64
		got, err = io.CopyN(fw, r, n)
		if err != nil {
			err = fmt.Errorf("the video has %d bytes, expected at least %d more: %w", got, n, err)
		}
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", nil, fmt.Errorf("error reading %q for the Douyin upload: %w", name, err)
	}
	return mw.FormDataContentType(), buf.Bytes(), nil
}

// CreateRequest is create_video's body: the post sanshen publishes.
type CreateRequest struct {
	VideoID             string  `json:"video_id"`                         // from UploadVideo; single-use
	Text                string  `json:"text,omitempty"`                   // title, ≤ MaxTextRunes, topics inline as #话题
	CoverTsp            float64 `json:"cover_tsp,omitempty"`              // cover frame, seconds into the video
	CustomCoverImageURL string  `json:"custom_cover_image_url,omitempty"` // an image_id from upload_image
}

// CreateVideo posts the uploaded video and returns its item_id. The post
// is public (after Douyin's review), and Douyin takes no idempotency key:
// when the answer is lost the *Error has Ambiguous set, and the caller
// must look the post up with FindByText before uploading and creating
// again, or it may post twice.
func (c *Client) CreateVideo(ctx context.Context, req CreateRequest) (string, error) {
	if req.VideoID == "" {
		return "", errors.New("error creating the Douyin post: no video_id")
	}
	if n := utf8.RuneCountInString(req.Text); n > MaxTextRunes {
		return "", fmt.Errorf("error creating the Douyin post: text has %d characters, at most %d", n, MaxTextRunes)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("error encoding the Douyin post: %w", err)
	}
	var out struct {
		ItemID string `json:"item_id"`
	}
	err = c.call(ctx, "create_video", http.MethodPost, PathCreate, nil, "application/json", body, &out)
	if e, ok := errors.AsType[*Error](err); ok && e.Code == 0 && e.Op == "create_video" {
		// No Douyin error code: the request may have been carried out.
		e.Ambiguous, e.Retryable = true, false
		c.log().Warn("douyin create answer lost; reconcile with video_list", "video_id", req.VideoID, "err", err)
	}
	if err != nil {
		return "", err
	}
	if out.ItemID == "" {
		return "", &Error{Op: "create_video", Description: "answer without item_id", Ambiguous: true}
	}
	return out.ItemID, nil
}

// FindByText looks for a post on the account whose title is exactly text
// and that was created at or after since: the reconciliation after an
// ambiguous CreateVideo. Pass since a little before the create was sent,
// to allow for clock skew. It assumes video_list is newest first
// (UNVERIFIED) and stops at the first page older than since.
func (c *Client) FindByText(ctx context.Context, text string, since time.Time) (itemID, shareURL string, found bool, err error) {
	cursor := "0"
	for range maxListPages {
		var out struct {
			List []struct {
				ItemID     string `json:"item_id"`
				Title      string `json:"title"`
				CreateTime int64  `json:"create_time"`
				ShareURL   string `json:"share_url"`
			} `json:"list"`
			Cursor  json.Number `json:"cursor"`
			HasMore bool        `json:"has_more"`
		}
		q := url.Values{"cursor": {cursor}, "count": {strconv.Itoa(listPageSize)}}
		if err := c.retry(ctx, "video_list", func() error {
			return c.call(ctx, "video_list", http.MethodGet, PathList, q, "", nil, &out)
		}); err != nil {
			return "", "", false, err
		}
		older := len(out.List) > 0
		for _, it := range out.List {
			if it.CreateTime < since.Unix() {
				continue
			}
			older = false
			if it.Title == text {
				return it.ItemID, it.ShareURL, true, nil
			}
		}
		if !out.HasMore || older || out.Cursor.String() == "" {
			return "", "", false, nil
		}
		cursor = out.Cursor.String()
	}
	return "", "", false, &Error{Op: "video_list", Description: fmt.Sprintf("gave up after %d pages", maxListPages)}
}

// Post is a post's state as video_data reports it.
type Post struct {
	ItemID     string `json:"item_id"`
	Title      string `json:"title"`
	ShareURL   string `json:"share_url"`
	IsReviewed bool   `json:"is_reviewed"` // true once review ended, passed or failed
	// VideoStatus tells a passed review from a failed one; its values are
	// UNVERIFIED (StatusPublic, StatusReviewFailed are assumptions).
	VideoStatus int `json:"video_status"`
}

// Video status values sanshen assumes (CHANNELS.md §2 calls them
// UNVERIFIED; one repository says new apps no longer get the field). A
// reviewed post whose status is not StatusReviewFailed counts as passed.
const (
	StatusPublic       = 1 // UNVERIFIED
	StatusReviewing    = 2 // UNVERIFIED; is_reviewed false says the same
	StatusReviewFailed = 4 // UNVERIFIED
)

// PostStatus reads one post through video_data; found is false when the
// account no longer lists it (deleted).
func (c *Client) PostStatus(ctx context.Context, itemID string) (p Post, found bool, err error) {
	body, err := json.Marshal(map[string][]string{"item_ids": {itemID}})
	if err != nil {
		return Post{}, false, fmt.Errorf("error encoding the Douyin status request: %w", err)
	}
	var out struct {
		List []Post `json:"list"`
	}
	if err := c.retry(ctx, "video_data", func() error {
		return c.call(ctx, "video_data", http.MethodPost, PathData, nil, "application/json", body, &out)
	}); err != nil {
		return Post{}, false, err
	}
	for _, p := range out.List {
		if p.ItemID == itemID {
			return p, true, nil
		}
	}
	return Post{}, false, nil
}

// DeleteVideo deletes a post through the legacy endpoint. Whether an app
// created today can get scope video.delete is UNVERIFIED, so sanshen's
// default configuration does not call it (CanDelete).
func (c *Client) DeleteVideo(ctx context.Context, itemID string) error {
	body, err := json.Marshal(map[string]string{"item_id": itemID})
	if err != nil {
		return fmt.Errorf("error encoding the Douyin delete: %w", err)
	}
	return c.call(ctx, "delete", http.MethodPost, PathDelete, nil, "application/json", body, nil)
}

// call makes one OpenAPI request with the user's token and open_id. If
// Douyin says the token expired, it refreshes and tries exactly once more:
// that answer is definitive, so even a create is safe to repeat.
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, ctype string, body []byte, out any) error {
	if c.Tokens == nil {
		return errors.New("error calling Douyin: the client has no TokenSource")
	}
	for attempt := 1; ; attempt++ {
		t, err := c.Tokens.Token(ctx)
		if err != nil {
			return err
		}
		q := maps.Clone(query)
		if q == nil {
			q = url.Values{}
		}
		q.Set("open_id", t.OpenID)
		if path == PathDelete { // the legacy API takes the token in the query
			q.Set("access_token", t.AccessToken)
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.base()+path+"?"+q.Encode(), rd)
		if err != nil {
			return fmt.Errorf("error building the %s request: %w", op, err)
		}
		req.Header.Set("access-token", t.AccessToken)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		e := send(c.HTTP, op, req, out)
		if e == nil {
			return nil
		}
		if ctx.Err() != nil && e.Err != nil {
			e.Err = ctx.Err()
		}
		if attempt > 1 || !e.TokenExpired() {
			return e
		}
		c.log().Info("douyin token refused as expired; refreshing", "op", op, "code", e.Code)
		if err := c.Tokens.refreshIfCurrent(ctx, t.AccessToken); err != nil {
			return err
		}
	}
}

// retry runs f until it succeeds, fails for good or the attempts are
// spent; only for calls whose repetition has no public effect.
func (c *Client) retry(ctx context.Context, op string, f func() error) error {
	attempts, wait := c.Attempts, c.Backoff
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	if wait <= 0 {
		wait = defaultBackoffBase
	}
	for n := 1; ; n++ {
		err := f()
		e, ok := errors.AsType[*Error](err)
		if err == nil || !ok || !e.Retryable || n >= attempts || ctx.Err() != nil {
			return err
		}
		c.log().Warn("douyin call failed, retrying", "op", op, "attempt", n, "err", err, "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	return channels.Sleep(ctx, d, c.Sleep)
}

func (c *Client) singleMax() int64 {
	if c.SingleMax <= 0 {
		return MaxSingleUpload
	}
	return c.SingleMax
}

func (c *Client) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c *Client) log() *slog.Logger { return channels.Logger(c.Log) }

// Check reads the account's newest post, proving the authorisation (and
// refreshing its access token if due), for `sanshen channels check`.
func (c *Client) Check(ctx context.Context) error {
	q := url.Values{"cursor": {"0"}, "count": {"1"}}
	return c.call(ctx, "video_list", http.MethodGet, PathList, q, "", nil, nil)
}

// PostText is a post's text as sanshen writes it: the title, then the
// digest as far as it fits MaxTextRunes.
func PostText(title, digest string) string {
	text := title
	if digest != "" {
		rest := MaxTextRunes - utf8.RuneCountInString(text) - 1
		if d := []rune(digest); rest > 0 {
			text += "\n" + string(d[:min(len(d), rest)])
		}
	}
	return text
}
