package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/schedule"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func TestJobRunsAtItsTimeAndNotBefore(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	clk := newClock(t0)
	d.schedule(t, "publish_at", "7", t0.Add(time.Hour), map[string]int{"revision": 2})
	got := make(chan schedule.Job, 1)
	start(t, d, &schedule.Runner{Replica: "a", Now: clk.Now, Handlers: map[string]schedule.Handler{
		"publish_at": func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
			select {
			case got <- j:
			default: // a second run: the count below fails
			}
			return effect("a")(ctx, tx, j)
		},
	}})

	for _, now := range []time.Time{t0, t0.Add(time.Hour - time.Microsecond)} {
		clk.Set(now)
		clk.polled(t, 5)
		if n := d.count(t, `SELECT count(*) FROM effects`); n != 0 {
			t.Fatalf("the job ran at %s, before its time", now)
		}
	}
	clk.Set(t0.Add(time.Hour))
	testenv.Eventually(t, "the job's effect", func() bool { return d.count(t, `SELECT count(*) FROM effects`) == 1 })
	j := <-got
	if !j.Due.Equal(t0.Add(time.Hour)) || string(j.Payload) != `{"revision": 2}` || j.Attempt != 1 || j.Kind != "publish_at" || j.Key != "7" {
		t.Fatalf("the handler got %+v", j)
	}
	testenv.Eventually(t, "the job done", func() bool { return d.job(t, "publish_at", "7").State == "done" })
	if r := d.job(t, "publish_at", "7"); r.Attempts != 1 || !r.Done || r.LastError != "" {
		t.Fatalf("done job: %+v", r)
	}
}

func TestSchedulingAgainMovesTheOneJob(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	d.schedule(t, "expire", "1", t0, "first")
	d.schedule(t, "expire", "1", t0.Add(48*time.Hour), "second")
	r := d.job(t, "expire", "1")
	if n := d.count(t, `SELECT count(*) FROM scheduled_jobs`); n != 1 || !r.Due.Equal(t0.Add(48*time.Hour)) || r.Payload != `"second"` {
		t.Fatalf("scheduled twice: %d jobs, latest %+v", n, r)
	}
	// The last call wins, earlier too: an expiry date brought forward.
	d.schedule(t, "expire", "1", t0.Add(24*time.Hour), "third")
	if r := d.job(t, "expire", "1"); d.count(t, `SELECT count(*) FROM scheduled_jobs`) != 1 || !r.Due.Equal(t0.Add(24*time.Hour)) || r.Payload != `"third"` {
		t.Fatalf("moved earlier: %+v", r)
	}
	// Another kind of the same subject is another job.
	d.schedule(t, "review_reminder", "1", t0, nil)
	if r := d.job(t, "review_reminder", "1"); r.Payload != "null" || d.count(t, `SELECT count(*) FROM scheduled_jobs`) != 2 {
		t.Fatalf("a second kind: %+v", r)
	}

	// In the caller's transaction, the job commits or rolls back with it.
	for _, commit := range []bool{false, true} {
		tx, err := d.app.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := schedule.Schedule(ctx, tx, "expire", "2", t0, nil); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := d.count(t, `SELECT count(*) FROM scheduled_jobs WHERE key = '2'`); n != map[bool]int{false: 0, true: 1}[commit] {
			t.Fatalf("commit %v: %d jobs", commit, n)
		}
	}

	// It runs once, at the time it was moved to.
	clk := newClock(t0.Add(23 * time.Hour))
	start(t, d, &schedule.Runner{Replica: "a", Now: clk.Now, Handlers: map[string]schedule.Handler{"expire": effect("a")}})
	testenv.Eventually(t, "job 2 done", func() bool { return d.job(t, "expire", "2").State == "done" })
	clk.polled(t, 5)
	if r := d.job(t, "expire", "1"); r.State != "pending" {
		t.Fatalf("ran before its moved time: %+v", r)
	}
	clk.Set(t0.Add(24 * time.Hour))
	testenv.Eventually(t, "job 1 done", func() bool { return d.job(t, "expire", "1").State == "done" })
	if n := d.count(t, `SELECT count(*) FROM effects WHERE key = '1'`); n != 1 {
		t.Fatalf("%d effects", n)
	}
}

