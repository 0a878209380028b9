package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// TestDocumentIsOpenAPI31 loads the document as the validator does.
func TestDocumentIsOpenAPI31(t *testing.T) {
	t.Parallel()
	doc, _ := contract(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi is %q, want 3.1.0", doc.OpenAPI)
	}
	for _, want := range []string{"webhooks", "三审", "three-stage"} {
		if !strings.Contains(doc.Info.Description, want) && !strings.Contains(doc.Info.Summary, want) {
			t.Errorf("info says nothing of %q", want)
		}
	}
}

// TestRoutesDocumented holds the document and Routes to each other: every
// JSON route echo serves is in the document with its method, and every
// operation of the document is served.
func TestRoutesDocumented(t *testing.T) {
	t.Parallel()
	doc, _ := contract(t)
	s := &api.Server{Calendar: calendar.Official(), Metrics: metrics.New(), MaxBodySize: maxBody}
	served := map[string]bool{}
	for _, r := range s.Routes().Routes() {
		if r.Method == echo.RouteNotFound || !jsonRoute(r.Path) {
			continue // the group's catch-all (404 behind authentication), the pages, /metrics
		}
		served[r.Method+" "+r.Path] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+echoPath(path)] = true
		}
	}
	for _, r := range sortedKeys(served) {
		if !documented[r] {
			t.Errorf("%s is served (server.go Routes) but not in services/api/openapi.json", r)
		}
	}
	for _, r := range sortedKeys(documented) {
		if !served[r] {
			t.Errorf("%s is in services/api/openapi.json but no route serves it", r)
		}
	}
	if len(served) < 19 {
		t.Errorf("only %d JSON routes found; the walk over e.Routes() is broken", len(served))
	}
}

// echoPath writes an OpenAPI path template as echo writes the route.
func echoPath(p string) string {
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			parts[i] = ":" + part[1:len(part)-1]
		}
	}
	return strings.Join(parts, "/")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDocumentEnums holds the document's enums to internal/domain.
