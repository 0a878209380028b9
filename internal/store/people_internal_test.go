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
