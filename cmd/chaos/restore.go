package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sanshen-gov/sanshen/internal/audit"
)

// takeBackup takes the base backup the restore starts from, mid-run; the
// WAL archived after it is what brings the restore close to the disaster.
func (s *suite) takeBackup(ctx context.Context) error {
	s.backupDir = filepath.Join(s.pg.root, "backup")
	start := time.Now()
	if err := s.pg.baseBackup(ctx, s.backupDir); err != nil {
		return fmt.Errorf("the base backup: %w", err)
	}
	s.backupAt = time.Now()
	s.step("base backup taken (pg_basebackup, %s); WAL archived from now on", time.Since(start).Round(100*time.Millisecond))
	go s.switchWAL(ctx)
	return nil
}

// walSwitchEvery is how often the suite closes the primary's WAL segment
// for the archive, as the operator's timer does (docs/operations.md):
// archive_timeout alone was seen not to (PostgreSQL 15.20, 2026-12-03).
const walSwitchEvery = 10 * time.Second

// switchWAL runs SELECT pg_switch_wal() on the primary every
// walSwitchEvery until the disaster (errors ignored: the primary may be
// down or failing over).
func (s *suite) switchWAL(ctx context.Context) {
	t := time.NewTicker(walSwitchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.disaster:
			return
		case <-t.C:
		}
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		if conn, err := pgx.Connect(c, s.ownerURL); err == nil {
			_, _ = conn.Exec(c, `SELECT pg_switch_wal()`)
			_ = conn.Close(c)
		}
		cancel()
	}
}