// The store sends a transaction's writes as one batch; scheduling and
// cancelling join it.
func TestQueuedInABatch(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	d.schedule(t, "review_reminder", "7", t0, nil)
	b := &pgx.Batch{}
	if err := schedule.QueueSchedule(b, "review_reminder", "6", t0, "batched"); err != nil {
		t.Fatal(err)
	}
	schedule.QueueCancel(b, "review_reminder", "7")
	if err := schedule.QueueSchedule(b, "", "8", t0, nil); err == nil {
		t.Fatal("a job without a kind was queued")
	}
	err := pgx.BeginFunc(ctx, d.app, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		t.Fatal(err)
	}
	if r := d.job(t, "review_reminder", "6"); r.State != "pending" || r.Payload != `"batched"` {
		t.Fatalf("batched job: %+v", r)
	}
	if r := d.job(t, "review_reminder", "7"); r.State != "cancelled" {
		t.Fatalf("batched cancel: %+v", r)
	}
}

func TestReplicasActOnce(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	const jobs = 200
	for _, name := range []string{"a", "b"} {
		start(t, d, &schedule.Runner{Replica: name, Handlers: map[string]schedule.Handler{
			"notify_digest": func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
				time.Sleep(time.Millisecond) // lets the replicas interleave
				return effect(name)(ctx, tx, j)
			},
		}})
	}
	err := pgx.BeginFunc(ctx, d.app, func(tx pgx.Tx) error {
		for i := range jobs {
			if err := schedule.Schedule(ctx, tx, "notify_digest", strconv.Itoa(i), time.Now().Add(-time.Second), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "every job done", func() bool {
		return d.count(t, `SELECT count(*) FROM scheduled_jobs WHERE state = 'done'`) == jobs
	})
	if n := d.count(t, `SELECT count(DISTINCT key) FROM effects`); n != jobs {
		t.Fatalf("%d effects for %d jobs", n, jobs)
	}
	// A second run would have hit the effect's primary key and recorded
	// the error; every job ran on its first claim.
	if n := d.count(t, `SELECT count(*) FROM scheduled_jobs WHERE attempts <> 1 OR last_error <> ''`); n != 0 {
		t.Fatalf("%d jobs were run more than once", n)
	}
	for _, name := range []string{"a", "b"} {
		if n := d.count(t, `SELECT count(*) FROM effects WHERE replica = $1`, name); n == 0 {
			t.Errorf("replica %s ran no job", name)
		} else {
			t.Logf("replica %s ran %d jobs", name, n)
		}
	}
}

func TestPanickingHandlerIsRetriedAndActsOnce(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	clk := newClock(t0)
	for _, name := range []string{"a", "b"} {
		start(t, d, &schedule.Runner{Replica: name, Now: clk.Now, Handlers: map[string]schedule.Handler{
			"expire": func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
				if err := effect(name)(ctx, tx, j); err != nil {
					return err
				}
				if j.Attempt == 1 {
					panic("boom")
				}
				return nil
			},
		}})
	}
	d.schedule(t, "expire", "9", t0, nil)
	testenv.Eventually(t, "the first attempt's failure", func() bool {
		return d.job(t, "expire", "9").Attempts == 1 && d.job(t, "expire", "9").State == "pending"
	})
	r := d.job(t, "expire", "9")
	if !strings.Contains(r.LastError, "panic: boom") || !r.Due.Equal(t0.Add(schedule.DefaultBackoff(1))) {
		t.Fatalf("after the panic: %+v", r)
	}
	if n := d.count(t, `SELECT count(*) FROM effects`); n != 0 {
		t.Fatal("the panicking attempt's effect was committed")
	}
	clk.Add(schedule.DefaultBackoff(1))
	testenv.Eventually(t, "the retry done", func() bool { return d.job(t, "expire", "9").State == "done" })
	if n := d.count(t, `SELECT count(*) FROM effects WHERE attempt = 2`); n != 1 || d.count(t, `SELECT count(*) FROM effects`) != 1 {
		t.Fatalf("effects after the retry: %d", n)
	}
}

func TestRunnerStoppedMidRunIsRetriedAfterItsLease(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	clk := newClock(t0)
	const lease = time.Minute
	started := make(chan struct{})
	handler := func(name string) schedule.Handler {
		return func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
			if err := effect(name)(ctx, tx, j); err != nil {
				return err
			}
			if name == "a" { // dies here, its effect written but not committed
				close(started)
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}
	}
	stopA := start(t, d, &schedule.Runner{Replica: "a", Lease: lease, Now: clk.Now, Handlers: map[string]schedule.Handler{"expire": handler("a")}})
	d.schedule(t, "expire", "3", t0, nil)
	reached(t, started, "the handler of a")
	stopA()
	r := d.job(t, "expire", "3")
	if r.State != "running" || r.ClaimedBy != "a" || r.Attempts != 1 || d.count(t, `SELECT count(*) FROM effects`) != 0 {
		t.Fatalf("after a stopped mid-run: %+v", r)
	}

	start(t, d, &schedule.Runner{Replica: "b", Lease: lease, Now: clk.Now, Handlers: map[string]schedule.Handler{"expire": handler("b")}})
	clk.Set(t0.Add(lease - time.Microsecond))
	clk.polled(t, 5)
	if r := d.job(t, "expire", "3"); r.ClaimedBy != "a" || r.State != "running" {
		t.Fatalf("taken over before the lease ran out: %+v", r)
	}
	clk.Set(t0.Add(lease))
	testenv.Eventually(t, "b finishing the job", func() bool { return d.job(t, "expire", "3").State == "done" })
	r = d.job(t, "expire", "3")
	if r.Attempts != 2 || r.ClaimedBy != "b" || !strings.Contains(r.LastError, "lease of a ran out") {
		t.Fatalf("after b: %+v", r)
	}
	if n := d.count(t, `SELECT count(*) FROM effects WHERE replica = 'b' AND attempt = 2`); n != 1 || d.count(t, `SELECT count(*) FROM effects`) != 1 {
		t.Fatal("the effect did not happen exactly once")
	}
}

func TestFailingJobBacksOffThenFails(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	clk := newClock(t0)
	start(t, d, &schedule.Runner{Replica: "a", Now: clk.Now, MaxAttempts: 3, Handlers: map[string]schedule.Handler{
		"review_reminder": func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
			if err := effect("a")(ctx, tx, j); err != nil {
				return err
			}
			return errors.New("mail server down")
		},
	}})
	d.schedule(t, "review_reminder", "5", t0, map[string]string{"to": "张三"})
	due := t0
	for attempt := 1; attempt < 3; attempt++ {
		testenv.Eventually(t, "attempt "+strconv.Itoa(attempt)+" failing", func() bool { return d.job(t, "review_reminder", "5").Attempts == attempt })
		testenv.Eventually(t, "the failure recorded", func() bool { return d.job(t, "review_reminder", "5").State == "pending" })
		due = due.Add(schedule.DefaultBackoff(attempt))
		if r := d.job(t, "review_reminder", "5"); !r.Due.Equal(due) || r.LastError != "mail server down" {
			t.Fatalf("after attempt %d: %+v, want due %s", attempt, r, due)
		}
		clk.Set(due.Add(-time.Microsecond))
		clk.polled(t, 5)
		if r := d.job(t, "review_reminder", "5"); r.Attempts != attempt {
			t.Fatalf("retried before its backoff: %+v", r)
		}
		clk.Set(due)
	}
	testenv.Eventually(t, "the job failed", func() bool { return d.job(t, "review_reminder", "5").State == "failed" })
	if r := d.job(t, "review_reminder", "5"); r.Attempts != 3 || !r.Done || r.LastError != "mail server down" {
		t.Fatalf("failed job: %+v", r)
	}
	if n := d.count(t, `SELECT count(*) FROM effects`); n != 0 {
		t.Fatal("a failed attempt's effect was committed")
	}
	failed, err := schedule.Failed(ctx, d.app, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].Key != "5" || failed[0].Attempt != 3 || failed[0].LastError != "mail server down" || string(failed[0].Payload) != `{"to": "张三"}` {
		t.Fatalf("Failed: %+v", failed)
	}
	// Scheduling it again is a fresh job.
	d.schedule(t, "review_reminder", "5", clk.Now().Add(time.Hour), failed[0].Payload)
	if r := d.job(t, "review_reminder", "5"); r.ID == failed[0].ID || r.State != "pending" || r.Attempts != 0 {
		t.Fatalf("rescheduled: %+v", r)
	}
}

