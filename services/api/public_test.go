package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// secondAgency adds the agency "xinjie" with its 综合办, an officer, a head
// and a confidentiality reviewer (x-officer, x-head, x-sec), and returns it.
func (h *harness) secondAgency() store.Agency {
	h.t.Helper()
	ctx := context.Background()
	op := domain.Actor{Name: "test", Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	a, _, _, err := h.store.AddAgency(ctx, op, "xinjie", "新街街道办事处", store.NewUser{Name: "新街管理员"})
	if err != nil {
		h.t.Fatal(err)
	}
	op.AgencyID = a.ID
	dep, err := h.store.AddDepartment(ctx, op, "综合办")
	if err != nil {
		h.t.Fatal(err)
	}
	for key, role := range map[string]domain.Role{"x-officer": domain.RoleOfficer, "x-head": domain.RoleDeptHead, "x-sec": domain.RoleConfidentiality} {
		nu := store.NewUser{Name: "新街" + key, Roles: []domain.Role{role}}
		if role != domain.RoleConfidentiality {
			nu.Departments = []int64{dep.ID}
		}
		u, tok, err := h.store.AddUser(ctx, op, nu)
		if err != nil {
			h.t.Fatal(err)
		}
		h.tokens[key], h.ids[key] = tok, u.ID
	}
	return a
}

// publishedIn brings a draft of the second agency to published.
func (h *harness) publishedIn(title string) int64 {
	h.t.Helper()
	r := h.want(h.do("POST", "/api/v1/drafts", "x-officer", draftBody(title)), http.StatusCreated, "")
	id := int64(r.body["id"].(float64))
	h.advance(id)
	h.advance(id)
	h.want(h.decide(id, "x-head", domain.StageCompliance, "approve", nil), http.StatusOK, "")
	h.advance(id)
	h.want(h.decide(id, "x-sec", domain.StageConfidentiality, "approve", nil), http.StatusOK, "")
	h.advance(id)
	return id
}

// get fetches a public page without following redirects.
func (h *harness) get(path string) (int, http.Header, string) {
	h.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(h.base + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// TestPublicColumnsPerAgency: each agency's column and feed show its own
// items only; the platform's index and feed show every agency's; the URLs
// from before agencies answer 301 to the same item.
func TestPublicColumnsPerAgency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.secondAgency()
	own := h.published("建国门街道冬季消防安全检查")
	other := h.publishedIn("新街街道垃圾分类宣传")

	status, _, page := h.get("/public/default/")
	if status != 200 || !strings.Contains(page, "建国门街道冬季消防安全检查") || strings.Contains(page, "新街街道垃圾分类宣传") {
		t.Errorf("the default agency's column (%d): %s", status, page)
	}
	status, _, page = h.get("/public/xinjie/")
	if status != 200 || !strings.Contains(page, "新街街道垃圾分类宣传") || strings.Contains(page, "建国门街道冬季消防安全检查") || !strings.Contains(page, "新街街道办事处") {
		t.Errorf("xinjie's column (%d): %s", status, page)
	}
	status, _, page = h.get("/public/")
	if status != 200 || !strings.Contains(page, "新街街道垃圾分类宣传") || !strings.Contains(page, "建国门街道冬季消防安全检查") || !strings.Contains(page, `href="/public/xinjie/"`) {
		t.Errorf("the platform index (%d): %s", status, page)
	}
	// An item is found in its own agency's column only.
	if status, _, _ := h.get("/public/xinjie/items/" + itoa(own)); status != http.StatusNotFound {
		t.Errorf("the default agency's item in xinjie's column: %d", status)
	}
	if status, _, page := h.get("/public/xinjie/items/" + itoa(other)); status != 200 || !strings.Contains(page, "新街街道垃圾分类宣传") {
		t.Errorf("xinjie's item: %d", status)
	}
	for _, path := range []string{"/public/nowhere/", "/public/nowhere/feed.json", "/public/nowhere/items/" + itoa(own)} {
		if status, _, _ := h.get(path); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, status)
		}
	}

	// Links shared before agencies keep working.
	for path, want := range map[string]string{
		"/public/items/" + itoa(own):   "/public/default/items/" + itoa(own),
		"/public/items/" + itoa(other): "/public/xinjie/items/" + itoa(other),
		"/public/feed.json":            "/public/default/feed.json",
		"/public/xinjie":               "/public/xinjie/",
	} {
		status, hdr, _ := h.get(path)
		if status != http.StatusMovedPermanently || hdr.Get("Location") != want {
			t.Errorf("%s: %d to %q, want 301 to %s", path, status, hdr.Get("Location"), want)
		}
	}

	feedIDs := func(path string) []string {
		t.Helper()
		status, hdr, body := h.get(path)
		if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/feed+json") {
			t.Fatalf("%s: %d %s", path, status, hdr.Get("Content-Type"))
		}
		var f struct {
			Items []struct{ ID, URL string }
		}
		if err := json.Unmarshal([]byte(body), &f); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range f.Items {
			out = append(out, it.ID+" "+it.URL)
		}
		return out
	}
	if got := feedIDs("/public/default/feed.json"); len(got) != 1 || !strings.HasSuffix(got[0], "/public/default/items/"+itoa(own)) {
		t.Errorf("the default agency's feed: %v", got)
	}
	if got := feedIDs("/public/xinjie/feed.json"); len(got) != 1 || !strings.HasSuffix(got[0], "/public/xinjie/items/"+itoa(other)) {
		t.Errorf("xinjie's feed: %v", got)
	}
	if got := feedIDs("/public/all.json"); len(got) != 2 {
		t.Errorf("the platform's feed: %v", got)
	}
}

