package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/services/api"
)

// Periodic review (定期梳理): the heads' and admins' queue of published
// items due for review, keeping one, its validity (有效性), and the
// agency's review periods on the settings page. Withdrawing uses the draft
// page's withdrawal; correcting is the correction flow's, reached from the
// draft page (#correct).

// reviewRow is one item of the review queue or the draft page's review.
type reviewRow struct {
	store.ReviewItem
	Overdue     bool // its date has passed
	CanKeep     bool // the reader may keep it, set its validity and withdraw it
	HasPeriod   bool // its category is reviewed at all
	HasValidity bool // its category carries a validity status
}

// reviewView is the queue page's data.
type reviewView struct {
	Rows       []reviewRow
	Ahead      int
	Today      string
	Validities []domain.Validity
	Codes      []domain.WithdrawalCode
	MaxComment int
}

func (w *Web) today() time.Time { return checks.Today(w.Now()) }

// reviewRowOf is it as the reader sees it on today.
func reviewRowOf(a domain.Actor, it store.ReviewItem, facts domain.DraftFacts, today time.Time) reviewRow {
	return reviewRow{ReviewItem: it, Overdue: it.ReviewDueOn != nil && !it.ReviewDueOn.After(today),
		CanKeep: domain.CanReview(a, facts) == nil, HasPeriod: it.Months > 0, HasValidity: domain.CarriesValidity(it.Category)}
}

// reviewPage is GET /web/review: the reader's periodic-review queue.
func (w *Web) reviewPage(c echo.Context) error {
	a := currentUser(c).Actor()
	today := w.today()
	items, err := w.Store.ReviewQueue(c.Request().Context(), a, today)
	if isRefusal(err) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	if err != nil {
		return err
	}
	v := reviewView{Ahead: store.ReviewQueueAhead, Today: today.Format(domain.DateLayout), Validities: domain.Validities,
		Codes: domain.WithdrawalCodes, MaxComment: domain.MaxComment}
	for _, it := range items {
		// Every item listed is the reader's to review: published, of
		// their department or agency (ReviewQueue's scope is CanReview's).
		v.Rows = append(v.Rows, reviewRow{ReviewItem: it, Overdue: !it.ReviewDueOn.After(today), CanKeep: true,
			HasPeriod: true, HasValidity: domain.CarriesValidity(it.Category)})
	}
	p := w.base(c, "review.title", "review")
	p.Data = v
	return w.render(c, http.StatusOK, "review", p)
}

