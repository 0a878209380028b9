package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

func (w *Web) requireRoles(c echo.Context, roles ...domain.Role) bool {
	a := currentUser(c).Actor()
	for _, r := range roles {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// auditView is a trail with its verification.
type auditView struct {
	DraftID int64
	Title   string
	Events  []audit.Event
	Result  audit.Result
}

func (w *Web) draftAudit(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	ctx := c.Request().Context()
	_, err := w.Store.Check(ctx, currentUser(c).Actor(), id, "read_audit", domain.CanViewAudit)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	case isRefusal(err):
		return w.errorPage(c, http.StatusForbidden, "rule.not_visible")
	case err != nil:
		return err
	}
	evs, err := w.Store.DraftEvents(ctx, id)
	if err != nil {
		return err
	}
	res, err := w.Store.VerifyChain(ctx, audit.DraftChain(id))
	if err != nil {
		return err
	}
	d, err := w.Store.Draft(ctx, id)
	if err != nil {
		return err
	}
	p := w.base(c, "audit.draft_title", "audit")
	p.Data = auditView{DraftID: id, Title: d.Content.Title, Events: evs, Result: res}
	return w.render(c, http.StatusOK, "audit_draft", p)
}

func (w *Web) auditPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAuditor, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	res, err := w.Store.VerifyAll(c.Request().Context())
	if err != nil {
		return err
	}
	p := w.base(c, "audit.title", "audit")
	p.Data = auditView{Result: res}
	return w.render(c, http.StatusOK, "audit", p)
}

type usersView struct {
	Users       []store.User
	Departments map[int64]string
	AllDeps     []store.Department
	Roles       []domain.Role
	NewToken    string
	NewName     string
}

func (w *Web) usersPage(c echo.Context) error {
	return w.showUsers(c, http.StatusOK, "", "", "")
}

func (w *Web) showUsers(c echo.Context, status int, errMsg, newName, token string) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	agency := currentUser(c).AgencyID
	us, err := w.Store.Users(ctx, agency)
	if err != nil {
		return err
	}
	deps, err := w.Store.Departments(ctx, agency)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, d := range deps {
		names[d.ID] = d.Name
	}
	p := w.base(c, "users.title", "users")
	p.Error = errMsg
	var roles []domain.Role
	for _, r := range domain.Roles {
		if r != domain.RolePlatformAdmin || currentUser(c).Actor().Has(domain.RolePlatformAdmin) {
			roles = append(roles, r) // only a platform admin makes another
		}
	}
	p.Data = usersView{Users: us, Departments: names, AllDeps: deps, Roles: roles, NewToken: token, NewName: newName}
	return w.render(c, status, "users", p)
}

func (w *Web) addUser(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	f, _ := c.FormParams()
	nu, err := api.ResolveNewUser(ctx, w.Store, currentUser(c).AgencyID, f.Get("name"), f["roles"], f["departments"])
	if err == nil && f.Get("password") != "" {
		nu.PasswordHash, err = api.HashPassword(f.Get("password"))
	}
	if err != nil {
		return w.showUsers(c, http.StatusUnprocessableEntity, err.Error(), "", "")
	}
	u, token, err := w.Store.AddUser(ctx, currentUser(c).Actor(), nu)
	if errors.Is(err, store.ErrExists) {
		return w.showUsers(c, http.StatusConflict, w.t(c, "users.exists", nu.Name), "", "")
	}
	var r *domain.Refusal
	if errors.As(err, &r) {
		return w.showUsers(c, http.StatusForbidden, w.t(c, "rule."+string(r.Rule)), "", "")
	}
	if err != nil {
		return err
	}
	// The token is shown once, here, and never again.
	return w.showUsers(c, http.StatusOK, "", u.Name, token)
}

func (w *Web) resetPassword(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	hash, err := api.HashPassword(c.FormValue("password"))
	if err != nil {
		return w.showUsers(c, http.StatusUnprocessableEntity, w.t(c, "users.password_short"), "", "")
	}
	if err := w.Store.SetPassword(c.Request().Context(), currentUser(c).Actor(), id, hash); err != nil {
		if errors.Is(err, store.ErrNotFound) || isRefusal(err) {
			return w.errorPage(c, http.StatusNotFound, "error.not_found") // another agency's: as if not there
		}
		return err
	}
	flash(c, "flash.password_set")
	return c.Redirect(http.StatusSeeOther, "/web/admin/users")
}

func (w *Web) departmentsPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	deps, err := w.Store.Departments(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	p := w.base(c, "departments.title", "departments")
	p.Data = deps
	return w.render(c, http.StatusOK, "departments", p)
}