// TestNothingCrossesAgencies: another agency's people reach none of an
// agency's drafts, queues, trail, lists or settings.
func TestNothingCrossesAgencies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.secondAgency()
	id := h.reviewed("待终审的通知")
	path := "/api/v1/drafts/" + itoa(id)
	h.want(h.do("GET", path, "x-sec", nil), http.StatusNotFound, "not_found")
	h.want(h.do("GET", path+"/audit", "x-sec", nil), http.StatusNotFound, "not_found")
	h.want(h.decide(id, "x-sec", domain.StageConfidentiality, "approve", nil), http.StatusNotFound, "not_found")
	if q := h.want(h.do("GET", "/api/v1/queue?stage=confidentiality", "x-sec", nil), http.StatusOK, ""); len(q.body["items"].([]any)) != 0 {
		t.Errorf("another agency's reviewer's queue: %s", q.raw)
	}
	if q := h.want(h.do("GET", "/api/v1/queue?stage=confidentiality", "sec", nil), http.StatusOK, ""); len(q.body["items"].([]any)) != 1 {
		t.Errorf("the agency's own reviewer's queue: %s", q.raw)
	}
	if d := h.want(h.do("GET", "/api/v1/departments", "x-officer", nil), http.StatusOK, ""); len(d.body["departments"].([]any)) != 1 {
		t.Errorf("another agency's departments listed: %s", d.raw)
	}
	// Its officer cannot submit for the agency's department of the same name:
	// the name is looked up in their own agency.
	r := h.want(h.do("POST", "/api/v1/drafts", "x-officer", draftBody("新街稿件")), http.StatusCreated, "")
	if d := h.draft(int64(r.body["id"].(float64))); d.AgencyID == store.DefaultAgency {
		t.Errorf("a draft of xinjie's officer belongs to the default agency")
	}
	if p := h.want(h.do("GET", "/api/v1/drafts", "x-officer", nil), http.StatusOK, ""); len(p.body["drafts"].([]any)) != 1 {
		t.Errorf("xinjie's officer's drafts: %s", p.raw)
	}
}
