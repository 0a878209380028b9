package api_test

// The access-control matrix: every route the process serves (api.Server's
// Routes and the pages' web.Register, read from echo at test time) × every
// principal (one person per role in the default agency, anonymous, and the
// admin of a second agency) × the targets each route takes: drafts of the
// principal's own department, another department and another agency, in the
// states that matter; dead letters, people, word lists, agencies.
//
// What the code answers is recorded in testdata/access_matrix.golden.txt,
// one line per cell, and compared; `go test ./services/api -run Matrix
// -update` rewrites it, to be reviewed as a diff. The golden file is not a
// second copy of the rules: it is what the code does, read by a person.
//
// Two checks do not depend on the golden file at all (they know nothing of
// the rules either):
//   - no answer to a principal of one agency shows anything of the other's
//     (its drafts' titles, departments, people, words, dead letters), apart
//     from the few views that are platform-wide by design (mxVar.platformWide);
//   - non-interference: what one agency's people see in their lists (drafts,
//     queues, departments, users, word list, policy, dead letters,
//     publications, audit counts, their public column and feed) does not
//     change when the other agency does things.
// TestMatrixLiveEvents does the same for the live event stream of the pages.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/work"
	"github.com/sanshen-gov/sanshen/services/api"
	"github.com/sanshen-gov/sanshen/services/api/web"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/access_matrix.golden.txt with what the code answers now (then review the diff)")

const mxGoldenPath = "testdata/access_matrix.golden.txt"

// mxFileName is the name under which every fixture draft attaches its
// agency's image.
const mxFileName = "现场照片.png"

