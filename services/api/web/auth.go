package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/totp"
	"github.com/sanshen-gov/sanshen/services/api"
)

const loginCSRFCookie = "sanshen_login"

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
func (w *Web) showLogin(c echo.Context, status int, name, errKey string, args ...any) error {
	tok, err := randomString()
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: tok, Path: "/web/login", HttpOnly: true, Secure: tls(c), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	p := w.base(c, "login.title", "login")
	p.User, p.CSRF = nil, "" // the sign-in page is the same for everyone
	if errKey != "" {
		p.Error = w.t(c, errKey, args...)
	}
	p.Data = loginData{Name: name, Next: safeNext(c.QueryParam("next")), Token: tok}
	return w.render(c, status, "login", p)
}

// held answers an attempt a sign-in brake holds back: 429 with how long
// to wait, the same whether the password would have been right.
func (w *Web) held(c echo.Context, status int, name string, h *api.SignInHeld) error {
	c.Response().Header().Set("Retry-After", strconv.Itoa(h.Seconds()))
	return w.showLogin(c, status, name, "login.rate_limited", waitText(w, c, h))
}

func waitText(w *Web, c echo.Context, h *api.SignInHeld) string {
	if s := h.Seconds(); s < 120 {
		return w.t(c, "wait.seconds", s)
	}
	return w.t(c, "wait.minutes", (h.Seconds()+59)/60)
}

