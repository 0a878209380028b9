package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/sanshen-gov/sanshen/internal/bus"
)

// The kinds of fault, in the order the report lists them.
const (
	faultService   = "kill -9 a service process"
	faultNode      = "kill -9 a NATS node"
	faultLeader    = "kill -9 the stream's leader"
	faultPartition = "partition a NATS node"
	faultPGCrash   = "kill -9 PostgreSQL (crash recovery)"
	faultFailover  = "PostgreSQL failover to the standby"
	faultDiskFull  = "JetStream store full (max_file_store)"
)

var faultKinds = []string{faultService, faultNode, faultLeader, faultPartition, faultPGCrash, faultFailover, faultDiskFull}

// plan is the faults of the run, shuffled: failovers as asked, and the
// rest spread over the other kinds (half of them service kills).
func (s *suite) plan() []string {
	n, f := s.o.faults, s.o.failovers
	var out []string
	for range f {
		out = append(out, faultFailover)
	}
	rest := n - f
	others := []string{faultNode, faultLeader, faultPartition, faultPGCrash, faultDiskFull}
	each := max(rest/(2*len(others)), 1)
	for _, k := range others {
		for range each {
			if len(out) < n {
				out = append(out, k)
			}
		}
	}
	for len(out) < n {
		out = append(out, faultService)
	}
	s.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// inject makes one fault and waits until the system has recovered from it.
func (s *suite) inject(ctx context.Context, kind string) error {
	t := s.faults[kind]
	if t == nil {
		t = &tally{}
		s.faults[kind] = t
	}
	t.injected++
	var what string
	var err error
	switch kind {
	case faultService:
		// An api killed mid-request leaves its Idempotency-Key claimed: the
		// client's retries are answered 409 until the process's lease
		// lapses (store.LeaseLost, 4 s), then one takes the key over.
		p := s.services[s.rng.IntN(len(s.services))]
		what = p.name
		p.kill9()
		err = p.waitReady(ctx, 90*time.Second)
	case faultNode, faultLeader:
		i := s.rng.IntN(len(s.nats.nodes))
		if kind == faultLeader {
			// The stream may be between leaders (an election after the
			// last fault): the leader is the one elected next.
			for wait := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
				if i, err = s.nats.leader(ctx, bus.StreamName); err == nil || time.Now().After(wait) {
					break
				}
			}
			if err != nil {
				return fmt.Errorf("finding the stream's leader: %w", err)
			}
		}
		what = s.nats.names[i]
		p := s.nats.nodes[i]
		p.hold()
		time.Sleep(time.Duration(1000+s.rng.IntN(3000)) * time.Millisecond)
		if err = p.release(); err == nil {
			err = s.waitStream(ctx)
		}
	case faultPartition:
		i := s.rng.IntN(len(s.nats.nodes))
		what = s.nats.names[i]
		s.nats.partition(i, true)
		time.Sleep(time.Duration(3000+s.rng.IntN(5000)) * time.Millisecond)
		s.nats.partition(i, false)
		err = s.waitStream(ctx)
	case faultPGCrash:
		what = s.pg.prime.name
		err = s.pg.crash(ctx, time.Duration(200+s.rng.IntN(1500))*time.Millisecond)
	case faultDiskFull:
		var peak int64
		peak, err = s.diskFull(ctx)
		what = fmt.Sprintf("%d rows held back", peak)
		s.heldBack = max(s.heldBack, peak)
	case faultFailover:
		from := s.pg.prime.name
		s.failoverAt = append(s.failoverAt, time.Now())
		if err = s.pg.failover(ctx); err == nil {
			what = from + " → " + s.pg.prime.name
			// The old primary is gone; a new standby is made from the new one.
			err = s.pg.addStandby(ctx)
		}
	}
	if err != nil {
		return fmt.Errorf("%s (%s): %w", kind, what, err)
	}
	t.recovered++
	s.step("fault %-38s %-24s recovered", kind, what)
	return nil
}

