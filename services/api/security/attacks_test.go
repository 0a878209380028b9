package security_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/api"
)

func trustLoopback(cfg *config.Config, _ *system.Options) {
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// Attack 1: a brute force that names a new X-Forwarded-For (and
// X-Real-IP) on every guess. Without trusted proxies the socket's address
// is the client: the brake holds after five guesses, for the right
// password too, and sessions and the trail record the socket's address.
func TestSpoofedForwardedForBruteForce(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	attacker := f.browser()
	for i := range 25 {
		attacker.hdr.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
		attacker.hdr.Set("X-Real-IP", fmt.Sprintf("198.51.100.%d", i+1))
		a := attacker.signIn("王信息员", fmt.Sprintf("guess number %d", i))
		want := http.StatusUnauthorized
		if i >= 5 {
			want = http.StatusTooManyRequests
		}
		if a.status != want {
			t.Fatalf("guess %d behind a spoofed address: %d, want %d", i, a.status, want)
		}
	}
	attacker.hdr.Set("X-Forwarded-For", "192.0.2.77")
	if a := attacker.signIn("王信息员", pw); a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("the right password after the brake: %d (Retry-After %q)", a.status, a.header.Get("Retry-After"))
	}
	// A sign-in with a forged header is recorded with the socket's address,
	// and a forged X-Forwarded-Proto sets no Secure cookie.
	b := f.browser()
	b.hdr.Set("X-Forwarded-For", "203.0.113.200")
	b.hdr.Set("X-Forwarded-Proto", "https")
	a := b.signIn("李科长", pw)
	if a.status != http.StatusSeeOther || a.cookie("sanshen") == nil || a.cookie("__Host-sanshen") != nil {
		t.Fatalf("sign-in behind forged headers: %d %v", a.status, a.header["Set-Cookie"])
	}
	var ip, comment string
	ctx := context.Background()
	if err := f.sys.Store.Pool.QueryRow(ctx, `SELECT ip FROM sessions WHERE user_id = $1`, f.ids["李科长"]).Scan(&ip); err != nil || ip != "127.0.0.1" {
		t.Fatalf("the session records %q (%v), want the socket's address", ip, err)
	}
	if err := f.sys.Store.Pool.QueryRow(ctx, `SELECT comment FROM audit_events WHERE action = 'signin' AND actor_id = $1`, f.ids["李科长"]).Scan(&comment); err != nil ||
		!strings.HasPrefix(comment, "127.0.0.1 ") {
		t.Fatalf("the trail records %q (%v)", comment, err)
	}
	var held int
	if err := f.sys.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'signin_failed' AND actor = '王信息员' AND comment = '127.0.0.1'`).Scan(&held); err != nil || held != 26 {
		t.Fatalf("%d failed and held attempts audited with the socket's address (%v), want 26", held, err)
	}
}

// Behind a trusted proxy (SANSHEN_TRUSTED_PROXIES) its headers are the
// client's: the address it appended, and the scheme it says.
func TestTrustedProxy(t *testing.T) {
	t.Parallel()
	f := start(t, trustLoopback)
	b := f.browser()
	// The client sent "X-Forwarded-For: 198.51.100.1"; the proxy appended
	// the address it saw. Only the proxy's own entry is believed.
	b.hdr.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.5")
	b.hdr.Set("X-Forwarded-Proto", "https")
	a := b.signIn("李科长", pw)
	if a.status != http.StatusSeeOther || a.cookie("__Host-sanshen") == nil || !a.cookie("__Host-sanshen").Secure {
		t.Fatalf("behind a trusted proxy over TLS: %d %v", a.status, a.header["Set-Cookie"])
	}
	var ip string
	if err := f.sys.Store.Pool.QueryRow(context.Background(), `SELECT ip FROM sessions WHERE user_id = $1`, f.ids["李科长"]).Scan(&ip); err != nil || ip != "203.0.113.5" {
		t.Fatalf("the session records %q (%v), want the proxy's client", ip, err)
	}
}

// Attack 2: probing for names. Each attempt the brakes let through runs
// exactly one argon2id — an unknown name, a person without a password, a
// disabled account, a wrong password, the right one — so neither the work
// nor its time tells which names exist. (Counted, not timed.)
func TestUnknownUserProbe(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	h := f.sys.Passwords
	b := f.browser()
	for _, c := range []struct{ name, password string }{
		{"没有这个人", "whatever guess"},
		{"接口用户", "whatever guess"}, // an API-only person: no password
		{"离职人员", pw},               // disabled: as if unknown
		{"王信息员", "wrong guess here"},
		{"李科长", pw},
		{strings.Repeat("长", 500), "a name longer than any"},
	} {
		before := h.Runs()
		a := b.signIn(c.name, c.password)
		if n := h.Runs() - before; n != 1 {
			t.Errorf("%.20s: %d argon2id runs, want 1 (answer %d)", c.name, n, a.status)
		}
		if c.name != "李科长" && (a.status != http.StatusUnauthorized || !strings.Contains(a.body, "用户名或密码错误")) {
			t.Errorf("%.20s: %d, want the same 401 for every failure", c.name, a.status)
		}
	}
	// A held attempt runs none: the brake answers before the password is read.
	for range 5 {
		b.signIn("周队长", "wrong guess here")
	}
	before := h.Runs()
	if a := b.signIn("周队长", pw); a.status != http.StatusTooManyRequests || h.Runs() != before {
		t.Fatalf("a held attempt: %d, %d runs", a.status, h.Runs()-before)
	}
}

// Attack 3: locking another person out by failing with their name. The
// brake on one address grows; guesses from many addresses slow the name
// by at most a minute, and never at an address the person signs in from;
// admins see and clear the brakes.
func TestLockoutOfAnotherPerson(t *testing.T) {
	t.Parallel()
	f := start(t, trustLoopback)
	from := func(ip string) *browser {
		b := f.browser()
		b.hdr.Set("X-Forwarded-For", ip)
		return b
	}
	// The victim signs in from their office as usual.
	from("10.1.0.2").signedIn("李科长")
	// One address tries hard, then a botnet a little from each address.
	attacker := from("10.66.0.1")
	for i := range 12 {
		attacker.signIn("李科长", fmt.Sprintf("guess %d from one address", i))
	}
	for i := range 30 {
		from(fmt.Sprintf("10.77.%d.%d", i/200, i%200+1)).signIn("李科长", fmt.Sprintf("guess %d from a botnet", i))
	}
	// One more guess just before looking: the brake holds it if it is in
	// force, or counts it and starts anew if the botnet's last counted guess
	// is already past its (short, doubling) delay on a loaded machine.
	from("10.77.9.9").signIn("李科长", "one more guess")
	// The admin sees the name's brake at once: it is short (the victim may
	// wait a minute at most), so it is looked for before anything else.
	if locks := f.api("GET", "/api/v1/signin-locks", "管理员", ""); locks.status != http.StatusOK || !strings.Contains(locks.body, `"scope":"name","name":"李科长"`) {
		t.Fatalf("the admin's view of the name's brake: %d %s", locks.status, locks.body)
	}
	// Their own address is untouched.
	from("10.1.0.2").signedIn("李科长")
	// A new address of theirs waits a minute at most, never a lock.
	a := from("10.1.0.3").signIn("李科长", pw)
	if a.status == http.StatusTooManyRequests {
		wait, _ := strconv.Atoi(a.header.Get("Retry-After"))
		if wait < 1 || wait > 60 {
			t.Fatalf("the victim from a new address waits %d s", wait)
		}
	} else if a.status != http.StatusSeeOther {
		t.Fatalf("the victim from a new address: %d", a.status)
	}
	// The attacker's own address is braked for long.
	if a := attacker.signIn("李科长", pw); a.status != http.StatusTooManyRequests {
		t.Fatalf("the attacking address: %d", a.status)
	}
	// The admin sees the attacking address's brake and clears the brakes:
	// the new address goes through.
	locks := f.api("GET", "/api/v1/signin-locks", "管理员", "")
	if locks.status != http.StatusOK || !strings.Contains(locks.body, `"scope":"account","name":"李科长","address":"10.66.0.1"`) {
		t.Fatalf("the admin's view of the brakes: %d %s", locks.status, locks.body)
	}
	if c := f.api("POST", "/api/v1/signin-locks/clear", "管理员", `{"name":"李科长"}`); c.status != http.StatusOK {
		t.Fatalf("clearing: %d %s", c.status, c.body)
	}
	from("10.1.0.4").signedIn("李科长")
}

// sse is an open /web/events stream, its events gathered.
type sse struct {
	mu     sync.Mutex
	events []string
	open   bool
}

func (s *sse) has(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if strings.Contains(e, sub) {
			return true
		}
	}
	return false
}

// all is a copy of the events heard so far.
func (s *sse) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

func (f *office) stream(b *browser) *sse {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", f.base+"/web/events", nil)
	res, err := (&http.Client{Jar: b.http.Jar}).Do(req)
	if err != nil || res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		f.t.Fatalf("event stream: %v %v", res, err)
	}
	s := &sse{open: true}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				s.mu.Lock()
				s.events = append(s.events, d)
				s.mu.Unlock()
			}
		}
		s.mu.Lock()
		s.open = false
		s.mu.Unlock()
	}()
	return s
}

func draftJSON(title, dept, formed string) string {
	return fmt.Sprintf(`{"title":%q,"body":"为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查，现将有关情况通报如下。","department":%q,"category":"news","channels":["website"],"formed_on":%q}`,
		title, dept, formed)
}

// Attack 4: an open page hears of drafts it may not see. Each head's
// stream carries only their department's drafts; the confidentiality
// reviewer hears both; the news a page gets names the draft, its state and
// revision, nothing more.
func TestEventsScopedToViewers(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	li, zhou, zhao := f.browser(), f.browser(), f.browser()
	li.signedIn("李科长")
	zhou.signedIn("周队长")
	zhao.signedIn("赵保密")
	sLi, sZhou, sZhao := f.stream(li), f.stream(zhou), f.stream(zhao)
	mine := f.api("POST", "/api/v1/drafts", "王信息员", draftJSON("综合办的通知", "综合办", "2026-11-20"))
	if mine.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", mine.status, mine.body)
	}
	var ids [2]string
	ids[0] = `"draft_id":` + strings.SplitN(strings.SplitN(mine.body, `"id":`, 2)[1], ",", 2)[0] + ","
	// 执法队's draft, by the shell (no officer of it in the cast).
	f.tokens["执法队员"] = f.newOfficer("执法队员", "执法队")
	other := f.api("POST", "/api/v1/drafts", "执法队员", draftJSON("执法队的通知", "执法队", "2026-11-20"))
	if other.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", other.status, other.body)
	}
	ids[1] = `"draft_id":` + strings.SplitN(strings.SplitN(other.body, `"id":`, 2)[1], ",", 2)[0] + ","
	testenv.Eventually(t, "each viewer hears of the drafts they may see", func() bool {
		return sLi.has(ids[0]+`"state":"compliance"`) && sZhou.has(ids[1]+`"state":"compliance"`) &&
			sZhao.has(ids[0]+`"state":"compliance"`) && sZhao.has(ids[1]+`"state":"compliance"`)
	})
	time.Sleep(500 * time.Millisecond) // let any stray news arrive
	if sLi.has(ids[1]) || sZhou.has(ids[0]) {
		t.Fatalf("news crossed departments: 李科长 %v, 周队长 %v", sLi.all(), sZhou.all())
	}
	for _, e := range append(sLi.all(), sZhao.all()...) {
		if strings.Contains(e, "department") || strings.Contains(e, "author") || strings.Contains(e, "agency") {
			t.Fatalf("a page's news says more than which draft moved: %s", e)
		}
	}
}

// newOfficer adds an officer of dept with an API token.
func (f *office) newOfficer(name, dept string) string {
	f.t.Helper()
	r := f.api("POST", "/api/v1/users", "管理员", fmt.Sprintf(`{"name":%q,"roles":["officer"],"departments":[%q]}`, name, dept))
	if r.status != http.StatusCreated {
		f.t.Fatalf("adding %s: %d %s", name, r.status, r.body)
	}
	return strings.SplitN(strings.SplitN(r.body, `"token":"`, 2)[1], `"`, 2)[0]
}

// Attack 5: NUL bytes and invalid UTF-8, where the review found 500s: the
// sign-in name before authentication, ?q on the queue, and everywhere
// else: a 400 that names the field.
func TestBadBytes(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	anon := f.browser()
	for name, want := range map[string]string{"王\x00信息员": "invalid_text", "王\xff": "invalid_utf8"} {
		// A person's form: the page names the field in Chinese, the code beneath.
		a := anon.signIn(name, pw)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "<code>"+want+"</code>") || !strings.Contains(a.body, "表单字段“name”") {
			t.Errorf("sign-in name %q: %d %s", name, a.status, a.body)
		}
	}
	head := f.browser()
	head.signedIn("李科长")
	for _, path := range []string{"/web/queue?q=%00", "/web/queue/rows?q=%ff", "/web/deadline?formed_on=2026-01-01%00"} {
		if a := head.get(path); a.status != http.StatusBadRequest {
			t.Errorf("%s: %d", path, a.status)
		}
	}
	for _, c := range []struct{ method, path, body, field string }{
		{"GET", "/api/v1/queue?stage=compliance&q=%00", "", `parameter \"q\"`},
		{"GET", "/api/v1/queue?category=%ff", "", `parameter \"category\"`},
		{"GET", "/api/v1/drafts/%00", "", `path`},
		{"POST", "/api/v1/drafts", `{"title":"\u0000"}`, `field \"title\"`},
		{"POST", "/api/v1/drafts", "{\"body\":\"\xc3\x28\"}", `field \"body\"`},
		{"POST", "/api/v1/departments", `{"name":"\ud800"}`, `field \"name\"`},
		{"GET", "/public/%ff/", "", "请求有误"}, // a visitor gets the Chinese page
	} {
		who := "李科长"
		if c.method == "POST" {
			who = "管理员"
		}
		a := f.api(c.method, c.path, who, c.body)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, c.field) {
			t.Errorf("%s %s %q: %d %s", c.method, c.path, c.body, a.status, a.body)
		}
	}
}

