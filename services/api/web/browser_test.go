package web_test

import (
	"context"
	"encoding/base32"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	pwcost "github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/totp"
)

const password = "correct-horse-9"

// site is a running sanshen with the office's people, for browser tests.
type site struct {
	t     *testing.T
	sys   *system.System
	cfg   config.Config
	base  string
	shots string
	n     int
	alloc context.Context
	// The second factors enrolled in the fixture: each person's TOTP
	// secret, and the last time step a code of theirs was spent at.
	mu      sync.Mutex
	secrets map[string][]byte
	spent   map[string]int64
}

func startSite(t *testing.T) *site { t.Helper(); return startSiteWith(t, nil) }

// startSiteWith is startSite with its configuration changed by mutate.
func startSiteWith(t *testing.T, mutate func(*config.Config)) *site {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{DatabaseURL: testenv.DatabaseURL(t), DataDir: t.TempDir(), MaxDeliver: 3, MaxBodySize: 256 * 1024,
		PublicURL: "http://" + ln.Addr().String(), SweepAfter: time.Hour}
	if mutate != nil {
		mutate(&cfg)
	}
	sys, err := system.Start(context.Background(), cfg, testenv.Logger(t), system.Options{Components: system.All,
		Embedded: testenv.NATS(t), Listener: ln, Bus: bus.Options{MaxDeliver: 3, AckWait: 2 * time.Second},
		PasswordParams: &pwcost.Test})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Stop)
	s := &site{t: t, sys: sys, cfg: cfg, base: "http://" + ln.Addr().String(), shots: screenshotDir(t),
		secrets: map[string][]byte{}, spent: map[string]int64{}}
	ctx := context.Background()
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	d1, _ := sys.Store.AddDepartment(ctx, admin, "综合办")
	d2, _ := sys.Store.AddDepartment(ctx, admin, "执法队")
	hash := hashOf(t, password)
	for _, u := range []store.NewUser{
		{Name: "wang", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{d1.ID}},
		{Name: "chen", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{d1.ID}},
		{Name: "li", Roles: []domain.Role{domain.RoleDeptHead}, Departments: []int64{d1.ID}},
		{Name: "zhou", Roles: []domain.Role{domain.RoleDeptHead}, Departments: []int64{d2.ID}},
		{Name: "zhao", Roles: []domain.Role{domain.RoleConfidentiality}},
		{Name: "sun", Roles: []domain.Role{domain.RoleDeptHead, domain.RoleConfidentiality}, Departments: []int64{d1.ID}},
		{Name: "qian", Roles: []domain.Role{domain.RoleAuditor}},
		{Name: "admin", Roles: []domain.Role{domain.RoleAdmin}},
	} {
		u.PasswordHash = hash
		nu, _, err := sys.Store.AddUser(ctx, admin, u)
		if err != nil {
			t.Fatal(err)
		}
		if domain.SecondFactorRequired(u.Roles) {
			s.enrol(nu)
		}
	}
	return s
}

