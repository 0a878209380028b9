package relay

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// A transition's outbox row reaches JetStream on its stage's subject, with
// the work item as its body and the row's id as Nats-Msg-Id, and the row
// is marked sent and counted.
func TestRelayPublishesACommittedRowAndMarksItSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.submit("关于调整城区公交线路的公告")
	rows := e.outbox(id)
	if len(rows) != 1 || rows[0].sent {
		t.Fatalf("after the submission the outbox holds %+v, want one unsent row", rows)
	}
	r := e.relay()
	r.Grace = time.Nanosecond // take the row at once, as after the eager relay's grace
	run(t, r.Run)

	testenv.Eventually(t, "the outbox row to be marked sent", func() bool { return e.outbox(id)[0].sent })
	msgs := e.msgsFor(id)
	if len(msgs) != 1 {
		t.Fatalf("%d messages for the draft in the stream, want 1", len(msgs))
	}
	m := msgs[0]
	want := work.Item{DraftID: id, Revision: 1, State: domain.StateCompleteness}
	if m.Subject != work.StageSubject(domain.StageCompleteness) || readItem(t, m.Data) != want {
		t.Fatalf("published %s %s, want %s %+v", m.Subject, m.Data, work.StageSubject(domain.StageCompleteness), want)
	}
	if got := m.Header.Get(jetstream.MsgIDHeader); got != strconv.FormatInt(rows[0].id, 10) {
		t.Fatalf("Nats-Msg-Id %q, want the outbox id %d", got, rows[0].id)
	}
	testenv.Eventually(t, "the relayed row to be counted", func() bool {
		return counter(t, e.m, "sanshen_relay_published_total") == 1
	})
}

// Rows younger than the grace are left to the eager relay of the process
// that committed them; a notification (grace 0) takes them at once.
func TestRelayLeavesRowsYoungerThanTheGrace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	id := e.submit("关于城区道路施工的通告")
	r := e.relay()
	r.Grace = time.Hour
	r.drain(ctx, r.Grace)
	if rows := e.outbox(id); rows[0].sent || len(e.streamMsgs()) != 0 {
		t.Fatalf("a row younger than the grace was relayed: %+v", rows)
	}
	r.drain(ctx, 0)
	if rows := e.outbox(id); !rows[0].sent || len(e.msgsFor(id)) != 1 {
		t.Fatalf("a notified drain left the row: %+v, %d messages", rows, len(e.msgsFor(id)))
	}
}

// The relay listens for the outbox notification a commit without an
// Announcer sends, so such a row is relayed without waiting for a tick.
func TestRelayWakesOnTheOutboxNotification(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.relay()
	wake := make(chan struct{}, 1)
	listening := make(chan struct{})
	run(t, func(ctx context.Context) error { r.listen(ctx, wake, listening); return nil })
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the relay never started listening")
	}
	select {
	case <-wake:
		t.Fatal("woken before anything was committed")
	default:
	}
	e.submit("关于开展安全生产大检查的通知")
	select {
	case <-wake:
	case <-time.After(30 * time.Second):
		t.Fatal("a commit without an Announcer did not wake the relay")
	}
}

// A relay that published a batch and died before marking it sent sends
// the rows again; JetStream drops the second copy by its Nats-Msg-Id, so
// the stream holds each row once, and the second run marks them sent.
func TestRowIsPublishedOnceWhenRelayedTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	ids := []int64{e.submit("关于调整城区公交线路的公告"), e.submit("关于城区道路施工的通告")}
	r := e.relay()
	var calls atomic.Int32
	r.AfterPublish = func(sent []int64) error {
		if calls.Add(1) == 1 {
			return errors.New("relay killed after publishing, before marking")
		}
		return nil
	}
	r.drain(ctx, 0)
	if n := e.unsent(); n != 2 {
		t.Fatalf("%d rows unsent after a relay died before marking, want 2", n)
	}
	if n := len(e.streamMsgs()); n != 2 {
		t.Fatalf("%d messages in the stream after the first run, want 2", n)
	}
	r.drain(ctx, 0)
	if calls.Load() != 2 {
		t.Fatalf("the relay published %d times, want 2", calls.Load())
	}
	if n := e.unsent(); n != 0 {
		t.Fatalf("%d rows unsent after the second run", n)
	}
	for _, id := range ids {
		if n := len(e.msgsFor(id)); n != 1 {
			t.Errorf("draft %d: %d messages in the stream, want 1", id, n)
		}
	}
	if n := counter(t, e.m, "sanshen_relay_published_total"); n != 2 {
		t.Errorf("relayed counter %v, want 2 (the failed run marked nothing)", n)
	}
}

