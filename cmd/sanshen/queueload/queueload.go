// Package queueload is `sanshen bench queue`: a large office's queue. It
// seeds a database of its own with 100,000 drafts waiting for review and
// 1,000,000 audit events (valid hash chains), starts the API in-process and
// has 50 reviewers read their queues and drafts at once, through the JSON
// API and the pages, then prints latency percentiles per request kind.
package queueload

import (
	"context"
	"flag"
	"fmt"
	"golang.org/x/mod/sumdb/tlog"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Options of a run.
type Options struct {
	Drafts      int           // drafts waiting (60% at compliance, 40% at confidentiality)
	Events      int           // audit events in all
	Reviewers   int           // concurrent reviewers
	Duration    time.Duration // how long they read
	Departments int
	// Think is a reviewer's mean pause between requests (exponential);
	// 0 makes every reviewer a closed loop, for the saturation figure.
	Think       time.Duration
	Keep        bool
	DatabaseURL string // the server to use; its database part is replaced
}

// Main parses flags, runs and prints the report.
func Main(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	o := Options{}
	fs := flag.NewFlagSet("bench queue", flag.ContinueOnError)
	fs.IntVar(&o.Drafts, "drafts", 100000, "drafts waiting for review")
	fs.IntVar(&o.Events, "events", 1000000, "audit events")
	fs.IntVar(&o.Reviewers, "c", 50, "concurrent reviewers")
	fs.DurationVar(&o.Duration, "d", 30*time.Second, "how long the reviewers read")
	fs.IntVar(&o.Departments, "departments", 10, "departments")
	fs.DurationVar(&o.Think, "think", time.Second, "a reviewer's mean pause between requests (0: no pause)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the database afterwards")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.DatabaseURL = cfg.DatabaseURL
	r, err := Run(ctx, cfg, log, o, out)
	if err != nil {
		return err
	}
	r.Print(out)
	return nil
}

// Result holds the latencies by request kind.
type Result struct {
	Options  Options
	SeedTime time.Duration
	Kinds    []Kind
	// Verify is the audit verification of the seeded trail (it must hold,
	// or the measurement was of a broken database).
	Verify     audit.Result
	VerifyTime time.Duration
	// Sequenced events joined the transparency log in SequenceTime.
	Sequenced    int64
	SequenceTime time.Duration
	// ConsistencyTime is what a witness holding the head of half the log
	// spends to hold the whole log to it: both roots and the consistency
	// proof from the database, and the proof checked (tlog.CheckTree).
	ConsistencyTime time.Duration
}

// Kind is one kind of request's figures.
type Kind struct {
	Name          string
	N             int
	Errors        int
	P50, P95, P99 time.Duration
	PerSecond     float64
}

// Print writes the report as a table.
func (r Result) Print(w io.Writer) {
	fmt.Fprintf(w, "large-office queue: %d drafts waiting, %d audit events, %d reviewers (mean pause %s) for %s (seeded in %s)\n",
		r.Options.Drafts, r.Options.Events, r.Options.Reviewers, r.Options.Think, r.Options.Duration, r.SeedTime.Round(time.Second))
	fmt.Fprintf(w, "%-28s %8s %7s %9s %9s %9s %9s\n", "request", "n", "errors", "p50", "p95", "p99", "req/s")
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "%-28s %8d %7d %9s %9s %9s %9.1f\n", k.Name, k.N, k.Errors, ms(k.P50), ms(k.P95), ms(k.P99), k.PerSecond)
	}
	fmt.Fprintf(w, "transparency log: %d events sequenced in %s (%.0f/s)\n", r.Sequenced, r.SequenceTime.Round(time.Millisecond), rate(r.Sequenced, r.SequenceTime))
	fmt.Fprintf(w, "consistency of the whole log with the head of half of it (prove and check): %s\n", r.ConsistencyTime.Round(10*time.Microsecond))
	fmt.Fprintf(w, "audit verify (every chain, every draft's chain, the log recomputed against its heads): ok=%v, %d events in %d chains, %s (%.0f events/s)\n",
		r.Verify.OK, r.Verify.Events, r.Verify.Chains, r.VerifyTime.Round(time.Millisecond), rate(r.Verify.Events, r.VerifyTime))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// reviewer is one seeded reviewer with an API token and a page session.
type reviewer struct {
	stage   domain.Stage
	token   string
	session string
	drafts  []int64 // drafts in their queue, for the draft page
}

// queuesFilled makes sure every reviewer's queue shows what was seeded for
// them: a measurement of empty queues would measure nothing.
func queuesFilled(ctx context.Context, s *store.Store, revs []reviewer) error {
	for _, rv := range revs {
		u, err := s.UserByToken(ctx, rv.token)
		if err != nil {
			return err
		}
		items, err := s.Queue(ctx, u.Actor(), rv.stage, store.QueueFilter{Limit: 1})
		if err != nil {
			return err
		}
		if len(rv.drafts) > 0 && len(items) == 0 {
			return fmt.Errorf("the seeded drafts are not in %s's %s queue: the seed no longer matches the schema", u.Name, rv.stage)
		}
	}
	return nil
}

