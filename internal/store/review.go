package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Periodic review (定期梳理) and validity (有效性) of published items
// (migration 023). Nothing here runs on the pipeline's paths: an item's
// next review date is computed when read, from its publication date, its
// last review and its agency's period for its category, never written
// when it is published.
//
// An item is its draft's current revision while the draft is published.
// (When corrections keep a published_revision apart from the revision
// under review, the category read here should become that revision's.)

// publishedOnSQL is the Beijing civil date of the draft d's publication.
const publishedOnSQL = `(d.published_at AT TIME ZONE INTERVAL '+08:00')::date`

// reviewFrom is every published item of agency $1 with its review
// period from the policy ($2 the categories, $3 their months, as
// ReviewPolicy gives them) and its next review date: the later of its
// publication and its last review, plus the period (PostgreSQL's month
// arithmetic: 2024-02-29 plus 12 months is 2025-02-28). due_on is NULL
// for a category that is never reviewed. The one place the date is
// computed.
const reviewFrom = ` FROM (SELECT d.id, r.title, dep.name AS department, d.department_id, r.category,
		` + publishedOnSQL + ` AS published_on, v.last_reviewed_on, pol.months,
		CASE WHEN pol.months > 0 THEN (greatest(` + publishedOnSQL + `, v.last_reviewed_on) + make_interval(months => pol.months))::date END AS due_on,
		v.validity, v.validity_on, COALESCE(v.superseded_by, 0) AS superseded_by
	FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = COALESCE(d.published_revision, d.revision)
	JOIN departments dep ON dep.id = d.department_id
	JOIN unnest($2::text[], $3::int[]) AS pol(category, months) ON pol.category = r.category
	LEFT JOIN draft_reviews v ON v.draft_id = d.id
	WHERE d.agency_id = $1 AND d.published_revision IS NOT NULL AND d.state <> 'withdrawn' AND d.published_at IS NOT NULL) i`

const reviewColumns = `i.id, i.title, i.department, i.department_id, i.category, i.published_on, i.last_reviewed_on, i.months, i.due_on,
	i.validity, i.validity_on, i.superseded_by`

// ReviewItem is a published item as its periodic review sees it.
type ReviewItem struct {
	ID           int64  `json:"id"`
	Title        string `json:"title"`
	Department   string `json:"department"`
	DepartmentID int64  `json:"department_id"`
	Category     string `json:"category"`
	// PublishedOn is the Beijing date of its publication.
	PublishedOn time.Time `json:"-"`
	// LastReviewedOn is the date of its last periodic review (nil: none yet).
	LastReviewedOn *time.Time `json:"-"`
	// Months is its category's review period (0: never reviewed), and
	// ReviewDueOn the date its next review is due (nil: never).
	Months      int        `json:"months"`
	ReviewDueOn *time.Time `json:"-"`
	// Validity is its status where one was recorded (regulations and
	// normative documents only).
	Validity *ValidityRecord `json:"-"`
}

// ValidityRecord is an item's recorded validity status.
type ValidityRecord struct {
	Status domain.Validity
	On     time.Time
	// SupersededBy is the amending or repealing draft (0: none named),
	// and whether its own public page is up; only then its title, which
	// the item's pages may show to anyone (a draft not yet public, or of
	// a department the reader may not see, is named by its id alone).
	SupersededBy     int64
	SupersededTitle  string
	SupersededPublic bool
}

func scanReviewItem(r pgx.Row) (ReviewItem, error) {
	var it ReviewItem
	var validity *string
	var validOn *time.Time
	var superseded int64
	err := r.Scan(&it.ID, &it.Title, &it.Department, &it.DepartmentID, &it.Category, &it.PublishedOn, &it.LastReviewedOn,
		&it.Months, &it.ReviewDueOn, &validity, &validOn, &superseded)
	if err == nil && validity != nil && validOn != nil {
		it.Validity = &ValidityRecord{Status: domain.Validity(*validity), On: *validOn, SupersededBy: superseded}
	}
	return it, err
}

