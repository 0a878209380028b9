package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/totp"
	"github.com/sanshen-gov/sanshen/services/api"
)

// accountView is a person's own account page: their password, second
// factor and API tokens. NewToken and Recovery are shown once, right after
// they are made.
type accountView struct {
	Person   store.Person
	Required bool // their roles require a second factor
	Tokens   []store.Token
	NewToken string
	Recovery []string
	MinRunes int
}

func (w *Web) accountPage(c echo.Context) error {
	return w.showAccount(c, http.StatusOK, "", accountView{})
}

func (w *Web) showAccount(c echo.Context, status int, errMsg string, v accountView) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	var err error
	if v.Person, err = w.Store.PersonByID(ctx, u.AgencyID, u.ID); err != nil {
		return err
	}
	if v.Tokens, err = w.Store.Tokens(ctx, u.Actor(), u.ID); err != nil {
		return err
	}
	v.Required, v.MinRunes = domain.SecondFactorRequired(u.Roles), password.MinRunes
	p := w.base(c, "account.title", "account")
	p.Error = errMsg
	p.Data = v
	return w.render(c, status, "account", p)
}

// inputError is the reader's words for an API input error: its locale key
// (input.<code>), falling back to the message.
func (w *Web) inputError(c echo.Context, err error) (string, bool) {
	var ae *api.Error
	if !errors.As(err, &ae) {
		return "", false
	}
	return w.pages.or(w.lang(c), "input."+ae.Code, ae.Message), true
}

// reauthenticate checks the current password given with a change to how
// one signs in (ASVS 7.5.1), under the sign-in brakes; the answer is the
// reader's words for what is wrong, or "".
func (w *Web) reauthenticate(c echo.Context) (string, error) {
	u := currentUser(c)
	err := api.CheckCurrentPassword(c.Request().Context(), w.Store, w.Passwords, *u, c.FormValue("current"), c.RealIP())
	var held *api.SignInHeld
	switch {
	case err == nil:
		return "", nil
	case errors.As(err, &held):
		return w.t(c, "login.rate_limited", waitText(w, c, held)), nil
	case errors.Is(err, password.ErrBusy):
		return w.t(c, "login.busy"), nil
	}
	if msg, ok := w.inputError(c, err); ok {
		return msg, nil
	}
	return "", err
}

// changePassword sets the person's own password, given the current one;
// their other sessions end.
func (w *Web) changePassword(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if msg, err := w.reauthenticate(c); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return w.showAccount(c, http.StatusForbidden, msg, accountView{})
	}
	if c.FormValue("new") != c.FormValue("again") {
		return w.showAccount(c, http.StatusUnprocessableEntity, w.t(c, "account.mismatch"), accountView{})
	}
	hash, err := api.NewPasswordHash(ctx, w.Store, w.Passwords, *u, c.FormValue("new"))
	if msg, ok := w.inputError(c, err); ok {
		return w.showAccount(c, http.StatusUnprocessableEntity, msg, accountView{})
	}
	if err != nil {
		return err
	}
	sid, _ := c.Get(ctxSID).(string)
	if err := w.Store.ChangeOwnPassword(ctx, u.Actor(), hash, sid); err != nil {
		return err
	}
	flash(c, "flash.password_changed")
	return c.Redirect(http.StatusSeeOther, "/web/account")
}

// removeSecondFactor turns the person's second factor off, where their
// roles allow it, given their password.
func (w *Web) removeSecondFactor(c echo.Context) error {
	if !currentUser(c).SecondFactor {
		return c.Redirect(http.StatusSeeOther, "/web/account") // nothing to remove
	}
	if msg, err := w.reauthenticate(c); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return w.showAccount(c, http.StatusForbidden, msg, accountView{})
	}
	err := w.Store.RemoveOwnTOTP(c.Request().Context(), currentUser(c).Actor())
	if isRefusal(err) {
		return w.showAccount(c, http.StatusForbidden, w.t(c, "account.second_factor_required"), accountView{})
	}
	if err != nil {
		return err
	}
	flash(c, "flash.second_factor_removed")
	return c.Redirect(http.StatusSeeOther, "/web/account")
}

// newRecoveryCodes replaces the person's recovery codes, given their
// password, and shows the new ones once.
func (w *Web) newRecoveryCodes(c echo.Context) error {
	u := currentUser(c)
	if !u.SecondFactor {
		return c.Redirect(http.StatusSeeOther, "/web/account")
	}
	if msg, err := w.reauthenticate(c); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return w.showAccount(c, http.StatusForbidden, msg, accountView{})
	}
	codes, hashes, err := recoveryCodes()
	if err != nil {
		return err
	}
	if err := w.Store.NewRecoveryCodes(c.Request().Context(), u.Actor(), hashes); err != nil {
		return err
	}
	return w.showAccount(c, http.StatusOK, "", accountView{Recovery: codes})
}

func recoveryCodes() ([]string, [][]byte, error) {
	codes, err := totp.NewRecoveryCodes(totp.RecoveryCodes)
	if err != nil {
		return nil, nil, err
	}
	hashes := make([][]byte, len(codes))
	for i, code := range codes {
		hashes[i] = totp.HashRecoveryCode(code)
	}
	return codes, hashes, nil
}

