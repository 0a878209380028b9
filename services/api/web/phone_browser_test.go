package web_test

import (
	"context"
	_ "embed"
	"encoding/base32"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// axeSource is axe-core (npm axe-core 4.14.1, MPL-2.0), vendored for the
// browser tests: it checks a page against WCAG 2.1 A and AA.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axe runs axe-core on the page and returns its violations, one per rule
// with the number of elements and the first one's selector ("" for none).
func (p *person) axe() string {
	p.s.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		p.s.t.Fatalf("loading axe-core: %v", err)
	}
	return p.eval(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]})
		.then(r => r.violations.map(v => v.id + "×" + v.nodes.length + " (" + v.nodes[0].target.join(" ") + ")").join("; "))`)
}

// englishWords lists the English words a Chinese page shows outside code,
// hashes, addresses (a URL, a path), the language switch and a short list
// of names and codes that are written in Latin letters in Chinese too
// (acronyms and codes in capitals among them), and the fixture's data:
// its people, whose names are pinyin, and its agency's slug.
const englishWords = `(() => {
  const allow = new Set(["SHA", "PDF", "OFD", "DOCX", "API", "URL", "ID", "TOTP", "CSV", "XLSX", "RSS", "Atom", "JSON", "Feed",
    "English", "FreeOTP", "Google", "Microsoft", "Authenticator", "App", "HTTPS", "HTTP", "SMTP", "WeCom", "DingTalk", "NATS",
    "PostgreSQL", "JetStream", "GB", "T", "YYYY", "MM", "DD", "HH", "QR", "Prometheus", "Douyin", "WeChat", "OpenID", "AppID",
    "AppSecret", "Token", "IP", "AES", "mp4", "jpg", "png", "MB", "KB", "Excel", "Ctrl", "checkpoint", "sanshen",
    // the group robots' own parameter names, as their Chinese consoles show them
    "Webhook", "key", "access", "token",
    // the fixture's people and agency (data, not the interface; "test" acts in its set-up)
    "wang", "chen", "li", "zhou", "zhao", "sun", "qian", "admin", "zheng", "plat", "test", "default"]);
  const out = new Set();
  const walk = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest("code, pre.hash, .hash, [lang=en], script, style, .token, textarea, input, option")) continue;
    for (const w of n.textContent.replace(/https?:\/\/\S*|\/[^\s（）()，。、：；]*/g, " ").match(/[A-Za-z]{2,}/g) || []) {
      if (!allow.has(w) && w !== w.toUpperCase()) out.add(w); // capitals alone: a code or an acronym
    }
  }
  return Array.from(out).slice(0, 12).join(" ");
})()`

// unlabelledCells lists, for each table that becomes cards at phone width
// (table.list), the columns with a heading whose cells do not carry that
// heading as their data-label (the card's label). Cells spanning the row
// (an empty table's "none") and columns without a heading (a row's
// button) need none.
const unlabelledCells = `(() => {
  const out = new Set();
  for (const t of document.querySelectorAll("main table.list")) {
    const heads = Array.from(t.querySelectorAll("thead th")).map(th => th.textContent.trim());
    for (const tr of t.querySelectorAll("tbody tr")) {
      Array.from(tr.cells).forEach((td, i) => {
        if (td.colSpan > 1 || !heads[i]) return;
        if (td.dataset.label !== heads[i]) out.add((t.id ? "#" + t.id : "table") + " " + heads[i] + "≠" + (td.dataset.label ?? "—"));
      });
    }
  }
  return Array.from(out).slice(0, 8).join("; ");
})()`

// overflowing names the innermost elements that reach past the screen's
// right edge: what makes a page scroll sideways.
const overflowing = `(() => { const w = window.innerWidth + 1;
  return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w &&
    !Array.from(e.children).some(c => c.getBoundingClientRect().right > w)).slice(0, 4)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className : '')).join(', ') })()`

// knownEnglish is where Chinese pages may show English that Go code
// outside the templates writes: none now (the trail's details are told in
// the page's language, detail.go; a notification's English lines are left
// off Chinese pages, noticeIn). The selector stays for the next such gap.
const knownEnglish = "#no-known-english"

// englishWordsExcept is englishWords leaving the elements sel matches alone.
func englishWordsExcept(sel string) string {
	return strings.Replace(englishWords, `el.closest("code,`, `el.closest("`+sel+`, code,`, 1)
}

// tour is the pages one run checks: every width's checks on each page,
// each page at most once a run in the short form.
type tour struct {
	t      *testing.T
	s      *site
	full   bool
	widths []int64
	seen   map[string]string // page key → who checked it first
	pages  int
	// readers: the draft pages checked for each reader in the short form
	// (the full matrix checks every draft page for each).
	readers map[string]bool
}

var (
	numbers   = regexp.MustCompile(`/\d+`)
	draftPage = regexp.MustCompile(`^/web/drafts/\d+(/|$)`)
	columnOf  = regexp.MustCompile(`^(/public/[^/]+/(categories|topics))/[^/]+$`)
)

// key names a page for the tour: the path with its numbers as N, except a
// draft's (a draft in review and a published one are different pages),
// one public category or topic as C, and a queue's stage. A draft in
// review differs by who reads it (the decision form, the author's links):
// its page is keyed by the reader too (in the full matrix, every draft's).
func (tr *tour) key(p *person, u *url.URL) string {
	k := u.Path
	if !draftPage.MatchString(k) {
		k = columnOf.ReplaceAllString(numbers.ReplaceAllString(k, "/N"), "$1/C")
	} else if strings.Count(k, "/") == 3 && (tr.full || tr.readers[k]) {
		k = p.name + ":" + k
	}
	if st := u.Query().Get("stage"); st != "" {
		k += "?stage=" + st
	}
	return k
}

// skip is whether the tour leaves a link alone: not a page of the site
// (files, downloads, the live events' stream, fragments htmx loads, other
// sites), or a page that signs out or switches the language.
func skip(u *url.URL, base *url.URL, prefix string) bool {
	if u.Host != base.Host || !strings.HasPrefix(u.Path, prefix) || u.Query().Get("format") != "" {
		return true
	}
	for _, s := range []string{"/files/", "/documents/", "/static/", "/emblem/", "/web/lang", "/web/login", "/web/logout",
		"/web/events", "/web/queue/rows", "/web/deadline", "/web/account/second-factor", "/douyin/", "/checkpoint", "/consistency"} {
		if strings.Contains(u.Path, s) {
			return true
		}
	}
	for _, ext := range []string{".xlsx", ".csv", ".json", ".rss", ".atom", ".png", ".jpg", ".pdf", ".ofd", ".docx", ".mp4", ".txt", ".xml"} {
		if strings.HasSuffix(u.Path, ext) {
			return true
		}
	}
	return false
}

// check runs the checks on the page p shows, named page, at every width
// of the run: no axe-core violation, no sideways scrolling, at 390 px the
// tables' cells labelled, and no English outside the allowed words.
func (tr *tour) check(p *person, page string) {
	tr.t.Helper()
	tr.pages++
	for i, w := range tr.widths {
		if i > 0 {
			p.do(chromedp.EmulateViewport(w, 900))
		}
		if v := p.axe(); v != "" {
			tr.t.Errorf("%s: %s at %d px has accessibility violations (axe-core, WCAG 2.1 AA): %s", p.name, page, w, v)
		}
		if sw, _ := strconv.Atoi(p.eval(`String(document.documentElement.scrollWidth)`)); sw > int(w) {
			tr.t.Errorf("%s: %s is %d px wide at %d px: it scrolls sideways (%s)", p.name, page, sw, w, p.eval(overflowing))
		}
		if i > 0 {
			continue
		}
		if cells := p.eval(unlabelledCells); cells != "" {
			tr.t.Errorf("%s: %s has table cells without their column's label at phone width: %s", p.name, page, cells)
		}
		if words := p.eval(englishWordsExcept(knownEnglish)); words != "" {
			// Where: each word with its element and the nearest id or column.
			where := strings.Replace(englishWordsExcept(knownEnglish), "out.add(w)",
				`out.add(w + " in " + el.tagName.toLowerCase() + ((el.closest("td") || {}).dataset?.label ? "[" + el.closest("td").dataset.label + "]" : "") + ((el.closest("[id]") || {}).id ? "#" + el.closest("[id]").id : ""))`, 1)
			tr.t.Errorf("%s: %s shows English in a Chinese page: %s (%s)", p.name, page, words, p.eval(where))
		}
	}
	if len(tr.widths) > 1 {
		p.do(chromedp.EmulateViewport(tr.widths[0], 844))
	}
}

// walk visits the pages p reaches from start by following links inside
// prefix (breadth first), checking each page it has not checked before:
// the short form checks a page once a run, whoever reaches it first; the
// full matrix checks every page for every person who reaches it. A page
// refused to p (403, 404) is checked as the error page, once a run in the
// short form, and does not count as the page.
func (tr *tour) walk(p *person, prefix string, start ...string) {
	tr.t.Helper()
	base, _ := url.Parse(tr.s.base)
	queued, done := map[string]bool{}, map[string]bool{}
	fresh := func(k string) bool { return !done[k] && (tr.full || tr.seen[k] == "") }
	var queue []string
	add := func(l string) {
		u, err := base.Parse(l)
		if err != nil || skip(u, base, prefix) {
			return
		}
		u.Fragment = ""
		if k := tr.key(p, u); !queued[k] && fresh(k) {
			queued[k] = true
			queue = append(queue, u.RequestURI())
		}
	}
	for _, l := range start {
		add(l)
	}
	for len(queue) > 0 && len(done) < 80 {
		l := queue[0]
		queue = queue[1:]
		ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
		resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(tr.s.base+l))
		cancel()
		if err != nil {
			tr.t.Fatalf("%s: %s: %v", p.name, l, err)
		}
		loc, _ := chromedp.Run(p.ctx, chromedp.Location())
		u, _ := base.Parse(loc)
		k := tr.key(p, u)
		if resp.Status >= 400 {
			k = fmt.Sprintf("refused %d", resp.Status)
		}
		if !fresh(k) {
			continue
		}
		done[k] = true
		if tr.seen[k] == "" {
			tr.seen[k] = p.name
		}
		tr.check(p, u.RequestURI())
		if resp.Status >= 400 {
			continue
		}
		for _, next := range strings.Fields(p.eval(`Array.from(document.querySelectorAll('a[href]:not([download])')).map(a => a.getAttribute('href')).join(' ')`)) {
			add(next)
		}
	}
	if len(queue) > 0 {
		tr.t.Errorf("%s: the tour stopped at %d pages, %d left (%s …): a page whose links never end?", p.name, len(done), len(queue), queue[0])
	}
}

// TestPhoneWidth: every person of every role visits every page they can
// reach (their menu's pages and the links on them: a draft in review and
// a published one, each draft's trail and 审批单, the event browser, a
// person's page, the cases, a case and the intake form, the calendar's
// preview), and a visitor the public column's pages and the sign-in page.
// At 390 px (and in the full matrix at 1280 px too) no page has an
// axe-core violation of WCAG 2.1 AA or scrolls sideways; at 390 px no
// page shows English outside a short list of names and codes
// (englishWords) and every cell of a table that becomes cards carries its
// column's label. The header folds into a menu that opens with its button,
// and no menu item wraps onto a second line. The sign-in's code,
// enrolment and recovery-code pages are checked on the way in.
//
// The short form (CI) checks each page once, by whoever reaches it first
// (the draft page once for each reader); make browser checks every page
// for every person who reaches it, at both widths.
func TestPhoneWidth(t *testing.T) {
	start := time.Now()
	s := startSite(t)
	ctx := context.Background()
	full := os.Getenv("SANSHEN_BROWSER_MATRIX") == "full"
	tr := &tour{t: t, s: s, full: full, widths: []int64{390}, seen: map[string]string{}, readers: map[string]bool{}}
	if full {
		tr.widths = append(tr.widths, 1280)
	}

	// The people the fixture lacks: a case handler and a platform admin
	// (who enrols their second factor on the way in, below).
	var office int64
	deps, err := s.sys.Store.Departments(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		if d.Name == "综合办" {
			office = d.ID
		}
	}
	op := domain.Actor{Name: "test", AgencyID: store.DefaultAgency, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	hash := hashOf(t, password)
	for _, nu := range []store.NewUser{
		{Name: "zheng", Roles: []domain.Role{domain.RoleCaseHandler}, Departments: []int64{office}, PasswordHash: hash},
		{Name: "plat", Roles: []domain.Role{domain.RolePlatformAdmin}, PasswordHash: hash},
	} {
		if _, _, err := s.sys.Store.AddUser(ctx, op, nu); err != nil {
			t.Fatal(err)
		}
	}
	// What fills the tables: wang's API token, a brake on chen's sign-ins,
	// a dead letter.
	users, err := s.sys.Store.Users(ctx, store.DefaultAgency)
	if err != nil {
		t.Fatal(err)
	}
	var wangID int64
	for _, u := range users {
		if u.Name == "wang" {
			wangID = u.ID
			if _, _, err := s.sys.Store.AddToken(ctx, u.Actor(), u.ID, "公文系统对接"); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 6 {
		if err := s.sys.Store.RecordSignInFailure(ctx, "chen", "203.0.113.7", "bad_password"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.sys.Store.AddDeadLetter(ctx, store.DeadLetter{Consumer: "publisher", Subject: "sanshen.publish", Payload: `{"draft":1}`,
		MsgID: "tour-1", Deliveries: 3, LastError: "连接超时"}); err != nil {
		t.Fatal(err)
	}

	// A draft returned to its author (who is notified), one published, and
	// one waiting at stage 2.
	wang, li, zhao := s.as("wang"), s.as("li"), tr.signIn("zhao")
	returned := wang.submitDraft("关于调整辖区部分路段停车管理的通知", "为缓解辖区停车难问题，街道办事处拟调整部分路段的停车管理措施，现将有关事项通知如下。")
	published := wang.submitDraft("建国门街道2026年第四季度城乡低保对象名单公示",
		"根据《社会救助暂行办法》，经入户调查、民主评议，现将第四季度城乡低保对象名单予以公示，公示期为七日。如有异议，请向街道民生保障办公室反映。")
	waiting := wang.submitDraft("关于开展冬季消防安全检查的通知", body1)
	tr.readers[fmt.Sprintf("/web/drafts/%d", waiting)] = true
	s.waitState(returned, domain.StateCompliance)
	li.decide(returned, "return", "请补充调整的具体路段和起止时间。")
	s.waitState(published, domain.StateCompliance)
	li.decide(published, "approve", "")
	s.waitState(published, domain.StateConfidentiality)
	zhao.decide(published, "approve", "")
	s.waitState(published, domain.StatePublished)
	s.waitState(waiting, domain.StateCompliance)

	// A case: the intake form, checked before it is filled in, an ID card
	// and an appeal on the case page.
	zheng := s.as("zheng")
	zheng.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.base+"/web/applications/new"), chromedp.WaitVisible(chromedp.CSS("#app-intake")))
	tr.seen["/web/applications/new"] = "zheng"
	tr.check(zheng, "/web/applications/new")
	zheng.do(chromedp.SendKeys(chromedp.CSS("#applicant_name"), "张三"),
		chromedp.SetValue(chromedp.CSS("#description"), "本街道2026年老旧小区改造项目的资金使用情况"),
		chromedp.Click(chromedp.CSS("#app-save")), chromedp.WaitVisible(chromedp.CSS("#app-clock")),
		chromedp.SetUploadFiles(chromedp.CSS("#doc-file"), []string{scanFile(t, "张三身份证.png")}), chromedp.Click(chromedp.CSS("#doc-upload")),
		chromedp.WaitVisible(chromedp.CSS("#documents tr[data-id] a.doc-read")),
		chromedp.Click(chromedp.CSS("#act-appeal button")), chromedp.WaitVisible(chromedp.CSS("#app-appeals td form")))
	testenv.Eventually(t, "wang's notification of the return", func() bool {
		ns, err := s.sys.Store.Notifications(ctx, wangID, 10)
		return err == nil && len(ns) > 0
	})
	setup := time.Since(start)

	plat := tr.signIn("plat")
	people := []*person{wang, li, zhao, s.as("qian"), zheng, plat, tr.signIn("admin")}
	for _, p := range people {
		p.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(s.base+"/web/"), chromedp.WaitVisible(chromedp.CSS("#menu-toggle")))
		if p.eval(`String(getComputedStyle(document.querySelector('#site-nav')).display)`) != "none" {
			t.Errorf("%s: the menu is open before its button is pressed", p.name)
		}
		p.do(chromedp.Click(chromedp.CSS("#menu-toggle")), chromedp.WaitVisible(chromedp.CSS("#site-nav")))
		if wrapped := p.eval(`Array.from(document.querySelectorAll('#site-nav a, .me a')).filter(a => a.getClientRects().length > 1).map(a => a.textContent.trim()).join('|')`); wrapped != "" {
			t.Errorf("%s: menu items on several lines: %s", p.name, wrapped)
		}
		if p.name == "wang" || p.name == "admin" {
			p.shot("menu-390")
		}
		starts := strings.Fields(p.eval(`Array.from(document.querySelectorAll('#site-nav a, .me a')).map(a => a.getAttribute('href')).join(' ')`))
		// Pages no menu links to: each draft's (its trail and 审批单 are
		// linked from it). The officer is also refused an admin's page.
		if p == wang {
			starts = append(starts, "/web/admin/users")
		}
		for _, id := range []int64{waiting, returned, published} {
			starts = append(starts, fmt.Sprintf("/web/drafts/%d", id))
		}
		tr.walk(p, "/web/", starts...)
		if p == plat {
			// The calendar's preview of the next year's notice: its holidays'
			// table.
			p.do(chromedp.Navigate(s.base+"/web/platform/calendar"), chromedp.WaitVisible(chromedp.CSS("#calendar-form")),
				chromedp.SetValue(chromedp.CSS("#notice"), "一、元旦：1月1日放假1天。\n二、春节：2月1日至2月7日放假，共7天。"),
				chromedp.Click(chromedp.CSS("#calendar-preview")), chromedp.WaitVisible(chromedp.CSS("#calendar-result")))
			tr.check(p, "the calendar's preview")
			tr.seen["/web/platform/calendar/preview"] = p.name
			// Added: the years people added, listed.
			p.do(chromedp.Click(chromedp.CSS("#calendar-confirm")), chromedp.WaitVisible(chromedp.CSS("#calendar-added")))
			tr.check(p, "the calendar with a year added")
			tr.seen["/web/platform/calendar/added"] = p.name
		}
	}

	// The public column, its application form and the sign-in page, as a visitor sees them.
	v := s.visitor()
	v.do(chromedp.EmulateViewport(390, 844))
	tr.walk(v, "/public/", "/public/", "/public/default/", fmt.Sprintf("/public/default/items/%d", published), "/public/default/apply",
		"/public/default/apply/status", "/public/transparency/")
	v.do(chromedp.Navigate(s.base+"/web/login"), chromedp.WaitVisible(chromedp.CSS("#signin")))
	tr.seen["/web/login"] = v.name
	tr.check(v, "/web/login")

	draftKey := func(reader string, id int64) string {
		k := fmt.Sprintf("/web/drafts/%d", id)
		if full || tr.readers[k] {
			return reader + ":" + k
		}
		return k
	}
	// Every kind of page was checked: the tour did not lose its way.
	for _, k := range []string{"/web/drafts", "/web/drafts/new", "/web/queue?stage=compliance", "/web/queue?stage=confidentiality",
		"/web/review", "/web/archive", "/web/audit", "/web/audit/events", "/web/reports/annual", "/web/reports/assessment",
		"/web/admin/users", "/web/admin/users/N", "/web/admin/departments", "/web/admin/policy", "/web/admin/periods",
		"/web/admin/words", "/web/admin/expressions", "/web/admin/publications", "/web/admin/channels", "/web/admin/site",
		"/web/admin/deadletters", "/web/admin/notifications", "/web/notifications", "/web/account", "/web/account/notifications",
		"/web/applications", "/web/applications/N", "/web/applications/new", "/web/platform/agencies", "/web/platform/calendar",
		"/web/platform/calendar/preview", "/web/platform/calendar/added", fmt.Sprintf("/web/drafts/%d/edit", returned),
		draftKey("wang", waiting), draftKey("wang", published), draftKey("wang", returned),
		draftKey("li", waiting), draftKey("zhao", waiting), fmt.Sprintf("/web/drafts/%d/audit", published), fmt.Sprintf("/web/drafts/%d/print", waiting),
		"/public/", "/public/default/", "/public/default/items/N", "/public/default/apply", "/public/transparency/", "/web/login",
		"/web/login/code", "/web/account/second-factor", "/web/account/second-factor/recovery", "refused 403"} {
		if tr.seen[k] == "" {
			t.Errorf("the tour did not check %s", k)
		}
	}
	keys := make([]string, 0, len(tr.seen))
	for k, who := range tr.seen {
		keys = append(keys, who+" "+k)
	}
	slices.Sort(keys)
	t.Logf("%d pages checked (%d kinds) at %v px; setup %v, in all %v:\n%s", tr.pages, len(tr.seen), tr.widths,
		setup.Round(time.Second), time.Since(start).Round(time.Second), strings.Join(keys, "\n"))

	wang.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(fmt.Sprintf("%s/web/drafts/%d/print", s.base, waiting)),
		chromedp.WaitVisible(chromedp.CSS("#approval-sheet")))
	if got := wang.text(".sheet-title"); !strings.Contains(got, "审批单") {
		t.Errorf("the sheet's title: %q", got)
	}
	wang.shot("print-sheet")
}

// signIn signs name in as site.as does, checking the pages on the way at
// phone width (where the sign-out button is folded into the menu): the sign-in page, and the second factor's code page, or
// the enrolment and recovery codes' pages of a person who has none.
func (tr *tour) signIn(name string) *person {
	tr.t.Helper()
	p := tr.s.visitor()
	p.name = name
	p.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(tr.s.base+"/web/login"),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitReady(chromedp.CSS("#verify-code, #enrol-form, #logout")))
	once := func(page, key string) {
		if tr.full || tr.seen[key] == "" {
			tr.seen[key] = name
			tr.check(p, page)
		}
	}
	switch {
	case p.exists("#verify-code"):
		once("the second factor's code", "/web/login/code")
		code, ok := tr.s.code(name)
		if !ok {
			tr.t.Fatalf("%s is asked for a code, but has no second factor in the fixture", name)
		}
		p.do(chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("#verify-code")), chromedp.WaitReady(chromedp.CSS("#logout")))
	case p.exists("#enrol-form"):
		once("the enrolment", "/web/account/second-factor")
		text := p.text("#enrol-secret")
		secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(text, " ", ""))
		if err != nil {
			tr.t.Fatalf("the enrolment page's secret %q: %v", text, err)
		}
		tr.s.mu.Lock()
		tr.s.secrets[name] = secret
		delete(tr.s.spent, name)
		tr.s.mu.Unlock()
		code, _ := tr.s.code(name)
		p.do(chromedp.SendKeys(chromedp.CSS("#enrol-code"), code), chromedp.Click(chromedp.CSS("#enrol-submit")),
			chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
		once("the recovery codes", "/web/account/second-factor/recovery")
		p.do(chromedp.Click(chromedp.CSS("#recovery-continue")), chromedp.WaitReady(chromedp.CSS("#logout")))
	}
	return p
}