func TestCancelPreventsTheRun(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	clk := newClock(t0)
	d.schedule(t, "publish_at", "1", t0, nil)
	d.schedule(t, "publish_at", "2", t0, nil)
	d.schedule(t, "publish_at", "3", t0, nil)
	// Job 3 was claimed by a replica that died before its run began.
	d.exec(t, `UPDATE scheduled_jobs SET state = 'running', attempts = 1, claimed_by = 'dead', claimed_until = $1 WHERE key = '3'`, t0.Add(time.Minute))
	err := pgx.BeginFunc(ctx, d.app, func(tx pgx.Tx) error { return schedule.Cancel(ctx, tx, "publish_at", "1") })
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"3", "nothing"} {
		if err := schedule.Cancel(ctx, d.app, "publish_at", key); err != nil {
			t.Fatal(err)
		}
	}
	start(t, d, &schedule.Runner{Replica: "a", Now: clk.Now, Handlers: map[string]schedule.Handler{"publish_at": effect("a")}})
	testenv.Eventually(t, "job 2 done", func() bool { return d.job(t, "publish_at", "2").State == "done" })
	clk.Add(time.Hour) // past job 3's lease
	clk.polled(t, 5)
	for _, key := range []string{"1", "3"} {
		if r := d.job(t, "publish_at", key); r.State != "cancelled" || !r.Done {
			t.Fatalf("job %s: %+v", key, r)
		}
	}
	if n := d.count(t, `SELECT count(*) FROM effects`); n != 1 {
		t.Fatalf("%d effects, want job 2's alone", n)
	}
}

