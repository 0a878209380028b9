// Package worker runs one review stage's machine step: when a draft enters
// the stage it runs that stage's checks, stores the findings and moves the
// draft on (stage 1) or leaves it in the stage's queue for a person (2, 3).
package worker

import (
	"context"
	"errors"
	"log/slog"

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
	Stage       domain.Stage
	Store       *store.Store
	JS          jetstream.JetStream
	Checks      *checks.Runner
	Bus         bus.Options
	Concurrency int
	Log         *slog.Logger
	Metrics     *metrics.Metrics
	// BeforeStep and BeforeAck, when set, run before the checks and after
	// the transaction commits (before the ack); fault tests use them to make
	// a step fail or to kill a worker at the worst moment.
	BeforeStep func(w bus.Work) error
	BeforeAck  func(w bus.Work) error
}

// Run consumes the stage's subject until ctx ends.
func (wk *Worker) Run(ctx context.Context) error {
	c := &bus.Consumer{JS: wk.JS, Subject: bus.StageSubject(wk.Stage), Handler: wk.Handle,
		DeadLetters: wk.Store.SinkDeadLetter, Options: wk.Bus, Concurrency: wk.Concurrency,
		Log: wk.Log, Metrics: wk.Metrics}
	wk.Log.Info("stage worker started", "stage", wk.Stage)
	return c.Run(ctx)
}

// Handle does the stage's machine step for one message.
func (wk *Worker) Handle(ctx context.Context, w bus.Work) error {
	if w.State != wk.Stage.State() {
		return bus.Permanent(errors.New("message for state " + string(w.State) + " on the " + string(wk.Stage) + " subject"))
	}
	if wk.BeforeStep != nil {
		if err := wk.BeforeStep(w); err != nil {
			return err
		}
	}
	content, err := wk.Store.StepWork(ctx, w)
	if errors.Is(err, store.ErrNothingToDo) {
		return bus.ErrNoop
	}
	if errors.Is(err, store.ErrNotFound) {
		return bus.Permanent(err)
	}
	if err != nil {
		return err
	}
	findings, err := wk.Checks.Run(ctx, wk.Stage, content)
	if err != nil {
		return err
	}
	_, err = wk.Store.CompleteChecks(ctx, w, findings)
	if errors.Is(err, store.ErrNothingToDo) || errors.Is(err, store.ErrConflict) {
		return bus.ErrNoop
	}
	if err != nil {
		return err
	}
	if wk.BeforeAck != nil {
		return wk.BeforeAck(w)
	}
	return nil
}
