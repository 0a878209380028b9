package bench

import (
	"context"
	"fmt"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Percentiles summarise a latency distribution, in milliseconds.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Result is everything one run measured. docs/performance.md says what
// each figure means.
type Result struct {
	Command         string  `json:"command"`
	Date            string  `json:"date"`
	Commit          string  `json:"commit,omitempty"`
	Database        string  `json:"database"`
	PostgresVersion string  `json:"postgres_version"`
	Drafts          int     `json:"drafts"`
	Clients         int     `json:"clients"`
	ReturnShare     float64 `json:"return_share"`
	Rate            float64 `json:"rate,omitempty"`
	Seed            uint64  `json:"seed"`
	CPUs            int     `json:"cpus"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
	PoolMaxConns    int     `json:"pool_max_conns"`
	BatchLinger     string  `json:"batch_linger"`
	GroupLinger     string  `json:"group_linger"`
	StartSeconds    float64 `json:"start_seconds"` // system.Start on a fresh database, migrations included

	// The pipeline phase.
	WallSeconds          float64                `json:"wall_seconds"` // first submit → last published, from the audit trail
	DraftsPerSecond      float64                `json:"drafts_per_second"`
	Transitions          int                    `json:"transitions"`
	TransitionsPerSecond float64                `json:"transitions_per_second"`
	AuditedWrites        int                    `json:"audited_writes"` // every draft audit event: one write transaction each
	MessagesRelayed      int                    `json:"messages_relayed"`
	MessagesPerSecond    float64                `json:"messages_per_second"`
	StageLatency         map[string]Percentiles `json:"stage_latency"`
	EndToEnd             Percentiles            `json:"end_to_end"`
	SubmitLatency        Percentiles            `json:"submit_latency"`
	DecisionLatency      Percentiles            `json:"decision_latency"`
	BodyBytesMean        int                    `json:"body_bytes_mean"`

	Decisions        int            `json:"decisions"`
	HumanReturns     int            `json:"human_returns"`
	MachineReturns   int            `json:"machine_returns"`
	MachineBlockedBy map[string]int `json:"machine_blocked_by,omitempty"`
	Overrides        int            `json:"overrides"`
	Conflicts        int            `json:"conflicts"`
	Revisions        int            `json:"revisions"`
	QueuePolls       int            `json:"queue_polls"`

	Redeliveries  int `json:"redeliveries"`
	NoopMessages  int `json:"noop_messages"`
	RetryMessages int `json:"retry_messages"`
	Swept         int `json:"swept"`

	CPUWindowSeconds   float64 `json:"cpu_window_seconds"`   // the span the CPU figures cover: first request → all published
	CPUSeconds         float64 `json:"cpu_seconds"`          // this process (sanshen + the bench's clients), pipeline phase
	PeakRSSMB          float64 `json:"peak_rss_mb"`          // this process, up to the end of the pipeline phase
	PostgresCPUSeconds float64 `json:"postgres_cpu_seconds"` // backends connected to the bench database
	MachineCPUBusy     float64 `json:"machine_cpu_busy"`     // share of all cores busy, whole machine
	// OtherCPUSeconds is the machine's busy time not accounted for by this
	// process or the bench database's backends: Postgres's background
	// processes, and whatever else runs on the machine. A large figure means
	// the run shared the machine and its throughput is understated.
	OtherCPUSeconds  float64 `json:"other_cpu_seconds"`
	PostgresCommits  int64   `json:"postgres_commits"` // pg_stat_database.xact_commit of the bench database
	CommitsPerSecond float64 `json:"commits_per_second"`

	// Tables is what PostgreSQL did to each table of the bench database,
	// for explaining where its time went (pg_stat_user_tables).
	Tables []TableStats `json:"tables,omitempty"`

	Checks    Checks          `json:"checks"`
	Pgbench   PgbenchResult   `json:"pgbench"`
	JetStream JetStreamResult `json:"jetstream"`
	Ratios    Ratios          `json:"ratios"`
}

// TableStats is one table's counters from pg_stat_user_tables, with its size.
type TableStats struct {
	Table      string  `json:"table"`
	SeqScans   int64   `json:"seq_scans"`
	SeqRead    int64   `json:"seq_tuples_read"`
	IdxScans   int64   `json:"index_scans"`
	Inserted   int64   `json:"inserted"`
	Updated    int64   `json:"updated"`
	HOTUpdated int64   `json:"hot_updated"`
	Dead       int64   `json:"dead_tuples"`
	SizeMB     float64 `json:"size_mb"`
}

// fillTables reads pg_stat_user_tables; like fillCommits it is called after
// sanshen stopped, so every backend has flushed its counters.
func (r *Result) fillTables(ctx context.Context, s *store.Store) error {
	rows, _ := s.Pool.Query(ctx, `SELECT relname, seq_scan, seq_tup_read, COALESCE(idx_scan, 0), n_tup_ins, n_tup_upd,
			n_tup_hot_upd, n_dead_tup, pg_total_relation_size(relid)
		FROM pg_stat_user_tables WHERE seq_scan + COALESCE(idx_scan, 0) + n_tup_ins > 0 ORDER BY seq_tup_read DESC, relname`)
	defer rows.Close()
	for rows.Next() {
		var t TableStats
		var size int64
		if err := rows.Scan(&t.Table, &t.SeqScans, &t.SeqRead, &t.IdxScans, &t.Inserted, &t.Updated, &t.HOTUpdated, &t.Dead, &size); err != nil {
			return fmt.Errorf("error reading table statistics: %w", err)
		}
		t.SizeMB = float64(size) / (1 << 20)
		r.Tables = append(r.Tables, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error reading table statistics: %w", err)
	}
	return nil
}

// Checks are the end-of-run guarantees: every draft published exactly
// once, and the audit trail verifying.
type Checks struct {
	OK               bool `json:"ok"`
	Published        int  `json:"published"`
	PublishedEvents  int  `json:"published_events"`
	WebsiteDelivered int  `json:"website_delivered"`
	// With -portal: drafts bound for the portal, their portal publications
	// delivered, and the items and writes the fake portal saw.
	PortalBound     int `json:"portal_bound,omitempty"`
	PortalDelivered int `json:"portal_delivered,omitempty"`
	PortalItems     int `json:"portal_items,omitempty"`
	PortalWrites    int `json:"portal_writes,omitempty"`
	// With -wechat: drafts bound for WeChat, their WeChat publications
	// delivered, and the articles published and submits the fake saw.
	WeChatBound           int      `json:"wechat_bound,omitempty"`
	WeChatDelivered       int      `json:"wechat_delivered,omitempty"`
	WeChatArticles        int      `json:"wechat_articles,omitempty"`
	WeChatSubmits         int      `json:"wechat_submits,omitempty"`
	DuplicatePublications int      `json:"duplicate_publications"`
	OpenPublications      int      `json:"open_publications"`
	DeadLetters           int      `json:"dead_letters"`
	AuditOK               bool     `json:"audit_ok"`
	AuditEvents           int64    `json:"audit_events"`
	AuditChains           int      `json:"audit_chains"`
	Problems              []string `json:"problems,omitempty"`
}

// Ratios compare the pipeline with the machine's ceilings; zero when a
// ceiling was not measured.
type Ratios struct {
	TransitionsPerPgbenchTPS float64 `json:"transitions_per_pgbench_tps,omitempty"`
	MessagesPerJetStream     float64 `json:"messages_per_jetstream_publish,omitempty"`
}

func (r *Result) computeRatios() {
	if r.Pgbench.TPS > 0 {
		r.Ratios.TransitionsPerPgbenchTPS = r.TransitionsPerSecond / r.Pgbench.TPS
	}
	if r.JetStream.PublishPerSecond > 0 {
		r.Ratios.MessagesPerJetStream = r.MessagesPerSecond / r.JetStream.PublishPerSecond
	}
}

// stateChanges are the audit actions that move a draft to another state:
// what "transitions" counts, as River's figure of the issue counts them
// (five per draft that goes straight through).
var stateChanges = map[string]bool{
	string(domain.ActionSubmit): true, string(domain.ActionRevise): true, string(domain.ActionChecksPass): true,
	string(domain.ActionChecksBlock): true, string(domain.ActionApprove): true, string(domain.ActionReturn): true,
	string(domain.ActionReject): true, string(domain.ActionPublished): true, string(domain.ActionWithdraw): true,
}

// fillClient takes what the driver timed on the client side.
func (r *Result) fillClient(d *driver) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r.SubmitLatency = percentiles(d.submitL)
	r.DecisionLatency = percentiles(d.decideL)
	r.MachineBlockedBy = d.blocked
	r.Decisions, r.HumanReturns, r.MachineReturns = int(d.decisions.Load()), int(d.humanReturns.Load()), int(d.machineReturns.Load())
	r.Overrides, r.Conflicts, r.Revisions = int(d.overrides.Load()), int(d.conflicts.Load()), int(d.revisions.Load())
	r.QueuePolls = int(d.queuePolls.Load())
	if n := d.submitted.Load(); n > 0 {
		r.BodyBytesMean = int(d.bodyBytes.Load() / n)
	}
	if r.WallSeconds == 0 {
		r.WallSeconds = d.finished.Sub(d.started).Seconds()
	}
}

// fillWorkers reads the consumers' counters from sanshen's metrics.
func (r *Result) fillWorkers(reg *prometheus.Registry) {
	mfs, err := reg.Gather()
	if err != nil {
		return
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := int(m.GetCounter().GetValue())
			switch mf.GetName() {
			case "sanshen_redeliveries_total":
				r.Redeliveries += v
			case "sanshen_sweeper_resent_total":
				r.Swept += v
			case "sanshen_worker_messages_total":
				for _, l := range m.GetLabel() {
					if l.GetName() != "result" {
						continue
					}
					switch l.GetValue() {
					case "noop":
						r.NoopMessages += v
					case "retry":
						r.RetryMessages += v
					}
				}
			}
		}
	}
}

// event is a draft's audit event as the latency figures need it.
type event struct {
	draft    int64
	revision int
	stage    string
	action   string
	at       time.Time
}

// fillFromDatabase computes the throughput and the machine-step latencies
// from the audit trail, which times every step in sanshen itself (an
// event's time is taken when its transaction is written, just before it
// commits).
func (r *Result) fillFromDatabase(ctx context.Context, s *store.Store) error {
	rows, _ := s.Pool.Query(ctx, `SELECT draft_id, revision, stage, action, at FROM audit_events
		WHERE draft_id IS NOT NULL ORDER BY draft_id, idx`)
	var evs []event
	for rows.Next() {
		var e event
		if err := rows.Scan(&e.draft, &e.revision, &e.stage, &e.action, &e.at); err != nil {
			rows.Close()
			return fmt.Errorf("error reading the audit trail: %w", err)
		}
		evs = append(evs, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("error reading the audit trail: %w", err)
	}
	lat := stageLatencies(evs)
	r.StageLatency = map[string]Percentiles{}
	for stage, ds := range lat.steps {
		r.StageLatency[stage] = percentiles(ds)
	}
	r.EndToEnd = percentiles(lat.endToEnd)
	r.Transitions, r.AuditedWrites = lat.transitions, lat.writes
	if !lat.first.IsZero() && lat.last.After(lat.first) {
		r.WallSeconds = lat.last.Sub(lat.first).Seconds()
	}
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL`).Scan(&r.MessagesRelayed); err != nil {
		return fmt.Errorf("error counting relayed messages: %w", err)
	}
	if r.WallSeconds > 0 {
		r.DraftsPerSecond = float64(r.Drafts) / r.WallSeconds
		r.TransitionsPerSecond = float64(r.Transitions) / r.WallSeconds
		r.MessagesPerSecond = float64(r.MessagesRelayed) / r.WallSeconds
	}
	return nil
}