// Claims left by dead replicas: one out of attempts fails, one scheduled
// again while it ran gives way to the newer job.
func TestLeftClaims(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	clk := newClock(t0)
	d.schedule(t, "expire", "poison", t0.Add(-time.Hour), nil)
	d.schedule(t, "expire", "old", t0.Add(-time.Hour), "old")
	d.exec(t, `UPDATE scheduled_jobs SET state = 'running', attempts = 3, claimed_by = 'dead', claimed_until = $1`, t0)
	// Scheduled again while its run was under way, which Schedule cannot stop.
	d.exec(t, `INSERT INTO scheduled_jobs (kind, key, due_at, payload) VALUES ('expire', 'old', $1, '"new"')`, t0)
	start(t, d, &schedule.Runner{Replica: "a", Now: clk.Now, MaxAttempts: 3, Handlers: map[string]schedule.Handler{"expire": effect("a")}})
	testenv.Eventually(t, "the newer job done", func() bool { return d.job(t, "expire", "old").State == "done" })
	testenv.Eventually(t, "the poison job failed", func() bool { return d.job(t, "expire", "poison").State == "failed" })
	if r := d.job(t, "expire", "poison"); r.Attempts != 3 || !strings.Contains(r.LastError, "lease of dead ran out") {
		t.Fatalf("poison: %+v", r)
	}
	if n := d.count(t, `SELECT count(*) FROM scheduled_jobs WHERE key = 'old' AND state = 'cancelled' AND last_error LIKE '%after the lease of dead ran out'`); n != 1 {
		t.Fatal("the superseded claim was not cancelled")
	}
	if n := d.count(t, `SELECT count(*) FROM effects e JOIN scheduled_jobs j ON j.id = e.job WHERE j.payload = '"new"'`); n != 1 || d.count(t, `SELECT count(*) FROM effects`) != 1 {
		t.Fatal("want the newer job's effect alone")
	}
}

