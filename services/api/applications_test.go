package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// addHandler gives the harness a case handler ("handler"), who also
// writes drafts in 综合办 when officer is set.
func (h *harness) addHandler(officer bool) {
	h.t.Helper()
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	nu := store.NewUser{Name: "郑承办", Roles: []domain.Role{domain.RoleCaseHandler}}
	if officer {
		nu.Roles, nu.Departments = append(nu.Roles, domain.RoleOfficer), []int64{h.deps["综合办"]}
	}
	u, tok, err := h.store.AddUser(context.Background(), admin, nu)
	if err != nil {
		h.t.Fatal(err)
	}
	h.tokens["handler"], h.ids["handler"] = tok, u.ID
}

// A letter taken in, a 补正 asked and answered, a pause, an outcome; every
// answer matches the document, the officer is refused, input errors are
// 4xx naming the problem, and the case's chain holds each step.
func TestApplicationsAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.addHandler(true)
	body := map[string]any{"route": "letter", "applicant_type": "business", "applicant_name": "某某科技有限公司",
		"applicant_id_number": "91110000MA0000000X", "description": "本街道2026年道路维修的招标文件"}
	h.want(h.do("POST", "/api/v1/applications", "officer", body), http.StatusForbidden, "role_required")
	h.want(h.doInvalid("POST", "/api/v1/applications", "handler", map[string]any{"route": "online", "applicant_type": "natural",
		"applicant_name": "x", "description": "y"}), http.StatusBadRequest, "invalid_route")
	h.want(h.do("POST", "/api/v1/applications", "handler", map[string]any{"route": "letter", "applicant_type": "natural",
		"applicant_name": "x", "description": "y", "received_on": "2099-01-01"}), http.StatusUnprocessableEntity, "invalid_application")
	r := h.want(h.do("POST", "/api/v1/applications", "handler", body), http.StatusCreated, "")
	id := int64(r.body["id"].(float64))
	if r.body["state"] != "received" {
		t.Fatalf("new case: %v", r.body)
	}
	dl := r.body["deadline"].(map[string]any)
	if dl["days_left"].(float64) < 19 || dl["due"] == "" {
		t.Fatalf("deadline: %v", dl)
	}
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	act := func(who string, b map[string]any, status int, code string) resp {
		t.Helper()
		return h.want(h.do("POST", path+"/actions", who, b), status, code)
	}
	h.want(h.doInvalid("POST", path+"/actions", "handler", map[string]any{"action": "dance"}), http.StatusBadRequest, "unknown_action")
	act("handler", map[string]any{"action": "supplement_requested"}, http.StatusUnprocessableEntity, "invalid_application") // no note
	r = act("handler", map[string]any{"action": "supplement_requested", "note": "请写明具体路段"}, http.StatusOK, "")
	if r.body["state"] != "supplement_requested" || r.body["deadline"].(map[string]any)["waiting"] != true {
		t.Fatalf("after the 补正 request: %v", r.body)
	}
	r = act("handler", map[string]any{"action": "extension_requested", "note": "需调取档案"}, http.StatusConflict, "no_such_transition")
	if !strings.Contains(r.zh(), "待补正") {
		t.Fatalf("a refused transition's Chinese: %s", r.raw)
	}
	act("handler", map[string]any{"action": "supplement_received"}, http.StatusOK, "")
	act("handler", map[string]any{"action": "pause_started", "reason": "third_party"}, http.StatusOK, "")
	r = act("admin", map[string]any{"action": "pause_ended"}, http.StatusOK, "")
	if len(r.body["pauses"].([]any)) != 1 {
		t.Fatalf("pauses: %v", r.body["pauses"])
	}
	act("handler", map[string]any{"action": "outcome", "outcome": "partly_disclosed"}, http.StatusOK, "")
	act("handler", map[string]any{"action": "appeal", "appeal_kind": "review", "appeal_outcome": "pending"}, http.StatusOK, "")
	act("handler", map[string]any{"action": "fee", "fee_amount_fen": 5000}, http.StatusOK, "")
	h.want(h.do("GET", path, "officer", nil), http.StatusForbidden, "role_required")
	r = h.want(h.do("GET", path+"/audit", "handler", nil), http.StatusOK, "")
	if n := len(r.body["events"].([]any)); n != 9 { // with the intake's handler_assigned
		t.Fatalf("%d events, want 9: %v", n, r.body["events"])
	}
	r = h.want(h.do("GET", "/api/v1/applications", "handler", nil), http.StatusOK, "")
	if len(r.body["items"].([]any)) != 1 {
		t.Fatalf("queue: %v", r.body)
	}
	r = h.want(h.do("GET", "/api/v1/reports/applications", "auditor", nil), http.StatusOK, "")
	cols := r.body["columns"].(map[string]any)
	if cols["business"].(map[string]any)["new"].(float64) != 1 {
		t.Fatalf("report: %v", r.body)
	}
}

