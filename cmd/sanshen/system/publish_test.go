package system_test

import (
	"context"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

// crashingChannel is an external channel whose first send "crashes" the
// publisher mid-call: the goroutine ends without recording an outcome, as
// if the process died while WeChat was being called.
type crashingChannel struct{ calls atomic.Int32 }

func (*crashingChannel) Configured() bool { return true }
func (*crashingChannel) Internal() bool   { return false }
func (c *crashingChannel) Deliver(context.Context, int64, int, domain.Content) (string, string, error) {
	if c.calls.Add(1) == 1 {
		runtime.Goexit()
	}
	return "https://mp.weixin.qq.com/s/test", "msg-1", nil
}

var _ publisher.Channel = (*crashingChannel)(nil)

func TestCrashMidSendIsNeverResent(t *testing.T) {
	t.Parallel()
	wechat := &crashingChannel{}
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelWeChat: wechat}
		o.ClaimTimeout = time.Second // the redelivery comes after AckWait (2s): the claim is stale by then
	})
	id := h.submit("关于春节期间办事大厅开放时间的公告")
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
	d := h.waitFor(id, domain.StatePublished) // after the redelivery found the claimed send
	status := map[string]string{}
	for _, p := range d.Publications {
		status[p.Channel] = p.Status
	}
	if status["website"] != "delivered" || status["wechat"] != "unknown" {
		t.Fatalf("publications: %+v", d.Publications)
	}
	if n := wechat.calls.Load(); n != 1 {
		t.Fatalf("WeChat was called %d times; a send of unknown outcome must never be repeated", n)
	}
	open, err := h.sys.Store.OpenPublications(context.Background(), 1)
	if err != nil || len(open) != 1 || open[0].Channel != "wechat" {
		t.Fatalf("open publications: %+v %v", open, err)
	}
	// A person checks WeChat's sent list and records what they found.
	admin := domain.Actor{Name: "值班员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := h.sys.Store.ResolvePublication(context.Background(), admin, id, domain.ChannelWeChat, true, "https://mp.weixin.qq.com/s/found", "已在公众号后台群发记录中找到"); err != nil {
		t.Fatal(err)
	}
	if err := h.sys.Store.ResolvePublication(context.Background(), admin, id, domain.ChannelWeChat, true, "", "again"); err == nil {
		t.Fatal("a resolved publication was resolved again")
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = 'channel_resolved_delivered'`, id); n != 1 {
		t.Fatalf("resolution audited %d times", n)
	}
	if n := wechat.calls.Load(); n != 1 {
		t.Fatalf("WeChat called again: %d", n)
	}
	h.verifyAudit()
}

// slowChannel takes longer than AckWait to answer, as a busy WeChat API may.
type slowChannel struct{ calls atomic.Int32 }

func (*slowChannel) Configured() bool { return true }
func (*slowChannel) Internal() bool   { return false }
func (c *slowChannel) Deliver(context.Context, int64, int, domain.Content) (string, string, error) {
	c.calls.Add(1)
	time.Sleep(3 * time.Second) // AckWait in tests is 2s
	return "https://mp.weixin.qq.com/s/slow", "msg-2", nil
}

func TestSlowSendIsNotDuplicated(t *testing.T) {
	t.Parallel()
	wechat := &slowChannel{}
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelWeChat: wechat}
	})
	id := h.submit("关于开展“清朗”网络环境专项行动的通知")
	h.publishAll(id)
	d := h.waitFor(id, domain.StatePublished)
	for _, p := range d.Publications {
		if p.Status != "delivered" {
			t.Fatalf("publication %s: %s %s", p.Channel, p.Status, p.Error)
		}
	}
	if n := wechat.calls.Load(); n != 1 {
		t.Fatalf("the slow channel was called %d times", n)
	}
}
