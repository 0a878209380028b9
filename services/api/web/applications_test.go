package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// caseSite is a site with two case handlers (zheng, feng) and the head of
// the 政府信息公开工作机构 (gao: a case handler who heads 综合办), and a
// letter zheng took in two days ago.
func caseSite(t *testing.T) (*site, int64) {
	t.Helper()
	s := startSite(t)
	ctx := context.Background()
	deps, err := s.sys.Store.Departments(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	var zheng store.User
	for _, nu := range []store.NewUser{
		{Name: "zheng", Roles: []domain.Role{domain.RoleCaseHandler}},
		{Name: "feng", Roles: []domain.Role{domain.RoleCaseHandler}},
		{Name: "gao", Roles: []domain.Role{domain.RoleCaseHandler, domain.RoleDeptHead}, Departments: []int64{deps[0].ID}},
	} {
		nu.PasswordHash = hashOf(t, password)
		u, _, err := s.sys.Store.AddUser(ctx, admin, nu)
		if err != nil {
			t.Fatal(err)
		}
		if u.Name == "zheng" {
			zheng = u
		}
	}
	received := time.Now().In(domain.Beijing).AddDate(0, 0, -2)
	a, err := s.sys.Store.AddApplication(ctx, zheng.Actor(), store.NewApplication{Route: domain.RouteLetter, ApplicantType: domain.ApplicantNatural,
		ApplicantName: "张三", Description: "本街道2026年老旧小区改造项目的资金使用情况",
		ReceivedOn: time.Date(received.Year(), received.Month(), received.Day(), 0, 0, 0, 0, time.UTC)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return s, a.ID
}

// caseForm posts one of the case page's forms (the page read first for
// its token) and returns the answer.
func (c *client) caseForm(id int64, form url.Values) (*http.Response, string) {
	c.t.Helper()
	_, page := c.req("GET", fmt.Sprintf("/web/applications/%d", id), nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no CSRF token on the case page: %s", page)
	}
	form.Set("_csrf", m[1])
	return c.req("POST", fmt.Sprintf("/web/applications/%d/act", id), form)
}

var latinRun = regexp.MustCompile(`[A-Za-z]{3,}`)

// appError is the case page's error paragraph (a refused record).
var appError = regexp.MustCompile(`id="error">([^<]*)<`)

// TestApplicationRefusalsInChinese: a refused record on the case page says
// what is wrong in Chinese only — the date before the receipt a person met
// (once shown as 「申请记录不符合规定。（the date … is before the application
// was received …）」), a move the case's state does not allow, a handler
// approving the extension — and in English on the English page.
func TestApplicationRefusalsInChinese(t *testing.T) {
	s, id := caseSite(t)
	zheng := s.client()
	zheng.signIn("zheng", password)
	received := time.Now().In(domain.Beijing).AddDate(0, 0, -2).Format(domain.DateLayout)
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"action": {"outcome"}, "outcome": {"disclosed"}, "on": {"2020-01-01"}},
			"日期2020-01-01早于收到申请之日（" + received + "）：请填写收到申请当天或之后的日期。"},
		{url.Values{"action": {"supplement_received"}}, "申请处于“已收到”状态，不能记录收到补正。"},
		{url.Values{"action": {"extended"}, "note": {"需调取档案"}}, "延长答复期限须经政府信息公开工作机构负责人"},
		{url.Values{"action": {"supplement_requested"}}, "请写明需要申请人补正的事项。"},
	} {
		res, page := zheng.caseForm(id, tc.form)
		m := appError.FindStringSubmatch(page)
		if res.StatusCode != http.StatusUnprocessableEntity || m == nil {
			t.Errorf("%s: %d, no error shown", tc.form.Get("action"), res.StatusCode)
			continue
		}
		if !strings.Contains(m[1], tc.want) || latinRun.MatchString(m[1]) {
			t.Errorf("%s: the page says %q, want %q and no English", tc.form.Get("action"), m[1], tc.want)
		}
	}
	// The English page: the rule and the detail in English.
	_, _ = zheng.req("GET", "/web/lang?to=en&back=/web/applications", nil)
	_, page := zheng.caseForm(id, url.Values{"action": {"outcome"}, "outcome": {"disclosed"}, "on": {"2020-01-01"}})
	if m := appError.FindStringSubmatch(page); m == nil || !strings.Contains(m[1], "before the application was received") {
		t.Errorf("the English page's refusal: %v", m)
	}
}

