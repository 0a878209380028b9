package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

func requireRole(c echo.Context, roles ...domain.Role) error {
	a := user(c).Actor()
	for _, r := range roles {
		if a.Has(r) {
			return nil
		}
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return &domain.Refusal{Rule: domain.RuleRole, Message: "this needs the role " + strings.Join(names, " or ")}
}

func (s *Server) listDepartments(c echo.Context) error {
	ds, err := s.Store.Departments(c.Request().Context(), user(c).AgencyID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"departments": ds})
}

func (s *Server) addDepartment(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if err := ValidName("department", in.Name); err != nil {
		return err
	}
	d, err := s.Store.AddDepartment(c.Request().Context(), user(c).Actor(), in.Name)
	if errors.Is(err, store.ErrExists) {
		return fail(http.StatusConflict, "exists", "department %q already exists", in.Name)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, d)
}

// userInput is the body of POST /api/v1/users.
type userInput struct {
	Name        string   `json:"name"`
	Roles       []string `json:"roles"`
	Departments []string `json:"departments"`
	// Agency is the slug of the agency the user belongs to: the caller's
	// own unless a platform admin names another (for its admins).
	Agency string `json:"agency"`
}

func (s *Server) addUser(c echo.Context) error {
	var in userInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	agency := user(c).AgencyID
	if in.Agency != "" {
		a, err := s.Store.AgencyBySlug(ctx, in.Agency)
		if errors.Is(err, store.ErrNotFound) {
			return fail(http.StatusUnprocessableEntity, "unknown_agency", "unknown agency %q", in.Agency)
		}
		if err != nil {
			return err
		}
		agency = a.ID
	}
	nu, err := ResolveNewUser(ctx, s.Store, agency, in.Name, in.Roles, in.Departments)
	if err != nil {
		return err
	}
	u, token, err := s.Store.AddUser(ctx, user(c).Actor(), nu)
	if errors.Is(err, store.ErrExists) {
		return fail(http.StatusConflict, "exists", "user %q already exists", in.Name)
	}
	if err != nil {
		return err
	}
	deps := in.Departments
	if deps == nil {
		deps = []string{} // a list, as documented, when none were given
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": u.ID, "name": u.Name, "roles": u.Roles, "departments": deps, "token": token})
}

// ResolveNewUser validates a new user of agency agencyID: their name, roles
// and the names of departments of that agency.
func ResolveNewUser(ctx context.Context, st *store.Store, agencyID int64, name string, roles, departments []string) (store.NewUser, error) {
	nu := store.NewUser{Name: strings.TrimSpace(name), AgencyID: agencyID}
	if err := ValidName("user", nu.Name); err != nil {
		return nu, err
	}
	if len(roles) == 0 {
		return nu, fail(http.StatusBadRequest, "missing_field", "a user needs at least one role")
	}
	for _, r := range roles {
		role := domain.Role(r)
		if !role.Valid() {
			return nu, fail(http.StatusBadRequest, "unknown_role", "unknown role %q; use one of: %s", r, roleNames())
		}
		nu.Roles = append(nu.Roles, role)
	}
	for _, dn := range departments {
		d, err := st.DepartmentByName(ctx, agencyID, dn)
		if errors.Is(err, store.ErrNotFound) {
			return nu, fail(http.StatusUnprocessableEntity, "unknown_department", "unknown department %q", dn)
		}
		if err != nil {
			return nu, err
		}
		nu.Departments = append(nu.Departments, d.ID)
	}
	return nu, nil
}

func (s *Server) draftAudit(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.Store.Check(c.Request().Context(), user(c).Actor(), id, "read_audit", domain.CanViewAudit); err != nil {
		return err
	}
	evs, err := s.Store.DraftEvents(c.Request().Context(), id)
	if err != nil {
		return err
	}
	res, err := s.Store.VerifyChain(c.Request().Context(), "draft/"+strconv.FormatInt(id, 10))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs, "verify": res})
}

// verifyAudit verifies the caller's agency's trail, or, for a platform
// admin asking ?scope=platform, the whole installation's.
func (s *Server) verifyAudit(c echo.Context) error {
	a := user(c).Actor()
	verify := func(ctx context.Context) (audit.Result, error) { return s.Store.VerifyAgency(ctx, a.AgencyID) }
	switch c.QueryParam("scope") {
	case "", "agency":
		if err := domain.CanAudit(a, a.AgencyID); err != nil {
			return err
		}
	case "platform":
		if err := domain.CanManagePlatform(a); err != nil {
			return err
		}
		verify = s.Store.VerifyAll
	default:
		return fail(http.StatusBadRequest, "invalid_scope", "scope must be agency or platform")
	}
	res, err := verify(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (s *Server) listDeadLetters(c echo.Context) error {
	ds, err := s.Store.DeadLetters(c.Request().Context(), user(c).Actor(), 500)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"dead_letters": ds})
}

