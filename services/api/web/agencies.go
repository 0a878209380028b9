package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// agenciesView is the platform admin's page of agencies; a new agency's
// admin and token are shown once, right after it is created.
type agenciesView struct {
	Agencies []store.Agency
	New      *store.Agency
	NewAdmin string
	NewToken string
}

func (w *Web) agenciesPage(c echo.Context) error {
	return w.showAgencies(c, http.StatusOK, "", agenciesView{})
}

func (w *Web) showAgencies(c echo.Context, status int, errMsg string, v agenciesView) error {
	if !w.requireRoles(c, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	as, err := w.Store.Agencies(c.Request().Context())
	if err != nil {
		return err
	}
	v.Agencies = as
	p := w.base(c, "agencies.title", "agencies")
	p.Error = errMsg
	p.Data = v
	return w.render(c, status, "agencies", p)
}

// addAgency creates an agency and its first admin (with a web password
// when one is given).
func (w *Web) addAgency(c echo.Context) error {
	if !w.requireRoles(c, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	slug, name := strings.TrimSpace(c.FormValue("slug")), strings.TrimSpace(c.FormValue("name"))
	// A refusal of what was typed: the form again as typed (but the
	// password), the field at fault marked (posted.go).
	refused := func(field, msg string) error {
		return w.refuse(c, field, msg, func(c echo.Context) error {
			return w.showAgencies(c, http.StatusUnprocessableEntity, msg, agenciesView{})
		})
	}
	field := "name"
	err := api.ValidName("agency", name)
	var nu store.NewUser
	if err == nil {
		field = "admin"
		nu, err = api.ResolveNewUser(ctx, w.Store, 0, c.FormValue("admin"), []string{string(domain.RoleAdmin)}, nil)
	}
	if err == nil && c.FormValue("password") != "" {
		field = "password"
		nu.PasswordHash, err = api.NewPasswordHash(ctx, w.Store, w.Passwords, store.User{Name: nu.Name}, c.FormValue("password"))
	}
	if msg, ok := w.inputError(c, err); ok {
		return refused(field, msg)
	}
	if err != nil {
		return err
	}
	a, u, token, err := w.Store.AddAgency(ctx, currentUser(c).Actor(), slug, name, nu)
	var r *domain.Refusal
	switch {
	case errors.Is(err, store.ErrExists):
		return w.showAgencies(c, http.StatusConflict, w.t(c, "agencies.exists", slug, nu.Name), agenciesView{})
	case errors.As(err, &r):
		field := "name"
		if r.Rule == domain.RuleInvalidSlug {
			field = "slug"
		}
		return refused(field, w.t(c, "rule."+string(r.Rule)))
	case err != nil:
		return err
	}
	return w.showAgencies(c, http.StatusOK, "", agenciesView{New: &a, NewAdmin: u.Name, NewToken: token})
}