// addUser adds a person of the default agency to the harness as key.
func (h *harness) addUser(key, name string, roles []domain.Role, depts ...int64) {
	h.t.Helper()
	admin := domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	u, tok, err := h.store.AddUser(context.Background(), admin, store.NewUser{Name: name, Roles: roles, Departments: depts})
	if err != nil {
		h.t.Fatal(err)
	}
	h.tokens[key], h.ids[key] = tok, u.ID
}

// A case's handlers and its extension through the API: the handler who
// took the letter in handles it; another handler is refused its identity
// document (403 not_case_handler, in Chinese) until the head of the
// 政府信息公开工作机构 assigns them; ?mine=1 lists one's own cases. The
// handler asks for the extension and cannot approve it (403, in Chinese);
// the head approves it as themselves; a typed approver is refused. Every
// refusal carries message_zh naming the problem.
func TestCaseHandlersAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withBlobs(t))
	h.addHandler(false)
	h.addUser("handler2", "冯承办", []domain.Role{domain.RoleCaseHandler})
	h.addUser("casehead", "公开办主任", []domain.Role{domain.RoleCaseHandler, domain.RoleDeptHead}, h.deps["综合办"])
	received := time.Now().In(domain.Beijing).AddDate(0, 0, -2).Format(domain.DateLayout)
	r := h.want(h.do("POST", "/api/v1/applications", "handler", map[string]any{"route": "letter", "applicant_type": "natural",
		"applicant_name": "张三", "description": "本社区2026年停车位规划", "received_on": received}), http.StatusCreated, "")
	id := int64(r.body["id"].(float64))
	if hs := r.body["handlers"].([]any); len(hs) != 1 || int64(hs[0].(map[string]any)["id"].(float64)) != h.ids["handler"] {
		t.Fatalf("the intake's handlers: %v", r.body["handlers"])
	}
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	act := func(who string, b map[string]any, status int, code string) resp {
		t.Helper()
		return h.want(h.do("POST", path+"/actions", who, b), status, code)
	}
	r = h.want(h.upload(path+"/documents", "handler", "身份证.png", idCard), http.StatusCreated, "")
	docPath := fmt.Sprintf("%s/documents/%d", path, int64(r.body["id"].(float64)))
	for _, who := range []string{"handler2", "casehead"} {
		r = h.want(h.do("GET", docPath, who, nil), http.StatusForbidden, "not_case_handler")
		if !strings.Contains(r.zh(), "不是本案的承办人") {
			t.Fatalf("%s's refusal: %s", who, r.raw)
		}
	}
	r = act("handler2", map[string]any{"action": "handler_assigned", "handler_id": h.ids["handler2"]}, http.StatusForbidden, "role_required")
	if !strings.Contains(r.zh(), "负责人") {
		t.Fatalf("a handler assigning: %s", r.raw)
	}
	r = act("handler2", map[string]any{"action": "taken"}, http.StatusUnprocessableEntity, "invalid_application")
	if !strings.Contains(r.zh(), "郑承办") {
		t.Fatalf("taking a handled case: %s", r.raw)
	}
	r = act("casehead", map[string]any{"action": "handler_assigned", "handler_id": h.ids["handler2"]}, http.StatusOK, "")
	if hs := r.body["handlers"].([]any); len(hs) != 2 {
		t.Fatalf("after the assignment: %v", hs)
	}
	h.want(h.do("GET", docPath, "handler2", nil), http.StatusOK, "")
	for who, n := range map[string]int{"handler2": 1, "casehead": 0, "admin": 0} {
		r = h.want(h.do("GET", "/api/v1/applications?mine=1", who, nil), http.StatusOK, "")
		if got := len(r.body["items"].([]any)); got != n {
			t.Errorf("%s's own cases: %d, want %d", who, got, n)
		}
	}

	// The extension.
	r = act("handler", map[string]any{"action": "extended", "note": "需调取档案"}, http.StatusForbidden, "role_required")
	if !strings.Contains(r.zh(), "政府信息公开工作机构负责人") {
		t.Fatalf("a handler extending: %s", r.raw)
	}
	r = h.want(h.doInvalid("POST", path+"/actions", "casehead", map[string]any{"action": "extended", "approver": "刘主任"}),
		http.StatusBadRequest, "approver_not_typed")
	if !strings.Contains(r.zh(), "负责人本人") {
		t.Fatalf("a typed approver: %s", r.raw)
	}
	r = act("handler", map[string]any{"action": "extension_requested", "note": "需调取档案"}, http.StatusOK, "")
	if req, ok := r.body["extension_request"].(map[string]any); !ok || req["by"] != "郑承办" || req["reason"] != "需调取档案" || r.body["state"] != "received" {
		t.Fatalf("the request: %v", r.body)
	}
	r = act("casehead", map[string]any{"action": "extended"}, http.StatusOK, "")
	if r.body["state"] != "extended" || r.body["extension_approver"] != "公开办主任" ||
		int64(r.body["extension_approver_id"].(float64)) != h.ids["casehead"] || r.body["extension_request"] != nil {
		t.Fatalf("approved: %v", r.body)
	}

	// A refusal of the record names the problem in Chinese.
	r = act("handler", map[string]any{"action": "outcome", "outcome": "disclosed", "on": "2020-01-01"}, http.StatusUnprocessableEntity, "invalid_application")
	if want := fmt.Sprintf("日期2020-01-01早于收到申请之日（%s）", received); !strings.Contains(r.zh(), want) {
		t.Fatalf("a date before the receipt: %s", r.raw)
	}
}

