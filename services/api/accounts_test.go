package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/password"
	"github.com/sanshen-gov/sanshen/internal/totp"
)

var cliOp = domain.Actor{Name: "test", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}

func tokenIDs(r resp) []int64 {
	var out []int64
	for _, t := range r.body["tokens"].([]any) {
		out = append(out, int64(t.(map[string]any)["id"].(float64)))
	}
	return out
}

// TestTokens: a token has a name, a last use and an expiry; its owner and
// the agency's admins list and revoke it; nobody else sees it.
func TestTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.secondAgency()
	ctx := context.Background()
	r := h.want(h.do("GET", "/api/v1/tokens", "officer", nil), http.StatusOK, "")
	toks := r.body["tokens"].([]any)
	if len(toks) != 1 {
		t.Fatalf("the officer's tokens: %s", r.raw)
	}
	tok := toks[0].(map[string]any)
	expires, _ := time.Parse(time.RFC3339Nano, tok["expires_at"].(string))
	if tok["name"] != "初始令牌" || tok["last_used_at"] == nil || tok["revoked_at"] != nil ||
		expires.Sub(time.Now()) < 89*24*time.Hour || expires.Sub(time.Now()) > 91*24*time.Hour {
		t.Fatalf("a new token: %s", r.raw)
	}
	officer := fmt.Sprint(h.ids["officer"])
	h.want(h.do("GET", "/api/v1/tokens?user="+officer, "admin", nil), http.StatusOK, "")
	h.want(h.do("GET", "/api/v1/tokens?user="+fmt.Sprint(h.ids["admin"]), "officer", nil), http.StatusForbidden, "role_required")
	h.want(h.do("GET", "/api/v1/tokens?user="+officer, "platform", nil), http.StatusForbidden, "role_required")
	h.want(h.do("GET", "/api/v1/tokens?user="+fmt.Sprint(h.ids["x-officer"]), "admin", nil), http.StatusNotFound, "not_found")
	h.want(h.do("GET", "/api/v1/tokens?user=999999", "admin", nil), http.StatusNotFound, "not_found")

	// A second token, made at the shell; the admin revokes the first.
	u, _ := h.store.PersonByName(ctx, "王信息员")
	_, second, err := h.store.AddToken(ctx, cliOp, u.ID, "脚本")
	if err != nil {
		t.Fatal(err)
	}
	h.want(h.do("POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", tokenIDs(r)[0]), "head", nil), http.StatusForbidden, "role_required")
	rv := h.want(h.do("POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", tokenIDs(r)[0]), "admin", nil), http.StatusOK, "")
	if rv.body["revoked_at"] == nil {
		t.Fatalf("revoked: %s", rv.raw)
	}
	h.want(h.do("GET", "/api/v1/drafts", "officer", nil), http.StatusUnauthorized, "invalid_token")
	h.tokens["officer"] = second
	mine := h.want(h.do("GET", "/api/v1/tokens", "officer", nil), http.StatusOK, "")
	if len(tokenIDs(mine)) != 2 {
		t.Fatalf("the officer's tokens after a revocation: %s", mine.raw)
	}
	// A token past its expiry is refused, cached or not.
	if _, err := h.store.Pool.Exec(ctx, `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	h.want(h.do("GET", "/api/v1/drafts", "officer", nil), http.StatusUnauthorized, "invalid_token")
	h.want(h.do("POST", "/api/v1/tokens/999999/revoke", "admin", nil), http.StatusNotFound, "not_found")
}

// TestDisableAccount: a disabled account's sessions and tokens end at once;
// an admin never disables themselves, nor an agency's admin a platform admin.
func TestDisableAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	u, _ := h.store.PersonByName(ctx, "王信息员")
	sid, _, err := h.store.CreateSession(ctx, u.User, time.Hour, "test", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/users/%d/", h.ids["officer"])
	h.want(h.do("POST", path+"disable", "head", nil), http.StatusForbidden, "role_required")
	r := h.want(h.do("POST", path+"disable", "admin", nil), http.StatusOK, "")
	if r.body["disabled"] != true {
		t.Fatalf("disabled: %s", r.raw)
	}
	h.want(h.do("GET", "/api/v1/drafts", "officer", nil), http.StatusUnauthorized, "invalid_token")
	if _, _, err := h.store.SessionUser(ctx, sid, time.Hour); err == nil {
		t.Fatal("a disabled account's session still works")
	}
	r = h.want(h.do("POST", path+"enable", "admin", nil), http.StatusOK, "")
	if r.body["disabled"] != false {
		t.Fatalf("enabled: %s", r.raw)
	}
	h.want(h.do("GET", "/api/v1/drafts", "officer", nil), http.StatusUnauthorized, "invalid_token") // tokens stay revoked
	h.want(h.do("POST", fmt.Sprintf("/api/v1/users/%d/disable", h.ids["admin"]), "admin", nil), http.StatusForbidden, "not_on_yourself")
	h.want(h.do("POST", fmt.Sprintf("/api/v1/users/%d/disable", h.ids["platform"]), "admin", nil), http.StatusForbidden, "role_required")
	h.secondAgency()
	h.want(h.do("POST", fmt.Sprintf("/api/v1/users/%d/disable", h.ids["x-officer"]), "admin", nil), http.StatusNotFound, "not_found")
	h.want(h.doInvalid("POST", "/api/v1/users/abc/disable", "admin", nil), http.StatusBadRequest, "invalid_id")
	var events int
	if err := h.store.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action IN ('user_disable', 'user_enable')`).Scan(&events); err != nil || events != 2 {
		t.Fatalf("audited: %d %v", events, err)
	}
}

