package publisher_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/work"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

const publicURL = "http://public.test"

var admin = domain.Actor{Name: "测试管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}

// office is a fresh database with the people who take a draft to publishing.
type office struct {
	t                  *testing.T
	s                  *store.Store
	m                  *metrics.Metrics
	dept               int64
	officer, head, sec domain.Actor
}

func newOffice(t *testing.T) *office {
	t.Helper()
	ctx := context.Background()
	o := &office{t: t, s: testenv.Store(t), m: metrics.New()}
	dep, err := o.s.AddDepartment(ctx, admin, "综合办")
	if err != nil {
		t.Fatal(err)
	}
	o.dept = dep.ID
	add := func(name string, roles ...domain.Role) domain.Actor {
		u, _, err := o.s.AddUser(ctx, admin, store.NewUser{Name: name, Roles: roles, Departments: []int64{dep.ID}})
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor()
	}
	o.officer = add("王信息员", domain.RoleOfficer)
	o.head = add("李科长", domain.RoleDeptHead)
	o.sec = add("赵保密", domain.RoleConfidentiality)
	return o
}

// publisher has the production channels: the website, and WeChat and
// Douyin without credentials; extra replaces some of them.
func (o *office) publisher(extra map[domain.Channel]publisher.Channel) *publisher.Publisher {
	p := &publisher.Publisher{Store: o.s, Log: testenv.Logger(o.t), Metrics: o.m,
		Channels: map[domain.Channel]publisher.Channel{
			domain.ChannelWebsite: publisher.Website{PublicURL: publicURL},
			domain.ChannelWeChat:  publisher.NotConfigured{},
			domain.ChannelDouyin:  publisher.NotConfigured{},
		}}
	for ch, c := range extra {
		p.Channels[ch] = c
	}
	return p
}

var allChannels = []domain.Channel{domain.ChannelWebsite, domain.ChannelWeChat, domain.ChannelDouyin}

func (o *office) submit(title string, channels ...domain.Channel) int64 {
	o.t.Helper()
	c := domain.Content{Title: title, Body: "为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查，现将有关情况通报如下。",
		Department: "综合办", Category: "news", Channels: channels, FormedOn: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	d, err := o.s.Submit(context.Background(), o.officer, o.dept, c, time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC))
	if err != nil {
		o.t.Fatal(err)
	}
	return d.ID
}

// checks completes a stage's machine step with no findings.
func (o *office) checks(id int64, st domain.State) {
	o.t.Helper()
	pass := func(work.Item, int64, domain.Content) ([]domain.Finding, error) { return nil, nil }
	if err := o.s.CompleteChecksBatch(context.Background(), []work.Item{{DraftID: id, Revision: 1, State: st}}, pass)[0]; err != nil {
		o.t.Fatalf("checks of draft %d at %s: %v", id, st, err)
	}
}

func (o *office) approve(who domain.Actor, id int64, stage domain.Stage) {
	o.t.Helper()
	req := domain.DecisionRequest{Stage: stage, Revision: 1, Decision: domain.DecisionApprove}
	if _, err := o.s.Decide(context.Background(), who, id, req, nil); err != nil {
		o.t.Fatalf("%s approving draft %d at %s: %v", who.Name, id, stage, err)
	}
}

// toConfidentiality takes a draft through stage 1 and the head's approval,
// and runs the confidentiality checks: it waits for the last approval.
func (o *office) toConfidentiality(id int64) {
	o.t.Helper()
	o.checks(id, domain.StateCompleteness)
	o.checks(id, domain.StateCompliance)
	o.approve(o.head, id, domain.StageCompliance)
	o.checks(id, domain.StateConfidentiality)
}

// toPublishing takes a draft through every stage to the publisher, as the
// people and workers do, and returns the publisher's work item.
func (o *office) toPublishing(id int64) work.Item {
	o.t.Helper()
	o.toConfidentiality(id)
	o.approve(o.sec, id, domain.StageConfidentiality)
	if d := o.detail(id); d.State != domain.StatePublishing {
		o.t.Fatalf("draft %d is %s after the last approval", id, d.State)
	}
	return work.Item{DraftID: id, Revision: 1, State: domain.StatePublishing}
}

func (o *office) detail(id int64) store.DraftDetail {
	o.t.Helper()
	d, err := o.s.Detail(context.Background(), id)
	if err != nil {
		o.t.Fatal(err)
	}
	return d
}

// statuses maps each channel to its publication's status (and checks there
// is one row per channel).
func (o *office) statuses(id int64) map[string]store.Publication {
	o.t.Helper()
	out := map[string]store.Publication{}
	for _, p := range o.detail(id).Publications {
		if _, dup := out[p.Channel]; dup {
			o.t.Fatalf("draft %d has two %s publications", id, p.Channel)
		}
		out[p.Channel] = p
	}
	return out
}

func (o *office) count(sql string, args ...any) int {
	o.t.Helper()
	var n int
	if err := o.s.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		o.t.Fatal(err)
	}
	return n
}

func (o *office) events(id int64, action string) int {
	o.t.Helper()
	return o.count(`SELECT count(*) FROM audit_events WHERE draft_id = $1 AND action = $2`, id, action)
}

func (o *office) verifyAudit() {
	o.t.Helper()
	if res, err := o.s.VerifyAll(context.Background()); err != nil || !res.OK {
		o.t.Fatalf("audit trail: %+v %v", res, err)
	}
}

// published counts the publications metric for a channel and status.
func (o *office) published(ch domain.Channel, status string) float64 {
	o.t.Helper()
	v, _ := o.publication(ch, status)
	return v
}

// series reports whether the publications metric has a series for the
// channel and status, whatever its value.
func (o *office) series(ch domain.Channel, status string) bool {
	o.t.Helper()
	_, ok := o.publication(ch, status)
	return ok
}

// publication reads the publications metric's series for ch and status
// as Prometheus would scrape it.
func (o *office) publication(ch domain.Channel, status string) (float64, bool) {
	o.t.Helper()
	fams, err := o.m.Registry.Gather()
	if err != nil {
		o.t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "sanshen_publications_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["channel"] == string(ch) && labels["status"] == status {
				return m.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
}

// channel is an external channel (configured, not internal) that answers
// with err, or with a URL and message id; it counts its calls.
type channel struct {
	err   error
	calls atomic.Int32
}

func (*channel) Configured() bool { return true }
func (*channel) Internal() bool   { return false }
func (c *channel) Deliver(_ context.Context, id int64, rev int, _ domain.Content) (string, string, error) {
	c.calls.Add(1)
	if c.err != nil {
		return "", "", c.err
	}
	return "https://mp.weixin.qq.com/s/test", "msg-1", nil
}

var _ publisher.Channel = (*channel)(nil)

// permanent reports whether err is bus.Permanent's (the message is
// dead-lettered at once); bus exports no predicate, so the wrapper's type
// is compared along the chain.
func permanent(err error) bool { return bus.IsPermanent(err) }

// testBus makes redelivery quick.
var testBus = bus.Options{MaxDeliver: 3, AckWait: 2 * time.Second, BackOff: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}}

// run runs a service until the test ends.
func run(t *testing.T, fn func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service stopped with %v", err)
		}
	})
}
