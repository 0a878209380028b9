package web_test

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"testing"
)

// postedForm is a refused form as the page gives it back (posted.go's
// #posted-form, which app.js puts into the form): where it posted, its
// fields as typed and the field marked.
type postedForm struct {
	Kind, Action, Field string
	Fields              url.Values
}

var postedDiv = regexp.MustCompile(`<div hidden id="posted-form" data-kind="([^"]*)" data-action="([^"]*)" data-fields="([^"]*)" data-field="([^"]*)"`)

// postedBack reads the form a refusal gives back from page (ok false
// when it gives none).
func postedBack(t *testing.T, page string) (postedForm, bool) {
	t.Helper()
	m := postedDiv.FindStringSubmatch(page)
	if m == nil {
		return postedForm{}, false
	}
	f := postedForm{Kind: m[1], Action: html.UnescapeString(m[2]), Field: m[4]}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[3])), &f.Fields); err != nil {
		t.Fatalf("the posted form's fields %q: %v", m[3], err)
	}
	return f, true
}

// mustPostedBack is postedBack of a page that must give a form back.
func mustPostedBack(t *testing.T, page string) postedForm {
	t.Helper()
	f, ok := postedBack(t, page)
	if !ok {
		t.Errorf("no form posted back")
	}
	return f
}
