// Package api serves the JSON API, the public pages, health and metrics.
// Every route is declared in Routes, top to bottom; handlers are methods on
// Server, which holds their dependencies.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"

	"github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/blob"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Server is the HTTP side of sanshen.
type Server struct {
	Store       *store.Store
	NATS        *nats.Conn
	Calendar    *calendar.Calendar
	Metrics     *metrics.Metrics
	Log         *slog.Logger
	MaxBodySize int64
	PublicURL   string
	// LogOrigin and LogVerifierKey name the transparency log and its public
	// key, as the transparency page publishes them ("" when not configured).
	LogOrigin      string
	LogVerifierKey string
	Now            func() time.Time
	// Proxies are the trusted reverse proxies (SANSHEN_TRUSTED_PROXIES).
	Proxies Proxies
	// Passwords checks the current password of a change (nil: a default Hasher).
	Passwords *password.Hasher
	// Blobs holds attached files (nil: uploads are refused).
	Blobs blob.Store
	// WeChatEventToken is the token of the official account's server
	// configuration (SANSHEN_WECHAT_CALLBACK_TOKEN): set, WeChat's
	// PUBLISHJOBFINISH events are taken at /channels/wechat/events.
	WeChatEventToken string
	// MediaLimits bound uploads by type (zero: media.DefaultLimits).
	MediaLimits media.Limits
	// Cases gives the 依申请公开 counts of the annual report's tables 三
	// and 四 (nil: annualreport.NoCases, zeros said to be unrecorded).
	Cases     annualreport.CaseSource
	uploader  *Files
	filesOnce sync.Once
}

