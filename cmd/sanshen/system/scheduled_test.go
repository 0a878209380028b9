package system_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestScheduledPublishing: a draft naming a publication time, approved
// before it, waits in scheduled, visible to its reviewers and not to the
// public, and is published at its time and not before. Another is
// withdrawn while it waits and never published. A time in the past is
// refused with a Chinese reason.
func TestScheduledPublishing(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Now, o.SchedulerPoll = clk.Now, 20*time.Millisecond
	})
	at := time.Now().Add(2 * time.Hour).Truncate(time.Minute)

	past := draftBody("关于元旦假期办事大厅安排的通知")
	past["publish_at"] = time.Now().Add(-time.Hour).In(domain.Beijing).Format("2006-01-02T15:04")
	if r := h.do("POST", "/api/v1/drafts", "officer", past); r.status != http.StatusUnprocessableEntity || r.errCode() != "invalid_publish_at" ||
		!strings.Contains(r.raw, "已过") {
		t.Fatalf("a publication time in the past: %d %s", r.status, r.raw)
	}

	expired := draftBody("关于元旦假期办事大厅安排的通知")
	expired["publish_at"] = time.Now().Add(72 * time.Hour).In(domain.Beijing).Format("2006-01-02T15:04")
	expired["expires_on"] = time.Now().In(domain.Beijing).Format(domain.DateLayout)
	if r := h.do("POST", "/api/v1/drafts", "officer", expired); r.status != http.StatusBadRequest || !strings.Contains(r.raw, "早于定时发布") {
		t.Fatalf("an expiry before the publication day: %d %s", r.status, r.raw)
	}

	submit := func(title string) int64 {
		b := draftBody(title)
		b["publish_at"] = at.In(domain.Beijing).Format("2006-01-02T15:04")
		r := h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated)
		if got, _ := time.Parse(time.RFC3339, fmt.Sprint(r.body["publish_at"])); !got.Equal(at) {
			t.Fatalf("publish_at answered %v, want %s", r.body["publish_at"], at)
		}
		return int64(r.body["id"].(float64))
	}
	id, gone := submit("关于元旦假期办事大厅开放时间的通知"), submit("关于元旦假期停车场开放的通知")
	for _, x := range []int64{id, gone} {
		h.waitFor(x, domain.StateCompliance)
		h.approveFrom(x)
		h.waitFor(x, domain.StateScheduled)
	}
	if r := h.do("GET", fmt.Sprintf("/public/default/items/%d", id), "", nil); r.status != http.StatusNotFound {
		t.Errorf("a scheduled item is public before its time: %d", r.status)
	}
	if r := h.do("GET", fmt.Sprintf("/api/v1/drafts/%d", id), "sec", nil); r.status != http.StatusOK || r.body["state"] != "scheduled" {
		t.Errorf("its reviewer cannot see the scheduled draft: %d %v", r.status, r.body["state"])
	}
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", gone), "admin", map[string]any{"reason": "活动取消"}), http.StatusOK)

	// A minute before: still waiting.
	clk.Set(at.Add(-time.Minute))
	time.Sleep(200 * time.Millisecond) // ten polls of the scheduler
	if st := h.detail(id).State; st != domain.StateScheduled {
		t.Fatalf("a minute before its time the draft is %s", st)
	}
	clk.Set(at.Add(time.Second))
	h.waitFor(id, domain.StatePublished)
	if r := h.do("GET", fmt.Sprintf("/public/default/items/%d", id), "", nil); r.status != http.StatusOK {
		t.Errorf("the published item: %d", r.status)
	}
	testenv.Eventually(t, "the withdrawn draft's job to be done", func() bool {
		return h.count(`SELECT count(*) FROM scheduled_jobs WHERE kind = 'publish' AND state = 'done'`) == 1
	})
	if d := h.detail(gone); d.State != domain.StateWithdrawn || len(d.Publications) != 0 {
		t.Errorf("the draft withdrawn while scheduled: %s, %d publications", d.State, len(d.Publications))
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE action = 'release'`); n != 1 {
		t.Errorf("%d release events, want 1", n)
	}
	h.verifyAudit()
}