// The public form: an application taken online gets a query code; the
// status page shows its state and dates only; the honeypot takes nothing;
// an address that applies too often is slowed.
func TestPublicApplicationForm(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	post := func(form url.Values, addr string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", h.base+"/public/default/apply", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = addr
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	form := url.Values{"applicant_type": {"research"}, "applicant_name": {"某研究院"}, "applicant_contact": {"ri@example.org"},
		"description": {"2025年度本街道垃圾分类投放点的数量和分布"}, "applicant_phone": {"13812345678"}}
	before := h.applicationCount()
	status, page := post(form, "")
	if status != http.StatusCreated || !strings.Contains(page, `id="query-code"`) {
		t.Fatalf("apply: %d %s", status, page)
	}
	code := regexp.MustCompile(`id="query-code">([0-9A-Z]{12})<`).FindStringSubmatch(page)
	if code == nil {
		t.Fatalf("no query code in %s", page)
	}
	res, err := http.Get(h.base + "/public/default/apply/status?code=" + code[1])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "已收到") || strings.Contains(string(b), "某研究院") || strings.Contains(string(b), "垃圾分类") {
		t.Fatalf("status page: %d %s", res.StatusCode, b)
	}
	res, _ = http.Get(h.base + "/public/default/apply/status?code=WRONGCODE234")
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("a wrong code: %d", res.StatusCode)
	}
	honey := url.Values{"website": {"http://spam.example"}}
	for k, v := range form {
		honey[k] = v
	}
	if status, _ := post(honey, ""); status != http.StatusOK || h.applicationCount() != before+1 {
		t.Fatalf("the honeypot: %d, %d applications", status, h.applicationCount()-before)
	}
	// The limit: five an hour from one address (this test's own first one
	// counted), then 429.
	var last int
	for range 6 {
		last, _ = post(form, "")
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("the sixth and seventh applications from one address: %d", last)
	}
}

func (h *harness) applicationCount() int {
	var n int
	if err := h.store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM applications`).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// The form's limits count an IPv6 client by its /64.
func TestLimitAddress(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":                "203.0.113.7",
		"2001:db8:1:2:aaaa::1":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff:0:9": "2001:db8:1:2::/64",
		"::ffff:203.0.113.7":         "::ffff:203.0.113.7",
		"not an address":             "not an address",
	} {
		if got := api.LimitAddress(in); got != want {
			t.Errorf("LimitAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
