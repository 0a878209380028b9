package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/checks/expressions"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// exprList is one list on the expressions page, as text.
type exprList struct {
	Scope   string // agency or platform
	Kind    string // organ or leader
	Version int
	Text    string
	Edit    bool
}

// expressionsView is the authoritative-expressions page: the agency's
// locality and additions, the platform's lists and the shipped national
// organ names.
type expressionsView struct {
	Locality     string
	EditLocality bool
	Lists        []exprList
	Shipped      string
}

func (w *Web) expressionsPage(c echo.Context) error {
	return w.showExpressions(c, http.StatusOK, "")
}

func (w *Web) showExpressions(c echo.Context, status int, errMsg string) error {
	if !w.requireRoles(c, domain.RoleAdmin, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	a := currentUser(c).Actor()
	ag, err := w.Store.Agency(ctx, a.AgencyID)
	if err != nil {
		return err
	}
	v := expressionsView{Locality: ag.Locality, EditLocality: a.Has(domain.RoleAdmin), Shipped: expressions.FormatOrgans(expressions.ShippedOrgans())}
	for _, scope := range []struct {
		name string
		list int64
		edit bool
	}{{"agency", a.AgencyID, a.Has(domain.RoleAdmin)}, {"platform", store.PlatformList, a.Has(domain.RolePlatformAdmin)}} {
		for _, kind := range []string{store.KindOrgan, store.KindLeader} {
			l, err := w.Store.CurrentExpressions(ctx, kind, scope.list)
			if err != nil {
				return err
			}
			text := expressions.FormatOrgans(l.Organs)
			if kind == store.KindLeader {
				text = expressions.FormatLeaders(l.Leaders)
			}
			v.Lists = append(v.Lists, exprList{Scope: scope.name, Kind: kind, Version: l.Version, Text: text, Edit: scope.edit})
		}
	}
	p := w.base(c, "expressions.title", "expressions")
	p.Error = errMsg
	p.Data = v
	return w.render(c, status, "expressions", p)
}

// setExpressions saves one list (scope and kind from the form) as a new version.
func (w *Web) setExpressions(c echo.Context) error {
	ctx := c.Request().Context()
	a := currentUser(c).Actor()
	list := a.AgencyID
	if c.FormValue("scope") == "platform" {
		list = store.PlatformList
	}
	text := c.FormValue("entries")
	var err error
	switch c.FormValue("kind") {
	case store.KindOrgan:
		os, perr := expressions.ParseOrgans(text)
		if perr != nil {
			return w.refuse(c, "entries", w.t(c, "expressions.invalid", perr.Error()), w.expressionsPage)
		}
		_, err = w.Store.SetOrgans(ctx, a, list, os)
	case store.KindLeader:
		ls, perr := expressions.ParseLeaders(text)
		if perr != nil {
			return w.refuse(c, "entries", w.t(c, "expressions.invalid", perr.Error()), w.expressionsPage)
		}
		_, err = w.Store.SetLeaders(ctx, a, list, ls)
	default:
		return w.errorPage(c, http.StatusBadRequest, "input.missing_field")
	}
	var r *domain.Refusal
	switch {
	case errors.As(err, &r):
		return w.errorPage(c, http.StatusForbidden, "rule."+string(r.Rule))
	case errors.Is(err, store.ErrInvalidEntry):
		return w.refuse(c, "entries", w.t(c, "expressions.invalid", err.Error()), w.expressionsPage)
	case err != nil:
		return err
	}
	flash(c, "flash.expressions_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/expressions")
}

// setLocality records where the admin's agency is.
func (w *Web) setLocality(c echo.Context) error {
	a := currentUser(c).Actor()
	loc := strings.TrimSpace(c.FormValue("locality"))
	if len([]rune(loc)) > 100 {
		return w.refuse(c, "locality", w.t(c, "input.invalid_name"), w.expressionsPage)
	}
	if err := w.Store.SetLocality(c.Request().Context(), a, a.AgencyID, loc); err != nil {
		if isRefusal(err) {
			return w.errorPage(c, http.StatusForbidden, "rule.role_required")
		}
		return err
	}
	flash(c, "flash.locality_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/expressions")
}
