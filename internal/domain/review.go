package domain

import (
	"fmt"
	"slices"
	"time"
)

// Periodic review (定期梳理): every published item of a category with a
// review period is looked at again that many months after its publication
// or its last review, by the head of its department, who keeps it, corrects
// it or withdraws it. The periods are an agency's policy (ReviewPolicy).

// The rules of validity, besides those of policy.go.
const (
	RuleNoValidity         Rule = "validity_not_applicable" // a category without a validity status, or an unknown status
	RuleInvalidSuperseding Rule = "invalid_superseding"     // a superseding item that cannot be one
)

// MaxReviewMonths bounds a review period: ten years.
const MaxReviewMonths = 120

// reviewDefaults are the periods, in months, of the categories reviewed
// unless an agency's admins say otherwise; every other category is never
// reviewed (0). Why each (README, "Periodic review"): rules and the
// information people act on go stale; records of a decision, a figure or
// an event stay what they were on their date.
var reviewDefaults = map[string]int{
	"regulation":         12, // 规章: cleared up (清理) regularly; is it still in force?
	"normative_document": 12, // 行政规范性文件: 国办发〔2018〕37号 asks for timely clean-up (及时清理)
	"agency_info":        12, // 机关职能、机构设置、联系方式: telephone numbers and addresses change
	"plan":               12, // 规划: superseded by the next plan or adjusted midway
	"public_service":     12, // service guides: fees, places, documents required change
	"fee":                12, // 收费目录清单: fees are abolished and adjusted (动态调整)
}

// DefaultReviewMonths is category's review period unless the agency set
// one: 0 means never.
func DefaultReviewMonths(category string) int { return reviewDefaults[category] }

// ReviewPolicy is an agency's review period, in months, for every
// category (0: never reviewed).
type ReviewPolicy map[string]int

// DefaultReviewPolicy is the periods of an agency that never set any.
func DefaultReviewPolicy() ReviewPolicy {
	p := ReviewPolicy{}
	for _, c := range Categories {
		p[c] = DefaultReviewMonths(c)
	}
	return p
}

// Check refuses a policy naming an unknown category or a period outside
// 0 (never) to MaxReviewMonths.
func (p ReviewPolicy) Check() error {
	for c, m := range p {
		if !ValidCategory(c) {
			return refuse(RuleInvalidPolicy, "unknown category %q", c)
		}
		if m < 0 || m > MaxReviewMonths {
			return refuse(RuleInvalidPolicy, "the review period of %s must be 0 (never) to %d months, not %d", c, MaxReviewMonths, m)
		}
	}
	return nil
}

// Validity is whether a regulation or normative document is still in force
// (有效性), as its department head or an admin recorded it.
type Validity string

// The validity statuses.
const (
	ValidityValid    Validity = "valid"    // 现行有效
	ValidityAmended  Validity = "amended"  // 已修改
	ValidityRepealed Validity = "repealed" // 已废止
)

// Validities lists the statuses in the order forms show them.
var Validities = []Validity{ValidityValid, ValidityAmended, ValidityRepealed}

// Valid reports whether v is a known status.
func (v Validity) Valid() bool { return slices.Contains(Validities, v) }

// ValidityCategories are the categories that carry a validity status.
var ValidityCategories = []string{"regulation", "normative_document"}

// CarriesValidity reports whether items of category carry a validity status.
func CarriesValidity(category string) bool { return slices.Contains(ValidityCategories, category) }

// CanReview reports whether the actor may record a periodic review of a
// published item (keep it) or set its validity: the agency's admins and
// the heads of its department, the people who may withdraw it.
func CanReview(a Actor, d DraftFacts) error {
	if a.AgencyID != d.AgencyID || !a.Has(RoleAdmin) && !(a.Has(RoleDeptHead) && a.InDepartment(d.DepartmentID)) {
		return refuse(RuleRole, "reviewing a published item needs the admin role or the head of its department")
	}
	if d.PublishedRevision == 0 || d.State == StateWithdrawn {
		return refuse(RuleNoSuchTransition, "only a published item is reviewed; this one is %q", d.State)
	}
	return nil
}

// ValidityChange is a validity status as a person records it.
type ValidityChange struct {
	Status Validity
	On     time.Time // the civil date since which it holds
	// SupersededBy is the draft that amends or repeals this one (0: none
	// named); only for amended and repealed.
	SupersededBy int64
	Comment      string
}

// CanSetValidity is CanReview for a validity change of an item of
// category, published on publishedOn, on today: a category that carries
// one, a known status, a date from the publication to today, a
// superseding item only for an amendment or a repeal and never the item
// itself.
func CanSetValidity(a Actor, d DraftFacts, id int64, category string, publishedOn, today time.Time, v ValidityChange) error {
	if err := CanReview(a, d); err != nil {
		return err
	}
	if !CarriesValidity(category) {
		return refuse(RuleNoValidity, "only regulations and normative documents carry a validity status, not %q", category)
	}
	if !v.Status.Valid() {
		return refuse(RuleNoValidity, "the status must be valid, amended or repealed, not %q", v.Status)
	}
	if v.On.IsZero() || v.On.After(today) || v.On.Before(publishedOn) {
		return refuse(RuleInvalidDate, "the date of the status must be from the publication (%s) to today (%s)",
			publishedOn.Format(DateLayout), today.Format(DateLayout))
	}
	if v.SupersededBy != 0 && v.Status == ValidityValid {
		return refuse(RuleInvalidSuperseding, "an item in force has no superseding item")
	}
	if v.SupersededBy == id {
		return refuse(RuleInvalidSuperseding, "an item does not supersede itself")
	}
	if len([]rune(v.Comment)) > MaxComment {
		return refuse(RuleTooLong, "a comment is at most %d characters", MaxComment)
	}
	return nil
}

// String is the status and its date, as the trail's comment records them.
func (v ValidityChange) String() string {
	s := fmt.Sprintf("%s since %s", v.Status, v.On.Format(DateLayout))
	if v.SupersededBy != 0 {
		s += fmt.Sprintf(", superseded by draft %d", v.SupersededBy)
	}
	return s
}