// The sweeper re-sends the work of a draft whose step has not finished
// within SweepAfter when its stage's consumer is idle (the message was
// lost), counts it, and the relay publishes it; a draft whose consumer
// still has a backlog is only slow and is not re-sent.
func TestSweeperResendsStalledWorkOfIdleStagesOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	slow := e.submit("关于调整城区公交线路的公告") // its stage-1 message waits in the consumer
	lost := e.submit("关于城区道路施工的通告")   // moved to compliance; that message is lost
	pass := func(work.Item, int64, domain.Content) ([]domain.Finding, error) { return nil, nil }
	if err := e.s.CompleteChecksBatch(ctx, []work.Item{{DraftID: lost, Revision: 1, State: domain.StateCompleteness}}, pass)[0]; err != nil {
		t.Fatal(err)
	}
	r := e.relay()
	r.drain(ctx, 0)
	compliance := work.StageSubject(domain.StageCompliance)
	e.take(compliance, 1) // acked by a worker that then lost it
	if n := counter(t, e.m, "sanshen_sweeper_resent_total"); n != 0 {
		t.Fatalf("swept counter %v before the sweeper ran", n)
	}

	r.SweepAfter = 300 * time.Millisecond // the backlog's drafts are swept only after ten times that
	r.Grace = time.Nanosecond
	run(t, r.Run)
	testenv.Eventually(t, "the lost draft's work to be re-sent and relayed", func() bool {
		rows := e.outbox(lost)
		return len(rows) == 3 && rows[2].subject == compliance && rows[2].sent
	})
	if n := counter(t, e.m, "sanshen_sweeper_resent_total"); n < 1 {
		t.Fatalf("swept counter %v after a re-send", n)
	}
	if rows := e.outbox(slow); len(rows) != 1 {
		t.Fatalf("the draft whose consumer has a backlog was re-sent: %+v", rows)
	}
	var resent []string
	for _, m := range e.msgsFor(lost) {
		if m.Subject == compliance {
			resent = append(resent, m.Header.Get(jetstream.MsgIDHeader))
		}
	}
	if want := strconv.FormatInt(e.outbox(lost)[2].id, 10); !slices.Equal(resent, []string{want}) {
		t.Fatalf("compliance messages in the stream have ids %v, want the re-sent row's %s", resent, want)
	}
	if d, err := e.s.Draft(ctx, lost); err != nil || d.State != domain.StateCompliance || d.StepDone {
		t.Fatalf("the swept draft is %s (checks done %v, %v); the sweep must not move it", d.State, d.StepDone, err)
	}
}

// A stage whose consumer has messages pending or in flight is not idle;
// the others are, and the sweep of idle stages leaves the busy one alone.
func TestIdleStatesLeaveOutConsumersWithABacklog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	r := e.relay()
	if got := r.idleStates(ctx); !slices.Equal(got, domain.MachineStates()) {
		t.Fatalf("with empty consumers the idle states are %v, want every machine state %v", got, domain.MachineStates())
	}
	id := e.submit("关于调整城区公交线路的公告")
	r.drain(ctx, 0)
	got := r.idleStates(ctx)
	if slices.Contains(got, domain.StateCompleteness) || len(got) != len(domain.MachineStates())-1 {
		t.Fatalf("with a stage-1 backlog the idle states are %v", got)
	}
	if n, err := e.s.Sweep(ctx, 0, 500, got); err != nil || n != 0 {
		t.Fatalf("the sweep of idle states re-sent %d drafts (%v); the backlog's draft is only slow", n, err)
	}

	// Fetched, not yet acked: in flight, still not idle.
	c, err := e.js.Consumer(ctx, bus.StreamName, bus.ConsumerName(work.StageSubject(domain.StageCompleteness)))
	if err != nil {
		t.Fatal(err)
	}
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var inFlight []jetstream.Msg
	for m := range batch.Messages() {
		inFlight = append(inFlight, m)
	}
	if len(inFlight) != 1 {
		t.Fatalf("fetched %d messages", len(inFlight))
	}
	if got := r.idleStates(ctx); slices.Contains(got, domain.StateCompleteness) {
		t.Fatalf("a consumer with a message in flight counts as idle: %v", got)
	}
	if err := inFlight[0].DoubleAck(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.idleStates(ctx); !slices.Equal(got, domain.MachineStates()) {
		t.Fatalf("after the ack the idle states are %v", got)
	}
	if n, err := e.s.Sweep(ctx, 0, 500, r.idleStates(ctx)); err != nil || n != 1 {
		t.Fatalf("the sweep re-sent %d drafts (%v), want the lost one", n, err)
	}
	if rows := e.outbox(id); len(rows) != 2 {
		t.Fatalf("outbox after the sweep: %+v", rows)
	}
}

// If JetStream cannot say how busy a consumer is, every state is swept: a
// duplicate is harmless, a stranded draft is not.
func TestIdleStatesAreEveryStateWhenJetStreamCannotBeAsked(t *testing.T) {
	t.Parallel()
	nc, err := testenv.NATS(t).Connect() // no stream, no consumers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{JS: js, Log: testenv.Logger(t)}
	if got := r.idleStates(context.Background()); !slices.Equal(got, domain.MachineStates()) {
		t.Fatalf("idle states %v, want every machine state %v", got, domain.MachineStates())
	}
}

var _ store.Announcer = (*Eager)(nil)
