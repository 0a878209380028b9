package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestExplainRefusedInPlace: an explanation that says nothing, or says too
// much, comes back on the draft page as typed (422), the field marked, and
// the draft stays returned; a real one sends it on.
func TestExplainRefusedInPlace(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	wang, _, _ := s.sys.Store.UserForSignIn(ctx, "wang")
	// An impossible date in the text: stage 1's machine checks return it.
	d, err := s.sys.Store.Submit(ctx, wang.Actor(), wang.Departments[0], domain.Content{Title: "关于做好节日期间安全生产工作的通知",
		Body: body1 + "\n本通知自2026年2月30日起施行。", Department: "综合办", Category: "news",
		Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Now().UTC().Truncate(24 * time.Hour)}, time.Now().AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	s.waitState(d.ID, domain.StateReturned)
	c := s.client()
	c.signIn("wang", password)
	path := fmt.Sprintf("/web/drafts/%d", d.ID)
	_, page := c.req("GET", path, nil)
	if !strings.Contains(page, `id="explain-form"`) {
		t.Fatalf("no explain form:\n%s", page)
	}
	form := url.Values{"_csrf": {csrfField.FindStringSubmatch(page)[1]}, "revision": {"1"}}

	for _, tc := range []struct{ typed, want string }{
		{"\u3000 \u200b", "请写明为什么机器检查的问题是误判。"},
		{"经核实无误。" + strings.Repeat("说", domain.MaxComment), "说明不能超过5000个字符。"},
	} {
		form.Set("explanation", tc.typed)
		r, page := c.req("POST", path+"/explain", form)
		p, ok := postedBack(t, page)
		if r.StatusCode != http.StatusUnprocessableEntity || !ok || p.Kind != "refused" || p.Action != path+"/explain" ||
			p.Field != "explanation" || p.Fields.Get("explanation") != tc.typed || !strings.Contains(page, tc.want) {
			t.Errorf("explanation %.20q: %d, given back %+v, says %q: %v", tc.typed, r.StatusCode, p, tc.want, strings.Contains(page, tc.want))
		}
		if !strings.Contains(page, `id="explain-form"`) {
			t.Errorf("explanation %.20q: the page has no explain form to put it back into", tc.typed)
		}
	}
	if got, err := s.sys.Store.Draft(ctx, d.ID); err != nil || got.State != domain.StateReturned || got.Explanation != "" {
		t.Fatalf("after the refusals: %s, explanation %q (%v)", got.State, got.Explanation, err)
	}

	form.Set("explanation", "信息形成日期按上级文件要求预填，经核实无误。")
	if r, _ := c.req("POST", path+"/explain", form); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != path {
		t.Fatalf("a real explanation: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	if got, err := s.sys.Store.Draft(ctx, d.ID); err != nil || got.Explanation != "信息形成日期按上级文件要求预填，经核实无误。" {
		t.Errorf("the explanation kept: %q (%v)", got.Explanation, err)
	}
}
