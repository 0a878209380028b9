package schedule_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sanshen-gov/sanshen/internal/schedule"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// db is a fresh database: owner migrated it and reads what happened; app is
// the services' role, which schedules and runs the jobs, so the tests
// exercise its grants too. effects holds each job's effect: its primary key
// makes a second effect of a job fail, and a failure is recorded.
type db struct {
	owner, app *pgxpool.Pool
	appURL     string
}

func newDB(t *testing.T) *db {
	t.Helper()
	u := testenv.DatabaseURL(t)
	appURL, err := store.AppURL(u, store.DefaultAppRole, "")
	if err != nil {
		t.Fatal(err)
	}
	d := &db{owner: connect(t, u), app: connect(t, appURL), appURL: appURL}
	d.exec(t, `CREATE TABLE effects (job bigint PRIMARY KEY, key text NOT NULL, attempt int NOT NULL, replica text NOT NULL);
		CREATE TABLE subjects (key text PRIMARY KEY, n int NOT NULL DEFAULT 0);
		GRANT SELECT, INSERT, UPDATE ON effects, subjects TO `+store.DefaultAppRole)
	return d
}

func connect(t testing.TB, u string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), u)
	if err == nil {
		err = p.Ping(context.Background())
	}
	if err != nil {
		t.Fatalf("connecting to %s: %v", u, err)
	}
	t.Cleanup(p.Close)
	return p
}

func (d *db) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := d.owner.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (d *db) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := d.owner.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (d *db) schedule(t testing.TB, kind, key string, due time.Time, payload any) {
	t.Helper()
	if err := schedule.Schedule(context.Background(), d.app, kind, key, due, payload); err != nil {
		t.Fatal(err)
	}
}

// row is a job's row as the table holds it.
type row struct {
	ID        int64
	State     string
	Attempts  int
	Due       time.Time
	Payload   string
	LastError string
	ClaimedBy string
	Done      bool
}

// job is the latest job of kind for key.
func (d *db) job(t testing.TB, kind, key string) row {
	t.Helper()
	var r row
	err := d.owner.QueryRow(context.Background(), `SELECT id, state, attempts, due_at, payload::text, last_error, claimed_by, done_at IS NOT NULL
		FROM scheduled_jobs WHERE kind = $1 AND key = $2 ORDER BY id DESC LIMIT 1`, kind, key).
		Scan(&r.ID, &r.State, &r.Attempts, &r.Due, &r.Payload, &r.LastError, &r.ClaimedBy, &r.Done)
	if err != nil {
		t.Fatalf("the %s job of %s: %v", kind, key, err)
	}
	return r
}

// effect records the job's effect in the handler's transaction.
func effect(replica string) schedule.Handler {
	return func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
		_, err := tx.Exec(ctx, `INSERT INTO effects (job, key, attempt, replica) VALUES ($1, $2, $3, $4)`, j.ID, j.Key, j.Attempt, replica)
		return err
	}
}

// clock is a controlled clock that counts its reads: each poll of a runner
// reads it, so a test can wait for polls instead of sleeping.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	reads int
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Add(d time.Duration) { c.Set(c.peek().Add(d)) }

func (c *clock) peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// polled waits until the clock was read n more times: every running runner
// has had its chance to claim at the current time.
func (c *clock) polled(t testing.TB, n int) {
	t.Helper()
	c.mu.Lock()
	want := c.reads + n
	c.mu.Unlock()
	testenv.Eventually(t, "runners polling", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.reads >= want
	})
}

// start runs r until the test ends or the returned stop is called; stop
// waits for Run to return.
func start(t testing.TB, d *db, r *schedule.Runner) (stop func()) {
	t.Helper()
	r.Pool = d.app
	if r.Poll == 0 {
		r.Poll = 5 * time.Millisecond
	}
	r.Log = testenv.Logger(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("runner %s: %v", r.Replica, err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// t0 is a time in Beijing, where the office keeps its dates.
var t0 = time.Date(2025, 9, 25, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
