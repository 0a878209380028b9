package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestBenchWithPortal: with -portal and -wechat, half the drafts also go to
// the fake portal on loopback, and the WeChat-bound ones to the fake
// official account, each exactly once.
func TestBenchWithPortal(t *testing.T) {
	server := testenv.DatabaseURL(t)
	o := DefaultOptions()
	o.Drafts, o.Clients, o.ReturnShare, o.Ceilings, o.Timeout, o.PortalShare, o.WeChat = 20, 4, 0, false, 3*time.Minute, 0.5, true
	o.DatabaseURL = server
	cfg := config.Config{DatabaseURL: server, MaxDeliver: 5, MaxBodySize: 256 * 1024, SweepAfter: 30 * time.Second,
		PublicURL: "http://public.test", LogLevel: "warn"}
	res, err := Run(context.Background(), cfg, testenv.Logger(t), o)
	if err != nil {
		t.Fatalf("bench failed: %v", err)
	}
	c := res.Checks
	if !c.OK || c.PortalBound == 0 || c.PortalBound == 20 || c.PortalItems != c.PortalBound || c.PortalWrites != c.PortalBound {
		t.Fatalf("end checks: %+v", c)
	}
	if c.WeChatBound == 0 || c.WeChatArticles != c.WeChatBound || c.WeChatSubmits != c.WeChatBound {
		t.Fatalf("WeChat end checks: %+v", c)
	}
}

// TestBench runs the whole bench, small, against the test PostgreSQL: every
// draft must end published exactly once with the audit trail verifying,
// every figure must have been measured, and the bench's database must be
// gone afterwards. No time is asserted.
func TestBench(t *testing.T) {
	server := testenv.DatabaseURL(t) // the bench makes its own database on this server
	o := DefaultOptions()
	o.Drafts, o.Clients, o.ReturnShare, o.Ceilings, o.Timeout = 30, 4, 0.2, false, 3*time.Minute
	o.DatabaseURL = server
	cfg := config.Config{DatabaseURL: server, MaxDeliver: 5, MaxBodySize: 256 * 1024, SweepAfter: 30 * time.Second,
		PublicURL: "http://public.test", LogLevel: "warn"}
	res, err := Run(context.Background(), cfg, testenv.Logger(t), o)
	if err != nil {
		t.Fatalf("bench failed: %v", err)
	}
	c := res.Checks
	if !c.OK || c.Published != 30 || c.WebsiteDelivered != 30 || c.PublishedEvents != 30 || !c.AuditOK || c.DuplicatePublications != 0 {
		t.Fatalf("end checks: %+v", c)
	}
	if res.HumanReturns != 6 || res.Revisions < 6 {
		t.Errorf("20%% of 30 drafts should have been returned once and revised: %d returns, %d revisions", res.HumanReturns, res.Revisions)
	}
	// Each draft: submit, checks_pass, two approvals, published; each return adds return and revise.
	if want := 5*30 + 2*res.HumanReturns; res.Transitions < want {
		t.Errorf("transitions = %d, want at least %d", res.Transitions, want)
	}
	positive := map[string]float64{
		"wall seconds": res.WallSeconds, "drafts/s": res.DraftsPerSecond, "transitions/s": res.TransitionsPerSecond,
		"messages/s": res.MessagesPerSecond, "CPU seconds": res.CPUSeconds, "peak RSS": res.PeakRSSMB,
		"decision p50": res.DecisionLatency.P50, "end-to-end p50": res.EndToEnd.P50,
	}
	for name, v := range positive {
		if v <= 0 {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	for _, s := range stageOrder {
		if res.StageLatency[s].Count < 30 {
			t.Errorf("machine step %s measured %d times, want at least 30: %+v", s, res.StageLatency[s].Count, res.StageLatency)
		}
	}
	if res.DecisionLatency.Count != res.Decisions || res.Decisions < 60 {
		t.Errorf("decisions: %d timed, %d made", res.DecisionLatency.Count, res.Decisions)
	}

	var table bytes.Buffer
	if err := WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"drafts/s end to end", "transitions/s", "machine step confidentiality", "decision API", "audit verify            OK"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Checks.Published != 30 {
		t.Errorf("JSON does not read back: %v", err)
	}

	s := testenv.Store(t)
	var exists bool
	if err := s.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, res.Database).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("the bench left its database %s behind", res.Database)
	}
}

// TestTimeout: a run that cannot finish in -timeout fails saying so, and
// still drops its database.
func TestTimeout(t *testing.T) {
	server := testenv.DatabaseURL(t)
	o := DefaultOptions()
	o.Drafts, o.Clients, o.Ceilings, o.Rate, o.Timeout = 50, 2, false, 20, 300*time.Millisecond
	o.DatabaseURL = server
	cfg := config.Config{DatabaseURL: server, MaxDeliver: 5, MaxBodySize: 256 * 1024, SweepAfter: 30 * time.Second, LogLevel: "warn"}
	res, err := Run(context.Background(), cfg, testenv.Logger(t), o)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("want a timeout error, got %v", err)
	}
	var exists bool
	if err := testenv.Store(t).Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, res.Database).Scan(&exists); err != nil || exists {
		t.Errorf("database %s left behind (%v)", res.Database, err)
	}
}

