package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// A finding that points into the title or the body with a suggestion (a
// mask for a personal number, the written form of a document number, the
// approved expression) carries the text that should stand there. Its
// author can take the suggestions of a returned draft with one click: a
// new revision with each chosen span replaced, sent to stage 1 as any
// revision is.

// suggestion is a finding's suggestion its author can apply.
type suggestion struct {
	Key   string // what the form posts: stage:field:start:end
	Quote string // the text it replaces
	Text  string // the text it puts there
}

func suggestionKey(f store.Finding) string {
	return fmt.Sprintf("%s:%s:%d:%d", f.Stage, f.Field, f.Start, f.End)
}

// applicable lists the suggestions of the current revision's findings that
// replace a span of the title or the body.
func applicable(c domain.Content, fs []store.Finding, revision int) []suggestion {
	var out []suggestion
	for _, f := range fs {
		rs := fieldRunes(c, f.Field)
		if f.Revision != revision || f.Suggestion == "" || rs == nil || f.Start < 0 || f.End <= f.Start || f.End > len(rs) {
			continue
		}
		out = append(out, suggestion{Key: suggestionKey(f), Quote: string(rs[f.Start:f.End]), Text: f.Suggestion})
	}
	return out
}

func fieldRunes(c domain.Content, field string) []rune {
	switch field {
	case "title":
		return []rune(c.Title)
	case "body":
		return []rune(c.Body)
	}
	return nil
}

// applySuggestions replaces the chosen findings' spans, the last first so
// the earlier offsets hold; of two overlapping spans the earlier is kept.
func applySuggestions(c domain.Content, fs []store.Finding, revision int, chosen []string) (domain.Content, int) {
	var picked []store.Finding
	for _, f := range fs {
		rs := fieldRunes(c, f.Field)
		if f.Revision == revision && f.Suggestion != "" && rs != nil && f.Start >= 0 && f.End > f.Start && f.End <= len(rs) &&
			slices.Contains(chosen, suggestionKey(f)) {
			picked = append(picked, f)
		}
	}
	slices.SortFunc(picked, func(a, b store.Finding) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(b.Start, a.Start))
	})
	n := 0
	title, body := []rune(c.Title), []rune(c.Body)
	limit := map[string]int{"title": len(title) + 1, "body": len(body) + 1}
	for _, f := range picked {
		if f.End > limit[f.Field] {
			continue // overlaps one applied already
		}
		rs := &body
		if f.Field == "title" {
			rs = &title
		}
		*rs = slices.Concat((*rs)[:f.Start], []rune(f.Suggestion), (*rs)[f.End:])
		limit[f.Field] = f.Start
		n++
	}
	c.Title, c.Body = string(title), string(body)
	return c, n
}

// applySuggested makes the new revision from the draft page's form.
func (w *Web) applySuggested(c echo.Context) error {
	d, err := w.loadVisible(c)
	if err != nil || d.ID == 0 {
		return err
	}
	u := currentUser(c)
	if err := domain.CanRevise(u.Actor(), d.Facts()); err != nil || d.State == domain.StatePublished {
		return w.errorPage(c, http.StatusForbidden, "rule.author_only")
	}
	f, _ := c.FormParams()
	content, n := applySuggestions(d.Content, d.Findings, d.Revision, f["finding"])
	if n == 0 {
		flash(c, "flash.no_suggestion")
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/web/drafts/%d", d.ID))
	}
	if err := api.CheckPublishAt(content, w.Now()); err != nil {
		flash(c, "flash.publish_at_passed")
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/web/drafts/%d/edit", d.ID))
	}
	_, err = w.Store.Revise(c.Request().Context(), u.Actor(), d.ID, d.DepartmentID, content, api.Deadline(w.Calendar, content))
	return w.backToDraft(c, d.ID, err, "flash.suggestions_applied")
}