// Run seeds, loads and measures.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, o Options, progress io.Writer) (Result, error) {
	res := Result{Options: o}
	name := fmt.Sprintf("sanshen_queueload_%d", time.Now().Unix())
	dbURL := withDatabase(o.DatabaseURL, name)
	cfg.DatabaseURL = dbURL
	if err := store.EnsureDatabase(ctx, dbURL); err != nil {
		return res, err
	}
	if !o.Keep {
		defer dropDatabase(o.DatabaseURL, name)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp("", "sanshen-queueload-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	cfg.DataDir = dir
	cfg.MetricsAddr = "" // its metrics are read in-process: no listener to collide with a running sanshen's
	sys, err := system.Start(ctx, cfg, log, system.Options{Components: system.Components{API: true}, Migrate: true, Listener: ln})
	if err != nil {
		return res, err
	}
	defer sys.Stop()
	start := time.Now()
	fmt.Fprintf(progress, "seeding %d drafts and %d audit events into %s ...\n", o.Drafts, o.Events, name)
	revs, err := seed(ctx, sys.Store, o)
	if err != nil {
		return res, err
	}
	res.SeedTime = time.Since(start)
	// Every seeded event joins the transparency log, as the relay's
	// sequencer would take it, before the trail is verified.
	t1 := time.Now()
	if _, err := sys.Store.Pool.Exec(ctx, `INSERT INTO audit_unsequenced (seq) SELECT seq FROM audit_events
		EXCEPT SELECT seq FROM audit_unsequenced EXCEPT SELECT seq FROM audit_leaves`); err != nil {
		return res, err
	}
	for {
		n, err := sys.Store.Sequence(ctx, 20000)
		if err != nil {
			return res, err
		}
		res.Sequenced += int64(n)
		if n == 0 {
			break
		}
	}
	res.SequenceTime = time.Since(t1)
	if res.ConsistencyTime, err = consistency(ctx, sys.Store, res.Sequenced); err != nil {
		return res, err
	}
	if err := queuesFilled(ctx, sys.Store, revs); err != nil {
		return res, err
	}
	fmt.Fprintf(progress, "seeded in %s; %d reviewers read for %s ...\n", res.SeedTime.Round(time.Second), o.Reviewers, o.Duration)
	res.Kinds = load(ctx, "http://"+sys.Addr, revs, o)
	t0 := time.Now()
	if res.Verify, err = sys.Store.VerifyAll(ctx); err != nil {
		return res, err
	}
	res.VerifyTime = time.Since(t0)
	if !res.Verify.OK {
		return res, fmt.Errorf("the seeded audit trail does not verify: %v", res.Verify.Breaks[0])
	}
	return res, nil
}

func withDatabase(u, name string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		return u
	}
	p.Path = "/" + name
	return p.String()
}

func dropDatabase(serverURL, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, withDatabase(serverURL, "postgres"))
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// phrases make report-style bodies about 1 KB long.
var phrases = []string{"为进一步做好辖区环境整治工作，", "街道办事处于本月组织开展了专项检查，", "现将有关情况通报如下。",
	"各社区要高度重视，切实落实主体责任，", "加强日常巡查和隐患排查，", "确保各项措施落到实处。", "检查中发现部分单位台账不全，",
	"已责令限期整改，并将持续跟踪督办。", "下一步，街道将进一步完善长效机制，", "推动辖区治理水平不断提升。"}

func body(r *rand.Rand) string {
	var b strings.Builder
	for b.Len() < 1000 {
		b.WriteString(phrases[r.IntN(len(phrases))])
	}
	return b.String()
}

