package groupcommit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type probeJob struct {
	n        int
	answered bool
}

// Every job is answered exactly once, in groups no larger than max, and a
// leader whose run panics still frees its slot and wakes the others, which
// learn that they were not written.
func TestGroup(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[int]int{}
	largest := 0
	g := New(func(_ context.Context, js []*probeJob) {
		mu.Lock()
		largest = max(largest, len(js))
		for _, j := range js {
			seen[j.n]++
			j.answered = true
		}
		mu.Unlock()
		time.Sleep(time.Millisecond) // let the next group gather
	}, 1, 4)
	var wg sync.WaitGroup
	jobs := make([]*probeJob, 40)
	errs := make([]error, 40)
	for i := range jobs {
		jobs[i] = &probeJob{n: i}
		wg.Go(func() { errs[i] = g.Do(context.Background(), jobs[i]) })
	}
	wg.Wait()
	for i, j := range jobs {
		if seen[i] != 1 || !j.answered || errs[i] != nil {
			t.Fatalf("job %d ran %d times (answered %v, err %v)", i, seen[i], j.answered, errs[i])
		}
	}
	if largest > 4 {
		t.Fatalf("a group of %d; the most is 4", largest)
	}
	if largest < 2 {
		t.Logf("no group formed of more than one job in this run (timing)")
	}
}

func TestPanickingLeaderWakesItsGroup(t *testing.T) {
	t.Parallel()
	g := New(func(context.Context, []*probeJob) { panic("boom") }, 1, 4)
	a, b := &member[*probeJob]{job: &probeJob{n: 1}, done: make(chan struct{})}, &member[*probeJob]{job: &probeJob{n: 2}, done: make(chan struct{})}
	g.slots <- struct{}{}
	func() {
		defer func() { _ = recover() }()
		g.lead(context.Background(), []*member[*probeJob]{a, b})
	}()
	for _, m := range []*member[*probeJob]{a, b} {
		select {
		case <-m.done:
		default:
			t.Fatal("a member of a panicked group was never woken")
		}
		if !errors.Is(m.err(), ErrAborted) {
			t.Fatalf("a member of a panicked group was answered %v", m.err())
		}
	}
	select {
	case g.slots <- struct{}{}:
		<-g.slots
	default:
		t.Fatal("a panicked group kept its slot")
	}
}

// The group runs under its own deadline: a leader whose request is
// cancelled does not abort the others' transaction.
func TestGroupOutlivesTheLeadersRequest(t *testing.T) {
	t.Parallel()
	var got error
	g := New(func(ctx context.Context, js []*probeJob) { got = ctx.Err(); js[0].answered = true }, 1, 4)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j := &probeJob{}
	if err := g.Do(ctx, j); err != nil || !j.answered || got != nil {
		t.Fatalf("Do with a cancelled request: %v, answered %v, the group's context %v", err, j.answered, got)
	}
}

// A busy group's leader waits for company before running its group; an
// idle one runs a lone job at once. The test holds the leader's wait open
// itself, so nothing depends on timing.
func TestLingersOnlyWhenBusy(t *testing.T) {
	t.Parallel()
	groups := make(chan int, 16)
	gate := make(chan struct{})
	g := New(func(_ context.Context, js []*probeJob) {
		groups <- len(js)
		if js[0].n < 0 {
			<-gate // the first group holds the only slot until told
		}
	}, 1, 64)
	g.Linger = time.Hour
	slept := make(chan time.Duration, 1)
	wake := make(chan struct{})
	g.sleep = func(d time.Duration) { slept <- d; <-wake }
	within := func(what string, ch <-chan int) int {
		t.Helper()
		select {
		case v := <-ch:
			return v
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s in 10 s", what)
			return 0
		}
	}
	pendingIs := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			g.mu.Lock()
			got := len(g.pending)
			g.mu.Unlock()
			if got == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d jobs pending, want %d", got, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	noSleep := func() {
		t.Helper()
		select {
		case d := <-slept:
			t.Fatalf("an idle group waited %v", d)
		default:
		}
	}
	var wg sync.WaitGroup
	submit := func(n int) { wg.Go(func() { _ = g.Do(context.Background(), &probeJob{n: n}) }) }

	// Idle: a lone job runs at once, and holds the slot.
	submit(-1)
	if n := within("first group", groups); n != 1 {
		t.Fatalf("first group of %d, want 1", n)
	}
	noSleep()
	// Two jobs pile up behind it and go together, still without waiting.
	submit(1)
	submit(2)
	pendingIs(2)
	close(gate)
	if n := within("second group", groups); n != 2 {
		t.Fatalf("second group of %d, want 2", n)
	}
	noSleep()
	// Now busy: the next leader waits for company, and a job that arrives
	// meanwhile goes in its group.
	submit(3)
	select {
	case d := <-slept:
		if d != time.Hour {
			t.Fatalf("waited %v, want the linger of an hour", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a busy group did not wait for company")
	}
	submit(4)
	pendingIs(2)
	wake <- struct{}{}
	if n := within("lingered group", groups); n != 2 {
		t.Fatalf("lingered group of %d, want 2", n)
	}
	// Still busy, but alone after the wait: a group of one makes it idle.
	submit(5)
	<-slept
	wake <- struct{}{}
	if n := within("group", groups); n != 1 {
		t.Fatalf("group of %d, want 1", n)
	}
	submit(6)
	if n := within("idle group", groups); n != 1 {
		t.Fatalf("idle group of %d, want 1", n)
	}
	noSleep()
	wg.Wait()
}
