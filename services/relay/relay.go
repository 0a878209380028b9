// Package relay moves committed outbox rows to JetStream, and runs the
// sweeper that re-sends the work of drafts whose machine step did not
// finish in time. It is the only writer to the stream: no transaction ever
// publishes to NATS itself.
//
// Rows go two ways. Every process that commits transitions runs an Eager
// relay, which the store hands each transaction's outbox rows right after
// the commit; it publishes them at once and marks them sent in batches.
// The Relay service picks up whatever is still unsent after a grace
// period (a process that died between its commit and its publish, a
// publish that failed) and rows written by processes without an Eager
// relay, which announce them by NOTIFY.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Relay is the outbox relay and sweeper. Replicas are safe: rows are
// claimed with SKIP LOCKED and JetStream drops a re-sent Nats-Msg-Id.
type Relay struct {
	Store      *store.Store
	JS         jetstream.JetStream
	Log        *slog.Logger
	Metrics    *metrics.Metrics
	BatchSize  int           // outbox rows per transaction (default 256)
	SweepAfter time.Duration // re-send a step not finished in this long (default 30s)
	// Grace leaves rows this young to the Eager relay of the process that
	// committed them (default 5s); a NOTIFY makes the relay take every row.
	Grace time.Duration
	// The transparency log: every second the relay gives committed audit
	// events their leaves (store.Sequence), and with LogKey set it signs a
	// tree head as soon as HeadLeaves events have joined or, while any have,
	// every HeadEvery (0: no heads).
	LogKey     *audit.LogKey
	LogOrigin  string
	HeadEvery  time.Duration
	HeadLeaves int64
	// AfterPublish, when set, runs after a batch is published and before it
	// is marked sent; fault tests use it to kill the relay there.
	AfterPublish func(ids []int64) error
}

// Run relays and sweeps until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	if r.BatchSize <= 0 {
		r.BatchSize = defaultBatchSize
	}
	if r.SweepAfter <= 0 {
		r.SweepAfter = 30 * time.Second
	}
	if r.Grace <= 0 {
		r.Grace = DefaultGrace
	}
	wake := make(chan struct{}, 1)
	listening := make(chan struct{})
	go r.listen(ctx, wake, listening)
	select {
	case <-listening:
	case <-ctx.Done():
		return nil
	}
	r.Log.Info("relay started", "sweep_after", r.SweepAfter)
	relayTick := time.NewTicker(time.Second) // a fallback if a notification is missed
	defer relayTick.Stop()
	sweepTick := time.NewTicker(max(r.SweepAfter/3, 100*time.Millisecond))
	defer sweepTick.Stop()
	pruneTick := time.NewTicker(time.Hour)
	defer pruneTick.Stop()
	logTick := time.NewTicker(time.Second)
	defer logTick.Stop()
	r.drain(ctx, r.Grace)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
			r.drain(ctx, 0)
		case <-relayTick.C:
			r.drain(ctx, r.Grace)
			r.observeLag(ctx)
		case <-sweepTick.C:
			// Idle stages after SweepAfter; every stage after ten times that,
			// so steady traffic that never lets a consumer drain cannot strand
			// a draft whose message was lost.
			n, err := r.Store.Sweep(ctx, r.SweepAfter, 500, r.idleStates(ctx))
			if err == nil {
				var m int
				m, err = r.Store.Sweep(ctx, 10*r.SweepAfter, 500, domain.MachineStates())
				n += m
			}
			if err != nil && ctx.Err() == nil {
				r.Log.Error("sweep failed", "err", err)
			}
			if n > 0 {
				r.Metrics.Swept.Add(float64(n))
				r.Log.Warn("sweeper re-sent stalled drafts", "count", n) // published by this process's eager relay
			}
		case <-pruneTick.C:
			// Sent rows are kept a day for inspection; the audit trail is the record.
			if n, err := r.Store.PruneOutbox(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
				r.Log.Error("outbox prune failed", "err", err)
			} else if n > 0 {
				r.Log.Info("outbox pruned", "rows", n)
			}
		case <-logTick.C:
			r.extendLog(ctx)
		}
	}
}

// listen signals wake on every outbox notification.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}, listening chan<- struct{}) {
	r.Store.Listen(ctx, store.OutboxChannel, func() { close(listening) }, func(string) {
		select {
		case wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	})
}

