// Package web serves the reviewers' pages: sign-in, the officer's drafts, the
// review queues, the draft page with findings and diff, the audit pages and
// the admin pages. Server-rendered with html/template (every value escaped),
// htmx for the small live parts, all strings from locales/*.json.
package web

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
)

//go:embed static
var staticFS embed.FS

// Web holds the pages' dependencies.
type Web struct {
	Store    *store.Store
	Calendar *calendar.Calendar
	Log      *slog.Logger
	Metrics  *metrics.Metrics
	// NATS, when set, brings the news of transitions committed by processes
	// with an Eager relay (bus.SubjectEvents); the hub also listens for the
	// NOTIFY of those without one.
	NATS *nats.Conn
	Now  func() time.Time
	// IdleTimeout and AbsoluteTimeout bound a session; ClaimTTL bounds a claim.
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	ClaimTTL        time.Duration

	pages  *pageSet
	events *hub
}

// Register adds every page route to e, top to bottom, and starts the live
// update hub, which stops with ctx.
func (w *Web) Register(ctx context.Context, e *echo.Echo) error {
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.IdleTimeout == 0 {
		w.IdleTimeout = 30 * time.Minute
	}
	if w.AbsoluteTimeout == 0 {
		w.AbsoluteTimeout = 12 * time.Hour
	}
	if w.ClaimTTL == 0 {
		w.ClaimTTL = 10 * time.Minute
	}
	var err error
	if w.pages, err = loadPages(); err != nil {
		return err
	}
	w.events = newHub(w.Store)
	if w.NATS != nil {
		sub, err := w.NATS.Subscribe(bus.SubjectEvents, func(m *nats.Msg) { w.events.broadcast(string(m.Data)) })
		if err != nil {
			return fmt.Errorf("error subscribing to %s: %w", bus.SubjectEvents, err)
		}
		context.AfterFunc(ctx, func() { _ = sub.Unsubscribe() })
	}
	go w.events.run(ctx)

	static, _ := fs.Sub(staticFS, "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", cacheForever(http.FileServer(http.FS(static))))))
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/web/") })

	g := e.Group("/web", w.secure, w.session)
	g.GET("/login", w.loginForm)
	g.POST("/login", w.login)
	g.GET("/lang", w.setLang)

	a := g.Group("", w.requireUser, w.csrf)
	a.POST("/logout", w.logout)
	a.GET("/", w.home)
	a.GET("/drafts", w.myDrafts)
	a.GET("/drafts/new", w.newDraftForm)
	a.POST("/drafts", w.createDraft)
	a.GET("/drafts/:id", w.draftPage)
	a.GET("/drafts/:id/edit", w.editDraftForm)
	a.POST("/drafts/:id", w.reviseDraft)
	a.POST("/drafts/:id/decide", w.decide)
	a.POST("/drafts/:id/explain", w.explain)
	a.GET("/drafts/:id/audit", w.draftAudit)
	a.GET("/deadline", w.deadlineHint)
	a.GET("/queue", w.queuePage)
	a.GET("/queue/rows", w.queueRows)
	a.GET("/events", w.liveEvents)
	a.GET("/audit", w.auditPage)
	a.GET("/admin/users", w.usersPage)
	a.POST("/admin/users", w.addUser)
	a.POST("/admin/users/:id/password", w.resetPassword)
	a.GET("/admin/departments", w.departmentsPage)
	a.POST("/admin/departments", w.addDepartment)
	a.GET("/admin/policy", w.policyPage)
	a.POST("/admin/policy", w.setPolicy)
	a.GET("/admin/expressions", w.expressionsPage)
	a.POST("/admin/expressions", w.setExpressions)
	a.POST("/admin/expressions/locality", w.setLocality)
	a.GET("/admin/words", w.wordsPage)
	a.POST("/admin/words", w.setWords)
	a.GET("/admin/publications", w.publicationsPage)
	a.POST("/admin/publications/resolve", w.resolvePublication)
	a.GET("/platform/agencies", w.agenciesPage)
	a.POST("/platform/agencies", w.addAgency)
	a.GET("/admin/deadletters", w.deadLettersPage)
	a.POST("/admin/deadletters/:id/replay", w.replayDeadLetter)
	return nil
}

func cacheForever(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		// Files are versioned by name (htmx-2.0.11.min.js) or small; a day is safe.
		rw.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(rw, r)
	})
}
