package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestHealth(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("GET", "/healthz", "", nil), http.StatusOK, "")
	if r.body["status"] != "ok" {
		t.Errorf("healthz: %s", r.raw)
	}
	// No NATS here: not ready, and it says which.
	r = h.want(h.do("GET", "/readyz", "", nil), http.StatusServiceUnavailable, "")
	if r.body["postgres"] != "ok" || r.body["nats"] != "not connected" {
		t.Errorf("readyz: %s", r.raw)
	}
}

// bodyRoute is a well-formed request for each operation that takes a body,
// by someone who may send it.
type bodyRoute struct {
	who  string
	body map[string]any
}

// The id is of a draft submitted for them, which the routes name.
func bodyRoutes(h *harness) (int64, map[string]bodyRoute) {
	draft := h.submit("有正文的请求")
	id := itoa(draft)
	return draft, map[string]bodyRoute{
		"POST /api/v1/drafts":                      {"officer", draftBody("新稿")},
		"PUT /api/v1/drafts/" + id:                 {"officer", draftBody("修改")},
		"POST /api/v1/drafts/" + id + "/decisions": {"head", map[string]any{"stage": "compliance", "revision": 1, "decision": "approve"}},
		"POST /api/v1/drafts/" + id + "/withdraw":  {"admin", map[string]any{"reason": "撤回"}},
		"POST /api/v1/drafts/" + id + "/explain":   {"officer", map[string]any{"revision": 1, "explanation": "说明"}},
		"POST /api/v1/drafts/" + id + "/expiry":    {"admin", map[string]any{"expires_on": "2099-12-31"}},
		"POST /api/v1/departments":                 {"admin", map[string]any{"name": "新科室"}},
		"POST /api/v1/users":                       {"admin", map[string]any{"name": "新人", "roles": []string{"officer"}}},
		"PUT /api/v1/wordlist":                     {"admin", map[string]any{"words": []string{"绝密"}}},
		"PUT /api/v1/policy":                       {"admin", map[string]any{"person_stages": []string{}}},
		"POST /api/v1/agencies":                    {"platform", map[string]any{"slug": "xinjie", "name": "新街街道办事处", "admin_name": "新街管理员"}},
		"PUT /api/v1/account/password":             {"admin", map[string]any{"current": "x", "new": "a long new passphrase"}},
		"POST /api/v1/signin-locks/clear":          {"admin", map[string]any{"name": "王信息员"}},
		"POST /api/v1/files?name=1":                {"officer", map[string]any{"not": "a file"}},
		"POST /api/v1/drafts/" + id + "/reviews":   {"head", map[string]any{"decision": "keep"}},
		"PUT /api/v1/drafts/" + id + "/validity":   {"head", map[string]any{"status": "valid"}},
		"PUT /api/v1/policy/review":                {"admin", map[string]any{"months": map[string]int{"news": 0}}},
		"POST /api/v1/reports/annual":              {"officer", map[string]any{"year": 2025, "department": "综合办"}},
		"PUT /api/v1/reports/assessment/weights":   {"admin", map[string]any{"published": 1, "first_pass": 20, "on_time": 20, "returned": 2}},
		"POST /api/v1/applications": {"admin", map[string]any{"route": "letter", "applicant_type": "natural",
			"applicant_name": "张三", "description": "信息"}},
		"POST /api/v1/applications/" + id + "/actions":   {"admin", map[string]any{"action": "fee", "fee_amount_fen": 100}},
		"POST /api/v1/applications/" + id + "/reply":     {"admin", map[string]any{"body": "答复"}},
		"PUT /api/v1/agency/site":                        {"admin", map[string]any{"sponsor": "主办单位"}},
		"POST /api/v1/applications/" + id + "/documents": {"admin", nil}, // a multipart form: see uploadsFile
		"PUT /api/v1/agency/identity-retention":          {"admin", map[string]any{"days": 180}},
	}
}

// uploadsFile: the route's body is a multipart form with a file (an
// identity document), not JSON.
func uploadsFile(method, path string) bool {
	return method == "POST" && strings.HasSuffix(path, "/documents")
}

// concrete writes a documented path with its parameters filled in.
func concrete(path, id string) string {
	return strings.NewReplacer("{id}", id, "{sha256}", strings.Repeat("ab", 32), "{doc}", "1").Replace(path)
}