// latencies is what stageLatencies finds in the trail.
type latencies struct {
	steps       map[string][]time.Duration
	endToEnd    []time.Duration
	transitions int
	writes      int
	first, last time.Time
}

// stageLatencies measures each machine step from the event that moved a
// draft's revision into the stage to the event of the stage's machine step:
// submit or revise → checks_pass/checks_block (completeness); checks_pass →
// checks_done (compliance); approve at compliance → checks_done
// (confidentiality); approve at confidentiality → published (publishing).
// evs must be in chain order per draft.
func stageLatencies(evs []event) latencies {
	l := latencies{steps: map[string][]time.Duration{}}
	type key struct {
		draft    int64
		revision int
		stage    string
	}
	entered := map[key]time.Time{}
	submitted := map[int64]time.Time{}
	step := func(k key, at time.Time) {
		if t, ok := entered[k]; ok {
			l.steps[k.stage] = append(l.steps[k.stage], at.Sub(t))
			delete(entered, k)
		}
	}
	for _, e := range evs {
		if strings.HasPrefix(e.action, "denied:") {
			continue
		}
		l.writes++
		if stateChanges[e.action] {
			l.transitions++
		}
		if l.first.IsZero() || e.at.Before(l.first) {
			l.first = e.at
		}
		if e.at.After(l.last) {
			l.last = e.at
		}
		k := func(stage domain.Stage) key { return key{e.draft, e.revision, string(stage)} }
		switch domain.Action(e.action) {
		case domain.ActionSubmit:
			submitted[e.draft] = e.at
			entered[k(domain.StageCompleteness)] = e.at
		case domain.ActionRevise:
			entered[k(domain.StageCompleteness)] = e.at
		case domain.ActionChecksBlock:
			step(k(domain.StageCompleteness), e.at)
		case domain.ActionChecksPass:
			step(k(domain.StageCompleteness), e.at)
			entered[k(domain.StageCompliance)] = e.at
		case domain.ActionChecksDone:
			step(k(domain.Stage(e.stage)), e.at)
		case domain.ActionApprove:
			switch domain.Stage(e.stage) {
			case domain.StageCompliance:
				entered[k(domain.StageConfidentiality)] = e.at
			case domain.StageConfidentiality:
				entered[key{e.draft, e.revision, "publishing"}] = e.at
			}
		case domain.ActionPublished:
			step(key{e.draft, e.revision, "publishing"}, e.at)
			if t, ok := submitted[e.draft]; ok {
				l.endToEnd = append(l.endToEnd, e.at.Sub(t))
			}
		}
	}
	return l
}