func TestDocumentEnums(t *testing.T) {
	t.Parallel()
	doc, _ := contract(t)
	enum := func(name string) []string {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Fatalf("components/schemas/%s is missing", name)
		}
		var out []string
		for _, v := range ref.Value.Enum {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	check := func(name string, want []string) {
		t.Helper()
		if got := enum(name); !slices.Equal(got, want) {
			t.Errorf("components/schemas/%s enum is %v; internal/domain has %v", name, got, want)
		}
	}
	check("State", toStrings(domain.States()))
	check("Stage", toStrings(domain.Stages()))
	check("Reason", toStrings(domain.Reasons))
	check("Channel", toStrings(domain.Channels))
	check("Category", domain.Categories)
	check("Role", toStrings(domain.Roles))
	check("Severity", []string{string(domain.SeverityBlock), string(domain.SeverityWarn)})
	check("Verdict", []string{string(domain.DecisionApprove), string(domain.DecisionReturn), string(domain.DecisionReject)})
	check("PublicationStatus", []string{store.PubPending, store.PubSending, store.PubDelivered, store.PubNotConfigured, store.PubFailed, store.PubUnknown})
	var validity []string
	if ref := doc.Components.Schemas["Validity"]; ref != nil && ref.Value != nil && ref.Value.Properties["status"] != nil {
		for _, v := range ref.Value.Properties["status"].Value.Enum {
			validity = append(validity, fmt.Sprint(v))
		}
	}
	if want := toStrings(domain.Validities); !slices.Equal(validity, want) {
		t.Errorf("components/schemas/Validity's status enum is %v; internal/domain has %v", validity, want)
	}
	for _, v := range enum("Verdict") {
		if !domain.Decision(v).Valid() {
			t.Errorf("verdict %q is not a domain.Decision", v)
		}
	}
}

func toStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// TestServedDocument: GET /api/v1/openapi.json answers the embedded file,
// byte for byte, without a token.
func TestServedDocument(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("GET", "/api/v1/openapi.json", "", nil), http.StatusOK, "")
	if r.raw != string(api.OpenAPI()) {
		t.Error("the served document differs from services/api/openapi.json")
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

// validDraft is a Draft answer as the document has it.
const validDraft = `{"id":1,"state":"withdrawn","revision":1,"checks_done":true,"title":"t","body":"b","department":"综合办",` +
	`"category":"news","channels":["website"],"formed_on":"2026-11-20","deadline":"2026-12-18",` +
	`"content_sha256":"` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `","author":"王信息员","author_id":2,` +
	`"waiting_since":"2026-11-20T08:00:00Z","created_at":"2026-11-20T08:00:00Z","updated_at":"2026-11-20T08:00:00Z","published_at":"2026-11-20T09:00:00Z"}`

// TestValidatorCatches shows the validator failing where it must: a JSON
// route missing from the document, an undocumented status, an answer whose
// body breaks its schema, a request the document refuses.
func TestValidatorCatches(t *testing.T) {
	t.Parallel()
	_, router := contract(t)
	exchange := func(method, path string, reqBody string, status int, resBody string) []string {
		var rd io.Reader
		if reqBody != "" {
			rd = strings.NewReader(reqBody)
		}
		req, _ := http.NewRequestWithContext(context.Background(), method, "http://127.0.0.1:1"+path, rd)
		req.Header.Set("Authorization", "Bearer x")
		if reqBody != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader([]byte(resBody)))}
		return checkExchange(router, req, []byte(reqBody), expectation{}, res, []byte(resBody))
	}
	okError := `{"error":{"code":"not_found","message":"not found"}}`
	cases := []struct {
		name, method, path, reqBody string
		status                      int
		resBody, want               string
	}{
		{"undocumented route", "GET", "/api/v1/nowhere", "", 404, okError, "GET /api/v1/nowhere is a JSON route that is not in the document"},
		{"undocumented method", "DELETE", "/api/v1/drafts/1", "", 405, okError, "DELETE /api/v1/drafts/1 is a JSON route that is not in the document"},
		{"undocumented status", "GET", "/api/v1/drafts", "", 418, okError, "answer 418 to GET /api/v1/drafts does not match"},
		{"body against its schema", "GET", "/api/v1/departments", "", 200, `{"departments":[{"id":1,"name":"综合办"}]}`, "answer 200 to GET /api/v1/departments does not match"},
		{"undocumented field", "GET", "/api/v1/wordlist", "", 200, `{"version":1,"words":[],"created_at":"2026-01-02T03:04:05Z","extra":1}`, "answer 200 to GET /api/v1/wordlist does not match"},
		{"error shape", "GET", "/api/v1/drafts/1", "", 404, `{"code":"not_found"}`, "answer 404 to GET /api/v1/drafts/1 does not match"},
		// Keywords of JSON Schema 2020-12 that OpenAPI 3.0 does not have:
		// they only bite when the 3.1 validation is on.
		{"const (3.1)", "GET", "/healthz", "", 200, `{"status":"fine"}`, "answer 200 to GET /healthz does not match"},
		{"unevaluatedProperties (3.1)", "POST", "/api/v1/drafts/1/withdraw", `{"reason":"x"}`, 200, strings.Replace(validDraft, `"id":1,`, `"id":1,"findings":[],`, 1), "answer 200 to POST /api/v1/drafts/1/withdraw does not match"},
		{"request body", "POST", "/api/v1/departments", `{"name":"x","extra":1}`, 201, `{"id":1,"name":"x","created_at":"2026-01-02T03:04:05Z"}`, "request POST /api/v1/departments does not match"},
	}
	for _, c := range cases {
		problems := exchange(c.method, c.path, c.reqBody, c.status, c.resBody)
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, c.want) }) {
			t.Errorf("%s: the validator did not say %q; it said %q", c.name, c.want, problems)
		}
	}
	// And conforming exchanges pass.
	if p := exchange("POST", "/api/v1/departments", `{"name":"x"}`, 201, `{"id":1,"name":"x","created_at":"2026-01-02T03:04:05Z"}`); len(p) != 0 {
		t.Errorf("a conforming exchange was refused: %q", p)
	}
	if p := exchange("POST", "/api/v1/drafts/1/withdraw", `{"reason":"x"}`, 200, validDraft); len(p) != 0 {
		t.Errorf("a conforming exchange was refused: %q", p)
	}
}