// TestApplicationHandlersPage: the case page shows its handlers; another
// handler sees no 查看 link and is refused the document; the head assigns
// them, and then they read it; the queue shows each person their own
// cases (?mine=1) and every case's handlers. The handler asks for the
// extension; only the head sees the approval form, and approves as
// themselves.
func TestApplicationHandlersPage(t *testing.T) {
	s, id := caseSite(t)
	ctx := context.Background()
	zheng, feng, gao := s.client(), s.client(), s.client()
	zheng.signIn("zheng", password)
	feng.signIn("feng", password)
	gao.signIn("gao", password)
	casePath := fmt.Sprintf("/web/applications/%d", id)

	_, page := feng.req("GET", casePath, nil)
	if !strings.Contains(page, `<span class="handler-name">zheng</span>`) || strings.Contains(page, `id="act-take"`) ||
		strings.Contains(page, `id="act-assign"`) || strings.Contains(page, `id="act-document"`) {
		t.Fatalf("another handler's view of the case: %s", page)
	}
	_, page = feng.req("GET", "/web/applications?mine=1", nil)
	if strings.Contains(page, fmt.Sprintf(`data-id="%d"`, id)) || !strings.Contains(page, "没有您承办的办理中的申请") {
		t.Fatalf("feng's own cases list zheng's: %s", page)
	}
	_, page = zheng.req("GET", "/web/applications?mine=1", nil)
	if !strings.Contains(page, fmt.Sprintf(`data-id="%d"`, id)) || !strings.Contains(page, `<strong class="mine">zheng</strong>`) {
		t.Fatalf("zheng's own cases: %s", page)
	}

	// The head assigns feng, from the page's form.
	_, page = gao.req("GET", casePath, nil)
	if !strings.Contains(page, `id="act-assign"`) || !strings.Contains(page, ">feng</option>") || strings.Contains(page, ">zheng</option>") {
		t.Fatalf("the head's assignment form: %s", page)
	}
	users, err := s.sys.Store.Users(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var fengID int64
	for _, u := range users {
		if u.Name == "feng" {
			fengID = u.ID
		}
	}
	if res, _ := feng.caseForm(id, url.Values{"action": {"handler_assigned"}, "handler_id": {fmt.Sprint(fengID)}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a handler assigning themselves: %d", res.StatusCode)
	}
	if res, _ := gao.caseForm(id, url.Values{"action": {"handler_assigned"}, "handler_id": {fmt.Sprint(fengID)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the head assigning: %d", res.StatusCode)
	}
	_, page = feng.req("GET", casePath, nil)
	if !strings.Contains(page, `<span class="handler-name">feng</span>`) || !strings.Contains(page, `id="act-document"`) {
		t.Fatalf("feng after the assignment: %s", page)
	}
	if !strings.Contains(page, "指定承办人") {
		t.Fatalf("the trail does not name the assignment: %s", page)
	}

	// The extension: asked by the handler, approved by the head.
	_, page = zheng.req("GET", casePath, nil)
	if !strings.Contains(page, `id="act-extend-request"`) || strings.Contains(page, `id="act-extend"`) {
		t.Fatalf("the handler's extension forms: %s", page)
	}
	if res, _ := zheng.caseForm(id, url.Values{"action": {"extension_requested"}, "note": {"需调取2019年的城建档案"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the request: %d", res.StatusCode)
	}
	_, page = gao.req("GET", "/web/applications", nil)
	if !strings.Contains(page, "延期待批准") {
		t.Fatalf("the queue does not mark the request: %s", page)
	}
	_, page = gao.req("GET", casePath, nil)
	if !strings.Contains(page, `id="app-extension-request"`) || !strings.Contains(page, `id="act-extend"`) || !strings.Contains(page, `id="act-extend-decline"`) {
		t.Fatalf("the head's view of the request: %s", page)
	}
	if res, _ := gao.caseForm(id, url.Values{"action": {"extended"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the approval: %d", res.StatusCode)
	}
	a, err := s.sys.Store.Application(ctx, domain.Actor{AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}, id)
	if err != nil || a.State != domain.CaseExtended || a.ExtensionApprover != "gao" || a.ExtensionNote != "需调取2019年的城建档案" {
		t.Fatalf("the case after the approval: %+v %v", a, err)
	}
	_, page = zheng.req("GET", casePath, nil)
	if !strings.Contains(page, `id="app-extension"`) || !strings.Contains(page, "gao") {
		t.Fatalf("the extension on the page: %s", page)
	}
}
