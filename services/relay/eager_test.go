package relay

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// eager makes the env's store announce its commits to an Eager relay.
func (e *env) eager(markEvery time.Duration) *Eager {
	ea := NewEager(e.js, e.nc, e.s, testenv.Logger(e.t), e.m)
	ea.MarkEvery = markEvery
	e.s.Announce = ea
	return ea
}

// What a commit announces is published from the committing process at
// once, with its outbox id as Nats-Msg-Id, marked sent and counted; the
// transition's news goes out on core NATS. No relay service runs.
func TestEagerPublishesWhatACommitAnnouncesAndMarksItSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	news := make(chan []byte, 16)
	sub, err := e.nc.Subscribe(bus.SubjectEvents, func(m *nats.Msg) { news <- m.Data })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe() //nolint:errcheck
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	run(t, e.eager(10*time.Millisecond).Run)

	id := e.submit("关于调整城区公交线路的公告")
	testenv.Eventually(t, "the announced row to be marked sent", func() bool { return e.outbox(id)[0].sent })
	msgs := e.msgsFor(id)
	if len(msgs) != 1 {
		t.Fatalf("%d messages for the draft, want 1", len(msgs))
	}
	want := work.Item{DraftID: id, Revision: 1, State: domain.StateCompleteness}
	if msgs[0].Subject != work.StageSubject(domain.StageCompleteness) || readItem(t, msgs[0].Data) != want {
		t.Fatalf("published %s %s, want %+v", msgs[0].Subject, msgs[0].Data, want)
	}
	if got, row := msgs[0].Header.Get(jetstream.MsgIDHeader), e.outbox(id)[0].id; got != strconv.FormatInt(row, 10) {
		t.Fatalf("Nats-Msg-Id %q, want the outbox id %d", got, row)
	}
	if n := counter(t, e.m, "sanshen_relay_published_total"); n != 1 {
		t.Fatalf("relayed counter %v, want 1", n)
	}
	select {
	case n := <-news:
		var note struct {
			DraftID int64        `json:"draft_id"`
			State   domain.State `json:"state"`
		}
		if err := json.Unmarshal(n, &note); err != nil || note.DraftID != id || note.State != domain.StateCompleteness {
			t.Fatalf("news %s (%v), want draft %d entering completeness", n, err, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no news of the submission on " + bus.SubjectEvents)
	}
}

// Rows the eager relay published but failed to mark are left unsent; the
// relay service sends them again under the same Nats-Msg-Id, so each is in
// the stream once.
func TestEagerFailureIsLeftToTheRelayAndDeliveredOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	ea := e.eager(10 * time.Millisecond)
	failed := make(chan []int64, 1)
	ea.AfterPublish = func(ids []int64) error {
		failed <- ids
		return errors.New("process died after publishing")
	}
	stop := run(t, ea.Run)
	id := e.submit("关于城区道路施工的通告")
	select {
	case ids := <-failed:
		if len(ids) != 1 || ids[0] != e.outbox(id)[0].id {
			t.Fatalf("the eager relay published rows %v, want the submission's", ids)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the eager relay never published the announced row")
	}
	stop() // whatever it would still mark is flushed now
	if rows := e.outbox(id); rows[0].sent {
		t.Fatalf("a row whose publish failed was marked sent: %+v", rows)
	}
	if n := counter(t, e.m, "sanshen_relay_published_total"); n != 0 {
		t.Fatalf("relayed counter %v after a failed publish", n)
	}
	r := e.relay()
	r.drain(ctx, 0)
	if rows := e.outbox(id); !rows[0].sent {
		t.Fatalf("the relay left the row unsent: %+v", rows)
	}
	if n := len(e.msgsFor(id)); n != 1 {
		t.Fatalf("%d messages for the draft, want 1 (the relay's copy is a duplicate)", n)
	}
}

// Rows published and waiting for their mark are marked when the eager
// relay stops, not left for the relay to send again.
func TestEagerMarksPublishedRowsWhenItStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stop := run(t, e.eager(time.Hour).Run) // marks only when it stops
	id := e.submit("关于开展安全生产大检查的通知")
	testenv.Eventually(t, "the announced row to be published", func() bool {
		return counter(t, e.m, "sanshen_relay_published_total") == 1
	})
	if len(e.msgsFor(id)) != 1 {
		t.Fatal("the counted row is not in the stream")
	}
	if rows := e.outbox(id); rows[0].sent {
		t.Fatalf("marked before MarkEvery: %+v", rows)
	}
	stop()
	if rows := e.outbox(id); !rows[0].sent {
		t.Fatalf("the eager relay stopped without marking what it published: %+v", rows)
	}
}

// Outbox never blocks a committing transaction: when the queue is full
// (Run not keeping up) the rows are dropped, for the relay to send.
func TestEagerOutboxNeverBlocks(t *testing.T) {
	t.Parallel()
	ea := NewEager(nil, nil, nil, testenv.Logger(t), nil) // Run never runs
	var done atomic.Bool
	go func() {
		for i := range 2 * eagerRound {
			ea.Outbox([]store.OutboxRow{{ID: int64(i + 1), Subject: work.SubjectPublish}})
		}
		done.Store(true)
	}()
	testenv.Eventually(t, "Outbox to return with its queue full", done.Load)
}