func (s *Server) replayDeadLetter(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RolePlatformAdmin); err != nil {
		return err
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d, err := s.Store.ReplayDeadLetter(c.Request().Context(), user(c).Actor(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// wordListScope is the list a request names: ?scope=agency (the default,
// the caller's agency's additions) or ?scope=platform.
func wordListScope(c echo.Context) (int64, error) {
	switch c.QueryParam("scope") {
	case "", "agency":
		return user(c).AgencyID, nil
	case "platform":
		return store.PlatformList, nil
	}
	return 0, fail(http.StatusBadRequest, "invalid_scope", "scope must be agency or platform")
}

func (s *Server) getWordList(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RoleConfidentiality, domain.RoleAuditor, domain.RolePlatformAdmin); err != nil {
		return err
	}
	list, err := wordListScope(c)
	if err != nil {
		return err
	}
	l, err := s.Store.CurrentWordList(c.Request().Context(), list)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// maxWords bounds the sensitive-word list; the matcher is measured at 10,000.
const maxWords = 50000

// CleanWords trims, drops empty and duplicate entries, and checks the
// list's size, for the API and the admin page alike.
func CleanWords(in []string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	for _, w := range in {
		w = strings.TrimSpace(w)
		if w == "" || seen[w] {
			continue
		}
		if len([]rune(w)) > 50 || strings.ContainsRune(w, 0) {
			// (a NUL: typed in a form's text)
			return nil, failField("words", http.StatusBadRequest, "invalid_word", fmt.Sprintf("词语“%s”超过50个字或含有不允许的字符。", shortWord(w)),
				"word %q is longer than 50 characters or holds a NUL", w)
		}
		seen[w] = true
		out = append(out, w)
	}
	if len(out) > maxWords {
		return nil, failField("words", http.StatusBadRequest, "too_many_words", fmt.Sprintf("词表有%d个词语，最多%d个。", len(out), maxWords),
			"the list has %d words; the limit is %d", len(out), maxWords)
	}
	return out, nil
}

// shortWord is a refused word as a message names it: its first 20
// characters, without NULs.
func shortWord(w string) string {
	r := []rune(strings.ReplaceAll(w, "\x00", ""))
	if len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return string(r)
}

func (s *Server) setWordList(c echo.Context) error {
	list, err := wordListScope(c)
	if err != nil {
		return err
	}
	var in struct {
		Words []string `json:"words"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Words == nil {
		return fail(http.StatusBadRequest, "missing_field", "words is required (a list, may be empty)")
	}
	ws, err := CleanWords(in.Words)
	if err != nil {
		return err
	}
	l, err := s.Store.SetWordList(c.Request().Context(), user(c).Actor(), list, ws)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, l)
}

// policyJSON is the agency's review settings: the stages at which it
// requires a person after the machine checks, and the stages it may choose.
type policyJSON struct {
	PersonStages []domain.Stage `json:"person_stages"`
	Optional     []domain.Stage `json:"optional"`
}

func policyOut(p domain.Policy) policyJSON {
	return policyJSON{PersonStages: append([]domain.Stage{}, p.People...), Optional: domain.OptionalPeople()}
}

func (s *Server) getPolicy(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RoleAuditor); err != nil {
		return err
	}
	p, err := s.Store.Policy(c.Request().Context(), user(c).AgencyID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, policyOut(p))
}

func (s *Server) setPolicy(c echo.Context) error {
	var in struct {
		PersonStages []domain.Stage `json:"person_stages"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.PersonStages == nil {
		return fail(http.StatusBadRequest, "missing_field", "person_stages is required (a list, may be empty)")
	}
	p := domain.Policy{People: in.PersonStages}
	if err := s.Store.SetPolicy(c.Request().Context(), user(c).Actor(), p); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, policyOut(p))
}

// ValidName judges the name of a person, department or agency
// (domain.ValidName) as a 400 naming the rule: invalid_name (empty, too
// long, invisible characters) or reserved_name (reads like the system).
func ValidName(kind, name string) error {
	var r *domain.Refusal
	if err := domain.ValidName(name); errors.As(err, &r) {
		return fail(http.StatusBadRequest, string(r.Rule), "a %s's name: %s", kind, r.Message)
	}
	return nil
}

// roleNames lists the roles a person can be given, for error messages.
func roleNames() string {
	names := make([]string, len(domain.Roles))
	for i, r := range domain.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// agencyInput is the body of POST /api/v1/agencies: the agency and its
// first admin.
type agencyInput struct {
	Slug      string `json:"slug"`
	Name      string `json:"name"`
	AdminName string `json:"admin_name"`
}

func (s *Server) listAgencies(c echo.Context) error {
	as, err := s.Store.Agencies(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"agencies": as})
}

// addAgency creates an agency and its first admin, whose token it answers
// with once.
func (s *Server) addAgency(c echo.Context) error {
	var in agencyInput
	if err := decode(c, &in); err != nil {
		return err
	}
	in.Name, in.AdminName = strings.TrimSpace(in.Name), strings.TrimSpace(in.AdminName)
	if err := ValidName("agency", in.Name); err != nil {
		return err
	}
	ctx := c.Request().Context()
	by := user(c).Actor()
	if err := domain.CanManagePlatform(by); err != nil {
		return err
	}
	nu, err := ResolveNewUser(ctx, s.Store, 0, in.AdminName, []string{string(domain.RoleAdmin)}, nil)
	if err != nil {
		return err
	}
	a, u, token, err := s.Store.AddAgency(ctx, by, in.Slug, in.Name, nu)
	if errors.Is(err, store.ErrExists) {
		return fail(http.StatusConflict, "exists", "%v", err)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"agency": a, "admin": map[string]any{"id": u.ID, "name": u.Name, "token": token}})
}