// check verifies the guarantees at the end of the run.
func (r *Result) check(ctx context.Context, s *store.Store) error {
	c := &r.Checks
	q := func(dst *int, sql string) error {
		if err := s.Pool.QueryRow(ctx, sql).Scan(dst); err != nil {
			return fmt.Errorf("error checking the run (%s): %w", sql, err)
		}
		return nil
	}
	for _, x := range []struct {
		dst *int
		sql string
	}{
		{&c.Published, `SELECT count(*) FROM drafts WHERE state = 'published'`},
		{&c.PublishedEvents, `SELECT count(*) FROM audit_events WHERE action = 'published'`},
		{&c.WebsiteDelivered, `SELECT count(*) FROM publications WHERE channel = 'website' AND status = 'delivered'`},
		{&c.DuplicatePublications, `SELECT count(*) FROM (SELECT draft_id, channel FROM publications
			WHERE status IN ('delivered', 'sending', 'unknown') GROUP BY draft_id, channel HAVING count(*) > 1) x`},
		{&c.OpenPublications, `SELECT count(*) FROM publications WHERE status IN ('pending', 'sending', 'unknown', 'failed')`},
		{&c.DeadLetters, `SELECT count(*) FROM dead_letters`},
	} {
		if err := q(x.dst, x.sql); err != nil {
			return err
		}
	}
	v, err := s.VerifyAll(ctx)
	if err != nil {
		return fmt.Errorf("error verifying the audit trail: %w", err)
	}
	c.AuditOK, c.AuditEvents, c.AuditChains = v.OK, v.Events, v.Chains
	n := r.Drafts
	problem := func(ok bool, format string, args ...any) {
		if !ok {
			c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
		}
	}
	problem(c.Published == n, "%d of %d drafts published", c.Published, n)
	problem(c.PublishedEvents == n, "%d published events for %d drafts", c.PublishedEvents, n)
	problem(c.WebsiteDelivered == n, "%d website publications delivered for %d drafts", c.WebsiteDelivered, n)
	problem(c.DuplicatePublications == 0, "%d (draft, channel) published more than once", c.DuplicatePublications)
	problem(c.OpenPublications == 0, "%d publications not final or failed", c.OpenPublications)
	problem(c.DeadLetters == 0, "%d dead letters", c.DeadLetters)
	problem(c.AuditOK, "audit trail does not verify: %v", v.Breaks)
	c.OK = len(c.Problems) == 0
	return nil
}

