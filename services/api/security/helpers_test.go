package security_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/totp"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const pw = "a long office passphrase"

// office is a running sanshen with a small office in it.
type office struct {
	t       *testing.T
	sys     *system.System
	cfg     config.Config
	base    string
	ids     map[string]int64
	tokens  map[string]string
	deps    map[string]int64
	secrets map[string][]byte
	spent   map[string]int64
}

// The cast: an officer and a head of 综合办, a head of 执法队, a
// confidentiality reviewer with a second factor, an admin without one yet,
// an auditor, an officer with an API token only, and a disabled officer.
func start(t *testing.T, mutate func(*config.Config, *system.Options)) *office {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{DatabaseURL: testenv.DatabaseURL(t), DataDir: t.TempDir(), MaxDeliver: 3, MaxBodySize: 256 * 1024,
		PublicURL: "http://" + ln.Addr().String(), SweepAfter: time.Hour, LogLevel: "warn", MetricsAddr: "127.0.0.1:0"}
	o := system.Options{Components: system.All, Embedded: testenv.NATS(t), Listener: ln,
		Bus: bus.Options{MaxDeliver: 3, AckWait: 2 * time.Second}, PasswordParams: &password.Test}
	if mutate != nil {
		mutate(&cfg, &o)
	}
	sys, err := system.Start(context.Background(), cfg, testenv.Logger(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Stop)
	f := &office{t: t, sys: sys, cfg: cfg, base: "http://" + sys.Addr, ids: map[string]int64{}, tokens: map[string]string{},
		deps: map[string]int64{}, secrets: map[string][]byte{}, spent: map[string]int64{}}
	ctx := context.Background()
	op := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	for _, name := range []string{"综合办", "执法队"} {
		d, err := sys.Store.AddDepartment(ctx, op, name)
		if err != nil {
			t.Fatal(err)
		}
		f.deps[name] = d.ID
	}
	hash, err := password.NewHasher(password.Test, 0).Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name  string
		role  domain.Role
		dept  string
		noPW  bool
		enrol bool
	}{
		{"王信息员", domain.RoleOfficer, "综合办", false, false},
		{"李科长", domain.RoleDeptHead, "综合办", false, false},
		{"周队长", domain.RoleDeptHead, "执法队", false, false},
		{"赵保密", domain.RoleConfidentiality, "", false, true},
		{"管理员", domain.RoleAdmin, "", false, false},
		{"钱审计", domain.RoleAuditor, "", false, false},
		{"接口用户", domain.RoleOfficer, "综合办", true, false},
		{"离职人员", domain.RoleOfficer, "综合办", false, false},
	} {
		nu := store.NewUser{Name: p.name, Roles: []domain.Role{p.role}}
		if p.dept != "" {
			nu.Departments = []int64{f.deps[p.dept]}
		}
		if !p.noPW {
			nu.PasswordHash = hash
		}
		u, tok, err := sys.Store.AddUser(ctx, op, nu)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[p.name], f.tokens[p.name] = u.ID, tok
		if p.enrol {
			f.enrol(u)
		}
	}
	if err := sys.Store.SetDisabled(ctx, op, f.ids["离职人员"], true); err != nil {
		t.Fatal(err)
	}
	return f
}

// enrol gives u a TOTP second factor sealed with the office's key.
func (f *office) enrol(u store.User) {
	f.t.Helper()
	key, err := config.TOTPKey(f.cfg, false)
	if err != nil {
		f.t.Fatal(err)
	}
	sealer, _ := totp.NewSealer(key)
	secret, _ := totp.NewSecret()
	sealed, _ := sealer.Seal(secret, u.ID)
	if err := f.sys.Store.EnrolTOTP(context.Background(), u.Actor(), sealed, 0, nil); err != nil {
		f.t.Fatal(err)
	}
	f.secrets[u.Name] = secret
}

// code is a TOTP code of name's no earlier sign-in spent.
func (f *office) code(name string) string {
	for {
		cur := totp.Step(time.Now())
		step := max(cur-1, f.spent[name]+1)
		if step <= cur+1 {
			f.spent[name] = step
			return totp.Code(f.secrets[name], time.Unix(step*30, 0))
		}
		time.Sleep(time.Second)
	}
}

// browser is an HTTP client with a cookie jar that follows no redirect,
// and headers of its own on every request (a forged X-Forwarded-For).
type browser struct {
	f    *office
	http *http.Client
	hdr  http.Header
}

func (f *office) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{f: f, hdr: http.Header{}, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is a response, read.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) code() string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(a.body), &e)
	return e.Error.Code
}

func (b *browser) do(method, path string, body io.Reader, ctype string) answer {
	b.f.t.Helper()
	req, err := http.NewRequest(method, b.f.base+path, body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range b.hdr {
		req.Header[k] = v
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) answer { return b.do("GET", path, nil, "") }

func (b *browser) post(path string, form url.Values) answer {
	return b.do("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// api sends a JSON request with name's token.
func (f *office) api(method, path, name, body string) answer {
	f.t.Helper()
	b := f.browser()
	if name != "" {
		b.hdr.Set("Authorization", "Bearer "+f.tokens[name])
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	return b.do(method, path, rd, "application/json")
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// token is the CSRF token of the page at path.
func (b *browser) token(path string) string {
	b.f.t.Helper()
	a := b.get(path)
	m := csrfField.FindStringSubmatch(a.body)
	if m == nil {
		b.f.t.Fatalf("no CSRF token on %s (%d): %.300s", path, a.status, a.body)
	}
	return m[1]
}

// signIn posts the sign-in form: the password step alone.
func (b *browser) signIn(name, password string) answer {
	b.f.t.Helper()
	return b.post("/web/login", url.Values{"_csrf": {b.token("/web/login")}, "name": {name}, "password": {password}})
}

// signedIn signs name in, second factor included, and fails the test
// unless it works.
func (b *browser) signedIn(name string) {
	b.f.t.Helper()
	a := b.signIn(name, pw)
	if a.status == http.StatusSeeOther && a.header.Get("Location") == "/web/login/code" {
		a = b.post("/web/login/code", url.Values{"_csrf": {b.token("/web/login/code")}, "code": {b.f.code(name)}})
	}
	if a.status != http.StatusSeeOther || strings.HasPrefix(a.header.Get("Location"), "/web/login") || strings.HasPrefix(a.header.Get("Location"), "/web/account/second") {
		b.f.t.Fatalf("%s did not sign in: %d → %s", name, a.status, a.header.Get("Location"))
	}
}

// cookie is the named cookie the answer set.
func (a answer) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
