// Package worker runs one review stage's machine step: when a draft enters
// the stage it runs that stage's checks, stores the findings and moves the
// draft on (stage 1) or leaves it in the stage's queue for a person (2, 3).
package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Worker is one stage's worker. Run any number of replicas: the durable
// consumer shares the messages, and the store's compare-and-set makes a
// duplicate a no-op.
type Worker struct {
	Stage  domain.Stage
	Store  *store.Store
	JS     jetstream.JetStream
	Checks *checks.Runner
	Bus    bus.Options
	// Concurrency is the batches in flight, each up to 64 messages (0: 1).
	// One at a time makes the batches under load larger, which costs less
	// per step than overlapping them (docs/performance.md, "Eager relay and one batch in flight").
	Concurrency int
	Log         *slog.Logger
	Metrics     *metrics.Metrics
	// BeforeStep and BeforeAck, when set, run before the checks and after
	// the transaction commits (before the ack); fault tests use them to make
	// a step fail or to kill a worker at the worst moment.
	BeforeStep func(w work.Item) error
	BeforeAck  func(w work.Item) error
}

// Run consumes the stage's subject until ctx ends, a batch at a time.
func (wk *Worker) Run(ctx context.Context) error {
	c := &bus.Consumer{JS: wk.JS, Subject: work.StageSubject(wk.Stage), BatchHandler: wk.HandleBatch,
		DeadLetters: wk.Store.SinkDeadLetter, Options: wk.Bus, Concurrency: max(wk.Concurrency, 1),
		Log: wk.Log, Metrics: wk.Metrics}
	wk.Log.Info("stage worker started", "stage", wk.Stage)
	return c.Run(ctx)
}

// HandleBatch does the stage's machine step for several messages in one
// transaction: the drafts are locked and loaded together, the checks run
// on each, and every item's findings and transition are written together.
// Each item has its own result, so one bad message never holds up the others.
func (wk *Worker) HandleBatch(ctx context.Context, ws []work.Item) []error {
	errs := make([]error, len(ws))
	var todo []work.Item
	var at []int // item index of each todo
	for i, w := range ws {
		if w.State != wk.Stage.State() {
			errs[i] = bus.Permanent(errors.New("message for state " + string(w.State) + " on the " + string(wk.Stage) + " subject"))
			continue
		}
		if wk.BeforeStep != nil {
			if errs[i] = wk.BeforeStep(w); errs[i] != nil {
				continue
			}
		}
		todo = append(todo, w)
		at = append(at, i)
	}
	if len(todo) == 0 {
		return errs
	}
	check := func(w work.Item, agencyID int64, c domain.Content) ([]domain.Finding, error) {
		return wk.Checks.RunDraft(ctx, wk.Stage, agencyID, w.DraftID, c)
	}
	var expiry store.Expiry
	if wk.Stage == domain.StageCompliance {
		// Stage 2 settles how long the item stays public, for the
		// reviewer to see and the lifecycle's sweep to act on.
		expiry = func(agencyID int64, c domain.Content) (time.Time, error) { return wk.Checks.Expiry(ctx, agencyID, c) }
	}
	for j, err := range wk.Store.CompleteChecksExpiring(ctx, todo, check, expiry) {
		i := at[j]
		switch {
		case errors.Is(err, store.ErrNothingToDo) || errors.Is(err, store.ErrConflict):
			errs[i] = bus.ErrNoop
		case errors.Is(err, store.ErrNotFound):
			errs[i] = bus.Permanent(err)
		case err != nil:
			errs[i] = err
		case wk.BeforeAck != nil:
			errs[i] = wk.BeforeAck(ws[i])
		}
	}
	return errs
}
