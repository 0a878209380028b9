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
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"

	"github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/totp"
	"github.com/sanshen-gov/sanshen/services/api"
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
	// Passwords hashes and checks passwords, a few at a time (nil: a
	// default Hasher); Sealer seals the TOTP secrets (required).
	Passwords *password.Hasher
	Sealer    *totp.Sealer
	// Issuer names the installation in authenticator apps (default 三审).
	Issuer string
	// Files takes the draft form's files (nil: the form has no file field
	// that works; sanshen says so).
	Files *api.Files
	// Douyin connects the organisation's Douyin account (nil: the channel
	// is not configured); ChannelsConfigured says which channels have
	// credentials, for the channels page.
	Douyin             *douyin.TokenSource
	ChannelsConfigured map[domain.Channel]bool
	// Cases gives the annual report's 依申请公开 counts (nil:
	// annualreport.NoCases).
	Cases annualreport.CaseSource

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
	if w.Passwords == nil {
		w.Passwords = password.NewHasher(password.Default, 0)
	}
	if w.Issuer == "" {
		w.Issuer = "三审"
	}
	if w.Sealer == nil {
		return fmt.Errorf("the pages need a TOTP Sealer (SANSHEN_TOTP_KEY)")
	}
	var err error
	if w.pages, err = loadPages(); err != nil {
		return err
	}
	// An error no page answered itself is a page too, never JSON.
	api.UseErrorPage(e, wantsPage, w.statusPage)
	w.events = newHub(w.Store, w.Log)
	if w.NATS != nil {
		sub, err := w.NATS.Subscribe(bus.SubjectEvents, func(m *nats.Msg) { w.events.broadcast(string(m.Data)) })
		if err != nil {
			return fmt.Errorf("error subscribing to %s: %w", bus.SubjectEvents, err)
		}
		context.AfterFunc(ctx, func() { _ = sub.Unsubscribe() })
	}
	go w.events.run(ctx)

	static, _ := fs.Sub(staticFS, "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", staticFiles(static))))
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/web/") })

	g := e.Group("/web", w.secure, w.session)
	g.GET("/login", w.loginForm)
	g.POST("/login", w.login)
	g.GET("/lang", w.setLang)

	// The second factor: a session whose password was right owes a code
	// (or, where the roles require one and none is enrolled, an enrolment).
	sf := g.Group("", w.requireOwing(store.SecondFactorCode), w.csrf)
	sf.GET("/login/code", w.codeForm)
	sf.POST("/login/code", w.checkCode)
	en := g.Group("/account/second-factor", w.requireEnrolling, w.csrf)
	en.GET("", w.enrolPage)
	en.GET("/qr.png", w.enrolQR)
	en.POST("", w.enrol)

	a := g.Group("", w.requireUser, w.csrf)
	a.POST("/logout", w.logout)
	a.GET("/account", w.accountPage)
	a.POST("/account/password", w.changePassword)
	a.POST("/account/second-factor/remove", w.removeSecondFactor)
	a.POST("/account/recovery-codes", w.newRecoveryCodes)
	a.POST("/account/tokens", w.addToken)
	a.POST("/account/tokens/:id/revoke", w.revokeToken)
	a.GET("/account/notifications", w.prefsPage)
	a.POST("/account/notifications", w.setPrefs)
	a.GET("/notifications", w.notificationsPage)
	a.POST("/notifications/read-all", w.readAllNotifications)
	a.POST("/notifications/:id/read", w.readNotification)
	a.GET("/admin/notifications", w.notifyAdminPage)
	a.POST("/admin/notifications/robots", w.setRobots)
	a.POST("/admin/notifications/queue-limit", w.setQueueLimit)
	a.POST("/admin/notifications/deliveries/:id/acknowledge", w.acknowledgeDelivery)
	a.GET("/", w.home)
	a.GET("/drafts", w.myDrafts)
	a.GET("/drafts/new", w.newDraftForm)
	a.POST("/drafts", w.createDraft)
	a.POST("/drafts/autosave", w.autosave)
	a.POST("/drafts/saved/:key/discard", w.discardSaved)
	a.GET("/drafts/:id", w.draftPage)
	a.GET("/drafts/:id/edit", w.editDraftForm)
	a.POST("/drafts/:id", w.reviseDraft)
	a.POST("/drafts/:id/decide", w.decide)
	a.POST("/drafts/:id/explain", w.explain)
	a.POST("/drafts/:id/withdraw", w.withdraw)
	a.POST("/drafts/:id/recall", w.recall)
	a.POST("/drafts/:id/apply", w.applySuggested)
	a.POST("/drafts/:id/expiry", w.setExpiry)
	a.POST("/drafts/:id/review", w.keepReviewed)
	a.POST("/drafts/:id/validity", w.setValidity)
	a.GET("/drafts/:id/audit", w.draftAudit)
	a.GET("/drafts/:id/print", w.printSheet)
	a.GET("/drafts/:id/files/:name", w.draftFile)
	a.GET("/deadline", w.deadlineHint)
	a.GET("/queue", w.queuePage)
	a.GET("/queue/rows", w.queueRows)
	a.POST("/queue/approve", w.batchApprove)
	a.GET("/review", w.reviewPage)
	a.GET("/archive", w.archivePage)
	a.GET("/events", w.liveEvents)
	a.GET("/audit", w.auditPage)
	a.GET("/audit/events", w.eventsBrowser)
	a.GET("/admin/users", w.usersPage)
	a.POST("/admin/users", w.addUser)
	a.POST("/admin/users/:id/password", w.resetPassword)
	a.GET("/admin/users/:id", w.personPage)
	a.POST("/admin/users/:id/disable", w.disableUser)
	a.POST("/admin/users/:id/access", w.setAccess)
	a.POST("/admin/users/:id/enable", w.enableUser)
	a.POST("/admin/users/:id/second-factor/reset", w.resetSecondFactor)
	a.POST("/admin/users/:id/tokens/:token/revoke", w.revokePersonToken)
	a.POST("/admin/signin-locks/clear", w.clearSignInLock)
	a.GET("/admin/departments", w.departmentsPage)
	a.POST("/admin/departments", w.addDepartment)
	a.POST("/admin/departments/:id/rename", w.renameDepartment)
	a.GET("/admin/policy", w.policyPage)
	a.POST("/admin/policy", w.setPolicy)
	a.GET("/admin/periods", w.periodsPage)
	a.POST("/admin/periods", w.setPeriods)
	a.POST("/admin/policy/review", w.setReviewPolicy)
	a.GET("/admin/expressions", w.expressionsPage)
	a.POST("/admin/expressions", w.setExpressions)
	a.POST("/admin/expressions/locality", w.setLocality)
	a.GET("/admin/words", w.wordsPage)
	a.POST("/admin/words", w.setWords)
	a.GET("/admin/publications", w.publicationsPage)
	a.POST("/admin/publications/resolve", w.resolvePublication)
	a.POST("/admin/publications/withdrawn", w.resolveWithdrawal)
	a.POST("/admin/publications/alert", w.acknowledgeAlert)
	a.GET("/admin/channels", w.channelsPage)
	a.GET("/admin/site", w.sitePage)
	a.POST("/admin/site", w.setSite)
	a.POST("/admin/channels/douyin/connect", w.connectDouyin)
	a.GET("/admin/channels/douyin/callback", w.douyinCallback)
	a.GET("/reports/annual", w.annualPage)
	a.GET("/reports/annual.xlsx", w.annualXLSX)
	a.POST("/reports/annual", w.submitAnnual)
	a.GET("/reports/assessment", w.assessmentPage)
	a.GET("/reports/assessment.xlsx", w.assessmentXLSX)
	a.POST("/reports/assessment/weights", w.setWeights)
	a.GET("/platform/calendar", w.calendarPage)
	a.POST("/platform/calendar/preview", w.previewCalendar)
	a.POST("/platform/calendar", w.addCalendarYear)
	a.GET("/platform/agencies", w.agenciesPage)
	a.POST("/platform/agencies", w.addAgency)
	a.GET("/applications", w.applicationsPage)
	a.GET("/applications/new", w.newApplicationForm)
	a.POST("/applications", w.addApplication)
	a.GET("/applications/:id", w.applicationPage)
	a.POST("/applications/:id/act", w.actOnApplication)
	a.POST("/applications/:id/reply", w.startReply)
	a.POST("/applications/:id/documents", w.addDocument) // application_documents.go: identity documents
	a.GET("/applications/:id/documents/:doc", w.document)
	a.POST("/applications/retention", w.setRetention)
	a.GET("/admin/deadletters", w.deadLettersPage)
	a.POST("/admin/deadletters/:id/replay", w.replayDeadLetter)
	return nil
}

// staticFiles serves the embedded files with nosniff and a day's cache,
// and never a listing: a folder, or a name that is not a file, is 404.
func staticFiles(files fs.FS) http.Handler {
	server := http.FileServer(http.FS(files))
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if st, err := fs.Stat(files, name); err != nil || st.IsDir() || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("X-Content-Type-Options", "nosniff")
		// Files are versioned by name (htmx-2.0.11.min.js) or small; a day is safe.
		rw.Header().Set("Cache-Control", "public, max-age=86400")
		server.ServeHTTP(rw, r)
	})
}