// mxPNG is a 4×4 PNG of one grey level (different levels, different files).
func mxPNG(level uint8) []byte {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = level
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// mxLeftOut lists the routes the matrix deliberately leaves out, with the
// reason. It is empty: every route has cells.
var mxLeftOut = map[string]string{}

// mxKnownLeaks are leaks the rule-free checks find in the code as it is,
// each an access-control bug reported to be fixed. A leak not listed here
// fails the test; so does an entry that no longer leaks (remove it then).
// Keys: "<check> <route> <principal> <scope>".
var mxKnownLeaks = map[string]string{}

// Phases: the audit verifications first (so the trail they verify is the
// fixture's alone: the other reads add their refusals to it), then every
// other read, then the writes, so that no write disturbs a read.
const (
	mxCount = iota
	mxRead
	mxWrite
)

// mxStates are the kinds of draft targets: waiting for a person at
// compliance or confidentiality, published, returned by a person, and
// (the officer's own only) returned by stage 1's machine checks, the one
// an explanation may send on.
var mxStates = []string{"compliance", "confidentiality", "published", "returned", "checks-returned"}

var mxStateWords = map[string]string{"compliance": "待复审", "confidentiality": "待终审", "published": "已发布", "returned": "已退回",
	"checks-returned": "机审退回"}

// mxStateOf is the state a target of kind k is in.
func mxStateOf(k string) domain.State {
	if k == "checks-returned" {
		return domain.StateReturned
	}
	return domain.State(k)
}

const (
	mxBody     = "为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查，现将有关情况通报如下。"
	mxFormedOn = "2026-11-20"
	mxPassword = "matrix-password-1"
)

// mxGroup is a set of draft targets: one agency's department, its author
// and the reviewers who bring a draft to the state wanted.
type mxGroup struct {
	key       string // A1a, A1b, A2a, own
	agency    int64
	dept      string // key of fixture.depts
	author    string // key of fixture.people
	head, sec string
	prefix    string // of the titles
}

// mxPrincipal is who asks: a person with an API token and a page session,
// or anonymous (no token, no session).
type mxPrincipal struct {
	key    string
	agency int64 // 0: anonymous
	user   store.User
	token  string
	sid    string
	csrf   string
	// spare is a second session, for signing out.
	spareSid, spareCSRF string
}

func (p *mxPrincipal) has(r domain.Role) bool { return slices.Contains(p.user.Roles, r) }

// mxLabel is a piece of fixture data with a short name: the fingerprints
// list the labels an answer shows; the leak check looks for every agency's
// markers in the other's answers.
type mxLabel struct {
	key    string
	text   string
	agency int64 // 0: the platform's (shared by design)
}

type mxFixture struct {
	t          *testing.T
	h          *harness
	st         *store.Store
	cal        *calendar.Calendar
	echo       *echo.Echo
	base       string
	apiClient  *http.Client
	pageClient *http.Client
	a2         store.Agency
	ops        map[int64]domain.Actor // an operator per agency, as the CLI acts
	slugs      map[int64]string
	depts      map[string]store.Department // A1a, A1b, A2a, A2b
	people     map[string]store.User       // helpers, by key
	groups     map[string]mxGroup
	principals []*mxPrincipal
	drafts     map[string]int64 // group/state -> draft id (the reads' targets)
	dead       map[string]int64 // A1, A2, platform -> dead letter id
	apps       map[string]int64 // A1, A2 -> an application of the agency
	docs       map[string]int64 // A1, A2 -> an identity document of that application
	users      map[string]int64 // A1a, A1b, A2a -> a person to reset the password of
	userToken  map[int64]int64  // such a person -> an API token of theirs, to revoke
	userName   map[int64]string // such a person -> their name
	login      map[int64]string // agency -> a person who signs in with mxPassword
	words      map[int64][]string
	organs     map[int64]string // the expressions page's organ entries, as text
	logged     map[int64]int64  // agency -> an event of its in the signed log, to prove
	labels     []mxLabel        // shown in fingerprints
	markers    []mxLabel        // looked for by the leak check (labels and people)
	extra      int              // perturbations done
	files      map[int64]string // agency -> the SHA-256 of the image attached to its drafts
}

// newMatrix builds the fixture: the harness's default agency and cast, a
// second agency ("xinjie") with its own, the targets, and one server with
// the JSON API and the pages on it, as system.Start wires them.
func newMatrix(t *testing.T) *mxFixture {
	t.Helper()
	h := newHarness(t)
	ctx := context.Background()
	f := &mxFixture{t: t, h: h, st: h.store, cal: calendar.Official(), ops: map[int64]domain.Actor{}, slugs: map[int64]string{1: "default"},
		depts: map[string]store.Department{}, people: map[string]store.User{}, drafts: map[string]int64{}, dead: map[string]int64{},
		users: map[string]int64{}, login: map[int64]string{}, words: map[int64][]string{}}

	// One process: the JSON API and the pages on one echo, a real NATS for /readyz.
	nats := testenv.NATS(t)
	nc, err := nats.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := &api.Server{Store: h.store, NATS: nc, Calendar: f.cal, Metrics: metrics.New(), Log: testenv.Logger(t),
		MaxBodySize: maxBody, PublicURL: "http://public.test", Passwords: password.NewHasher(password.Test, 0), Blobs: blobs}
	f.echo = srv.Routes()
	hubCtx, stopHub := context.WithCancel(context.Background())
	pages := &web.Web{Store: h.store, Calendar: f.cal, Log: testenv.Logger(t), Metrics: srv.Metrics, Sealer: testSealer(t),
		Passwords: password.NewHasher(password.Test, 0), Files: &api.Files{Store: h.store, Blobs: blobs}}
	if err := pages.Register(hubCtx, f.echo); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(f.echo)
	t.Cleanup(func() { hs.Close(); stopHub() })
	f.base = hs.URL
	_, router := contract(t)
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	f.apiClient = &http.Client{Transport: &contractTransport{t: t, router: router, base: tr}, CheckRedirect: noFollow}
	f.pageClient = &http.Client{Transport: tr, CheckRedirect: noFollow}

	// The default agency: the harness's departments and cast, and helpers.
	op1 := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	f.ops[1] = op1
	for key, name := range map[string]string{"A1a": "综合办", "A1b": "执法队"} {
		f.depts[key] = store.Department{ID: h.deps[name], AgencyID: 1, Name: name}
	}
	// The second agency and its first admin.
	a2, _, admin2Token, err := h.store.AddAgency(ctx, op1, "xinjie", "新街街道办事处", store.NewUser{Name: "新街主管"})
	if err != nil {
		t.Fatal(err)
	}
	f.a2 = a2
	f.slugs[a2.ID] = a2.Slug
	op2 := op1
	op2.AgencyID = a2.ID
	f.ops[a2.ID] = op2
	for key, name := range map[string]string{"A2a": "新街综合科", "A2b": "新街城管科"} {
		d, err := h.store.AddDepartment(ctx, op2, name)
		if err != nil {
			t.Fatal(err)
		}
		f.depts[key] = d
	}
	hash, err := password.NewHasher(password.Test, 0).Hash(ctx, mxPassword)
	if err != nil {
		t.Fatal(err)
	}
	add := func(key string, agency int64, name string, role domain.Role, dept string, password bool) store.User {
		nu := store.NewUser{Name: name, AgencyID: agency, Roles: []domain.Role{role}}
		if dept != "" {
			nu.Departments = []int64{f.depts[dept].ID}
		}
		if password {
			nu.PasswordHash = hash
		}
		u, _, err := h.store.AddUser(ctx, f.ops[agency], nu)
		if err != nil {
			t.Fatalf("adding %s: %v", name, err)
		}
		f.people[key] = u
		return u
	}
	// Helpers of the default agency: authors and reviewers of the targets,
	// people whose password is reset, and one who signs in.
	add("a1a.author", 1, "东城同事", domain.RoleOfficer, "A1a", false)
	add("a1a.head", 1, "东城甲审", domain.RoleDeptHead, "A1a", false)
	add("a1b.author", 1, "东城乙撰稿", domain.RoleOfficer, "A1b", false)
	add("a1b.head", 1, "东城乙审", domain.RoleDeptHead, "A1b", false)
	add("a1.sec", 1, "东城终审", domain.RoleConfidentiality, "", false)
	f.users["A1a"] = add("a1a.target", 1, "东城甲科员", domain.RoleOfficer, "A1a", false).ID
	f.users["A1b"] = add("a1b.target", 1, "东城乙科员", domain.RoleOfficer, "A1b", false).ID
	f.login[1] = add("a1.login", 1, "东城登录员", domain.RoleOfficer, "A1a", true).Name
	// The second agency: one person per role (officer and head in its
	// department A), a person whose password is reset, one who signs in.
	add("a2.officer", a2.ID, "新街办事员", domain.RoleOfficer, "A2a", false)
	add("a2.head", a2.ID, "新街科长", domain.RoleDeptHead, "A2a", false)
	add("a2.sec", a2.ID, "新街保密员", domain.RoleConfidentiality, "", false)
	add("a2.auditor", a2.ID, "新街审计员", domain.RoleAuditor, "", false)
	add("a2.platform", a2.ID, "新街平台员", domain.RolePlatformAdmin, "", false)
	f.users["A2a"] = add("a2a.target", a2.ID, "新街甲科员", domain.RoleOfficer, "A2a", false).ID
	f.login[a2.ID] = add("a2.login", a2.ID, "新街登录员", domain.RoleOfficer, "A2a", true).Name

	h.addHandler(false) // not an officer: the officer's cells stay the officer's
	// The principals: one person per role of the default agency (the
	// officer and the head in 综合办, "own department"), anonymous, and the
	// second agency's admin, enough to show the symmetric case.
	for _, c := range []struct{ key, token string }{
		{"anonymous", ""}, {"officer", h.tokens["officer"]}, {"dept_head", h.tokens["head"]}, {"confidentiality", h.tokens["sec"]},
		{"admin", h.tokens["admin"]}, {"auditor", h.tokens["auditor"]}, {"platform_admin", h.tokens["platform"]}, {"xinjie/admin", admin2Token},
		{"case_handler", h.tokens["handler"]},
	} {
		p := &mxPrincipal{key: c.key, token: c.token}
		if c.token != "" {
			if p.user, err = h.store.UserByToken(ctx, c.token); err != nil {
				t.Fatal(err)
			}
			p.agency = p.user.AgencyID
			sid, sess, err := h.store.CreateSession(ctx, p.user, 12*time.Hour, "matrix", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			spare, spareSess, err := h.store.CreateSession(ctx, p.user, 12*time.Hour, "matrix", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			p.sid, p.csrf, p.spareSid, p.spareCSRF = sid, sess.CSRF, spare, spareSess.CSRF
		}
		f.principals = append(f.principals, p)
	}
	f.people["officer"] = f.principal("officer").user
	// The people whose accounts the account routes act on: a token each.
	f.userToken, f.userName = map[int64]int64{}, map[int64]string{}
	for _, g := range []string{"A1a", "A1b", "A2a"} {
		id, agency := f.users[g], int64(1)
		if g == "A2a" {
			agency = a2.ID
		}
		tk, _, err := h.store.AddToken(ctx, f.ops[agency], id, "矩阵令牌")
		if err != nil {
			t.Fatal(err)
		}
		f.userToken[id], f.userName[id] = tk.ID, tk.User
	}

	f.groups = map[string]mxGroup{
		"A1a": {key: "A1a", agency: 1, dept: "A1a", author: "a1a.author", head: "a1a.head", sec: "a1.sec", prefix: "东城甲"},
		"A1b": {key: "A1b", agency: 1, dept: "A1b", author: "a1b.author", head: "a1b.head", sec: "a1.sec", prefix: "东城乙"},
		"A2a": {key: "A2a", agency: a2.ID, dept: "A2a", author: "a2.officer", head: "a2.head", sec: "a2.sec", prefix: "新街甲"},
		// The officer principal's own draft, returned to them: the one
		// target they may revise.
		"own": {key: "own", agency: 1, dept: "A1a", author: "officer", head: "a1a.head", sec: "a1.sec", prefix: "东城本人"},
	}
	// Each agency's image, attached to its drafts (the file routes' targets).
	f.files = map[int64]string{}
	for i, agency := range []int64{1, a2.ID} {
		data := mxPNG(uint8(40 * (i + 1)))
		sum := fmt.Sprintf("%x", sha256.Sum256(data))
		if err := blobs.Put(ctx, sum, int64(len(data)), "image/png", bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		by := f.people[f.groups["A1a"].author]
		if agency != 1 {
			by = f.people[f.groups["A2a"].author]
		}
		if _, err := h.store.AddFile(ctx, store.File{SHA256: sum, MediaType: "image/png", Kind: "image", Size: int64(len(data)),
			Width: 4, Height: 4, AgencyID: agency, UploadedBy: by.ID}); err != nil {
			t.Fatal(err)
		}
		f.files[agency] = sum
	}
	var jobs []func() error
	var mu sync.Mutex
	for _, g := range []string{"A1a", "A1b", "A2a", "own"} {
		for _, st := range mxStates {
			returned := st == "returned" || st == "checks-returned"
			if g == "own" && !returned || g != "own" && st == "checks-returned" {
				continue // the officer's own: returned, by a person and by the checks; the others: all but checks-returned
			}
			jobs = append(jobs, func() error {
				id, err := f.makeDraft(ctx, g, st)
				mu.Lock()
				f.drafts[g+"/"+st] = id
				mu.Unlock()
				return err
			})
		}
	}
	if err := mxParallel(6, jobs); err != nil {
		t.Fatal(err)
	}

	// Dead letters: one about a draft of each agency, one of the platform's.
	for key, dl := range map[string]store.DeadLetter{
		"A1":       {Payload: mxWorkJSON(f.drafts["A1a/compliance"])},
		"A2":       {Payload: mxWorkJSON(f.drafts["A2a/compliance"])},
		"platform": {Payload: `{"note":"not about a draft"}`},
	} {
		marker := "mx-dl-" + strings.ToLower(key)
		subject, _ := work.Subject(domain.StateCompliance)
		dl.Consumer, dl.Subject, dl.MsgID, dl.Deliveries, dl.LastError = "matrix", subject, marker, 5, marker+" kept failing"
		if f.dead[key], err = h.store.AddDeadLetter(ctx, dl); err != nil {
			t.Fatal(err)
		}
	}
	// Applications: one letter taken in by each agency's operator, with an
	// identity document (taken in with it). The default agency's case is
	// handled by the case_handler principal (assigned by the operator, an
	// admin): its documents are its handlers' only.
	f.apps, f.docs = map[string]int64{}, map[string]int64{}
	for key, agency := range map[string]int64{"A1": 1, "A2": a2.ID} {
		img := mxPNG(map[string]uint8{"A1": 40, "A2": 41}[key])
		sum := sha256.Sum256(img)
		hexSum := fmt.Sprintf("%x", sum)
		a, err := h.store.AddApplication(ctx, f.ops[agency], store.NewApplication{Route: domain.RouteLetter, ApplicantType: domain.ApplicantNatural,
			ApplicantName: "mx-app-" + strings.ToLower(key), Description: "mx-app-" + strings.ToLower(key) + " 所需信息", ReceivedOn: f.cal.AddWorkingDays(time.Now().AddDate(0, 0, -7), 0),
			Documents: []store.IntakeDocument{{NewApplicationDocument: store.NewApplicationDocument{SHA256: hexSum, Name: "mx-doc.png",
				ContentType: "image/png", Size: int64(len(img))}, Put: func(ctx context.Context) error {
				return blobs.Put(ctx, hexSum, int64(len(img)), "image/png", bytes.NewReader(img))
			}}}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		f.apps[key], f.docs[key] = a.ID, a.Documents[0].ID
	}
	if _, err := h.store.ActOnApplication(ctx, f.cal, f.ops[1], f.apps["A1"], store.CaseAct{Action: domain.CaseAssignHandler,
		HandlerID: h.ids["handler"]}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Word lists: each agency's additions and the platform's list.
	f.words = map[int64][]string{1: {"东城敏感词"}, a2.ID: {"新街敏感词"}, store.PlatformList: {"平台敏感词"}}
	for list, ws := range f.words {
		if _, err := h.store.SetWordList(ctx, f.ops[max(list, 1)], list, ws); err != nil {
			t.Fatal(err)
		}
	}

	// Labels (the fingerprints show them) and markers (the leak check).
	for _, g := range []string{"A1a", "A1b", "A2a", "own"} {
		for _, st := range mxStates {
			if _, ok := f.drafts[g+"/"+st]; ok {
				f.labels = append(f.labels, mxLabel{g + "." + st, mxTitle(f.groups[g], st), f.groups[g].agency})
			}
		}
	}
	for _, k := range []string{"A1a", "A1b", "A2a", "A2b"} {
		f.labels = append(f.labels, mxLabel{"dept." + k, f.depts[k].Name, f.depts[k].AgencyID})
	}
	for _, k := range []string{"A1a", "A1b", "A2a"} {
		u := f.people[strings.ToLower(k)+".target"]
		f.labels = append(f.labels, mxLabel{"user." + k, u.Name, u.AgencyID})
	}
	f.labels = append(f.labels, mxLabel{"words.A1", "东城敏感词", 1}, mxLabel{"words.A2", "新街敏感词", a2.ID}, mxLabel{"words.platform", "平台敏感词", 0},
		mxLabel{"dl.A1", "mx-dl-a1", 1}, mxLabel{"dl.A2", "mx-dl-a2", a2.ID}, mxLabel{"dl.platform", "mx-dl-platform", 0})
	// The expressions pages' additions of each agency, entered by its admin
	// on the page (the same entries are sent again by the matrix's writes).
	f.organs = map[int64]string{1: "东城旧局｜东城新局｜全国｜2020-01-01｜东城区编办文件", a2.ID: "新街旧局｜新街新局｜全国｜2020-01-01｜新街编办文件"}
	for _, pk := range []string{"admin", "xinjie/admin"} {
		p := f.principal(pk)
		a, err := f.send(p, mxReq{method: "POST", path: "/web/admin/expressions",
			form: url.Values{"scope": {"agency"}, "kind": {"organ"}, "entries": {f.organs[p.agency]}}})
		if err != nil || a.status != http.StatusSeeOther {
			t.Fatalf("entering %s's organ names on /web/admin/expressions: %v %d %s", p.key, err, a.status, a.body)
		}
	}
	f.labels = append(f.labels, mxLabel{"organs.A1", "东城旧局", 1}, mxLabel{"organs.A2", "新街旧局", a2.ID})

	// The markers: the labels, and the people who write and review the
	// targets. Not the principals: a refused attempt on a draft is audited
	// in that draft's trail with the name of who tried, which the trail's
	// readers see by design (the second agency's admin tries the default
	// agency's drafts).
	f.markers = append(f.markers, f.labels...)
	for key, u := range f.people {
		if key != "officer" && !strings.HasSuffix(key, ".target") {
			f.markers = append(f.markers, mxLabel{"person:" + key, u.Name, u.AgencyID})
		}
	}
	f.checkMarkers()

	// The transparency log as the relay keeps it: every event so far
	// sequenced and a head signed, so that inclusion proofs and the public
	// log pages have something to show.
	if _, err := f.st.Sequence(ctx, 1_000_000); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.SignHead(ctx, testLogKey, testLogKey.Signer.Name(), 1, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	f.logged = map[int64]int64{}
	for _, a := range []int64{1, a2.ID} {
		var seq int64
		if err := f.st.Pool.QueryRow(ctx, `SELECT max(e.seq) FROM audit_events e JOIN audit_leaves l ON l.seq = e.seq WHERE e.agency_id = $1`, a).Scan(&seq); err != nil {
			t.Fatalf("an event of agency %d in the log: %v", a, err)
		}
		f.logged[a] = seq
	}
	return f
}

// checkMarkers makes sure every marker can only mean its own data: none is
// part of another, none is a word of the pages or the public templates.
func (f *mxFixture) checkMarkers() {
	f.t.Helper()
	var ui bytes.Buffer
	for _, pat := range []string{"web/locales/*.json", "web/templates/*.html", "templates/*.html"} {
		files, _ := filepath.Glob(pat)
		if len(files) == 0 {
			f.t.Fatalf("no files %s: the test runs in services/api", pat)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.t.Fatal(err)
			}
			ui.Write(b)
		}
	}
	for i, m := range f.markers {
		if m.text == "" || strings.Contains(ui.String(), m.text) {
			f.t.Fatalf("marker %s %q is empty or a word of the pages: rename it in the fixture", m.key, m.text)
		}
		for j, o := range f.markers {
			if i != j && strings.Contains(o.text, m.text) {
				f.t.Fatalf("marker %s %q is part of %s %q: rename one", m.key, m.text, o.key, o.text)
			}
		}
	}
}

func (f *mxFixture) principal(key string) *mxPrincipal {
	for _, p := range f.principals {
		if p.key == key {
			return p
		}
	}
	f.t.Fatalf("no principal %q", key)
	return nil
}

func mxWorkJSON(id int64) string {
	b, _ := json.Marshal(work.Item{DraftID: id, Revision: 1, State: domain.StateCompliance})
	return string(b)
}

func mxTitle(g mxGroup, st string) string { return g.prefix + mxStateWords[st] + "稿" }

// makeDraft brings a new draft of group g to target kind st (mxStates), as
// the workers and the group's reviewers would; it is the only place the
// matrix moves drafts itself.
func (f *mxFixture) makeDraft(ctx context.Context, group string, st string) (int64, error) {
	g := f.groups[group]
	author, head, sec := f.people[g.author], f.people[g.head], f.people[g.sec]
	formed, _ := time.Parse(domain.DateLayout, mxFormedOn)
	c := domain.Content{Title: mxTitle(g, st), Body: mxBody, Department: f.depts[g.dept].Name, Category: "news",
		Channels: []domain.Channel{domain.ChannelWebsite, domain.ChannelWeChat}, FormedOn: formed,
		Attachments: []domain.Attachment{{Name: mxFileName, SHA256: f.files[g.agency], Role: domain.RoleImage}}}
	var err error
	if c.Attachments, err = f.st.Attach(ctx, c.Attachments); err != nil {
		return 0, err
	}
	d, err := f.st.Submit(ctx, author.Actor(), f.depts[g.dept].ID, c, f.cal.Deadline(formed))
	if err != nil {
		return 0, fmt.Errorf("submitting %s: %w", c.Title, err)
	}
	id := d.ID
	decide := func(by store.User, stage domain.Stage, dec domain.Decision) error {
		cur, err := f.st.Draft(ctx, id)
		if err != nil {
			return err
		}
		req := domain.DecisionRequest{Stage: stage, Revision: cur.Revision, Decision: dec, Comment: "请按意见修改"}
		_, err = f.st.Decide(ctx, by.Actor(), id, req, nil)
		return err
	}
	block := domain.Finding{Code: "matrix_block", Severity: domain.SeverityBlock, Stage: domain.StageCompleteness, Field: "title",
		Start: 0, End: 2, MessageZH: "矩阵测试的阻断问题", MessageEN: "the matrix's blocking finding"}
	if st == "checks-returned" {
		if err := f.step(ctx, id, block); err != nil { // completeness: a blocking finding returns it
			return id, fmt.Errorf("bringing %s to %s: %w", c.Title, st, err)
		}
	}
	steps := []func() error{
		func() error { return f.step(ctx, id) }, // completeness: the checks pass it on
		func() error { return f.step(ctx, id) }, // compliance: checks done, a person's turn
	}
	switch st {
	case "checks-returned":
		steps = nil
	case "returned":
		steps = append(steps, func() error { return decide(head, domain.StageCompliance, domain.DecisionReturn) })
	case "confidentiality", "published":
		steps = append(steps, func() error { return decide(head, domain.StageCompliance, domain.DecisionApprove) },
			func() error { return f.step(ctx, id) })
		if st == "published" {
			steps = append(steps, func() error { return decide(sec, domain.StageConfidentiality, domain.DecisionApprove) },
				func() error { return f.step(ctx, id) })
		}
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return id, fmt.Errorf("bringing %s to %s: %w", c.Title, st, err)
		}
	}
	if d, err := f.st.Draft(ctx, id); err != nil || d.State != mxStateOf(st) {
		return id, fmt.Errorf("draft %s is %s, want %s (%v)", c.Title, d.State, st, err)
	}
	return id, nil
}

// step does the machine step the draft owes, as the harness's advance, with
// the findings given; publishing delivers the website and fails WeChat, so
// every published target has an open publication for its admins.
func (f *mxFixture) step(ctx context.Context, id int64, findings ...domain.Finding) error {
	d, err := f.st.Draft(ctx, id)
	if err != nil {
		return err
	}
	w := []work.Item{{DraftID: id, Revision: d.Revision, State: d.State}}
	var errs []error
	if d.State == domain.StatePublishing {
		errs = f.st.PublishLocalBatch(ctx, w, func(_ work.Item, c domain.Content) ([]store.PublicationOutcome, bool) {
			var outs []store.PublicationOutcome
			for _, ch := range c.Channels {
				o := store.PublicationOutcome{Channel: ch, Status: store.PubNotConfigured, Error: "channel not configured"}
				switch ch {
				case domain.ChannelWebsite:
					o = store.PublicationOutcome{Channel: ch, Status: store.PubDelivered, URL: fmt.Sprintf("http://public.test/public/items/%d", id)}
				case domain.ChannelWeChat:
					o = store.PublicationOutcome{Channel: ch, Status: store.PubFailed, Error: "the WeChat account refused the article"}
				}
				outs = append(outs, o)
			}
			return outs, true
		})
	} else {
		errs = f.st.CompleteChecksBatch(ctx, w, func(work.Item, int64, domain.Content) ([]domain.Finding, error) { return findings, nil })
	}
	return errs[0]
}

// mxParallel runs jobs, n at a time, and returns the first error.
func mxParallel(n int, jobs []func() error) error {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := j(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// ---- requests and answers ----

// mxReq is one request. A JSON body goes to the API, a form to the pages
// (with the principal's CSRF token added).
type mxReq struct {
	method, path string
	json         any
	raw          []byte // a file's bytes (an upload)
	file         []byte // a multipart form's field "file" (with form's fields), an identity document
	form         url.Values
	cookies      []*http.Cookie
	sid, csrf    string // a session other than the principal's (sign-out)
	stream       bool   // server-sent events: read the head, then hang up
}

// text is everything the request itself says, which the leak check does
// not hold against the answer.
func (r mxReq) text() string {
	s := r.path
	if r.json != nil {
		b, _ := json.Marshal(r.json)
		s += string(b)
	}
	for _, vs := range r.form {
		s += strings.Join(vs, " ")
	}
	return s
}

type mxAnswer struct {
	status   int
	location string
	flash    string
	ctype    string
	body     string
}

func mxAPIPath(path string) bool {
	return strings.HasPrefix(path, "/api/v1/") || path == "/healthz" || path == "/readyz"
}

func mxPagePath(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/web") || strings.HasPrefix(path, "/static/")
}

// send sends r as p. The API gets p's token (validated against the
// contract like every API test's request); the pages get p's session
// cookie; the public pages, health and metrics, which read no identity,
// get both.
func (f *mxFixture) send(p *mxPrincipal, r mxReq) (mxAnswer, error) {
	var body io.Reader
	ctype := ""
	switch {
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			return mxAnswer{}, err
		}
		body, ctype = bytes.NewReader(b), "application/json"
	case r.raw != nil:
		body, ctype = bytes.NewReader(r.raw), "application/octet-stream"
	case r.file != nil:
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if p.csrf != "" && mxPagePath(r.path) {
			_ = mw.WriteField("_csrf", p.csrf)
		}
		fw, err := mw.CreateFormFile("file", "矩阵身份证.png")
		if err != nil {
			return mxAnswer{}, err
		}
		_, _ = fw.Write(r.file)
		_ = mw.Close()
		body, ctype = &b, mw.FormDataContentType()
	case r.form != nil:
		form := url.Values{}
		for k, v := range r.form {
			form[k] = v
		}
		csrf := p.csrf
		if r.csrf != "" {
			csrf = r.csrf
		}
		if csrf != "" && form.Get("_csrf") == "" {
			form.Set("_csrf", csrf)
		}
		body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, f.base+r.path, body)
	if err != nil {
		return mxAnswer{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	path := strings.SplitN(r.path, "?", 2)[0]
	isAPI, isPage := mxAPIPath(path), mxPagePath(path)
	client := f.pageClient
	if isAPI {
		client = f.apiClient
		// Without a token the contract refuses the request as well.
		secured := strings.HasPrefix(path, "/api/v1/") && path != "/api/v1/openapi.json"
		req = req.WithContext(withExpectation(ctx, expectation{requestInvalid: secured && p.token == ""}))
	}
	if p.token != "" && !isPage {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	var cookies []string
	sid := p.sid
	if r.sid != "" {
		sid = r.sid
	}
	if sid != "" && !isAPI {
		cookies = append(cookies, "sanshen="+sid)
	}
	for _, c := range r.cookies {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	res, err := client.Do(req)
	if err != nil {
		return mxAnswer{}, fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	defer res.Body.Close()
	a := mxAnswer{status: res.StatusCode, location: res.Header.Get("Location"), ctype: res.Header.Get("Content-Type")}
	for _, c := range res.Cookies() {
		if c.Name == "flash" && c.Value != "" {
			a.flash = c.Value
		}
	}
	if r.stream && res.StatusCode == http.StatusOK {
		line, _ := bufio.NewReader(res.Body).ReadString('\n') // "retry: 3000": subscribed
		a.body = line
		cancel()
		return a, nil
	}
	b, err := io.ReadAll(res.Body)
	a.body = string(b)
	return a, err
}

var (
	mxErrorText = regexp.MustCompile(`<p class="error" role="alert" id="error">([^<]*)</p>`)
	mxNumberSeg = regexp.MustCompile(`/\d+`)
	mxSlugs     = regexp.MustCompile(`/public/([a-z][a-z0-9-]*)/`)
	mxVerify    = regexp.MustCompile(`(?s)<div class="verify (\w+)" id="verify">\s*<p>(.*?)</p>`)
	mxInts      = regexp.MustCompile(`\d+`)
)

// labelsIn lists the labels the text shows.
func (f *mxFixture) labelsIn(text string) string {
	var keys []string
	for _, l := range f.labels {
		if strings.Contains(text, l.text) {
			keys = append(keys, l.key)
		}
	}
	sort.Strings(keys)
	return "[" + strings.Join(keys, " ") + "]"
}

// fingerprint is a cell's golden text: the status, where a redirect goes
// (numbers as #) and its flash, an error's code or message, and for a
// success what it shows (the route's summary, or the labels).
func (f *mxFixture) fingerprint(r *mxRoute, a mxAnswer) string {
	s := strconv.Itoa(a.status)
	if a.location != "" {
		loc, err := url.PathUnescape(a.location)
		if err != nil {
			loc = a.location
		}
		s += " → " + mxNumberSeg.ReplaceAllString(loc, "/#")
	}
	if a.flash != "" {
		s += " flash=" + a.flash
	}
	switch {
	case a.status >= 200 && a.status < 300:
		if r.fp != nil {
			if x := r.fp(f, a); x != "" {
				s += " " + x
			}
		} else {
			s += " " + f.labelsIn(a.body)
		}
	case strings.HasPrefix(a.ctype, "application/json"):
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if json.Unmarshal([]byte(a.body), &e) == nil && e.Error.Code != "" {
			s += " " + e.Error.Code
		}
	default:
		if m := mxErrorText.FindStringSubmatch(a.body); m != nil {
			s += " «" + m[1] + "»"
		}
	}
	return s
}

// digest is what the non-interference check compares: the fingerprint and
// how many rows or items the answer has.
func (f *mxFixture) digest(r *mxRoute, a mxAnswer) string {
	d := f.fingerprint(r, a)
	if r.more != nil {
		d += " " + r.more(a)
	}
	if strings.HasPrefix(a.ctype, "application/json") || strings.HasPrefix(a.ctype, "application/feed+json") {
		var v any
		if json.Unmarshal([]byte(a.body), &v) == nil {
			d += fmt.Sprintf(" items=%d", mxCountItems(v))
		}
	} else {
		d += fmt.Sprintf(" rows=%d", strings.Count(a.body, "<tr")+strings.Count(a.body, "<li")+strings.Count(a.body, "<option"))
	}
	return d
}

func mxCountItems(v any) int {
	n := 0
	switch x := v.(type) {
	case []any:
		n += len(x)
		for _, e := range x {
			n += mxCountItems(e)
		}
	case map[string]any:
		for _, e := range x {
			n += mxCountItems(e)
		}
	}
	return n
}

// ---- the routes ----

// mxRoute is a route's cells: who asks, what about, and how its success
// is summarised.
type mxRoute struct {
	phase int
	// everyone: the route reads no identity (public pages, health, static
	// files). It still runs for every principal, and the golden file has
	// one line "(everyone)" while all answers agree.
	everyone bool
	// anonymousOnly: the request carries its own identity (sign-in).
	anonymousOnly bool
	// list: a list view, compared before and after the other agency acts.
	list bool
	fp   func(f *mxFixture, a mxAnswer) string
	// more: what the non-interference check also compares, beyond the
	// golden file's fingerprint (counts that the fixture's details set).
	more func(a mxAnswer) string
	vars func(f *mxFixture, p *mxPrincipal) []mxVar
}

// mxVar is one cell of a route for a principal.
type mxVar struct {
	scope string
	req   func() mxReq
	// slot: the cell may change its draft. The cells of a slot (the API's
	// or the pages' write routes, on one group and kind of target) run one
	// after another, each on a draft of that kind: one that a cell changed
	// is replaced by a fresh one before the next cell.
	slot   string
	reqFor func(d store.Draft) mxReq
	// viewAgency: the agency whose data the view is about, for public
	// pages (an agency's column); 0: the principal's.
	viewAgency int64
	// platformWide: the view shows every agency's by design (the public
	// index, a platform admin's dead letters, the platform's settings).
	platformWide bool
}

func mxFixed(scope string, r mxReq) mxVar { return mxVar{scope: scope, req: func() mxReq { return r }} }

func mxGet(path string) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(*mxFixture, *mxPrincipal) []mxVar { return []mxVar{mxFixed("-", mxReq{method: "GET", path: path})} }
}

// mxPublicLog is a public transparency-log route: platform-wide by design.
func mxPublicLog(path string) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(*mxFixture, *mxPrincipal) []mxVar {
		v := mxFixed("-", mxReq{method: "GET", path: path})
		v.platformWide = true
		return []mxVar{v}
	}
}

// agencyOf is the principal's agency; anonymous acts from the default one.
func (f *mxFixture) agencyOf(p *mxPrincipal) int64 { return max(p.agency, 1) }

func (f *mxFixture) otherAgency(p *mxPrincipal) int64 {
	if f.agencyOf(p) == 1 {
		return f.a2.ID
	}
	return 1
}

// deptName is the name of department a or b of an agency.
func (f *mxFixture) deptName(agency int64, letter string) string {
	if agency == 1 {
		return f.depts["A1"+letter].Name
	}
	return f.depts["A2"+letter].Name
}

// mxScoped is a target group as the principal sees it.
type mxScoped struct{ scope, group string }

// groupsFor are the draft groups of a principal's cells: for the default
// agency's people (and anonymous) their own department (综合办), another
// department, another agency, and the officer's own draft; for the second
// agency's admin their own agency and the default one.
func (f *mxFixture) groupsFor(p *mxPrincipal) []mxScoped {
	if p.agency == f.a2.ID {
		return []mxScoped{{"own-agency", "A2a"}, {"other-agency", "A1a"}}
	}
	return []mxScoped{{"own-dept", "A1a"}, {"other-dept", "A1b"}, {"other-agency", "A2a"}, {"officer-draft", "own"}}
}

// draftVars are a route's cells on the draft targets, one per group and state.
func (f *mxFixture) draftVars(p *mxPrincipal, make func(id int64, g string) mxReq) []mxVar {
	var out []mxVar
	for _, s := range f.groupsFor(p) {
		for _, st := range mxStates {
			id, ok := f.drafts[s.group+"/"+st]
			if !ok {
				continue
			}
			out = append(out, mxFixed(s.scope+"/"+st, make(id, s.group)))
		}
	}
	return out
}

// slotVars are a write route's cells on drafts of the writes (see mxVar.slot).
func (f *mxFixture) slotVars(p *mxPrincipal, make func(d store.Draft, g string) mxReq) []mxVar {
	var out []mxVar
	for _, s := range f.groupsFor(p) {
		for _, st := range mxStates {
			if _, ok := f.drafts[s.group+"/"+st]; !ok {
				continue
			}
			out = append(out, mxVar{scope: s.scope + "/" + st, slot: s.group + "/" + st + " " + mxFamily(p, make),
				reqFor: func(d store.Draft) mxReq { return make(d, s.group) }})
		}
	}
	return out
}

// mxFamily is "api" or "pages": which of the two a write route's request goes to.
func mxFamily(p *mxPrincipal, make func(d store.Draft, g string) mxReq) string {
	if strings.HasPrefix(make(store.Draft{ID: 1, Revision: 1}, "A1a").path, "/api/") {
		return "api"
	}
	return "pages"
}

// reviseDept is the department a revision names: the draft's own, looked up
// in the principal's agency (department a or b, as the draft's).
func (f *mxFixture) reviseDept(p *mxPrincipal, group string) string {
	letter := "a"
	if group == "A1b" {
		letter = "b"
	}
	return f.deptName(f.agencyOf(p), letter)
}

// deptVars: a new draft or person for the principal's own department,
// another department of their agency, and another agency's department.
func (f *mxFixture) deptVars(p *mxPrincipal) []mxScoped {
	own, other := f.agencyOf(p), f.otherAgency(p)
	if p.agency == f.a2.ID {
		return []mxScoped{{"own-agency", f.deptName(own, "a")}, {"other-agency", f.deptName(other, "a")}}
	}
	return []mxScoped{{"own-dept", f.deptName(own, "a")}, {"other-dept", f.deptName(own, "b")}, {"other-agency", f.deptName(other, "a")}}
}

func mxDraftJSON(title, dept string) map[string]any {
	return map[string]any{"title": title, "body": mxBody, "department": dept, "category": "news",
		"channels": []string{"website", "wechat"}, "formed_on": mxFormedOn}
}

func mxDraftForm(title, dept string) url.Values {
	return url.Values{"title": {title}, "body": {mxBody}, "department": {dept}, "category": {"news"},
		"channels": {"website", "wechat"}, "formed_on": {mxFormedOn}}
}

// decisionStage is the stage a decision on the draft names: its own, or
// for one past the stages the last (published) or the first person's
// (returned).
func decisionStage(d store.Draft) domain.Stage {
	switch d.State {
	case domain.StatePublished:
		return domain.StageConfidentiality
	case domain.StateReturned:
		return domain.StageCompliance
	}
	return domain.Stage(d.State)
}

// deadVars: the dead letters of the principal's agency, the other's and
// the platform's. A platform admin sees every one by design.
func (f *mxFixture) deadVars(p *mxPrincipal, make func(id int64) mxReq) []mxVar {
	own, other := "A1", "A2"
	if p.agency == f.a2.ID {
		own, other = "A2", "A1"
	}
	var out []mxVar
	for _, s := range []mxScoped{{"own-agency", own}, {"other-agency", other}, {"platform", "platform"}} {
		v := mxFixed(s.scope, make(f.dead[s.group]))
		v.platformWide = p.has(domain.RolePlatformAdmin)
		out = append(out, v)
	}
	return out
}

// appVars: an application of the principal's agency and of the other.
func (f *mxFixture) appVars(p *mxPrincipal, make func(id int64) mxReq) []mxVar {
	own, other := "A1", "A2"
	if p.agency == f.a2.ID {
		own, other = "A2", "A1"
	}
	return []mxVar{mxFixed("own-agency", make(f.apps[own])), mxFixed("other-agency", make(f.apps[other]))}
}

// docVars: the identity document of a case of the principal's agency, and
// of the other agency's (under its own case).
func (f *mxFixture) docVars(format string) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(f *mxFixture, p *mxPrincipal) []mxVar {
		own, other := "A1", "A2"
		if p.agency == f.a2.ID {
			own, other = "A2", "A1"
		}
		return []mxVar{mxFixed("own-agency", mxReq{method: "GET", path: fmt.Sprintf(format, f.apps[own], f.docs[own])}),
			mxFixed("other-agency", mxReq{method: "GET", path: fmt.Sprintf(format, f.apps[other], f.docs[other])})}
	}
}

// userVars: a person of the principal's department, another department,
// another agency.
func (f *mxFixture) userVars(p *mxPrincipal, make func(id int64) mxReq) []mxVar {
	if p.agency == f.a2.ID {
		return []mxVar{mxFixed("own-agency", make(f.users["A2a"])), mxFixed("other-agency", make(f.users["A1a"]))}
	}
	return []mxVar{mxFixed("own-dept", make(f.users["A1a"])), mxFixed("other-dept", make(f.users["A1b"])), mxFixed("other-agency", make(f.users["A2a"]))}
}

// queueVars: the default queue and each stage's.
func queueVars(path string) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(*mxFixture, *mxPrincipal) []mxVar {
		out := []mxVar{mxFixed("-", mxReq{method: "GET", path: path})}
		for _, st := range []domain.Stage{domain.StageCompleteness, domain.StageCompliance, domain.StageConfidentiality} {
			out = append(out, mxFixed("stage="+string(st), mxReq{method: "GET", path: path + "?stage=" + string(st)}))
		}
		return out
	}
}

// publicSlugVars: each agency's column (the view is that agency's).
func publicSlugVars(suffix string) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(f *mxFixture, _ *mxPrincipal) []mxVar {
		var out []mxVar
		for _, a := range []int64{1, f.a2.ID} {
			v := mxFixed("slug="+f.slugs[a], mxReq{method: "GET", path: "/public/" + f.slugs[a] + suffix})
			v.viewAgency = a
			out = append(out, v)
		}
		return out
	}
}

// mxForm posts a form of the pages, the same for everyone.
func mxForm(path string, form url.Values) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(*mxFixture, *mxPrincipal) []mxVar {
		return []mxVar{mxFixed("-", mxReq{method: "POST", path: path, form: form})}
	}
}

// mxUserForm posts an empty form to a page about a person (userVars).
func mxUserForm(format string) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(f *mxFixture, p *mxPrincipal) []mxVar {
		return f.userVars(p, func(id int64) mxReq { return mxReq{method: "POST", path: fmt.Sprintf(format, id), form: url.Values{}} })
	}
}

// mxUserPost posts to the API about a person (userVars).
func mxUserPost(format string) func(*mxFixture, *mxPrincipal) []mxVar {
	return func(f *mxFixture, p *mxPrincipal) []mxVar {
		return f.userVars(p, func(id int64) mxReq { return mxReq{method: "POST", path: fmt.Sprintf(format, id)} })
	}
}

// mxUnique is a name or slug no other cell uses.
func mxUnique(p *mxPrincipal, what string) string {
	return "mx-" + strings.NewReplacer("_", "-", "/", "-").Replace(p.key) + "-" + what
}

func (f *mxFixture) routes() map[string]*mxRoute {
	statusOnly := func(*mxFixture, mxAnswer) string { return "" }
	rawBody := func(_ *mxFixture, a mxAnswer) string { return strings.TrimSpace(a.body) }
	// The audit counts: the chains in the golden file (they show whose
	// trail is verified), the events too in the non-interference check.
	verifyJSON := func(_ *mxFixture, a mxAnswer) string {
		var r struct {
			OK     bool `json:"ok"`
			Chains int  `json:"chains"`
		}
		_ = json.Unmarshal([]byte(a.body), &r)
		return fmt.Sprintf("ok=%v chains=%d", r.OK, r.Chains)
	}
	verifyEvents := func(a mxAnswer) string {
		var r struct {
			Events int64 `json:"events"`
		}
		_ = json.Unmarshal([]byte(a.body), &r)
		return fmt.Sprintf("events=%d", r.Events)
	}
	draftJSON := func(f *mxFixture, a mxAnswer) string {
		var d struct{ State string }
		_ = json.Unmarshal([]byte(a.body), &d)
		return "state=" + d.State + " " + f.labelsIn(a.body)
	}
	slugs := func(_ *mxFixture, a mxAnswer) string {
		seen := map[string]bool{}
		var v struct{ Agencies []struct{ Slug string } }
		if json.Unmarshal([]byte(a.body), &v) == nil {
			for _, x := range v.Agencies {
				seen[x.Slug] = true
			}
		} else {
			for _, m := range mxSlugs.FindAllStringSubmatch(a.body, -1) {
				seen[m[1]] = true
			}
		}
		var out []string
		for s := range seen {
			out = append(out, s)
		}
		sort.Strings(out)
		return "agencies=[" + strings.Join(out, " ") + "]"
	}
	get := func(format string) func(*mxFixture, *mxPrincipal) []mxVar {
		return func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.draftVars(p, func(id int64, _ string) mxReq { return mxReq{method: "GET", path: fmt.Sprintf(format, id)} })
		}
	}
	r := map[string]*mxRoute{
		// Health, metrics, the contract, the public site: no identity.
		"GET /healthz": {phase: mxRead, everyone: true, fp: rawBody, vars: mxGet("/healthz")},
		"GET /readyz":  {phase: mxRead, everyone: true, fp: rawBody, vars: mxGet("/readyz")},
		"GET /api/v1/openapi.json": {phase: mxRead, everyone: true, fp: statusOnly, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			v := mxFixed("-", mxReq{method: "GET", path: "/api/v1/openapi.json"})
			v.platformWide = true // the contract, the same for everyone (its examples name departments)
			return []mxVar{v}
		}},
		"GET /public": {phase: mxRead, everyone: true, vars: mxGet("/public")},
		"GET /public/": {phase: mxRead, everyone: true, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			v := mxFixed("-", mxReq{method: "GET", path: "/public/"})
			v.platformWide = true // the platform's index: every agency's latest items
			return []mxVar{v}
		}},
		"GET /public/all.json": {phase: mxRead, everyone: true, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			v := mxFixed("-", mxReq{method: "GET", path: "/public/all.json"})
			v.platformWide = true // the platform's feed: every agency's items
			return []mxVar{v}
		}},
		"GET /public/feed.json": {phase: mxRead, everyone: true, vars: mxGet("/public/feed.json")},
		"GET /public/items/:id": {phase: mxRead, everyone: true, vars: func(f *mxFixture, _ *mxPrincipal) []mxVar {
			return []mxVar{
				mxFixed("item=default", mxReq{method: "GET", path: fmt.Sprintf("/public/items/%d", f.drafts["A1a/published"])}),
				mxFixed("item=xinjie", mxReq{method: "GET", path: fmt.Sprintf("/public/items/%d", f.drafts["A2a/published"])}),
			}
		}},
		"GET /public/:slug":           {phase: mxRead, everyone: true, vars: publicSlugVars("")},
		"GET /public/:slug/":          {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/")},
		"GET /public/:slug/feed.json": {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/feed.json")},
		"GET /public/:slug/items/:id": {phase: mxRead, everyone: true, vars: func(f *mxFixture, _ *mxPrincipal) []mxVar {
			var out []mxVar
			for _, a := range []int64{1, f.a2.ID} {
				for _, g := range []string{"A1a", "A2a"} {
					v := mxFixed(fmt.Sprintf("slug=%s item=%s", f.slugs[a], f.slugs[f.groups[g].agency]),
						mxReq{method: "GET", path: fmt.Sprintf("/public/%s/items/%d", f.slugs[a], f.drafts[g+"/published"])})
					v.viewAgency = a
					out = append(out, v)
				}
			}
			return out
		}},

		// Files: an upload (officers), a file by its hash (the agency that
		// has it), and a published item's file (everyone).
		"POST /api/v1/files": {phase: mxWrite, fp: statusOnly, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/api/v1/files?name=" + url.QueryEscape("矩阵上传.png"), raw: mxPNG(7)})}
		}},
		"GET /api/v1/files/:sha256": {phase: mxRead, fp: statusOnly, vars: func(f *mxFixture, _ *mxPrincipal) []mxVar {
			var out []mxVar
			for _, a := range []int64{1, f.a2.ID} {
				v := mxFixed("file="+f.slugs[a], mxReq{method: "GET", path: "/api/v1/files/" + f.files[a]})
				v.viewAgency = a
				out = append(out, v)
			}
			return out
		}},
		"GET /public/files/:sha256/:name": {phase: mxRead, everyone: true, fp: statusOnly, vars: func(f *mxFixture, _ *mxPrincipal) []mxVar {
			var out []mxVar
			for _, a := range []int64{1, f.a2.ID} {
				for _, name := range []string{mxFileName, "别的名字.png"} {
					v := mxFixed(fmt.Sprintf("file=%s name=%s", f.slugs[a], name),
						mxReq{method: "GET", path: "/public/files/" + f.files[a] + "/" + url.PathEscape(name)})
					v.viewAgency = a
					out = append(out, v)
				}
			}
			return out
		}},

		// The JSON API.
		"POST /api/v1/drafts": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.deptVars(p) {
				out = append(out, mxFixed(s.scope, mxReq{method: "POST", path: "/api/v1/drafts", json: mxDraftJSON("矩阵新稿", s.group)}))
			}
			return out
		}},
		"GET /api/v1/drafts":           {phase: mxRead, list: true, vars: mxGet("/api/v1/drafts")},
		"GET /api/v1/drafts/:id":       {phase: mxRead, fp: draftJSON, vars: get("/api/v1/drafts/%d")},
		"GET /api/v1/drafts/:id/audit": {phase: mxRead, fp: lifecycleJSON, vars: get("/api/v1/drafts/%d/audit")},
		"PUT /api/v1/drafts/:id": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, g string) mxReq {
				return mxReq{method: "PUT", path: fmt.Sprintf("/api/v1/drafts/%d", d.ID), json: mxDraftJSON(d.Content.Title+"（修改）", f.reviseDept(p, g))}
			})
		}},
		"POST /api/v1/drafts/:id/decisions": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/drafts/%d/decisions", d.ID),
					json: map[string]any{"stage": decisionStage(d), "revision": d.Revision, "decision": "approve", "comment": "同意"}}
			})
		}},
		"POST /api/v1/drafts/:id/explain": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/drafts/%d/explain", d.ID),
					json: map[string]any{"revision": d.Revision, "explanation": "标题中的用语是规范写法，检查有误。"}}
			})
		}},
		"POST /api/v1/drafts/:id/withdraw": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/drafts/%d/withdraw", d.ID), json: map[string]any{"reason": "信息有误"}}
			})
		}},
		"POST /api/v1/drafts/:id/recall": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/drafts/%d/recall", d.ID)}
			})
		}},
		"POST /api/v1/drafts/:id/expiry": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/drafts/%d/expiry", d.ID), json: map[string]any{"expires_on": "2099-12-31", "comment": "有效期至年底"}}
			})
		}},
		"GET /api/v1/queue": {phase: mxRead, list: true, vars: queueVars("/api/v1/queue")},
		"GET /api/v1/audit/verify": {phase: mxCount, list: true, fp: verifyJSON, more: verifyEvents, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			platform := mxFixed("scope=platform", mxReq{method: "GET", path: "/api/v1/audit/verify?scope=platform"})
			platform.platformWide = true // the whole installation's trail, for the platform's admins
			return []mxVar{mxFixed("-", mxReq{method: "GET", path: "/api/v1/audit/verify"}), platform}
		}},
		// An inclusion proof of an event of the caller's agency, and of the
		// other agency's (not found: an agency proves its own events).
		"GET /api/v1/audit/proof": {phase: mxRead, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			own, other := f.agencyOf(p), f.otherAgency(p)
			return []mxVar{
				mxFixed("own-agency", mxReq{method: "GET", path: fmt.Sprintf("/api/v1/audit/proof?seq=%d", f.logged[own])}),
				mxFixed("other-agency", mxReq{method: "GET", path: fmt.Sprintf("/api/v1/audit/proof?seq=%d", f.logged[other])}),
			}
		}},
		// The public transparency log: the installation's, the same for
		// everyone by design (it holds hashes only).
		"GET /public/transparency":             {phase: mxRead, everyone: true, vars: mxPublicLog("/public/transparency")},
		"GET /public/transparency/":            {phase: mxRead, everyone: true, fp: statusOnly, vars: mxPublicLog("/public/transparency/")},
		"GET /public/transparency/heads.json":  {phase: mxRead, everyone: true, fp: statusOnly, vars: mxPublicLog("/public/transparency/heads.json")},
		"GET /public/transparency/checkpoint":  {phase: mxRead, everyone: true, fp: statusOnly, vars: mxPublicLog("/public/transparency/checkpoint")},
		"GET /public/transparency/consistency": {phase: mxRead, everyone: true, fp: statusOnly, vars: mxPublicLog("/public/transparency/consistency?from=1&to=2")},
		"GET /public/transparency/feed.json":   {phase: mxRead, everyone: true, fp: statusOnly, vars: mxPublicLog("/public/transparency/feed.json")},
		"GET /api/v1/agencies":                 {phase: mxRead, fp: slugs, vars: mxGet("/api/v1/agencies")},
		"POST /api/v1/agencies": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/api/v1/agencies",
				json: map[string]any{"slug": mxUnique(p, "api"), "name": "矩阵机关", "admin_name": mxUnique(p, "api-admin")}})}
		}},
		"GET /api/v1/departments": {phase: mxRead, list: true, vars: mxGet("/api/v1/departments")},
		"POST /api/v1/departments": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/api/v1/departments", json: map[string]any{"name": mxUnique(p, "dept")}})}
		}},
		"POST /api/v1/users": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.deptVars(p) {
				body := map[string]any{"name": mxUnique(p, "user-"+s.scope), "roles": []string{"officer"}, "departments": []string{s.group}}
				if s.scope == "other-agency" {
					body["agency"] = f.slugs[f.otherAgency(p)]
				}
				out = append(out, mxFixed(s.scope, mxReq{method: "POST", path: "/api/v1/users", json: body}))
			}
			// An admin for the other agency: what a platform admin may give.
			out = append(out, mxFixed("other-agency/admin", mxReq{method: "POST", path: "/api/v1/users",
				json: map[string]any{"name": mxUnique(p, "user-admin"), "roles": []string{"admin"}, "agency": f.slugs[f.otherAgency(p)]}}))
			return out
		}},
		"GET /api/v1/tokens": {phase: mxRead, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return append([]mxVar{mxFixed("-", mxReq{method: "GET", path: "/api/v1/tokens"})},
				f.userVars(p, func(id int64) mxReq { return mxReq{method: "GET", path: fmt.Sprintf("/api/v1/tokens?user=%d", id)} })...)
		}},
		"POST /api/v1/tokens/:id/revoke": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.userVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/tokens/%d/revoke", f.userToken[id])}
			})
		}},
		"PUT /api/v1/account/password": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "PUT", path: "/api/v1/account/password",
				json: map[string]any{"current": "not it at all", "new": "矩阵里的一个新口令"}})}
		}},
		"POST /api/v1/users/:id/disable":             {phase: mxWrite, vars: mxUserPost("/api/v1/users/%d/disable")},
		"POST /api/v1/users/:id/enable":              {phase: mxWrite, vars: mxUserPost("/api/v1/users/%d/enable")},
		"POST /api/v1/users/:id/second-factor/reset": {phase: mxWrite, vars: mxUserPost("/api/v1/users/%d/second-factor/reset")},
		"GET /api/v1/signin-locks":                   {phase: mxRead, list: true, vars: mxGet("/api/v1/signin-locks")},
		"POST /api/v1/signin-locks/clear": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.userVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: "/api/v1/signin-locks/clear", json: map[string]any{"name": f.userName[id]}}
			})
		}},
		"GET /api/v1/wordlist": {phase: mxRead, list: true, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			platform := mxFixed("scope=platform", mxReq{method: "GET", path: "/api/v1/wordlist?scope=platform"})
			platform.platformWide = true
			return []mxVar{mxFixed("-", mxReq{method: "GET", path: "/api/v1/wordlist"}), platform}
		}},
		// The words sent are the list's own: an allowed write changes nothing.
		"PUT /api/v1/wordlist": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			platform := mxFixed("scope=platform", mxReq{method: "PUT", path: "/api/v1/wordlist?scope=platform", json: map[string]any{"words": f.words[store.PlatformList]}})
			platform.platformWide = true
			return []mxVar{mxFixed("-", mxReq{method: "PUT", path: "/api/v1/wordlist", json: map[string]any{"words": f.words[f.agencyOf(p)]}}), platform}
		}},
		"GET /api/v1/policy": {phase: mxRead, list: true, fp: rawBody, vars: mxGet("/api/v1/policy")},
		// The counts depend on the year the fixture is made in: the cells show the status only.
		"GET /api/v1/reports/channels": {phase: mxRead, vars: mxGet("/api/v1/reports/channels")},
		"PUT /api/v1/policy": {phase: mxWrite, fp: rawBody, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "PUT", path: "/api/v1/policy", json: map[string]any{"person_stages": []string{}}})}
		}},
		// The periodic review: the fixture's published drafts are news,
		// never reviewed by default: the queues are empty, keeping one is
		// allowed where the rules allow it, and its validity is not
		// applicable (the rules' refusals come first).
		"GET /api/v1/reviews":          {phase: mxRead, list: true, vars: mxGet("/api/v1/reviews")},
		"GET /api/v1/policy/review":    {phase: mxRead, list: true, vars: mxGet("/api/v1/policy/review")},
		"GET /api/v1/reports/validity": {phase: mxRead, vars: mxGet("/api/v1/reports/validity")},
		// News never reviewed, as by default: an allowed write changes nothing.
		"PUT /api/v1/policy/review": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "PUT", path: "/api/v1/policy/review", json: map[string]any{"months": map[string]int{"news": 0}}})}
		}},
		"POST /api/v1/drafts/:id/reviews": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/drafts/%d/reviews", d.ID), json: map[string]any{"decision": "keep", "comment": "仍然适用"}}
			})
		}},
		"PUT /api/v1/drafts/:id/validity": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "PUT", path: fmt.Sprintf("/api/v1/drafts/%d/validity", d.ID), json: map[string]any{"status": "valid"}}
			})
		}},
		"GET /api/v1/deadletters": {phase: mxRead, list: true, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			v := mxFixed("-", mxReq{method: "GET", path: "/api/v1/deadletters"})
			v.platformWide = p.has(domain.RolePlatformAdmin)
			return []mxVar{v}
		}},
		"POST /api/v1/deadletters/:id/replay": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.deadVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/deadletters/%d/replay", id)}
			})
		}},
		// Applications (依申请公开): the agency's case handlers and admins.
		// ?mine=1: the cases the principal handles.
		"GET /api/v1/applications": {phase: mxRead, list: true, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "GET", path: "/api/v1/applications"}),
				mxFixed("mine=1", mxReq{method: "GET", path: "/api/v1/applications?mine=1"})}
		}},
		"GET /api/v1/reports/applications": {phase: mxRead, vars: mxGet("/api/v1/reports/applications")},
		"GET /api/v1/applications/:id": {phase: mxRead, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq { return mxReq{method: "GET", path: fmt.Sprintf("/api/v1/applications/%d", id)} })
		}},
		"GET /api/v1/applications/:id/audit": {phase: mxRead, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq {
				return mxReq{method: "GET", path: fmt.Sprintf("/api/v1/applications/%d/audit", id)}
			})
		}},
		"POST /api/v1/applications": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/api/v1/applications", json: map[string]any{"route": "visit",
				"applicant_type": "natural", "applicant_name": "来访人", "description": "来访所需信息"}})}
		}},
		// A fee (any of the agency's case handlers and admins); the
		// extension (the head of the 政府信息公开工作机构 only: a case
		// handler who is a dept_head, no principal here); a handler
		// assigned (the head or an admin; the case_handler principal
		// handles the default agency's case already, so nothing changes).
		"POST /api/v1/applications/:id/actions": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, v := range []struct {
				name string
				body map[string]any
			}{
				{"", map[string]any{"action": "fee", "fee_amount_fen": 100}},
				{"extend ", map[string]any{"action": "extended", "note": "需调取档案"}},
				{"assign ", map[string]any{"action": "handler_assigned", "handler_id": f.h.ids["handler"]}},
			} {
				for _, x := range f.appVars(p, func(id int64) mxReq {
					return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/applications/%d/actions", id), json: v.body}
				}) {
					x.scope = v.name + x.scope
					out = append(out, x)
				}
			}
			return out
		}},
		// No outcome is recorded on the fixture's cases: an allowed reply is refused (422) and writes nothing.
		"POST /api/v1/applications/:id/reply": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/applications/%d/reply", id), json: map[string]any{"body": "答复"}}
			})
		}},
		// Identity documents: case handlers only. A read writes its audit
		// event, so the reads run with the writes; a new document is
		// appended, nothing of the fixture changed.
		"POST /api/v1/applications/:id/documents": {phase: mxWrite, fp: statusOnly, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/api/v1/applications/%d/documents", id), file: mxPNG(42)}
			})
		}},
		"GET /api/v1/applications/:id/documents/:doc": {phase: mxWrite, fp: statusOnly, vars: f.docVars("/api/v1/applications/%d/documents/%d")},
		"POST /web/applications/:id/documents": {phase: mxWrite, fp: statusOnly, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/applications/%d/documents", id), file: mxPNG(43)}
			})
		}},
		"GET /web/applications/:id/documents/:doc": {phase: mxWrite, fp: statusOnly, vars: f.docVars("/web/applications/%d/documents/%d")},
		"GET /api/v1/agency/identity-retention":    {phase: mxRead, vars: mxGet("/api/v1/agency/identity-retention")},
		// The same number of days as the fixture's (the default): nothing changes.
		"PUT /api/v1/agency/identity-retention": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "PUT", path: "/api/v1/agency/identity-retention", json: map[string]any{"days": 180}})}
		}},
		"POST /web/applications/retention": {phase: mxWrite, vars: mxForm("/web/applications/retention", url.Values{"days": {"180"}})},
		"POST /web/applications/:id/reply": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/applications/%d/reply", id), form: url.Values{"body": {"答复"}}}
			})
		}},
		// The public form: the honeypot filled, so that no cell counts against the address's limit.
		"GET /public/:slug/apply":        {phase: mxRead, everyone: true, vars: publicSlugVars("/apply")},
		"GET /public/:slug/apply/status": {phase: mxRead, everyone: true, vars: publicSlugVars("/apply/status")},
		"POST /public/:slug/apply": {phase: mxWrite, everyone: true, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/public/default/apply", form: url.Values{"website": {"x"}, "applicant_name": {"x"}}})}
		}},
		"GET /web/applications": {phase: mxRead, list: true, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "GET", path: "/web/applications"}),
				mxFixed("mine=1", mxReq{method: "GET", path: "/web/applications?mine=1"})}
		}},
		"GET /web/applications/new": {phase: mxRead, vars: mxGet("/web/applications/new")},
		"POST /web/applications": {phase: mxWrite, vars: mxForm("/web/applications", url.Values{"route": {"visit"}, "applicant_type": {"natural"},
			"applicant_name": {"来访人"}, "description": {"来访所需信息"}})},
		"GET /web/applications/:id": {phase: mxRead, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq { return mxReq{method: "GET", path: fmt.Sprintf("/web/applications/%d", id)} })
		}},
		"POST /web/applications/:id/act": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.appVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/applications/%d/act", id), form: url.Values{"action": {"fee"}, "fee_yuan": {"1"}}}
			})
		}},

		// The pages.
		"GET /":          {phase: mxRead, everyone: true, vars: mxGet("/")},
		"GET /static/*":  {phase: mxRead, everyone: true, fp: statusOnly, vars: mxGet("/static/app.css")},
		"GET /web/login": {phase: mxRead, everyone: true, fp: statusOnly, vars: mxGet("/web/login")},
		// The sign-in form carries the identity; its token is the
		// double-submit cookie's value.
		"POST /web/login": {phase: mxWrite, anonymousOnly: true, vars: func(f *mxFixture, _ *mxPrincipal) []mxVar {
			var out []mxVar
			for _, a := range []int64{1, f.a2.ID} {
				out = append(out, mxFixed("user-of="+f.slugs[a], mxReq{method: "POST", path: "/web/login",
					form:    url.Values{"_csrf": {"mx-login-token"}, "name": {f.login[a]}, "password": {mxPassword}, "next": {"/web/drafts"}},
					cookies: []*http.Cookie{{Name: "sanshen_login", Value: "mx-login-token"}}}))
			}
			return out
		}},
		"GET /web/lang": {phase: mxRead, everyone: true, vars: mxGet("/web/lang?to=en&back=/web/drafts")},
		// Signing out ends the principal's spare session, not the one the
		// other cells use.
		"POST /web/logout": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/logout", form: url.Values{}, sid: p.spareSid, csrf: p.spareCSRF})}
		}},
		"GET /web/":           {phase: mxRead, vars: mxGet("/web/")},
		"GET /web/drafts":     {phase: mxRead, list: true, vars: mxGet("/web/drafts")},
		"GET /web/drafts/new": {phase: mxRead, list: true, vars: mxGet("/web/drafts/new")},
		"POST /web/drafts": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.deptVars(p) {
				out = append(out, mxFixed(s.scope, mxReq{method: "POST", path: "/web/drafts", form: mxDraftForm("矩阵网页新稿", s.group)}))
			}
			return out
		}},
		"POST /web/drafts/:id/apply": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/apply", d.ID), form: url.Values{"finding": {"confidentiality:body:0:4"}}}
			})
		}},
		"POST /web/admin/users/:id/access": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("self", mxReq{method: "POST", path: fmt.Sprintf("/web/admin/users/%d/access", p.user.ID),
				form: url.Values{"roles": {"admin"}}})}
		}},
		"POST /web/admin/departments/:id/rename": {phase: mxWrite, vars: func(f *mxFixture, _ *mxPrincipal) []mxVar {
			// To its own name: a rename the other cells cannot see (they submit by name).
			d := f.depts["A1a"]
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: fmt.Sprintf("/web/admin/departments/%d/rename", d.ID), form: url.Values{"name": {d.Name}}})}
		}},
		"POST /web/queue/approve": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: "/web/queue/approve", form: url.Values{"draft": {fmt.Sprintf("%d:%d", d.ID, d.Revision)}}}
			})
		}},
		"POST /web/drafts/autosave": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			f := mxDraftForm("矩阵自动保存", "综合办")
			f.Set("form_key", "matrixautosave0123456789")
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/drafts/autosave", form: f})}
		}},
		"POST /web/drafts/saved/:key/discard": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/drafts/saved/matrixautosave0123456789/discard", form: url.Values{}})}
		}},
		"GET /web/drafts/:id":             {phase: mxRead, vars: get("/web/drafts/%d")},
		"GET /web/drafts/:id/edit":        {phase: mxRead, vars: get("/web/drafts/%d/edit")},
		"GET /web/drafts/:id/print":       {phase: mxRead, vars: get("/web/drafts/%d/print")},
		"GET /web/audit/events":           {phase: mxRead, fp: statusOnly, vars: mxGet("/web/audit/events")}, // its newest events depend on the cells run before
		"GET /web/drafts/:id/audit":       {phase: mxRead, vars: get("/web/drafts/%d/audit")},
		"GET /web/drafts/:id/files/:name": {phase: mxRead, fp: statusOnly, vars: get("/web/drafts/%d/files/" + strings.ReplaceAll(url.PathEscape(mxFileName), "%", "%%"))},
		"POST /web/drafts/:id": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, g string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d", d.ID), form: mxDraftForm(d.Content.Title+"（修改）", f.reviseDept(p, g))}
			})
		}},
		"POST /web/drafts/:id/decide": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/decide", d.ID), form: url.Values{
					"stage": {string(decisionStage(d))}, "revision": {strconv.Itoa(d.Revision)}, "decision": {"approve"}, "comment": {"同意"}}}
			})
		}},
		"POST /web/drafts/:id/explain": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/explain", d.ID), form: url.Values{
					"revision": {strconv.Itoa(d.Revision)}, "explanation": {"标题中的用语是规范写法，检查有误。"}}}
			})
		}},
		"POST /web/drafts/:id/withdraw": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/withdraw", d.ID), form: url.Values{
					"code": {"error"}, "reason": {"信息有误"}}}
			})
		}},
		"POST /web/drafts/:id/recall": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/recall", d.ID)}
			})
		}},
		"POST /web/drafts/:id/expiry": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/expiry", d.ID), form: url.Values{
					"expires_on": {"2099-12-31"}, "comment": {"有效期至年底"}}}
			})
		}},
		"GET /web/deadline":       {phase: mxRead, vars: mxGet("/web/deadline?formed_on=" + mxFormedOn)},
		"GET /web/admin/periods":  {phase: mxRead, vars: mxGet("/web/admin/periods")},
		"POST /web/admin/periods": {phase: mxWrite, vars: mxForm("/web/admin/periods", url.Values{"light_months": {"3"}, "heavy_months": {"36"}, "small_fine": {"10000"}, "source": {"本市规定"}})},
		"GET /web/review":         {phase: mxRead, list: true, vars: mxGet("/web/review")},
		"POST /web/drafts/:id/review": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/review", d.ID), form: url.Values{"note": {"仍然适用"}}}
			})
		}},
		"POST /web/drafts/:id/validity": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.slotVars(p, func(d store.Draft, _ string) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/drafts/%d/validity", d.ID), form: url.Values{"status": {"valid"}}}
			})
		}},
		// The default periods: an allowed write changes nothing.
		"POST /web/admin/policy/review": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			form := url.Values{}
			for _, c := range domain.Categories {
				form.Set("months."+c, strconv.Itoa(domain.DefaultReviewMonths(c)))
			}
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/policy/review", form: form})}
		}},

		// Accounts: the second factor's steps (a full session owes none), the
		// account page, and what admins do to people's accounts.
		"GET /web/login/code":            {phase: mxRead, vars: mxGet("/web/login/code")},
		"POST /web/login/code":           {phase: mxWrite, vars: mxForm("/web/login/code", url.Values{"code": {"000000"}})},
		"GET /web/account/second-factor": {phase: mxRead, fp: statusOnly, vars: mxGet("/web/account/second-factor")},
		"GET /web/account/second-factor/qr.png": {phase: mxRead, fp: func(_ *mxFixture, a mxAnswer) string { return a.ctype },
			vars: mxGet("/web/account/second-factor/qr.png")},
		"POST /web/account/second-factor":        {phase: mxWrite, vars: mxForm("/web/account/second-factor", url.Values{"code": {"000000"}})},
		"GET /web/account":                       {phase: mxRead, vars: mxGet("/web/account")},
		"POST /web/account/password":             {phase: mxWrite, vars: mxForm("/web/account/password", url.Values{"current": {"not it at all"}, "new": {"矩阵里的一个新口令"}, "again": {"矩阵里的一个新口令"}})},
		"POST /web/account/second-factor/remove": {phase: mxWrite, vars: mxForm("/web/account/second-factor/remove", url.Values{"current": {"not it at all"}})},
		"POST /web/account/recovery-codes":       {phase: mxWrite, vars: mxForm("/web/account/recovery-codes", url.Values{"current": {"not it at all"}})},
		"POST /web/account/tokens":               {phase: mxWrite, fp: statusOnly, vars: mxForm("/web/account/tokens", url.Values{"name": {"矩阵网页令牌"}})},
		"POST /web/account/tokens/:id/revoke": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.userVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/account/tokens/%d/revoke", f.userToken[id]), form: url.Values{}}
			})
		}},
		"GET /web/admin/users/:id": {phase: mxRead, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.userVars(p, func(id int64) mxReq { return mxReq{method: "GET", path: fmt.Sprintf("/web/admin/users/%d", id)} })
		}},
		"POST /web/admin/users/:id/disable":             {phase: mxWrite, vars: mxUserForm("/web/admin/users/%d/disable")},
		"POST /web/admin/users/:id/enable":              {phase: mxWrite, vars: mxUserForm("/web/admin/users/%d/enable")},
		"POST /web/admin/users/:id/second-factor/reset": {phase: mxWrite, vars: mxUserForm("/web/admin/users/%d/second-factor/reset")},
		"POST /web/admin/users/:id/tokens/:token/revoke": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.userVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/admin/users/%d/tokens/%d/revoke", id, f.userToken[id]), form: url.Values{}}
			})
		}},
		"POST /web/admin/signin-locks/clear": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.userVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: "/web/admin/signin-locks/clear", form: url.Values{"name": {f.userName[id]}, "back": {"/web/admin/users"}}}
			})
		}},
		"GET /web/queue":      {phase: mxRead, list: true, vars: queueVars("/web/queue")},
		"GET /web/queue/rows": {phase: mxRead, list: true, vars: queueVars("/web/queue/rows")},
		"GET /web/events": {phase: mxRead, fp: func(_ *mxFixture, a mxAnswer) string { return a.ctype }, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "GET", path: "/web/events", stream: true})}
		}},
		"GET /web/audit":              {phase: mxCount, list: true, fp: verifyPage, more: verifyPageEvents, vars: mxGet("/web/audit")},
		"GET /web/admin/users":        {phase: mxRead, list: true, vars: mxGet("/web/admin/users")},
		"GET /web/admin/departments":  {phase: mxRead, list: true, vars: mxGet("/web/admin/departments")},
		"GET /web/admin/policy":       {phase: mxRead, list: true, vars: mxGet("/web/admin/policy")},
		"GET /web/admin/words":        {phase: mxRead, list: true, vars: mxGet("/web/admin/words")},
		"GET /web/admin/publications": {phase: mxRead, list: true, vars: mxGet("/web/admin/publications")},
		"GET /web/admin/channels":     {phase: mxRead, list: true, vars: mxGet("/web/admin/channels")},
		// WeChat's events are not enabled in the fixture: 404 for everyone;
		// their signature is TestWeChatPublishJobFinishEvent's.
		"GET /channels/wechat/events": {phase: mxRead, vars: mxGet("/channels/wechat/events?signature=x&timestamp=1&nonce=2&echostr=e")},
		"POST /channels/wechat/events": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/channels/wechat/events?signature=x&timestamp=1&nonce=2", form: url.Values{}})}
		}},
		// Douyin is not configured in the fixture: those who may connect an
		// account are told so (404); connecting a configured one is
		// TestDouyinConnect's (services/api/web).
		"POST /web/admin/channels/douyin/connect": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/channels/douyin/connect", form: url.Values{}})}
		}},
		"GET /web/admin/channels/douyin/callback": {phase: mxRead, vars: mxGet("/web/admin/channels/douyin/callback?code=c&state=s")},
		"GET /web/admin/deadletters": {phase: mxRead, list: true, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			v := mxFixed("-", mxReq{method: "GET", path: "/web/admin/deadletters"})
			v.platformWide = p.has(domain.RolePlatformAdmin)
			return []mxVar{v}
		}},
		"GET /web/admin/expressions": {phase: mxRead, list: true, vars: mxGet("/web/admin/expressions")},
		// The entries sent are the list's own, the locality the agency's
		// (none): an allowed write changes nothing the next cell sees.
		"POST /web/admin/expressions": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			platform := mxFixed("scope=platform", mxReq{method: "POST", path: "/web/admin/expressions",
				form: url.Values{"scope": {"platform"}, "kind": {"organ"}, "entries": {""}}})
			platform.platformWide = true
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/expressions",
				form: url.Values{"scope": {"agency"}, "kind": {"organ"}, "entries": {f.organs[f.agencyOf(p)]}}}), platform}
		}},
		"POST /web/admin/expressions/locality": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/expressions/locality", form: url.Values{"locality": {""}}})}
		}},
		"GET /web/platform/agencies": {phase: mxRead, fp: slugs, vars: mxGet("/web/platform/agencies")},
		"GET /web/platform/calendar": {phase: mxRead, vars: mxGet("/web/platform/calendar")},
		// A notice with no holiday line: the platform admin is told what is
		// wrong (422) and nothing changes; adding a year is
		// TestAddACalendarYear's (services/api/web).
		"POST /web/platform/calendar/preview": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/platform/calendar/preview", form: url.Values{"year": {"2027"}, "notice": {"通知"}}})}
		}},
		"POST /web/platform/calendar": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/platform/calendar", form: url.Values{"year": {"2027"}, "notice": {"通知"}}})}
		}},
		"POST /web/admin/users": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.deptVars(p) {
				out = append(out, mxFixed(s.scope, mxReq{method: "POST", path: "/web/admin/users",
					form: url.Values{"name": {mxUnique(p, "web-user-"+s.scope)}, "roles": {"officer"}, "departments": {s.group}}}))
			}
			return out
		}},
		"POST /web/admin/users/:id/password": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.userVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/admin/users/%d/password", id), form: url.Values{"password": {"matrix-reset-passphrase-2"}}}
			})
		}},
		"POST /web/admin/departments": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/departments", form: url.Values{"name": {mxUnique(p, "web-dept")}}})}
		}},
		"POST /web/admin/policy": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/policy", form: url.Values{}})}
		}},
		"POST /web/admin/words": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			platform := mxFixed("scope=platform", mxReq{method: "POST", path: "/web/admin/words",
				form: url.Values{"scope": {"platform"}, "words": {strings.Join(f.words[store.PlatformList], "\n")}}})
			platform.platformWide = true
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/words", form: url.Values{"words": {strings.Join(f.words[f.agencyOf(p)], "\n")}}}), platform}
		}},
		// Recording "not sent" leaves the publication open: an allowed
		// cell changes nothing the next one sees.
		"POST /web/admin/publications/withdrawn": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.groupsFor(p) {
				if id, ok := f.drafts[s.group+"/published"]; ok {
					out = append(out, mxFixed(s.scope+"/published", mxReq{method: "POST", path: "/web/admin/publications/withdrawn",
						form: url.Values{"draft": {strconv.FormatInt(id, 10)}, "channel": {"wechat"}, "note": {"已在后台删除"}}}))
				}
			}
			return out
		}},
		// The fixture's published drafts have no alert: an allowed cell is
		// a 404 that changes nothing (the acknowledgement itself is
		// TestWeChatBannedAfterSuccess's).
		"POST /web/admin/publications/alert": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.groupsFor(p) {
				if id, ok := f.drafts[s.group+"/published"]; ok {
					out = append(out, mxFixed(s.scope+"/published", mxReq{method: "POST", path: "/web/admin/publications/alert",
						form: url.Values{"draft": {strconv.FormatInt(id, 10)}, "channel": {"wechat"}, "note": {"已知悉"}}}))
				}
			}
			return out
		}},
		"POST /web/admin/publications/resolve": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.groupsFor(p) {
				if id, ok := f.drafts[s.group+"/published"]; ok {
					out = append(out, mxFixed(s.scope+"/published", mxReq{method: "POST", path: "/web/admin/publications/resolve",
						form: url.Values{"draft": {strconv.FormatInt(id, 10)}, "channel": {"wechat"}, "outcome": {"failed"}, "note": {"已电话确认未发出"}}}))
				}
			}
			return out
		}},
		"POST /web/platform/agencies": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/platform/agencies",
				form: url.Values{"slug": {mxUnique(p, "web")}, "name": {"矩阵网页机关"}, "admin": {mxUnique(p, "web-admin")}}})}
		}},
		"POST /web/admin/deadletters/:id/replay": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			return f.deadVars(p, func(id int64) mxReq {
				return mxReq{method: "POST", path: fmt.Sprintf("/web/admin/deadletters/%d/replay", id), form: url.Values{}}
			})
		}},
		// Notifications: each person's own (the ids are nobody's: a
		// person's notification is only ever theirs); the settings page is
		// the agency's admins'. The forms sent change nothing: an invalid
		// address, robot URL and queue limit.
		"GET /web/notifications":                    {phase: mxRead, list: true, vars: mxGet("/web/notifications")},
		"POST /web/notifications/read-all":          {phase: mxWrite, vars: mxForm("/web/notifications/read-all", url.Values{})},
		"POST /web/notifications/:id/read":          {phase: mxWrite, vars: mxForm("/web/notifications/999999/read", url.Values{})},
		"GET /web/account/notifications":            {phase: mxRead, vars: mxGet("/web/account/notifications")},
		"POST /web/account/notifications":           {phase: mxWrite, vars: mxForm("/web/account/notifications", url.Values{"email": {"不是邮箱"}})},
		"GET /web/admin/notifications":              {phase: mxRead, list: true, vars: mxGet("/web/admin/notifications")},
		"POST /web/admin/notifications/robots":      {phase: mxWrite, vars: mxForm("/web/admin/notifications/robots", url.Values{"wecom_url": {"ftp://x"}})},
		"POST /web/admin/notifications/queue-limit": {phase: mxWrite, vars: mxForm("/web/admin/notifications/queue-limit", url.Values{"days": {"0"}})},
		"POST /web/admin/notifications/deliveries/:id/acknowledge": {phase: mxWrite,
			vars: mxForm("/web/admin/notifications/deliveries/999999/acknowledge", url.Values{})},
	}
	// The annual report (issue 20): the counts depend on the year the
	// fixture is made in, so the reads show their status only; a draft of
	// 2025's report is submitted per department.
	maps.Copy(r, map[string]*mxRoute{
		"GET /api/v1/reports/annual":   {phase: mxRead, fp: statusOnly, vars: mxGet("/api/v1/reports/annual?year=2025")},
		"GET /web/reports/annual":      {phase: mxRead, fp: statusOnly, vars: mxGet("/web/reports/annual?year=2025")},
		"GET /web/reports/annual.xlsx": {phase: mxRead, fp: statusOnly, vars: mxGet("/web/reports/annual.xlsx?year=2025")},
		"POST /api/v1/reports/annual": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.deptVars(p) {
				out = append(out, mxFixed(s.scope, mxReq{method: "POST", path: "/api/v1/reports/annual", json: map[string]any{"year": 2025, "department": s.group}}))
			}
			return out
		}},
		// The assessment: the weights sent are the defaults, so an allowed
		// write changes nothing the other cells see.
		"GET /api/v1/reports/assessment":   {phase: mxRead, fp: statusOnly, vars: mxGet("/api/v1/reports/assessment?period=2025")},
		"GET /web/reports/assessment":      {phase: mxRead, fp: statusOnly, vars: mxGet("/web/reports/assessment?period=2025")},
		"GET /web/reports/assessment.xlsx": {phase: mxRead, fp: statusOnly, vars: mxGet("/web/reports/assessment.xlsx?period=2025")},
		"PUT /api/v1/reports/assessment/weights": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "PUT", path: "/api/v1/reports/assessment/weights",
				json: map[string]any{"published": 1, "first_pass": 20, "on_time": 20, "returned": 2}})}
		}},
		"POST /web/reports/assessment/weights": {phase: mxWrite, vars: mxForm("/web/reports/assessment/weights",
			url.Values{"published": {"1"}, "first_pass": {"20"}, "on_time": {"20"}, "returned": {"2"}, "period": {"2025"}})},
		"POST /web/reports/annual": {phase: mxWrite, vars: func(f *mxFixture, p *mxPrincipal) []mxVar {
			var out []mxVar
			for _, s := range f.deptVars(p) {
				out = append(out, mxFixed(s.scope, mxReq{method: "POST", path: "/web/reports/annual", form: url.Values{"year": {"2025"}, "department": {s.group}}}))
			}
			return out
		}},
	})
	maps.Copy(r, f.publicColumnRoutes())
	return r
}

