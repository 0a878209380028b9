package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// keyed sends a request as who with an Idempotency-Key.
func (h *harness) keyed(method, path, who, key string, body any) resp {
	h.t.Helper()
	req := h.request(method, path, who, body)
	req.Header.Set("Idempotency-Key", key)
	return h.send(req, expectation{})
}

// TestIdempotentSubmissions: a client that retries with the same key gets
// the first answer and nothing twice; the same key on another request is
// 422; a first request still running is 409; one whose process died
// before its effect committed runs on the retry; one that committed and
// died before its answer was stored is answered with its draft.
func TestIdempotentSubmissions(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	body := draftBody("关于冬季供暖服务热线的通知")
	first := h.want(h.keyed("POST", "/api/v1/drafts", "officer", "k-1", body), http.StatusCreated, "")
	n := h.draftCount()
	again := h.want(h.keyed("POST", "/api/v1/drafts", "officer", "k-1", body), http.StatusCreated, "")
	if again.body["id"] != first.body["id"] || again.header.Get("Idempotent-Replayed") != "true" || h.draftCount() != n {
		t.Fatalf("the retry: id %v (first %v), replayed %q, %d drafts (was %d)", again.body["id"], first.body["id"],
			again.header.Get("Idempotent-Replayed"), h.draftCount(), n)
	}
	// Another person's key of the same name is theirs alone.
	body2 := draftBody("关于冬季供暖服务热线的通知")
	body2["department"] = "执法队"
	if r := h.want(h.keyed("POST", "/api/v1/drafts", "officer2", "k-1", body2), http.StatusCreated, ""); r.body["id"] == first.body["id"] {
		t.Errorf("another person's key answered with the first person's draft")
	}
	other := draftBody("另一份通知")
	if r := h.want(h.keyed("POST", "/api/v1/drafts", "officer", "k-1", other), http.StatusUnprocessableEntity, "idempotency_key_reused"); r.body["error"].(map[string]any)["message_zh"] == nil {
		t.Errorf("no Chinese message: %s", r.raw)
	}
	h.want(h.keyed("POST", "/api/v1/drafts", "officer", "键", body), http.StatusBadRequest, "invalid_idempotency_key")

	// In flight, abandoned, committed without its answer.
	h.want(h.keyed("POST", "/api/v1/drafts", "officer", "k-2", body), http.StatusCreated, "")
	h.store.Pool.Exec(ctx, `UPDATE idempotency_keys SET state = 'in_flight', status = NULL, response = NULL, draft_id = NULL WHERE key = 'k-2'`)
	h.want(h.keyed("POST", "/api/v1/drafts", "officer", "k-2", body), http.StatusConflict, "idempotency_key_in_flight")
	h.store.Pool.Exec(ctx, `UPDATE idempotency_keys SET claimed_at = now() - interval '5 minutes' WHERE key = 'k-2'`)
	n = h.draftCount()
	h.want(h.keyed("POST", "/api/v1/drafts", "officer", "k-2", body), http.StatusCreated, "")
	if h.draftCount() != n+1 {
		t.Errorf("an abandoned request did not run on its retry")
	}
	h.store.Pool.Exec(ctx, `UPDATE idempotency_keys SET status = NULL, response = NULL WHERE key = 'k-2'`)
	r := h.want(h.keyed("POST", "/api/v1/drafts", "officer", "k-2", body), http.StatusCreated, "")
	if h.draftCount() != n+1 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("a committed request without its stored answer ran again: %d drafts", h.draftCount())
	}

	// A decision and a revision.
	id := int64(first.body["id"].(float64))
	h.advance(id)
	h.advance(id)
	dec := map[string]any{"stage": domain.StageCompliance, "revision": 1, "decision": "return", "comment": "请补充热线服务时间。"}
	path := fmt.Sprintf("/api/v1/drafts/%d/decisions", id)
	h.want(h.keyed("POST", path, "head", "d-1", dec), http.StatusOK, "")
	h.want(h.keyed("POST", path, "head", "d-1", dec), http.StatusOK, "")
	var decisions int
	h.store.Pool.QueryRow(ctx, `SELECT count(*) FROM decisions WHERE draft_id = $1`, id).Scan(&decisions)
	if decisions != 1 {
		t.Errorf("%d decisions after a retried one, want 1", decisions)
	}
	rev := draftBody("关于冬季供暖服务热线的通知")
	rev["body"] = "热线电话：12345，服务时间：每日8:00至20:00。"
	h.want(h.keyed("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", "r-1", rev), http.StatusOK, "")
	h.want(h.keyed("PUT", fmt.Sprintf("/api/v1/drafts/%d", id), "officer", "r-1", rev), http.StatusOK, "")
	if d := h.draft(id); d.Revision != 2 {
		t.Errorf("a retried revision made revision %d, want 2", d.Revision)
	}
}