// checkPortal holds the portal to exactly once: every draft bound for it
// delivered there once, each delivery one item, each item one write.
func (r *Result) checkPortal(ctx context.Context, s *store.Store, p *fakeportal.Server) {
	c := &r.Checks
	_ = s.Pool.QueryRow(ctx, `SELECT count(*) FROM drafts d JOIN revisions v ON v.draft_id = d.id AND v.revision = d.revision
		WHERE 'portal' = ANY(v.channels)`).Scan(&c.PortalBound)
	_ = s.Pool.QueryRow(ctx, `SELECT count(*) FROM publications WHERE channel = 'portal' AND status = 'delivered'`).Scan(&c.PortalDelivered)
	c.PortalItems, c.PortalWrites = len(p.Items()), p.Writes()
	if c.PortalDelivered != c.PortalBound || c.PortalItems != c.PortalDelivered || c.PortalWrites != c.PortalItems {
		c.Problems = append(c.Problems, fmt.Sprintf("portal: %d drafts bound, %d delivered, %d items, %d writes",
			c.PortalBound, c.PortalDelivered, c.PortalItems, c.PortalWrites))
		c.OK = false
	}
}

// checkWeChat checks that every WeChat-bound draft was published on the
// fake official account exactly once: one submit, one article.
func (r *Result) checkWeChat(ctx context.Context, s *store.Store, wx *fakewechat.Server) {
	c := &r.Checks
	_ = s.Pool.QueryRow(ctx, `SELECT count(*) FROM drafts d JOIN revisions v ON v.draft_id = d.id AND v.revision = d.revision
		WHERE 'wechat' = ANY(v.channels)`).Scan(&c.WeChatBound)
	_ = s.Pool.QueryRow(ctx, `SELECT count(*) FROM publications WHERE channel = 'wechat' AND status = 'delivered'`).Scan(&c.WeChatDelivered)
	c.WeChatArticles, c.WeChatSubmits = wx.Published(), wx.Calls("/cgi-bin/freepublish/submit")
	if c.WeChatDelivered != c.WeChatBound || c.WeChatArticles != c.WeChatDelivered || c.WeChatSubmits != c.WeChatArticles {
		c.Problems = append(c.Problems, fmt.Sprintf("wechat: %d drafts bound, %d delivered, %d articles, %d submits",
			c.WeChatBound, c.WeChatDelivered, c.WeChatArticles, c.WeChatSubmits))
		c.OK = false
	}
}

