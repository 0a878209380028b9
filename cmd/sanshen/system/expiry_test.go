package system_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/checks/compliance"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

// clock is a controlled clock for the scheduler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func cnDate(t time.Time) string  { return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day()) }
func beijingDay(t time.Time) time.Time {
	b := t.In(domain.Beijing)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
}

// TestPenaltyDecisionExpires: a penalty decision with a fine under 10,000
// yuan is public for 3 months from its decision. It stays up on its last
// day; the scheduler's sweep after midnight withdraws it from the website
// and the portal with reason expired, once, and its public address
// answers 410 saying its period ended.
func TestPenaltyDecisionExpires(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	fake := fakeportal.New(fakeportal.Options{KeyID: "sanshen", Secret: []byte(portalSecret)})
	ps := httptest.NewServer(fake)
	t.Cleanup(ps.Close)
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Now, o.SchedulerPoll = clk.Now, 20*time.Millisecond
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelPortal: &publisher.Portal{PublicURL: "http://public.test",
			Client: &portal.Client{BaseURL: ps.URL, KeyID: "sanshen", Secret: []byte(portalSecret), Backoff: 20 * time.Millisecond}}}
	})
	id, until := h.penalty(beijingDay(time.Now()).AddDate(0, 0, -2))

	// A decision made a month ago is published late by the 双公示 clock
	// (7 working days), though within Article 26's 20 of its forming.
	late, _ := h.penalty(beijingDay(time.Now()).AddDate(0, -1, 0))
	if d := h.detail(late); d.Deadline >= beijingDay(time.Now()).Format(domain.DateLayout) {
		t.Errorf("a month-old decision's deadline is %s", d.Deadline)
	}
	for _, x := range []int64{late, id} {
		h.approveFrom(x)
		h.waitFor(x, domain.StatePublished)
	}
	rep := h.mustStatus(h.do("GET", "/api/v1/reports/channels", "admin", nil), http.StatusOK)
	if rep.body["published"] != float64(2) || rep.body["published_late"] != float64(1) {
		t.Errorf("published %v, late %v: want 2 and 1", rep.body["published"], rep.body["published_late"])
	}
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", late), "admin", map[string]any{"reason": "测试"}), http.StatusOK)

	// Its last day, late in the evening: still up.
	clk.Set(time.Date(until.Year(), until.Month(), until.Day(), 23, 50, 0, 0, domain.Beijing))
	testenv.Eventually(t, "the sweep of the last day to run", func() bool {
		return h.count(`SELECT count(*) FROM scheduled_jobs WHERE kind = 'expiry_sweep' AND state = 'done'`) >= 2
	})
	if st := h.detail(id).State; st != domain.StatePublished {
		t.Fatalf("on its last day the item is %s", st)
	}
	// The next morning: withdrawn from every channel, as expired.
	clk.Set(time.Date(until.Year(), until.Month(), until.Day()+1, 0, 6, 0, 0, domain.Beijing))
	testenv.Eventually(t, "the expired item to be withdrawn from every channel", func() bool {
		d := h.detail(id)
		return d.State == domain.StateWithdrawn && d.StepDone
	})
	deleted := 0
	for _, it := range fake.Items() {
		if !it.Deleted.IsZero() {
			deleted++
		}
	}
	if deleted != 2 {
		t.Fatalf("the portal still shows an item: %d of %d deleted", deleted, len(fake.Items()))
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE action = 'withdraw' AND reason = 'expired' AND comment LIKE '%` + until.Format(domain.DateLayout) + `%'`); n != 1 {
		t.Errorf("%d withdraw events for the expiry, want 1", n)
	}
	if p := publication(h.detail(id), domain.ChannelPortal); p.WithdrawStatus != store.WithdrawDone {
		t.Errorf("the portal's removal: %+v", p)
	}
	r := h.do("GET", fmt.Sprintf("/public/default/items/%d", id), "", nil)
	if r.status != http.StatusGone || !strings.Contains(r.raw, "公开期限已届满") {
		t.Errorf("the public address after expiry: %d %s", r.status, r.raw)
	}
	// Another sweep changes nothing.
	clk.Set(clk.Now().AddDate(0, 0, 1))
	testenv.Eventually(t, "another sweep", func() bool {
		return h.count(`SELECT count(*) FROM scheduled_jobs WHERE kind = 'expiry_sweep' AND state = 'done'`) >= 4
	})
	if n := h.count(`SELECT count(*) FROM audit_events WHERE action = 'withdraw' AND reason = 'expired'`); n != 1 {
		t.Errorf("%d expiry withdrawals after a second sweep, want 1", n)
	}
	h.verifyAudit()
}

// penalty submits a penalty decision made on decided (a fine under 10,000
// yuan: public for 3 months) for the website and the portal, waits for
// stage 2, and returns it with the last day of its period.
func (h *harness) penalty(decided time.Time) (int64, time.Time) {
	h.t.Helper()
	b := draftBody("关于北京某某餐饮有限公司销售超过保质期食品的行政处罚决定")
	b["category"], b["channels"], b["formed_on"] = "penalty", []string{"website", "portal"}, decided.Format(domain.DateLayout)
	b["body"] = strings.Join([]string{"东城区市场监督管理局", "行政处罚决定书", fmt.Sprintf("东市监罚〔%d〕15号", decided.Year()), "",
		"当事人：北京某某餐饮有限公司", "统一社会信用代码：91110101MA01ABCD0X", "住所：北京市东城区某某街12号", "",
		"违法行为：销售超过保质期的食品",
		"违法事实：本局执法人员对当事人经营场所进行检查，发现其销售的“某某牌”酸奶12盒已超过保质期。",
		"依据：《中华人民共和国食品安全法》第三十四条第（十）项、第一百二十四条第一款第（五）项",
		"处罚内容：罚款人民币伍仟元整（¥5000.00）。",
		"处罚机关：东城区市场监督管理局", "决定日期：" + cnDate(decided)}, "\n")
	id := int64(h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated).body["id"].(float64))
	d := h.waitFor(id, domain.StateCompliance)
	until, ok := compliance.PenaltyExpiry(d.Content)
	// Three months as the Civil Code counts them (from 11-30, the end of February).
	if !ok || until.Before(decided.AddDate(0, 2, 27)) || until.After(decided.AddDate(0, 3, 0)) {
		h.t.Fatalf("the period ends %s (%v), want 3 months after %s", until, ok, decided)
	}
	return id, until
}

// TestNoticeExpiresAndAgencyPeriods: an agency's own publication periods
// govern the expiry stage 2 settles for its penalty decisions, which the
// reviewer sees with their source; a notice's 有效期至, the author's, is
// moved by an admin (audited) and the notice comes down the day after.
func TestNoticeExpiresAndAgencyPeriods(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Now, o.SchedulerPoll = clk.Now, 20*time.Millisecond
	})
	h.sys.Store.Pool.Exec(context.Background(), `INSERT INTO agency_periods (agency_id, light_months, heavy_months, small_fine, source)
		SELECT id, 6, 24, 10000, '某省行政处罚信息公示规定（试行）' FROM agencies`)
	decided := beijingDay(time.Now()).AddDate(0, 0, -2)
	id, _ := h.penalty(decided) // a fine of 5,000 yuan: under the agency's 10,000
	d := h.detail(id)
	testenv.Eventually(t, "stage 2 to settle the expiry", func() bool { return h.detail(id).ExpiresOn != nil })
	want := decided.AddDate(0, 6, 0)
	if got := h.detail(id).ExpiresOn; !got.Equal(want) {
		t.Errorf("the agency's 6 months give %s, want %s", got.Format(domain.DateLayout), want.Format(domain.DateLayout))
	}
	found := false
	for _, f := range h.detail(id).Findings {
		found = found || f.Code == "penalty_expiry" && strings.Contains(f.MessageZH, "6个月") && strings.Contains(f.MessageZH, "某省行政处罚信息公示规定")
	}
	if !found {
		t.Errorf("the reviewer is not shown the agency's period and its source: %+v", d.Findings)
	}

	// A notice valid for a week, brought forward by an admin.
	nb := draftBody("关于元旦期间暂停办理户籍业务的通知")
	nb["expires_on"] = beijingDay(time.Now()).AddDate(0, 0, 7).Format(domain.DateLayout)
	notice := int64(h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", nb), http.StatusCreated).body["id"].(float64))
	h.approveThrough(notice)
	if r := h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/expiry", notice), "officer", map[string]any{"expires_on": "2020-01-01"}); r.status < 400 {
		t.Errorf("the author moved the published notice's expiry: %d", r.status)
	}
	if r := h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/expiry", notice), "admin", map[string]any{"expires_on": "明天"}); r.status != http.StatusBadRequest || r.errCode() != "invalid_date" {
		t.Errorf("a bad date: %d %s", r.status, r.raw)
	}
	last := beijingDay(time.Now()).AddDate(0, 0, 1)
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/expiry", notice), "admin", map[string]any{"expires_on": last.Format(domain.DateLayout), "comment": "业务提前恢复"}), http.StatusOK)
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'expiry_set' AND reason = $2`, notice, last.Format(domain.DateLayout)); n != 1 {
		t.Errorf("%d expiry_set events", n)
	}
	clk.Set(time.Date(last.Year(), last.Month(), last.Day(), 23, 0, 0, 0, domain.Beijing))
	testenv.Eventually(t, "a sweep on its last day", func() bool {
		return h.count(`SELECT count(*) FROM scheduled_jobs WHERE kind = 'expiry_sweep' AND state = 'done'`) >= 2
	})
	if st := h.detail(notice).State; st != domain.StatePublished {
		t.Fatalf("on its last day the notice is %s", st)
	}
	clk.Set(time.Date(last.Year(), last.Month(), last.Day()+1, 0, 6, 0, 0, domain.Beijing))
	h.waitFor(notice, domain.StateWithdrawn)
	if r := h.do("GET", fmt.Sprintf("/public/default/items/%d", notice), "", nil); r.status != http.StatusGone || !strings.Contains(r.raw, "公开期限已届满") {
		t.Errorf("the expired notice's address: %d", r.status)
	}
	h.verifyAudit()
}