// waitStream waits until the work stream has a leader and three current replicas.
func (s *suite) waitStream(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	var err error
	for time.Now().Before(deadline) {
		if err = s.nats.healthy(ctx, bus.StreamName, 3); err == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("the work stream did not recover: %w", err)
}

// shares counts each replica's work from its metrics, scraped while it
// runs (a restarted process starts its counters again from zero).
type shares struct {
	procs []*proc
	last  map[shareKey]float64
	total map[shareKey]float64
}

// shareKey is one process's count of one kind of work.
type shareKey struct {
	p      *proc
	metric string
}

// workMetrics are what counts as work for each kind of service: for the
// relay, relaying the trail and, beside it, the notifications' dispatch.
func workMetrics(kind string) []string {
	switch kind {
	case "api":
		return []string{"sanshen_http_requests_total"}
	case "relay":
		return []string{"sanshen_audit_sequenced_total", "sanshen_notification_deliveries_total"}
	}
	return []string{"sanshen_worker_messages_total"}
}

func newShares(ps []*proc) *shares {
	return &shares{procs: ps, last: map[shareKey]float64{}, total: map[shareKey]float64{}}
}

func (sh *shares) scrape(ctx context.Context) {
	for _, p := range sh.procs {
		for _, m := range workMetrics(p.kind) {
			v, err := scrapeSum(ctx, "http://"+p.metrics+"/metrics", m)
			if err != nil {
				continue
			}
			k := shareKey{p, m}
			last := sh.last[k]
			if v < last { // restarted
				last = 0
			}
			sh.total[k] += v - last
			sh.last[k] = v
		}
	}
}

func (sh *shares) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		sh.scrape(ctx)
	}
}

// report prints each replica's share of its kind's work.
func (sh *shares) report(s *suite) {
	byKind := map[string][]*proc{}
	var kinds []string
	for _, p := range sh.procs {
		if byKind[p.kind] == nil {
			kinds = append(kinds, p.kind)
		}
		byKind[p.kind] = append(byKind[p.kind], p)
	}
	sort.Strings(kinds)
	fmt.Fprintln(s.out, "\nshare of the work per replica (counted from each process's metrics):")
	for _, k := range kinds {
		for _, m := range workMetrics(k) {
			var sum float64
			for _, p := range byKind[k] {
				sum += sh.total[shareKey{p, m}]
			}
			line := fmt.Sprintf("  %-28s", k+" ("+m+")")
			for _, p := range byKind[k] {
				pct := 0.0
				if sum > 0 {
					pct = 100 * sh.total[shareKey{p, m}] / sum
				}
				line += fmt.Sprintf("  %s %.0f (%.0f%%)", p.name, sh.total[shareKey{p, m}], pct)
			}
			fmt.Fprintln(s.out, line)
		}
	}
}

func scrapeSum(ctx context.Context, u, metric string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	return sumMetric(res.Body, metric)
}

// diskFull fills the JetStream store of every node to its bound
// (max_file_store) with a stream of another user's, as a disk that fills
// up would, keeps it full for a while, then frees it. While it is full,
// publishing the outbox fails: submissions and decisions are still
// answered (their outbox rows wait in PostgreSQL) and the relay sends the
// rows once there is room. It returns the most rows seen waiting.
func (s *suite) diskFull(ctx context.Context) (int64, error) {
	if err := s.nats.fill(ctx); err != nil {
		return 0, err
	}
	var peak int64
	for end := time.Now().Add(time.Duration(5+s.rng.IntN(6)) * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		var n int64
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&n); err == nil {
			peak = max(peak, n)
		}
	}
	if err := s.nats.free(ctx); err != nil {
		return peak, err
	}
	// Back-pressure clears: every row waiting is sent.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var n int64
		err := s.db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NULL AND created_at < now() - interval '10 seconds'`).Scan(&n)
		if err == nil && n == 0 {
			return peak, nil
		}
		if time.Now().After(deadline) {
			return peak, fmt.Errorf("%d outbox rows still unsent two minutes after the store was freed (err %v)", n, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
