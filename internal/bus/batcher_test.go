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

func TestBatcherLingersOnlyWhenBusy(t *testing.T) {
	msgs := make(chan jetstream.Msg, 16)
	clock := newLingerClock()
	b := &batcher{msgs: msgs, max: 4, linger: time.Hour, after: clock.after}

	// Idle: a lone message goes at once, without waiting for company.
	send(msgs, 1)
	if got := receive(t, nextBatch(b), "batch"); len(got) != 1 {
		t.Fatalf("idle stage: batch of %d, want 1", len(got))
	}
	select {
	case d := <-clock.waiting:
		t.Fatalf("idle stage lingered %v", d)
	default:
	}

	// Messages that piled up are taken together, still without waiting.
	send(msgs, 3)
	if got := receive(t, nextBatch(b), "batch"); len(got) != 3 {
		t.Fatalf("piled-up messages: batch of %d, want 3", len(got))
	}

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
	send(msgs, 1)
	if got := receive(t, nextBatch(b), "batch"); len(got) != 1 {
		t.Fatalf("idle again: batch of %d, want 1", len(got))
	}
	select {
	case d := <-clock.waiting:
		t.Fatalf("idle stage lingered %v", d)
	default:
	}

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
	send(msgs, 5)
	if got := receive(t, nextBatch(b), "batch"); len(got) != 5 {
		t.Fatalf("batch of %d, want 5", len(got))
	}
	send(msgs, 1)
	if got := receive(t, nextBatch(b), "batch"); len(got) != 1 {
		t.Fatalf("batch of %d, want 1", len(got))
	}
	select {
	case d := <-clock.waiting:
		t.Fatalf("lingered %v with linger 0", d)
	default:
	}
}
