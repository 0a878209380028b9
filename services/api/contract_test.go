package api_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/sanshen-gov/sanshen/services/api"
)

// The contract: services/api/openapi.json, as the server embeds and serves it.
// Every request the API tests send and every answer they get goes through
// contractTransport, which validates both against it with kin-openapi.

var (
	contractOnce   sync.Once
	contractDoc    *openapi3.T
	contractRouter routers.Router
	contractErr    error
)

// contract loads and validates the document once per test binary.
func contract(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	contractOnce.Do(func() {
		contractDoc, contractRouter, contractErr = loadContract(api.OpenAPI())
	})
	if contractErr != nil {
		t.Fatalf("services/api/openapi.json: %v", contractErr)
	}
	return contractDoc, contractRouter
}

// loadContract parses an OpenAPI 3.1 document and checks it against the
// specification. kin-openapi reads 3.1 from the "openapi" field; the option
// makes the JSON Schema 2020-12 validation explicit, and loading refuses a
// document that is not 3.1, so the 3.0 rules can never apply silently.
func loadContract(raw []byte) (*openapi3.T, routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("loading: %w", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPIMajorMinor() != "3.1" {
		return nil, nil, fmt.Errorf("openapi is %q, want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context, openapi3.IsOpenAPI31OrLater(), openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, nil, fmt.Errorf("invalid OpenAPI 3.1 document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("routing: %w", err)
	}
	return doc, router, nil
}

// filterOptions: every answer's status must be documented (no silent pass
// for an undocumented one), bodies are checked with JSON Schema 2020-12, and
// the bearer scheme is checked for the shape of its header (the server
// decides whether the token is any good).
func filterOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		IncludeResponseStatus:   true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableJSONSchema2020()},
		AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if in.SecurityScheme.Type != "http" || in.SecurityScheme.Scheme != "bearer" {
				return fmt.Errorf("unexpected security scheme %q %q", in.SecurityScheme.Type, in.SecurityScheme.Scheme)
			}
			token, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
			if !ok || strings.TrimSpace(token) == "" {
				return errors.New("no Authorization: Bearer <token> header")
			}
			return nil
		},
	}
}

// jsonRoute reports whether a path belongs to the JSON API the document
// describes; the HTML pages, the feed and /metrics are not its business.
func jsonRoute(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/api/v1" || strings.HasPrefix(path, "/api/v1/")
}

// expectation is what a test says about its request, carried in the
// request's context: by default the request must match the document; a test
// of bad input says the document must refuse it too.
type expectation struct{ requestInvalid bool }

type expectKey struct{}

func withExpectation(ctx context.Context, e expectation) context.Context {
	return context.WithValue(ctx, expectKey{}, e)
}

// contractTransport validates every exchange of the JSON API against the
// document: the request (path, method, parameters, security, body), then
// the answer (a documented status, its headers and body). A JSON route the
// document does not have fails the test, naming the method and path.
type contractTransport struct {
	t      testing.TB
	router routers.Router
	base   http.RoundTripper
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	if !jsonRoute(req.URL.Path) {
		return ct.base.RoundTrip(req)
	}
	res, err := ct.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	if err != nil {
		return res, err
	}
	exp, _ := req.Context().Value(expectKey{}).(expectation)
	for _, problem := range checkExchange(ct.router, req, reqBody, exp, res, resBody) {
		ct.t.Errorf("contract (services/api/openapi.json): %s", problem)
	}
	return res, nil
}

// checkExchange returns what is wrong with one exchange, judged by the
// document: nothing when the request and the answer both match it.
func checkExchange(router routers.Router, req *http.Request, reqBody []byte, exp expectation, res *http.Response, resBody []byte) []string {
	what := req.Method + " " + req.URL.RequestURI()
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := router.FindRoute(r)
	if err != nil {
		return []string{fmt.Sprintf("%s %s is a JSON route that is not in the document (%v); describe it there", req.Method, req.URL.Path, err)}
	}
	var problems []string
	opts := filterOptions()
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(r.Context(), in)
	if len(reqBody) > 0 && !utf8.Valid(reqBody) && strings.Contains(req.Header.Get("Content-Type"), "json") {
		// application/json is UTF-8 (RFC 8259, 8.1); the body decoder would
		// quietly replace the bad bytes.
		reqErr = errors.Join(reqErr, errors.New("the body is not UTF-8"))
	}
	switch {
	case exp.requestInvalid && reqErr == nil:
		problems = append(problems, fmt.Sprintf("the test sends %s as invalid input, but the document accepts it: make the document say what the server refuses", what))
	case !exp.requestInvalid && reqErr != nil:
		problems = append(problems, fmt.Sprintf("request %s does not match the document: %v", what, reqErr))
	}
	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
	rin.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(r.Context(), rin); err != nil {
		problems = append(problems, fmt.Sprintf("answer %d to %s does not match the document: %v\nbody: %s", res.StatusCode, what, err, clip(resBody)))
	}
	return problems
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