// Routes builds the echo instance with every route.
func (s *Server) Routes() *echo.Echo {
	if s.Now == nil {
		s.Now = time.Now
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if s.Passwords == nil {
		s.Passwords = password.NewHasher(password.Default, 0)
	}
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = s.Proxies.IPExtractor()
	e.Use(s.observe, s.markSecure, s.limitBody, s.cleanInput)

	// /metrics is on its own listener (SANSHEN_METRICS_ADDR), never here.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	e.GET("/public", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/public/") })
	e.GET("/public/", s.publicIndex)
	e.GET("/public/all.json", s.platformFeed)
	e.GET("/public/transparency", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/public/transparency/") })
	e.GET("/public/transparency/", s.transparencyPage)
	e.GET("/public/transparency/heads.json", s.publicHeads)
	e.GET("/public/transparency/checkpoint", s.publicCheckpoint)
	e.GET("/public/transparency/consistency", s.publicConsistency)
	e.GET("/public/transparency/feed.json", s.publicHeadsFeed)
	e.GET("/public/files/:sha256/:name", s.publicFile)
	e.GET("/public/items/:id", s.itemLink)    // links from before agencies, and every item's short link
	e.GET("/public/feed.json", s.defaultFeed) // the feed from before agencies
	e.GET("/public/:slug", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, "/public/"+url.PathEscape(c.Param("slug"))+"/")
	})
	e.GET("/public/:slug/", s.publicList)
	e.GET("/public/:slug/items/:id", s.publicItem)
	e.GET("/public/:slug/feed.json", s.publicFeed)
	e.GET("/public/:slug/apply", s.applyForm) // apply.go: applications for disclosure
	e.POST("/public/:slug/apply", s.apply)
	e.GET("/public/:slug/apply/status", s.applyStatus)
	// The public column (issue 19 point 1).
	e.GET("/public/static/:name", s.publicStaticFile)
	e.GET("/public/all.rss", s.rss(false))
	e.GET("/public/all.atom", s.atom(false))
	e.GET("/public/:slug/feed.rss", s.rss(true))
	e.GET("/public/:slug/feed.atom", s.atom(true))
	e.GET("/public/:slug/search", s.publicSearch)
	e.GET("/public/:slug/guide", s.publicGuide)
	e.GET("/public/:slug/rules", s.publicRules)
	e.GET("/public/:slug/categories/", s.publicCategories)
	e.GET("/public/:slug/categories/:code", s.publicCategory)
	e.GET("/public/:slug/annual-reports", s.publicAnnualReports)
	e.GET("/public/:slug/application", s.publicApplication)
	e.GET("/public/:slug/topics/:topic", s.publicTopic)
	e.GET("/public/:slug/emblem/:sha256", s.publicEmblem)
	e.GET("/public/*", func(echo.Context) error { return echo.NewHTTPError(http.StatusNotFound, "no such page") })

	e.GET("/channels/wechat/events", s.wechatEvents)
	e.POST("/channels/wechat/events", s.wechatEvents)
	e.GET("/api/v1/openapi.json", s.openAPI) // the contract (openapi.go), without authentication
	v1 := e.Group("/api/v1", s.authenticate)
	v1.POST("/drafts", s.submitDraft, s.idempotent)
	v1.GET("/drafts", s.myDrafts)
	v1.GET("/drafts/:id", s.getDraft)
	v1.PUT("/drafts/:id", s.reviseDraft, s.idempotent)
	v1.POST("/drafts/:id/decisions", s.decide, s.idempotent)
	v1.POST("/drafts/:id/explain", s.explain)
	v1.POST("/drafts/:id/withdraw", s.withdraw)
	v1.POST("/drafts/:id/recall", s.recall)
	v1.POST("/drafts/:id/expiry", s.setExpiry)
	v1.GET("/drafts/:id/audit", s.draftAudit)
	v1.POST("/files", s.uploadFile)
	v1.GET("/files/:sha256", s.getFile)
	v1.GET("/queue", s.queue)
	v1.GET("/audit/verify", s.verifyAudit)
	v1.GET("/reports/channels", s.channelsReport)
	v1.GET("/audit/proof", s.auditProof)
	v1.GET("/agencies", s.listAgencies)
	v1.POST("/agencies", s.addAgency)
	v1.GET("/departments", s.listDepartments)
	v1.POST("/departments", s.addDepartment)
	v1.POST("/users", s.addUser)
	v1.GET("/wordlist", s.getWordList)
	v1.PUT("/wordlist", s.setWordList)
	v1.GET("/policy", s.getPolicy)
	v1.PUT("/policy", s.setPolicy)
	v1.GET("/deadletters", s.listDeadLetters)
	v1.POST("/deadletters/:id/replay", s.replayDeadLetter)
	v1.GET("/tokens", s.listTokens)
	v1.POST("/tokens/:id/revoke", s.revokeToken)
	v1.PUT("/account/password", s.changePassword)
	v1.POST("/users/:id/disable", s.disableUser)
	v1.POST("/users/:id/enable", s.enableUser)
	v1.POST("/users/:id/second-factor/reset", s.resetSecondFactor)
	v1.GET("/signin-locks", s.listSignInLocks)
	v1.POST("/signin-locks/clear", s.clearSignInLock)
	v1.GET("/reviews", s.reviews)
	v1.POST("/drafts/:id/reviews", s.reviewDraft)
	v1.PUT("/drafts/:id/validity", s.setValidity)
	v1.GET("/agency/site", s.getSite)
	v1.PUT("/agency/site", s.setSite)
	v1.GET("/policy/review", s.getReviewPolicy)
	v1.PUT("/policy/review", s.setReviewPolicy)
	v1.GET("/reports/validity", s.validityReport)
	// The annual report and the officers' assessment (issue 20).
	v1.GET("/reports/annual", s.annualReport)
	v1.POST("/reports/annual", s.submitAnnualReport, s.idempotent)
	v1.GET("/reports/assessment", s.assessmentReport)
	v1.PUT("/reports/assessment/weights", s.setAssessmentWeights)
	v1.GET("/applications", s.listApplications)
	v1.POST("/applications", s.addApplication)
	v1.GET("/applications/:id", s.getApplication)
	v1.POST("/applications/:id/actions", s.actOnApplication)
	v1.GET("/applications/:id/audit", s.applicationAudit)
	v1.POST("/applications/:id/reply", s.startReply)
	v1.POST("/applications/:id/documents", s.addDocument) // application_documents.go: identity documents
	v1.GET("/applications/:id/documents/:doc", s.getDocument)
	v1.GET("/agency/identity-retention", s.getRetention)
	v1.PUT("/agency/identity-retention", s.setRetention)
	v1.GET("/reports/applications", s.applicationsReport)
	return e
}

// apiError is the body of every error: {"error": {"code", "message"}}.
type apiError struct {
	Status  int
	Code    string
	Message string
	// MessageZH is the message in Chinese, where there is one.
	MessageZH string
	// Field is the input field at fault, where there is one: the web
	// forms mark it and move the focus there. Not part of the JSON answer.
	Field string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// Error is an input problem with its HTTP status and code, for callers
// outside this package (the web forms) that show it in their own way.
type Error = apiError

func fail(status int, code, format string, args ...any) error {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// failField is failZH naming the field at fault.
func failField(field string, status int, code, zh, format string, args ...any) error {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...), MessageZH: zh, Field: field}
}

// failZH is fail with the message in Chinese too.
func failZH(status int, code, zh, format string, args ...any) error {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...), MessageZH: zh}
}

