// Package bench is `sanshen bench`: it runs the whole pipeline in-process on
// a database of its own, drives it through the HTTP API the way officers and
// reviewers do, and measures it next to the ceilings of the same machine
// (pgbench -N on the same PostgreSQL, a plain JetStream publish/consume loop
// with the pipeline's stream settings). docs/performance.md explains each
// figure and keeps the results.
//
// The point of measuring against ceilings in the same run is that absolute
// numbers on a shared 2-core machine say little; the ratios say how much of
// what Postgres and JetStream can do the pipeline turns into transitions.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Options are the knobs of one run. Main fills them from the command line;
// tests set them directly.
type Options struct {
	Drafts      int           // drafts to submit and see published
	Clients     int           // concurrent officers submitting; as many reviewers decide each human stage
	ReturnShare float64       // share of drafts the confidentiality reviewer returns once
	Rate        float64       // submissions per second across all clients; 0 = as fast as they go
	Timeout     time.Duration // bound on the pipeline phase
	Seed        uint64        // the corpus seed: same seed, same drafts
	Keep        bool          // keep the bench databases afterwards, for inspection
	Ceilings    bool          // also measure pgbench -N and JetStream
	CPUProfile  string        // write a CPU profile of the pipeline phase here
	// DatabaseURL names the PostgreSQL server to use (its database part is
	// replaced by sanshen_bench_<timestamp>); empty means Config.DatabaseURL.
	DatabaseURL string
	// PoolMaxConns, when positive, sets pgxpool's pool_max_conns for
	// sanshen's pool; 0 keeps what the URL says (pgx's default is
	// max(4, CPUs)), which is what `sanshen all` runs with.
	PoolMaxConns      int
	WorkerConcurrency int // batches each consumer has in flight; 0 = the services' default (2)
	// BatchLinger is how long a busy consumer waits to fill a batch
	// (bus.Options.Linger); negative keeps SANSHEN_BATCH_LINGER.
	BatchLinger time.Duration
	// GroupLinger is how long busy decisions and submissions wait to share
	// a commit (store.SetGroupLinger); negative keeps SANSHEN_GROUP_LINGER.
	GroupLinger       time.Duration
	PgbenchSeconds    int
	PgbenchScale      int
	JetStreamMessages int
	Departments       []string
	// Agencies splits the departments round-robin over this many agencies,
	// each with its own confidentiality reviewers and queue (default 1).
	Agencies int
	// PortalShare is the share of drafts that also go to the district
	// portal, a fake one on loopback that implements docs/portal.md
	// (sanshen fake-channels); 0 leaves the portal out.
	PortalShare float64
	// WeChat sends the drafts bound for WeChat (about half) to a fake
	// official account on loopback that implements CHANNELS.md §1
	// (sanshen fake-channels); false leaves WeChat not configured.
	WeChat bool
	// Progress, when set, receives a line every few seconds while the pipeline runs.
	Progress io.Writer
}

// DefaultOptions are the documented defaults of `sanshen bench`.
func DefaultOptions() Options {
	return Options{Drafts: 2000, Clients: 16, ReturnShare: 0.1, Timeout: 15 * time.Minute, Seed: 1, Ceilings: true,
		BatchLinger: -1, GroupLinger: -1, PgbenchSeconds: 20, PgbenchScale: 10, JetStreamMessages: 20000, Departments: DefaultDepartments,
		Agencies: 1}
}