// publicColumnRoutes are the public column's routes (issue 19 point 1)
// and its settings.
func (f *mxFixture) publicColumnRoutes() map[string]*mxRoute {
	platform := func(path string) func(*mxFixture, *mxPrincipal) []mxVar {
		return func(*mxFixture, *mxPrincipal) []mxVar {
			v := mxFixed("-", mxReq{method: "GET", path: path})
			v.platformWide = true
			return []mxVar{v}
		}
	}
	return map[string]*mxRoute{
		"GET /public/*":                      {phase: mxRead, everyone: true, vars: mxGet("/public/default/no-such-page")},
		"GET /public/static/:name":           {phase: mxRead, everyone: true, fp: func(*mxFixture, mxAnswer) string { return "" }, vars: mxGet("/public/static/public.css")},
		"GET /public/all.rss":                {phase: mxRead, everyone: true, vars: platform("/public/all.rss")},
		"GET /public/all.atom":               {phase: mxRead, everyone: true, vars: platform("/public/all.atom")},
		"GET /public/:slug/feed.rss":         {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/feed.rss")},
		"GET /public/:slug/feed.atom":        {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/feed.atom")},
		"GET /public/:slug/search":           {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/search?q=%E7%9F%A9%E9%98%B5")},
		"GET /public/:slug/guide":            {phase: mxRead, everyone: true, vars: publicSlugVars("/guide")},
		"GET /public/:slug/rules":            {phase: mxRead, everyone: true, vars: publicSlugVars("/rules")},
		"GET /public/:slug/categories/":      {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/categories/")},
		"GET /public/:slug/categories/:code": {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/categories/news")},
		"GET /public/:slug/annual-reports":   {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/annual-reports")},
		"GET /public/:slug/application":      {phase: mxRead, everyone: true, vars: publicSlugVars("/application")},
		"GET /public/:slug/topics/:topic":    {phase: mxRead, everyone: true, list: true, vars: publicSlugVars("/topics/%E8%80%81%E6%97%A7%E5%B0%8F%E5%8C%BA%E6%94%B9%E9%80%A0")},
		"GET /web/archive":                   {phase: mxRead, list: true, vars: mxGet("/web/archive")},
		"GET /api/v1/agency/site":            {phase: mxRead, vars: mxGet("/api/v1/agency/site")},
		// No agency of the fixture has an emblem: 404 for everyone.
		"GET /public/:slug/emblem/:sha256": {phase: mxRead, everyone: true, vars: publicSlugVars("/emblem/" + strings.Repeat("ab", 32))},
		"GET /web/admin/site":              {phase: mxRead, vars: mxGet("/web/admin/site")},
		"POST /web/admin/site": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "POST", path: "/web/admin/site", form: url.Values{"sponsor": {"矩阵主办单位"}}})}
		}},
		"PUT /api/v1/agency/site": {phase: mxWrite, vars: func(*mxFixture, *mxPrincipal) []mxVar {
			return []mxVar{mxFixed("-", mxReq{method: "PUT", path: "/api/v1/agency/site", json: map[string]any{"sponsor": "矩阵主办单位"}})}
		}},
	}
}

// lifecycleJSON summarises a draft's trail: whether it verifies, and the
// people's steps it holds (not the refusals, which the other cells add as
// they run, nor the machine's, whose details are not this test's concern).
func lifecycleJSON(_ *mxFixture, a mxAnswer) string {
	var v struct {
		Events []struct{ Action string }
		Verify struct{ OK bool }
	}
	_ = json.Unmarshal([]byte(a.body), &v)
	var acts []string
	for _, e := range v.Events {
		switch e.Action {
		case "submit", "revise", "explain", "approve", "return", "reject", "withdraw":
			acts = append(acts, e.Action)
		}
	}
	return fmt.Sprintf("verified=%v [%s]", v.Verify.OK, strings.Join(acts, " "))
}

// verifyPage reads the audit page's verification: its class and chains
// ("共 %d 个事件，%d 条链。": events, then chains).
func verifyPage(_ *mxFixture, a mxAnswer) string {
	m := mxVerify.FindStringSubmatch(a.body)
	if m == nil {
		return "no verification shown"
	}
	n := mxInts.FindAllString(m[2], -1)
	if len(n) != 2 {
		return "counts? " + m[2]
	}
	return m[1] + " chains=" + n[1]
}

// verifyPageEvents is the audit page's event count, for the
// non-interference check.
func verifyPageEvents(a mxAnswer) string {
	if m := mxVerify.FindStringSubmatch(a.body); m != nil {
		if n := mxInts.FindAllString(m[2], -1); len(n) == 2 {
			return "events=" + n[0]
		}
	}
	return ""
}

// ---- the matrix ----

type mxCell struct {
	route   string
	r       *mxRoute
	p       *mxPrincipal
	pi      int // the principal's place, for the order of the golden file
	vi      int // the cell's place among the route's cells for the principal
	v       mxVar
	reqText string
	ans     mxAnswer
	err     error
	fp      string
}

func (c *mxCell) key() string { return c.route + " " + c.p.key + " " + c.v.scope }

func mxDisplay(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// viewer is the agency whose data the cell's answer may show.
func (f *mxFixture) viewer(c *mxCell) int64 {
	if c.v.viewAgency != 0 {
		return c.v.viewAgency
	}
	return c.p.agency
}

// leaks lists the other agencies' markers an answer shows, other than what
// the request itself sent.
func (f *mxFixture) leaks(c *mxCell, viewer int64, a mxAnswer) []string {
	if c.v.platformWide {
		return nil
	}
	var out []string
	for _, m := range f.markers {
		if m.agency == 0 || m.agency == viewer || strings.Contains(c.reqText, m.text) {
			continue
		}
		if strings.Contains(a.body, m.text) || strings.Contains(a.location, m.text) {
			out = append(out, fmt.Sprintf("%s %q of agency %d", m.key, m.text, m.agency))
		}
	}
	return out
}

func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	start := time.Now()
	f := newMatrix(t)
	t.Logf("fixture built in %s", time.Since(start).Round(time.Millisecond))
	routes := f.routes()

	// Every route the process serves has cells, and every entry a route.
	served := map[string]bool{}
	for _, r := range f.echo.Routes() {
		if r.Method == echo.RouteNotFound {
			continue // a group's catch-all: a 404 behind its middleware, not a route
		}
		served[r.Method+" "+r.Path] = true
	}
	for _, k := range sortedKeys(served) {
		if routes[k] == nil && mxLeftOut[k] == "" {
			t.Errorf("route %s has no cells in the access matrix: add it to routes() in services/api/matrix_test.go "+
				"(or to mxLeftOut, with the reason), then run go test ./services/api -run Matrix -update and review the diff of %s", k, mxGoldenPath)
		}
	}
	for k := range routes {
		if !served[k] {
			t.Errorf("the access matrix has cells for %s, which no route serves: remove them", k)
		}
	}
	if len(served) < 60 {
		t.Errorf("only %d routes found; the walk over e.Routes() is broken", len(served))
	}

	// The cells.
	var cells []*mxCell
	for route, r := range routes {
		if !served[route] {
			continue
		}
		for pi, p := range f.principals {
			if r.anonymousOnly && p.agency != 0 {
				continue
			}
			for vi, v := range r.vars(f, p) {
				cells = append(cells, &mxCell{route: route, r: r, p: p, pi: pi, vi: vi, v: v})
			}
		}
	}
	run := func(c *mxCell, req mxReq) {
		c.reqText = req.text()
		c.ans, c.err = f.send(c.p, req)
	}
	for _, phase := range []int{mxCount, mxRead, mxWrite} {
		phaseStart := time.Now()
		var jobs, single []func() error
		slots := map[string][]*mxCell{}
		for _, c := range cells {
			switch {
			case c.r.phase != phase:
			case c.v.slot != "":
				slots[c.v.slot] = append(slots[c.v.slot], c)
			default:
				single = append(single, func() error { run(c, c.v.req()); return nil })
			}
		}
		// A slot's cells run one after another (by route, then principal),
		// each on a draft of the slot's kind: a fresh one whenever the cell
		// before changed it.
		for _, sc := range slots {
			sort.Slice(sc, func(i, j int) bool {
				if sc[i].route != sc[j].route {
					return sc[i].route < sc[j].route
				}
				return sc[i].pi < sc[j].pi
			})
			jobs = append(jobs, func() error {
				ctx := context.Background()
				var d store.Draft // the slot's draft as the cell before left it
				var before domain.DraftFacts
				target, _, _ := strings.Cut(sc[0].v.slot, " ")
				group, state, _ := strings.Cut(target, "/")
				for _, c := range sc {
					if d.ID == 0 {
						id, err := f.makeDraft(ctx, group, state)
						if err == nil {
							d, err = f.st.Draft(ctx, id)
						}
						if err == nil {
							before, err = f.st.DraftFacts(ctx, id)
						}
						if err != nil {
							return err
						}
					}
					run(c, c.v.reqFor(d))
					after, err := f.st.DraftFacts(ctx, d.ID)
					if err != nil {
						return err
					}
					if after.State != before.State || after.Revision != before.Revision || len(after.Decisions) != len(before.Decisions) {
						d = store.Draft{} // changed: the next cell gets a fresh draft
					}
				}
				return nil
			})
		}
		// The slots' chains first, the longest jobs; the single cells fill in.
		jobs = append(jobs, single...)
		if err := mxParallel(6, jobs); err != nil {
			t.Fatalf("phase %d: %v", phase, err)
		}
		t.Logf("phase %d: %d jobs in %s", phase, len(jobs), time.Since(phaseStart).Round(time.Millisecond))
	}
	for _, c := range cells {
		if c.err != nil {
			t.Errorf("%s: %v", c.key(), c.err)
		}
		c.fp = f.fingerprint(c.r, c.ans)
	}

	// The rule-free check: nobody sees the other agency's data.
	found := map[string]bool{}
	for _, c := range cells {
		if ls := f.leaks(c, f.viewer(c), c.ans); len(ls) > 0 {
			f.leak(found, "shows", c, fmt.Sprintf("answers %s, showing %s", c.fp, strings.Join(ls, ", ")))
		}
	}
	// The other: what one agency sees does not change when the other acts.
	niStart := time.Now()
	f.nonInterference(found, cells, f.a2.ID)
	f.nonInterference(found, cells, 1)
	t.Logf("non-interference in %s", time.Since(niStart).Round(time.Millisecond))
	for k, why := range mxKnownLeaks {
		if !found[k] {
			t.Errorf("mxKnownLeaks has %q, which no longer leaks (%s): remove it", k, why)
		} else {
			t.Logf("KNOWN LEAK %s: %s", k, why)
		}
	}

	f.compareGolden(cells)
	t.Logf("%d routes, %d principals, %d cells in %s", len(routes), len(f.principals), len(cells), time.Since(start).Round(time.Millisecond))
}

// leak reports a leak, unless mxKnownLeaks has it.
func (f *mxFixture) leak(found map[string]bool, check string, c *mxCell, what string) {
	k := check + " " + c.key()
	found[k] = true
	if _, known := mxKnownLeaks[k]; known {
		return
	}
	f.t.Errorf("LEAK across agencies (%s): %s as %s on %s %s", check, mxDisplay(c.route), c.p.key, c.v.scope, what)
}

// nonInterference reads every list view of the agency other than actor's
// (and the public columns not actor's), lets agency actor act — new drafts
// in every state, a department, a person, words, a dead letter, a
// sign-in — and reads them again: nothing may have changed.
func (f *mxFixture) nonInterference(found map[string]bool, cells []*mxCell, actor int64) {
	f.t.Helper()
	var views []*mxCell
	for _, c := range cells {
		viewer := f.viewer(c)
		if c.r.list && !c.v.platformWide && viewer != 0 && viewer != actor {
			views = append(views, c)
		}
	}
	if len(views) < 20 {
		f.t.Errorf("only %d views for the non-interference check", len(views))
	}
	read := func() []mxAnswer {
		out := make([]mxAnswer, len(views))
		var jobs []func() error
		for i, c := range views {
			jobs = append(jobs, func() error {
				var err error
				out[i], err = f.send(c.p, c.v.req())
				return err
			})
		}
		if err := mxParallel(6, jobs); err != nil {
			f.t.Fatalf("non-interference: %v", err)
		}
		return out
	}
	before := read()

	ctx := context.Background()
	f.extra++
	group, tag := "A2a", fmt.Sprintf("新街扰动%d", f.extra)
	if actor == 1 {
		group, tag = "A1a", fmt.Sprintf("东城扰动%d", f.extra)
	}
	var jobs []func() error
	var ids []int64
	var mu sync.Mutex
	for _, st := range mxStates[:4] {
		jobs = append(jobs, func() error {
			id, err := f.makeDraft(ctx, group, st)
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
			return err
		})
	}
	if err := mxParallel(4, jobs); err != nil {
		f.t.Fatal(err)
	}
	op := f.ops[actor]
	if _, err := f.st.AddDepartment(ctx, op, tag+"科"); err != nil {
		f.t.Fatal(err)
	}
	u, _, err := f.st.AddUser(ctx, op, store.NewUser{Name: tag + "人", Roles: []domain.Role{domain.RoleOfficer}})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, _, err := f.st.CreateSession(ctx, u, time.Hour, "matrix", "127.0.0.1"); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.SetWordList(ctx, op, actor, append(slices.Clone(f.words[actor]), tag+"词")); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.AddDeadLetter(ctx, store.DeadLetter{Consumer: "matrix", Subject: "x", Payload: mxWorkJSON(ids[0]), MsgID: tag, LastError: tag}); err != nil {
		f.t.Fatal(err)
	}
	f.markers = append(f.markers, mxLabel{"perturbation", tag, actor})

	after := read()
	for i, c := range views {
		b, a := f.digest(c.r, before[i]), f.digest(c.r, after[i])
		if b != a {
			f.leak(found, "non-interference", c, fmt.Sprintf("changed when agency %d acted: %s, then %s", actor, b, a))
		}
		if ls := f.leaks(c, f.viewer(c), after[i]); len(ls) > 0 {
			f.leak(found, "shows", c, fmt.Sprintf("after agency %d acted, shows %s", actor, strings.Join(ls, ", ")))
		}
	}
}

// ---- the golden file ----

func (f *mxFixture) goldenLines(cells []*mxCell) []string {
	type group struct {
		route, scope string
		vi           int
		cells        []*mxCell
	}
	byRoute := map[string][]*mxCell{}
	for _, c := range cells {
		byRoute[c.route] = append(byRoute[c.route], c)
	}
	routes := make([]string, 0, len(byRoute))
	for r := range byRoute {
		routes = append(routes, r)
	}
	// By path, then method.
	sort.Slice(routes, func(i, j int) bool {
		mi, pi, _ := strings.Cut(routes[i], " ")
		mj, pj, _ := strings.Cut(routes[j], " ")
		if pi != pj {
			return pi < pj
		}
		return mi < mj
	})
	line := func(route, who, scope, fp string) string {
		return strings.TrimRight(fmt.Sprintf("%-44s %-16s %-30s %s", mxDisplay(route), who, scope, fp), " ")
	}
	var out []string
	for _, route := range routes {
		cs := byRoute[route]
		sort.SliceStable(cs, func(i, j int) bool {
			if cs[i].pi != cs[j].pi {
				return cs[i].pi < cs[j].pi
			}
			return cs[i].vi < cs[j].vi
		})
		if cs[0].r.everyone {
			// One line per cell while everyone gets the same answer.
			var scopes []string
			byScope := map[string][]*mxCell{}
			for _, c := range cs {
				if byScope[c.v.scope] == nil {
					scopes = append(scopes, c.v.scope)
				}
				byScope[c.v.scope] = append(byScope[c.v.scope], c)
			}
			for _, s := range scopes {
				same := true
				for _, c := range byScope[s] {
					same = same && c.fp == byScope[s][0].fp
				}
				if same {
					out = append(out, line(route, "(everyone)", s, byScope[s][0].fp))
					continue
				}
				for _, c := range byScope[s] {
					out = append(out, line(route, c.p.key, s, c.fp))
				}
			}
			continue
		}
		for _, c := range cs {
			out = append(out, line(route, c.p.key, c.v.scope, c.fp))
		}
	}
	return out
}

const mxGoldenHeader = `# The access-control matrix (services/api/matrix_test.go): what the code answers,
# one line per cell: route, principal, target, answer. Rewritten by
#   go test ./services/api -run Matrix -update
# and reviewed as a diff; it is not a copy of the rules.
#
# Principals: one person per role of the default agency (officer and dept_head in 综合办),
# anonymous (no token, no session), and xinjie/admin, the admin of the second agency "xinjie".
# The API gets the principal's bearer token, the pages their session cookie (and _csrf).
# "(everyone)": a route that reads no identity; every principal got this answer.
# POST /web/login runs as anonymous only: the form carries the identity (a person of each agency).
#
# Targets, for the default agency's principals and anonymous:
#   own-dept      drafts of 综合办 (the officer's and the head's department), by a colleague
#   other-dept    drafts of 执法队
#   other-agency  drafts of xinjie's 新街综合科
#   officer-draft the officer principal's own draft
# and for xinjie/admin: own-agency (新街综合科) and other-agency (综合办).
# /compliance, /confidentiality: waiting for that stage's person; /published; /returned (by a
# person); /checks-returned (by stage 1's machine checks: the one an explanation sends on).
# Writes act on drafts of their own: a draft one cell changed is replaced before the next.
#
# Answers: status; → where a redirect goes (numbers as #) and flash=its message key;
# an error's code («message» on a page); for a success, what it shows: [labels]:
#   A1a.* A1b.* A2a.* own.*  drafts (group.state) of 综合办, 执法队, 新街综合科, the officer's
#   dept.*  departments    user.*  people    words.*  word lists    dl.*  dead letters
#   organs.*  the expressions page's organ names
`

func (f *mxFixture) compareGolden(cells []*mxCell) {
	f.t.Helper()
	got := mxGoldenHeader + strings.Join(f.goldenLines(cells), "\n") + "\n"
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(mxGoldenPath), 0o755); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(mxGoldenPath, []byte(got), 0o644); err != nil {
			f.t.Fatal(err)
		}
		f.t.Logf("wrote %s", mxGoldenPath)
		return
	}
	raw, err := os.ReadFile(mxGoldenPath)
	if errors.Is(err, os.ErrNotExist) {
		f.t.Fatalf("%s is missing: run go test ./services/api -run Matrix -update and review it", mxGoldenPath)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if string(raw) == got {
		return
	}
	f.t.Errorf("the access matrix differs from %s (- recorded, + now); if the change is intended, run "+
		"go test ./services/api -run Matrix -update and review the diff:\n%s", mxGoldenPath, mxDiff(string(raw), got))
}