// Attack 6: slow clients. A body sent a byte at a time, headers that never
// end, and a connection left idle are each cut off by the server's
// timeouts; the live event stream, which outlives them by design, keeps
// working past them.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	f := start(t, func(_ *config.Config, o *system.Options) {
		o.HTTPTimeouts = api.Timeouts{ReadHeader: time.Second, Read: 2 * time.Second, Write: 2 * time.Second, Idle: time.Second}
	})
	addr := f.sys.Addr
	// closed reports whether the server ends the connection while the
	// client trickles bytes for up to a bound far past the timeouts.
	closed := func(head string, trickle bool) bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { // the server's answer, if any, then its close
			_, _ = io.Copy(io.Discard, c)
			close(done)
		}()
		stop := time.After(20 * time.Second)
		for {
			select {
			case <-done:
				return true
			case <-stop:
				return false
			case <-time.After(200 * time.Millisecond):
				if trickle {
					_, _ = c.Write([]byte(" "))
				}
			}
		}
	}
	if !closed("POST /api/v1/drafts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", true) {
		t.Error("a body sent a byte at a time holds the connection")
	}
	if !closed("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow:", true) {
		t.Error("headers that never end hold the connection")
	}
	if !closed("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false) {
		t.Error("an idle kept-alive connection is never closed")
	}
	// The event stream outlives the read and write timeouts.
	zhao := f.browser()
	zhao.signedIn("赵保密")
	s := f.stream(zhao)
	time.Sleep(3 * time.Second)
	r := f.api("POST", "/api/v1/drafts", "王信息员", draftJSON("超时之后的通知", "综合办", "2026-11-20"))
	if r.status != http.StatusCreated {
		t.Fatalf("submit: %d", r.status)
	}
	testenv.Eventually(t, "the stream still carries news past the timeouts", func() bool { return s.has(`"state":"compliance"`) })
}