// TestResetSecondFactor: an admin removes a lost authenticator; it is audited.
func TestResetSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	sec, _ := h.store.PersonByName(ctx, "赵保密")
	if err := h.store.EnrolTOTP(ctx, sec.Actor(), []byte("sealed"), 1, [][]byte{totp.HashRecoveryCode("aaaa-bbbb-cccc-dddd-eeee-ffff")}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/users/%d/second-factor/reset", sec.ID)
	h.want(h.do("POST", path, "auditor", nil), http.StatusForbidden, "role_required")
	r := h.want(h.do("POST", path, "admin", nil), http.StatusOK, "")
	if r.body["second_factor"] != false {
		t.Fatalf("after the reset: %s", r.raw)
	}
	p, _ := h.store.PersonByID(ctx, 1, sec.ID)
	if p.SecondFactor || p.RecoveryLeft != 0 {
		t.Fatalf("the second factor survived the reset: %+v", p)
	}
	var n int
	if err := h.store.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action IN ('totp_enrol', 'totp_reset')`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("enrolment and reset audited: %d %v", n, err)
	}
}

// TestChangePassword: one's own password, given the current one, under
// the sign-in brakes; the new one meets the policy.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	u, _ := h.store.PersonByName(ctx, "王信息员")
	hash, _ := password.NewHasher(password.Test, 0).Hash(ctx, "the first long passphrase")
	if err := h.store.SetPassword(ctx, cliOp, u.ID, hash); err != nil {
		t.Fatal(err)
	}
	h.tokens["officer"] = h.newToken(u.ID) // the reset revoked the tokens
	sid, _, _ := h.store.CreateSession(ctx, u.User, time.Hour, "test", "127.0.0.1")
	change := func(current, next string) resp {
		return h.do("PUT", "/api/v1/account/password", "officer", map[string]any{"current": current, "new": next})
	}
	h.want(change("the first long passphrase", "password1234"), http.StatusUnprocessableEntity, "password_common")
	h.want(change("the first long passphrase", "short"), http.StatusUnprocessableEntity, "password_too_short")
	h.want(change("the first long passphrase", "王信息员20242024"), http.StatusUnprocessableEntity, "password_context")
	if r := change("the first long passphrase", "a second, longer passphrase"); r.status != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.status, r.raw)
	}
	if _, _, err := h.store.SessionUser(ctx, sid, time.Hour); err == nil {
		t.Fatal("a web session survived the password change")
	}
	// Guessing the current password through the API meets the brakes.
	for range 5 {
		h.want(change("a guess at it", "yet another long passphrase"), http.StatusForbidden, "wrong_password")
	}
	r := h.want(change("a second, longer passphrase", "yet another long passphrase"), http.StatusTooManyRequests, "rate_limited")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	h.want(h.doInvalid("PUT", "/api/v1/account/password", "officer", map[string]any{"current": "x"}), http.StatusBadRequest, "missing_field")
}

func (h *harness) newToken(userID int64) string {
	h.t.Helper()
	_, tok, err := h.store.AddToken(context.Background(), cliOp, userID, "test")
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// TestSignInLocks: the brakes in force, as an agency's admins (their
// people's names) and platform admins (everything) see and clear them.
func TestSignInLocks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.secondAgency()
	ctx := context.Background()
	for range 6 {
		if err := h.store.RecordSignInFailure(ctx, "王信息员", "203.0.113.7", "wrong_password"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 21 {
		if err := h.store.RecordSignInFailure(ctx, fmt.Sprintf("nobody-%d", i), "198.51.100.9", "unknown_user"); err != nil {
			t.Fatal(err)
		}
	}
	scopes := func(who string) string {
		r := h.want(h.do("GET", "/api/v1/signin-locks", who, nil), http.StatusOK, "")
		var out []string
		for _, l := range r.body["locks"].([]any) {
			m := l.(map[string]any)
			out = append(out, fmt.Sprint(m["scope"], ":", m["name"], ":", m["address"]))
		}
		return strings.Join(out, " ")
	}
	if got := scopes("admin"); got != "account:王信息员:203.0.113.7" {
		t.Fatalf("the agency's admin sees %q", got)
	}
	if got := scopes("platform"); !strings.Contains(got, "address:<nil>:198.51.100.9") || !strings.Contains(got, "account:王信息员") {
		t.Fatalf("a platform admin sees %q", got)
	}
	h.want(h.do("GET", "/api/v1/signin-locks", "head", nil), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/signin-locks/clear", "admin", map[string]any{"address": "198.51.100.9"}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/signin-locks/clear", "head", map[string]any{"name": "王信息员"}), http.StatusForbidden, "role_required")
	h.want(h.do("POST", "/api/v1/signin-locks/clear", "admin", map[string]any{}), http.StatusBadRequest, "missing_field")
	r := h.want(h.do("POST", "/api/v1/signin-locks/clear", "admin", map[string]any{"name": "王信息员"}), http.StatusOK, "")
	if r.body["cleared"] != float64(6) || scopes("admin") != "" {
		t.Fatalf("cleared: %s, left: %q", r.raw, scopes("admin"))
	}
	h.want(h.do("POST", "/api/v1/signin-locks/clear", "platform", map[string]any{"address": "198.51.100.9"}), http.StatusOK, "")
	if got := scopes("platform"); got != "" {
		t.Fatalf("left after clearing: %q", got)
	}
	f, now, _ := h.store.SignInFailures(ctx, "王信息员", "203.0.113.7")
	if domain.SignInWait(f, now) != 0 {
		t.Fatal("the brake holds after it was cleared")
	}
}

// TestNamesAndDates: names invisible or confusable with the system's own
// actors are refused for people, departments and agencies; a date before
// 1949-10-01 is refused.
func TestNamesAndDates(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for name, code := range map[string]string{
		"sanshen": "reserved_name", "SanShen": "reserved_name", "ｓａｎｓｈｅｎ": "reserved_name", "s\u0430nshen": "reserved_name",
		"cli:root": "reserved_name", "CLI": "reserved_name", "三审": "reserved_name", "system": "reserved_name",
		"ad\u202emin": "invalid_name", "王\u200b科长": "invalid_name", "\u3164": "invalid_name", "王  科长": "invalid_name",
	} {
		h.want(h.do("POST", "/api/v1/users", "admin", map[string]any{"name": name, "roles": []string{"officer"}}), http.StatusBadRequest, code)
		h.want(h.do("POST", "/api/v1/departments", "admin", map[string]any{"name": name}), http.StatusBadRequest, code)
		h.want(h.do("POST", "/api/v1/agencies", "platform", map[string]any{"slug": "xinjie", "name": name, "admin_name": "新街管理员"}), http.StatusBadRequest, code)
	}
	// The store refuses them too, whoever asks (the shell, a page).
	if _, err := h.store.AddDepartment(context.Background(), cliOp, "ｓａｎｓｈｅｎ"); err == nil {
		t.Fatal("the store took a name that reads like the system's")
	}
	early := draftBody("旧文件")
	early["formed_on"] = "1949-09-30"
	h.want(h.do("POST", "/api/v1/drafts", "officer", early), http.StatusBadRequest, "invalid_date")
	early["formed_on"] = "0001-01-01"
	h.want(h.do("POST", "/api/v1/drafts", "officer", early), http.StatusBadRequest, "invalid_date")
	early["formed_on"] = "1949-10-01"
	h.want(h.do("POST", "/api/v1/drafts", "officer", early), http.StatusCreated, "")
}

// TestBadBytes: NUL characters and invalid UTF-8 anywhere in a request are
// a 400 that names the field, never a 500.
func TestBadBytes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	msg := func(r resp) string { return fmt.Sprint(r.body["error"].(map[string]any)["message"]) }
	for q, code := range map[string]string{"%00": "invalid_text", "a%ffb": "invalid_utf8", "%c0%80": "invalid_utf8"} {
		r := h.want(h.do("GET", "/api/v1/queue?stage=compliance&q="+q, "head", nil), http.StatusBadRequest, code)
		if !strings.Contains(msg(r), `parameter "q"`) {
			t.Errorf("?q=%s: %s does not name the parameter", q, r.raw)
		}
	}
	for name, c := range map[string]struct{ body, code, field string }{
		"NUL in a string":         {`{"title":"标题\u0000"}`, "invalid_text", `"title"`},
		"invalid UTF-8":           {"{\"body\":\"正文\xff\"}", "invalid_utf8", `"body"`},
		"a lone surrogate":        {`{"title":"\ud800x"}`, "invalid_utf8", `"title"`},
		"a reversed pair":         {`{"title":"\udc00\ud800"}`, "invalid_utf8", `"title"`},
		"in a list":               {`{"channels":["website","\u0000"]}`, "invalid_text", `"channels[1]"`},
		"in a field's name":       {`{"ti\u0000tle":"x"}`, "invalid_text", `field "ti`},
		"a raw NUL":               {"{\"title\":\"a\x00b\"}", "invalid_text", `"title"`},
		"an escaped backslash-u0": {`{"title":"\\u0000","body":"\u0000"}`, "invalid_text", `"body"`},
	} {
		r := h.want(h.doInvalid("POST", "/api/v1/drafts", "officer", c.body), http.StatusBadRequest, c.code) // the document refuses them too
		if !strings.Contains(msg(r), c.field) {
			t.Errorf("%s: %s does not name %s", name, r.raw, c.field)
		}
	}
	// A pair that is a real character passes the check (and fails for what it lacks).
	h.want(h.doInvalid("POST", "/api/v1/drafts", "officer", `{"title":"\ud83d\ude00"}`), http.StatusBadRequest, "missing_field")
	if n := h.draftCount(); n != 0 {
		t.Fatalf("%d drafts written from bad bytes", n)
	}
}