// hashOf hashes a fixture's password at the tests' cost (the hash carries
// its cost: the site checks it as cheaply).
func hashOf(t *testing.T, pw string) string {
	t.Helper()
	h, err := pwcost.NewHasher(pwcost.Test, 0).Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// enrol gives u a TOTP second factor, as the enrolment page would (a
// secret sealed with the site's key, recovery codes), and keeps the secret
// to compute codes with.
func (s *site) enrol(u store.User) {
	s.t.Helper()
	key, err := config.TOTPKey(s.cfg, false)
	if err != nil {
		s.t.Fatal(err)
	}
	sealer, err := totp.NewSealer(key)
	if err != nil {
		s.t.Fatal(err)
	}
	secret, err := totp.NewSecret()
	if err != nil {
		s.t.Fatal(err)
	}
	sealed, err := sealer.Seal(secret, u.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	codes, _ := totp.NewRecoveryCodes(2)
	if err := s.sys.Store.EnrolTOTP(context.Background(), u.Actor(), sealed, 0,
		[][]byte{totp.HashRecoveryCode(codes[0]), totp.HashRecoveryCode(codes[1])}); err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.secrets[u.Name] = secret
	s.mu.Unlock()
}

// code is a TOTP code of name's that has not been spent: a code works
// once, and a test signs the same person in more than once a step.
func (s *site) code(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	secret, ok := s.secrets[name]
	if !ok {
		return "", false
	}
	for {
		now := time.Now()
		cur := totp.Step(now)
		// The previous step's code is accepted only until this step ends:
		// use it only early in the step, so that a slow page (a loaded
		// machine, the race detector) still submits it in time.
		lo := cur
		if now.Sub(time.Unix(cur*int64(totp.Period/time.Second), 0)) < 10*time.Second {
			lo = cur - 1
		}
		step := max(lo, s.spent[name]+1)
		if step <= cur+1 {
			s.spent[name] = step
			return totp.Code(secret, time.Unix(step*int64(totp.Period/time.Second), 0)), true
		}
		time.Sleep(time.Second) // every code until the next step is spent
	}
}

// screenshotDir is where the pages are photographed, kept after the test
// so a person can look at them: $SANSHEN_SCREENSHOTS or a temp folder.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SANSHEN_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "sanshen-screenshots")
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser starts one headless Chromium for the test; each person gets
// their own browser context (cookie jar) in it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("browser tests need Chromium: apt-get install chromium (bash .ci/run installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.WindowSize(1280, 800))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// person is one signed-in browser context.
type person struct {
	s    *site
	name string
	ctx  context.Context
}

func (s *site) as(name string) *person {
	if s.alloc == nil {
		s.alloc = browser(s.t)
	}
	ctx, cancel := chromedp.NewContext(s.alloc, chromedp.WithNewBrowserContext())
	s.t.Cleanup(cancel)
	// The first Do opens the tab with this context's lifetime; a timeout
	// context there would close the tab when it ends.
	if err := chromedp.Do(ctx); err != nil {
		s.t.Fatalf("opening a tab for %s: %v", name, err)
	}
	p := &person{s: s, name: name, ctx: ctx}
	p.do(chromedp.Navigate(s.base+"/web/login"),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#verify-code, #enrol-form, #logout")))
	switch {
	case p.exists("#verify-code"):
		// The second factor: the code the person's app would show.
		code, ok := s.code(name)
		if !ok {
			s.t.Fatalf("%s is asked for a code, but has no second factor in the fixture", name)
		}
		p.do(chromedp.SendKeys(chromedp.CSS("#code"), code),
			chromedp.Click(chromedp.CSS("#verify-code")),
			chromedp.WaitVisible(chromedp.CSS("#logout")))
	case p.exists("#enrol-form"):
		// Roles that require a second factor, none enrolled: the person
		// enrols on the way in, as they would with their phone.
		p.enrolHere()
		p.do(chromedp.Click(chromedp.CSS("#recovery-continue")), chromedp.WaitVisible(chromedp.CSS("#logout")))
	}
	return p
}

// exists reports whether the page has an element matching sel, now.
func (p *person) exists(sel string) bool {
	p.s.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q) !== null", sel)))
	if err != nil {
		p.s.t.Fatal(err)
	}
	return n
}

// enrolHere reads the secret the enrolment page shows, keeps it for later
// codes, and confirms it with the current code.
func (p *person) enrolHere() {
	p.s.t.Helper()
	text := p.text("#enrol-secret")
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(text, " ", ""))
	if err != nil {
		p.s.t.Fatalf("the enrolment page's secret %q: %v", text, err)
	}
	p.s.mu.Lock()
	p.s.secrets[p.name] = secret
	delete(p.s.spent, p.name)
	p.s.mu.Unlock()
	code, _ := p.s.code(p.name)
	p.shot("enrol")
	p.do(chromedp.SendKeys(chromedp.CSS("#enrol-code"), code), chromedp.Click(chromedp.CSS("#enrol-submit")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	p.shot("recovery-codes")
}

func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.s.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(p.ctx, chromedp.Location())
		p.s.t.Fatalf("%s at %s: %v", p.name, loc, err)
	}
}

func (p *person) text(sel string) string {
	p.s.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	for {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err == nil {
			return s
		}
		// The node was found in a document that was replaced before its
		// text was read (a page answered twice under load: the DOM agent
		// forgot the node): ask the new document, until the time is up.
		if strings.Contains(err.Error(), "No node with given id found") && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.s.t.Fatalf("%s: text of %s: %v", p.name, sel, err)
	}
}

func (p *person) html() string {
	p.s.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		p.s.t.Fatal(err)
	}
	return s
}

func (p *person) eval(js string) string {
	p.s.t.Helper()
	// Awaiting lets a test run fetch() from the page, with its cookies.
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js, func(e *runtime.EvaluateParams) { e.AwaitPromise = new(true) }))
	if err != nil {
		p.s.t.Fatalf("%s: %s: %v", p.name, js, err)
	}
	return v
}

// shot saves a full-page screenshot, numbered in the order taken.
func (p *person) shot(name string) {
	p.s.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	// Each person's tab lives in its own browser context; only the tab in
	// front gets frames to photograph.
	front := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.BringToFront, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(ctx, front); err != nil {
		p.s.t.Fatalf("screenshot %s: %v", name, err)
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.s.t.Fatalf("screenshot %s: %v", name, err)
	}
	p.s.n++
	file := filepath.Join(p.s.shots, fmt.Sprintf("%02d-%s-%s.png", p.s.n, p.name, name))
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		p.s.t.Fatal(err)
	}
}

// waitState waits for the pipeline to move a draft, the way a person
// would reload; the bound only keeps a broken pipeline from hanging.
func (s *site) waitState(id int64, st domain.State) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		d, err := s.sys.Store.Draft(context.Background(), id)
		if err == nil && d.State == st && (d.StepDone || st == domain.StateCompleteness) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.t.Fatalf("draft %d did not reach %s", id, st)
}

func (p *person) draftIDFromURL() int64 {
	p.s.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		p.s.t.Fatal(err)
	}
	var id int64
	if _, err := fmt.Sscanf(loc[strings.LastIndex(loc, "/")+1:], "%d", &id); err != nil {
		p.s.t.Fatalf("no draft id in %s", loc)
	}
	return id
}

func (p *person) submitDraft(title, body string) int64 {
	p.do(chromedp.Navigate(p.s.base+"/web/drafts/new"),
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SetValue(chromedp.CSS("#body"), body),
		chromedp.Click(chromedp.CSS("#submit-draft")),
		chromedp.WaitVisible(chromedp.CSS("#draft-state")))
	return p.draftIDFromURL()
}

func (p *person) decide(id int64, decision, comment string) {
	p.do(chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d", p.s.base, id)), chromedp.WaitVisible(chromedp.CSS("#decide-form")))
	if comment != "" {
		p.do(chromedp.SendKeys(chromedp.CSS("#comment"), comment))
	}
	if decision == "return" {
		p.do(chromedp.SetValue(chromedp.CSS("#return-reason"), "incomplete"))
	}
	p.do(chromedp.Click(chromedp.CSS("#"+decision)), chromedp.WaitVisible(chromedp.CSS("#flash")))
}