// restorePhase is the disaster and the procedure of docs/operations.md:
// the last published tree head is what a witness kept; every PostgreSQL
// server and the JetStream stores are lost; the base backup is restored
// with the archived WAL into a new server, `sanshen audit restore` signs
// the restore head, and the services start again on empty JetStream
// stores. It checks that the in-flight drafts resume and are published
// once, that verification names exactly the leaves lost, and measures the
// RPO and the RTO.
func (s *suite) restorePhase(ctx context.Context, d *driver) (bool, error) {
	// The office at work when the disaster strikes: drafts submitted, five
	// a second, each answered, up to the moment before it.
	n := 50
	if s.o.short {
		n = 25
	}
	s.step("submitting %d more drafts, five a second, up to the disaster", n)
	d.submitFrom(ctx, s.o.drafts, n, 2, time.Duration(n)*200*time.Millisecond)
	// What a witness kept: the newest published head.
	lastFile := filepath.Join(s.dir, "last-published-head.txt")
	last, err := s.fetch(ctx, "/public/transparency/checkpoint")
	if err != nil {
		return false, fmt.Errorf("fetching the last published head: %w", err)
	}
	if err := os.WriteFile(lastFile, last, 0o644); err != nil {
		return false, err
	}
	lk, err := audit.NewLogKey("chaos.test/audit", ed25519.NewKeyFromSeed(s.auditSeed))
	if err != nil {
		return false, err
	}
	head, err := audit.OpenHead(last, lk.VerifierKey)
	if err != nil {
		return false, fmt.Errorf("the published head: %w", err)
	}

	s.step("disaster: every PostgreSQL server and the JetStream stores lost (the last published head, size %d, kept)", head.Size)
	disaster := time.Now()
	close(s.disaster) // the switches stop: the servers are gone
	for _, p := range s.services {
		p.hold()
	}
	s.pg.lose()
	for i, p := range s.nats.nodes {
		p.hold()
		if err := os.RemoveAll(filepath.Join(s.dir, "nats", s.nats.names[i])); err != nil {
			return false, err
		}
	}

	how := "with the archived WAL"
	if !s.o.replayWAL {
		how = "alone (as a daily dump would be)"
	}
	s.step("restoring the base backup of %s ago %s into a new server", disaster.Sub(s.backupAt).Round(time.Second), how)
	if err := s.pg.restore(ctx, s.backupDir, s.o.replayWAL); err != nil {
		return false, err
	}
	db, err := pgxpool.New(ctx, s.ownerURL)
	if err != nil {
		return false, err
	}
	defer db.Close()
	c := &checker{ctx: ctx, db: db}
	failf := c.failf
	var lastCommit time.Time
	if err := db.QueryRow(ctx, `SELECT max(at) FROM audit_events`).Scan(&lastCommit); err != nil {
		return false, err
	}
	// Is the last published head still covered? If the archive held every
	// leaf it signed, it verifies as it is; otherwise it is a break (never
	// a silent fork) until the restore head declares what was lost.
	var leaves int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_leaves`).Scan(&leaves); err != nil {
		return false, err
	}
	covered := leaves >= head.Size
	preErr := s.sanshen(ctx, io.Discard, []string{"DATABASE_URL=" + s.ownerURL}, "audit", "verify", "--checkpoint", lastFile)
	switch {
	case covered && preErr != nil:
		failf("the restored log covers the last published head but does not verify against it: %v", preErr)
	case !covered && preErr == nil:
		failf("the restored log verified against the last published head without a restore head: a silent fork")
	case covered:
		s.step("the restored log (%d leaves) covers the last published head (%d): no leaf lost, no restore head needed", leaves, head.Size)
	default:
		var said strings.Builder
		if err := s.sanshen(ctx, &said, []string{"DATABASE_URL=" + s.ownerURL}, "audit", "restore", "--checkpoint", lastFile); err != nil {
			return false, err
		}
		s.step("sanshen audit restore: %s", strings.TrimSpace(said.String()))
	}
	for _, p := range s.nats.nodes {
		if err := p.release(); err != nil {
			return false, err
		}
	}
	if err := s.nats.waitJetStream(ctx); err != nil {
		return false, err
	}
	for _, p := range s.services {
		if err := p.release(); err != nil {
			return false, err
		}
	}
	for _, p := range s.services {
		if err := p.waitReady(ctx, 2*time.Minute); err != nil {
			return false, err
		}
	}
	rto := time.Since(disaster)
	s.step("restored system up (RTO %s)", rto.Round(time.Second))

	// In-flight work resumes: the reviewers go on with what they find.
	var present []int64
	rows, _ := db.Query(ctx, `SELECT id FROM drafts WHERE id = ANY($1)`, d.ids())
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		present = append(present, id)
	}
	rows.Close()
	var inFlight int
	_ = db.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE id = ANY($1) AND state <> 'published'`, present).Scan(&inFlight)
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for stage, tok := range map[string]string{"compliance": d.head, "confidentiality": d.sec} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.review(rctx, stage, stageNumber(stage), tok, 4)
		}()
	}
	// A draft returned before the backup and revised after it is returned
	// again in the restored database: the officer revises it again.
	go d.reviseReturned(rctx)
	rows, _ = db.Query(ctx, `SELECT id FROM drafts WHERE id = ANY($1) AND state = 'returned'`, present)
	returned, _ := pgx.CollectRows(rows, pgx.RowTo[int64])
	for _, id := range returned {
		d.revise <- id
	}
	var published int
	for deadline := time.Now().Add(4 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		if err := db.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE id = ANY($1) AND state = 'published'`, present).Scan(&published); err == nil && published == len(present) {
			break
		}
	}
	stop()
	wg.Wait()
	if published < len(present) {
		failf("%d restored drafts were not published", len(present)-published)
	}
	var total int
	_ = db.QueryRow(ctx, `SELECT count(*) FROM drafts`).Scan(&total)
	if total != len(present) {
		failf("the restored database holds %d drafts, %d of them answered to the client", total, len(present))
	}
	c.onceEach(present, published)
	var verify strings.Builder
	if err := s.sanshen(ctx, &verify, []string{"DATABASE_URL=" + s.ownerURL}, "audit", "verify", "--checkpoint", lastFile); err != nil {
		failf("the restored trail does not verify against the last published head: %v", err)
	}
	var res audit.Result
	_ = json.Unmarshal([]byte(verify.String()), &res)
	switch {
	case res.Log == nil:
		failf("verification reports no log")
	case covered && len(res.Log.Restores) != 0:
		failf("verification reports a restore though nothing was lost: %+v", res.Log.Restores)
	case !covered && (len(res.Log.Restores) != 1 || res.Log.Restores[0].LostFrom != leaves || res.Log.Restores[0].LostTo != head.Size):
		failf("verification does not report exactly leaves %d to %d lost: %+v", leaves, head.Size-1, res.Log.Restores)
	}

	o := s.out
	lost := len(d.ids()) - len(present)
	// The loss window: the earliest answer 201 the restore lost.
	in := map[int64]bool{}
	for _, id := range present {
		in[id] = true
	}
	var window time.Duration
	d.mu.Lock()
	for id, at := range d.acceptedAt {
		if !in[id] {
			window = max(window, disaster.Sub(at))
		}
	}
	d.mu.Unlock()
	if s.o.replayWAL {
		fmt.Fprintf(o, "\nbackup and restore (base backup + archived WAL, a segment switch every 10s):\n")
	} else {
		fmt.Fprintf(o, "\nbackup and restore (the base backup alone, as a daily dump would be):\n")
	}
	fmt.Fprintf(o, "  base backup taken %s before the disaster; the newest event restored was %s before it\n",
		disaster.Sub(s.backupAt).Round(time.Second), disaster.Sub(lastCommit).Round(100*time.Millisecond))
	fmt.Fprintf(o, "  drafts answered 201 and lost by the restore: %d of %d; the oldest of them answered %s before the disaster (RPO)\n",
		lost, len(d.ids()), window.Round(100*time.Millisecond))
	fmt.Fprintf(o, "  RTO (disaster to every service ready on the restored database and new JetStream stores): %s\n", rto.Round(time.Second))
	fmt.Fprintf(o, "  in flight at the restore: %d drafts; published after it: %d of %d restored, each once\n", inFlight, published, len(present))
	// A restore forgets the notifications sent after its point: the ones
	// still pending then go out again (informational, not a failure).
	posts, mails := map[string]int{}, map[string]int{}
	for _, p := range s.notify.robots.Received() {
		posts[p.Content]++
	}
	for _, m := range s.notify.mail.Mails() {
		mails[m.MessageID]++
	}
	again := func(m map[string]int) (n int) {
		for _, k := range m {
			n += k - 1
		}
		return n
	}
	fmt.Fprintf(o, "  notifications sent again because the restored database had not recorded them as sent: %d robot posts, %d mails (the same Message-ID)\n",
		again(posts), again(mails))
	if res.Log != nil && covered {
		fmt.Fprintf(o, "  sanshen audit verify --checkpoint (the last published head, %d): ok %v, no leaf lost; log now %d leaves, %d heads checked\n",
			head.Size, res.OK, res.Log.Size, res.Log.Heads)
	}
	if res.Log != nil {
		for _, r := range res.Log.Restores {
			fmt.Fprintf(o, "  sanshen audit verify --checkpoint (the last published head): ok %v, leaves %d to %d reported lost by the signed restore head; log now %d leaves, %d heads checked\n",
				res.OK, r.LostFrom, r.LostTo-1, res.Log.Size, res.Log.Heads)
		}
	}
	return c.verdict(o, "\nRESTORE FAILED:", "PASS: the restore resumed every in-flight draft without duplicates and declared exactly the leaves it lost"), nil
}

// fetch GETs a path from the first api that answers.
func (s *suite) fetch(ctx context.Context, path string) ([]byte, error) {
	var last error
	for _, p := range s.services {
		if p.base == "" {
			continue
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			continue
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode == http.StatusOK {
			return b, nil
		}
		last = fmt.Errorf("%s: %d %s", path, res.StatusCode, b)
	}
	return nil, last
}

// stageNumber is a stage's place in the review (初审 1, 复审 2, 终审 3).
func stageNumber(stage string) int64 {
	if stage == "confidentiality" {
		return 3
	}
	return 2
}