func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *apiError
	var he *echo.HTTPError
	var ref *domain.Refusal
	var held *SignInHeld
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &held):
		c.Response().Header().Set("Retry-After", strconv.Itoa(held.Seconds()))
		ae = &apiError{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: held.Error()}
	case errors.Is(err, password.ErrBusy):
		c.Response().Header().Set("Retry-After", "5")
		ae = &apiError{Status: http.StatusServiceUnavailable, Code: "busy", Message: err.Error()}
	case errors.As(err, &ref):
		ae = &apiError{Status: http.StatusForbidden, Code: string(ref.Rule), Message: ref.Message, MessageZH: ref.MessageZH}
		if ref.Conflict() {
			ae.Status = http.StatusConflict
		} else if ref.Invalid() {
			ae.Status = http.StatusUnprocessableEntity
		}
	case errors.Is(err, store.ErrNotFound):
		// One answer for whatever is missing or hidden (another agency's
		// person, a draft the caller may not see): nothing tells them apart.
		ae = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}
	case errors.Is(err, store.ErrUnreplayable):
		ae = &apiError{Status: http.StatusUnprocessableEntity, Code: "unreplayable", Message: err.Error()}
	case errors.Is(err, store.ErrConflict):
		ae = &apiError{Status: http.StatusConflict, Code: "conflict", Message: "the draft changed while your request was handled; reload and try again"}
	case errors.Is(err, store.ErrIdempotencyLost):
		// Slower than store.IdempotencyStale: the client's retry took the
		// key over and runs the request; this one did nothing.
		ae = &apiError{Status: http.StatusConflict, Code: "idempotency_key_in_flight", MessageZH: "使用该 Idempotency-Key 的重试请求正在处理，本次请求未生效。",
			Message: "a retry with this Idempotency-Key took the request over and is being processed; this request did nothing"}
	case errors.As(err, &he):
		ae = &apiError{Status: he.Code, Code: httpCode(he.Code), Message: fmt.Sprint(he.Message)}
	case errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil:
		// The client went away; nobody is there to read an answer.
		s.Log.Debug("request abandoned by the client", "method", c.Request().Method, "path", c.Request().URL.Path)
		c.Response().WriteHeader(499)
		return
	default:
		s.Log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		ae = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error; it has been logged"}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	if page, ok := c.Get(ctxErrorPage).(ErrorPage); ok { // a staff page (web.Register)
		err := page(c, ae)
		if err == nil || c.Response().Committed {
			return
		}
		s.Log.Error("error rendering an error page", "path", c.Request().URL.Path, "err", err)
	}
	if publicHTML(c.Request().URL.Path) { // a visitor reads a page, never JSON
		s.publicError(c, ae.Status)
		return
	}
	body := map[string]string{"code": ae.Code, "message": ae.Message}
	if ae.MessageZH != "" {
		body["message_zh"] = ae.MessageZH
	}
	_ = c.JSON(ae.Status, map[string]any{"error": body})
}

// ErrorPage answers an error as a page a person reads, in place of the
// JSON answer: e is the error as the error handler classified it (its
// status, its code, its message in Chinese where there is one). An error
// of its own is logged and the JSON answer sent instead.
type ErrorPage func(c echo.Context, e *Error) error

// ctxErrorPage holds the ErrorPage of a request whose errors a page answers.
const ctxErrorPage = "api.error_page"

// UseErrorPage makes e answer with page the errors of the requests that
// want selects: the error handler classifies the error (its status, what
// it logs, its headers) as for any request, then page renders it.
func UseErrorPage(e *echo.Echo, want func(echo.Context) bool, page ErrorPage) {
	handle := e.HTTPErrorHandler
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if want(c) {
			c.Set(ctxErrorPage, page)
		}
		handle(err, c)
	}
}

func httpCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "body_too_large"
	case http.StatusUnauthorized:
		return "unauthorized"
	}
	return "http_" + strconv.Itoa(status)
}

// observe records request counts and latency by route.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		s.Metrics.HTTPRequests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
		s.Metrics.HTTPSeconds.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// limitBody refuses bodies over the documented limit before reading them.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		limit := s.MaxBodySize
		if r.Method == http.MethodPost && (r.URL.Path == uploadPath || UploadForm(r)) {
			limit = s.maxUpload()
		} else if IdentityUpload(r) {
			limit = max(limit, identityUploadLimit)
		} else if ApplyUpload(r) {
			limit = max(limit, applyUploadLimit)
		}
		if r.ContentLength > limit {
			return fail(http.StatusRequestEntityTooLarge, "body_too_large", "request body is %d bytes; the limit is %d", r.ContentLength, limit)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// UploadForm reports whether r posts the draft form with files: the only
// page request whose body may be as large as any upload (an identity
// document's form has its own, smaller limit: IdentityUpload).
func UploadForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") && strings.HasPrefix(r.URL.Path, "/web/drafts")
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{"postgres": "ok", "nats": "ok"}
	ok := true
	if err := s.Store.Pool.Ping(ctx); err != nil {
		status["postgres"], ok = err.Error(), false
	}
	if s.NATS == nil || s.NATS.Status() != nats.CONNECTED {
		status["nats"], ok = "not connected", false
	}
	if !ok {
		return c.JSON(http.StatusServiceUnavailable, status)
	}
	return c.JSON(http.StatusOK, status)
}