// ReviewPolicy is an agency's review period per category: what its admins
// set, and domain.DefaultReviewMonths for the categories they did not.
func (s *Store) ReviewPolicy(ctx context.Context, agencyID int64) (domain.ReviewPolicy, error) {
	p := domain.DefaultReviewPolicy()
	rows, _ := s.Pool.Query(ctx, `SELECT category, months FROM review_policies WHERE agency_id = $1`, agencyID)
	var cat string
	var months int
	_, err := pgx.ForEachRow(rows, []any{&cat, &months}, func() error {
		if domain.ValidCategory(cat) {
			p[cat] = months
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error reading the review policy: %w", err)
	}
	return p, nil
}

// SetReviewPolicy sets the review periods of the admin's own agency for
// the categories p names (the others keep theirs), audited in the
// agency's chain. The next review dates of its items move at once.
func (s *Store) SetReviewPolicy(ctx context.Context, by domain.Actor, p domain.ReviewPolicy) error {
	if err := domain.CanManage(by, by.AgencyID); err != nil {
		return err
	}
	if err := p.Check(); err != nil {
		return err
	}
	cats := make([]string, 0, len(p))
	for c := range p {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	months := make([]int32, len(cats))
	var said []string
	for i, c := range cats {
		months[i] = int32(p[c])
		said = append(said, c+"="+strconv.Itoa(p[c]))
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO review_policies (agency_id, category, months, set_by)
			SELECT $1, c, m, NULLIF($4, 0) FROM unnest($2::text[], $3::int[]) AS x(c, m)
			ON CONFLICT (agency_id, category) DO UPDATE SET months = EXCLUDED.months, set_by = EXCLUDED.set_by, set_at = now()`,
			by.AgencyID, cats, months, by.ID); err != nil {
			return fmt.Errorf("error setting the review policy: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "review_policy_set", "months: "+strings.Join(said, ",")))
	})
}

// policyArrays are a policy as reviewFrom's parameters $2 and $3.
func policyArrays(p domain.ReviewPolicy) ([]string, []int32) {
	cats := make([]string, 0, len(p))
	months := make([]int32, 0, len(p))
	for _, c := range domain.Categories {
		cats = append(cats, c)
		months = append(months, int32(p[c]))
	}
	return cats, months
}

// ReviewsDue lists an agency's published items whose periodic review is
// due on or before on (a civil date), the longest due first. It is what a
// reminder asks: pass today for the overdue ones, today plus a month for
// those coming up. It reads; it changes nothing.
func (s *Store) ReviewsDue(ctx context.Context, agencyID int64, on time.Time) ([]ReviewItem, error) {
	return s.reviewsDue(ctx, agencyID, on, nil, true)
}

// ReviewQueueAhead is how far ahead of its date an item enters the review
// queue, so that the head can plan: 30 days.
const ReviewQueueAhead = 30

// ReviewQueue is the periodic-review queue of the actor on today: the
// published items of their departments (an admin: of the whole agency)
// due within ReviewQueueAhead days, the longest due first. Others get
// the role refusal.
func (s *Store) ReviewQueue(ctx context.Context, a domain.Actor, today time.Time) ([]ReviewItem, error) {
	if !a.Has(domain.RoleAdmin) && !a.Has(domain.RoleDeptHead) {
		return nil, &domain.Refusal{Rule: domain.RuleRole, Message: "the review queue is the department heads' and the admins'"}
	}
	return s.reviewsDue(ctx, a.AgencyID, today.AddDate(0, 0, ReviewQueueAhead), a.Departments, a.Has(domain.RoleAdmin))
}

func (s *Store) reviewsDue(ctx context.Context, agencyID int64, on time.Time, depts []int64, all bool) ([]ReviewItem, error) {
	p, err := s.ReviewPolicy(ctx, agencyID)
	if err != nil {
		return nil, err
	}
	cats, months := policyArrays(p)
	if depts == nil {
		depts = []int64{}
	}
	rows, _ := s.Pool.Query(ctx, `SELECT `+reviewColumns+reviewFrom+`
		WHERE i.due_on <= $4 AND ($5 OR i.department_id = ANY($6))
		ORDER BY i.due_on, i.id`, agencyID, cats, months, civilDate(on), all, depts)
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ReviewItem, error) { return scanReviewItem(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing the reviews due: %w", err)
	}
	return items, nil
}

// civilDate is t's date as the civil date PostgreSQL compares (midnight UTC).
func civilDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ReviewOf is a published item's review: its period, last and next review
// dates and validity, with the superseding item's title. ErrNotFound when
// the draft is not published.
func (s *Store) ReviewOf(ctx context.Context, id int64) (ReviewItem, error) {
	agencyID, err := s.DraftAgency(ctx, id)
	if err != nil {
		return ReviewItem{}, err
	}
	p, err := s.ReviewPolicy(ctx, agencyID)
	if err != nil {
		return ReviewItem{}, err
	}
	cats, months := policyArrays(p)
	it, err := scanReviewItem(s.Pool.QueryRow(ctx, `SELECT `+reviewColumns+reviewFrom+` WHERE i.id = $4`, agencyID, cats, months, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return it, ErrNotFound
	}
	if err != nil {
		return it, fmt.Errorf("error reading the review of draft %d: %w", id, err)
	}
	if v := it.Validity; v != nil && v.SupersededBy != 0 {
		err := s.Pool.QueryRow(ctx, `SELECT CASE WHEN public THEN title ELSE '' END, public
			FROM (SELECT r.title, d.state <> 'withdrawn' AND EXISTS (SELECT 1 FROM publications p
					WHERE p.draft_id = d.id AND p.revision = d.published_revision AND p.channel = 'website' AND p.status = 'delivered') AS public
				FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = COALESCE(d.published_revision, d.revision) WHERE d.id = $1) x`, v.SupersededBy).
			Scan(&v.SupersededTitle, &v.SupersededPublic)
		if err != nil {
			return it, fmt.Errorf("error reading the superseding item of draft %d: %w", id, err)
		}
	}
	return it, nil
}

// reviewFacts are what a review's rules need of the locked draft beyond
// its facts: its category and publication date.
func reviewFacts(ctx context.Context, tx pgx.Tx, id int64) (category string, publishedOn time.Time, err error) {
	var on *time.Time
	err = tx.QueryRow(ctx, `SELECT r.category, `+publishedOnSQL+` FROM drafts d
		JOIN revisions r ON r.draft_id = d.id AND r.revision = COALESCE(d.published_revision, d.revision) WHERE d.id = $1`, id).Scan(&category, &on)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("error reading draft %d: %w", id, err)
	}
	if on != nil {
		publishedOn = *on
	}
	return category, publishedOn, nil
}

// reviewerRole is the role a review is recorded under: the head of the
// item's department where the actor is one, else admin.
func reviewerRole(a domain.Actor, dept int64) string {
	if a.Has(domain.RoleDeptHead) && a.InDepartment(dept) {
		return string(domain.RoleDeptHead)
	}
	return string(domain.RoleAdmin)
}

// Review actions, as the audit trail names them.
const (
	ActionReviewKept  = "review_kept"
	ActionValiditySet = "validity_set"
)

// KeepReviewed records that a person reviewed a published item on today
// and keeps it as it is (保留): its last review becomes today, so its
// next review moves a period on. Audited in the draft's chain with the
// note; a refusal is audited too.
func (s *Store) KeepReviewed(ctx context.Context, by domain.Actor, id int64, today time.Time, note string) error {
	today = civilDate(today)
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		rerr := domain.CanReview(by, cur.DraftFacts)
		if rerr == nil && len([]rune(note)) > domain.MaxComment {
			rerr = &domain.Refusal{Rule: domain.RuleTooLong, Message: fmt.Sprintf("a note is at most %d characters", domain.MaxComment)}
		}
		if rerr != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, ActionReviewKept, rerr)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO draft_reviews (draft_id, last_reviewed_on, updated_by) VALUES ($1, $2, NULLIF($3, 0))
			ON CONFLICT (draft_id) DO UPDATE SET last_reviewed_on = EXCLUDED.last_reviewed_on, updated_by = EXCLUDED.updated_by, updated_at = now()`,
			id, today, by.ID); err != nil {
			return fmt.Errorf("error recording the review: %w", err)
		}
		set.event(&cur, audit.Event{ActorID: by.ID, Actor: by.Name, Role: reviewerRole(by, cur.DepartmentID), Stage: string(cur.State),
			Action: ActionReviewKept, Revision: cur.Revision, ContentSHA256: cur.Content, Reason: today.Format(domain.DateLayout), Comment: note})
		return nil
	})
	return unwrapRefused(err)
}

// SetValidity records a published regulation's or normative document's
// validity status (domain.CanSetValidity), on today: audited in the
// draft's chain with the status, its date and the superseding item, which
// must be another draft of the same agency. A refusal is audited too.
func (s *Store) SetValidity(ctx context.Context, by domain.Actor, id int64, today time.Time, v domain.ValidityChange) error {
	today, v.On = civilDate(today), civilDate(v.On)
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		category, publishedOn, err := reviewFacts(ctx, tx, id)
		if err != nil {
			return err
		}
		rerr := domain.CanSetValidity(by, cur.DraftFacts, id, category, publishedOn, today, v)
		if rerr == nil && v.SupersededBy != 0 {
			var agency int64
			err := tx.QueryRow(ctx, `SELECT agency_id FROM drafts WHERE id = $1`, v.SupersededBy).Scan(&agency)
			if errors.Is(err, pgx.ErrNoRows) || err == nil && agency != cur.AgencyID {
				rerr = &domain.Refusal{Rule: domain.RuleInvalidSuperseding, Message: fmt.Sprintf("your agency has no draft %d", v.SupersededBy)}
			} else if err != nil {
				return fmt.Errorf("error reading the superseding draft: %w", err)
			}
		}
		if rerr != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, ActionValiditySet, rerr)
		}
		var superseded *int64
		if v.SupersededBy != 0 {
			superseded = &v.SupersededBy
		}
		if _, err := tx.Exec(ctx, `INSERT INTO draft_reviews (draft_id, validity, validity_on, superseded_by, updated_by) VALUES ($1, $2, $3, $4, NULLIF($5, 0))
			ON CONFLICT (draft_id) DO UPDATE SET validity = EXCLUDED.validity, validity_on = EXCLUDED.validity_on,
				superseded_by = EXCLUDED.superseded_by, updated_by = EXCLUDED.updated_by, updated_at = now()`,
			id, string(v.Status), v.On, superseded, by.ID); err != nil {
			return fmt.Errorf("error recording the validity: %w", err)
		}
		set.event(&cur, audit.Event{ActorID: by.ID, Actor: by.Name, Role: reviewerRole(by, cur.DepartmentID), Stage: string(cur.State),
			Action: ActionValiditySet, Revision: cur.Revision, ContentSHA256: cur.Content, Reason: string(v.Status),
			Comment: joinNonEmpty("; ", v.String(), v.Comment)})
		return nil
	})
	return unwrapRefused(err)
}

