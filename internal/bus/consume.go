package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

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

// Handler does the work of one message. It must be idempotent and must
// commit its transaction before returning nil: the loop acks after it returns.
type Handler func(ctx context.Context, w Work) error

// DeadLetter is a message the loop gave up on.
type DeadLetter struct {
	Consumer   string
	Subject    string
	Payload    []byte
	MsgID      string
	Deliveries int
	Err        error
}

// DeadLetterSink stores a dead letter (in Postgres). Until it succeeds the
// message is not terminated, so nothing is dropped silently.
type DeadLetterSink func(ctx context.Context, d DeadLetter) error

// Consumer runs the consume loop every worker shares: fetch, handle, ack
// after commit, nak with backoff on a retryable error, term plus dead
// letter on a permanent one or after the last delivery.
type Consumer struct {
	JS          jetstream.JetStream
	Subject     string
	Handler     Handler
	DeadLetters DeadLetterSink
	Options     Options
	Concurrency int // messages handled at once (default 4)
	Log         *slog.Logger
	Metrics     *metrics.Metrics
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
	cons, err := c.JS.Consumer(ctx, StreamName, name)
	if err != nil {
		return fmt.Errorf("error opening consumer %s (was bus.Declare run?): %w", name, err)
	}
	conc := c.Concurrency
	if conc <= 0 {
		conc = 4
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2 * conc))
	if err != nil {
		return fmt.Errorf("error starting consumer %s: %w", name, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			c.Log.Warn("error fetching message", "consumer", name, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			c.handle(ctx, name, o, msg)
		}()
	}
}

func (c *Consumer) handle(ctx context.Context, name string, o Options, msg jetstream.Msg) {
	start := time.Now()
	meta, err := msg.Metadata()
	deliveries := 1
	if err == nil {
		deliveries = int(meta.NumDelivered)
	}
	if deliveries > 1 {
		c.Metrics.Redeliveries.WithLabelValues(name).Inc()
	}
	var w Work
	if err := json.Unmarshal(msg.Data(), &w); err != nil || w.DraftID <= 0 || w.State == "" {
		if err == nil {
			err = fmt.Errorf("message names no draft or state")
		}
		c.dead(ctx, name, msg, deliveries, Permanent(fmt.Errorf("unreadable work message: %w", err)))
		return
	}
	log := c.Log.With("consumer", name, "draft", w.DraftID, "revision", w.Revision, "delivery", deliveries)
	// Tell JetStream the message is being worked on, so a slow step (an
	// external channel's API) is not handed to a second worker meanwhile.
	stop := heartbeat(msg, max(o.AckWait/3, 10*time.Millisecond))
	defer stop() // also when the handler's goroutine ends abnormally (runtime.Goexit)
	err = c.Handler(ctx, w)
	stop()
	c.Metrics.HandleSeconds.WithLabelValues(name).Observe(time.Since(start).Seconds())
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
	d := DeadLetter{Consumer: name, Subject: msg.Subject(), Payload: msg.Data(), Deliveries: deliveries, Err: cause}
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

// heartbeat sends InProgress every interval until the returned stop is called.
func heartbeat(msg jetstream.Msg, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}
