package relay

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// DefaultGrace is how long the Relay leaves an unsent row to the Eager
// relay of the process that committed it. It is far longer than an Eager
// relay takes to publish and mark (milliseconds), and far shorter than
// JetStream's duplicate window (2 minutes), so a row taken by both is
// still delivered once.
const DefaultGrace = 5 * time.Second

// eagerRound bounds the rows published in one round of acks and the marks
// in one statement; it is also how many commits may wait for Run.
const eagerRound = 1024

// Eager is the store's Announcer in a process with a NATS connection: it
// publishes each transaction's outbox rows right after the commit, from
// the committing process, so a transition reaches the next stage without
// waiting for a notification and the Relay's own transaction. The rows
// were committed first; what it fails to publish or to mark stays unsent
// and the Relay sends it after DefaultGrace. It also sends the live pages'
// news on bus.SubjectEvents.
type Eager struct {
	JS      jetstream.JetStream
	NATS    *nats.Conn
	Store   *store.Store
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// MarkEvery bounds how long published rows wait to be marked sent, so
	// the marks of many transactions share one statement (default 100ms).
	MarkEvery time.Duration
	// AfterPublish, when set, runs after rows are published and before they
	// are marked sent; fault tests use it to fail there.
	AfterPublish func(ids []int64) error

	in chan []store.OutboxRow
}

// NewEager returns an Eager relay; Run must run for it to publish.
func NewEager(js jetstream.JetStream, nc *nats.Conn, s *store.Store, log *slog.Logger, m *metrics.Metrics) *Eager {
	return &Eager{JS: js, NATS: nc, Store: s, Log: log, Metrics: m, in: make(chan []store.OutboxRow, eagerRound)}
}

// Outbox queues committed rows for Run. It never blocks: when the queue is
// full the rows are left to the Relay.
func (e *Eager) Outbox(rows []store.OutboxRow) {
	select {
	case e.in <- rows:
	default:
	}
}

// Events sends the live pages' news; a page that misses one catches up at
// its next refresh.
func (e *Eager) Events(notes []string) {
	for _, n := range notes {
		_ = e.NATS.Publish(bus.SubjectEvents, []byte(n))
	}
}

// Run publishes what Outbox queued until ctx ends: every row waiting at
// once, in one round of acks, then the marks of the last MarkEvery in one
// statement.
func (e *Eager) Run(ctx context.Context) error {
	if e.MarkEvery <= 0 {
		e.MarkEvery = 100 * time.Millisecond
	}
	var pending []int64 // published, not yet marked
	mark := time.NewTimer(time.Hour)
	mark.Stop()
	flush := func(ctx context.Context) {
		if len(pending) == 0 {
			return
		}
		if err := e.Store.MarkSent(ctx, pending); err != nil {
			if ctx.Err() == nil {
				e.Log.Warn("marking relayed outbox rows failed; the relay will send them again", "rows", len(pending), "err", err)
			}
		}
		pending = pending[:0]
	}
	defer func() {
		mark.Stop()
		// Rows already published are marked even as the process stops.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		flush(ctx)
	}()
	var rows []store.OutboxRow
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-mark.C:
			flush(ctx)
			continue
		case batch := <-e.in:
			rows = append(rows[:0], batch...)
		}
	more: // everything else already waiting goes in the same round
		for len(rows) < eagerRound {
			select {
			case batch := <-e.in:
				rows = append(rows, batch...)
			default:
				break more
			}
		}
		sent, err := publish(ctx, e.JS, rows, e.AfterPublish)
		if err != nil && ctx.Err() == nil {
			e.Log.Warn("publishing committed outbox rows failed; the relay will send them", "rows", len(rows)-len(sent), "err", err)
		}
		if len(sent) == 0 {
			continue
		}
		e.Metrics.Relayed.Add(float64(len(sent)))
		if len(pending) == 0 {
			mark.Reset(e.MarkEvery)
		}
		pending = append(pending, sent...)
		if len(pending) >= eagerRound {
			mark.Stop()
			flush(ctx)
		}
	}
}
