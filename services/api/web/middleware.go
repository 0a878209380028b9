package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// csp allows nothing but this origin's own files: no inline script or
// style, so text that slipped into a page could not run. Images and media
// are this origin's too: the draft page's previews show the draft's own
// files (/web/drafts/{id}/files/…), a video among them.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// secure sets the security headers on every page.
func (w *Web) secure(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		w.setSecurityHeaders(c)
		return next(c)
	}
}

// setSecurityHeaders sets the pages' headers: secure's, and an error
// page's whose request never reached secure (statusPage).
func (w *Web) setSecurityHeaders(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

const (
	ctxUser    = "web.user"
	ctxSession = "web.session"
	ctxSID     = "web.sid"
)

// tls reports whether the browser reached us over TLS, directly or through
// a trusted proxy that says so (api.Secure: SANSHEN_TRUSTED_PROXIES); it
// decides the cookie's Secure flag and name. A client's own
// X-Forwarded-Proto changes nothing.
func tls(c echo.Context) bool { return api.Secure(c) }

// cookieName is __Host- prefixed over TLS (browsers accept that prefix only
// with Secure, Path=/ and no Domain), plain on a local http address.
func cookieName(c echo.Context) string {
	if tls(c) {
		return "__Host-sanshen"
	}
	return "sanshen"
}

func (w *Web) setSessionCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: cookieName(c), Value: value, Path: "/", HttpOnly: true, Secure: tls(c),
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

// session loads the session, if any: a signed-in user (ctxUser), or one
// whose password was right and who still owes their second factor
// (ctxOwing), who reaches only that step's pages.
func (w *Web) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := w.loadSession(c); err != nil {
			return err
		}
		return next(c)
	}
}

// loadSession reads the browser's session into c (session).
func (w *Web) loadSession(c echo.Context) error {
	c.Set(ctxSessionRead, true)
	ck, err := c.Cookie(cookieName(c))
	if err != nil || ck.Value == "" {
		return nil
	}
	u, sess, err := w.Store.SessionUser(c.Request().Context(), ck.Value, w.IdleTimeout)
	switch {
	case err == nil:
		if sess.SecondFactor == store.SecondFactorDone {
			c.Set(ctxUser, &u)
		} else {
			c.Set(ctxOwing, &u)
		}
		c.Set(ctxSession, sess)
		c.Set(ctxSID, ck.Value)
	case errors.Is(err, store.ErrNotFound):
		w.setSessionCookie(c, "", -1)
	default:
		return fmt.Errorf("error reading the session: %w", err)
	}
	return nil
}

const (
	ctxOwing = "web.owing"
	// ctxSessionRead marks a request whose session was read (loadSession).
	ctxSessionRead = "web.session_read"
)

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

// owingUser is the person of a session that still owes its second factor.
func owingUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxOwing).(*store.User)
	return u
}

func currentSession(c echo.Context) store.Session {
	s, _ := c.Get(ctxSession).(store.Session)
	return s
}

// requireUser sends anyone not signed in to the sign-in page, and someone
// who still owes a second factor to that step.
func (w *Web) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			// A form posted after the session expired is kept, never
			// applied, and comes back after signing in (saves.go).
			back, err := w.keepExpired(c)
			if err != nil {
				return err
			}
			if back != "" && c.Path() == "/web/drafts/autosave" {
				return c.JSON(http.StatusUnauthorized, map[string]string{"error": w.t(c, "form.autosave_expired"),
					"login": "/web/login?next=" + url.QueryEscape(back)})
			}
			if back != "" && owingUser(c) == nil {
				return c.Redirect(http.StatusSeeOther, "/web/login?next="+url.QueryEscape(back))
			}
			if c.Request().Header.Get("HX-Request") != "" {
				c.Response().Header().Set("HX-Redirect", "/web/login")
				return c.NoContent(http.StatusUnauthorized)
			}
			if owingUser(c) != nil {
				return c.Redirect(http.StatusSeeOther, owedStep(currentSession(c)))
			}
			return c.Redirect(http.StatusSeeOther, "/web/login?next="+url.QueryEscape(returnTo(c)))
		}
		return next(c)
	}
}

// returnTo is where signing in again goes back to: the address asked for,
// or, for a form posted after the session ended (a decision, a password
// reset: an address that answers POST only), the page the form was on
// (the Referer, this site's), else the nearest page above its address
// (/web/drafts/7/decide: the draft's page).
func returnTo(c echo.Context) string {
	r := c.Request()
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host && strings.HasPrefix(ref.Path, "/web/") &&
		!strings.HasPrefix(ref.Path, "/web/login") {
		if page := pageAbove(c.Echo(), ref.Path); page == ref.Path {
			return ref.RequestURI()
		} else if page != "" {
			return page
		}
	}
	if page := pageAbove(c.Echo(), r.URL.Path); page != "" {
		return page
	}
	return "/web/"
}

// pageAbove is the nearest page a GET opens at path or above it (path
// with its last segments taken off), "" for none under /web/. A route's
// :id is a number: /web/drafts/saved is no draft's page.
func pageAbove(e *echo.Echo, path string) string {
	gets := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == http.MethodGet {
			gets[r.Path] = true
		}
	}
	ctx := e.NewContext(nil, nil)
	for p := strings.TrimSuffix(path, "/"); strings.HasPrefix(p, "/web/"); p = p[:strings.LastIndex(p, "/")] {
		e.Router().Find(http.MethodGet, p, ctx)
		if gets[ctx.Path()] && numericIDs(ctx) {
			return p
		}
	}
	return ""
}

// numericIDs reports whether the route's :id, if it has one, is a number.
func numericIDs(c echo.Context) bool {
	for i, name := range c.ParamNames() {
		if name == "id" {
			if _, err := strconv.ParseInt(c.ParamValues()[i], 10, 64); err != nil {
				return false
			}
		}
	}
	return true
}

// owedStep is the page of the step a partial session owes.
func owedStep(s store.Session) string {
	if s.SecondFactor == store.SecondFactorEnrol {
		return "/web/account/second-factor"
	}
	return "/web/login/code"
}

// requireOwing lets through only a session that owes step.
func (w *Web) requireOwing(step string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if owingUser(c) == nil || currentSession(c).SecondFactor != step {
				return c.Redirect(http.StatusSeeOther, "/web/login")
			}
			return next(c)
		}
	}
}

// requireEnrolling lets through a signed-in person (enrolling by choice,
// or again) and a session that must enrol before it is signed in.
func (w *Web) requireEnrolling(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil || owingUser(c) != nil && currentSession(c).SecondFactor == store.SecondFactorEnrol {
			return next(c)
		}
		return c.Redirect(http.StatusSeeOther, "/web/login")
	}
}

// csrf refuses a state-changing request whose token (form field _csrf or
// header X-CSRF-Token) is not the session's: the token is derived from the
// session id and the table keeps only its hash (Session.CheckCSRF).
// SameSite=Strict is a second wall.
func (w *Web) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		sent := c.Request().Header.Get("X-CSRF-Token")
		if sent == "" {
			sent = c.FormValue("_csrf")
		}
		if !currentSession(c).CheckCSRF(sent) {
			return w.errorPage(c, http.StatusForbidden, "error.csrf")
		}
		return next(c)
	}
}

// safeNext keeps a post-sign-in redirect on this site's pages.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/web/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/web/"
}
