package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sanshen-gov/sanshen/internal/channels"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// UserAgent identifies sanshen in the portal's logs.
const UserAgent = "sanshen-portal/1"

// maxResponse bounds how much of an answer the client reads, so a broken
// portal cannot exhaust sanshen's memory.
const maxResponse = 1 << 20

// maxWait caps every wait between attempts, the backoff's and a
// Retry-After's, so one publication never stalls a worker for long.
const maxWait = 30 * time.Second

// Client calls one portal's content API. It signs every attempt afresh and
// retries network errors, timeouts, 5xx and 429 with the same idempotency
// key and body, so a retry can only replay what the portal already did.
// The zero values of the tuning fields take the defaults.
type Client struct {
	BaseURL        string // e.g. https://portal.example.gov.cn/sanshen
	KeyID          string // which shared secret: X-Sanshen-Key-Id
	Secret         []byte
	HTTP           *http.Client  // nil: http.DefaultClient
	Attempts       int           // tries per call (default 4)
	Backoff        time.Duration // first wait (default 500ms), doubling with jitter, capped at 30s
	AttemptTimeout time.Duration // per attempt (default 15s)
	Now            func() time.Time
	Log            *slog.Logger // nil: discard
	// Sleep waits between attempts (nil: a timer that stops when ctx is
	// done); tests replace it to see the waits without taking them.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Error is every failure of a Client call, so a caller can tell with one
// errors.As whether to try again later (Retryable, with the same key) or
// to give up and tell a person (Status, Code, Message).
type Error struct {
	Method, Path string
	Status       int    // the last HTTP status; 0 when no answer came
	Code         string // the portal's error code, or the client's own (bad_receipt, bad_key)
	Message      string
	Field        string // the payload field a 422 is about
	Attempts     int
	Retryable    bool
	Err          error // the transport or context error, if any
}

// Error names the call and what went wrong, for logs and the operator.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "portal %s %s", e.Method, e.Path)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	fmt.Fprintf(&b, " (%d attempts", e.Attempts)
	if e.Retryable {
		b.WriteString(", retryable")
	}
	b.WriteString(")")
	return b.String()
}

// Unwrap exposes the transport or context error to errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// Create publishes it and returns the portal's receipt. key must be the
// same for every try of the same revision (the caller builds it), so a
// create whose answer was lost returns the first receipt when retried.
func (c *Client) Create(ctx context.Context, key string, it Item) (Receipt, error) {
	return c.write(ctx, http.MethodPost, "/v1/items", "", key, it)
}

// Update replaces the item id with a corrected revision; the receipt is
// the portal's current one for that item.
func (c *Client) Update(ctx context.Context, id, key string, it Item) (Receipt, error) {
	return c.write(ctx, http.MethodPut, "/v1/items/"+url.PathEscape(id), id, key, it)
}

func (c *Client) write(ctx context.Context, method, rel, id, key string, it Item) (Receipt, error) {
	body, err := json.Marshal(it)
	if err != nil {
		return Receipt{}, fmt.Errorf("error encoding the portal item for %s: %w", method, err)
	}
	status, resp, n, e := c.call(ctx, method, rel, key, body)
	if e != nil {
		return Receipt{}, e
	}
	var r Receipt
	err = json.Unmarshal(resp, &r)
	if err == nil {
		err = r.check()
	}
	if err == nil && id != "" && r.ID != id {
		err = fmt.Errorf("receipt id %q is not the item updated, %q", r.ID, id)
	}
	if err != nil {
		return Receipt{}, &Error{Method: method, Path: c.path(rel), Status: status, Code: "bad_receipt",
			Message: err.Error(), Attempts: n, Retryable: true}
	}
	return r, nil
}

// check refuses a receipt sanshen could not use to link or update the item.
func (r Receipt) check() error {
	if strings.TrimSpace(r.ID) == "" {
		return errors.New("receipt has no id")
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("receipt url %q is not an absolute http(s) URL", r.URL)
	}
	return nil
}

// Delete withdraws the item id. gone is true when the portal answered
// 404 or 410: the item was already absent, which is the outcome asked for.
func (c *Client) Delete(ctx context.Context, id, key, reason, note string) (gone bool, err error) {
	body, err := json.Marshal(DeleteBody{Reason: reason, Note: note})
	if err != nil {
		return false, fmt.Errorf("error encoding the portal delete body: %w", err)
	}
	_, _, _, e := c.call(ctx, http.MethodDelete, "/v1/items/"+url.PathEscape(id), key, body)
	if e != nil {
		if e.Err == nil && (e.Status == http.StatusNotFound || e.Status == http.StatusGone) {
			return true, nil
		}
		return false, e
	}
	return false, nil
}

