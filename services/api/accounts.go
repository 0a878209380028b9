package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// listTokens lists the caller's API tokens, or (?user=ID) a person's they
// manage.
func (s *Server) listTokens(c echo.Context) error {
	u := user(c)
	id := u.ID
	if q := c.QueryParam("user"); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil || n <= 0 {
			return fail(http.StatusBadRequest, "invalid_id", "user must be a user's id")
		}
		id = n
	}
	ts, err := s.Store.Tokens(c.Request().Context(), u.Actor(), id)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []store.Token{}
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": ts})
}

// revokeToken revokes one of the caller's tokens, or one of a person's
// they manage; the token in use may revoke itself.
func (s *Server) revokeToken(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	t, err := s.Store.RevokeToken(c.Request().Context(), user(c).Actor(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// personJSON answers with the person as the admins' list shows them.
func (s *Server) personJSON(c echo.Context, id int64) error {
	p, err := s.Store.PersonByID(c.Request().Context(), user(c).AgencyID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p.User)
}

func (s *Server) setDisabled(c echo.Context, disabled bool) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.Store.SetDisabled(c.Request().Context(), user(c).Actor(), id, disabled); err != nil {
		return err
	}
	return s.personJSON(c, id)
}

func (s *Server) disableUser(c echo.Context) error { return s.setDisabled(c, true) }
func (s *Server) enableUser(c echo.Context) error  { return s.setDisabled(c, false) }

// resetSecondFactor removes a person's TOTP and recovery codes (a lost
// phone); they enrol again at their next sign-in.
func (s *Server) resetSecondFactor(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.Store.ResetTOTP(c.Request().Context(), user(c).Actor(), id); err != nil {
		return err
	}
	return s.personJSON(c, id)
}

func (s *Server) listSignInLocks(c echo.Context) error {
	ls, err := s.Store.SignInLocks(c.Request().Context(), user(c).Actor())
	if err != nil {
		return err
	}
	if ls == nil {
		ls = []store.SignInLock{}
	}
	return c.JSON(http.StatusOK, map[string]any{"locks": ls})
}

func (s *Server) clearSignInLock(c echo.Context) error {
	var in struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	in.Name, in.Address = strings.TrimSpace(in.Name), strings.TrimSpace(in.Address)
	if in.Name == "" && in.Address == "" {
		return fail(http.StatusBadRequest, "missing_field", "name a person (name) or an address (address) to clear")
	}
	n, err := s.Store.ClearSignInLock(c.Request().Context(), user(c).Actor(), in.Name, in.Address)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"cleared": n})
}

// changePassword sets the caller's own web password, given the current
// one (ASVS 6.2.3), under the same brakes as signing in: a stolen API
// token must not be a way to guess the password. It ends the caller's
// web sessions.
func (s *Server) changePassword(c echo.Context) error {
	var in struct {
		Current *string `json:"current"`
		New     *string `json:"new"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Current == nil || in.New == nil {
		return fail(http.StatusBadRequest, "missing_field", "a change needs current and new")
	}
	u := user(c)
	ctx := c.Request().Context()
	if err := CheckCurrentPassword(ctx, s.Store, s.Passwords, u, *in.Current, c.RealIP()); err != nil {
		return err
	}
	hash, err := NewPasswordHash(ctx, s.Store, s.Passwords, u, *in.New)
	if err != nil {
		return err
	}
	if err := s.Store.ChangeOwnPassword(ctx, u.Actor(), hash, ""); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ErrWrongPassword: the current password given with a change is wrong.
var ErrWrongPassword = &apiError{Status: http.StatusForbidden, Code: "wrong_password", Message: "the current password is wrong"}

// SignInHeld is an attempt a sign-in brake holds back for Wait.
type SignInHeld struct{ Wait time.Duration }

func (h *SignInHeld) Error() string {
	return "too many failed attempts; try again in " + strconv.Itoa(h.Seconds()) + " s"
}

// Seconds is the wait in whole seconds, rounded up, for Retry-After.
func (h *SignInHeld) Seconds() int { return int(math.Ceil(h.Wait.Seconds())) }

// CheckCurrentPassword checks u's current password, given to change it
// (the API and the account page), under the sign-in brakes of u's name
// from address ip; a wrong one counts as a failed sign-in.
func CheckCurrentPassword(ctx context.Context, st *store.Store, h *password.Hasher, u store.User, current, ip string) error {
	f, now, err := st.SignInFailures(ctx, u.Name, ip)
	if err != nil {
		return err
	}
	if wait := domain.SignInWait(f, now); wait > 0 {
		if err := st.RecordSignInHeld(ctx, u.Name, ip); err != nil {
			return err
		}
		return &SignInHeld{Wait: wait}
	}
	hash, err := st.PasswordHash(ctx, u.ID)
	if err != nil {
		return err
	}
	ok, err := h.Verify(ctx, hash, current)
	if err != nil {
		return err
	}
	if !ok {
		if err := st.RecordSignInFailure(ctx, u.Name, ip, "wrong_current_password"); err != nil {
			return err
		}
		return ErrWrongPassword
	}
	return nil
}

// NewPasswordHash judges a new password for u (password.Check, with their
// name and their agency's as context) and hashes it.
func NewPasswordHash(ctx context.Context, st *store.Store, h *password.Hasher, u store.User, pw string) (string, error) {
	context := []string{u.Name}
	if a, err := st.Agency(ctx, u.AgencyID); err == nil {
		context = append(context, a.Slug, a.Name)
	}
	if err := password.Check(pw, context...); err != nil {
		var w *password.Weak
		if errors.As(err, &w) {
			return "", fail(http.StatusUnprocessableEntity, w.Code, "%s", w.Message)
		}
		return "", err
	}
	return h.Hash(ctx, pw)
}
