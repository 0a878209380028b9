package api

import (
	_ "embed"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
)

// openAPIDoc is the OpenAPI 3.1 contract of the JSON API (/api/v1/*,
// /healthz, /readyz). It is written by hand and served as is; the API tests
// validate every request and response against it, and fail for a JSON route
// it does not describe.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document served at GET /api/v1/openapi.json.
func OpenAPI() []byte { return slices.Clone(openAPIDoc) }

// openAPI serves the document, without authentication.
func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDoc)
}