// Get reads the item id back from the portal, to reconcile sanshen's
// records with what the portal shows. A read carries no idempotency key.
func (c *Client) Get(ctx context.Context, id string) (Stored, error) {
	rel := "/v1/items/" + url.PathEscape(id)
	status, resp, n, e := c.call(ctx, http.MethodGet, rel, "", nil)
	if e != nil {
		return Stored{}, e
	}
	var s Stored
	err := json.Unmarshal(resp, &s)
	if err == nil {
		err = s.Receipt.check()
	}
	if err != nil {
		return Stored{}, &Error{Method: http.MethodGet, Path: c.path(rel), Status: status, Code: "bad_receipt",
			Message: err.Error(), Attempts: n, Retryable: true}
	}
	s.Raw = resp
	return s, nil
}

// path is the request path as signed: the base URL's path and rel.
func (c *Client) path(rel string) string {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + rel)
	if err != nil {
		return rel
	}
	return u.EscapedPath()
}

// call sends the request until it gets a 2xx, a permanent answer, ctx is
// done or the attempts are spent. It returns the 2xx status and body and
// the number of attempts made.
func (c *Client) call(ctx context.Context, method, rel, key string, body []byte) (int, []byte, int, *Error) {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/") + rel)
	if err != nil || u.Host == "" {
		return 0, nil, 0, &Error{Method: method, Path: rel, Code: "bad_base_url", Message: fmt.Sprintf("base URL %q", c.BaseURL), Err: err}
	}
	if method != http.MethodGet {
		if err := CheckKey(key); err != nil {
			return 0, nil, 0, &Error{Method: method, Path: u.EscapedPath(), Code: "bad_key", Message: err.Error()}
		}
	}
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	for n := 1; ; n++ {
		status, hdr, resp, err := c.once(ctx, method, u, key, body)
		if err == nil && status >= 200 && status < 300 {
			return status, resp, n, nil
		}
		e := &Error{Method: method, Path: u.EscapedPath(), Status: status, Attempts: n, Err: err}
		if err != nil {
			e.Retryable = true
		} else {
			var eb ErrorBody
			if json.Unmarshal(resp, &eb) == nil {
				e.Code, e.Message, e.Field = eb.Code, eb.Message, eb.Field
			}
			e.Retryable = status == http.StatusTooManyRequests || status >= 500
		}
		if ctx.Err() != nil {
			e.Err, e.Retryable = ctx.Err(), true
			return 0, nil, n, e
		}
		if !e.Retryable || n >= attempts {
			return 0, nil, n, e
		}
		wait := c.backoff(n)
		if ra, ok := retryAfter(hdr, c.now()); ok && status == http.StatusTooManyRequests {
			wait = min(ra, maxWait)
		}
		c.log().Warn("portal attempt failed, retrying", "method", method, "path", e.Path, "attempt", n,
			"status", status, "code", e.Code, "err", err, "wait", wait)
		if err := c.sleep(ctx, wait); err != nil {
			e.Err, e.Retryable = err, true
			return 0, nil, n, e
		}
	}
}

// once makes one signed attempt under its own timeout and reads at most
// maxResponse bytes of the answer.
func (c *Client) once(ctx context.Context, method string, u *url.URL, key string, body []byte) (int, http.Header, []byte, error) {
	timeout := c.AttemptTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, u.String(), rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("error building the request: %w", err)
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if key != "" {
		req.Header.Set(HeaderIdempotencyKey, key)
	}
	req.Header.Set(HeaderKeyID, c.KeyID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(c.Secret, method, u.EscapedPath(), ts, key, body))
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("error sending the request: %w", err)
	}
	defer res.Body.Close()
	resp, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("error reading the answer (status %d): %w", res.StatusCode, err)
	}
	return res.StatusCode, res.Header, resp, nil
}

// backoff is the wait after failed attempt n: Backoff doubled n-1 times,
// capped, with the upper half jittered so that many workers retrying the
// same portal spread out.
func (c *Client) backoff(n int) time.Duration {
	d := c.Backoff
	if d <= 0 {
		d = 500 * time.Millisecond
	}
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
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