// sample is the process, machine and database counters at one moment.
type sample struct {
	at          time.Time
	cpu         time.Duration
	maxRSSKB    int64
	machineBusy uint64 // jiffies, all cores
	machineAll  uint64
	cores       int            // cpuN lines of /proc/stat
	backends    map[int]uint64 // pid → utime+stime jiffies of the bench database's backends
	commits     int64
}

func takeSample(ctx context.Context, s *store.Store) (sample, error) {
	sm := sample{at: time.Now(), backends: map[int]uint64{}}
	sm.cpu, sm.maxRSSKB = rusage()
	sm.machineBusy, sm.machineAll, sm.cores = machineJiffies()
	rows, _ := s.Pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			rows.Close()
			return sm, fmt.Errorf("error listing the database's backends: %w", err)
		}
		if j, ok := processJiffies(pid); ok {
			sm.backends[pid] = j
		}
	}
	if err := rows.Err(); err != nil {
		return sm, fmt.Errorf("error listing the database's backends: %w", err)
	}
	if err := s.Pool.QueryRow(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&sm.commits); err != nil {
		return sm, fmt.Errorf("error reading pg_stat_database: %w", err)
	}
	return sm, nil
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

func (r *Result) fillProcess(before, after sample) {
	r.CPUWindowSeconds = after.at.Sub(before.at).Seconds()
	r.CPUSeconds = (after.cpu - before.cpu).Seconds()
	r.PeakRSSMB = float64(after.maxRSSKB) / 1024
	if all := after.machineAll - before.machineAll; all > 0 {
		r.MachineCPUBusy = float64(after.machineBusy-before.machineBusy) / float64(all)
	}
	var ticks uint64
	for pid, j := range after.backends {
		ticks += j - min(before.backends[pid], j)
	}
	r.PostgresCPUSeconds = float64(ticks) / clockTicks
	if after.machineAll > before.machineAll && after.cores > 0 {
		// The busy share times the cores and the window, rather than busy
		// jiffies ÷ USER_HZ: a virtual machine's /proc/stat can advance a few
		// percent slower than the wall clock, and this is a small difference
		// of large numbers.
		busy := r.MachineCPUBusy * float64(after.cores) * r.CPUWindowSeconds
		r.OtherCPUSeconds = max(0, busy-r.CPUSeconds-r.PostgresCPUSeconds)
	}
}

// fillCommits counts the bench database's commits since before; it is
// called after sanshen stopped, when its backends have flushed their
// statistics.
func (r *Result) fillCommits(ctx context.Context, s *store.Store, before sample) error {
	var now int64
	if err := s.Pool.QueryRow(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&now); err != nil {
		return fmt.Errorf("error reading pg_stat_database: %w", err)
	}
	r.PostgresCommits = now - before.commits
	if r.WallSeconds > 0 {
		r.CommitsPerSecond = float64(r.PostgresCommits) / r.WallSeconds
	}
	return nil
}

// machineJiffies reads the busy and total CPU time of the machine, and its
// number of cores, from /proc/stat (zero where there is none).
func machineJiffies() (busy, all uint64, cores int) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	lines := strings.Split(string(b), "\n")
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "cpu") {
			cores++
		}
	}
	f := strings.Fields(lines[0])
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, 0
	}
	for i, s := range f[1:] {
		v, _ := strconv.ParseUint(s, 10, 64)
		if i >= 8 { // guest times are already in user and nice
			break
		}
		all += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, all, cores
}

// processJiffies is utime+stime of a process, from /proc/PID/stat.
func processJiffies(pid int) (uint64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command may contain spaces
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	return u + st, err1 == nil && err2 == nil
}

// sortedKeys lists a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
