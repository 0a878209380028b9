package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/metrics"
)

// ErrNoop is returned by a handler whose work was already done or is no
// longer owed; the message is acked and counted apart from real work.
var ErrNoop = errors.New("nothing to do")

// permanent marks an error that no redelivery can fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so the message is dead-lettered at once instead of retried.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err (or an error it wraps) was made by
// Permanent: the loop dead-letters its message at once.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// Handler does the work of one message. It must be idempotent and must
// commit its transaction before returning nil: the loop acks after it returns.
type Handler func(ctx context.Context, w work.Item) error

// BatchHandler does the work of several messages at once, typically in one
// transaction (a group commit), and returns one result per work item, in
// order: nil or ErrNoop once that item's work is committed, an error to
// retry or dead-letter that item alone. Like Handler, it must be idempotent.
type BatchHandler func(ctx context.Context, ws []work.Item) []error

// DeadLetterSink stores a dead letter (in Postgres). Until it succeeds the
// message is not terminated, so nothing is dropped silently.
type DeadLetterSink func(ctx context.Context, d work.DeadLetter) error

// Consumer runs the consume loop every worker shares: fetch, handle, ack
// after commit, nak with backoff on a retryable error, term plus dead
// letter on a permanent one or after the last delivery.
type Consumer struct {
	JS      jetstream.JetStream
	Subject string
	Handler Handler
	// BatchHandler, when set, is used instead of Handler: the loop hands it
	// every message already waiting, up to MaxBatch, so under load one
	// transaction carries many steps and an idle stage still answers at once.
	BatchHandler BatchHandler
	MaxBatch     int // messages per batch (default 64)
	DeadLetters  DeadLetterSink
	Options      Options
	Concurrency  int // messages (batches, with a BatchHandler) handled at once (default 4)
	Log          *slog.Logger
	Metrics      *metrics.Metrics
}

// Run consumes until ctx is cancelled, then stops the message iterator and
// waits for the handlers in flight.
func (c *Consumer) Run(ctx context.Context) error {
	o := c.Options.withDefaults()
	name := ConsumerName(c.Subject)
	// Every series exists from the start, so increase() sees the first event.
	c.Metrics.Redeliveries.WithLabelValues(name)
	c.Metrics.DeadLetters.WithLabelValues(name)
	for _, r := range []string{"done", "noop", "retry", "dead"} {
		c.Metrics.Handled.WithLabelValues(name, r)
	}
	var cons jetstream.Consumer
	err := retryTransient(ctx, func(ctx context.Context) (err error) {
		cons, err = c.JS.Consumer(ctx, StreamName, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("error opening consumer %s (was bus.Declare run?): %w", name, err)
	}
	conc := c.Concurrency
	if conc <= 0 {
		conc = 4
		if c.BatchHandler != nil {
			conc = 2 // batches: fewer in flight means larger ones under load
		}
	}
	pull := 2 * conc
	if c.BatchHandler != nil {
		pull = 2 * conc * c.maxBatch()
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(pull))
	if err != nil {
		return fmt.Errorf("error starting consumer %s: %w", name, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	if c.BatchHandler != nil {
		return c.runBatches(ctx, name, o, it, conc)
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		msg, ok := c.next(ctx, name, it)
		if !ok {
			return nil
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.handle(ctx, name, o, msg)
		}()
	}
}

func (c *Consumer) maxBatch() int {
	if c.MaxBatch > 0 {
		return c.MaxBatch
	}
	return 64
}

// next waits for the next message; false means the iterator was stopped.
func (c *Consumer) next(ctx context.Context, name string, it jetstream.MessagesContext) (jetstream.Msg, bool) {
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil, false
		}
		if err == nil {
			return msg, true
		}
		c.Log.Warn("error fetching message", "consumer", name, "err", err)
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(time.Second):
		}
	}
}

// runBatches is the loop with a BatchHandler. A reader moves messages into
// a channel; whenever a handler slot is free, the next batch is what the
// batcher makes of the messages waiting there.
func (c *Consumer) runBatches(ctx context.Context, name string, o Options, it jetstream.MessagesContext, conc int) error {
	maxBatch := c.maxBatch()
	msgs := make(chan jetstream.Msg, maxBatch)
	go func() {
		defer close(msgs)
		for {
			msg, ok := c.next(ctx, name, it)
			if !ok {
				return
			}
			msgs <- msg
		}
	}()
	b := &batcher{msgs: msgs, max: maxBatch, linger: o.Linger}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		sem <- struct{}{}
		batch, ok := b.next()
		if !ok {
			return nil
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.handleBatch(ctx, name, o, batch)
		}()
	}
}