// login checks a name and password. Each attempt the brakes let through
// runs exactly one argon2id, whatever is wrong (no such name, no password,
// a wrong one: password.Hasher.Verify), so neither the work nor its time
// tells which names exist. A right password signs in, or starts the
// second factor's step where one is enrolled or required.
func (w *Web) login(c echo.Context) error {
	ctx := c.Request().Context()
	ck, err := c.Cookie(loginCSRFCookie)
	if err != nil || ck.Value == "" || ck.Value != c.FormValue("_csrf") {
		return w.errorPage(c, http.StatusForbidden, "error.csrf")
	}
	typed := strings.TrimSpace(c.FormValue("name"))
	name := typed // as the brakes count it and the trail keeps it: nobody has a longer name
	if utf8.RuneCountInString(name) > domain.MaxNameRunes {
		name = string([]rune(name)[:domain.MaxNameRunes])
	}
	pw := c.FormValue("password")
	ip := c.RealIP()
	f, now, err := w.Store.SignInFailures(ctx, name, ip)
	if err != nil {
		return err
	}
	if wait := domain.SignInWait(f, now); wait > 0 {
		if err := w.Store.RecordSignInHeld(ctx, name, ip); err != nil {
			return err
		}
		return w.held(c, http.StatusTooManyRequests, name, &api.SignInHeld{Wait: wait})
	}
	u, hash, err := w.Store.UserForSignIn(ctx, typed)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	known := err == nil
	ok, err := w.Passwords.Verify(ctx, hash, pw) // one run, against a dummy where there is no hash
	if errors.Is(err, password.ErrBusy) {
		c.Response().Header().Set("Retry-After", "5")
		return w.showLogin(c, http.StatusServiceUnavailable, name, "login.busy")
	}
	if err != nil {
		return err
	}
	if !ok {
		why := "wrong_password"
		switch {
		case !known:
			why = "unknown_user"
		case hash == "":
			why = "no_password"
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
	next := safeNext(c.FormValue("next"))
	owes := ""
	switch {
	case u.SecondFactor:
		owes = store.SecondFactorCode
	case domain.SecondFactorRequired(u.Roles):
		owes = store.SecondFactorEnrol
	}
	if owes == "" {
		// Signed in: forget this address's failures for the name. Not before a
		// second factor: the password alone must not reset the brake on codes.
		if err := w.Store.ClearSignInFailures(ctx, name, ip); err != nil {
			return err
		}
		return w.signIn(c, u, next, "password")
	}
	sid, sess, err := w.Store.CreatePartialSession(ctx, u, owes, c.Request().UserAgent(), ip)
	if err != nil {
		return err
	}
	w.setSessionCookie(c, sid, int(store.PartialSessionTTL.Seconds()))
	c.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/web/login", MaxAge: -1})
	c.SetCookie(&http.Cookie{Name: nextCookie, Value: next, Path: "/web", HttpOnly: true, Secure: tls(c), SameSite: http.SameSiteStrictMode,
		MaxAge: int(store.PartialSessionTTL.Seconds())})
	return c.Redirect(http.StatusSeeOther, owedStep(sess))
}

// nextCookie keeps where to go after the second factor.
const nextCookie = "sanshen_next"

// signIn starts a signed-in session for u and goes to next.
func (w *Web) signIn(c echo.Context, u store.User, next string, factors ...string) error {
	if err := w.startSession(c, u, factors...); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// startSession signs u in with a fresh session id, ending the session the
// browser had (a partial one, or another person's).
func (w *Web) startSession(c echo.Context, u store.User, factors ...string) error {
	ctx := c.Request().Context()
	if sid, ok := c.Get(ctxSID).(string); ok {
		if err := w.Store.RevokeSession(ctx, sid); err != nil {
			return err
		}
	}
	sid, sess, err := w.Store.CreateSession(ctx, u, w.AbsoluteTimeout, c.Request().UserAgent(), c.RealIP(), factors...)
	if err != nil {
		return err
	}
	w.setSessionCookie(c, sid, int(w.AbsoluteTimeout.Seconds()))
	c.Set(ctxSID, sid)
	c.Set(ctxSession, sess)
	c.Set(ctxUser, &u)
	c.SetCookie(&http.Cookie{Name: loginCSRFCookie, Value: "", Path: "/web/login", MaxAge: -1})
	c.SetCookie(&http.Cookie{Name: nextCookie, Value: "", Path: "/web", MaxAge: -1})
	return nil
}

// savedNext is where the sign-in was going before the second factor.
func savedNext(c echo.Context) string {
	if ck, err := c.Cookie(nextCookie); err == nil {
		return safeNext(ck.Value)
	}
	return "/web/"
}

// codeForm asks for the second factor: a TOTP code or a recovery code.
func (w *Web) codeForm(c echo.Context) error {
	return w.showCode(c, http.StatusOK, "")
}

func (w *Web) showCode(c echo.Context, status int, errMsg string) error {
	p := w.base(c, "code.title", "login")
	p.Error = errMsg
	p.Data = owingUser(c).Name
	return w.render(c, status, "code", p)
}

// checkCode takes the second factor, under the same brakes as the password
// (its failures count as failed sign-ins of the name from the address): a
// six-digit code cannot be guessed in the attempts the brakes allow. A
// TOTP code works once (store.UseTOTPStep), a recovery code too.
func (w *Web) checkCode(c echo.Context) error {
	ctx := c.Request().Context()
	u := owingUser(c)
	ip := c.RealIP()
	f, now, err := w.Store.SignInFailures(ctx, u.Name, ip)
	if err != nil {
		return err
	}
	if wait := domain.SignInWait(f, now); wait > 0 {
		if err := w.Store.RecordSignInHeld(ctx, u.Name, ip); err != nil {
			return err
		}
		h := &api.SignInHeld{Wait: wait}
		c.Response().Header().Set("Retry-After", strconv.Itoa(h.Seconds()))
		return w.showCode(c, http.StatusTooManyRequests, w.t(c, "login.rate_limited", waitText(w, c, h)))
	}
	code := strings.TrimSpace(c.FormValue("code"))
	ok, how, err := w.secondFactor(c, *u, code)
	if err != nil {
		return err
	}
	if !ok {
		if err := w.Store.RecordSignInFailure(ctx, u.Name, ip, "wrong_code"); err != nil {
			return err
		}
		return w.showCode(c, http.StatusUnauthorized, w.t(c, "code.failed"))
	}
	if err := w.Store.ClearSignInFailures(ctx, u.Name, ip); err != nil {
		return err
	}
	return w.signIn(c, *u, savedNext(c), "password", how)
}

// secondFactor checks a TOTP code or a recovery code of u, spending it.
func (w *Web) secondFactor(c echo.Context, u store.User, code string) (bool, string, error) {
	ctx := c.Request().Context()
	if totp.LooksLikeRecoveryCode(code) {
		ok, err := w.Store.UseRecoveryCode(ctx, u, totp.HashRecoveryCode(code))
		return ok, "recovery_code", err
	}
	sealed, last, err := w.Store.TOTPSecret(ctx, u.ID)
	if err != nil || sealed == nil {
		return false, "totp", err
	}
	secret, err := w.Sealer.Open(sealed, u.ID)
	if err != nil {
		return false, "totp", err // the installation's key changed: an admin resets the second factor
	}
	step, ok := totp.Verify(secret, code, w.Now(), last)
	if !ok {
		return false, "totp", nil
	}
	ok, err = w.Store.UseTOTPStep(ctx, u.ID, step)
	return ok, "totp", err
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
