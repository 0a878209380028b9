package system_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

// crashAfterDelete is the portal adapter whose first removal "crashes"
// the publisher right after the portal deleted the item: the goroutine
// ends before the outcome is recorded, as if the process died.
type crashAfterDelete struct {
	*publisher.Portal
	calls atomic.Int32
}

func (c *crashAfterDelete) Withdraw(ctx context.Context, draftID int64, revision int, externalID, reason, note string) (bool, error) {
	gone, err := c.Portal.Withdraw(ctx, draftID, revision, externalID, reason, note)
	if c.calls.Add(1) == 1 {
		runtime.Goexit()
	}
	return gone, err
}

// deliverOnly is a platform adapter that publishes but cannot delete.
type deliverOnly struct{}

func (deliverOnly) Configured() bool { return true }
func (deliverOnly) Internal() bool   { return false }
func (deliverOnly) Deliver(_ context.Context, id int64, _ int, _ domain.Content) (string, string, error) {
	return fmt.Sprintf("https://mp.weixin.qq.com/s/item-%d", id), fmt.Sprint(id), nil
}

// TestWithdrawalFromEveryChannel: a draft on the website, the portal and a
// platform that cannot delete is withdrawn. The website drops it at once;
// the publisher dies right after the portal deleted it, and the removal
// made again with the same key deletes nothing twice; the platform's
// removal becomes a person's task, which an admin resolves. Every outcome
// is in the trail.
func TestWithdrawalFromEveryChannel(t *testing.T) {
	t.Parallel()
	fake := fakeportal.New(fakeportal.Options{KeyID: "sanshen", Secret: []byte(portalSecret)})
	ps := httptest.NewServer(fake)
	t.Cleanup(ps.Close)
	adapter := &crashAfterDelete{Portal: &publisher.Portal{PublicURL: "http://public.test",
		Client: &portal.Client{BaseURL: ps.URL, KeyID: "sanshen", Secret: []byte(portalSecret), Backoff: 20 * time.Millisecond}}}
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelPortal: adapter, domain.ChannelWeChat: deliverOnly{}}
		o.ClaimTimeout = time.Second // the redelivery comes after AckWait (2s): the claim is stale by then
	})
	id := h.submitTo("关于调整办事大厅开放时间的公告", "website", "portal", "wechat")
	h.approveThrough(id)
	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "公告内容有误，撤回更正"}), http.StatusOK)
	if r := h.do("GET", fmt.Sprintf("/public/default/items/%d", id), "", nil); r.status != http.StatusGone {
		t.Errorf("the website still shows the withdrawn item: %d", r.status)
	}
	testenv.Eventually(t, "the withdrawal's machine step to end", func() bool {
		d, err := h.sys.Store.Draft(context.Background(), id)
		return err == nil && d.StepDone
	})
	if n := adapter.calls.Load(); n != 2 {
		t.Errorf("the portal was asked %d times, want 2 (once before the crash, once after)", n)
	}
	items := fake.Items()
	if len(items) != 1 || items[0].Deleted.IsZero() || fake.Writes() != 2 {
		t.Fatalf("the portal: %d items, deleted %v, %d writes (want 1 create and 1 delete)", len(items), items[0].Deleted, fake.Writes())
	}
	status := map[string]string{}
	rows, _ := h.sys.Store.Pool.Query(context.Background(), `SELECT channel, withdraw_status FROM publications WHERE draft_id = $1`, id)
	for rows.Next() {
		var ch, st string
		_ = rows.Scan(&ch, &st)
		status[ch] = st
	}
	rows.Close()
	if status["website"] != "done" || status["portal"] != "done" || status["wechat"] != "manual" {
		t.Fatalf("withdrawals: %v", status)
	}
	tasks, err := h.sys.Store.ManualWithdrawals(context.Background(), 1)
	if err != nil || len(tasks) != 1 || tasks[0].Channel != "wechat" {
		t.Fatalf("tasks for people: %+v %v", tasks, err)
	}
	admin := domain.Actor{ID: h.ids["admin"], Name: "管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := h.sys.Store.ResolveWithdrawal(context.Background(), admin, id, domain.ChannelWeChat, "已在公众号后台删除该文章"); err != nil {
		t.Fatal(err)
	}
	if tasks, _ := h.sys.Store.ManualWithdrawals(context.Background(), 1); len(tasks) != 0 {
		t.Errorf("the resolved task is still open: %+v", tasks)
	}
	for action, want := range map[string]int{"withdraw": 1, "channel_withdraw_done": 1, "channel_withdraw_manual": 1,
		"channel_withdraw_resolved": 1, "withdrawn_everywhere": 1} {
		if n := h.count(`SELECT count(*) FROM audit_events WHERE chain = $1 AND action = $2`, fmt.Sprintf("draft/%d", id), action); n != want {
			t.Errorf("%d %q events in the trail, want %d", n, action, want)
		}
	}
	h.verifyAudit()
}