// draftReview is the review section of a published draft's page (nil for
// any other draft).
func (w *Web) draftReview(c echo.Context, d store.Draft) (*reviewRow, error) {
	if d.PublishedRevision == 0 || d.State == domain.StateWithdrawn {
		return nil, nil
	}
	ctx := c.Request().Context()
	it, err := w.Store.ReviewOf(ctx, d.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	row := reviewRowOf(currentUser(c).Actor(), it, d.Facts(), w.today())
	return &row, nil
}

// backFromReview goes back where the form was: the review queue, or the
// draft's page, with the outcome as a flash.
func (w *Web) backFromReview(c echo.Context, id int64, err error, done string) error {
	if c.FormValue("back") != "review" {
		return w.backToDraft(c, id, err, done)
	}
	return w.backTo(c, fmt.Sprintf("/web/review#item-%d", id), err, done)
}

// keepReviewed is POST /web/drafts/:id/review: keep (保留) after review.
func (w *Web) keepReviewed(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	err := w.Store.KeepReviewed(c.Request().Context(), currentUser(c).Actor(), id, w.today(), strings.TrimSpace(c.FormValue("note")))
	return w.backFromReview(c, id, err, "flash.review_kept")
}

// setValidity is POST /web/drafts/:id/validity: status, on (default
// today), superseded_by (optional), comment. A refusal of what the form
// says comes back in place (validityRefused); any other goes back where
// the form was, as a flash.
func (w *Web) setValidity(c echo.Context) error {
	id, ok := draftID(c)
	if !ok {
		return w.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	in := api.ValidityInput{Status: c.FormValue("status"), On: strings.TrimSpace(c.FormValue("on")), Comment: c.FormValue("comment")}
	if s := strings.TrimSpace(c.FormValue("superseded_by")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return w.validityRefused(c, "superseded_by", w.t(c, "rule."+string(domain.RuleInvalidSuperseding)))
		}
		in.SupersededBy = n
	}
	today := w.today()
	v, err := in.Change(today)
	if err == nil {
		err = w.Store.SetValidity(c.Request().Context(), currentUser(c).Actor(), id, today, v)
	}
	var r *domain.Refusal
	var bad *api.Error
	switch {
	case errors.As(err, &bad) || errors.As(err, &r) && r.Rule == domain.RuleInvalidDate:
		// rule.invalid_date speaks of the forming date's floor: say this one's.
		return w.validityRefused(c, "on", w.t(c, "rule.validity_invalid_date"))
	case errors.As(err, &r) && r.Rule == domain.RuleInvalidSuperseding:
		return w.validityRefused(c, "superseded_by", w.t(c, "rule."+string(r.Rule)))
	case errors.As(err, &r) && r.Rule == domain.RuleTooLong:
		return w.validityRefused(c, "comment", w.t(c, "draft.note_too_long", domain.MaxComment))
	case errors.As(err, &r) && r.Rule == domain.RuleNoValidity && !v.Status.Valid():
		return w.validityRefused(c, "status", w.t(c, "rule."+string(r.Rule)))
	}
	return w.backFromReview(c, id, err, "flash.validity_set")
}

// validityRefused shows the page the validity form was posted from again
// (the review queue or the draft's page), the form as typed and field
// marked (posted.go).
func (w *Web) validityRefused(c echo.Context, field, msg string) error {
	page := w.draftPage
	if c.FormValue("back") == "review" {
		page = w.reviewPage
	}
	return w.refuse(c, field, msg, page)
}

// reviewPolicyRow is one category's review period on the settings page.
type reviewPolicyRow struct {
	Category string
	Months   int
	Default  int
}

// reviewPolicyRows are the agency's periods, in the categories' order.
func (w *Web) reviewPolicyRows(c echo.Context) ([]reviewPolicyRow, error) {
	p, err := w.Store.ReviewPolicy(c.Request().Context(), currentUser(c).AgencyID)
	if err != nil {
		return nil, err
	}
	var rows []reviewPolicyRow
	for _, cat := range domain.Categories {
		rows = append(rows, reviewPolicyRow{Category: cat, Months: p[cat], Default: domain.DefaultReviewMonths(cat)})
	}
	return rows, nil
}

// setReviewPolicy is POST /web/admin/policy/review: a field months.<category>
// per category, in months (empty or 0: never).
func (w *Web) setReviewPolicy(c echo.Context) error {
	if !w.requireRoles(c, domain.RoleAdmin) {
		return w.errorPage(c, http.StatusForbidden, "rule.role_required")
	}
	// A period that is not one: the form again as typed, on the policy
	// page, the first such field marked (posted.go).
	refused := func(field string) error {
		return w.refuse(c, field, w.t(c, "rule.review_policy_invalid"), w.policyPage)
	}
	p := domain.ReviewPolicy{}
	for _, cat := range domain.Categories {
		s := strings.TrimSpace(c.FormValue("months." + cat))
		if s == "" {
			p[cat] = 0
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || (domain.ReviewPolicy{cat: n}).Check() != nil {
			return refused("months." + cat)
		}
		p[cat] = n
	}
	err := w.Store.SetReviewPolicy(c.Request().Context(), currentUser(c).Actor(), p)
	if isRefusal(err) {
		return refused("")
	}
	if err != nil {
		return err
	}
	flash(c, "flash.review_policy_saved")
	return c.Redirect(http.StatusSeeOther, "/web/admin/policy#review-policy")
}

// reviewSection is the draft page's review part (_review.html): the
// item's review, its id and the page's CSRF token for the forms.
type reviewSection struct {
	Row        *reviewRow
	ID         int64
	CSRF       string
	Back       string // "review": the forms go back to the review queue
	Validities []domain.Validity
}