// A handler holds its job's row while it runs, and often locks its subject
// too. A transaction that locked the subject and schedules the job again
// must not wait for the handler: each would wait for the other. The new job
// then waits for the run under way, even on another replica.
func TestSchedulingNeverWaitsForARun(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	ctx := context.Background()
	clk := newClock(t0)
	d.exec(t, `INSERT INTO subjects (key) VALUES ('4')`)
	running, proceed, finish := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var (
		mu       sync.Mutex
		payloads []string
		inFlight int
		overlap  bool
	)
	handler := func(name string) schedule.Handler {
		return func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
			var p string
			_ = json.Unmarshal(j.Payload, &p)
			mu.Lock()
			payloads = append(payloads, p)
			inFlight++
			overlap = overlap || inFlight > 1
			mu.Unlock()
			defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
			if p == "old" {
				close(running)
				if err := wait(ctx, proceed); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, `UPDATE subjects SET n = n + 1 WHERE key = $1`, j.Key); err != nil {
				return err
			}
			if p == "old" {
				if err := wait(ctx, finish); err != nil {
					return err
				}
			}
			return effect(name)(ctx, tx, j)
		}
	}
	for _, name := range []string{"a", "b"} {
		start(t, d, &schedule.Runner{Replica: name, Now: clk.Now, Handlers: map[string]schedule.Handler{"expire": handler(name)}})
	}
	d.schedule(t, "expire", "4", t0, "old")
	reached(t, running, "the old job's handler")

	tx, err := d.app.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `UPDATE subjects SET n = n + 1 WHERE key = '4'`); err != nil {
		t.Fatal(err)
	}
	close(proceed) // the handler goes on to wait for tx's lock on the subject
	quick, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := schedule.Schedule(quick, tx, "expire", "4", t0, "new"); err != nil {
		t.Fatalf("scheduling while a run holds the job: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// The new job is due, but the old one is still under way.
	clk.polled(t, 10)
	if r := d.job(t, "expire", "4"); r.State != "pending" || r.Payload != `"new"` {
		t.Fatalf("the new job while the old one runs: %+v", r)
	}
	close(finish)
	testenv.Eventually(t, "both runs done", func() bool {
		return d.count(t, `SELECT count(*) FROM scheduled_jobs WHERE state = 'done'`) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(payloads, ",") != "old,new" || overlap || d.count(t, `SELECT n FROM subjects`) != 3 || d.count(t, `SELECT count(*) FROM effects`) != 2 {
		t.Fatalf("runs %v (overlapping: %v), subject n %d", payloads, overlap, d.count(t, `SELECT n FROM subjects`))
	}
}

// reached waits for the handler to signal on ch.
func reached(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
	}
}

// wait waits for ch to close, or for the runner to stop if the test failed.
func wait(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestDefaultBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{0: 10 * time.Second, 1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second,
		9: 2560 * time.Second, 10: time.Hour, 11: time.Hour, 1 << 40: time.Hour} {
		if got := schedule.DefaultBackoff(attempt); got != want {
			t.Errorf("DefaultBackoff(%d) = %s, want %s", attempt, got, want)
		}
	}
}

func TestRunnerRefusesAMisconfiguration(t *testing.T) {
	d := newDB(t)
	for _, r := range []*schedule.Runner{
		{Handlers: map[string]schedule.Handler{"expire": effect("a")}},
		{Pool: d.app},
		{Pool: d.app, Handlers: map[string]schedule.Handler{"expire": nil}},
	} {
		if err := r.Run(context.Background()); err == nil {
			t.Errorf("%+v ran", r)
		}
	}
}
