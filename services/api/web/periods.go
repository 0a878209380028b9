package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/checks/compliance"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// periodsView is the periods page: the agency's publication periods of
// penalty decisions, the defaults beside them, and a problem to show.
type periodsView struct {
	P        compliance.Periods
	Defaults compliance.Periods
	Error    string
}

// periodsPage shows and edits how long the agency's penalty decisions stay
// public, with the rule they follow (stage 2 settles each decision's last
// day by them; the lifecycle's sweep takes it down the day after).
func (w *Web) periodsPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	p, err := w.Store.Periods(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	return w.renderPeriods(c, http.StatusOK, periodsView{P: p})
}

func (w *Web) renderPeriods(c echo.Context, status int, v periodsView) error {
	v.Defaults = compliance.DefaultPeriods
	pg := w.base(c, "periods.title", "policy")
	pg.Data = v
	return w.render(c, status, "periods", pg)
}

// setPeriods saves the form; a problem shows the form again with it.
func (w *Web) setPeriods(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	num := func(k string) int64 {
		n, err := strconv.ParseInt(strings.TrimSpace(c.FormValue(k)), 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	p := compliance.Periods{LightMonths: int(num("light_months")), HeavyMonths: int(num("heavy_months")), SmallFine: num("small_fine"),
		Source: strings.TrimSpace(c.FormValue("source"))}
	if why := p.Valid(); why != "" {
		return w.renderPeriods(c, http.StatusUnprocessableEntity, periodsView{P: p, Error: why})
	}
	err := w.Store.SetPeriods(c.Request().Context(), currentUser(c).Actor(), p)
	var r *domain.Refusal
	if errors.As(err, &r) {
		return w.renderPeriods(c, http.StatusUnprocessableEntity, periodsView{P: p, Error: r.Message})
	}
	if err != nil {
		return err
	}
	flash(c, "flash.periods_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/periods")
}
