package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/worker"
)

// today is the checks' clock: 2026-11-25, a Wednesday, in Beijing.
var today = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

var admin = domain.Actor{Name: "测试管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}

// office is a fresh database with one department's people.
type office struct {
	t                        *testing.T
	s                        *store.Store
	m                        *metrics.Metrics
	runner                   *checks.Runner
	dept                     int64
	officer, colleague, head domain.Actor
	sec                      domain.Actor
}

func newOffice(t *testing.T) *office {
	t.Helper()
	ctx := context.Background()
	o := &office{t: t, s: testenv.Store(t), m: metrics.New(),
		runner: &checks.Runner{Calendar: calendar.Official(), Now: func() time.Time { return today }}}
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
	o.colleague = add("刘信息员", domain.RoleOfficer)
	o.head = add("李科长", domain.RoleDeptHead)
	o.sec = add("赵保密", domain.RoleConfidentiality)
	return o
}

// worker is stage's worker on the office's store; HandleBatch needs no NATS.
func (o *office) worker(stage domain.Stage) *worker.Worker {
	return &worker.Worker{Stage: stage, Store: o.s, Checks: o.runner, Log: testenv.Logger(o.t), Metrics: o.m}
}

// content is a draft that passes every stage's checks.
func content(title string) domain.Content {
	return domain.Content{Title: title, Body: "为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查，现将有关情况通报如下。",
		Department: "综合办", Category: "news", Channels: []domain.Channel{domain.ChannelWebsite, domain.ChannelPortal},
		FormedOn: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
}

func (o *office) submit(c domain.Content) int64 {
	o.t.Helper()
	d, err := o.s.Submit(context.Background(), o.officer, o.dept, c, time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC))
	if err != nil {
		o.t.Fatal(err)
	}
	return d.ID
}

func (o *office) detail(id int64) store.DraftDetail {
	o.t.Helper()
	d, err := o.s.Detail(context.Background(), id)
	if err != nil {
		o.t.Fatal(err)
	}
	return d
}

func (o *office) count(sql string, args ...any) int {
	o.t.Helper()
	var n int
	if err := o.s.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		o.t.Fatal(err)
	}
	return n
}

// work counts the draft's outbox rows on subject: the machine steps sent to it.
func (o *office) work(id int64, subject string) int {
	o.t.Helper()
	return o.count(`SELECT count(*) FROM outbox WHERE (payload->>'draft_id')::bigint = $1 AND subject = $2`, id, subject)
}

func (o *office) verifyAudit() {
	o.t.Helper()
	if res, err := o.s.VerifyAll(context.Background()); err != nil || !res.OK {
		o.t.Fatalf("audit trail: %+v %v", res, err)
	}
}

func (o *office) decide(who domain.Actor, id int64, stage domain.Stage) {
	o.t.Helper()
	req := domain.DecisionRequest{Stage: stage, Revision: 1, Decision: domain.DecisionApprove}
	if _, err := o.s.Decide(context.Background(), who, id, req, nil); err != nil {
		o.t.Fatalf("%s approving draft %d at %s: %v", who.Name, id, stage, err)
	}
}

// permanent reports whether err is bus.Permanent's: the consume loop
// dead-letters it at once. bus exports no predicate, so the wrapper's type
// is compared along the chain.
func permanent(err error) bool { return bus.IsPermanent(err) }

// testBus makes redelivery quick: a retried message would be delivered
// again within a fraction of a second.
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
