package store

import (
	"errors"
	"sync"
	"testing"
	"time"
)

type probeJob struct {
	n   int
	err error
}

// Every job is answered exactly once, in groups no larger than max, and a
// leader whose run panics still frees its slot and wakes the others, which
// then say they were not written.
func TestGrouper(t *testing.T) {
	t.Parallel()
	g := newGrouper[*probeJob](1, 4)
	var mu sync.Mutex
	seen := map[int]int{}
	largest := 0
	run := func(js []*probeJob) {
		mu.Lock()
		largest = max(largest, len(js))
		for _, j := range js {
			seen[j.n]++
			j.err = nil
		}
		mu.Unlock()
		time.Sleep(time.Millisecond) // let the next group gather
	}
	var wg sync.WaitGroup
	jobs := make([]*probeJob, 40)
	for i := range jobs {
		jobs[i] = &probeJob{n: i, err: errGroupAborted}
		wg.Go(func() { g.do(jobs[i], run) })
	}
	wg.Wait()
	for i, j := range jobs {
		if seen[i] != 1 || j.err != nil {
			t.Fatalf("job %d ran %d times (err %v)", i, seen[i], j.err)
		}
	}
	if largest > 4 {
		t.Fatalf("a group of %d; the most is 4", largest)
	}
	if largest < 2 {
		t.Logf("no group formed of more than one job in this run (timing)")
	}

	// A panicking leader.
	a, b := &probeJob{n: 1, err: errGroupAborted}, &probeJob{n: 2, err: errGroupAborted}
	group := []*groupJob[*probeJob]{{in: a, done: make(chan struct{})}, {in: b, done: make(chan struct{})}}
	g.slots <- struct{}{}
	func() {
		defer func() { _ = recover() }()
		g.lead(group, []*probeJob{a, b}, func([]*probeJob) { panic("boom") })
	}()
	for _, gj := range group {
		select {
		case <-gj.done:
		default:
			t.Fatal("a member of a panicked group was never woken")
		}
	}
	if !errors.Is(b.err, errGroupAborted) {
		t.Fatalf("a member of a panicked group was answered %v", b.err)
	}
	select {
	case g.slots <- struct{}{}:
		<-g.slots
	default:
		t.Fatal("a panicked group kept its slot")
	}
}

// A busy grouper's leader waits for company before running its group; an
// idle one runs a lone job at once. The test holds the leader's wait open
// itself, so nothing depends on timing.
func TestGrouperLingersOnlyWhenBusy(t *testing.T) {
	t.Parallel()
	g := newGrouper[*probeJob](1, 64)
	g.linger = time.Hour
	slept := make(chan time.Duration, 1)
	wake := make(chan struct{})
	g.sleep = func(d time.Duration) { slept <- d; <-wake }
	groups := make(chan int, 16)
	gate := make(chan struct{})
	run := func(js []*probeJob) {
		groups <- len(js)
		if js[0].n < 0 {
			<-gate // the first group holds the only slot until told
		}
	}
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
			t.Fatalf("an idle grouper waited %v", d)
		default:
		}
	}
	var wg sync.WaitGroup
	submit := func(n int) { wg.Go(func() { g.do(&probeJob{n: n}, run) }) }

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
		t.Fatal("a busy grouper did not wait for company")
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
