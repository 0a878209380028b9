// Package checks runs the machine checks of each review stage. The rules of
// each stage live in their own package (completeness, compliance,
// confidentiality, words); this package only says which run where.
package checks

import (
	"context"
	"fmt"
	"slices"
	"time"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/checks/annualreport"
	"github.com/sanshen-gov/sanshen/internal/checks/attachments"
	"github.com/sanshen-gov/sanshen/internal/checks/completeness"
	"github.com/sanshen-gov/sanshen/internal/checks/compliance"
	"github.com/sanshen-gov/sanshen/internal/checks/confidentiality"
	"github.com/sanshen-gov/sanshen/internal/checks/expressions"
	"github.com/sanshen-gov/sanshen/internal/checks/normal"
	"github.com/sanshen-gov/sanshen/internal/checks/words"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// WordSource gives the current sensitive-word matchers of an agency (the
// platform's list and the agency's additions); the lists are edited by
// admins and versioned, so they are looked up at each step.
type WordSource interface {
	Matchers(ctx context.Context, agencyID int64) ([]*words.Matcher, error)
}

// ExpressionSource gives an agency's authoritative-expression tables
// (organs renamed, leaders' former titles, its locality).
type ExpressionSource interface {
	Tables(ctx context.Context, agencyID int64) (expressions.Tables, error)
}

// PeriodSource gives an agency's publication periods of penalty
// decisions (compliance.DefaultPeriods where it set none).
type PeriodSource interface {
	Periods(ctx context.Context, agencyID int64) (compliance.Periods, error)
}

// FactSource gives an agency's own records of a year (published items by
// category and channel, validity, cases), which an annual report is
// compared with.
type FactSource interface {
	Facts(ctx context.Context, agencyID int64, year int) (ar.Facts, error)
}

// Runner holds what the checks need besides the draft.
type Runner struct {
	Calendar    *calendar.Calendar
	Now         func() time.Time
	Words       WordSource       // nil: no word list
	Expressions ExpressionSource // nil: the shipped organ names only
	Periods     PeriodSource     // nil: compliance.DefaultPeriods
	Facts       FactSource       // nil: annual reports are checked without the agency's records
	Applicants  ApplicantSource  // nil: a reply's applicant data blocks like anyone's
}

// periods are the agency's penalty publication periods.
func (r *Runner) periods(ctx context.Context, agencyID int64) (compliance.Periods, error) {
	if r.Periods == nil {
		return compliance.DefaultPeriods, nil
	}
	return r.Periods.Periods(ctx, agencyID)
}

// Expiry is the last day the content stays public once published, as
// stage 2 settles it: the author's date (有效期至) when it names one, else
// for a penalty decision the end of its publication period by the agency's
// rule; zero for none.
func (r *Runner) Expiry(ctx context.Context, agencyID int64, c domain.Content) (time.Time, error) {
	if !c.ExpiresOn.IsZero() {
		return c.ExpiresOn, nil
	}
	if c.Category != "penalty" {
		return time.Time{}, nil
	}
	p, err := r.periods(ctx, agencyID)
	if err != nil {
		return time.Time{}, err
	}
	until, _ := compliance.PenaltyExpiryWith(c, p)
	return until, nil
}

// NewRunner makes a runner with the official calendar and the wall clock.
func NewRunner() *Runner {
	return &Runner{Calendar: calendar.Official(), Now: time.Now}
}

// Run returns the findings of stage for content of agency agencyID.
func (r *Runner) Run(ctx context.Context, stage domain.Stage, agencyID int64, c domain.Content) ([]domain.Finding, error) {
	var fs []domain.Finding
	switch stage {
	case domain.StageCompleteness:
		// The text normalised once for both packages' detectors.
		title, body := normal.New(c.Title), normal.New(c.Body)
		fs = append(fs, completeness.CheckPrepared(c, r.Now(), title, body)...)
		// Personal data is shown at stage 1 already, as warnings, so that
		// the officer removes it before two people review the draft; stage 3
		// still blocks on it.
		for _, f := range confidentiality.PersonalDataPrepared(title, body) {
			f.Severity = domain.SeverityWarn
			fs = append(fs, f)
		}
		fs = append(fs, r.deadline(c)...)
		tables := expressions.Tables{Organs: expressions.ShippedOrgans()}
		if r.Expressions != nil {
			var err error
			if tables, err = r.Expressions.Tables(ctx, agencyID); err != nil {
				return nil, err
			}
		}
		fs = append(fs, expressions.Check(tables, c)...)
		fs = append(fs, attachments.Limits(c)...)
		if c.Category == "annual_report" {
			report, err := r.annualReport(ctx, agencyID, c)
			if err != nil {
				return nil, err
			}
			fs = append(fs, report...)
		}
	case domain.StageCompliance:
		p := compliance.DefaultPeriods
		if c.Category == "penalty" { // the only category the periods concern
			var err error
			if p, err = r.periods(ctx, agencyID); err != nil {
				return nil, err
			}
		}
		fs = append(fs, compliance.CheckWith(c, p)...)
	case domain.StageConfidentiality:
		fs = append(fs, confidentiality.Check(c)...)
		var ms []*words.Matcher
		if r.Words != nil {
			var err error
			if ms, err = r.Words.Matchers(ctx, agencyID); err != nil {
				return nil, err
			}
			for _, m := range ms {
				fs = append(fs, words.Check(m, c)...)
			}
		}
		fs = append(fs, attachments.Texts(c, ms)...)
	}
	for i := range fs {
		fs[i].Stage = stage
	}
	return fs, nil
}

// annualReport is the validator's findings on an annual report, compared
// with the agency's records of the year it names where there are any.
func (r *Runner) annualReport(ctx context.Context, agencyID int64, c domain.Content) ([]domain.Finding, error) {
	var facts *ar.Facts
	if year := annualreport.Year(c); r.Facts != nil && year > 0 {
		f, err := r.Facts.Facts(ctx, agencyID, year)
		if err != nil {
			return nil, fmt.Errorf("error reading the records of %d for the annual report: %w", year, err)
		}
		facts = &f
	}
	return annualreport.Check(c, facts), nil
}

// nearDue is how many working days before the Article 26 deadline a draft
// is flagged as nearly due.
const nearDue = 5

// Clock names the legal clock a deadline comes from.
type Clock string

// The clocks.
const (
	ClockArticle26       Clock = "article26"        // 20 working days from forming
	ClockDoublePublicity Clock = "double_publicity" // 双公示: 7 working days from a penalty or licence decision
)

// doublePublicity are the categories on the 双公示 clock.
var doublePublicity = []string{"penalty", "license"}

// DoublePublicityCategories are the categories on the 双公示 clock, for
// the counts that tell the two clocks apart (the officers' assessment).
func DoublePublicityCategories() []string { return slices.Clone(doublePublicity) }

// Deadline is the day by which the content must be public, and the clock
// it comes from: Article 26's 20 working days from forming, or, for a
// penalty or licence decision whose body states its decision date (决定日期,
// which stage 1 requires), the 双公示 7 working days from the decision
// when that comes first. The submission stores it; the queue sorts by it.
func Deadline(cal *calendar.Calendar, c domain.Content) (time.Time, Clock) {
	due, clock := cal.Deadline(c.FormedOn), ClockArticle26
	if slices.Contains(doublePublicity, c.Category) {
		if decided, _, _, ok := completeness.DecisionDate(c.Body); ok {
			if d := cal.AddWorkingDays(decided, calendar.DoublePublicityWorkingDays); d.Before(due) {
				due, clock = d, ClockDoublePublicity
			}
		}
	}
	return due, clock
}

// deadline warns when the deadline (Deadline) is past or near.
func (r *Runner) deadline(c domain.Content) []domain.Finding {
	if c.FormedOn.IsZero() {
		return nil
	}
	due, clock := Deadline(r.Calendar, c)
	ruleZH, ruleEN := "《政府信息公开条例》第二十六条规定的公开期限", "the Article 26 deadline"
	if clock == ClockDoublePublicity {
		ruleZH, ruleEN = "“双公示”期限（作出决定之日起7个工作日内公开）", "the 双公示 deadline (7 working days from the decision)"
	}
	var out []domain.Finding
	if !r.Calendar.Covers(due) || !r.Calendar.Covers(c.FormedOn) {
		out = append(out, domain.Finding{Code: "calendar_year_missing", Severity: domain.SeverityWarn, Start: -1, End: -1,
			MessageZH: fmt.Sprintf("公开期限（%s）所跨年度的国务院节假日安排尚未录入，期限按周一至周五计算，可能不准确；请管理员录入该年度的节假日安排。", due.Format(domain.DateLayout)),
			MessageEN: fmt.Sprintf("the Article 26 deadline (%s) runs into a year whose official holidays are not in the calendar: it was counted with weekends only and may be off", due.Format(domain.DateLayout))})
	}
	left := r.Calendar.WorkingDaysBetween(civil(r.Now()), due)
	f := domain.Finding{Severity: domain.SeverityWarn, Start: -1, End: -1}
	switch {
	case left < 0:
		f.Code = "deadline_passed"
		f.MessageZH = fmt.Sprintf("已超过%s（%s，超期%d个工作日）", ruleZH, due.Format(domain.DateLayout), -left)
		f.MessageEN = fmt.Sprintf("past %s (%s, %d working days overdue)", ruleEN, due.Format(domain.DateLayout), -left)
	case left <= nearDue:
		f.Code = "deadline_near"
		f.MessageZH = fmt.Sprintf("临近%s（%s，剩余%d个工作日）", ruleZH, due.Format(domain.DateLayout), left)
		f.MessageEN = fmt.Sprintf("%s is near (%s, %d working days left)", ruleEN, due.Format(domain.DateLayout), left)
	default:
		return out
	}
	return append(out, f)
}

// civil is t's calendar day at midnight UTC, how formed_on is stored.
func civil(t time.Time) time.Time {
	t = t.In(domain.Beijing)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Today is the office's calendar day now (Beijing time), as a civil date:
// the queue's deadlines and the checks count from it alike.
func Today(now time.Time) time.Time { return civil(now) }
