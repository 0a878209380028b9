package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sanshen-gov/sanshen/internal/checks"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Periodic review (定期梳理) and validity (有效性) of published items: the
// queue, keeping an item, its validity status, the agency's periods and
// the annual report's counts. Correcting an item is the correction flow's;
// withdrawing it is POST /drafts/{id}/withdraw.

// ReviewJSON is a published item's review as the API shows it.
type ReviewJSON struct {
	ID          int64  `json:"id"`
	Title       string `json:"title"`
	Department  string `json:"department"`
	Category    string `json:"category"`
	PublishedOn string `json:"published_on"`
	// Months is the category's review period (0: never reviewed).
	Months         int           `json:"review_months"`
	LastReviewedOn string        `json:"last_reviewed_on,omitempty"`
	ReviewDueOn    string        `json:"review_due_on,omitempty"`
	Validity       *ValidityJSON `json:"validity,omitempty"`
}

// ValidityJSON is an item's recorded validity status.
type ValidityJSON struct {
	Status       domain.Validity `json:"status"`
	On           string          `json:"on"`
	SupersededBy int64           `json:"superseded_by,omitempty"`
}

// ReviewOut is it as JSON.
func ReviewOut(it store.ReviewItem) ReviewJSON {
	out := ReviewJSON{ID: it.ID, Title: it.Title, Department: it.Department, Category: it.Category,
		PublishedOn: it.PublishedOn.Format(domain.DateLayout), Months: it.Months}
	if it.LastReviewedOn != nil {
		out.LastReviewedOn = it.LastReviewedOn.Format(domain.DateLayout)
	}
	if it.ReviewDueOn != nil {
		out.ReviewDueOn = it.ReviewDueOn.Format(domain.DateLayout)
	}
	if v := it.Validity; v != nil {
		out.Validity = &ValidityJSON{Status: v.Status, On: v.On.Format(domain.DateLayout), SupersededBy: v.SupersededBy}
	}
	return out
}

// today is the office's civil date now.
func (s *Server) today() time.Time { return checks.Today(s.Now()) }

// reviews is GET /api/v1/reviews: the caller's periodic-review queue.
func (s *Server) reviews(c echo.Context) error {
	items, err := s.Store.ReviewQueue(c.Request().Context(), user(c).Actor(), s.today())
	if err != nil {
		return err
	}
	out := make([]ReviewJSON, len(items))
	for i, it := range items {
		out[i] = ReviewOut(it)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out, "ahead_days": store.ReviewQueueAhead})
}

// reviewDraft is POST /api/v1/drafts/{id}/reviews: the decision of a
// periodic review. Only keep is recorded here.
func (s *Server) reviewDraft(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Decision string `json:"decision"`
		Comment  string `json:"comment"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Decision != "keep" {
		return failZH(http.StatusBadRequest, "invalid_decision", "定期梳理在此只能记录“保留”(keep)；撤回请用 POST /api/v1/drafts/{id}/withdraw，更正请走更正流程。",
			"decision must be keep, not %q: withdraw with POST /api/v1/drafts/{id}/withdraw, correct with a correction", in.Decision)
	}
	ctx := c.Request().Context()
	if err := s.Store.KeepReviewed(ctx, user(c).Actor(), id, s.today(), strings.TrimSpace(in.Comment)); err != nil {
		return err
	}
	it, err := s.Store.ReviewOf(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ReviewOut(it))
}

// ValidityInput is the body of PUT /api/v1/drafts/{id}/validity.
type ValidityInput struct {
	Status       string `json:"status"`
	On           string `json:"on"`
	SupersededBy int64  `json:"superseded_by"`
	Comment      string `json:"comment"`
}

// Change reads the input as of today: an empty date is today.
func (in ValidityInput) Change(today time.Time) (domain.ValidityChange, error) {
	v := domain.ValidityChange{Status: domain.Validity(in.Status), On: today, SupersededBy: in.SupersededBy, Comment: strings.TrimSpace(in.Comment)}
	if in.On != "" {
		on, err := time.Parse(domain.DateLayout, in.On)
		if err != nil {
			return v, failZH(http.StatusBadRequest, "invalid_date", "日期须为 YYYY-MM-DD 格式。", "on must be a date YYYY-MM-DD, not %q", in.On)
		}
		v.On = on
	}
	if in.SupersededBy < 0 {
		return v, failZH(http.StatusBadRequest, "invalid_id", "替代文件的编号须为正整数。", "superseded_by must be a draft's id")
	}
	return v, nil
}

// setValidity is PUT /api/v1/drafts/{id}/validity.
func (s *Server) setValidity(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in ValidityInput
	if err := decode(c, &in); err != nil {
		return err
	}
	today := s.today()
	v, err := in.Change(today)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.Store.SetValidity(ctx, user(c).Actor(), id, today, v); err != nil {
		return err
	}
	it, err := s.Store.ReviewOf(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ReviewOut(it))
}

// reviewPolicyJSON is the agency's review periods, in months per category.
type reviewPolicyJSON struct {
	Months   map[string]int `json:"months"`
	Defaults map[string]int `json:"defaults"`
}

func reviewPolicyOut(p domain.ReviewPolicy) reviewPolicyJSON {
	return reviewPolicyJSON{Months: p, Defaults: domain.DefaultReviewPolicy()}
}

// getReviewPolicy is GET /api/v1/policy/review.
func (s *Server) getReviewPolicy(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RoleAuditor); err != nil {
		return err
	}
	p, err := s.Store.ReviewPolicy(c.Request().Context(), user(c).AgencyID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, reviewPolicyOut(p))
}

// setReviewPolicy is PUT /api/v1/policy/review: {"months": {category: n}},
// the categories named change, the others keep their periods.
func (s *Server) setReviewPolicy(c echo.Context) error {
	var in struct {
		Months map[string]int `json:"months"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Months == nil {
		return failZH(http.StatusBadRequest, "missing_field", "缺少 months（各类别的梳理周期，单位为月，0 表示不梳理）。",
			"months is required: the review period per category, in months (0: never)")
	}
	ctx := c.Request().Context()
	if err := s.Store.SetReviewPolicy(ctx, user(c).Actor(), domain.ReviewPolicy(in.Months)); err != nil {
		return err
	}
	p, err := s.Store.ReviewPolicy(ctx, user(c).AgencyID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, reviewPolicyOut(p))
}