// Attack 7: an ancient date. formed_on before 1949-10-01 is refused; the
// earliest one is accepted, and the queue's working-day arithmetic answers
// for it at once (a count, not a walk over the days since).
func TestAncientDate(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	for _, d := range []string{"0001-01-01", "1900-01-01", "1949-09-30"} {
		if a := f.api("POST", "/api/v1/drafts", "王信息员", draftJSON("旧文件", "综合办", d)); a.status != http.StatusBadRequest || a.code() != "invalid_date" {
			t.Fatalf("formed_on %s: %d %s", d, a.status, a.body)
		}
	}
	if a := f.api("POST", "/api/v1/drafts", "王信息员", draftJSON("仍然有效的规范性文件", "综合办", "1949-10-01")); a.status != http.StatusCreated {
		t.Fatalf("formed_on 1949-10-01: %d %s", a.status, a.body)
	}
	var q answer
	testenv.Eventually(t, "the old draft reaches the queue", func() bool {
		q = f.api("GET", "/api/v1/queue?stage=compliance", "李科长", "")
		return strings.Contains(q.body, "仍然有效的规范性文件")
	})
	if !strings.Contains(q.body, `"overdue":true`) || !strings.Contains(q.body, `"deadline":"1949-10-28"`) {
		t.Fatalf("the queue's row: %s", q.body)
	}
}