// drain relays batches until no row at least grace old is left.
// defaultBatchSize is the outbox rows a relay transaction takes unless told.
const defaultBatchSize = 256

func (r *Relay) drain(ctx context.Context, grace time.Duration) {
	if r.BatchSize <= 0 {
		r.BatchSize = defaultBatchSize // as Run sets it; a zero would never end the loop
	}
	for ctx.Err() == nil {
		n, err := r.Store.RelayOutbox(ctx, r.BatchSize, grace, func(rows []store.OutboxRow) ([]int64, error) {
			return publish(ctx, r.JS, rows, r.AfterPublish)
		})
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Error("relay failed", "err", err)
			}
			return
		}
		r.Metrics.Relayed.Add(float64(n))
		if n < r.BatchSize {
			return
		}
	}
}

// publish sends rows asynchronously, each with its outbox id as
// Nats-Msg-Id, and waits for every ack, so a batch costs one round of acks,
// not one per message. It returns the ids JetStream acknowledged; after, if
// set, runs before they are returned (a fault hook).
func publish(ctx context.Context, js jetstream.JetStream, rows []store.OutboxRow, after func([]int64) error) ([]int64, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(rows))
	for _, row := range rows {
		m := nats.NewMsg(row.Subject)
		m.Data = row.Payload
		m.Header.Set(jetstream.MsgIDHeader, strconv.FormatInt(row.ID, 10))
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			return nil, fmt.Errorf("error publishing outbox row %d: %w", row.ID, err)
		}
		futures = append(futures, f)
	}
	sent := make([]int64, 0, len(rows))
	var firstErr error
	timeout := time.After(10 * time.Second)
	for i, f := range futures {
		select {
		case <-f.Ok():
			sent = append(sent, rows[i].ID)
		case err := <-f.Err():
			firstErr = errors.Join(firstErr, fmt.Errorf("error publishing outbox row %d: %w", rows[i].ID, err))
		case <-timeout:
			return sent, errors.Join(firstErr, errors.New("timed out waiting for JetStream acks"))
		case <-ctx.Done():
			return sent, ctx.Err()
		}
	}
	if after != nil {
		if err := after(sent); err != nil {
			return nil, err
		}
	}
	return sent, firstErr
}

// idleStates are the states whose consumer has nothing pending or in
// flight: a draft of theirs whose step is overdue has lost its message. A
// consumer with a backlog is only slow; re-sending would add to the backlog
// (measured: thousands of useless re-sends in a 20,000-draft run), and its
// drafts are swept once it has drained. If JetStream cannot be asked,
// every state is swept: a duplicate is harmless, a strand is not.
func (r *Relay) idleStates(ctx context.Context) []domain.State {
	var out []domain.State
	for _, subject := range work.Subjects() {
		st, _ := work.StateOf(subject)
		c, err := r.JS.Consumer(ctx, bus.StreamName, bus.ConsumerName(subject))
		if err != nil {
			out = append(out, st)
			continue
		}
		info, err := c.Info(ctx)
		if err != nil || (info.NumPending == 0 && info.NumAckPending == 0) {
			out = append(out, st)
		}
	}
	return out
}

func (r *Relay) observeLag(ctx context.Context) {
	lag, n, err := r.Store.OutboxLag(ctx)
	if err != nil {
		return
	}
	r.Metrics.OutboxLag.Set(lag.Seconds())
	r.Metrics.OutboxUnsent.Set(float64(n))
}

// sequenceBatch bounds one sequencing transaction.
const sequenceBatch = 5000

// extendLog sequences what has committed, then signs a head when one is due.
func (r *Relay) extendLog(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := r.Store.Sequence(ctx, sequenceBatch)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Error("sequencing audit events failed", "err", err)
			}
			return
		}
		r.Metrics.LogSequenced.Add(float64(n))
		if n < sequenceBatch {
			break
		}
	}
	if r.LogKey == nil || r.HeadEvery <= 0 {
		return
	}
	h, signed, err := r.Store.SignHead(ctx, *r.LogKey, r.LogOrigin, r.HeadLeaves, r.HeadEvery, time.Now())
	if err != nil {
		if ctx.Err() == nil {
			r.Log.Error("signing a tree head failed", "err", err)
		}
		return
	}
	if signed {
		r.Metrics.LogHeadSize.Set(float64(h.Size))
		r.Log.Debug("tree head signed", "size", h.Size)
	}
}
