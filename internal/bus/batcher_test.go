package bus

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// fakeMsg is a message the batcher only counts.
type fakeMsg struct{ jetstream.Msg }

// lingerClock hands the batcher a timer the test fires itself, and tells
// the test when the batcher starts waiting on it.
type lingerClock struct {
	fire    chan time.Time
	waiting chan time.Duration
}

func newLingerClock() *lingerClock {
	return &lingerClock{fire: make(chan time.Time), waiting: make(chan time.Duration, 1)}
}

func (c *lingerClock) after(d time.Duration) <-chan time.Time {
	c.waiting <- d
	return c.fire
}

// nextBatch runs b.next in the background; the test reads its batch from
// the returned channel.
func nextBatch(b *batcher) <-chan []jetstream.Msg {
	out := make(chan []jetstream.Msg, 1)
	go func() {
		batch, ok := b.next()
		if !ok {
			batch = nil
		}
		out <- batch
	}()
	return out
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s in 10 s", what)
		panic("unreachable")
	}
}

func send(msgs chan<- jetstream.Msg, n int) {
	for range n {
		msgs <- fakeMsg{}
	}
}

// takes sends n messages and checks that the next batch holds want.
func takes(t *testing.T, b *batcher, msgs chan<- jetstream.Msg, n, want int, what string) {
	t.Helper()
	send(msgs, n)
	if got := receive(t, nextBatch(b), "batch"); len(got) != want {
		t.Fatalf("%s: batch of %d, want %d", what, len(got), want)
	}
}

// never fails if the batcher has started a linger.
func (c *lingerClock) never(t *testing.T) {
	t.Helper()
	select {
	case d := <-c.waiting:
		t.Fatalf("lingered %v", d)
	default:
	}
}

func TestBatcherLingersOnlyWhenBusy(t *testing.T) {
	msgs := make(chan jetstream.Msg, 16)
	clock := newLingerClock()
	b := &batcher{msgs: msgs, max: 4, linger: time.Hour, after: clock.after}

	// Idle: a lone message goes at once, without waiting for company.
	takes(t, b, msgs, 1, 1, "idle stage")
	clock.never(t)

	// Messages that piled up are taken together, still without waiting.
	takes(t, b, msgs, 3, 3, "piled-up messages")

	// Now the stage is busy: a batch waits for more, up to max.
	send(msgs, 1)
	batch := nextBatch(b)
	if d := receive(t, clock.waiting, "linger"); d != time.Hour {
		t.Fatalf("lingered %v, want the configured hour", d)
	}
	send(msgs, 4)
	if got := receive(t, batch, "batch"); len(got) != 4 {
		t.Fatalf("busy stage: batch of %d, want the maximum 4", len(got))
	}

	// The one message left: busy, so it waits until the linger ends.
	batch = nextBatch(b)
	receive(t, clock.waiting, "linger")
	clock.fire <- time.Now()
	if got := receive(t, batch, "batch"); len(got) != 1 {
		t.Fatalf("after the linger: batch of %d, want 1", len(got))
	}

	// A batch of one makes the stage idle again.
	takes(t, b, msgs, 1, 1, "idle again")
	clock.never(t)

	// Closed and drained: the loop ends.
	close(msgs)
	if _, ok := b.next(); ok {
		t.Fatal("next on a closed channel returned a batch")
	}
}

func TestBatcherWithoutLingerNeverWaits(t *testing.T) {
	msgs := make(chan jetstream.Msg, 16)
	clock := newLingerClock()
	b := &batcher{msgs: msgs, max: 64, after: clock.after}
	takes(t, b, msgs, 5, 5, "first batch")
	takes(t, b, msgs, 1, 1, "second batch")
	clock.never(t)
}
