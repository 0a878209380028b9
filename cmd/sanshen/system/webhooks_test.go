package system_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/webhooks"
)

// receiver is another office system taking sanshen's webhooks: it checks
// each signature, refuses the first few requests, and records the events
// it accepted.
type receiver struct {
	mu      sync.Mutex
	secret  []byte
	refuse  int
	forged  int
	events  []webhooks.Event
	byID    map[string]int
	request int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.request++
	if req.Header.Get("X-Sanshen-Signature") != "sha256="+webhooks.Sign(r.secret, req.Header.Get("X-Sanshen-Timestamp"), body) {
		r.forged++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.refuse > 0 {
		r.refuse--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var ev webhooks.Event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID != req.Header.Get("X-Sanshen-Event-Id") {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	r.byID[ev.ID]++
	r.events = append(r.events, ev)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) accepted() []webhooks.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhooks.Event(nil), r.events...)
}

// twice are the events the receiver accepted more than once, and how many
// requests had a bad signature: read under the lock, as deliveries may
// still arrive.
func (r *receiver) twice() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for id, n := range r.byID {
		if n != 1 {
			out[id] = n
		}
	}
	return out, r.forged
}

// TestWebhooksDeliverStateChanges: with SANSHEN_WEBHOOK_URL set, every
// state change of a draft reaches the receiver signed, in the log's order,
// once: the receiver's first refusals are retried with backoff, and a
// restart of sanshen sends nothing again. The delivery log has every
// attempt.
func TestWebhooksDeliverStateChanges(t *testing.T) {
	t.Parallel()
	rcv := &receiver{secret: []byte("a-webhook-secret-for-tests"), refuse: 2, byID: map[string]int{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	mutate := func(c *config.Config, o *system.Options) {
		c.WebhookURL, c.WebhookSecret = srv.URL+"/sanshen?token=x", string(rcv.secret)
		o.SchedulerPoll = 20 * time.Millisecond
	}
	h := start(t, mutate)
	id := h.submitTo("关于开展冬季消防安全检查的通知", "website")
	h.approveThrough(id)
	want := []string{"draft.submit", "draft.checks_pass", "draft.checks_done", "draft.approve", "draft.checks_done", "draft.approve",
		"draft.channel_delivered", "draft.published"}
	testenv.Eventually(t, "the state changes to reach the receiver", func() bool { return len(rcv.accepted()) >= len(want) })
	evs := rcv.accepted()
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = e.Type
		if e.DraftID != id || e.AgencyID != 1 || (i > 0 && e.Leaf <= evs[i-1].Leaf) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if !slices.Equal(types, want) {
		t.Errorf("the events, in order: %v, want %v", types, want)
	}
	twice, forged := rcv.twice()
	for id, n := range twice {
		t.Errorf("event %s accepted %d times", id, n)
	}
	if forged != 0 {
		t.Errorf("%d requests with a bad signature", forged)
	}
	// The receiver has an event before sanshen commits its delivery.
	var log []store.WebhookDelivery
	testenv.Eventually(t, "the delivery log to record every attempt", func() bool {
		var err error
		log, err = h.sys.Store.WebhookDeliveries(context.Background(), 100)
		return err == nil && len(log) >= len(evs)+2
	})
	failed := 0
	for _, d := range log {
		if !d.OK {
			failed++
		}
		if d.URL != srv.URL+"/sanshen" {
			t.Errorf("the log keeps the URL's query (a credential): %q", d.URL)
		}
	}
	if failed != 2 || len(log) != len(evs)+2 {
		t.Errorf("the delivery log: %d attempts, %d failed; want %d and 2", len(log), failed, len(evs)+2)
	}

	// A restart sends nothing again; the next change is sent.
	h.sys.Stop()
	h.sys = h.startSystem(mutate)
	h.base = "http://" + h.sys.Addr
	h.mustStatus(h.do("POST", "/api/v1/drafts/"+jsonNum(id)+"/withdraw", "admin", map[string]any{"reason": "测试撤回"}), http.StatusOK)
	testenv.Eventually(t, "the withdrawal to reach the receiver", func() bool {
		evs := rcv.accepted()
		return slices.ContainsFunc(evs, func(e webhooks.Event) bool { return e.Type == "draft.withdraw" })
	})
	twice, _ = rcv.twice()
	for id, n := range twice {
		t.Errorf("after the restart, event %s accepted %d times", id, n)
	}
}