// crashOnDraft is the portal adapter whose first removal of one draft
// "crashes" the publisher right after the portal deleted it: the goroutine
// ends before the outcome is recorded, as if the process died.
type crashOnDraft struct {
	*publisher.Portal
	id    atomic.Int64
	calls atomic.Int32
}

func (c *crashOnDraft) Withdraw(ctx context.Context, draftID int64, revision int, externalID, reason, note string) (bool, error) {
	gone, err := c.Portal.Withdraw(ctx, draftID, revision, externalID, reason, note)
	if draftID == c.id.Load() && c.calls.Add(1) == 1 {
		runtime.Goexit()
	}
	return gone, err
}

// TestExpiryCrashBetweenChannels: an expired decision on the website and
// the portal is swept; the website drops it at once, and the publisher dies
// right after the portal deleted it and before it recorded so. Redelivered,
// the removal is asked again with the same key and changes nothing: the
// item is down everywhere, and every outcome is in the trail once.
func TestExpiryCrashBetweenChannels(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Now()}
	fake := fakeportal.New(fakeportal.Options{KeyID: "sanshen", Secret: []byte(portalSecret)})
	ps := httptest.NewServer(fake)
	t.Cleanup(ps.Close)
	adapter := &crashOnDraft{Portal: &publisher.Portal{PublicURL: "http://public.test",
		Client: &portal.Client{BaseURL: ps.URL, KeyID: "sanshen", Secret: []byte(portalSecret), Backoff: 20 * time.Millisecond}}}
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Now, o.SchedulerPoll = clk.Now, 20*time.Millisecond
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelPortal: adapter}
		o.ClaimTimeout = time.Second // the redelivery comes after AckWait (2s): the claim is stale by then
	})
	id, until := h.penalty(beijingDay(time.Now()).AddDate(0, 0, -2))
	adapter.id.Store(id)
	h.approveFrom(id)
	h.waitFor(id, domain.StatePublished)
	clk.Set(time.Date(until.Year(), until.Month(), until.Day()+1, 0, 6, 0, 0, domain.Beijing))
	testenv.Eventually(t, "the expired item to be withdrawn from every channel", func() bool {
		d := h.detail(id)
		return d.State == domain.StateWithdrawn && d.StepDone
	})
	if n := adapter.calls.Load(); n != 2 {
		t.Errorf("the portal was asked %d times, want 2 (once before the crash, once after)", n)
	}
	if items := fake.Items(); len(items) != 1 || items[0].Deleted.IsZero() {
		t.Fatalf("the portal still shows the expired item: %+v", items)
	}
	for ch, want := range map[domain.Channel]string{domain.ChannelWebsite: store.WithdrawDone, domain.ChannelPortal: store.WithdrawDone} {
		if p := publication(h.detail(id), ch); p.WithdrawStatus != want {
			t.Errorf("%s: %s, want %s", ch, p.WithdrawStatus, want)
		}
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'channel_withdraw_done' AND reason = 'portal'`, id); n != 1 {
		t.Errorf("%d portal removals in the trail, want 1", n)
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'withdraw' AND reason = 'expired'`, id); n != 1 {
		t.Errorf("%d expiry withdrawals, want 1", n)
	}
	h.verifyAudit()
}
