package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// setAccess changes a person's roles and departments from their page. A
// form that names no role, or a role or department there is not, comes
// back as it was posted, the field marked (posted.go); a person the admin
// may not manage is refused as on every action about them (managed).
func (w *Web) setAccess(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, ok := personID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	refused := func(field, key string) error { return w.refuse(c, field, w.t(c, key), w.personPage) }
	f, _ := c.FormParams()
	var roles []domain.Role
	for _, r := range f["roles"] {
		if !domain.Role(r).Valid() {
			return refused("roles", "input.unknown_role")
		}
		roles = append(roles, domain.Role(r))
	}
	if len(roles) == 0 {
		return refused("roles", "person.access_no_role")
	}
	var deps []int64
	for _, d := range f["departments"] {
		dep, err := strconv.ParseInt(d, 10, 64)
		if err != nil {
			return refused("departments", "input.unknown_department")
		}
		deps = append(deps, dep)
	}
	err := w.Store.SetAccess(c.Request().Context(), currentUser(c).Actor(), id, roles, deps)
	switch {
	case errors.Is(err, store.ErrForeignDepartment):
		// Another agency's or none: the same words, so neither is told.
		return refused("departments", "input.unknown_department")
	case err != nil:
		return w.managed(c, err)
	}
	flash(c, "flash.access_set")
	return c.Redirect(http.StatusSeeOther, "/web/admin/users/"+strconv.FormatInt(id, 10))
}

// renameDepartment renames a department from the departments page.
func (w *Web) renameDepartment(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	name := strings.TrimSpace(c.FormValue("name"))
	if err := api.ValidName("department", name); err != nil {
		return w.refuse(c, "name", w.nameProblem(c, err), w.departmentsPage)
	}
	err = w.Store.RenameDepartment(c.Request().Context(), currentUser(c).Actor(), id, name)
	switch {
	case errors.Is(err, store.ErrExists):
		return w.refuse(c, "name", w.t(c, "departments.exists"), w.departmentsPage)
	case err != nil:
		return w.managed(c, err)
	}
	flash(c, "flash.department_renamed")
	return c.Redirect(http.StatusSeeOther, "/web/admin/departments")
}
