package system_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// harness is a whole sanshen, in-process, on its own database and nats-server.
type harness struct {
	t      *testing.T
	dbURL  string
	nats   *bus.Embedded
	sys    *system.System
	base   string
	tokens map[string]string
	ids    map[string]int64
}

// testBus makes redelivery quick so fault tests finish fast.
var testBus = bus.Options{MaxDeliver: 3, AckWait: 2 * time.Second, BackOff: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}}

func testConfig(dbURL string, t *testing.T) config.Config {
	return config.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), MaxDeliver: 3, MaxBodySize: 64 * 1024,
		PublicURL: "http://public.test", SweepAfter: time.Hour, LogLevel: "warn", MetricsAddr: "127.0.0.1:0"}
}

// start runs sanshen with o (Components default to all) on a fresh database.
func start(t *testing.T, mutate func(*config.Config, *system.Options)) *harness {
	t.Helper()
	h := &harness{t: t, dbURL: testenv.DatabaseURL(t), nats: testenv.NATS(t), tokens: map[string]string{}, ids: map[string]int64{}}
	h.sys = h.startSystem(mutate)
	h.base = "http://" + h.sys.Addr
	h.bootstrap()
	return h
}

func (h *harness) startSystem(mutate func(*config.Config, *system.Options)) *system.System {
	h.t.Helper()
	cfg := testConfig(h.dbURL, h.t)
	o := system.Options{Components: system.All, Bus: testBus, Embedded: h.nats, Concurrency: 2}
	if mutate != nil {
		mutate(&cfg, &o)
	}
	if o.Components.API && o.Listener == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			h.t.Fatal(err)
		}
		o.Listener = ln
	}
	sys, err := system.Start(context.Background(), cfg, testenv.Logger(h.t), o)
	if err != nil {
		h.t.Fatalf("starting sanshen: %v", err)
	}
	h.t.Cleanup(sys.Stop)
	return sys
}

// The cast: officers (two of one department), two department heads, a confidentiality reviewer,
// someone with both reviewer roles, an auditor, an admin.
func (h *harness) bootstrap() {
	ctx := context.Background()
	s := h.sys.Store
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	d1, err := s.AddDepartment(ctx, admin, "综合办")
	if err != nil {
		h.t.Fatal(err)
	}
	d2, err := s.AddDepartment(ctx, admin, "执法队")
	if err != nil {
		h.t.Fatal(err)
	}
	add := func(key, name string, roles []domain.Role, depts ...int64) {
		u, tok, err := s.AddUser(ctx, admin, store.NewUser{Name: name, Roles: roles, Departments: depts})
		if err != nil {
			h.t.Fatal(err)
		}
		h.tokens[key], h.ids[key] = tok, u.ID
	}
	add("officer", "王信息员", []domain.Role{domain.RoleOfficer}, d1.ID)
	add("officer2", "陈信息员", []domain.Role{domain.RoleOfficer}, d2.ID)
	add("colleague", "刘信息员", []domain.Role{domain.RoleOfficer}, d1.ID)
	add("head", "李科长", []domain.Role{domain.RoleDeptHead}, d1.ID)
	add("head2", "周队长", []domain.Role{domain.RoleDeptHead}, d2.ID)
	add("sec", "赵保密", []domain.Role{domain.RoleConfidentiality})
	add("both", "孙主任", []domain.Role{domain.RoleDeptHead, domain.RoleConfidentiality}, d1.ID)
	add("authorhead", "吴副科长", []domain.Role{domain.RoleOfficer, domain.RoleDeptHead}, d1.ID)
	add("auditor", "钱审计", []domain.Role{domain.RoleAuditor})
	add("admin", "管理员", []domain.Role{domain.RoleAdmin})
}

type resp struct {
	status int
	body   map[string]any
	raw    string
}

func (r resp) errCode() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		return fmt.Sprint(e["code"])
	}
	return ""
}

func (h *harness) do(method, path, who string, body any) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, h.base+path, rd)
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[who])
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (h *harness) mustStatus(r resp, want int) resp {
	h.t.Helper()
	if r.status != want {
		h.t.Fatalf("status %d, want %d: %s", r.status, want, r.raw)
	}
	return r
}

func draftBody(title string) map[string]any {
	return map[string]any{
		"title": title, "body": "为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查，现将有关情况通报如下。",
		"department": "综合办", "category": "news", "channels": []string{"website", "portal"}, "formed_on": "2026-11-20",
	}
}

// submit submits a draft for the website and WeChat (with the cover WeChat
// requires) as the officer.
func (h *harness) submit(title string) int64 {
	h.t.Helper()
	return h.submitTo(title, "website", "wechat")
}

// waitFor polls the draft until it is in state with its checks done. The
// bound only keeps a broken pipeline from hanging the suite.
func (h *harness) waitFor(id int64, state domain.State) store.DraftDetail {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var d store.DraftDetail
	var err error
	for time.Now().Before(deadline) {
		d, err = h.sys.Store.Detail(context.Background(), id)
		if err == nil && d.State == state && (d.StepDone || state == domain.StateCompleteness) {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("draft %d did not reach %s: it is %s (checks done %v), err %v", id, state, d.State, d.StepDone, err)
	return d
}

func (h *harness) decide(id int64, who, stage string, rev int, decision string, extra map[string]any) resp {
	h.t.Helper()
	b := map[string]any{"stage": stage, "revision": rev, "decision": decision}
	for k, v := range extra {
		b[k] = v
	}
	return h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/decisions", id), who, b)
}

func (h *harness) verifyAudit() {
	h.t.Helper()
	r := h.mustStatus(h.do("GET", "/api/v1/audit/verify", "auditor", nil), http.StatusOK)
	if r.body["ok"] != true {
		h.t.Fatalf("audit trail does not verify: %s", r.raw)
	}
}

// count runs a counting query against the test database.
func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.sys.Store.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// metrics scrapes /metrics from its own listener (SANSHEN_METRICS_ADDR),
// never the API's port.
func (h *harness) metrics() string {
	h.t.Helper()
	res, err := http.Get("http://" + h.sys.MetricsAddr + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if r := h.do("GET", "/metrics", "", nil); r.status != http.StatusNotFound {
		h.t.Errorf("/metrics on the API's port: %d", r.status)
	}
	return string(b)
}