// seed writes departments, reviewers, drafts waiting at stages 2 and 3 with
// their revisions, findings and decisions, and audit events in valid chains.
func seed(ctx context.Context, s *store.Store, o Options) ([]reviewer, error) {
	r := rand.New(rand.NewPCG(1, 2))
	admin := domain.Actor{Name: "queueload", AgencyID: store.DefaultAgency, Roles: []domain.Role{domain.RoleAdmin}}
	var deps []int64
	for i := range o.Departments {
		d, err := s.AddDepartment(ctx, admin, fmt.Sprintf("科室%02d", i+1))
		if err != nil {
			return nil, err
		}
		deps = append(deps, d.ID)
	}
	officer, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "起草人", Roles: []domain.Role{domain.RoleOfficer}, Departments: deps})
	if err != nil {
		return nil, err
	}
	approver, _, err := s.AddUser(ctx, admin, store.NewUser{Name: "复审人", Roles: []domain.Role{domain.RoleDeptHead}, Departments: deps})
	if err != nil {
		return nil, err
	}
	var revs []reviewer
	for i := range o.Reviewers {
		nu := store.NewUser{Name: fmt.Sprintf("审核员%02d", i+1)}
		rv := reviewer{stage: domain.StageCompliance}
		if i%5 == 4 { // one in five is a confidentiality reviewer
			nu.Roles, rv.stage = []domain.Role{domain.RoleConfidentiality}, domain.StageConfidentiality
		} else {
			nu.Roles, nu.Departments = []domain.Role{domain.RoleDeptHead}, []int64{deps[i%len(deps)]}
		}
		u, tok, err := s.AddUser(ctx, admin, nu)
		if err != nil {
			return nil, err
		}
		sid, _, err := s.CreateSession(ctx, u, 12*time.Hour, "queueload", "127.0.0.1")
		if err != nil {
			return nil, err
		}
		rv.token, rv.session = tok, sid
		revs = append(revs, rv)
	}
	cal := calendar.Official()
	now := time.Now().UTC()
	perDraft := max(o.Events/max(o.Drafts, 1), 3) // submit, checks, an approval
	type draftRow struct {
		id      int64
		dept    int64
		state   domain.State
		entered time.Time
		formed  time.Time
	}
	const batch = 5000
	for first := 0; first < o.Drafts; first += batch {
		n := min(batch, o.Drafts-first)
		var ids []int64
		if err := s.Pool.QueryRow(ctx, `SELECT array_agg(nextval('drafts_id_seq')) FROM generate_series(1, $1)`, n).Scan(&ids); err != nil {
			return nil, err
		}
		rows := make([]draftRow, n)
		var drafts, revisions, findings, decisions, events, chains [][]any
		for i, id := range ids {
			st := domain.StateCompliance
			if r.IntN(10) < 4 {
				st = domain.StateConfidentiality
			}
			entered := now.Add(-time.Duration(r.IntN(30*24*3600)) * time.Second)
			formed := time.Date(entered.Year(), entered.Month(), entered.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -r.IntN(5))
			d := draftRow{id: id, dept: deps[r.IntN(len(deps))], state: st, entered: entered, formed: formed}
			rows[i] = d
			c := domain.Content{Title: fmt.Sprintf("关于第%d号事项办理情况的通报", id), Body: body(r), Category: domain.Categories[r.IntN(len(domain.Categories))],
				Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: formed}
			sum := c.SHA256()
			drafts = append(drafts, []any{id, store.DefaultAgency, officer.ID, d.dept, string(st), 1, true, true, entered, entered, formed, cal.Deadline(formed), entered, entered})
			revisions = append(revisions, []any{id, 1, c.Title, c.Body, c.Category, []string{"website"}, formed, sum})
			if r.IntN(5) == 0 {
				findings = append(findings, []any{id, 1, string(st), "deadline_near", "warn", "", -1, -1, "临近公开期限", "deadline near", ""})
			}
			if st == domain.StateConfidentiality {
				decisions = append(decisions, []any{id, 1, "compliance", approver.ID, "approve", sum, entered})
			}
			// The draft's chain: submit, checks, decisions, and views, perDraft events.
			var prev []byte
			at := entered.Add(-time.Hour)
			chain := audit.DraftChain(id)
			for k := 0; k < perDraft; k++ {
				action, stage := "checks_done", string(st)
				switch {
				case k == 0:
					action = "submit"
				case k == 1:
					action = "checks_pass"
				case k == 2 && st == domain.StateConfidentiality:
					// The compliance approval the decisions row holds.
					action, stage = "approve", "compliance"
				case k%3 == 0:
					action = "denied:view"
				}
				e := audit.Event{Chain: chain, DraftID: id, Actor: "queueload", Role: "system", Stage: stage, Action: action,
					Revision: 1, ContentSHA256: sum, At: at.Add(time.Duration(k) * time.Second)}
				audit.Seal(&e, int64(k), prev)
				prev = e.Hash
				events = append(events, []any{chain, e.Index, id, store.DefaultAgency, e.Actor, e.Role, e.Stage, e.Action, e.Revision, e.ContentSHA256, e.At, nullable(e.PrevHash), e.Hash})
			}
			chains = append(chains, []any{chain, int64(perDraft), prev})
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			// Waiting for a person: checks done, at a stage (awaits_person).
			{"drafts", []string{"id", "agency_id", "author_id", "department_id", "state", "revision", "step_done", "awaits_person", "state_entered_at", "step_sent_at", "formed_on", "deadline", "created_at", "updated_at"}, drafts},
			{"revisions", []string{"draft_id", "revision", "title", "body", "category", "channels", "formed_on", "content_sha256"}, revisions},
			{"findings", []string{"draft_id", "revision", "stage", "code", "severity", "field", "start_rune", "end_rune", "message_zh", "message_en", "suggestion"}, findings},
			{"decisions", []string{"draft_id", "revision", "stage", "actor_id", "decision", "content_sha256", "created_at"}, decisions},
			{"audit_events", []string{"chain", "idx", "draft_id", "agency_id", "actor", "role", "stage", "action", "revision", "content_sha256", "at", "prev_hash", "hash"}, events},
			{"audit_chains", []string{"chain", "length", "head"}, chains},
		}
		for _, cp := range copies {
			if _, err := s.Pool.CopyFrom(ctx, pgx.Identifier{cp.table}, cp.cols, pgx.CopyFromRows(cp.rows)); err != nil {
				return nil, fmt.Errorf("error seeding %s: %w", cp.table, err)
			}
		}
		for i := range revs {
			for _, d := range rows {
				if d.state == revs[i].stage.State() && len(revs[i].drafts) < 200 && (revs[i].stage == domain.StageConfidentiality || r.IntN(len(deps)) == 0) {
					revs[i].drafts = append(revs[i].drafts, d.id)
				}
			}
		}
	}
	if _, err := s.Pool.Exec(ctx, `ANALYZE`); err != nil {
		return nil, err
	}
	// A compliance reviewer may only open drafts of their department.
	for i := range revs {
		if revs[i].stage != domain.StageCompliance {
			continue
		}
		u, err := s.UserByToken(ctx, revs[i].token)
		if err != nil {
			return nil, err
		}
		var ids []int64
		if err := s.Pool.QueryRow(ctx, `SELECT array_agg(id) FROM (SELECT id FROM drafts WHERE state = 'compliance' AND department_id = $1 LIMIT 200) x`,
			u.Departments[0]).Scan(&ids); err != nil {
			return nil, err
		}
		revs[i].drafts = ids
	}
	return revs, nil
}

