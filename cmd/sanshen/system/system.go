// Package system wires sanshen's services together for the binary's run
// modes: all of them in one process (`sanshen all`) or one each (split mode).
// Tests use it to run the real system in-process.
package system

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/notify"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/schedule"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/totp"
	"github.com/sanshen-gov/sanshen/services/api"
	"github.com/sanshen-gov/sanshen/services/api/web"
	"github.com/sanshen-gov/sanshen/services/lifecycle"
	"github.com/sanshen-gov/sanshen/services/notifications"
	"github.com/sanshen-gov/sanshen/services/publisher"
	"github.com/sanshen-gov/sanshen/services/relay"
	"github.com/sanshen-gov/sanshen/services/webhooks"
	"github.com/sanshen-gov/sanshen/services/worker"
)

// Components says which services a process runs.
type Components struct {
	API       bool
	Stages    []domain.Stage
	Relay     bool
	Publisher bool
}

// All is every service: `sanshen all`.
var All = Components{API: true, Stages: domain.Stages(), Relay: true, Publisher: true}

// Options are the knobs beyond Config, mostly for tests.
type Options struct {
	Components Components
	// Migrate creates the database and applies migrations first (`all` does);
	// otherwise the schema version is only checked.
	Migrate     bool
	Bus         bus.Options
	Concurrency int // batches each consumer has in flight (0: the defaults, 1 per stage worker and 2 for the publisher)
	// Listener, when set, is used instead of listening on Config.HTTPAddr.
	Listener net.Listener
	// Fault hooks for tests.
	WorkerBeforeStep  func(stage domain.Stage, w work.Item) error
	WorkerBeforeAck   func(stage domain.Stage, w work.Item) error
	RelayAfterPublish func(ids []int64) error // both the eager relay's and the relay service's
	// RelayGrace is the relay service's Grace (0: relay.DefaultGrace).
	RelayGrace time.Duration
	// Channels, when set, replace the publisher's channel adapters (tests).
	Channels map[domain.Channel]publisher.Channel
	// ClaimTimeout overrides the publisher's claim timeout (tests).
	ClaimTimeout time.Duration
	// RecheckEvery overrides how often the publisher rechecks delivered
	// items on the platforms (tests).
	RecheckEvery time.Duration
	// Now is the scheduler's clock (tests control it; nil: time.Now), and
	// SchedulerPoll how often it looks for due jobs (0: every second).
	Now           func() time.Time
	SchedulerPoll time.Duration
	// Embedded, when set, is used as the NATS server instead of NATS_URL or a new one.
	Embedded *bus.Embedded
	// PasswordParams, when set, replaces argon2id's cost (tests sign in
	// often: password.Test); production always runs password.Default.
	PasswordParams *password.Params
	// HTTPTimeouts overrides api.DefaultTimeouts field by field (tests of
	// slow clients).
	HTTPTimeouts api.Timeouts
	// Notifications: how often the periodic scan runs (0: every 15
	// minutes), the robots' HTTP timeout (0: 10 s), the dispatcher's claim
	// lease (0: notifications.DefaultLease), and hooks around each send
	// (tests kill the dispatcher there).
	NotifyScanEvery, NotifyRobotTimeout, NotifyLease time.Duration
	NotifyBeforeSend, NotifyAfterSend                func(store.Delivery)
}

// System is a running sanshen process.
type System struct {
	Config   config.Config
	Log      *slog.Logger
	Store    *store.Store
	Metrics  *metrics.Metrics
	NATS     *nats.Conn
	JS       jetstream.JetStream
	Embedded *bus.Embedded // nil when connected to an external NATS
	// Calendar is the working-day calendar this process counts with: the
	// embedded years and those admins added, reloaded when they change.
	Calendar *calendar.Calendar
	ownsNATS bool
	HTTP     *http.Server
	Addr     string // the API's listening address, when it runs
	// MetricsHTTP serves /metrics on SANSHEN_METRICS_ADDR, MetricsAddr its
	// address: never the API's port.
	MetricsHTTP *http.Server
	MetricsAddr string
	// Passwords is the API's password hasher (tests count its runs).
	Passwords *password.Hasher

	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error
}