// batcher cuts batches from a consumer's messages: each is everything
// waiting (at least one message, at most max), so batches grow by
// themselves while the handlers are busy, which is when grouping pays.
//
// Once the stage is busy (its last batch held more than one message), a
// batch also waits up to linger for more. A transaction costs about as
// much for several drafts as for one, so under load this buys fewer,
// larger transactions for a few milliseconds of each step's time
// (docs/performance.md); a lone message in an idle stage goes at once.
type batcher struct {
	msgs   <-chan jetstream.Msg
	max    int
	linger time.Duration
	after  func(time.Duration) <-chan time.Time // time.After; tests replace it
	busy   bool
}

// next waits for the next batch; false means msgs was closed and drained.
func (b *batcher) next() ([]jetstream.Msg, bool) {
	first, ok := <-b.msgs
	if !ok {
		return nil, false
	}
	batch := b.fill([]jetstream.Msg{first}, nil)
	if b.busy && b.linger > 0 && len(batch) < b.max {
		after := b.after
		if after == nil {
			after = time.After
		}
		batch = b.fill(batch, after(b.linger))
	}
	b.busy = len(batch) > 1
	return batch, true
}

// fill appends the messages waiting, up to max. With a nil until it takes
// only what is already there; otherwise it also waits for more until
// until fires.
func (b *batcher) fill(batch []jetstream.Msg, until <-chan time.Time) []jetstream.Msg {
	for len(batch) < b.max {
		var msg jetstream.Msg
		var ok bool
		if until == nil {
			select {
			case msg, ok = <-b.msgs:
			default:
				return batch
			}
		} else {
			select {
			case msg, ok = <-b.msgs:
			case <-until:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, msg)
	}
	return batch
}

// handleBatch hands the batch's readable messages to the BatchHandler and
// settles each message by its own result.
func (c *Consumer) handleBatch(ctx context.Context, name string, o Options, batch []jetstream.Msg) {
	start := time.Now()
	c.Metrics.BatchSize.WithLabelValues(name).Observe(float64(len(batch)))
	type item struct {
		msg        jetstream.Msg
		deliveries int
	}
	items := make([]item, 0, len(batch))
	works := make([]work.Item, 0, len(batch))
	for _, msg := range batch {
		w, deliveries, err := c.read(name, msg)
		if err != nil {
			c.dead(ctx, name, msg, deliveries, err)
			continue
		}
		items = append(items, item{msg, deliveries})
		works = append(works, w)
	}
	if len(works) == 0 {
		return
	}
	stop := heartbeat(max(o.AckWait/3, 10*time.Millisecond), func() {
		for _, it := range items {
			_ = it.msg.InProgress()
		}
	})
	defer stop()
	errs := c.BatchHandler(ctx, works)
	stop()
	took := time.Since(start).Seconds()
	for i, it := range items {
		var err error
		if i < len(errs) {
			err = errs[i]
		}
		c.Metrics.HandleSeconds.WithLabelValues(name).Observe(took)
		c.settle(ctx, name, o, it.msg, works[i], it.deliveries, err)
	}
}

// read decodes a message; an unreadable one is a permanent error.
func (c *Consumer) read(name string, msg jetstream.Msg) (work.Item, int, error) {
	deliveries := 1
	if meta, err := msg.Metadata(); err == nil {
		deliveries = int(meta.NumDelivered)
	}
	if deliveries > 1 {
		c.Metrics.Redeliveries.WithLabelValues(name).Inc()
	}
	var w work.Item
	if err := json.Unmarshal(msg.Data(), &w); err != nil || w.DraftID <= 0 || w.State == "" {
		if err == nil {
			err = fmt.Errorf("message names no draft or state")
		}
		return w, deliveries, Permanent(fmt.Errorf("unreadable work message: %w", err))
	}
	return w, deliveries, nil
}

func (c *Consumer) handle(ctx context.Context, name string, o Options, msg jetstream.Msg) {
	start := time.Now()
	w, deliveries, err := c.read(name, msg)
	if err != nil {
		c.dead(ctx, name, msg, deliveries, err)
		return
	}
	// Tell JetStream the message is being worked on, so a slow step (an
	// external channel's API) is not handed to a second worker meanwhile.
	stop := heartbeat(max(o.AckWait/3, 10*time.Millisecond), func() { _ = msg.InProgress() })
	defer stop() // also when the handler's goroutine ends abnormally (runtime.Goexit)
	err = c.Handler(ctx, w)
	stop()
	c.Metrics.HandleSeconds.WithLabelValues(name).Observe(time.Since(start).Seconds())
	c.settle(ctx, name, o, msg, w, deliveries, err)
}

// settle acks, naks or dead-letters one message by its handler's result.
func (c *Consumer) settle(ctx context.Context, name string, o Options, msg jetstream.Msg, w work.Item, deliveries int, err error) {
	log := c.Log.With("consumer", name, "draft", w.DraftID, "revision", w.Revision, "delivery", deliveries)
	var perm permanent
	switch {
	case err == nil || errors.Is(err, ErrNoop):
		result := "done"
		if err != nil {
			result = "noop"
		}
		if aerr := msg.Ack(); aerr != nil {
			// The work is committed; a redelivery will find nothing to do.
			log.Warn("error acking message", "err", aerr)
		}
		c.Metrics.Handled.WithLabelValues(name, result).Inc()
	case ctx.Err() != nil:
		// Shutting down: leave the message for redelivery, untouched.
		_ = msg.Nak()
	case errors.As(err, &perm) || deliveries >= o.MaxDeliver:
		log.Error("giving up on message", "err", err)
		c.dead(ctx, name, msg, deliveries, err)
	default:
		delay := o.BackOff[min(deliveries-1, len(o.BackOff)-1)]
		log.Warn("error handling message, will retry", "err", err, "retry_in", delay)
		_ = msg.NakWithDelay(delay)
		c.Metrics.Handled.WithLabelValues(name, "retry").Inc()
	}
}

func (c *Consumer) dead(ctx context.Context, name string, msg jetstream.Msg, deliveries int, cause error) {
	d := work.DeadLetter{Consumer: name, Subject: msg.Subject(), Payload: msg.Data(), Deliveries: deliveries, Err: cause}
	if h := msg.Headers(); h != nil {
		d.MsgID = h.Get("Nats-Msg-Id")
	}
	if err := c.DeadLetters(ctx, d); err != nil {
		// Not stored: keep the message in JetStream so it is not lost.
		c.Log.Error("error storing dead letter; message left for redelivery", "consumer", name, "err", err)
		_ = msg.NakWithDelay(5 * time.Second)
		return
	}
	_ = msg.Term()
	c.Metrics.DeadLetters.WithLabelValues(name).Inc()
	c.Metrics.Handled.WithLabelValues(name, "dead").Inc()
}

// heartbeat calls beat every interval until the returned stop is called.
func heartbeat(interval time.Duration, beat func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				beat()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}
