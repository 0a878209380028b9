package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sanshen-gov/sanshen/internal/audit"
)

// drive runs the office and the faults together, waits for every accepted
// draft to be published, and checks the outcome.
func (s *suite) drive(ctx context.Context) (bool, error) {
	officer, head, sec, err := s.cast(ctx)
	if err != nil {
		return false, fmt.Errorf("adding the office's people: %w", err)
	}
	c := &client{http: &http.Client{Timeout: 5 * time.Second}, run: strconv.FormatInt(time.Now().UnixNano(), 36)}
	for _, p := range s.services {
		if p.base != "" {
			c.apis = append(c.apis, p.base)
		}
	}
	d := newDriver(c, officer, head, sec)
	d.scheduleAhead = min(s.o.drive/4, 2*time.Minute)
	db, err := pgxpool.New(ctx, s.ownerURL)
	if err != nil {
		return false, err
	}
	defer db.Close()
	s.db = db

	reviewCtx, stopReview := context.WithCancel(ctx)
	defer stopReview()
	var reviewers sync.WaitGroup
	for stage, tok := range map[string]string{"compliance": head, "confidentiality": sec} {
		reviewers.Add(1)
		go func() {
			defer reviewers.Done()
			d.review(reviewCtx, stage, stageNumber(stage), tok, 4)
		}()
	}
	go s.shares.run(reviewCtx)
	go d.reviseReturned(reviewCtx)

	s.step("driving %d drafts over %s while injecting %d faults", s.o.drafts, s.o.drive, s.o.faults)
	begun := time.Now()
	submitted := make(chan struct{})
	go func() {
		d.submit(ctx, s.o.drafts, s.o.concurrency, s.o.drive*9/10)
		close(submitted)
	}()
	var faultErrs []string
	plan := s.plan()
	every := s.o.drive / time.Duration(len(plan)+1)
	for i, kind := range plan {
		next := begun.Add(time.Duration(i+1) * every)
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(time.Until(next)):
		}
		if s.o.restore && i == len(plan)*2/3 {
			if err := s.takeBackup(ctx); err != nil {
				return false, err
			}
		}
		if err := s.inject(ctx, kind); err != nil {
			s.step("FAULT NOT RECOVERED: %v", err)
			faultErrs = append(faultErrs, err.Error())
		}
	}
	<-submitted
	s.step("all %d drafts answered; waiting for the pipeline to publish them", d.submitted.Load())
	ids := d.ids()
	deadline := time.Now().Add(5 * time.Minute)
	var published int
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if err := db.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE id = ANY($1) AND state = 'published'`, ids).Scan(&published); err == nil && published >= len(ids)-len(d.lostIDs()) {
			break
		}
		time.Sleep(time.Second)
	}
	stopReview()
	reviewers.Wait()
	s.shares.scrape(ctx)
	s.step("%d of %d accepted drafts published", published, len(ids))
	ok, err := s.check(ctx, db, d, ids, published, faultErrs)
	if err != nil || !s.o.restore {
		return ok, err
	}
	db.Close()
	restored, err := s.restorePhase(ctx, d)
	return ok && restored, err
}

func (d *driver) lostIDs() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []int64
	for id := range d.lost {
		out = append(out, id)
	}
	return out
}

// check holds the end state to the invariants and prints the report.
func (s *suite) check(ctx context.Context, db *pgxpool.Pool, d *driver, ids []int64, published int, faultErrs []string) (bool, error) {
	c := &checker{ctx: ctx, db: db}
	failf, count := c.failf, c.count
	for _, e := range faultErrs {
		failf("a fault was not recovered from: %s", e)
	}
	for _, e := range d.unexpected {
		failf("unexpected answer: %s", e)
	}
	// Answers 2xx that the database no longer holds.
	var present []int64
	rows, err := db.Query(ctx, `SELECT id FROM drafts WHERE id = ANY($1)`, ids)
	if err == nil {
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			present = append(present, id)
		}
		rows.Close()
	}
	lostDrafts := len(ids) - len(present)
	// The loss window: how long before a failover an answered submission
	// could still be lost (asynchronous replication only).
	var window time.Duration
	if lostDrafts > 0 {
		in := map[int64]bool{}
		for _, id := range present {
			in[id] = true
		}
		d.mu.Lock()
		for _, id := range ids {
			if in[id] {
				continue
			}
			at := d.acceptedAt[id]
			for _, f := range s.failoverAt {
				if !at.After(f) {
					window = max(window, f.Sub(at))
					break
				}
			}
		}
		d.mu.Unlock()
		if s.o.sync {
			failf("%d submissions answered 201 are not in the database", lostDrafts)
		}
	}
	var lostDecisions int
	d.mu.Lock()
	decided := make([][2]int64, 0, len(d.decided))
	for k := range d.decided {
		decided = append(decided, k)
	}
	d.mu.Unlock()
	have := map[[2]int64]bool{}
	rows, err = db.Query(ctx, `SELECT draft_id, CASE stage WHEN 'compliance' THEN 2 ELSE 3 END FROM decisions WHERE decision = 'approve'`)
	if err == nil {
		for rows.Next() {
			var k [2]int64
			_ = rows.Scan(&k[0], &k[1])
			have[k] = true
		}
		rows.Close()
	}
	for _, k := range decided {
		if !have[k] {
			lostDecisions++
		}
	}
	if lostDecisions > 0 && s.o.sync {
		failf("%d decisions answered 200 are not in the database", lostDecisions)
	}
	if published < len(present) {
		failf("%d accepted drafts were not published", len(present)-published)
	}
	if n := count(`SELECT count(*) FROM drafts`); n != int64(len(present)) {
		failf("the database holds %d drafts for %d submissions answered: a retried submission was taken twice", n, len(ids))
	}
	c.onceEach(present, published)
	d.mu.Lock()
	returnsAnswered := len(d.returned)
	d.mu.Unlock()
	nc := s.checkNotifications(c, returnsAnswered)
	var verify strings.Builder
	if err := s.sanshen(ctx, &verify, []string{"DATABASE_URL=" + s.ownerURL}, "audit", "verify"); err != nil {
		failf("the audit trail does not verify: %v", err)
	}

	// The report.
	o := s.out
	fmt.Fprintf(o, "\nran %s: %d drafts accepted (%d of them scheduled, 定时发布), %d published, %d decisions answered 200, %d stale-decision conflicts, %d client retries (%d timeouts)\n",
		time.Since(s.started).Round(time.Second), len(ids), d.scheduled.Load(), published, len(decided), d.conflicts.Load(), d.c.retries.Load(), d.c.timeouts.Load())
	fmt.Fprintf(o, "  the longest a request waited for its answer, retries included: %s (%d answers 409 idempotency_key_in_flight)\n",
		(time.Duration(d.c.longest.Load()) * time.Millisecond).Round(100*time.Millisecond), d.c.inFlight.Load())
	if len(d.conflictCodes) > 0 {
		fmt.Fprintf(o, "  decisions answered 409, by code: %v (the reviewer reloads and decides again on a new form)\n", d.conflictCodes)
	}
	fmt.Fprintln(o, "\nfaults (injected / recovered):")
	total := 0
	for _, k := range faultKinds {
		if t := s.faults[k]; t != nil {
			fmt.Fprintf(o, "  %-40s %3d / %d\n", k, t.injected, t.recovered)
			total += t.injected
		}
	}
	fmt.Fprintf(o, "  %-40s %3d\n", "all", total)
	fmt.Fprintln(o, "\nexits the suite did not cause (a service that lost its NATS or database for too long exits and is started again):")
	exited := false
	for _, p := range append(append(slices.Clone(s.services), s.nats.nodes...), s.pgProcs()...) {
		p.mu.Lock()
		if p.exits > 0 {
			fmt.Fprintf(o, "  %-28s %d (started %d times)\n", p.name, p.exits, p.starts)
			exited = true
		}
		p.mu.Unlock()
	}
	if !exited {
		fmt.Fprintln(o, "  none")
	}
	s.shares.report(s)
	nc.report(s)
	if s.faults[faultDiskFull] != nil {
		fmt.Fprintf(o, "\nJetStream store full: at most %d outbox rows waited in PostgreSQL until there was room again\n", s.heldBack)
	}
	fmt.Fprintf(o, "\nlosses: %d submissions and %d decisions answered 2xx (synchronous replication %v)\n", lostDrafts, lostDecisions, s.o.sync)
	if lostDrafts > 0 {
		fmt.Fprintf(o, "  loss window: a submission answered up to %s before a failover was lost\n", window.Round(time.Millisecond))
	}
	var res audit.Result
	if err := json.Unmarshal([]byte(verify.String()), &res); err == nil && res.Log != nil {
		fmt.Fprintf(o, "sanshen audit verify: ok %v, %d events in %d chains, the log's %d leaves recomputed against %d signed heads\n",
			res.OK, res.Events, res.Chains, res.Log.Size, res.Log.Heads)
	} else {
		fmt.Fprintf(o, "sanshen audit verify: %s\n", strings.TrimSpace(verify.String()))
	}
	return c.verdict(o, "\nFAILED:", "\nPASS: every accepted draft published exactly once, every return notified once and no robot post twice, no dead letter, no answer lost, the audit trail verifies"), nil
}

// checker collects the failed checks of one verification.
type checker struct {
	ctx   context.Context
	db    *pgxpool.Pool
	fails []string
}

func (c *checker) failf(format string, args ...any) {
	c.fails = append(c.fails, fmt.Sprintf(format, args...))
}

// count runs a query answering one number; an error is a failure.
func (c *checker) count(q string, args ...any) int64 {
	var n int64
	if err := c.db.QueryRow(c.ctx, q, args...).Scan(&n); err != nil {
		c.failf("query %q: %v", q, err)
	}
	return n
}

// verdict prints the failures under failed, or passed, and says which.
func (c *checker) verdict(o io.Writer, failed, passed string) bool {
	if len(c.fails) > 0 {
		fmt.Fprintln(o, failed)
		for _, f := range c.fails {
			fmt.Fprintln(o, "  - "+f)
		}
		return false
	}
	fmt.Fprintln(o, passed)
	return true
}

func (s *suite) pgProcs() []*proc {
	var out []*proc
	for _, n := range s.pg.nodes {
		out = append(out, n.proc)
	}
	return out
}

// sumMetric adds up every sample of a metric in Prometheus's text format.
func sumMetric(r io.Reader, name string) (float64, error) {
	var sum float64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// onceEach checks the drafts' trail and publications: one submit, one pass
// of stage 1, one publication and one delivery to the website per draft;
// two stage checks done; nothing left unknown or failed; no dead letter.
func (c *checker) onceEach(ids []int64, published int) {
	for action, want := range map[string]int{"submit": 1, "published": 1, "channel_delivered": 1} {
		if n := c.count(`SELECT count(*) FROM (SELECT draft_id FROM audit_events WHERE draft_id = ANY($1) AND action = $2
			GROUP BY draft_id HAVING count(*) <> $3) x`, ids, action, want); n > 0 {
			c.failf("%d drafts have a number of %q events other than %d", n, action, want)
		}
	}
	// The machine checks run once per revision: the published revision's
	// every check, a returned revision's at most once each.
	for action, want := range map[string]int{"checks_pass": 1, "checks_done": 2} {
		if n := c.count(`SELECT count(*) FROM (SELECT e.revision, d.published_revision AS pr, count(*) AS n
			FROM audit_events e JOIN drafts d ON d.id = e.draft_id WHERE e.draft_id = ANY($1) AND e.action = $2
			GROUP BY e.draft_id, e.revision, d.published_revision) x WHERE x.n > $3 OR x.revision = x.pr AND x.n <> $3`, ids, action, want); n > 0 {
			c.failf("%d revisions have a number of %q events other than %d", n, action, want)
		}
	}
	if n := c.count(`SELECT count(*) FROM publications WHERE draft_id = ANY($1) AND channel = 'website' AND status = 'delivered'`, ids); n != int64(published) {
		c.failf("%d website publications delivered for %d published drafts", n, published)
	}
	if n := c.count(`SELECT count(*) FROM publications WHERE status IN ('unknown', 'failed', 'sending')`); n > 0 {
		c.failf("%d publications left unknown, failed or sending", n)
	}
	if n := c.count(`SELECT count(*) FROM dead_letters`); n > 0 {
		c.failf("%d dead letters (none was caused on purpose)", n)
	}
}