// Main parses the bench's flags, runs it and prints the results to out (a
// table, and with -json a JSON object after it). It fails when the run
// failed or its end checks did not hold, so a script can rely on the exit
// status.
func Main(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	o := DefaultOptions()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.Drafts, "n", o.Drafts, "drafts to submit")
	fs.IntVar(&o.Clients, "c", o.Clients, "concurrent clients (officers submitting; as many reviewers per human stage)")
	fs.Float64Var(&o.ReturnShare, "return-share", o.ReturnShare, "share of drafts returned once at confidentiality")
	fs.Float64Var(&o.Rate, "rate", o.Rate, "submissions per second across all clients (0 = as fast as possible)")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "give up when not every draft is published within this")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the generated drafts")
	fs.BoolVar(&o.Keep, "keep", o.Keep, "keep the bench's databases afterwards")
	fs.BoolVar(&o.Ceilings, "ceilings", o.Ceilings, "also measure pgbench -N and JetStream on this machine")
	fs.StringVar(&o.CPUProfile, "cpuprofile", o.CPUProfile, "write a CPU profile of the pipeline phase to this file")
	fs.StringVar(&o.DatabaseURL, "database-url", o.DatabaseURL, "PostgreSQL server to use (default DATABASE_URL); the bench makes its own database there")
	fs.IntVar(&o.PoolMaxConns, "pool-max-conns", o.PoolMaxConns, "sanshen's connection pool size (0 = as sanshen all runs: the URL's pool_max_conns or pgx's default)")
	fs.IntVar(&o.WorkerConcurrency, "worker-concurrency", o.WorkerConcurrency, "batches each consumer has in flight, each up to 64 messages in one transaction (0 = the services' defaults: 1 per stage worker, 2 for the publisher)")
	o.BatchLinger = cfg.BatchLinger
	fs.DurationVar(&o.BatchLinger, "batch-linger", o.BatchLinger, "how long a busy stage waits to fill a batch (0s = never; the default is SANSHEN_BATCH_LINGER)")
	o.GroupLinger = cfg.GroupLinger
	fs.DurationVar(&o.GroupLinger, "group-linger", o.GroupLinger, "how long busy decisions and submissions wait to share a commit (0s = never; the default is SANSHEN_GROUP_LINGER)")
	fs.IntVar(&o.PgbenchSeconds, "pgbench-seconds", o.PgbenchSeconds, "pgbench -T")
	fs.IntVar(&o.PgbenchScale, "pgbench-scale", o.PgbenchScale, "pgbench -i -s")
	fs.IntVar(&o.JetStreamMessages, "js-n", o.JetStreamMessages, "messages of the JetStream ceiling loop")
	fs.IntVar(&o.Agencies, "agencies", o.Agencies, "agencies the departments are spread over, each with its own confidentiality reviewers")
	fs.Float64Var(&o.PortalShare, "portal", o.PortalShare, "share of drafts also pushed to a fake district portal on loopback (0 = none; 1 = every draft)")
	fs.BoolVar(&o.WeChat, "wechat", o.WeChat, "publish the WeChat-bound drafts to a fake official account on loopback (cover upload, draft, submit, poll)")
	asJSON := fs.Bool("json", false, "also print the results as one JSON object")
	searchN := fs.Int("search", 0, "instead of the pipeline, measure the public column's search over this many published items (docs/performance.md)")
	searchRuns := fs.Int("search-runs", 200, "runs of each query of -search")
	searchDB := fs.String("search-db", "", "measure -search on this database, kept by an earlier -search -keep run, without loading it again")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	o.Progress = os.Stderr
	if *searchN > 0 || *searchDB != "" {
		sr, err := RunSearch(ctx, cfg, log, o, *searchN, max(*searchRuns, 1), *searchDB, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "sanshen bench %s\n", strings.Join(args, " "))
		WriteSearch(out, sr)
		if *asJSON {
			return json.NewEncoder(out).Encode(sr)
		}
		return nil
	}
	res, err := Run(ctx, cfg, log, o)
	res.Command = strings.TrimSpace("sanshen bench " + strings.Join(args, " "))
	if res.Drafts > 0 {
		if perr := WriteTable(out, res); perr != nil {
			return perr
		}
		if *asJSON {
			if perr := WriteJSON(out, res); perr != nil {
				return perr
			}
		}
	}
	if err != nil {
		return err
	}
	if !res.Checks.OK {
		return fmt.Errorf("bench end checks failed: %s", strings.Join(res.Checks.Problems, "; "))
	}
	return nil
}