// TestEveryRouteNeedsToken: every authenticated operation of the document
// answers 401 without a token, and with a token nobody has.
func TestEveryRouteNeedsToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	draft, bodies := bodyRoutes(h)
	id := itoa(draft)
	doc, _ := contract(t)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue // public: /healthz, /readyz, the document
			}
			n++
			p := concrete(path, id)
			// Required query parameters get a value, so that only the
			// missing token is wrong with the request.
			var q []string
			for _, pr := range op.Parameters {
				if pr.Value != nil && pr.Value.In == "query" && pr.Value.Required {
					q = append(q, pr.Value.Name+"=1")
				}
			}
			if len(q) > 0 {
				p += "?" + strings.Join(q, "&")
			}
			var body any
			var file []byte
			if op.RequestBody != nil {
				b, ok := bodies[method+" "+p]
				if !ok {
					t.Fatalf("bodyRoutes has no body for %s %s", method, p)
				}
				body = b.body
				if uploadsFile(method, p) {
					file = []byte("not an image")
				}
			}
			send := func(who string, invalid bool) resp {
				if file != nil {
					return h.sendFile(method, p, who, "x.png", file, expectation{requestInvalid: invalid})
				}
				if invalid {
					return h.doInvalid(method, p, who, body)
				}
				return h.do(method, p, who, body)
			}
			r := h.want(send("", true), http.StatusUnauthorized, "unauthorized")
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="sanshen"` {
				t.Errorf("%s %s without a token: WWW-Authenticate %q", method, p, got)
			}
			r = h.want(send("bogus", false), http.StatusUnauthorized, "invalid_token")
			if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
				t.Errorf("%s %s with a bad token: WWW-Authenticate %q", method, p, got)
			}
		}
	}
	if n < 16 {
		t.Errorf("only %d authenticated operations in the document", n)
	}
	if c := h.draftCount(); c != 1 {
		t.Errorf("%d drafts after unauthenticated requests, want the one from setup", c)
	}
}

// TestBodyTooLarge: a body over SANSHEN_MAX_BODY_BYTES gets 413 on every
// operation that takes one, whether its length is announced (refused before
// reading) or not (chunked: refused when the limit is reached), and nothing
// is written. The bodies are valid JSON, padded with whitespace.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	draft, routes := bodyRoutes(h)
	doc, _ := contract(t)
	withBody := 0
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.RequestBody != nil {
				withBody++
			}
		}
	}
	if withBody != len(routes) {
		t.Fatalf("the document has %d operations with a body, bodyRoutes %d", withBody, len(routes))
	}
	var departments, words int
	count := func() (int, int) {
		d := h.want(h.do("GET", "/api/v1/departments", "admin", nil), http.StatusOK, "")
		w := h.want(h.do("GET", "/api/v1/wordlist", "admin", nil), http.StatusOK, "")
		return len(d.body["departments"].([]any)), int(w.body["version"].(float64))
	}
	departments, words = count()
	for route, b := range routes {
		method, path, _ := strings.Cut(route, " ")
		if strings.HasPrefix(path, "/api/v1/files") || strings.HasSuffix(path, "/documents") {
			continue // an upload's limit is its type's (TestUploadLimits, TestIdentityDocumentsAPI)
		}
		j, _ := json.Marshal(b.body)
		big := append(j, []byte(strings.Repeat(" ", maxBody))...)
		h.want(h.do(method, path, b.who, big), http.StatusRequestEntityTooLarge, "body_too_large")

		req := h.request(method, path, b.who, big)
		req.ContentLength = -1 // sent chunked: the server finds out while reading
		r := h.send(req, expectation{})
		if r.status != http.StatusRequestEntityTooLarge || r.errCode() != "body_too_large" {
			t.Errorf("%s chunked: %d %s", route, r.status, r.raw)
		}
	}
	if d, w := count(); d != departments || w != words || h.draftCount() != 1 {
		t.Errorf("bodies over the limit wrote something: %d departments (was %d), word list version %d (was %d), %d drafts",
			d, departments, w, words, h.draftCount())
	}
	if d := h.draft(draft); d.Revision != 1 || d.StepDone {
		t.Errorf("the draft changed: %+v", d)
	}
}
