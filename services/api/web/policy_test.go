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

// TestPolicyRefusedInPlace: the policy page's two forms, the stages that
// need a person and the review periods, refused for what they say, come
// back on the policy page, 422, as posted, the field at fault marked; the
// policy is as it was. A good post still saves.
func TestPolicyRefusedInPlace(t *testing.T) {
	s := startSite(t)
	admin := s.client()
	admin.signIn("admin", password)
	ctx := context.Background()
	_, page := admin.req("GET", "/web/admin/policy", nil)
	tok := csrfField.FindStringSubmatch(page)[1]
	// (Read from the table: Store.Policy is cached, and told of a change
	// a moment later.)
	people := func() string {
		var ps []string
		if err := s.sys.Store.Pool.QueryRow(ctx, `SELECT person_stages FROM agencies WHERE id = 1`).Scan(&ps); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(ps)
	}
	pol := people()
	review, err := s.sys.Store.ReviewPolicy(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	optional := string(domain.OptionalPeople()[0])
	for _, tc := range []struct {
		name, path, field, want string
		form                    url.Values
	}{
		{"a stage that needs no person", "/web/admin/policy", "person", "该环节不能设置为人工审核",
			url.Values{"person": {optional, "no_such_stage"}}},
		{"a period that is not a number", "/web/admin/policy/review", "months.news", "梳理周期须为0至120之间的整数",
			url.Values{"months.regulation": {"24"}, "months.news": {"十二"}}},
		{"a period too long", "/web/admin/policy/review", "months.plan", "梳理周期须为0至120之间的整数",
			url.Values{"months.regulation": {"24"}, "months.plan": {"121"}, "months.news": {"6"}}},
	} {
		tc.form.Set("_csrf", tok)
		r, page := admin.req("POST", tc.path, tc.form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) || !strings.Contains(page, `id="review-policy-form"`) {
			t.Errorf("%s: %d, the policy page with %q?\n%s", tc.name, r.StatusCode, tc.want, page)
			continue
		}
		p := mustPostedBack(t, page)
		if p.Kind != "refused" || p.Action != tc.path || p.Field != tc.field {
			t.Errorf("%s: posted back %+v", tc.name, p)
		}
		for k, v := range tc.form {
			if k != "_csrf" && fmt.Sprint(p.Fields[k]) != fmt.Sprint(v) {
				t.Errorf("%s: %s posted back %v, typed %v", tc.name, k, p.Fields[k], v)
			}
		}
	}
	if p := people(); p != pol {
		t.Errorf("a refused form changed the stages' policy: %v → %v", pol, p)
	}
	if p, err := s.sys.Store.ReviewPolicy(ctx, 1); err != nil || fmt.Sprint(p) != fmt.Sprint(review) {
		t.Errorf("a refused form changed the review periods: %v → %v (%v)", review, p, err)
	}

	// Good posts still save.
	if r, _ := admin.req("POST", "/web/admin/policy", url.Values{"_csrf": {tok}, "person": {optional}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a good policy: %d", r.StatusCode)
	}
	if p := people(); p != "["+optional+"]" {
		t.Errorf("the good policy not saved: %v", p)
	}
	if r, _ := admin.req("POST", "/web/admin/policy/review", url.Values{"_csrf": {tok}, "months.news": {"6"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("good review periods: %d", r.StatusCode)
	}
	if p, _ := s.sys.Store.ReviewPolicy(ctx, 1); p["news"] != 6 {
		t.Errorf("the good review periods not saved: %v", p)
	}
}