// Start starts the configured components; they run until Stop.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger, o Options) (sys *System, err error) {
	s := &System{Config: cfg, Log: log, Metrics: metrics.New(), errs: make(chan error, 16)}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	dbURL := cfg.DatabaseURL
	if o.Migrate {
		// As the owner: the database, its schema and the services' role;
		// then the services connect as that role.
		if dbURL, err = MigrateAsOwner(ctx, cfg, log); err != nil {
			return nil, err
		}
	}
	if s.Store, err = store.Open(ctx, dbURL, log); err != nil {
		return nil, err
	}
	s.Store.SetGroupLinger(cfg.GroupLinger)
	s.Store.TokenTTL = cfg.TokenTTL
	// The transparency log's key: made in the data dir by a process that
	// signs heads (the relay), read by the others when it is there.
	var logKey *audit.LogKey
	if key, err := config.AuditSigningKey(cfg, o.Components.Relay && cfg.CheckpointEvery > 0); err == nil {
		lk, err := audit.NewLogKey(cfg.LogOrigin, key)
		if err != nil {
			return nil, err
		}
		logKey = &lk
		s.Store.Log.VerifierKey = lk.VerifierKey
	}
	s.Store.Log.Skew = cfg.ClockSkew
	// Pool counts, for the soak and the dashboards: a leak shows as growth.
	pool := s.Store.Pool
	s.Metrics.Registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sanshen_db_pool_total_conns", Help: "Connections in the Postgres pool."},
			func() float64 { return float64(pool.Stat().TotalConns()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sanshen_db_pool_acquired_conns", Help: "Pool connections in use."},
			func() float64 { return float64(pool.Stat().AcquiredConns()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sanshen_db_pool_max_conns", Help: "The pool's size."},
			func() float64 { return float64(pool.Stat().MaxConns()) }),
	)
	s.Store.OnTransition = func(from, to domain.State, inState time.Duration) {
		stage := string(from)
		if stage == "" {
			stage = "new"
		} else {
			s.Metrics.TimeInStage.WithLabelValues(stage).Observe(inState.Seconds())
		}
		s.Metrics.Transitions.WithLabelValues(stage, string(to)).Inc()
	}
	if err := s.Store.CheckSchema(ctx); err != nil {
		return nil, err
	}
	switch {
	case o.Embedded != nil:
		s.Embedded = o.Embedded
	case cfg.NATSURL == "":
		if s.Embedded, err = bus.StartEmbedded(cfg.DataDir, cfg.NATSListen); err != nil {
			return nil, err
		}
		s.ownsNATS = true
		log.Info("embedded NATS started", "store", cfg.DataDir+"/jetstream", "listen", cfg.NATSListen)
	}
	if s.Embedded != nil {
		s.NATS, err = s.Embedded.Connect()
	} else {
		s.NATS, err = bus.Connect(cfg.NATSURL, log)
	}
	if err != nil {
		return nil, err
	}
	if s.JS, err = jetstream.New(s.NATS); err != nil {
		return nil, fmt.Errorf("error opening JetStream: %w", err)
	}
	busOpts := o.Bus
	if busOpts.MaxDeliver == 0 {
		busOpts.MaxDeliver = cfg.MaxDeliver
	}
	if busOpts.Linger == 0 {
		busOpts.Linger = cfg.BatchLinger
	}
	if busOpts.Replicas == 0 {
		busOpts.Replicas = cfg.StreamReplicas
	}
	if err := bus.Declare(ctx, s.JS, busOpts); err != nil {
		return nil, err
	}

	s.runCtx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c := o.Components
	// The working-day calendar: the embedded years and those an admin
	// added, kept current in every process as admins add more.
	cal, err := loadCalendar(ctx, s.Store, nil)
	// cases are the 依申请公开 counts of the annual report's tables 三 and
	// 四: none recorded until the cases feature is wired in here.
	var cases annualreport.CaseSource = store.Cases{Store: s.Store}
	if err != nil {
		return nil, err
	}
	s.Calendar = cal
	s.run("calendar", func(ctx context.Context) error { refreshCalendar(ctx, s.Store, cal, log); return nil })
	// This process relays its own transactions' outbox rows as they commit;
	// the relay service sends what it leaves.
	eager := relay.NewEager(s.JS, s.NATS, s.Store, log, s.Metrics)
	eager.AfterPublish = o.RelayAfterPublish
	s.Store.Announce = eager
	s.run("eager-relay", eager.Run)
	var blobs blob.Store
	// The relay's scheduler removes the bytes of identity documents past
	// their retention (lifecycle.KindIdentityRetention): it needs the store too.
	if c.API || c.Publisher || c.Relay {
		bc := cfg.Blob
		if bc.Dir == "" {
			bc.Dir = filepath.Join(cfg.DataDir, "blobs")
		}
		if blobs, err = blob.Open(ctx, bc); err != nil {
			return nil, fmt.Errorf("error opening the file store (SANSHEN_BLOB_BACKEND %q): %w", cfg.Blob.Backend, err)
		}
	}
	if c.API {
		// Caches token and department lookups while its LISTEN holds.
		s.run("auth-cache", func(ctx context.Context) error { s.Store.WatchAuth(ctx); return nil })
		s.Metrics.Registry.MustRegister(metrics.NewQueueCollector(func(ctx context.Context) ([]metrics.Depth, error) {
			ds, err := s.Store.QueueDepths(ctx)
			out := make([]metrics.Depth, len(ds))
			for i, d := range ds {
				out[i] = metrics.Depth{State: string(d.State), Count: d.Count, Oldest: d.Oldest}
			}
			return out, err
		}, func(ctx context.Context) (metrics.Problems, error) {
			dead, pubs, err := s.Store.OpenProblems(ctx)
			return metrics.Problems{DeadLetters: dead, Publications: pubs}, err
		}))
		s.Metrics.Registry.MustRegister(metrics.NewChannelCollector(func(ctx context.Context) (map[domain.Channel]metrics.ChannelHealth, error) {
			st, err := s.Store.ChannelStatuses(ctx, time.Now())
			out := map[domain.Channel]metrics.ChannelHealth{}
			for ch, c := range st {
				out[ch] = metrics.ChannelHealth{TokenExpiresAt: c.TokenExpiresAt, RefreshExpiresAt: c.RefreshExpiresAt,
					LastSuccessAt: c.LastSuccessAt, LastErrorAt: c.LastErrorAt, NotAuthorised: c.NotAuthorised, QuotaErrorsToday: c.QuotaErrorsToday}
			}
			return out, err
		}))
		params := password.Default
		if o.PasswordParams != nil {
			params = *o.PasswordParams
		}
		hasher := password.NewHasher(params, password.DefaultSlots)
		s.Passwords = hasher
		totpKey, err := config.TOTPKey(cfg, true)
		if err != nil {
			return nil, err
		}
		sealer, err := totp.NewSealer(totpKey)
		if err != nil {
			return nil, err
		}
		srv := &api.Server{Store: s.Store, NATS: s.NATS, Calendar: cal, Metrics: s.Metrics, Log: log,
			MaxBodySize: cfg.MaxBodySize, PublicURL: cfg.PublicURL, LogOrigin: cfg.LogOrigin, LogVerifierKey: s.Store.Log.VerifierKey,
			Proxies: cfg.TrustedProxies, Passwords: hasher, Blobs: blobs, WeChatEventToken: cfg.WeChatCallbackToken, Cases: cases}
		e := srv.Routes()
		pages := &web.Web{Store: s.Store, NATS: s.NATS, Calendar: cal, Log: log, Metrics: s.Metrics,
			Passwords: hasher, Sealer: sealer, Files: &api.Files{Store: s.Store, Blobs: blobs}, Cases: cases}
		pages.ChannelsConfigured = map[domain.Channel]bool{domain.ChannelPortal: cfg.PortalURL != "",
			domain.ChannelWeChat: cfg.WeChatAppID != "", domain.ChannelDouyin: cfg.DouyinClientKey != ""}
		for ch := range o.Channels {
			pages.ChannelsConfigured[ch] = true
		}
		if cfg.DouyinClientKey != "" {
			pages.Douyin = DouyinClient(cfg, s.Store, sealer, log).Tokens
		}
		if err := pages.Register(s.runCtx, e); err != nil {
			return nil, err
		}
		s.HTTP = api.NewHTTPServer(e, o.HTTPTimeouts)
		ln := o.Listener
		if ln == nil {
			if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
				return nil, fmt.Errorf("error listening on %s (SANSHEN_HTTP_ADDR): %w", cfg.HTTPAddr, err)
			}
		}
		s.Addr = ln.Addr().String()
		s.run("api", func(context.Context) error {
			if err := s.HTTP.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		// The lease on this process's Idempotency-Key claims: if it dies
		// mid-request, its clients' retries run after seconds.
		s.run("request lease", func(ctx context.Context) error {
			host, _ := os.Hostname()
			s.Store.HoldRequests(ctx, fmt.Sprintf("api %s pid %d", host, os.Getpid()))
			return nil
		})
		log.Info("API listening", "addr", s.Addr)
	}
	if cfg.MetricsAddr != "" {
		// /metrics on a listener of its own in every mode, never on the
		// public port: the operators' network reaches it, the public does not.
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return nil, fmt.Errorf("error listening on %s (SANSHEN_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		s.MetricsHTTP = api.NewHTTPServer(mux, o.HTTPTimeouts)
		s.MetricsAddr = ln.Addr().String()
		s.run("metrics", func(context.Context) error {
			if err := s.MetricsHTTP.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	runner := checks.NewRunner()
	runner.Calendar = cal
	runner.Words = &store.WordMatchers{Store: s.Store, Refresh: time.Second}
	runner.Expressions = &store.Expressions{Store: s.Store, Refresh: time.Second}
	runner.Periods = &store.PeriodCache{Store: s.Store, Refresh: time.Second}
	runner.Facts = store.AnnualFacts{Store: s.Store, Cases: cases}
	runner.Applicants = s.Store
	for _, st := range c.Stages {
		wk := &worker.Worker{Stage: st, Store: s.Store, JS: s.JS, Checks: runner, Bus: busOpts,
			Concurrency: o.Concurrency, Log: log, Metrics: s.Metrics}
		if o.WorkerBeforeStep != nil {
			wk.BeforeStep = func(w work.Item) error { return o.WorkerBeforeStep(st, w) }
		}
		if o.WorkerBeforeAck != nil {
			wk.BeforeAck = func(w work.Item) error { return o.WorkerBeforeAck(st, w) }
		}
		s.run("worker-"+string(st), wk.Run)
	}
	if c.Publisher {
		p := &publisher.Publisher{Store: s.Store, JS: s.JS, Bus: busOpts, Concurrency: o.Concurrency, Log: log, Metrics: s.Metrics,
			Channels: map[domain.Channel]publisher.Channel{
				domain.ChannelWebsite:   publisher.Website{PublicURL: cfg.PublicURL},
				domain.ChannelPortal:    publisher.NotConfigured{},
				domain.ChannelWeChat:    publisher.NotConfigured{},
				domain.ChannelDouyin:    publisher.NotConfigured{},
				domain.ChannelApplicant: publisher.Applicant{},
			}}
		if cfg.PortalURL != "" {
			p.Channels[domain.ChannelPortal] = &publisher.Portal{Store: s.Store, PublicURL: cfg.PublicURL,
				Client: &portal.Client{BaseURL: cfg.PortalURL, KeyID: cfg.PortalKeyID, Secret: []byte(cfg.PortalSecret), Log: log}}
		}
		if cfg.DouyinClientKey != "" {
			sealer, err := ChannelSealer(cfg)
			if err != nil {
				return nil, err
			}
			p.Channels[domain.ChannelDouyin] = &publisher.Douyin{Store: s.Store, Blobs: blobs, PublicURL: cfg.PublicURL, CanDelete: cfg.DouyinDelete,
				Client: DouyinClient(cfg, s.Store, sealer, log)}
		}
		if cfg.WeChatAppID != "" {
			wx := &publisher.WeChat{Store: s.Store, Blobs: blobs, PublicURL: cfg.PublicURL, MassPerDay: cfg.WeChatMassPerDay,
				Client: &wechat.Client{BaseURL: cfg.WeChatURL, AppID: cfg.WeChatAppID, Secret: cfg.WeChatSecret, Log: log}}
			if cfg.WeChatCallbackToken != "" {
				// The event brings the outcome; polls are the fallback.
				wx.Poll, wx.Events = wechat.Backoff{First: time.Minute, Max: 10 * time.Minute}, true
			}
			p.Channels[domain.ChannelWeChat] = wx
		}
		p.ClaimTimeout, p.RecheckEvery = o.ClaimTimeout, o.RecheckEvery
		for ch, a := range o.Channels {
			if us, ok := a.(interface{ UseStore(*store.Store) }); ok {
				us.UseStore(s.Store)
			}
			if ub, ok := a.(interface{ UseBlobs(blob.Store) }); ok {
				ub.UseBlobs(blobs)
			}
			p.Channels[ch] = a
		}
		s.run("publisher", p.Run)
	}
	if c.Relay {
		// The durable scheduler runs beside the relay: the lifecycle's jobs
		// (the expiry of penalty decisions) and, later, scheduled publishing.
		lc := &lifecycle.Lifecycle{Store: s.Store, Now: o.Now, Log: log}
		if blobs != nil {
			lc.Blobs = blobs
		}
		if err := lc.Start(ctx); err != nil {
			return nil, fmt.Errorf("error scheduling the expiry and retention sweeps: %w", err)
		}
		// Notifications: the trail's reader, the periodic scan (a job of
		// the scheduler) and the dispatcher of their outbox.
		nt := &notifications.Notifier{Store: s.Store, Calendar: cal, PublicURL: cfg.PublicURL, Now: o.Now,
			ScanEvery: o.NotifyScanEvery, Poll: o.SchedulerPoll, Log: log}
		if err := nt.Start(ctx); err != nil {
			return nil, fmt.Errorf("error starting the notifications: %w", err)
		}
		s.run("notifications", nt.RunTrail)
		handlers := lc.Handlers()
		maps.Copy(handlers, nt.Handlers())
		sr := &schedule.Runner{Pool: s.Store.Pool, Handlers: handlers, Now: o.Now, Log: log, Poll: o.SchedulerPoll}
		s.run("scheduler", sr.Run)
		// The robots' URLs are sealed with the key the pages sealed them
		// with: read, never made here (a key of the relay's own could open
		// nothing).
		var robotSealer store.Sealer
		if key, err := config.TOTPKey(cfg, false); err != nil {
			log.Warn("the agencies' robots cannot be posted to: no key to open their URLs (set SANSHEN_TOTP_KEY as for the api)", "err", err)
		} else if robotSealer, err = totp.NewSealer(key); err != nil {
			return nil, err
		}
		nd := &notifications.Dispatcher{Store: s.Store, Mailer: Mailer(cfg), Sealer: robotSealer, Now: o.Now, Poll: o.SchedulerPoll,
			Lease: cmp.Or(o.NotifyLease, cfg.NotifyLease), Metrics: s.Metrics, Log: log, BeforeSend: o.NotifyBeforeSend, AfterSend: o.NotifyAfterSend}
		if o.NotifyRobotTimeout > 0 {
			nd.HTTP = &http.Client{Timeout: o.NotifyRobotTimeout}
		}
		s.run("notify-dispatcher", nd.Run)
		if cfg.WebhookURL != "" {
			wh := &webhooks.Dispatcher{Store: s.Store, URL: cfg.WebhookURL, Secret: []byte(cfg.WebhookSecret),
				Origin: cmp.Or(cfg.LogOrigin, config.DefaultLogOrigin(cfg.PublicURL)), Poll: o.SchedulerPoll, Log: log}
			s.run("webhooks", wh.Run)
		}
		r := &relay.Relay{Store: s.Store, JS: s.JS, Log: log, Metrics: s.Metrics, SweepAfter: cfg.SweepAfter,
			Grace: o.RelayGrace, AfterPublish: o.RelayAfterPublish}
		if cfg.CheckpointEvery > 0 {
			if logKey == nil {
				return nil, errors.New("the relay signs the audit log's tree heads and needs its key: set SANSHEN_AUDIT_KEY or give it a writable SANSHEN_DATA_DIR")
			}
			r.LogKey, r.LogOrigin, r.HeadEvery, r.HeadLeaves = logKey, cfg.LogOrigin, cfg.CheckpointEvery, cfg.CheckpointLeaves
		}
		s.run("relay", r.Run)
	}
	return s, nil
}

func (s *System) run(name string, fn func(context.Context) error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := fn(s.runCtx); err != nil {
			s.Log.Error("service stopped with an error", "service", name, "err", err)
			select {
			case s.errs <- fmt.Errorf("%s: %w", name, err):
			default:
			}
		}
	}()
}

// Errors delivers the first errors of services that stopped on their own.
func (s *System) Errors() <-chan error { return s.errs }

// Stop stops every service, waits for them, and closes connections.
func (s *System) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	for _, srv := range []*http.Server{s.HTTP, s.MetricsHTTP} {
		if srv == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close() // a live event stream does not end by itself
		}
		cancel()
	}
	s.wg.Wait()
	if s.NATS != nil {
		s.NATS.Close()
	}
	if s.Embedded != nil && s.ownsNATS {
		s.Embedded.Shutdown()
	}
	if s.Store != nil {
		s.Store.Close()
	}
}

// MigrateAsOwner creates the database if missing, applies the migrations
// and makes the services' role, connected as the owner (DATABASE_URL), and
// returns the URL the services connect with (as the role).
func MigrateAsOwner(ctx context.Context, cfg config.Config, log *slog.Logger) (string, error) {
	if err := store.EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return "", err
	}
	owner, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return "", err
	}
	defer owner.Close()
	if err := owner.Migrate(ctx); err != nil {
		return "", err
	}
	if err := owner.EnsureAppRole(ctx, cfg.AppRole, cfg.AppPassword); err != nil {
		return "", err
	}
	if cfg.AppDatabaseURL != "" {
		return cfg.AppDatabaseURL, nil
	}
	return store.AppURL(cfg.DatabaseURL, cfg.AppRole, cfg.AppPassword)
}

// DouyinClient is the Douyin client of the configured app, its tokens kept
// sealed in PostgreSQL (publisher.DouyinTokens).
func DouyinClient(cfg config.Config, s *store.Store, sealer *totp.Sealer, log *slog.Logger) *douyin.Client {
	c := douyin.New(cmp.Or(cfg.DouyinURL, douyin.DefaultBaseURL), cfg.DouyinClientKey, cfg.DouyinClientSecret,
		&publisher.DouyinTokens{Store: s, Sealer: sealer})
	c.Log, c.Tokens.Log = log, log
	return c
}

// Mailer is the configured SMTP server's, or nil when SANSHEN_SMTP_HOST
// is empty.
func Mailer(cfg config.Config) *notify.Mailer {
	if cfg.SMTPHost == "" {
		return nil
	}
	tls := notify.StartTLSOpportunistic
	switch cfg.SMTPTLS {
	case "required":
		tls = notify.StartTLSRequired
	case "none":
		tls = notify.StartTLSNone
	}
	return &notify.Mailer{Addr: net.JoinHostPort(cfg.SMTPHost, cmp.Or(cfg.SMTPPort, "587")), From: cfg.SMTPFrom,
		Username: cfg.SMTPUser, Password: cfg.SMTPPassword, StartTLS: tls}
}

// ChannelSealer seals the platforms' credentials with the key that seals
// the second factors.
func ChannelSealer(cfg config.Config) (*totp.Sealer, error) {
	key, err := config.TOTPKey(cfg, true)
	if err != nil {
		return nil, err
	}
	return totp.NewSealer(key)
}

// loadCalendar is the official calendar with the years admins added; into,
// when given, takes the result (every holder of into sees it at once).
func loadCalendar(ctx context.Context, st *store.Store, into *calendar.Calendar) (*calendar.Calendar, error) {
	ys, _, err := st.CalendarYears(ctx)
	if err != nil {
		return nil, err
	}
	years := make([]calendar.Year, len(ys))
	for i, y := range ys {
		years[i] = y.Year
	}
	cal, err := calendar.Official().WithYears(years...)
	if err != nil {
		return nil, fmt.Errorf("error building the working-day calendar from the added years: %w", err)
	}
	if into != nil {
		into.Replace(cal)
		return into, nil
	}
	return cal, nil
}

// refreshCalendar reloads the calendar when an admin has changed it, every
// 15 seconds, until ctx ends.
func refreshCalendar(ctx context.Context, st *store.Store, cal *calendar.Calendar, log *slog.Logger) {
	var seen time.Time
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, last, err := st.CalendarYears(ctx)
		if err != nil || !last.After(seen) {
			continue
		}
		if _, err := loadCalendar(ctx, st, cal); err != nil {
			log.Warn("the working-day calendar was not reloaded", "err", err)
			continue
		}
		seen = last
		first, end := cal.Years()
		log.Info("working-day calendar reloaded", "first", first, "last", end)
	}
}
