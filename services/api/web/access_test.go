package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestAdminEditsPeopleAndDepartments: an admin changes a person's roles and
// departments and renames a department, each audited; the word list's page
// shows each version's added and removed words.
func TestAdminEditsPeopleAndDepartments(t *testing.T) {
	s := startSite(t)
	admin := s.client()
	admin.signIn("admin", password)
	ctx := context.Background()
	chen := s.userID("chen")
	deps, err := s.sys.Store.Departments(ctx, 1)
	if err != nil || len(deps) != 2 {
		t.Fatalf("departments: %v %v", deps, err)
	}
	_, page := admin.req("GET", fmt.Sprintf("/web/admin/users/%d", chen), nil)
	tok := csrfField.FindStringSubmatch(page)[1]
	form := url.Values{"_csrf": {tok}, "roles": {"officer", "dept_head"}}
	for _, d := range deps {
		form.Add("departments", fmt.Sprint(d.ID))
	}
	admin.req("POST", fmt.Sprintf("/web/admin/users/%d/access", chen), form)
	p, err := s.sys.Store.PersonByID(ctx, 1, chen)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.Roles) != "[officer dept_head]" || len(p.Departments) != 2 {
		t.Errorf("after the change: roles %v departments %v", p.Roles, p.Departments)
	}
	// No role at all is refused: disable the account instead.
	admin.req("POST", fmt.Sprintf("/web/admin/users/%d/access", chen), url.Values{"_csrf": {tok}})
	if p, _ = s.sys.Store.PersonByID(ctx, 1, chen); len(p.Roles) != 2 {
		t.Errorf("a person was left with no role: %v", p.Roles)
	}
	admin.req("POST", fmt.Sprintf("/web/admin/departments/%d/rename", deps[0].ID), url.Values{"_csrf": {tok}, "name": {"党政办"}})
	if d, err := s.sys.Store.DepartmentByName(ctx, 1, "党政办"); err != nil || d.ID != deps[0].ID {
		t.Errorf("renamed: %v %v", d, err)
	}
	if n := s.count(`SELECT count(*) FROM audit_events WHERE action IN ('user_access', 'department_rename')`); n != 2 {
		t.Errorf("%d changes audited; want 2", n)
	}

	a := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if _, err := s.sys.Store.SetWordList(ctx, a, 1, []string{"内部资料", "绝密"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sys.Store.SetWordList(ctx, a, 1, []string{"内部资料", "机密"}); err != nil {
		t.Fatal(err)
	}
	_, page = admin.req("GET", "/web/admin/words", nil)
	if !strings.Contains(page, "<ins>机密</ins>") || !strings.Contains(page, "<del>绝密</del>") {
		t.Errorf("the versions' differences are not shown")
	}
	// The page lists the last ten versions and offers every one.
	for i := range 10 {
		if _, err := s.sys.Store.SetWordList(ctx, a, 1, []string{"内部资料", fmt.Sprintf("词%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, page = admin.req("GET", "/web/admin/words", nil)
	if n := strings.Count(page, "<del>"); n != 10 || !strings.Contains(page, `href="/web/admin/words?history=all"`) {
		t.Errorf("%d versions' removals shown, want 10, with a link to every version", n)
	}
	_, page = admin.req("GET", "/web/admin/words?history=all", nil)
	if !strings.Contains(page, "<del>绝密</del>") || strings.Contains(page, `href="/web/admin/words?history=all"`) {
		t.Errorf("every version: %v", strings.Contains(page, "<del>绝密</del>"))
	}
}

// TestAccessRefusedInPlace: a person's roles and departments refused for
// what the form says (no role, a department not the agency's) come back
// on the person's page, 422, as posted, the field at fault marked; the
// person's access is as it was.
func TestAccessRefusedInPlace(t *testing.T) {
	s := startSite(t)
	admin := s.client()
	admin.signIn("admin", password)
	ctx := context.Background()
	chen := s.userID("chen")
	before, err := s.sys.Store.PersonByID(ctx, 1, chen)
	if err != nil {
		t.Fatal(err)
	}
	deps, err := s.sys.Store.Departments(ctx, 1)
	if err != nil || len(deps) != 2 {
		t.Fatalf("departments: %v %v", deps, err)
	}
	path := fmt.Sprintf("/web/admin/users/%d/access", chen)
	_, page := admin.req("GET", fmt.Sprintf("/web/admin/users/%d", chen), nil)
	tok := csrfField.FindStringSubmatch(page)[1]
	dep := fmt.Sprint(deps[1].ID)
	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"no role", url.Values{"_csrf": {tok}, "departments": {dep}}, "roles", "请至少选择一个角色"},
		{"a role there is not", url.Values{"_csrf": {tok}, "roles": {"officer", "boss"}, "departments": {dep}}, "roles", "未知角色"},
		{"another agency's department", url.Values{"_csrf": {tok}, "roles": {"officer", "auditor"}, "departments": {dep, "999999"}}, "departments", "未知的科室"},
	} {
		r, page := admin.req("POST", path, tc.form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) || !strings.Contains(page, `id="access-form"`) {
			t.Errorf("%s: %d, the person's form with %q?\n%s", tc.name, r.StatusCode, tc.want, page)
			continue
		}
		p := mustPostedBack(t, page)
		if p.Kind != "refused" || p.Action != path || p.Field != tc.field {
			t.Errorf("%s: posted back %+v", tc.name, p)
		}
		for _, k := range []string{"roles", "departments"} {
			if fmt.Sprint(p.Fields[k]) != fmt.Sprint(tc.form[k]) {
				t.Errorf("%s: %s posted back %v, typed %v", tc.name, k, p.Fields[k], tc.form[k])
			}
		}
		if _, ok := p.Fields["_csrf"]; ok {
			t.Errorf("%s: the CSRF token posted back", tc.name)
		}
	}
	after, err := s.sys.Store.PersonByID(ctx, 1, chen)
	if err != nil || fmt.Sprint(after.Roles, after.Departments) != fmt.Sprint(before.Roles, before.Departments) {
		t.Errorf("a refused form changed the access: %v %v → %v %v (%v)", before.Roles, before.Departments, after.Roles, after.Departments, err)
	}
	if n := s.count(`SELECT count(*) FROM audit_events WHERE action = 'user_access'`); n != 0 {
		t.Errorf("%d refused changes audited", n)
	}
	// A good one still saves, and goes back to the person's page.
	r, _ := admin.req("POST", path, url.Values{"_csrf": {tok}, "roles": {"officer", "auditor"}, "departments": {dep}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != fmt.Sprintf("/web/admin/users/%d", chen) {
		t.Fatalf("a good change: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if p, _ := s.sys.Store.PersonByID(ctx, 1, chen); fmt.Sprint(p.Roles) != "[officer auditor]" || fmt.Sprint(p.Departments) != "["+dep+"]" {
		t.Errorf("after the good change: %v %v", p.Roles, p.Departments)
	}
}