// mxDiff lists the cells that differ, keyed by route, principal and target.
func mxDiff(want, got string) string {
	parse := func(s string) ([]string, map[string]string) {
		var keys []string
		m := map[string]string{}
		for _, l := range strings.Split(s, "\n") {
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			f := strings.Fields(l)
			k := l
			if len(f) >= 4 {
				k = strings.Join(f[:4], " ")
			}
			if _, dup := m[k]; !dup {
				keys = append(keys, k)
			}
			m[k] = l
		}
		return keys, m
	}
	wk, wm := parse(want)
	gk, gm := parse(got)
	var b strings.Builder
	n := 0
	emit := func(s string) {
		if n < 200 {
			b.WriteString(s + "\n")
		}
		n++
	}
	for _, k := range wk {
		if g, ok := gm[k]; !ok {
			emit("- " + wm[k])
		} else if g != wm[k] {
			emit("- " + wm[k])
			emit("+ " + g)
		}
	}
	for _, k := range gk {
		if _, ok := wm[k]; !ok {
			emit("+ " + gm[k])
		}
	}
	if n == 0 {
		return "(only the header or the order of the lines differs)"
	}
	if n > 200 {
		fmt.Fprintf(&b, "… and %d more lines\n", n-200)
	}
	return b.String()
}

