package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/password"
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
	// An agency's auditors and admins verify their own agency's chains; the
	// whole installation's trail is the platform admin's (?scope=platform),
	// as on GET /api/v1/audit/verify.
	ctx := c.Request().Context()
	a := currentUser(c).Actor()
	var res audit.Result
	var err error
	if c.QueryParam("scope") == "platform" && domain.CanManagePlatform(a) == nil {
		res, err = w.Store.VerifyAll(ctx)
	} else {
		res, err = w.Store.VerifyAgency(ctx, a.AgencyID)
	}
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
	Locks       []store.SignInLock // the sign-in brakes on the agency's people
	MinRunes    int
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
	locks, err := w.Store.SignInLocks(ctx, currentUser(c).Actor())
	if err != nil {
		return err
	}
	p.Data = usersView{Users: us, Departments: names, AllDeps: deps, Roles: roles, NewToken: token, NewName: newName, Locks: locks,
		MinRunes: password.MinRunes}
	return w.render(c, status, "users", p)
}

func (w *Web) addUser(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	f, _ := c.FormParams()
	nu, err := api.ResolveNewUser(ctx, w.Store, currentUser(c).AgencyID, f.Get("name"), f["roles"], f["departments"])
	field := "name"
	if err == nil && f.Get("password") != "" {
		field = "password"
		nu.PasswordHash, err = api.NewPasswordHash(ctx, w.Store, w.Passwords, store.User{Name: nu.Name, AgencyID: nu.AgencyID}, f.Get("password"))
	}
	if msg, ok := w.inputError(c, err); ok {
		// The form as typed (but its password), the field marked.
		return w.refuse(c, cmp.Or(fieldOf(err), field), msg, func(c echo.Context) error {
			return w.showUsers(c, http.StatusUnprocessableEntity, msg, "", "")
		})
	}
	if err != nil {
		return err
	}
	u, token, err := w.Store.AddUser(ctx, currentUser(c).Actor(), nu)
	if errors.Is(err, store.ErrExists) {
		return w.refuse(c, "name", w.t(c, "users.exists", nu.Name), w.usersPage)
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

// personID is the :id of an admin's page about a person.
func personID(c echo.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	return id, err == nil && id > 0
}

// managed answers a refusal to manage a person: another agency's person
// is not there at all; one the admin may not manage is 403 with the rule.
func (w *Web) managed(c echo.Context, err error) error {
	var r *domain.Refusal
	switch {
	case errors.Is(err, store.ErrNotFound):
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	case errors.As(err, &r) && r.Rule == domain.RuleAgency:
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	case errors.As(err, &r):
		return w.errorPage(c, http.StatusForbidden, "rule."+string(r.Rule))
	}
	return err
}

// resetPassword sets a person's password (a new one that meets the
// policy), ending their sessions and revoking their API tokens.
func (w *Web) resetPassword(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	id, ok := personID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	target, err := w.Store.PersonByID(ctx, currentUser(c).AgencyID, id)
	if err != nil {
		return w.managed(c, err)
	}
	hash, err := api.NewPasswordHash(ctx, w.Store, w.Passwords, target.User, c.FormValue("password"))
	if msg, ok := w.inputError(c, err); ok {
		return w.showUsers(c, http.StatusUnprocessableEntity, msg, "", "")
	}
	if err != nil {
		return err
	}
	if err := w.Store.SetPassword(ctx, currentUser(c).Actor(), id, hash); err != nil {
		return w.managed(c, err)
	}
	flash(c, "flash.password_set")
	return c.Redirect(http.StatusSeeOther, "/web/admin/users")
}

// personView is an admin's page about one person: their account's state,
// second factor, API tokens and sign-in brakes.
type personView struct {
	Person   store.Person
	Roles    []domain.Role      // the roles an agency's admin can give
	AllDeps  []store.Department // the agency's departments
	Required bool
	Tokens   []store.Token
	Locks    []store.SignInLock
	Self     bool
	MinRunes int
}

func (w *Web) personPage(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	ctx := c.Request().Context()
	id, ok := personID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	me := currentUser(c)
	v := personView{Self: id == me.ID, MinRunes: password.MinRunes}
	var err error
	if v.Person, err = w.Store.PersonByID(ctx, me.AgencyID, id); err != nil {
		return w.managed(c, err)
	}
	v.Required = domain.SecondFactorRequired(v.Person.Roles)
	if v.AllDeps, err = w.Store.Departments(ctx, me.AgencyID); err != nil {
		return err
	}
	for _, r := range domain.Roles {
		if r != domain.RolePlatformAdmin || me.Actor().Has(domain.RolePlatformAdmin) {
			v.Roles = append(v.Roles, r)
		}
	}
	if v.Tokens, err = w.Store.Tokens(ctx, me.Actor(), id); err != nil && !v.Self {
		var r *domain.Refusal
		if !errors.As(err, &r) {
			return w.managed(c, err)
		}
		v.Tokens = nil // a platform admin's, for an agency's admin: not theirs to see
	}
	locks, err := w.Store.SignInLocks(ctx, me.Actor())
	if err != nil {
		return err
	}
	for _, l := range locks {
		if l.Name == v.Person.Name {
			v.Locks = append(v.Locks, l)
		}
	}
	p := w.base(c, "person.title", "users")
	p.Title = v.Person.Name
	p.Data = v
	return w.render(c, http.StatusOK, "person", p)
}

func (w *Web) personAction(c echo.Context, act func(domain.Actor, int64) error, done string) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, ok := personID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	var fr *fieldRefusal
	switch err := act(currentUser(c).Actor(), id); {
	case errors.As(err, &fr):
		return w.refuse(c, fr.field, w.t(c, fr.key), w.personPage)
	case err != nil:
		return w.managed(c, err)
	}
	flash(c, done)
	return c.Redirect(http.StatusSeeOther, "/web/admin/users/"+strconv.FormatInt(id, 10))
}

// fieldRefusal is a person action's refusal of what a field of its form
// says (the locale key of the message): the form comes back on the
// person's page as posted, the field marked (refuse).
type fieldRefusal struct{ field, key string }

func (e *fieldRefusal) Error() string { return e.field + ": " + e.key }

func (w *Web) disableUser(c echo.Context) error {
	return w.personAction(c, func(by domain.Actor, id int64) error {
		return w.Store.SetDisabled(c.Request().Context(), by, id, true)
	}, "flash.user_disabled")
}

func (w *Web) enableUser(c echo.Context) error {
	return w.personAction(c, func(by domain.Actor, id int64) error {
		return w.Store.SetDisabled(c.Request().Context(), by, id, false)
	}, "flash.user_enabled")
}

func (w *Web) resetSecondFactor(c echo.Context) error {
	return w.personAction(c, func(by domain.Actor, id int64) error {
		return w.Store.ResetTOTP(c.Request().Context(), by, id)
	}, "flash.second_factor_reset")
}

func (w *Web) revokePersonToken(c echo.Context) error {
	return w.personAction(c, func(by domain.Actor, id int64) error {
		tid, err := strconv.ParseInt(c.Param("token"), 10, 64)
		if err != nil {
			return store.ErrNotFound
		}
		ok, err := w.ownsToken(c, by, id, tid)
		if err != nil || !ok {
			return cmp.Or(err, store.ErrNotFound)
		}
		_, err = w.Store.RevokeToken(c.Request().Context(), by, tid)
		return err
	}, "flash.token_revoked")
}

// clearSignInLock lifts a sign-in brake on a name (from an address, or all
// of them) or on an address.
func (w *Web) clearSignInLock(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin, domain.RolePlatformAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	name, address := strings.TrimSpace(c.FormValue("name")), strings.TrimSpace(c.FormValue("address"))
	back := safeNext(c.FormValue("back"))
	_, err := w.Store.ClearSignInLock(c.Request().Context(), currentUser(c).Actor(), name, address)
	var r *domain.Refusal
	switch {
	case errors.As(err, &r) && r.Rule != domain.RuleAgency:
		// Refused (no name nor address, a platform admin's brake, an
		// address's for an agency's admin): said on the page the table is
		// on, not a bare error page.
		flash(c, "rule."+string(r.Rule))
		return c.Redirect(http.StatusSeeOther, back)
	case err != nil:
		return w.managed(c, err)
	}
	flash(c, "flash.lock_cleared")
	return c.Redirect(http.StatusSeeOther, back)
}

// nameProblem is what a refused name's error (api.ValidName) says, in the
// page's language.
func (w *Web) nameProblem(c echo.Context, err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return w.pages.or(w.lang(c), "rule."+ae.Code, w.t(c, "input.invalid_name"))
	}
	return w.t(c, "input.invalid_name")
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
	if err := api.ValidName("department", name); err != nil {
		return w.refuse(c, "name", w.nameProblem(c, err), w.departmentsPage)
	}
	_, err := w.Store.AddDepartment(c.Request().Context(), currentUser(c).Actor(), name)
	if errors.Is(err, store.ErrExists) {
		return w.refuse(c, "name", w.t(c, "departments.exists"), w.departmentsPage)
	}
	if err != nil {
		return err
	}
	flash(c, "flash.department_added")
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
	List    store.WordList
	Text    string
	Edit    bool
	History []store.WordListChange // the last versions, with what each changed
	More    bool                   // there are older versions than History shows
	All     bool                   // History is every version (?history=all)
}

