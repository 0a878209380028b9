package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// PgbenchResult is the PostgreSQL ceiling: pgbench -N against the same
// server. -N is TPC-B-like without the contended branch and teller updates:
// each transaction updates one account row, reads it back and inserts a
// history row, then commits — a small write transaction with one WAL flush,
// which is what a pipeline transition is too.
type PgbenchResult struct {
	TPS              float64 `json:"tps,omitempty"`
	LatencyAverageMS float64 `json:"latency_average_ms,omitempty"`
	Clients          int     `json:"clients,omitempty"`
	Seconds          int     `json:"seconds,omitempty"`
	Scale            int     `json:"scale,omitempty"`
	Command          string  `json:"command,omitempty"`
	Skipped          string  `json:"skipped,omitempty"`
}

// JetStreamResult is the JetStream ceiling with the pipeline's stream
// settings: synchronous publishes (each waits for its ack, with a
// Nats-Msg-Id as the relay sends), asynchronous publishes in batches of the
// relay's size, and pull-consume-and-ack of everything published.
type JetStreamResult struct {
	Messages              int     `json:"messages,omitempty"`
	PublishPerSecond      float64 `json:"publish_per_second,omitempty"`
	AsyncPublishPerSecond float64 `json:"async_publish_per_second,omitempty"`
	ConsumePerSecond      float64 `json:"consume_per_second,omitempty"`
	Skipped               string  `json:"skipped,omitempty"`
}

// pgbenchDatabase is the scratch database pgbench initialises and uses.
const pgbenchDatabase = "sanshen_pgbench"

// findPgbench looks on PATH, then where Debian installs the server's tools.
func findPgbench() (string, error) {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(ms) == 0 {
		return "", errors.New("pgbench not found on PATH or under /usr/lib/postgresql/*/bin; install it " +
			"(Debian: apt-get install postgresql-15 or postgresql-contrib, which ship pgbench) and run the bench again")
	}
	sort.Strings(ms)
	return ms[len(ms)-1], nil
}

var (
	reTPS     = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	reLatency = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
)

// runPgbench measures pgbench -N on a scratch database of the same server.
// Anything that keeps it from running is reported as Skipped, never
// replaced by a guess.
func runPgbench(ctx context.Context, server string, o Options, log *slog.Logger) PgbenchResult {
	res := PgbenchResult{Clients: o.Clients, Seconds: o.PgbenchSeconds, Scale: o.PgbenchScale}
	bin, err := findPgbench()
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	u, err := withDatabase(server, pgbenchDatabase)
	if err != nil {
		res.Skipped = err.Error()
		return res
	}
	u = stripPoolParams(u)
	if err := store.EnsureDatabase(ctx, u); err != nil {
		res.Skipped = fmt.Sprintf("could not create %s: %v", pgbenchDatabase, err)
		return res
	}
	if !o.Keep {
		defer func() {
			if err := dropDatabase(context.WithoutCancel(ctx), server, pgbenchDatabase); err != nil {
				log.Warn("could not drop the pgbench database", "err", err)
			}
		}()
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "bench: pgbench -i -s %d, then -N -c %d -j 2 -T %d\n", o.PgbenchScale, o.Clients, o.PgbenchSeconds)
	}
	if _, err := pgbench(ctx, bin, "-i", "-q", "-s", strconv.Itoa(o.PgbenchScale), u); err != nil {
		res.Skipped = fmt.Sprintf("pgbench -i failed: %v", err)
		return res
	}
	args := []string{"-N", "-c", strconv.Itoa(o.Clients), "-j", "2", "-T", strconv.Itoa(o.PgbenchSeconds)}
	res.Command = "pgbench " + strings.Join(args, " ") + " " + pgbenchDatabase
	out, err := pgbench(ctx, bin, append(args, u)...)
	if err != nil {
		res.Skipped = fmt.Sprintf("pgbench -N failed: %v", err)
		return res
	}
	m := reTPS.FindSubmatch(out)
	if m == nil {
		res.Skipped = "could not read tps from pgbench's output: " + string(out)
		return res
	}
	res.TPS, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := reLatency.FindSubmatch(out); m != nil {
		res.LatencyAverageMS, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	return res
}

func pgbench(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// relayBatch is the relay's default batch (services/relay: BatchSize).
const relayBatch = 256

// runJetStream measures JetStream on a fresh embedded server in a temp dir,
// with the stream and consumers exactly as bus.Declare makes them for the
// pipeline. Messages look like the pipeline's work messages.
func runJetStream(ctx context.Context, n, maxDeliver int) JetStreamResult {
	res, err := jetStreamCeiling(ctx, n, maxDeliver)
	if err != nil {
		res.Skipped = err.Error()
	}
	return res
}

func jetStreamCeiling(ctx context.Context, n, maxDeliver int) (JetStreamResult, error) {
	res := JetStreamResult{Messages: n}
	if n < 1 {
		return res, errors.New("no messages asked for (-js-n)")
	}
	dir, err := os.MkdirTemp("", "sanshen-bench-js-")
	if err != nil {
		return res, fmt.Errorf("error creating a temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	e, err := bus.StartEmbedded(dir, "")
	if err != nil {
		return res, err
	}
	defer e.Shutdown()
	nc, err := e.Connect()
	if err != nil {
		return res, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return res, fmt.Errorf("error opening JetStream: %w", err)
	}
	if err := bus.Declare(ctx, js, bus.Options{MaxDeliver: maxDeliver}); err != nil {
		return res, err
	}
	subject := work.StageSubject("completeness")
	msg := func(i int) *nats.Msg {
		m := nats.NewMsg(subject)
		m.Data = fmt.Appendf(nil, `{"draft_id":%d,"revision":1,"state":"completeness"}`, i+1)
		m.Header.Set(jetstream.MsgIDHeader, strconv.Itoa(i+1))
		return m
	}

	start := time.Now()
	for i := range n {
		if _, err := js.PublishMsg(ctx, msg(i)); err != nil {
			return res, fmt.Errorf("error publishing: %w", err)
		}
	}
	res.PublishPerSecond = float64(n) / time.Since(start).Seconds()

	start = time.Now()
	for i := 0; i < n; i += relayBatch {
		futures := make([]jetstream.PubAckFuture, 0, relayBatch)
		for j := i; j < min(i+relayBatch, n); j++ {
			f, err := js.PublishMsgAsync(msg(n + j))
			if err != nil {
				return res, fmt.Errorf("error publishing: %w", err)
			}
			futures = append(futures, f)
		}
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return res, fmt.Errorf("error publishing: %w", err)
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
	}
	res.AsyncPublishPerSecond = float64(n) / time.Since(start).Seconds()

	cons, err := js.Consumer(ctx, bus.StreamName, bus.ConsumerName(subject))
	if err != nil {
		return res, fmt.Errorf("error opening the consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(relayBatch))
	if err != nil {
		return res, fmt.Errorf("error consuming: %w", err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	start = time.Now()
	for range 2 * n {
		m, err := it.Next()
		if err != nil {
			return res, fmt.Errorf("error consuming: %w", err)
		}
		if err := m.Ack(); err != nil {
			return res, fmt.Errorf("error acking: %w", err)
		}
	}
	res.ConsumePerSecond = float64(2*n) / time.Since(start).Seconds()
	return res, nil
}
