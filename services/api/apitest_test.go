package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/totp"
	"github.com/sanshen-gov/sanshen/internal/work"
	"github.com/sanshen-gov/sanshen/services/api"
)

// maxBody is the documented default of SANSHEN_MAX_BODY_BYTES.
const maxBody = 262144

// harness is the API on a fresh database, without NATS and without workers:
// a draft stays where it is until the test moves it with advance.
type harness struct {
	t      *testing.T
	store  *store.Store
	base   string
	client *http.Client
	tokens map[string]string // by cast name
	ids    map[string]int64  // user ids by cast name
	deps   map[string]int64  // department ids by name
}

// newHarness starts it; each option adjusts the server first (a file store).
func newHarness(t *testing.T, options ...func(*api.Server)) *harness {
	t.Helper()
	st := testenv.Store(t)
	s := &api.Server{Store: st, Calendar: calendar.Official(), Metrics: metrics.New(), Log: testenv.Logger(t),
		MaxBodySize: maxBody, PublicURL: "http://public.test", LogOrigin: testLogKey.Signer.Name(), LogVerifierKey: testLogKey.VerifierKey}
	for _, o := range options {
		o(s)
	}
	st.Log.VerifierKey = testLogKey.VerifierKey
	srv := httptest.NewServer(s.Routes())
	t.Cleanup(srv.Close)
	_, router := contract(t)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	h := &harness{t: t, store: st, base: srv.URL,
		client: &http.Client{Transport: &contractTransport{t: t, router: router, base: tr}},
		tokens: map[string]string{"bogus": "not-a-token-of-anyone"}, ids: map[string]int64{}, deps: map[string]int64{}}
	h.bootstrap()
	return h
}

// The cast: officers of two departments, their heads, a confidentiality
// reviewer, someone with both reviewer roles, an officer who is also a
// head, an auditor, an admin, a platform admin. "bogus" holds a token
// nobody has.
func (h *harness) bootstrap() {
	ctx := context.Background()
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}} // as the CLI acts
	for _, name := range []string{"综合办", "执法队"} {
		d, err := h.store.AddDepartment(ctx, admin, name)
		if err != nil {
			h.t.Fatal(err)
		}
		h.deps[name] = d.ID
	}
	add := func(key, name string, roles []domain.Role, depts ...int64) {
		u, tok, err := h.store.AddUser(ctx, admin, store.NewUser{Name: name, Roles: roles, Departments: depts})
		if err != nil {
			h.t.Fatal(err)
		}
		h.tokens[key], h.ids[key] = tok, u.ID
	}
	d1, d2 := h.deps["综合办"], h.deps["执法队"]
	add("officer", "王信息员", []domain.Role{domain.RoleOfficer}, d1)
	add("officer2", "陈信息员", []domain.Role{domain.RoleOfficer}, d2)
	add("head", "李科长", []domain.Role{domain.RoleDeptHead}, d1)
	add("head2", "周队长", []domain.Role{domain.RoleDeptHead}, d2)
	add("sec", "赵保密", []domain.Role{domain.RoleConfidentiality})
	add("both", "孙主任", []domain.Role{domain.RoleDeptHead, domain.RoleConfidentiality}, d1)
	add("authorhead", "吴副科长", []domain.Role{domain.RoleOfficer, domain.RoleDeptHead}, d1)
	add("auditor", "钱审计", []domain.Role{domain.RoleAuditor})
	add("admin", "管理员", []domain.Role{domain.RoleAdmin})
	add("platform", "平台管理员", []domain.Role{domain.RolePlatformAdmin})
}

// resp is an answer, its body decoded.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r resp) errCode() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		return fmt.Sprint(e["code"])
	}
	return ""
}

// do sends a request that must match the document, as who (a cast name;
// "" sends no token). body is nil, a string or []byte sent as is, or a
// value sent as JSON.
func (h *harness) do(method, path, who string, body any) resp {
	h.t.Helper()
	return h.send(h.request(method, path, who, body), expectation{})
}

// doInvalid sends a request the document must refuse as well as the
// server: bad input, a missing token. The answer is still validated.
func (h *harness) doInvalid(method, path, who string, body any) resp {
	h.t.Helper()
	return h.send(h.request(method, path, who, body), expectation{requestInvalid: true})
}