func (w *Web) addDepartment(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" || len([]rune(name)) > 100 {
		return w.errorPage(c, http.StatusUnprocessableEntity, "input.invalid_name")
	}
	_, err := w.Store.AddDepartment(c.Request().Context(), currentUser(c).Actor(), name)
	if errors.Is(err, store.ErrExists) {
		flash(c, "departments.exists")
	} else if err != nil {
		return err
	} else {
		flash(c, "flash.department_added")
	}
	return c.Redirect(http.StatusSeeOther, "/web/admin/departments")
}

func (w *Web) deadLettersPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ds, err := w.Store.DeadLetters(c.Request().Context(), currentUser(c).Actor(), 500)
	if err != nil {
		return err
	}
	p := w.base(c, "deadletters.title", "deadletters")
	p.Data = ds
	return w.render(c, http.StatusOK, "deadletters", p)
}

func (w *Web) replayDeadLetter(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if _, err := w.Store.ReplayDeadLetter(c.Request().Context(), currentUser(c).Actor(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return w.errorPage(c, http.StatusNotFound, "error.not_found")
		}
		if errors.Is(err, store.ErrUnreplayable) {
			return w.errorPage(c, http.StatusUnprocessableEntity, "error.unreplayable")
		}
		return fmt.Errorf("error replaying dead letter: %w", err)
	}
	flash(c, "flash.replayed")
	return c.Redirect(http.StatusSeeOther, "/web/admin/deadletters")
}

// wordList is one list on the word-list page.
type wordList struct {
	List store.WordList
	Text string
	Edit bool
}

// wordsView is the word-list page: the agency's additions (for its people)
// and the platform's list.
type wordsView struct {
	Agency, Platform *wordList
}

func (w *Web) wordsPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin, domain.RoleConfidentiality, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	a := currentUser(c).Actor()
	load := func(list int64, edit bool) (*wordList, error) {
		l, err := w.Store.CurrentWordList(ctx, list)
		return &wordList{List: l, Text: strings.Join(l.Words, "\n"), Edit: edit}, err
	}
	var v wordsView
	var err error
	if a.Has(domain.RoleAdmin) || a.Has(domain.RoleConfidentiality) {
		if v.Agency, err = load(a.AgencyID, a.Has(domain.RoleAdmin)); err != nil {
			return err
		}
	}
	if v.Platform, err = load(store.PlatformList, a.Has(domain.RolePlatformAdmin)); err != nil {
		return err
	}
	p := w.base(c, "words.title", "words")
	p.Data = v
	return w.render(c, http.StatusOK, "words", p)
}

func (w *Web) setWords(c echo.Context) error {
	list := currentUser(c).AgencyID
	if c.FormValue("scope") == "platform" {
		list = store.PlatformList
	}
	ws, err := api.CleanWords(strings.Split(strings.ReplaceAll(c.FormValue("words"), "\r", ""), "\n"))
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) {
			return w.errorPage(c, ae.Status, "input."+ae.Code)
		}
		return err
	}
	if _, err := w.Store.SetWordList(c.Request().Context(), currentUser(c).Actor(), list, ws); err != nil {
		if isRefusal(err) {
			return w.errorPage(c, http.StatusForbidden, "rule.role_required")
		}
		return err
	}
	flash(c, "flash.words_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/words")
}

func (w *Web) publicationsPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ps, err := w.Store.OpenPublications(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	p := w.base(c, "publications.title", "publications")
	p.Data = ps
	return w.render(c, http.StatusOK, "publications", p)
}

// resolvePublication records what an admin found on the channel for a
// failed or unknown send: it went out (with where), or it did not.
func (w *Web) resolvePublication(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, err := strconv.ParseInt(c.FormValue("draft"), 10, 64)
	ch := domain.Channel(c.FormValue("channel"))
	outcome := c.FormValue("outcome")
	note := strings.TrimSpace(c.FormValue("note"))
	if err != nil || !ch.Valid() || (outcome != "delivered" && outcome != "failed") || note == "" {
		return w.errorPage(c, http.StatusUnprocessableEntity, "publications.invalid")
	}
	err = w.Store.ResolvePublication(c.Request().Context(), currentUser(c).Actor(), id, ch, outcome == "delivered",
		strings.TrimSpace(c.FormValue("url")), note)
	if errors.Is(err, store.ErrNotFound) || isRefusal(err) {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	flash(c, "flash.publication_resolved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/publications")
}