func (o Options) validate() error {
	switch {
	case o.Drafts < 1:
		return errors.New("-n must be at least 1")
	case o.Clients < 1:
		return errors.New("-c must be at least 1")
	case o.ReturnShare < 0 || o.ReturnShare > 1:
		return errors.New("-return-share must be between 0 and 1")
	case o.Timeout <= 0:
		return errors.New("-timeout must be positive")
	case o.Rate < 0:
		return errors.New("-rate must not be negative")
	case len(o.Departments) == 0:
		return errors.New("the bench needs at least one department")
	case o.Agencies < 1 || o.Agencies > len(o.Departments):
		return fmt.Errorf("-agencies must be between 1 and the %d departments", len(o.Departments))
	}
	return nil
}

// Run runs one benchmark: the pipeline phase, the end checks and, when
// asked, the ceilings. It returns what it measured even when it fails part
// way, so the caller can show how far it got.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, o Options) (Result, error) {
	if err := o.validate(); err != nil {
		return Result{}, err
	}
	res := Result{Date: time.Now().UTC().Format(time.RFC3339), Commit: commit(ctx), Drafts: o.Drafts, Clients: o.Clients,
		ReturnShare: o.ReturnShare, Rate: o.Rate, Seed: o.Seed, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	server := o.DatabaseURL
	if server == "" {
		server = cfg.DatabaseURL
	}
	name := fmt.Sprintf("sanshen_bench_%s_%d", time.Now().UTC().Format("20060102_150405"), os.Getpid())
	dbURL, err := withDatabase(server, name)
	if err != nil {
		return res, err
	}
	if o.PoolMaxConns > 0 {
		dbURL = withParam(dbURL, "pool_max_conns", strconv.Itoa(o.PoolMaxConns))
	}
	res.Database = name
	defer func() {
		if o.Keep {
			return
		}
		if err := dropDatabase(context.WithoutCancel(ctx), server, name); err != nil {
			log.Warn("could not drop the bench database", "database", name, "err", err)
		}
	}()

	if err := runPipeline(ctx, cfg, log, o, dbURL, &res); err != nil {
		return res, err
	}
	if o.Ceilings {
		res.Pgbench = runPgbench(ctx, server, o, log)
		res.JetStream = runJetStream(ctx, o.JetStreamMessages, cfg.MaxDeliver)
		res.computeRatios()
	}
	return res, nil
}