// wordHistoryShort and wordHistoryAll are how many versions the word
// list's page shows, by default and with ?history=all.
const (
	wordHistoryShort = 10
	wordHistoryAll   = 1000
)

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
	all := c.QueryParam("history") == "all"
	limit := wordHistoryShort
	if all {
		limit = wordHistoryAll
	}
	load := func(list int64, edit bool) (*wordList, error) {
		l, err := w.Store.CurrentWordList(ctx, list)
		if err != nil {
			return nil, err
		}
		h, err := w.Store.WordListHistory(ctx, list, limit)
		return &wordList{List: l, Text: strings.Join(l.Words, "\n"), Edit: edit, History: h, All: all,
			More: len(h) >= limit && l.Version > limit}, err
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
	if msg, ok := w.problem(c, err); ok {
		return w.refuse(c, "words", msg, w.wordsPage) // the list as typed, the word named
	}
	if err != nil {
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
	ws, err := w.Store.ManualWithdrawals(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	as, err := w.Store.ChannelAlerts(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return err
	}
	p := w.base(c, "publications.title", "publications")
	p.Data = map[string]any{"Open": ps, "Withdrawals": ws, "Alerts": as}
	return w.render(c, http.StatusOK, "publications", p)
}

// resolveWithdrawal records that an admin removed a withdrawn item from a
// channel that could not be asked to (or failed to), with a note.
func (w *Web) resolveWithdrawal(c echo.Context) error {
	return w.recordOnChannel(c, w.Store.ResolveWithdrawal, "flash.withdrawal_resolved")
}

// acknowledgeAlert records that an admin saw that a platform took an item
// down after success, and what was done about it.
func (w *Web) acknowledgeAlert(c echo.Context) error {
	return w.recordOnChannel(c, w.Store.AcknowledgeAlert, "flash.alert_acknowledged")
}

// recordOnChannel is a publications-page form that records, with an
// admin's note, what a person did about one draft on one channel.
func (w *Web) recordOnChannel(c echo.Context, record func(context.Context, domain.Actor, int64, domain.Channel, string) error, done string) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	id, err := strconv.ParseInt(c.FormValue("draft"), 10, 64)
	ch := domain.Channel(c.FormValue("channel"))
	note := strings.TrimSpace(c.FormValue("note"))
	if err != nil || !ch.Valid() {
		return w.errorPage(c, http.StatusUnprocessableEntity, "publications.invalid")
	}
	if note == "" {
		return w.refuse(c, "note", w.t(c, "publications.invalid"), w.publicationsPage)
	}
	err = record(c.Request().Context(), currentUser(c).Actor(), id, ch, note)
	if errors.Is(err, store.ErrNotFound) || isRefusal(err) {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return err
	}
	flash(c, done)
	return c.Redirect(http.StatusSeeOther, "/web/admin/publications")
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
	switch {
	case err != nil || !ch.Valid():
		return w.errorPage(c, http.StatusUnprocessableEntity, "publications.invalid")
	case outcome != "delivered" && outcome != "failed":
		return w.refuse(c, "outcome", w.t(c, "publications.invalid"), w.publicationsPage)
	case note == "":
		return w.refuse(c, "note", w.t(c, "publications.invalid"), w.publicationsPage)
	}
	if u := strings.TrimSpace(c.FormValue("url")); u != "" && domain.ValidPublicationURL(u) != nil {
		return w.refuse(c, "url", w.t(c, "rule.invalid_url"), w.publicationsPage)
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
