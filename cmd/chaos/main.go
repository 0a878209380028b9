// Command chaos is sanshen's fault suite (`make chaos`; `-short` in CI).
// It runs the split deployment as separate processes on loopback — a
// private PostgreSQL primary with a streaming standby, a 3-node JetStream
// cluster with the work stream at R3, two replicas of every service —
// drives drafts and reviewers through the HTTP API as an office's client
// does (Idempotency-Key, retries), and meanwhile kills and cuts: any
// service process, a NATS node, the stream's leader, a NATS node's routes
// (a partition), PostgreSQL (crash recovery) and the primary itself (a
// failover to the standby). At the end it checks that every accepted
// draft was published exactly once, that no message was dead-lettered,
// that no answer 2xx was lost, and that the audit trail verifies.
// docs/reliability.md records a full run.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

type options struct {
	short       bool
	drafts      int
	faults      int
	failovers   int
	drive       time.Duration
	sync        bool
	keep        bool
	restore     bool
	replayWAL   bool
	bin         string
	seed        uint64
	maxDeliver  int
	concurrency int
}

func main() {
	var o options
	flag.BoolVar(&o.short, "short", false, "the short form, for CI: fewer drafts and faults, about 3 minutes")
	flag.IntVar(&o.drafts, "drafts", 0, "drafts to submit (default 2000; 90 with -short)")
	flag.IntVar(&o.faults, "faults", 0, "faults to inject (default 72; 8 with -short)")
	flag.IntVar(&o.failovers, "failovers", -1, "of which PostgreSQL failovers (default 3; 1 with -short)")
	flag.DurationVar(&o.drive, "drive", 0, "how long the drafts and the faults are spread over (default 11m; 45s with -short)")
	flag.BoolVar(&o.sync, "sync", true, "synchronous replication to the standby (false: asynchronous, and the loss is measured)")
	flag.BoolVar(&o.restore, "restore", true, "end with the disaster: restore a mid-run base backup and the archived WAL into a new server")
	flag.BoolVar(&o.replayWAL, "replay-wal", true, "the restore replays the archived WAL after the base backup (false: the base backup alone, as a daily dump would; default false with -short, so that CI always exercises the restore head)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (logs, data) after the run")
	flag.StringVar(&o.bin, "bin", "", "the sanshen binary (default: built from ./cmd/sanshen)")
	flag.Uint64Var(&o.seed, "seed", 0, "the faults' random seed (default: the time)")
	flag.IntVar(&o.concurrency, "c", 8, "submissions in flight")
	flag.Parse()
	def := func(v *int, full, short int) {
		if *v <= 0 {
			*v = full
			if o.short {
				*v = short
			}
		}
	}
	def(&o.drafts, 2000, 90)
	def(&o.faults, 72, 8)
	if o.failovers < 0 {
		o.failovers = 3
		if o.short {
			o.failovers = 1
		}
	}
	if o.drive == 0 {
		o.drive = 11 * time.Minute
		if o.short {
			o.drive = 45 * time.Second
		}
	}
	replaySet := false
	flag.Visit(func(f *flag.Flag) { replaySet = replaySet || f.Name == "replay-wal" })
	if o.short && !replaySet {
		o.replayWAL = false
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// suite is one run: its processes and what it counted.
type suite struct {
	o        options
	dir      string
	bin      string
	log      io.Writer
	pg       *pgCluster
	nats     *natsCluster
	services []*proc
	ownerURL string
	appURL   string
	env      []string
	rng      *mrand.Rand
	out      io.Writer
	started  time.Time
	faults   map[string]*tally
	shares   *shares
	db       *pgxpool.Pool
	heldBack int64 // the most outbox rows seen waiting while the store was full
	// failoverAt is when each failover began (the old primary killed).
	failoverAt []time.Time
	auditSeed  []byte
	backupDir  string
	backupAt   time.Time
	totpKey    []byte
	notify     *notifySinks
	disaster   chan struct{} // closed when the restore phase loses every server
}

// natsStore bounds each NATS node's JetStream store (max_file_store), so
// that the suite can fill it.
const natsStore = 8 << 20

type tally struct{ injected, recovered int }

func run(ctx context.Context, o options, out io.Writer) (bool, error) {
	s := &suite{o: o, out: out, started: time.Now(), faults: map[string]*tally{}, disaster: make(chan struct{}), rng: mrand.New(mrand.NewPCG(o.seed, 21))}
	var err error
	if s.dir, err = os.MkdirTemp("", "sanshen-chaos-"); err != nil {
		return false, err
	}
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return false, err
	}
	logf, err := os.Create(filepath.Join(s.dir, "processes.log"))
	if err != nil {
		return false, err
	}
	defer logf.Close()
	s.log = logf
	defer func() {
		s.shutdown()
		if o.keep {
			fmt.Fprintf(out, "work directory kept: %s (processes.log has every process's output)\n", s.dir)
		} else {
			_ = os.RemoveAll(s.dir)
		}
	}()
	fmt.Fprintf(out, "sanshen fault suite: %d drafts, %d faults (%d failovers, synchronous replication %v), over %s, seed %d\n",
		o.drafts, o.faults, o.failovers, o.sync, o.drive, o.seed)
	if err := s.setUp(ctx); err != nil {
		return false, err
	}
	return s.drive(ctx)
}

func (s *suite) step(format string, args ...any) {
	fmt.Fprintf(s.out, "[%6.1fs] %s\n", time.Since(s.started).Seconds(), fmt.Sprintf(format, args...))
}

func (s *suite) setUp(ctx context.Context) error {
	s.bin = s.o.bin
	if s.bin == "" {
		s.bin = filepath.Join(s.dir, "sanshen")
		s.step("building sanshen")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/sanshen")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("error building sanshen: %w", err)
		}
	}
	var err error
	s.step("PostgreSQL: a private primary (initdb) and a streaming standby (pg_basebackup)")
	if s.pg, err = newPGCluster(filepath.Join(s.dir, "pg"), s.log, s.o.sync); err != nil {
		return err
	}
	if err := s.pg.initPrimary(ctx); err != nil {
		return err
	}
	if s.o.failovers > 0 {
		if err := s.pg.addStandby(ctx); err != nil {
			return err
		}
	}
	dbq := "/sanshen?sslmode=disable&target_session_attrs=read-write&connect_timeout=3"
	s.ownerURL = "postgres://postgres@" + s.pg.hosts() + dbq
	s.appURL = "postgres://sanshen_app:chaos-app@" + s.pg.hosts() + dbq
	s.step("NATS: three nodes, every route through a proxy the suite can cut")
	if s.nats, err = newNATSCluster(s.bin, filepath.Join(s.dir, "nats"), s.log, natsStore); err != nil {
		return err
	}
	auditKey, totpKey := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(auditKey)
	s.auditSeed = auditKey
	_, _ = rand.Read(totpKey)
	s.totpKey = totpKey
	if s.notify, err = startNotifySinks(); err != nil {
		return err
	}
	s.env = []string{
		"NATS_URL=" + s.nats.url(), "SANSHEN_STREAM_REPLICAS=3",
		"SANSHEN_AUDIT_KEY=" + base64.StdEncoding.EncodeToString(auditKey),
		"SANSHEN_TOTP_KEY=" + base64.StdEncoding.EncodeToString(totpKey),
		"SANSHEN_DATA_DIR=" + filepath.Join(s.dir, "data"),
		"SANSHEN_LOG_LEVEL=warn", "SANSHEN_SWEEP_AFTER=10s", "SANSHEN_CHECKPOINT_EVERY=5s",
		"SANSHEN_PUBLIC_URL=http://chaos.test", "SANSHEN_LOG_ORIGIN=chaos.test/audit",
	}
	s.env = append(s.env, s.notify.env()...)
	if err := s.nats.waitJetStream(ctx); err != nil {
		return err
	}
	s.step("migrating (sanshen migrate, as the owner)")
	if err := s.sanshen(ctx, io.Discard, []string{"DATABASE_URL=" + s.ownerURL, "SANSHEN_APP_PASSWORD=chaos-app"}, "migrate"); err != nil {
		return err
	}
	s.step("services: two replicas each of api, the three stage workers, relay and publisher")
	for _, svc := range [][]string{{"api"}, {"worker", "--stage", "completeness"}, {"worker", "--stage", "compliance"},
		{"worker", "--stage", "confidentiality"}, {"relay"}, {"publisher"}} {
		kind := strings.Join(svc, "-")
		kind = strings.Replace(kind, "worker---stage-", "worker-", 1)
		for r := range 2 {
			p := &proc{name: fmt.Sprintf("%s/%d", kind, r+1), kind: kind, bin: s.bin, args: svc, log: s.log, supervised: true}
			mport := freePort()
			p.metrics = addr(mport)
			p.env = append(slices.Clone(s.env), "DATABASE_URL="+s.appURL, "SANSHEN_METRICS_ADDR="+p.metrics)
			health := "http://" + p.metrics + "/healthz"
			if kind == "api" {
				port := freePort()
				p.env = append(p.env, "SANSHEN_HTTP_ADDR="+addr(port))
				p.base = "http://" + addr(port)
				health = fmt.Sprintf("http://%s/readyz", addr(port))
			}
			p.ready = func(ctx context.Context) error { return httpOK(ctx, health) }
			s.services = append(s.services, p)
		}
	}
	for _, p := range s.services {
		if err := p.start(); err != nil {
			return err
		}
	}
	for _, p := range s.services {
		if err := p.waitReady(ctx, 90*time.Second); err != nil {
			return err
		}
	}
	if err := s.nats.healthy(ctx, bus.StreamName, 3); err != nil {
		return fmt.Errorf("the work stream is not at R3: %w", err)
	}
	s.shares = newShares(s.services)
	return nil
}