// runPipeline starts sanshen on dbURL, drives the drafts through it, and
// fills res with the pipeline's figures and the end checks.
func runPipeline(ctx context.Context, cfg config.Config, log *slog.Logger, o Options, dbURL string, res *Result) error {
	dataDir, err := os.MkdirTemp("", "sanshen-bench-")
	if err != nil {
		return fmt.Errorf("error creating the bench's data dir: %w", err)
	}
	defer os.RemoveAll(dataDir)
	cfg.DatabaseURL, cfg.DataDir, cfg.NATSURL, cfg.NATSListen = dbURL, dataDir, "", ""
	if o.BatchLinger >= 0 {
		cfg.BatchLinger = o.BatchLinger
	}
	if o.GroupLinger >= 0 {
		cfg.GroupLinger = o.GroupLinger
	}
	res.BatchLinger, res.GroupLinger = cfg.BatchLinger.String(), cfg.GroupLinger.String()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("error listening for the bench's API: %w", err)
	}
	// store.EnsureDatabase hands pgxpool's pool_* parameters to the server,
	// which refuses them; with a pool size in the URL the bench creates and
	// migrates the database itself and sanshen only checks the schema.
	migrate := !hasPoolParams(dbURL)
	started := time.Now()
	if !migrate {
		if err := createAndMigrate(ctx, dbURL, log); err != nil {
			ln.Close()
			return err
		}
	}
	cfg.MetricsAddr = "" // its metrics are read in-process: no listener to collide with a running sanshen's
	var portal *fakeportal.Server
	if o.PortalShare > 0 {
		pln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ln.Close()
			return fmt.Errorf("error listening for the fake portal: %w", err)
		}
		cfg.PortalURL, cfg.PortalKeyID, cfg.PortalSecret = "http://"+pln.Addr().String(), "sanshen", "sanshen-bench-portal-secret"
		cfg.PublicURL = "http://" + ln.Addr().String()
		portal = fakeportal.New(fakeportal.Options{KeyID: cfg.PortalKeyID, Secret: []byte(cfg.PortalSecret)})
		pctx, stopPortal := context.WithCancel(context.WithoutCancel(ctx))
		defer stopPortal()
		go func() { _ = portal.Serve(pctx, pln) }()
	}
	var wx *fakewechat.Server
	if o.WeChat {
		wln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ln.Close()
			return fmt.Errorf("error listening for the fake WeChat: %w", err)
		}
		cfg.WeChatURL, cfg.WeChatAppID, cfg.WeChatSecret = "http://"+wln.Addr().String(), "wx-sanshen-bench", "sanshen-bench-wechat-secret"
		wx = fakewechat.New(fakewechat.Options{AppID: cfg.WeChatAppID, Secret: cfg.WeChatSecret})
		wsrv := &http.Server{Handler: wx, ReadHeaderTimeout: 10 * time.Second}
		defer wsrv.Close()
		go func() { _ = wsrv.Serve(wln) }()
	}
	sys, err := system.Start(ctx, cfg, log, system.Options{Components: system.All, Migrate: migrate, Listener: ln,
		Concurrency: o.WorkerConcurrency})
	if err != nil {
		ln.Close()
		return fmt.Errorf("error starting sanshen: %w", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			sys.Stop()
		}
	}
	defer stop()
	res.StartSeconds = time.Since(started).Seconds()
	res.PoolMaxConns = int(sys.Store.Pool.Config().MaxConns)

	// The bench's own queries (the cast, progress, figures) use a pool of
	// their own, so they never take a connection from sanshen's.
	bs, err := store.Open(ctx, withParam(dbURL, "pool_max_conns", "4"), log)
	if err != nil {
		return err
	}
	defer bs.Close()
	if err := bs.Pool.QueryRow(ctx, `SELECT current_setting('server_version')`).Scan(&res.PostgresVersion); err != nil {
		return fmt.Errorf("error reading the PostgreSQL version: %w", err)
	}
	cast, err := makeCast(ctx, bs, o)
	if err != nil {
		return err
	}
	corp := newCorpus(o.Seed, o.Departments, o.Drafts, o.ReturnShare, time.Now())
	corp.portalShare = o.PortalShare

	before, err := takeSample(ctx, bs)
	if err != nil {
		return err
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return fmt.Errorf("error creating the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("error starting the CPU profile: %w", err)
		}
	}
	d := newDriver("http://"+sys.Addr, bs, corp, cast, o)
	runErr := d.run(ctx, sys.Errors())
	if o.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	after, err := takeSample(ctx, bs)
	if err != nil {
		return err
	}
	res.fillClient(d)
	res.fillProcess(before, after)
	res.fillWorkers(sys.Metrics.Registry)
	if runErr != nil {
		return runErr
	}
	if err := res.fillFromDatabase(ctx, bs); err != nil {
		return err
	}
	// Stopping sanshen closes its connections, whose backends then flush
	// their statistics: only then does pg_stat_database count every commit.
	stop()
	if err := res.fillCommits(ctx, bs, before); err != nil {
		return err
	}
	if err := res.fillTables(ctx, bs); err != nil {
		return err
	}
	if err := res.check(ctx, bs); err != nil {
		return err
	}
	if portal != nil {
		res.checkPortal(ctx, bs, portal)
	}
	if wx != nil {
		res.checkWeChat(ctx, bs, wx)
	}
	return nil
}