func (h *harness) request(method, path, who string, body any) *http.Request {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if who != "" {
		tok, ok := h.tokens[who]
		if !ok {
			h.t.Fatalf("no one called %q in the cast", who)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func (h *harness) send(req *http.Request, exp expectation) resp {
	h.t.Helper()
	req = req.WithContext(withExpectation(req.Context(), exp))
	res, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// want fails the test unless the answer has the status and, for an error,
// the code.
func (h *harness) want(r resp, status int, code string) resp {
	h.t.Helper()
	if r.status != status || r.errCode() != code {
		h.t.Fatalf("got %d %q, want %d %q: %s", r.status, r.errCode(), status, code, r.raw)
	}
	return r
}

func draftBody(title string) map[string]any {
	return map[string]any{
		"title": title, "body": "为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查，现将有关情况通报如下。",
		"department": "综合办", "category": "news", "channels": []string{"website", "portal"}, "formed_on": "2026-11-20",
	}
}

// submit submits a draft as the officer of 综合办 and returns its id.
func (h *harness) submit(title string) int64 {
	h.t.Helper()
	r := h.want(h.do("POST", "/api/v1/drafts", "officer", draftBody(title)), http.StatusCreated, "")
	return int64(r.body["id"].(float64))
}

func (h *harness) draft(id int64) store.Draft {
	h.t.Helper()
	d, err := h.store.Draft(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

func (h *harness) draftCount() int {
	h.t.Helper()
	var n int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM drafts`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// advance does the machine step the workers would do for the draft's
// current state, with the given findings for a stage's checks: stage 1 moves
// on (or back to its author on a blocking finding), stages 2 and 3 wait for
// a person, and publishing delivers to the website (the other channels are
// not configured). It is the only place these tests call the store's
// machine steps.
func (h *harness) advance(id int64, findings ...domain.Finding) store.Draft {
	h.t.Helper()
	d := h.draft(id)
	w := []work.Item{{DraftID: id, Revision: d.Revision, State: d.State}}
	var errs []error
	if d.State == domain.StatePublishing {
		errs = h.store.PublishLocalBatch(context.Background(), w, func(_ work.Item, c domain.Content) ([]store.PublicationOutcome, bool) {
			var outs []store.PublicationOutcome
			for _, ch := range c.Channels {
				o := store.PublicationOutcome{Channel: ch, Status: store.PubNotConfigured, Error: "channel not configured"}
				if ch == domain.ChannelWebsite {
					o = store.PublicationOutcome{Channel: ch, Status: store.PubDelivered, URL: fmt.Sprintf("http://public.test/public/items/%d", id)}
				}
				outs = append(outs, o)
			}
			return outs, true
		})
	} else {
		errs = h.store.CompleteChecksBatch(context.Background(), w, func(work.Item, int64, domain.Content) ([]domain.Finding, error) {
			return findings, nil
		})
	}
	if errs[0] != nil {
		h.t.Fatalf("machine step of draft %d in %s: %v", id, d.State, errs[0])
	}
	return h.draft(id)
}

// decide posts a decision on the draft's current revision at stage.
func (h *harness) decide(id int64, who string, stage domain.Stage, decision string, extra map[string]any) resp {
	h.t.Helper()
	b := map[string]any{"stage": stage, "revision": h.draft(id).Revision, "decision": decision}
	for k, v := range extra {
		b[k] = v
	}
	return h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/decisions", id), who, b)
}

// reviewed brings a fresh draft to the confidentiality stage, checks done.
func (h *harness) reviewed(title string) int64 {
	h.t.Helper()
	id := h.submit(title)
	h.advance(id)
	h.advance(id)
	h.want(h.decide(id, "head", domain.StageCompliance, "approve", nil), http.StatusOK, "")
	h.advance(id)
	return id
}

// published brings a fresh draft all the way to published.
func (h *harness) published(title string) int64 {
	h.t.Helper()
	id := h.reviewed(title)
	h.want(h.decide(id, "sec", domain.StageConfidentiality, "approve", nil), http.StatusOK, "")
	if d := h.advance(id); d.State != domain.StatePublished {
		h.t.Fatalf("draft %d is %s after publishing, want published", id, d.State)
	}
	return id
}

// testSealer seals TOTP secrets under a key of the test's own.
func testSealer(t *testing.T) *totp.Sealer {
	t.Helper()
	s, err := totp.NewSealer(bytes.Repeat([]byte{0x5a}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