// ValidityYear is what an agency's annual report (年度报告, its table of
// regulations and normative documents) counts of one category in a year,
// over the items published now (a withdrawn item is not counted).
type ValidityYear struct {
	Category string `json:"category"`
	// Issued: published in the year (本年制发); AmendedInYear and
	// RepealedInYear: recorded amended or repealed with a date in the
	// year (本年修改, 本年废止).
	Issued         int `json:"issued"`
	AmendedInYear  int `json:"amended_in_year"`
	RepealedInYear int `json:"repealed_in_year"`
	// At the end of the year, of the items published by then: in force
	// (a status recorded, and no amendment or repeal dated by then:
	// 现行有效), amended, repealed, and those with no status recorded.
	Valid    int `json:"valid"`
	Amended  int `json:"amended"`
	Repealed int `json:"repealed"`
	Unset    int `json:"unset"`
}

// ValidityCounts counts an agency's regulations and normative documents
// for year by validity (ValidityYear), one row per category of
// domain.ValidityCategories, zeros included.
func (s *Store) ValidityCounts(ctx context.Context, agencyID int64, year int) ([]ValidityYear, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	rows, _ := s.Pool.Query(ctx, `SELECT category,
			count(*) FILTER (WHERE pub BETWEEN $2 AND $3),
			count(*) FILTER (WHERE validity = 'amended' AND validity_on BETWEEN $2 AND $3),
			count(*) FILTER (WHERE validity = 'repealed' AND validity_on BETWEEN $2 AND $3),
			count(*) FILTER (WHERE pub <= $3 AND validity IS NOT NULL AND NOT (validity IN ('amended', 'repealed') AND validity_on <= $3)),
			count(*) FILTER (WHERE pub <= $3 AND validity = 'amended' AND validity_on <= $3),
			count(*) FILTER (WHERE pub <= $3 AND validity = 'repealed' AND validity_on <= $3),
			count(*) FILTER (WHERE pub <= $3 AND validity IS NULL)
		FROM (SELECT r.category, `+publishedOnSQL+` AS pub, v.validity, v.validity_on
			FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = COALESCE(d.published_revision, d.revision)
			LEFT JOIN draft_reviews v ON v.draft_id = d.id
			WHERE d.agency_id = $1 AND d.published_revision IS NOT NULL AND d.state <> 'withdrawn' AND d.published_at IS NOT NULL AND r.category = ANY($4)) i
		GROUP BY category`, agencyID, from, end, domain.ValidityCategories)
	got := map[string]ValidityYear{}
	var y ValidityYear
	_, err := pgx.ForEachRow(rows, []any{&y.Category, &y.Issued, &y.AmendedInYear, &y.RepealedInYear, &y.Valid, &y.Amended, &y.Repealed, &y.Unset}, func() error {
		got[y.Category] = y
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("error counting validity: %w", err)
	}
	out := make([]ValidityYear, 0, len(domain.ValidityCategories))
	for _, c := range domain.ValidityCategories {
		y := got[c]
		y.Category = c
		out = append(out, y)
	}
	return out, nil
}
