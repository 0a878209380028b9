package schedule_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/schedule"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// crashChildEnv, set to the services' database URL, makes this test binary
// the process that gets killed: it runs a Runner whose handler writes its
// effect, says so, and waits for the kill.
const crashChildEnv = "SANSHEN_SCHEDULE_CRASH_CHILD"

const inHandler = "in the handler, waiting for kill -9"

// A runner killed -9 in the middle of a handler: its transaction is gone
// with it, its claim stays until the lease runs out, and then a new runner
// does the work, once.
func TestKilledRunnerIsReplaced(t *testing.T) {
	if u := os.Getenv(crashChildEnv); u != "" {
		crashChild(t, u)
		return
	}
	t.Parallel()
	d := newDB(t)
	const lease = time.Minute
	d.schedule(t, "expire", "8", time.Now().Add(-time.Second), nil)

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledRunnerIsReplaced$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+d.appURL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	said := make(chan bool, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if strings.Contains(lines.Text(), inHandler) {
				said <- true
				return
			}
		}
		said <- false
	}()
	select {
	case ok := <-said:
		if !ok {
			t.Fatal("the child runner exited before reaching its handler")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the child runner never reached its handler")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	r := d.job(t, "expire", "8")
	if r.State != "running" || r.ClaimedBy != "doomed" || r.Attempts != 1 {
		t.Fatalf("after the kill: %+v", r)
	}
	// Its lease has not run out: a new runner leaves the job alone.
	clk := newClock(time.Now())
	start(t, d, &schedule.Runner{Replica: "heir", Lease: lease, Now: clk.Now, Handlers: map[string]schedule.Handler{"expire": effect("heir")}})
	clk.polled(t, 5)
	if r := d.job(t, "expire", "8"); r.ClaimedBy != "doomed" || d.count(t, `SELECT count(*) FROM effects`) != 0 {
		t.Fatalf("before the lease ran out: %+v", r)
	}
	clk.Add(lease)
	testenv.Eventually(t, "the heir finishing the job", func() bool { return d.job(t, "expire", "8").State == "done" })
	if r := d.job(t, "expire", "8"); r.Attempts != 2 || r.ClaimedBy != "heir" {
		t.Fatalf("after the heir: %+v", r)
	}
	if n := d.count(t, `SELECT count(*) FROM effects WHERE replica = 'heir' AND attempt = 2`); n != 1 || d.count(t, `SELECT count(*) FROM effects`) != 1 {
		t.Fatal("the effect did not happen exactly once")
	}
}

// crashChild runs in the re-executed test binary until it is killed.
func crashChild(t *testing.T, appURL string) {
	pool := connect(t, appURL)
	r := &schedule.Runner{Pool: pool, Replica: "doomed", Lease: time.Minute, Poll: 5 * time.Millisecond, Handlers: map[string]schedule.Handler{
		"expire": func(ctx context.Context, tx pgx.Tx, j schedule.Job) error {
			if err := effect("doomed")(ctx, tx, j); err != nil {
				return err
			}
			fmt.Println(inHandler)
			select {} // the kill comes here
		},
	}}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}
