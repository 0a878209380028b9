package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// TestAgenciesInTheBrowser: a platform admin creates an agency with its
// first admin, who signs in and sees only that agency; an agency's admin is
// not offered the platform_admin role and cannot reach the platform page.
func TestAgenciesInTheBrowser(t *testing.T) {
	s := startSite(t)
	hash := hashOf(t, password)
	op := domain.Actor{Name: "test", AgencyID: store.DefaultAgency, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	u, _, err := s.sys.Store.AddUser(context.Background(), op, store.NewUser{Name: "plat", Roles: []domain.Role{domain.RolePlatformAdmin}, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	s.enrol(u)
	plat := s.as("plat") // lands on the agencies
	plat.do(chromedp.WaitVisible(chromedp.CSS("#add-agency")))
	plat.shot("agencies")
	plat.do(chromedp.SendKeys(chromedp.CSS("#a-name"), "新街街道办事处"), chromedp.SendKeys(chromedp.CSS("#a-slug"), "xinjie"),
		chromedp.SendKeys(chromedp.CSS("#a-admin"), "xadmin"), chromedp.SendKeys(chromedp.CSS("#a-pw"), password),
		chromedp.Click(chromedp.CSS("#add-agency button")), chromedp.WaitVisible(chromedp.CSS("#new-agency")))
	if txt := plat.text("#new-agency"); !strings.Contains(txt, "新街街道办事处") || !strings.Contains(txt, "/public/xinjie/") {
		t.Fatalf("created: %q", txt)
	}
	plat.shot("agency-created")
	// A reserved slug is refused with the rule's words, the form kept as
	// typed and the slug's field marked.
	plat.do(chromedp.SendKeys(chromedp.CSS("#a-name"), "某机关"), chromedp.SendKeys(chromedp.CSS("#a-slug"), "items"),
		chromedp.SendKeys(chromedp.CSS("#a-admin"), "某管理员"), chromedp.Click(chromedp.CSS("#add-agency button")),
		chromedp.WaitVisible(chromedp.CSS(`#a-slug[aria-invalid="true"]`)))
	if e := plat.text("#error"); !strings.Contains(e, "保留名称") {
		t.Fatalf("reserved slug: %q", e)
	}
	if v := plat.eval(`[document.querySelector("#a-name").value, document.querySelector("#a-admin").value].join("|")`); v != "某机关|某管理员" {
		t.Fatalf("the refused form as typed: %q", v)
	}

	x := s.as("xadmin")
	x.do(chromedp.Navigate(s.base+"/web/admin/departments"), chromedp.WaitVisible(chromedp.CSS("#departments")))
	if d := x.text("#departments"); strings.Contains(d, "综合办") {
		t.Fatalf("the new agency's admin sees the default agency's departments: %q", d)
	}
	x.do(chromedp.Navigate(s.base+"/web/admin/users"), chromedp.WaitVisible(chromedp.CSS("#add-user")))
	if h := x.html(); strings.Contains(h, `value="platform_admin"`) || strings.Contains(h, "wang") {
		t.Fatal("an agency's admin is offered platform_admin, or sees another agency's people")
	}
	x.shot("agency-users")
	// Their account: the second factor they enrolled on the way in, their token.
	x.do(chromedp.Navigate(s.base+"/web/account"), chromedp.WaitVisible(chromedp.CSS("#tokens")))
	if st := x.text("#second-factor-state"); !strings.Contains(st, "已启用") || !strings.Contains(st, "10") {
		t.Fatalf("the account page's second factor: %q", st)
	}
	x.shot("account")
	x.do(chromedp.Navigate(s.base+"/web/platform/agencies"), chromedp.WaitVisible(chromedp.CSS("#error")))
	x.shot("platform-refused")
}
