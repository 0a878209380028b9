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
// back as it was posted, the field marked (personAction, fieldRefusal).
func (w *Web) setAccess(c echo.Context) error {
	return w.personAction(c, func(by domain.Actor, id int64) error {
		f, _ := c.FormParams()
		var roles []domain.Role
		for _, r := range f["roles"] {
			if !domain.Role(r).Valid() {
				return &fieldRefusal{"roles", "input.unknown_role"}
			}
			roles = append(roles, domain.Role(r))
		}
		if len(roles) == 0 {
			return &fieldRefusal{"roles", "person.access_no_role"}
		}
		var deps []int64
		for _, d := range f["departments"] {
			dep, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				return &fieldRefusal{"departments", "input.unknown_department"}
			}
			deps = append(deps, dep)
		}
		err := w.Store.SetAccess(c.Request().Context(), by, id, roles, deps)
		if errors.Is(err, store.ErrForeignDepartment) {
			// Another agency's or none: the same words, so neither is told.
			return &fieldRefusal{"departments", "input.unknown_department"}
		}
		return err
	}, "flash.access_set")
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