// Attack 8: names that read like the system's own actors, or hide
// invisible characters, for people, departments and agencies, through the
// API and the pages.
func TestLookAlikeNames(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	admin := f.browser()
	f.enrolNow(admin, "管理员")
	for _, name := range []string{"sanshen", "Sanshen", "ｓａｎｓｈｅｎ", "s\u0430nsh\u0435n", "san-shen", "cli:root", "CLI：admin", "三审",
		"ad\u202emin", "王\u200b信息员", "\u2066王\u2069", "\u3164"} {
		body := fmt.Sprintf(`{"name":%q,"roles":["officer"]}`, name)
		if a := f.api("POST", "/api/v1/users", "管理员", body); a.status != http.StatusBadRequest {
			t.Errorf("user %q: %d %s", name, a.status, a.body)
		}
		if a := f.api("POST", "/api/v1/departments", "管理员", fmt.Sprintf(`{"name":%q}`, name)); a.status != http.StatusBadRequest {
			t.Errorf("department %q: %d %s", name, a.status, a.body)
		}
		form := url.Values{"_csrf": {admin.token("/web/admin/users")}, "name": {name}, "roles": {"officer"}}
		if a := admin.post("/web/admin/users", form); a.status != http.StatusUnprocessableEntity {
			t.Errorf("user %q on the page: %d", name, a.status)
		}
	}
	var n int
	if err := f.sys.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE name NOT IN
		('王信息员', '李科长', '周队长', '赵保密', '管理员', '钱审计', '接口用户', '离职人员')`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d look-alike people made (%v)", n, err)
	}
}

// enrolNow signs name in for the first time: their roles require a second
// factor and they have none, so they enrol on the way, as they would with
// their phone, and keep the secret for later codes.
func (f *office) enrolNow(b *browser, name string) {
	f.t.Helper()
	a := b.signIn(name, pw)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/web/account/second-factor" {
		f.t.Fatalf("%s's first sign-in: %d → %s", name, a.status, a.header.Get("Location"))
	}
	page := b.get("/web/account/second-factor")
	m := enrolSecret.FindStringSubmatch(page.body)
	if m == nil {
		f.t.Fatalf("no secret on the enrolment page: %.500s", page.body)
	}
	secret, err := base32NoPad(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		f.t.Fatal(err)
	}
	f.secrets[name] = secret
	if qr := b.get("/web/account/second-factor/qr.png"); qr.status != http.StatusOK || !strings.HasPrefix(qr.body, "\x89PNG") {
		f.t.Fatalf("the QR code: %d", qr.status)
	}
	a = b.post("/web/account/second-factor", url.Values{"_csrf": {csrfField.FindStringSubmatch(page.body)[1]}, "code": {f.code(name)}})
	if a.status != http.StatusOK || !strings.Contains(a.body, `id="recovery-codes"`) {
		f.t.Fatalf("enrolling: %d %.300s", a.status, a.body)
	}
}

// Item 4: the second factor. An admin's password alone opens nothing
// until they enrol; then each sign-in asks for a code, which works once;
// a recovery code stands in for the phone, once.
func TestSecondFactor(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	b := f.browser()
	b.signIn("管理员", pw)
	for _, path := range []string{"/web/admin/users", "/web/", "/web/account"} {
		if a := b.get(path); a.status != http.StatusSeeOther || a.header.Get("Location") != "/web/account/second-factor" {
			t.Fatalf("%s with the password alone: %d → %s", path, a.status, a.header.Get("Location"))
		}
	}
	f.enrolNow(f.browser(), "管理员")
	c := f.browser()
	if a := c.signIn("管理员", pw); a.header.Get("Location") != "/web/login/code" {
		t.Fatalf("an enrolled admin's password: → %s", a.header.Get("Location"))
	}
	if a := c.get("/web/admin/users"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/web/login/code" {
		t.Fatalf("pages before the code: %d → %s", a.status, a.header.Get("Location"))
	}
	tok := c.token("/web/login/code")
	if a := c.post("/web/login/code", url.Values{"_csrf": {tok}, "code": {"000000"}}); a.status != http.StatusUnauthorized {
		t.Fatalf("a wrong code: %d", a.status)
	}
	code := f.code("管理员")
	if a := c.post("/web/login/code", url.Values{"_csrf": {tok}, "code": {code}}); a.status != http.StatusSeeOther {
		t.Fatalf("the right code: %d", a.status)
	}
	if a := c.get("/web/admin/users"); a.status != http.StatusOK {
		t.Fatalf("signed in with both factors: %d", a.status)
	}
	// The same code again, in another browser: spent.
	d := f.browser()
	d.signIn("管理员", pw)
	if a := d.post("/web/login/code", url.Values{"_csrf": {d.token("/web/login/code")}, "code": {code}}); a.status != http.StatusUnauthorized {
		t.Fatalf("a code used twice: %d", a.status)
	}
	var actions []string
	rows, _ := f.sys.Store.Pool.Query(context.Background(), `SELECT action || ':' || comment FROM audit_events WHERE actor = '管理员' AND action IN ('totp_enrol', 'signin') ORDER BY seq`)
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		actions = append(actions, s)
	}
	if len(actions) != 3 || !strings.HasPrefix(actions[0], "totp_enrol") || !strings.HasSuffix(actions[1], "password+totp_enrol") ||
		!strings.HasSuffix(actions[2], "password+totp") {
		t.Fatalf("the trail of the second factor: %v", actions)
	}
}

// Item 13: /metrics only on its own listener; static files with nosniff
// and no listing; CSRF tokens not kept in clear; publication URLs http(s).
func TestSmallItems(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	anon := f.browser()
	if a := anon.get("/metrics"); a.status != http.StatusNotFound {
		t.Errorf("/metrics on the public port: %d", a.status)
	}
	res, err := http.Get("http://" + f.sys.MetricsAddr + "/metrics")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/metrics on SANSHEN_METRICS_ADDR: %v %v", res, err)
	}
	res.Body.Close()
	if a := anon.get("/static/app.css"); a.status != http.StatusOK || a.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a static file: %d %v", a.status, a.header)
	}
	for _, p := range []string{"/static/", "/static", "/static/../static/", "/static/nothing.js"} {
		if a := anon.get(p); a.status != http.StatusNotFound || strings.Contains(a.body, "app.js") {
			t.Errorf("%s: %d %.100s", p, a.status, a.body)
		}
	}
	// The CSRF token the page carries is nowhere in the database.
	admin := f.browser()
	f.enrolNow(admin, "管理员")
	tok := admin.token("/web/admin/publications")
	var stored []byte
	if err := f.sys.Store.Pool.QueryRow(context.Background(), `SELECT csrf_sha256 FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, f.ids["管理员"]).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256([]byte(tok)); string(h[:]) != string(stored) {
		t.Fatal("the session keeps something else than the token's hash")
	}
	var clear int
	if err := f.sys.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions s WHERE row_to_json(s)::text LIKE '%' || $1 || '%'`, tok).Scan(&clear); err != nil || clear != 0 {
		t.Fatalf("the CSRF token is kept in clear (%d rows, %v)", clear, err)
	}
	// A publication's address is http(s): javascript: is refused.
	d := f.api("POST", "/api/v1/drafts", "王信息员", draftJSON("发布地址", "综合办", "2026-11-20"))
	id := strings.SplitN(strings.SplitN(d.body, `"id":`, 2)[1], ",", 2)[0]
	a := admin.post("/web/admin/publications/resolve", url.Values{"_csrf": {tok}, "draft": {id}, "channel": {"wechat"},
		"outcome": {"delivered"}, "url": {"javascript:alert(document.cookie)"}, "note": {"核实"}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "http 或 https") {
		t.Fatalf("a javascript: publication URL: %d", a.status)
	}
}

var enrolSecret = regexp.MustCompile(`id="enrol-secret">([^<]+)<`)

func base32NoPad(s string) ([]byte, error) {
	return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
}

// Guessing the six digits: with the password known, wrong codes meet the
// same brakes as wrong passwords, and entering the password again does not
// reset them.
func TestCodeGuessing(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	b := f.browser()
	if a := b.signIn("赵保密", pw); a.header.Get("Location") != "/web/login/code" {
		t.Fatalf("the password step: %d → %s", a.status, a.header.Get("Location"))
	}
	for i := range 5 {
		a := b.post("/web/login/code", url.Values{"_csrf": {b.token("/web/login/code")}, "code": {fmt.Sprintf("%06d", i)}})
		if a.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, a.status)
		}
	}
	if a := b.post("/web/login/code", url.Values{"_csrf": {b.token("/web/login/code")}, "code": {f.code("赵保密")}}); a.status != http.StatusTooManyRequests {
		t.Fatalf("the right code after five guesses: %d", a.status)
	}
	if a := f.browser().signIn("赵保密", pw); a.status != http.StatusTooManyRequests {
		t.Fatalf("the password again, to start over: %d", a.status)
	}
}
