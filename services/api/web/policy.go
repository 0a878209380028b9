package web

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// policyRow is one optional stage of StageTable and whether the agency
// requires a person there.
type policyRow struct {
	Stage domain.Stage
	On    bool
}

func (w *Web) policyPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	pol := w.policy(c)
	var rows []policyRow
	for _, st := range domain.OptionalPeople() {
		rows = append(rows, policyRow{Stage: st, On: pol.Requires(st)})
	}
	review, err := w.reviewPolicyRows(c)
	if err != nil {
		return err
	}
	p := w.base(c, "policy.title", "policy")
	p.Data = struct {
		Stages []policyRow
		Review []reviewPolicyRow // the periodic review's periods (review.go)
	}{rows, review}
	return w.render(c, http.StatusOK, "policy", p)
}

// setPolicy saves the form: a checkbox "person" per optional stage. A
// stage that is not one comes back on the page as posted (posted.go).
func (w *Web) setPolicy(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	form, err := c.FormParams()
	if err != nil {
		return w.errorPage(c, http.StatusBadRequest, "input.missing_field")
	}
	var pol domain.Policy
	for _, v := range form["person"] {
		st := domain.Stage(v)
		if !slices.Contains(domain.OptionalPeople(), st) {
			return w.refuse(c, "person", w.t(c, "rule.invalid_policy"), w.policyPage)
		}
		pol.People = append(pol.People, st)
	}
	if err := w.Store.SetPolicy(c.Request().Context(), currentUser(c).Actor(), pol); err != nil {
		return err
	}
	flash(c, "flash.policy_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/policy")
}
