package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/store"
)

// maxKeyLen bounds an Idempotency-Key.
const maxKeyLen = 200

// idempotent makes a route answer a retried request once (issue 21): a
// client that sends Idempotency-Key gets, for the same key and the same
// request, the first answer again (marked Idempotent-Replayed: true); for
// the same key and another request, 422 idempotency_key_reused; while the
// first is still running, 409 idempotency_key_in_flight. The effect and the
// key's completion commit together (store.WithIdempotency), so a request
// whose process died before committing runs again on its retry, and one
// that committed never does. A server error forgets the key. Keys are a
// person's and live a day.
func (s *Server) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if key == "" {
			return next(c)
		}
		if len(key) > maxKeyLen || !printableASCII(key) {
			return failZH(http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key 应为 1 至 200 个可打印 ASCII 字符。",
				"Idempotency-Key must be 1 to 200 printable ASCII characters")
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err // over the body limit: its own answer
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		h := sha256.New()
		fmt.Fprintf(h, "%s %s\n", c.Request().Method, c.Request().URL.Path)
		h.Write(body)
		u := user(c)
		ctx := c.Request().Context()
		claim, err := s.Store.ClaimIdempotency(ctx, u.ID, key, h.Sum(nil))
		if err != nil {
			return err
		}
		switch claim.Outcome {
		case store.IdemMismatch:
			return failZH(http.StatusUnprocessableEntity, "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求：新的请求请使用新的键。",
				"this Idempotency-Key was used for a different request; use a new key for a new request")
		case store.IdemInFlight:
			return failZH(http.StatusConflict, "idempotency_key_in_flight", "使用该 Idempotency-Key 的请求仍在处理中，请稍后重试。",
				"the first request with this Idempotency-Key is still being processed; retry later")
		case store.IdemDone:
			c.Response().Header().Set("Idempotent-Replayed", "true")
			if claim.Status != 0 {
				return c.Blob(claim.Status, echo.MIMEApplicationJSONCharsetUTF8, claim.Response)
			}
			// The effect committed and the process died before the answer
			// was stored: the answer is the draft it concerned, as it is.
			return s.replayDraft(c, claim.DraftID)
		}
		c.SetRequest(c.Request().WithContext(store.WithIdempotency(ctx, u.ID, key, claim.Claimed)))
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err) // answered here, so that the answer is recorded
		}
		status := c.Response().Status
		if status >= 500 {
			return s.settleKey(ctx, func(ctx context.Context) error { return s.Store.ReleaseIdempotency(ctx, u.ID, key, claim.Claimed) })
		}
		answer := rec.body.Bytes()
		return s.settleKey(ctx, func(ctx context.Context) error {
			return s.Store.AnswerIdempotency(ctx, u.ID, key, claim.Claimed, status, answer)
		})
	}
}

// settleKey writes a key's last word (its answer, or its release after a
// server error) on a context the client cannot cancel. When the database
// cannot take it (a failover: the request failed for the same reason),
// it tries again in the background for as long as the claim would hold
// the key (store.IdempotencyStale), so that the client's retry runs as
// soon as the database is back instead of waiting out the claim. The
// writes touch only this claim (claimed_at), never a later retry's.
func (s *Server) settleKey(ctx context.Context, write func(context.Context) error) error {
	ctx = context.WithoutCancel(ctx)
	err := write(ctx)
	if err == nil {
		return nil
	}
	go func() {
		until := time.Now().Add(store.IdempotencyStale)
		for wait := 200 * time.Millisecond; time.Now().Before(until); wait = min(2*wait, 5*time.Second) {
			time.Sleep(wait)
			if write(ctx) == nil {
				return
			}
		}
	}()
	return err
}

// replayDraft answers with the draft, for a retry whose first answer was
// not stored.
func (s *Server) replayDraft(c echo.Context, id int64) error {
	d, err := s.Store.Draft(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) || id == 0 {
		return fail(http.StatusNotFound, "not_found", "the request's draft no longer exists")
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if c.Request().Method == http.MethodPost && c.Path() == "/api/v1/drafts" {
		status = http.StatusCreated
	}
	return c.JSON(status, toJSON(d))
}

// recorder keeps a copy of what is written to the client.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