// TestChecksCatchProblems makes sure the end checks can fail: on a store
// where a draft is published twice and an audit event was changed, check
// reports both.
func TestChecksCatchProblems(t *testing.T) {
	ctx := context.Background()
	s := testenv.Store(t)
	admin := benchActor(store.DefaultAgency)
	dep, err := s.AddDepartment(ctx, admin, "党政综合办公室")
	if err != nil {
		t.Fatal(err)
	}
	officer, err := addPerson(ctx, s, store.DefaultAgency, "信息员", domain.RoleOfficer, dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	spec := newCorpus(1, []string{dep.Name}, 1, 0, time.Now()).draft(0)
	formed, _ := time.Parse(domain.DateLayout, spec.FormedOn)
	d, err := s.Submit(ctx, domain.Actor{ID: officer.ID, Name: officer.Name, AgencyID: store.DefaultAgency, Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{dep.ID}},
		dep.ID, domain.Content{Title: spec.Title, Body: spec.Body, Department: dep.Name, Category: spec.Category,
			Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: formed}, formed.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE drafts SET state = 'published' WHERE id = $1`,
		`INSERT INTO revisions (draft_id, revision, title, body, category, channels, formed_on, content_sha256)
			SELECT draft_id, 2, title, body, category, channels, formed_on, content_sha256 FROM revisions WHERE draft_id = $1`,
		`INSERT INTO publications (draft_id, revision, channel, status) VALUES ($1, 1, 'website', 'delivered'), ($1, 2, 'website', 'delivered')`,
		`UPDATE audit_events SET comment = 'rewritten' WHERE draft_id = $1`,
	} {
		if _, err := s.Pool.Exec(ctx, sql, d.ID); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	r := Result{Drafts: 1}
	if err := r.check(ctx, s); err != nil {
		t.Fatal(err)
	}
	if r.Checks.OK || r.Checks.AuditOK || r.Checks.DuplicatePublications != 1 {
		t.Fatalf("checks should fail on a double publication and a rewritten event: %+v", r.Checks)
	}
}

// TestCorpus pins what the generated drafts are: deterministic per seed and
// index, the documented shape, every category, and nothing the machine
// checks would block on, so a run measures the pipeline and not the author.
func TestCorpus(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	const n = 2000
	c := newCorpus(7, DefaultDepartments, n, 0.1, now)
	again := newCorpus(7, DefaultDepartments, n, 0.1, now)
	if got := again.draft(1234); !equalSpec(got, c.draft(1234)) {
		t.Fatal("the same seed and index gave a different draft")
	}
	if equalSpec(newCorpus(8, DefaultDepartments, n, 0.1, now).draft(5), c.draft(5)) {
		t.Error("another seed gave the same draft")
	}
	if len(c.returns) != 200 {
		t.Errorf("%d drafts to return, want exactly 10%% of %d", len(c.returns), n)
	}
	runner := checks.NewRunner()
	runner.Now = func() time.Time { return now }
	categories := map[string]int{}
	bodyBytes := 0
	for i := range n {
		d := c.draft(i)
		categories[d.Category]++
		bodyBytes += len(d.Body)
		if l := utf8.RuneCountInString(d.Title); l < 10 || l > 40 {
			t.Errorf("draft %d: title %q has %d runes, want 10-40", i, d.Title, l)
		}
		if !slices.Contains(d.Channels, "website") {
			t.Errorf("draft %d is not for the website: %v", i, d.Channels)
		}
		if d.FormedOn >= "2026-11-27" || d.FormedOn < "2026-11-20" {
			t.Errorf("draft %d formed on %s, want a few days before today", i, d.FormedOn)
		}
		if i%4 != 0 { // the checks are slow enough that a quarter covers every template
			continue
		}
		content := toContent(d)
		for _, st := range domain.Stages() {
			fs, err := runner.Run(context.Background(), st, 1, content)
			if err != nil {
				t.Fatalf("draft %d: checks at %s: %v", i, st, err)
			}
			for _, f := range fs {
				if f.Severity == domain.SeverityBlock {
					t.Errorf("draft %d (%s) blocked at %s: %s %s", i, d.Category, st, f.Code, f.MessageEN)
				}
			}
		}
	}
	for _, cat := range domain.Categories {
		if categories[cat] == 0 && cat != domain.CategoryApplicationReply { // a reply is started from a case, not written at large
			t.Errorf("no draft of category %s in %d", cat, n)
		}
	}
	if mean := bodyBytes / n; mean < 1300 || mean > 1800 {
		t.Errorf("mean body %d bytes, want about 1.5 KB", mean)
	}
}

func toContent(d draftSpec) domain.Content {
	formed, _ := time.Parse(domain.DateLayout, d.FormedOn)
	c := domain.Content{Title: d.Title, Body: d.Body, Department: d.Department, Category: d.Category, FormedOn: formed}
	for _, ch := range d.Channels {
		c.Channels = append(c.Channels, domain.Channel(ch))
		// The files the driver attaches (driver.attachments).
		switch domain.Channel(ch) {
		case domain.ChannelWeChat:
			c.Attachments = append(c.Attachments, domain.Attachment{Name: "封面.jpg", Role: domain.RoleCover, MediaType: "image/jpeg", Size: 20000, Width: 900, Height: 383})
		case domain.ChannelDouyin:
			c.Attachments = append(c.Attachments, domain.Attachment{Name: "视频.mp4", Role: domain.RoleVideo, MediaType: "video/mp4", Size: 2000, DurationMS: 45000})
		}
	}
	return c
}

func equalSpec(a, b draftSpec) bool {
	return a.Title == b.Title && a.Body == b.Body && a.Category == b.Category && a.Department == b.Department &&
		slices.Equal(a.Channels, b.Channels) && a.FormedOn == b.FormedOn && a.ReturnOnce == b.ReturnOnce
}

// TestStageLatencies checks the latency arithmetic on a hand-made trail,
// including a revision and a returned draft.
func TestStageLatencies(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	evs := []event{
		{1, 1, "completeness", "submit", at(0)},
		{1, 1, "completeness", "checks_pass", at(10)},
		{1, 1, "compliance", "checks_done", at(30)},
		{1, 1, "compliance", "approve", at(100)},
		{1, 1, "confidentiality", "checks_done", at(140)},
		{1, 1, "confidentiality", "return", at(200)},
		{1, 2, "completeness", "revise", at(300)},
		{1, 2, "completeness", "checks_pass", at(305)},
		{1, 2, "compliance", "checks_done", at(310)},
		{1, 2, "compliance", "approve", at(400)},
		{1, 2, "confidentiality", "checks_done", at(420)},
		{1, 2, "confidentiality", "approve", at(500)},
		{1, 2, "publishing", "channel_delivered", at(520)},
		{1, 2, "", "published", at(550)},
		{1, 2, "confidentiality", "denied:decide", at(560)},
	}
	l := stageLatencies(evs)
	want := map[string][]time.Duration{
		"completeness":    {10 * time.Millisecond, 5 * time.Millisecond},
		"compliance":      {20 * time.Millisecond, 5 * time.Millisecond},
		"confidentiality": {40 * time.Millisecond, 20 * time.Millisecond},
		"publishing":      {50 * time.Millisecond},
	}
	for stage, w := range want {
		if !slices.Equal(l.steps[stage], w) {
			t.Errorf("%s: %v, want %v", stage, l.steps[stage], w)
		}
	}
	if len(l.endToEnd) != 1 || l.endToEnd[0] != 550*time.Millisecond {
		t.Errorf("end to end %v, want [550ms]", l.endToEnd)
	}
	// submit, checks_pass, approve, return, revise, checks_pass, approve, approve, published.
	if l.transitions != 9 || l.writes != 14 {
		t.Errorf("transitions %d, writes %d; want 9 and 14", l.transitions, l.writes)
	}
	p := percentiles([]time.Duration{4, 1, 3, 2, 100}) // nanoseconds
	if p.Count != 5 || p.P50 != 3e-6 || p.P99 != 100e-6 || p.Max != 100e-6 {
		t.Errorf("percentiles: %+v", p)
	}
}

// TestFlags refuses what cannot run and keeps the documented defaults.
func TestFlags(t *testing.T) {
	o := DefaultOptions()
	if o.Drafts != 2000 || o.Clients != 16 || o.ReturnShare != 0.1 || o.Timeout != 15*time.Minute || !o.Ceilings {
		t.Errorf("defaults changed: %+v", o)
	}
	for _, args := range [][]string{{"-n", "0"}, {"-c", "0"}, {"-return-share", "1.5"}, {"extra"}} {
		err := Main(context.Background(), config.Config{}, testenv.Logger(t), args, &bytes.Buffer{})
		if err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	u, err := withDatabase("postgres://u:p@db:5433/sanshen?sslmode=disable&pool_max_conns=9", "sanshen_bench_x")
	if err != nil || u != "postgres://u:p@db:5433/sanshen_bench_x?sslmode=disable&pool_max_conns=9" {
		t.Errorf("withDatabase: %q, %v", u, err)
	}
	if got := stripPoolParams(u); got != "postgres://u:p@db:5433/sanshen_bench_x?sslmode=disable" || !hasPoolParams(u) || hasPoolParams(got) {
		t.Errorf("stripPoolParams: %q", got)
	}
	if _, err := withDatabase("mysql://x", "y"); err == nil {
		t.Error("a non-PostgreSQL URL was accepted")
	}
}
