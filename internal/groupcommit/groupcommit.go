// Package groupcommit runs requests that arrive together as one group, so
// that one transaction, its statements and its WAL flush serve all of them
// (a group commit). It knows nothing of SQL: the store hands it a Run that
// writes a group of jobs set-based, as River keeps its completer apart from
// its driver.
//
// There is no background goroutine: a waiting caller becomes the leader
// when a slot is free, takes everything pending, and runs it. Once busy
// (its last group held more than one job) a leader first waits Linger for
// company; a request that arrives alone is run at once.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrAborted is what Do returns when the group's Run did not complete (it
// panicked): nothing of the job is known to be written, and the job's own
// answer must not be trusted.
var ErrAborted = errors.New("the group's transaction did not complete; nothing of this request was written")

// Timeout bounds a group's Run: it works on behalf of several requests, so
// it runs under a deadline of its own, never under one caller's context,
// whose cancellation must not abort the others.
const Timeout = 30 * time.Second

// Group collects jobs and runs them in groups.
type Group[J any] struct {
	run     func(ctx context.Context, jobs []J)
	max     int
	slots   chan struct{} // groups in flight
	mu      sync.Mutex
	pending []*member[J]
	busy    atomic.Bool
	// Linger is how long a busy leader waits for company (0: never). Set
	// it before the group is used.
	Linger time.Duration
	// sleep is time.Sleep; tests replace it.
	sleep func(time.Duration)
}

type member[J any] struct {
	job     J
	done    chan struct{}
	aborted bool
}

// New makes a group runner. run must settle every job it is given (write
// its answer into it) before returning; inFlight groups may run at once
// (while one commits, the next forms) and a group holds at most max jobs.
func New[J any](run func(ctx context.Context, jobs []J), inFlight, max int) *Group[J] {
	return &Group[J]{run: run, max: max, slots: make(chan struct{}, inFlight), sleep: time.Sleep}
}

// Do returns once job has been run as part of some group: its answer is
// then in job, or ErrAborted if the group's Run did not complete. ctx is
// the caller's and only scopes the call; the group runs under Timeout.
func (g *Group[J]) Do(ctx context.Context, job J) error {
	m := &member[J]{job: job, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, m)
	g.mu.Unlock()
	for {
		select {
		case <-m.done:
			return m.err()
		case g.slots <- struct{}{}:
		}
		if g.Linger > 0 && g.busy.Load() && g.waiting() {
			g.sleep(g.Linger)
		}
		g.mu.Lock()
		n := min(len(g.pending), g.max)
		group := g.pending[:n:n]
		g.pending = append([]*member[J](nil), g.pending[n:]...)
		g.mu.Unlock()
		if n == 0 {
			// Another leader has this job: wait for it.
			<-g.slots
			<-m.done
			return m.err()
		}
		g.busy.Store(n > 1)
		g.lead(ctx, group)
	}
}

func (m *member[J]) err() error {
	if m.aborted {
		return ErrAborted
	}
	return nil
}

// waiting reports whether any job is pending.
func (g *Group[J]) waiting() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending) > 0
}

// lead runs a group and then frees its slot and wakes its members, also if
// run panics: the others must not wait for ever, and they learn that their
// jobs were not written (ErrAborted).
func (g *Group[J]) lead(ctx context.Context, group []*member[J]) {
	completed := false
	defer func() {
		<-g.slots
		for _, m := range group {
			m.aborted = !completed
			close(m.done)
		}
	}()
	jobs := make([]J, len(group))
	for i, m := range group {
		jobs[i] = m.job
	}
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	g.run(gctx, jobs)
	completed = true
}