// sanshen runs a sanshen command to its end.
func (s *suite) sanshen(ctx context.Context, out io.Writer, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = append(append(os.Environ(), s.env...), env...)
	var errb strings.Builder
	cmd.Stdout, cmd.Stderr = out, &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("sanshen %s: %w: %s", strings.Join(args, " "), err, errb.String())
	}
	return nil
}

func httpOK(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d", u, res.StatusCode)
	}
	return nil
}

func (s *suite) shutdown() {
	for _, p := range s.services {
		p.stop()
	}
	if s.nats != nil {
		s.nats.close()
	}
	if s.pg != nil {
		s.pg.stopAll()
	}
	if s.notify != nil {
		s.notify.close()
	}
}

// cast adds the office: a department, its officer and head, and a
// confidentiality reviewer, and returns their API tokens.
func (s *suite) cast(ctx context.Context) (officer, head, sec string, err error) {
	st, err := store.Open(ctx, s.ownerURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return "", "", "", err
	}
	defer st.Close()
	admin := domain.Actor{Name: "chaos", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	d, err := st.AddDepartment(ctx, admin, "综合办")
	if err != nil {
		return "", "", "", err
	}
	var officerID int64
	add := func(name string, role domain.Role, depts ...int64) string {
		if err != nil {
			return ""
		}
		var tok string
		var u store.User
		u, tok, err = st.AddUser(ctx, admin, store.NewUser{Name: name, Roles: []domain.Role{role}, Departments: depts})
		if role == domain.RoleOfficer {
			officerID = u.ID
		}
		return tok
	}
	officer = add("王信息员", domain.RoleOfficer, d.ID)
	head = add("李科长", domain.RoleDeptHead, d.ID)
	sec = add("赵保密", domain.RoleConfidentiality)
	if err == nil {
		err = s.notify.wire(ctx, st, admin, s.totpKey, officerID)
	}
	return officer, head, sec, err
}

func round(f float64) float64 { return math.Round(f*10) / 10 }
