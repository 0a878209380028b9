package web_test

import (
	"context"
	"fmt"
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
