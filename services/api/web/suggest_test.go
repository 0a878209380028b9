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
)

var findingField = regexp.MustCompile(`name="finding" value="([^"]+)"`)

// TestApplySuggestions: a returned draft whose findings suggest a mask is
// corrected by its author with one click: a new revision with the span
// replaced, at stage 1 again; nobody else is offered it.
func TestApplySuggestions(t *testing.T) {
	s := startSite(t)
	wang := s.client()
	wang.signIn("wang", password)
	f := wang.draftForm("关于表彰优秀志愿者的通报")
	f.Set("body", "经社区推荐，决定表彰优秀志愿者王某（身份证号11010519491231002X），特此通报。")
	res, _ := wang.req("POST", "/web/drafts", f)
	var id int64
	if _, err := fmt.Sscanf(res.Header.Get("Location"), "/web/drafts/%d", &id); err != nil {
		t.Fatalf("submitting: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	li, zhao := s.client(), s.client()
	li.signIn("li", password)
	zhao.signIn("zhao", password)
	decide := func(c *client, decision string) {
		_, page := c.req("GET", fmt.Sprintf("/web/drafts/%d", id), nil)
		form := url.Values{"decision": {decision}, "comment": {"请对身份证号作遮盖处理。"}, "return_reason": {"personal_data"}}
		for _, name := range []string{"_csrf", "stage", "revision", "content_sha256"} {
			m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no %s on the draft page", name)
			}
			form.Set(name, m[1])
		}
		c.req("POST", fmt.Sprintf("/web/drafts/%d/decide", id), form)
	}
	// To the first stage that finds the number; the reviewer there returns it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := s.sys.Store.Draft(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.State == domain.StateReturned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the draft stays in %s", d.State)
		}
		if !d.StepDone {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		switch d.State {
		case domain.StateCompliance:
			decide(li, "return")
		case domain.StateConfidentiality:
			decide(zhao, "return")
		}
	}
	if _, page := li.req("GET", fmt.Sprintf("/web/drafts/%d", id), nil); strings.Contains(page, "apply-form") {
		t.Error("a reviewer is offered the author's suggestions")
	}
	_, page := wang.req("GET", fmt.Sprintf("/web/drafts/%d", id), nil)
	keys := findingField.FindAllStringSubmatch(page, -1)
	if len(keys) == 0 {
		t.Fatalf("no suggestion offered: %s", page)
	}
	form := url.Values{"_csrf": {csrfField.FindStringSubmatch(page)[1]}}
	for _, k := range keys {
		form.Add("finding", k[1])
	}
	res, _ = wang.req("POST", fmt.Sprintf("/web/drafts/%d/apply", id), form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d", res.StatusCode)
	}
	d, err := s.sys.Store.Draft(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Revision != 2 || strings.Contains(d.Content.Body, "11010519491231002X") || !strings.Contains(d.Content.Body, "（身份证号") {
		t.Errorf("revision %d: %s", d.Revision, d.Content.Body)
	}
	if _, atStage := domain.StageOf(d.State); !atStage {
		t.Errorf("after applying: %s", d.State)
	}
}