// makeCast creates the office: per department two officers and enough
// heads to give each of the C compliance deciders an identity, C
// confidentiality reviewers who hold no other role (so separation of duties
// never refuses them), all through the store as `sanshen users add` does.
func makeCast(ctx context.Context, s *store.Store, o Options) (*cast, error) {
	c := &cast{officers: map[string][]*person{}, heads: map[string][]*person{}, agencyOf: map[string]int64{},
		reviewers: map[int64][]*person{}}
	agencies := []int64{store.DefaultAgency}
	for k := 2; k <= o.Agencies; k++ {
		a, _, _, err := s.AddAgency(ctx, benchActor(0), fmt.Sprintf("bench-%d", k), fmt.Sprintf("第%d机关", k),
			store.NewUser{Name: fmt.Sprintf("第%d机关管理员", k)})
		if err != nil {
			return nil, fmt.Errorf("error creating agency %d: %w", k, err)
		}
		agencies = append(agencies, a.ID)
	}
	headsPer := max(1, (o.Clients+len(o.Departments)-1)/len(o.Departments))
	for i, name := range o.Departments {
		agency := agencies[i%len(agencies)]
		c.agencyOf[name] = agency
		admin := benchActor(agency)
		dep, err := s.AddDepartment(ctx, admin, name)
		if err != nil {
			return nil, fmt.Errorf("error creating department %s: %w", name, err)
		}
		for k := range 2 {
			p, err := addPerson(ctx, s, agency, fmt.Sprintf("信息员%d-%d", i+1, k+1), "officer", dep.ID)
			if err != nil {
				return nil, err
			}
			c.officers[name] = append(c.officers[name], p)
		}
		for k := range headsPer {
			p, err := addPerson(ctx, s, agency, fmt.Sprintf("科长%d-%d", i+1, k+1), "dept_head", dep.ID)
			if err != nil {
				return nil, err
			}
			c.heads[name] = append(c.heads[name], p)
		}
	}
	// C reviewers in all, each agency at least one.
	for k := range max(o.Clients, len(agencies)) {
		agency := agencies[k%len(agencies)]
		p, err := addPerson(ctx, s, agency, fmt.Sprintf("保密审查员%d", k+1), "confidentiality")
		if err != nil {
			return nil, err
		}
		c.reviewers[agency] = append(c.reviewers[agency], p)
	}
	return c, nil
}

// withDatabase is the server URL u with its database replaced by name.
func withDatabase(u, name string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
		return "", fmt.Errorf("error reading the database URL: want postgres://…, got %q", redact(u))
	}
	p.Path = "/" + name
	return p.String(), nil
}

// withParam sets one query parameter of a URL that withDatabase accepted.
func withParam(u, key, value string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// dropDatabase drops a database of the bench on server.
func dropDatabase(ctx context.Context, server, name string) error {
	admin, err := withDatabase(server, "postgres")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, stripPoolParams(admin))
	if err != nil {
		return fmt.Errorf("error connecting to drop %s: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("error dropping database %s: %w", name, err)
	}
	return nil
}

// hasPoolParams reports whether u carries pgxpool-only parameters.
func hasPoolParams(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	for k := range p.Query() {
		if strings.HasPrefix(k, "pool_") {
			return true
		}
	}
	return false
}

// createAndMigrate creates the database u names and applies the migrations.
func createAndMigrate(ctx context.Context, u string, log *slog.Logger) error {
	if err := store.EnsureDatabase(ctx, stripPoolParams(u)); err != nil {
		return err
	}
	s, err := store.Open(ctx, u, log)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Migrate(ctx)
}

// stripPoolParams removes the parameters only pgxpool understands, which
// a plain pgx connection and libpq (pgbench) refuse.
func stripPoolParams(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	p.RawQuery = q.Encode()
	return p.String()
}

// commit is the VCS revision the binary was built from, when Go stamped it
// (go build does unless -buildvcs=false), else the checkout's HEAD when the
// bench runs inside one (go run), else empty.
func commit(ctx context.Context) string {
	if rev := stampedCommit(); rev != "" {
		return rev
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func stampedCommit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

// rusage is the process's own CPU time and peak RSS.
func rusage() (cpu time.Duration, maxRSSKB int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), int64(ru.Maxrss)
}
