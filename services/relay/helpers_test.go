package relay

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// testBus makes redelivery quick.
var testBus = bus.Options{MaxDeliver: 3, AckWait: 2 * time.Second, BackOff: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}}

var admin = domain.Actor{Name: "测试管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}

// env is a fresh database, a nats-server with sanshen's stream and
// consumers, and an officer to submit drafts.
type env struct {
	t       *testing.T
	s       *store.Store
	nc      *nats.Conn
	js      jetstream.JetStream
	m       *metrics.Metrics
	officer domain.Actor
	dept    int64
}

// newEnv declares the stream and consumers.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, s: testenv.Store(t), m: metrics.New()}
	srv := testenv.NATS(t)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e.nc = nc
	if e.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	if err := bus.Declare(ctx, e.js, testBus); err != nil {
		t.Fatal(err)
	}
	dep, err := e.s.AddDepartment(ctx, admin, "综合办")
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := e.s.AddUser(ctx, admin, store.NewUser{Name: "王信息员", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{dep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	e.officer, e.dept = u.Actor(), dep.ID
	return e
}

// relay is a Relay on the env; its defaults are set here because tests
// call drain without Run.
func (e *env) relay() *Relay {
	return &Relay{Store: e.s, JS: e.js, Log: testenv.Logger(e.t), Metrics: e.m, BatchSize: 256, SweepAfter: time.Hour, Grace: DefaultGrace}
}

// submit stores a new draft; its commit writes one outbox row for stage 1.
func (e *env) submit(title string) int64 {
	e.t.Helper()
	c := domain.Content{Title: title, Body: "为方便市民出行，自下月起调整城区部分公交线路。", Department: "综合办", Category: "news",
		Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	d, err := e.s.Submit(context.Background(), e.officer, e.dept, c, time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC))
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ID
}

// outboxRow is one outbox row as the tests look at it.
type outboxRow struct {
	id      int64
	subject string
	sent    bool
}

// outbox lists the draft's outbox rows in id order.
func (e *env) outbox(draftID int64) []outboxRow {
	e.t.Helper()
	rows, err := e.s.Pool.Query(context.Background(), `SELECT id, subject, sent_at IS NOT NULL FROM outbox
		WHERE (payload->>'draft_id')::bigint = $1 ORDER BY id`, draftID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.id, &r.subject, &r.sent); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) unsent() int {
	e.t.Helper()
	var n int
	if err := e.s.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// streamMsgs reads every message the stream holds, without consuming any.
func (e *env) streamMsgs() []*jetstream.RawStreamMsg {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.js.Stream(ctx, bus.StreamName)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	if info.State.Msgs == 0 {
		return nil
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// msgsFor is the stream's messages about draftID.
func (e *env) msgsFor(draftID int64) []*jetstream.RawStreamMsg {
	e.t.Helper()
	var out []*jetstream.RawStreamMsg
	for _, m := range e.streamMsgs() {
		if readItem(e.t, m.Data).DraftID == draftID {
			out = append(out, m)
		}
	}
	return out
}

// take consumes (fetches and acks) n messages from subject's durable
// consumer, as a worker that lost them would.
func (e *env) take(subject string, n int) []work.Item {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := e.js.Consumer(ctx, bus.StreamName, bus.ConsumerName(subject))
	if err != nil {
		e.t.Fatal(err)
	}
	batch, err := c.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		e.t.Fatal(err)
	}
	var out []work.Item
	for m := range batch.Messages() {
		out = append(out, readItem(e.t, m.Data()))
		if err := m.DoubleAck(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	if len(out) != n {
		e.t.Fatalf("took %d messages from %s, want %d (%v)", len(out), subject, n, batch.Error())
	}
	return out
}

// counter is a counter's value as Prometheus would scrape it from the registry.
func counter(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			var v float64
			for _, s := range f.GetMetric() {
				v += s.GetCounter().GetValue()
			}
			return v
		}
	}
	t.Fatalf("no metric %s registered", name)
	return 0
}

// run runs a service until the test ends; stop ends it early and waits.
func run(t *testing.T, fn func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var err error
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		err = <-done
		if err != nil {
			t.Errorf("service stopped with %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func readItem(t *testing.T, data []byte) work.Item {
	t.Helper()
	var w work.Item
	if err := json.Unmarshal(data, &w); err != nil {
		t.Fatalf("work message %q: %v", data, err)
	}
	return w
}
