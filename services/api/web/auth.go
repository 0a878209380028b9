package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// Sign-in rate limits: this many failures in signInWindow lock a name or an address.
const (
	signInWindow      = 15 * time.Minute
	maxFailuresByName = 5
	maxFailuresByIP   = 20
	loginCSRFCookie   = "sanshen_login"
)

type loginData struct {
	Name  string
	Next  string
	Token string
}

// loginForm shows the form, also to someone signed in who wants to switch
// accounts; signing in then ends their old session.
func (w *Web) loginForm(c echo.Context) error {
	return w.showLogin(c, http.StatusOK, "", "")
}

// showLogin renders the form with a fresh login-CSRF token (double submit:
// a cookie and a hidden field), since there is no session yet to hold one.
func (w *Web) showLogin(c echo.Context, status int, name, errKey string) error {
	tok, err := randomString()
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/web/login", HttpOnly: true, Secure: tls(c), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	p := w.base(c, "login.title", "login")
	p.User, p.CSRF = nil, "" // the sign-in page is the same for everyone
	if errKey != "" {
		p.Error = w.t(c, errKey)
	}
	p.Data = loginData{Name: name, Next: safeNext(c.QueryParam("next")), Token: tok}
	return w.render(c, status, "login", p)
}

func (w *Web) login(c echo.Context) error {
	ctx := c.Request().Context()
	ck, err := c.Cookie(loginCSRFCookie)
	if err != nil || ck.Value == "" || ck.Value != c.FormValue("_csrf") {
		return w.errorPage(c, http.StatusForbidden, "error.csrf")
	}
	name := strings.TrimSpace(c.FormValue("name"))
	pw := c.FormValue("password")
	ip := c.RealIP()
	byName, byIP, err := w.Store.SignInFailures(ctx, name, ip, signInWindow)
	if err != nil {
		return err
	}
	if byName >= maxFailuresByName || byIP >= maxFailuresByIP {
		if err := w.Store.RecordSignInFailure(ctx, name, ip, "rate_limited"); err != nil {
			return err
		}
		c.Response().Header().Set("Retry-After", "900")
		return w.showLogin(c, http.StatusTooManyRequests, name, "login.rate_limited")
	}
	u, hash, err := w.Store.UserForSignIn(ctx, name)
	ok := err == nil && hash != "" && api.CheckPassword(hash, pw)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !ok {
		if err == nil && hash == "" {
			err = errors.New("no_password")
		}
		why := "wrong_password"
		if errors.Is(err, store.ErrNotFound) {
			why = "unknown_user"
		}
		if err := w.Store.RecordSignInFailure(ctx, name, ip, why); err != nil {
			return err
		}
		return w.showLogin(c, http.StatusUnauthorized, name, "login.failed")
	}
	// A new session id at every sign-in: a fixated cookie is never promoted.
	if old, err := c.Cookie(cookieName(c)); err == nil && old.Value != "" {
		_ = w.Store.RevokeSession(ctx, old.Value)
	}
	sid, _, err := w.Store.CreateSession(ctx, u, w.AbsoluteTimeout, c.Request().UserAgent(), ip)
	if err != nil {
		return err
	}
	w.setSessionCookie(c, sid, int(w.AbsoluteTimeout.Seconds()))
	c.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/web/login", MaxAge: -1})
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

func (w *Web) logout(c echo.Context) error {
	if sid, ok := c.Get(ctxSID).(string); ok {
		if err := w.Store.RevokeSession(c.Request().Context(), sid); err != nil {
			return err
		}
	}
	w.setSessionCookie(c, "", -1)
	return c.Redirect(http.StatusSeeOther, "/web/login")
}

func (w *Web) setLang(c echo.Context) error {
	lang := c.QueryParam("to")
	if !slices.Contains(languages, lang) {
		lang = defaultLang
	}
	c.SetCookie(&http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("back")))
}

// home sends each person to where their work is.
func (w *Web) home(c echo.Context) error {
	a := currentUser(c).Actor()
	// A reviewer starts at their first queue; officers start at their own
	// drafts, also where they are initial reviewers (the queue is a link away).
	for _, st := range domain.QueueStages(a, w.policy(c)) {
		if domain.ReviewerRole(st) != domain.RoleOfficer {
			return c.Redirect(http.StatusSeeOther, "/web/queue?stage="+string(st))
		}
	}
	switch {
	case a.Has(domain.RoleOfficer):
		return c.Redirect(http.StatusSeeOther, "/web/drafts")
	case a.Has(domain.RoleAuditor):
		return c.Redirect(http.StatusSeeOther, "/web/audit")
	case a.Has(domain.RoleAdmin):
		return c.Redirect(http.StatusSeeOther, "/web/admin/users")
	case a.Has(domain.RolePlatformAdmin):
		return c.Redirect(http.StatusSeeOther, "/web/platform/agencies")
	}
	return w.errorPage(c, http.StatusForbidden, "error.no_role")
}