// validityReport is GET /api/v1/reports/validity?year=: the agency's
// regulations and normative documents by validity, for the annual report.
func (s *Server) validityReport(c echo.Context) error {
	if err := requireRole(c, domain.RoleAdmin, domain.RoleAuditor); err != nil {
		return err
	}
	year := s.Now().In(domain.Beijing).Year()
	if q := c.QueryParam("year"); q != "" {
		y, err := strconv.Atoi(q)
		if err != nil || y < 2000 || y > 2100 {
			return failZH(http.StatusBadRequest, "invalid_year", "年份须为2000至2100之间的四位数字。", "year must be a four-digit year from 2000 to 2100, not %q", q)
		}
		year = y
	}
	ys, err := s.Store.ValidityCounts(c.Request().Context(), user(c).AgencyID, year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"year": year, "categories": ys})
}

// draftReview is the review of a published draft for GET /drafts/{id}
// (nil for any other).
func (s *Server) draftReview(c echo.Context, d store.Draft) (*ReviewJSON, error) {
	if d.PublishedRevision == 0 || d.State == domain.StateWithdrawn {
		return nil, nil
	}
	it, err := s.Store.ReviewOf(c.Request().Context(), d.ID)
	if err != nil {
		return nil, err
	}
	out := ReviewOut(it)
	return &out, nil
}

// publicValidityLine is what an item's public page says of its validity
// (有效性), which every item's metadata shows.
type publicValidityLine struct {
	Status, Date string
	By, URL      string // the amending or repealing item, and its page when public
}

// publicValidity is the validity line of a public item. A regulation or
// normative document shows the status its department recorded (nil, a
// dash, while none is); any other item, published and not withdrawn, is in
// force: 有效 (a withdrawn item is a 410 page).
func (s *Server) publicValidity(c echo.Context, w publicWords, a store.Agency, it store.PublicItem) (*publicValidityLine, error) {
	if !domain.CarriesValidity(it.Category) {
		return &publicValidityLine{Status: w.T("public.validity.in_force")}, nil
	}
	r, err := s.Store.ReviewOf(c.Request().Context(), it.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && r.Validity == nil {
		return nil, nil // publishing, not yet published; or nothing recorded
	}
	if err != nil {
		return nil, err
	}
	v := r.Validity
	out := &publicValidityLine{Status: w.T("public.validity." + string(v.Status)), Date: w.LongDate(v.On)}
	if v.SupersededPublic { // a draft not public is not named here at all
		out.By, out.URL = v.SupersededTitle, "/public/"+a.Slug+"/items/"+strconv.FormatInt(v.SupersededBy, 10)
	}
	return out, nil
}