// ---- live events ----

// mxStream is a page's open event stream and the news it has heard.
type mxStream struct {
	mu     sync.Mutex
	drafts []int64 // draft ids, in the order heard (a probe's is negative)
	cancel context.CancelFunc
	done   chan struct{}
}

func (s *mxStream) heard(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.drafts, id)
}

func (f *mxFixture) openEvents(p *mxPrincipal) *mxStream {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.base+"/web/events", nil)
	req.Header.Set("Cookie", "sanshen="+p.sid)
	res, err := f.pageClient.Do(req)
	if err != nil {
		cancel()
		f.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		res.Body.Close()
		f.t.Fatalf("events for %s: %d %s", p.key, res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &mxStream{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev struct {
				DraftID int64 `json:"draft_id"`
			}
			if json.Unmarshal([]byte(data), &ev) != nil {
				continue
			}
			s.mu.Lock()
			s.drafts = append(s.drafts, ev.DraftID)
			s.mu.Unlock()
		}
	}()
	f.t.Cleanup(func() { cancel(); <-s.done })
	return s
}

// TestMatrixLiveEvents: a page of one agency, subscribed to /web/events,
// hears of the draft transitions its person may see (domain.CanView: a
// department head's department; an admin's whole agency) and never of the
// other agency's or another department's. The
// news of a transition reaches the pages' hub by the store's NOTIFY (this
// process has no Announcer). Both agencies' drafts move in turn, and each
// page is read until it has heard the last news of its own agency: NOTIFYs
// arrive in commit order on the hub's one LISTEN connection and the hub
// hands them on in order, so news of the other agency committed before that
// would have arrived before it.
func TestMatrixLiveEvents(t *testing.T) {
	t.Parallel()
	f := newMatrix(t)
	ctx := context.Background()
	p1, p2 := f.principal("dept_head"), f.principal("xinjie/admin")
	s1, s2 := f.openEvents(p1), f.openEvents(p2)

	// The hub's LISTEN connection comes up on its own; news sent before it
	// holds is lost. Knock (a NOTIFY as the store sends it, of a draft id no
	// draft has: minus the agency's, in the page's person's department)
	// until each page has heard one for its agency.
	probe := func(agency int64) int64 { return -agency }
	testenv.Eventually(t, "each page to hear a probe through the hub", func() bool {
		for _, x := range []struct {
			agency int64
			dept   string
			s      *mxStream
		}{{1, "A1a", s1}, {f.a2.ID, "A2a", s2}} {
			if x.s.heard(probe(x.agency)) {
				continue
			}
			payload := store.News{DraftID: probe(x.agency), AgencyID: x.agency, DepartmentID: f.depts[x.dept].ID,
				State: domain.StateCompliance, StepDone: true, Revision: 1}.String()
			if _, err := f.st.Pool.Exec(ctx, `SELECT pg_notify($1, $2)`, store.EventsChannel, payload); err != nil {
				t.Fatal(err)
			}
		}
		return s1.heard(probe(1)) && s2.heard(probe(f.a2.ID))
	})
	if s1.heard(probe(f.a2.ID)) || s2.heard(probe(1)) {
		t.Errorf("a page heard the other agency's probe")
	}

	// Transitions, the agencies and departments in turn: submissions
	// (through to the state wanted: every step and decision is news) and a
	// decision each. A page hears only of the drafts its person may see: the
	// head of A1a of A1a's, xinjie's admin of all xinjie's.
	var own = map[string][]int64{}
	move := func(group string, st string) {
		t.Helper()
		id, err := f.makeDraft(ctx, group, st)
		if err != nil {
			t.Fatal(err)
		}
		own[group] = append(own[group], id)
	}
	decideHead := func(group string) {
		t.Helper()
		id := f.drafts[group+"/compliance"]
		d := f.h.draft(id)
		if _, err := f.st.Decide(ctx, f.people[f.groups[group].head].Actor(), id,
			domain.DecisionRequest{Stage: domain.StageCompliance, Revision: d.Revision, Decision: domain.DecisionApprove}, nil); err != nil {
			t.Fatal(err)
		}
		own[group] = append(own[group], id)
	}
	move("A2a", "compliance")
	move("A1a", "compliance")
	decideHead("A2a")
	decideHead("A1b")
	move("A2a", "published")
	move("A1b", "returned")
	// The fences: each agency's last news.
	move("A2a", "compliance")
	move("A1a", "compliance")
	last1, last2 := own["A1a"][len(own["A1a"])-1], own["A2a"][len(own["A2a"])-1]
	testenv.Eventually(t, "the default agency's page to hear its last draft's news", func() bool { return s1.heard(last1) })
	testenv.Eventually(t, "xinjie's page to hear its last draft's news", func() bool { return s2.heard(last2) })

	for _, c := range []struct {
		who        string
		s          *mxStream
		mine, them []int64
	}{{p1.key, s1, own["A1a"], append(own["A2a"], own["A1b"]...)}, {p2.key, s2, own["A2a"], append(own["A1a"], own["A1b"]...)}} {
		for _, id := range c.mine {
			if !c.s.heard(id) {
				t.Errorf("%s's page did not hear of draft %d, which they may see", c.who, id)
			}
		}
		for _, id := range c.them {
			if c.s.heard(id) {
				t.Errorf("LEAK: %s's page heard of draft %d, which they may not see (another agency or department)", c.who, id)
			}
		}
	}
}