// addToken makes an API token for the person and shows it once.
func (w *Web) addToken(c echo.Context) error {
	u := currentUser(c)
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" || len([]rune(name)) > 100 {
		return w.showAccount(c, http.StatusUnprocessableEntity, w.t(c, "account.token_name"), accountView{})
	}
	_, token, err := w.Store.AddToken(c.Request().Context(), u.Actor(), u.ID, name)
	if err != nil {
		return err
	}
	return w.showAccount(c, http.StatusOK, "", accountView{NewToken: token})
}

func (w *Web) revokeToken(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	me := currentUser(c)
	if ok, err := w.ownsToken(c, me.Actor(), me.ID, id); err != nil || !ok {
		if err != nil {
			return err
		}
		return w.errorPage(c, http.StatusNotFound, "error.not_found") // the account page revokes one's own only
	}
	if _, err := w.Store.RevokeToken(c.Request().Context(), me.Actor(), id); err != nil {
		return err
	}
	flash(c, "flash.token_revoked")
	return c.Redirect(http.StatusSeeOther, "/web/account")
}

// ownsToken reports whether token id is one of userID's, as by may list them.
func (w *Web) ownsToken(c echo.Context, by domain.Actor, userID, id int64) (bool, error) {
	ts, err := w.Store.Tokens(c.Request().Context(), by, userID)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.ID == id {
			return true, nil
		}
	}
	return false, nil
}

// enrolling is who enrols: the signed-in person, or the one a partial
// session must enrol before it signs in.
func enrolling(c echo.Context) (*store.User, bool) {
	if u := currentUser(c); u != nil {
		return u, false
	}
	return owingUser(c), true
}

// enrolView is the enrolment page: the secret as text (for typing into the
// app) beside the QR code of its otpauth URI.
type enrolView struct {
	Secret   string
	Forced   bool // must enrol before signing in
	Replaces bool // replaces a second factor already enrolled: asks for the password
}

// enrolPage shows a new TOTP secret to enrol: kept (sealed) in the session
// until a code proves the app has it, so a reload shows the same one.
func (w *Web) enrolPage(c echo.Context) error {
	return w.showEnrol(c, http.StatusOK, "")
}

func (w *Web) showEnrol(c echo.Context, status int, errMsg string) error {
	u, forced := enrolling(c)
	secret, err := w.pendingSecret(c, u)
	if err != nil {
		return err
	}
	p := w.base(c, "enrol.title", "account")
	if forced {
		p.User = nil // not signed in yet: no navigation
	}
	p.Error = errMsg
	p.Data = enrolView{Secret: totp.Text(secret), Forced: forced, Replaces: u.SecondFactor && !forced}
	return w.render(c, status, "enrol", p)
}

// pendingSecret is the secret being enrolled in this session, made and
// kept when there is none yet.
func (w *Web) pendingSecret(c echo.Context, u *store.User) ([]byte, error) {
	if sealed := currentSession(c).Enrolment; sealed != nil {
		if secret, err := w.Sealer.Open(sealed, u.ID); err == nil {
			return secret, nil
		}
	}
	secret, err := totp.NewSecret()
	if err != nil {
		return nil, err
	}
	sealed, err := w.Sealer.Seal(secret, u.ID)
	if err != nil {
		return nil, err
	}
	sid, _ := c.Get(ctxSID).(string)
	if err := w.Store.SetSessionEnrolment(c.Request().Context(), sid, sealed); err != nil {
		return nil, err
	}
	sess := currentSession(c)
	sess.Enrolment = sealed
	c.Set(ctxSession, sess)
	return secret, nil
}

// enrolQR is the QR code of the pending secret's otpauth URI, for the app
// to scan; never cached (the pages send no-store).
func (w *Web) enrolQR(c echo.Context) error {
	u, _ := enrolling(c)
	secret, err := w.pendingSecret(c, u)
	if err != nil {
		return err
	}
	code, err := qr.Encode(totp.URI(secret, w.Issuer, u.Name), qr.M)
	if err != nil {
		return err
	}
	code.Scale = 6
	return c.Blob(http.StatusOK, "image/png", code.PNG())
}

// enrol takes the first code from the app: it proves the app holds the
// secret, which then becomes the person's second factor, with new recovery
// codes shown once. A partial session becomes a signed-in one.
func (w *Web) enrol(c echo.Context) error {
	ctx := c.Request().Context()
	u, forced := enrolling(c)
	if u.SecondFactor && !forced {
		if msg, err := w.reauthenticate(c); err != nil || msg != "" {
			if err != nil {
				return err
			}
			return w.showEnrol(c, http.StatusForbidden, msg)
		}
	}
	secret, err := w.pendingSecret(c, u)
	if err != nil {
		return err
	}
	step, ok := totp.Verify(secret, c.FormValue("code"), w.Now(), 0)
	if !ok {
		return w.showEnrol(c, http.StatusUnprocessableEntity, w.t(c, "enrol.wrong_code"))
	}
	codes, hashes, err := recoveryCodes()
	if err != nil {
		return err
	}
	if err := w.Store.EnrolTOTP(ctx, u.Actor(), currentSession(c).Enrolment, step, hashes); err != nil {
		return err
	}
	u.SecondFactor = true
	next := "/web/account"
	if forced {
		// Signed in now: a fresh session, as at every sign-in.
		next = savedNext(c)
		if err := w.startSession(c, *u, "password", "totp_enrol"); err != nil {
			return err
		}
	}
	p := w.base(c, "enrol.done_title", "account")
	p.Data = recoveryView{Codes: codes, Next: next}
	return w.render(c, http.StatusOK, "recovery", p)
}

// recoveryView shows new recovery codes, once.
type recoveryView struct {
	Codes []string
	Next  string
}
