package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

func TestDepartments(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("GET", "/api/v1/departments", "officer", nil), http.StatusOK, "")
	if n := len(r.body["departments"].([]any)); n != 2 {
		t.Errorf("%d departments, want 2: %s", n, r.raw)
	}
	r = h.want(h.do("POST", "/api/v1/departments", "admin", map[string]any{"name": " 财务科 "}), http.StatusCreated, "")
	if r.body["name"] != "财务科" {
		t.Errorf("added: %s", r.raw)
	}
	h.want(h.do("POST", "/api/v1/departments", "admin", map[string]any{"name": "财务科"}), http.StatusConflict, "exists")
	h.want(h.do("POST", "/api/v1/departments", "head", map[string]any{"name": "人事科"}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/departments", "admin", map[string]any{"name": "   "}), http.StatusBadRequest, "invalid_name")
	h.want(h.doInvalid("POST", "/api/v1/departments", "admin", map[string]any{"name": ""}), http.StatusBadRequest, "invalid_name")
	h.want(h.doInvalid("POST", "/api/v1/departments", "admin", map[string]any{"name": strings.Repeat("科", 101)}), http.StatusBadRequest, "invalid_name")
	h.want(h.doInvalid("POST", "/api/v1/departments", "admin", map[string]any{"name": "人事科", "code": "rs"}), http.StatusBadRequest, "unknown_field")
	h.want(h.doInvalid("POST", "/api/v1/departments", "admin", map[string]any{"name": 7}), http.StatusBadRequest, "wrong_type")
	if n := len(h.want(h.do("GET", "/api/v1/departments", "auditor", nil), http.StatusOK, "").body["departments"].([]any)); n != 3 {
		t.Errorf("%d departments, want 3", n)
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": "新信息员", "roles": []string{"officer"}, "departments": []string{"执法队"}}), http.StatusCreated, "")
	if r.body["token"] == "" || r.body["name"] != "新信息员" {
		t.Errorf("added: %s", r.raw)
	}
	h.tokens["new"] = r.body["token"].(string)
	mine := h.want(h.do("GET", "/api/v1/drafts", "new", nil), http.StatusOK, "")
	if len(mine.body["drafts"].([]any)) != 0 {
		t.Errorf("a new user's drafts: %s", mine.raw)
	}
	// A user of no department: the answer still has the list.
	r = h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": "新保密员", "roles": []string{"confidentiality"}}), http.StatusCreated, "")
	if deps, ok := r.body["departments"].([]any); !ok || len(deps) != 0 {
		t.Errorf("departments of a user without any: %s", r.raw)
	}

	h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": "新信息员", "roles": []string{"officer"}}), http.StatusConflict, "exists")
	h.want(h.do("POST", "/api/v1/users", "head", map[string]any{"name": "某人", "roles": []string{"officer"}}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": "某人", "roles": []string{"officer"}, "departments": []string{"无此科室"}}), http.StatusUnprocessableEntity, "unknown_department")
	h.want(h.doInvalid("POST", "/api/v1/users", "admin", map[string]any{"name": "某人", "roles": []string{"mayor"}}), http.StatusBadRequest, "unknown_role")
	h.want(h.doInvalid("POST", "/api/v1/users", "admin", map[string]any{"name": "某人", "roles": []string{}}), http.StatusBadRequest, "missing_field")
	h.want(h.doInvalid("POST", "/api/v1/users", "admin", map[string]any{"name": "", "roles": []string{"officer"}}), http.StatusBadRequest, "invalid_name")
	h.want(h.doInvalid("POST", "/api/v1/users", "admin", map[string]any{"name": "某人", "roles": "officer"}), http.StatusBadRequest, "wrong_type")
	h.want(h.doInvalid("POST", "/api/v1/users", "admin", map[string]any{"name": "某人", "roles": []string{"officer"}, "password": "x"}), http.StatusBadRequest, "unknown_field")
	var n int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE name = '某人'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused users written: %d %v", n, err)
	}
}

func TestWordList(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("GET", "/api/v1/wordlist", "admin", nil), http.StatusOK, "")
	if r.body["version"] != 0.0 || len(r.body["words"].([]any)) != 0 {
		t.Errorf("before any list: %s", r.raw)
	}
	r = h.want(h.do("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{"绝密", " 绝密 ", "", "内部资料"}}), http.StatusOK, "")
	if r.body["version"] != 1.0 || len(r.body["words"].([]any)) != 2 {
		t.Errorf("saved: %s", r.raw)
	}
	for _, who := range []string{"sec", "auditor"} {
		if got := h.want(h.do("GET", "/api/v1/wordlist", who, nil), http.StatusOK, ""); got.body["version"] != 1.0 {
			t.Errorf("%s reads %s", who, got.raw)
		}
	}
	h.want(h.do("GET", "/api/v1/wordlist", "officer", nil), http.StatusForbidden, "role_required")
	h.want(h.do("PUT", "/api/v1/wordlist", "sec", map[string]any{"words": []string{}}), http.StatusForbidden, "role_required")
	h.want(h.doInvalid("PUT", "/api/v1/wordlist", "admin", map[string]any{}), http.StatusBadRequest, "missing_field")
	h.want(h.doInvalid("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{strings.Repeat("密", 51)}}), http.StatusBadRequest, "invalid_word")
	h.want(h.doInvalid("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": "绝密"}), http.StatusBadRequest, "wrong_type")
	h.want(h.doInvalid("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{}, "version": 2}), http.StatusBadRequest, "unknown_field")
	r = h.want(h.do("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{}}), http.StatusOK, "")
	if r.body["version"] != 2.0 || len(r.body["words"].([]any)) != 0 {
		t.Errorf("an empty list is a new version: %s", r.raw)
	}
}

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("GET", "/api/v1/deadletters", "admin", nil), http.StatusOK, "")
	if len(r.body["dead_letters"].([]any)) != 0 {
		t.Errorf("no dead letters yet: %s", r.raw)
	}
	draft := h.submit("死信所涉稿件") // a dead letter about a draft is its agency's
	id, err := h.store.AddDeadLetter(context.Background(), store.DeadLetter{Consumer: "stage-compliance", Subject: "sanshen.work.stage.compliance",
		Payload: `{"draft_id":` + itoa(draft) + `,"revision":1,"state":"compliance"}`, MsgID: "m1", Deliveries: 5, LastError: "boom"})
	if err != nil {
		t.Fatal(err)
	}
	r = h.want(h.do("GET", "/api/v1/deadletters", "admin", nil), http.StatusOK, "")
	if l := r.body["dead_letters"].([]any); len(l) != 1 || l[0].(map[string]any)["last_error"] != "boom" {
		t.Errorf("one dead letter: %s", r.raw)
	}
	h.want(h.do("GET", "/api/v1/deadletters", "auditor", nil), http.StatusForbidden, "role_required")
	path := "/api/v1/deadletters/" + itoa(id) + "/replay"
	h.want(h.do("POST", path, "head", nil), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/deadletters/999999/replay", "admin", nil), http.StatusNotFound, "not_found")
	h.want(h.doInvalid("POST", "/api/v1/deadletters/x/replay", "admin", nil), http.StatusBadRequest, "invalid_id")
	r = h.want(h.do("POST", path, "admin", nil), http.StatusOK, "")
	if r.body["id"] != float64(id) || r.body["replayed_at"] == nil {
		t.Errorf("replayed: %s", r.raw)
	}
	r = h.want(h.do("GET", "/api/v1/deadletters", "admin", nil), http.StatusOK, "")
	if r.body["dead_letters"].([]any)[0].(map[string]any)["replayed_at"] == nil {
		t.Errorf("marked replayed: %s", r.raw)
	}
	// A payload that is not JSON would fail again: refused, nothing written.
	bad, err := h.store.AddDeadLetter(context.Background(), store.DeadLetter{Consumer: "stage-compliance", Subject: "sanshen.work.stage.compliance",
		Payload: `not json`, MsgID: "m2", Deliveries: 1, LastError: "invalid message"})
	if err != nil {
		t.Fatal(err)
	}
	// It is about no draft: the platform's, which an agency's admin does not see.
	h.want(h.do("POST", "/api/v1/deadletters/"+itoa(bad)+"/replay", "admin", nil), http.StatusNotFound, "not_found")
	h.want(h.do("POST", "/api/v1/deadletters/"+itoa(bad)+"/replay", "platform", nil), http.StatusUnprocessableEntity, "unreplayable")
	var n int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM dead_letters WHERE id = $1 AND replayed_at IS NULL`, bad).Scan(&n); err != nil || n != 1 {
		t.Errorf("the refused replay was marked: %d %v", n, err)
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("GET", "/api/v1/policy", "auditor", nil), http.StatusOK, "")
	if len(r.body["person_stages"].([]any)) != 0 || fmt.Sprint(r.body["optional"]) != "[completeness]" {
		t.Errorf("the default policy: %s", r.raw)
	}
	r = h.want(h.do("PUT", "/api/v1/policy", "admin", map[string]any{"person_stages": []string{"completeness"}}), http.StatusOK, "")
	if fmt.Sprint(r.body["person_stages"]) != "[completeness]" {
		t.Errorf("saved: %s", r.raw)
	}
	if p, err := h.store.Policy(context.Background(), 1); err != nil || !p.Requires(domain.StageCompleteness) {
		t.Errorf("stored policy %+v, %v", p, err)
	}
	h.want(h.do("PUT", "/api/v1/policy", "head", map[string]any{"person_stages": []string{}}), http.StatusForbidden, "role_required")
	h.want(h.do("GET", "/api/v1/policy", "officer", nil), http.StatusForbidden, "role_required")
	// Stages 2 and 3 always have a person; they cannot be chosen.
	h.want(h.do("PUT", "/api/v1/policy", "admin", map[string]any{"person_stages": []string{"compliance"}}), http.StatusUnprocessableEntity, "invalid_policy")
	h.want(h.do("PUT", "/api/v1/policy", "admin", map[string]any{"person_stages": []string{"legal"}}), http.StatusUnprocessableEntity, "invalid_policy")
	h.want(h.doInvalid("PUT", "/api/v1/policy", "admin", map[string]any{}), http.StatusBadRequest, "missing_field")
	h.want(h.doInvalid("PUT", "/api/v1/policy", "admin", map[string]any{"person_stages": "completeness"}), http.StatusBadRequest, "wrong_type")
	if p, _ := h.store.Policy(context.Background(), 1); !p.Requires(domain.StageCompleteness) || len(p.People) != 1 {
		t.Errorf("a refused change was written: %+v", p)
	}
	h.want(h.do("PUT", "/api/v1/policy", "admin", map[string]any{"person_stages": []string{}}), http.StatusOK, "")
	var n int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE action = 'policy_set'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d policy changes audited, want 2 (%v)", n, err)
	}
}

func TestAgencies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.want(h.do("GET", "/api/v1/agencies", "officer", nil), http.StatusOK, "")
	if l := r.body["agencies"].([]any); len(l) != 1 || l[0].(map[string]any)["slug"] != "default" {
		t.Errorf("one agency to start with: %s", r.raw)
	}
	body := map[string]any{"slug": "xinjie", "name": "新街街道办事处", "admin_name": "新街管理员"}
	h.want(h.do("POST", "/api/v1/agencies", "admin", body), http.StatusForbidden, "role_required")
	r = h.want(h.do("POST", "/api/v1/agencies", "platform", body), http.StatusCreated, "")
	if r.body["agency"].(map[string]any)["slug"] != "xinjie" || r.body["admin"].(map[string]any)["token"] == "" {
		t.Fatalf("added: %s", r.raw)
	}
	h.tokens["xadmin"] = r.body["admin"].(map[string]any)["token"].(string)
	h.want(h.do("POST", "/api/v1/agencies", "platform", body), http.StatusConflict, "exists")
	for _, slug := range []string{"items", "feed.json", "Xinjie", "新街", "x", "-a", "all"} {
		h.want(h.do("POST", "/api/v1/agencies", "platform", map[string]any{"slug": slug, "name": "某机关", "admin_name": "某管理员" + slug}),
			http.StatusUnprocessableEntity, "invalid_slug")
	}
	h.want(h.doInvalid("POST", "/api/v1/agencies", "platform", map[string]any{"slug": "ok", "name": "", "admin_name": "a"}), http.StatusBadRequest, "invalid_name")
	if n := len(h.want(h.do("GET", "/api/v1/agencies", "auditor", nil), http.StatusOK, "").body["agencies"].([]any)); n != 2 {
		t.Errorf("%d agencies after the refusals, want 2", n)
	}

	// The new agency's admin manages only it: its departments and people
	// are its own, and the default agency's are out of reach.
	h.want(h.do("POST", "/api/v1/departments", "xadmin", map[string]any{"name": "综合办"}), http.StatusCreated, "")
	deps := h.want(h.do("GET", "/api/v1/departments", "xadmin", nil), http.StatusOK, "").body["departments"].([]any)
	if len(deps) != 1 {
		t.Errorf("the new agency sees %d departments, want its own 1", len(deps))
	}
	h.want(h.do("POST", "/api/v1/users", "xadmin", map[string]any{"name": "新街信息员", "roles": []string{"officer"}, "departments": []string{"综合办"}}), http.StatusCreated, "")
	h.want(h.do("POST", "/api/v1/users", "xadmin", map[string]any{"name": "越界者", "roles": []string{"officer"}, "agency": "default"}), http.StatusForbidden, "agency_scope")
	h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": "越界者", "roles": []string{"admin"}, "agency": "xinjie"}), http.StatusForbidden, "agency_scope")
	// A platform admin gives an agency another admin, and nothing else.
	h.want(h.do("POST", "/api/v1/users", "platform", map[string]any{"name": "新街副管理员", "roles": []string{"admin"}, "agency": "xinjie"}), http.StatusCreated, "")
	h.want(h.do("POST", "/api/v1/users", "platform", map[string]any{"name": "新街审计", "roles": []string{"auditor"}, "agency": "xinjie"}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/users", "platform", map[string]any{"name": "某人", "roles": []string{"admin"}, "agency": "nowhere"}), http.StatusUnprocessableEntity, "unknown_agency")
	var n int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE name IN ('越界者', '新街审计', '某人')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused users written: %d %v", n, err)
	}
	// Each agency's audit trail verifies on its own; the platform's whole.
	h.want(h.do("GET", "/api/v1/audit/verify", "xadmin", nil), http.StatusOK, "")
	h.want(h.do("GET", "/api/v1/audit/verify?scope=platform", "admin", nil), http.StatusForbidden, "role_required")
	if r := h.want(h.do("GET", "/api/v1/audit/verify?scope=platform", "platform", nil), http.StatusOK, ""); r.body["ok"] != true {
		t.Errorf("platform verify: %s", r.raw)
	}
	h.want(h.doInvalid("GET", "/api/v1/audit/verify?scope=galaxy", "auditor", nil), http.StatusBadRequest, "invalid_scope")
}

func TestWordListsPlatformAndAgency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.want(h.do("PUT", "/api/v1/wordlist?scope=platform", "admin", map[string]any{"words": []string{"绝密"}}), http.StatusForbidden, "role_required")
	r := h.want(h.do("PUT", "/api/v1/wordlist?scope=platform", "platform", map[string]any{"words": []string{"绝密", "机密"}}), http.StatusOK, "")
	if r.body["version"] != 1.0 {
		t.Errorf("platform list: %s", r.raw)
	}
	r = h.want(h.do("PUT", "/api/v1/wordlist", "admin", map[string]any{"words": []string{"内部资料"}}), http.StatusOK, "")
	if r.body["version"] != 1.0 {
		t.Errorf("the agency's additions are numbered on their own: %s", r.raw)
	}
	if r := h.want(h.do("GET", "/api/v1/wordlist?scope=platform", "sec", nil), http.StatusOK, ""); len(r.body["words"].([]any)) != 2 {
		t.Errorf("platform list read by a reviewer: %s", r.raw)
	}
	if r := h.want(h.do("GET", "/api/v1/wordlist", "sec", nil), http.StatusOK, ""); len(r.body["words"].([]any)) != 1 {
		t.Errorf("agency list read by a reviewer: %s", r.raw)
	}
}

// An agency's admin cannot make a platform admin: that would give them
// every agency.
func TestNoPlatformAdminFromAnAgency(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": "提权者", "roles": []string{"platform_admin"}}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": "提权者", "roles": []string{"admin", "platform_admin"}}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/users", "platform", map[string]any{"name": "第二平台管理员", "roles": []string{"platform_admin"}}), http.StatusCreated, "")
}