func nullable(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// load has every reviewer loop over the four requests a reviewer makes.
func load(ctx context.Context, base string, revs []reviewer, o Options) []Kind {
	kinds := []string{"GET /api/v1/queue", "GET /web/queue (page)", "GET /api/v1/drafts/{id}", "GET /web/drafts/{id} (page)"}
	var mu sync.Mutex
	lat := make([][]time.Duration, len(kinds))
	errs := make([]int, len(kinds))
	tr := &http.Transport{MaxIdleConnsPerHost: o.Reviewers * 2}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	deadline := time.Now().Add(o.Duration)
	var wg sync.WaitGroup
	for i := 0; i < o.Reviewers; i++ {
		rv := revs[i%len(revs)]
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for n := 0; time.Now().Before(deadline) && ctx.Err() == nil; n++ {
				if o.Think > 0 {
					time.Sleep(time.Duration(r.ExpFloat64() * float64(o.Think)))
				}
				k := n % len(kinds)
				var path string
				switch k {
				case 0:
					path = "/api/v1/queue?stage=" + string(rv.stage)
				case 1:
					path = "/web/queue?stage=" + string(rv.stage)
				default:
					if len(rv.drafts) == 0 {
						continue
					}
					id := rv.drafts[r.IntN(len(rv.drafts))]
					path = "/api/v1/drafts/" + strconv.FormatInt(id, 10)
					if k == 3 {
						path = "/web/drafts/" + strconv.FormatInt(id, 10)
					}
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
				req.Header.Set("Authorization", "Bearer "+rv.token)
				req.AddCookie(&http.Cookie{Name: "sanshen", Value: rv.session})
				t0 := time.Now()
				res, err := client.Do(req)
				d := time.Since(t0)
				bad := err != nil
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					bad = res.StatusCode != http.StatusOK
				}
				mu.Lock()
				lat[k] = append(lat[k], d)
				if bad {
					errs[k]++
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	out := make([]Kind, len(kinds))
	for k, name := range kinds {
		ls := lat[k]
		slices.Sort(ls)
		out[k] = Kind{Name: name, N: len(ls), Errors: errs[k], PerSecond: float64(len(ls)) / o.Duration.Seconds(),
			P50: pct(ls, 0.50), P95: pct(ls, 0.95), P99: pct(ls, 0.99)}
	}
	return out
}

func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// consistency times a witness's check of a log of size n against the head
// it holds from when the log was half as long.
func consistency(ctx context.Context, s *store.Store, n int64) (time.Duration, error) {
	if n < 2 {
		return 0, nil
	}
	t0 := time.Now()
	oldRoot, newRoot, proof, err := s.ProveConsistency(ctx, n/2, n)
	if err != nil {
		return 0, err
	}
	if err := tlog.CheckTree(proof, n, newRoot, n/2, oldRoot); err != nil {
		return 0, fmt.Errorf("the log is not consistent with its own earlier head: %w", err)
	}
	return time.Since(t0), nil
}
