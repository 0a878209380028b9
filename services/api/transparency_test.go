package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/sanshen-gov/sanshen/internal/audit"
)

// testLogKey signs the test log's heads, as the relay would.
var testLogKey = func() audit.LogKey {
	_, key, _ := ed25519.GenerateKey(nil)
	k, err := audit.NewLogKey("public.test/audit", key)
	if err != nil {
		panic(err)
	}
	return k
}()

// sealLog sequences every event and signs a head, as the relay does.
func (h *harness) sealLog() {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.store.Sequence(ctx, 10000); err != nil {
		h.t.Fatal(err)
	}
	if _, _, err := h.store.SignHead(ctx, testLogKey, "public.test/audit", 1, 0, time.Now()); err != nil {
		h.t.Fatal(err)
	}
}

func decode64(t *testing.T, s string) tlog.Hash {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		t.Fatalf("hash %q: %v", s, err)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

// An inspector keeps the published head, asks for the proof that an event
// is in the log and that a later log extends the head kept, and checks both
// with nothing but the head and the key.
func TestTransparencyLogPublishedAndProved(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.published("关于开展冬季消防安全检查的通知")
	h.sealLog()

	status, _, note := h.get("/public/transparency/checkpoint")
	if status != 200 {
		t.Fatalf("checkpoint: %d", status)
	}
	kept, err := audit.OpenHead([]byte(note), testLogKey.VerifierKey)
	if err != nil {
		t.Fatalf("the published head does not open with the published key: %v", err)
	}
	status, _, page := h.get("/public/transparency/")
	page = html.UnescapeString(page) // the key's + is &#43; in the HTML
	if status != 200 || !strings.Contains(page, testLogKey.VerifierKey) || !strings.Contains(page, strconv.FormatInt(kept.Size, 10)) {
		t.Fatalf("transparency page (%d): %s", status, page)
	}
	status, _, raw := h.get("/public/transparency/heads.json")
	var heads struct {
		Origin      string
		VerifierKey string `json:"verifier_key"`
		Heads       []struct{ Size int64 }
	}
	if status != 200 || json.Unmarshal([]byte(raw), &heads) != nil || len(heads.Heads) != 1 {
		t.Fatalf("heads.json (%d): %s", status, raw)
	}

	// The office works on; a new head is signed.
	h.published("关于做好节日期间安全生产工作的通知")
	h.sealLog()
	status, _, raw = h.get("/public/transparency/consistency?from=" + strconv.FormatInt(kept.Size, 10))
	var cons struct {
		From, To int64
		ToRoot   string `json:"to_root"`
		Proof    []string
	}
	if status != 200 || json.Unmarshal([]byte(raw), &cons) != nil {
		t.Fatalf("consistency (%d): %s", status, raw)
	}
	var proof tlog.TreeProof
	for _, p := range cons.Proof {
		proof = append(proof, decode64(t, p))
	}
	if err := tlog.CheckTree(proof, cons.To, decode64(t, cons.ToRoot), kept.Size, kept.Root); err != nil {
		t.Fatalf("today's log does not extend the head kept: %v", err)
	}

	// An event's inclusion, for an auditor.
	var seq int64
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT min(seq) FROM audit_events`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	h.want(h.do("GET", "/api/v1/audit/proof?seq="+strconv.FormatInt(seq, 10), "officer", nil), http.StatusForbidden, "role_required")
	r := h.want(h.do("GET", "/api/v1/audit/proof?seq="+strconv.FormatInt(seq, 10)+"&size="+strconv.FormatInt(kept.Size, 10), "auditor", nil), http.StatusOK, "")
	var rp tlog.RecordProof
	for _, p := range r.body["proof"].([]any) {
		rp = append(rp, decode64(t, p.(string)))
	}
	if err := tlog.CheckRecord(rp, kept.Size, kept.Root, int64(r.body["leaf"].(float64)), decode64(t, r.body["leaf_hash"].(string))); err != nil {
		t.Fatalf("inclusion proof: %v", err)
	}
	h.want(h.do("GET", "/api/v1/audit/proof?seq=999999", "auditor", nil), http.StatusNotFound, "not_in_log")
	h.want(h.doInvalid("GET", "/api/v1/audit/proof?seq=x", "auditor", nil), http.StatusBadRequest, "invalid_seq")
	// The whole log verifies, held to both heads.
	v := h.want(h.do("GET", "/api/v1/audit/verify?scope=platform", "platform", nil), http.StatusOK, "")
	if v.body["ok"] != true || v.body["log"].(map[string]any)["heads_checked"] != 2.0 {
		t.Fatalf("verify: %s", v.raw)
	}
}
