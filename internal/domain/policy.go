package domain

import (
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"
)

// Rule names the rule that refused something. Every refusal carries one, so a
// person is told which rule stopped them and the audit trail records it.
type Rule string

// The rules. Their names appear in API errors and audit events.
const (
	RuleNoSuchTransition  Rule = "no_such_transition"
	RuleStale             Rule = "stale_decision"        // older revision or wrong stage
	RuleChecksPending     Rule = "checks_pending"        // machine checks of the stage not finished
	RuleRole              Rule = "role_required"         // the actor lacks the stage's role
	RuleDepartment        Rule = "department_scope"      // not a department of the actor's
	RuleAuthorDecides     Rule = "separation_author"     // authors never decide their own drafts
	RuleTwoStages         Rule = "separation_two_stages" // one person never decides two stages of a draft
	RuleCommentRequired   Rule = "comment_required"
	RuleReasonRequired    Rule = "reason_required"
	RuleOverrideRequired  Rule = "override_comment_required" // approving past a blocking finding
	RuleNotAuthor         Rule = "author_only"
	RuleNotVisible        Rule = "not_visible"
	RuleInvalidDecision   Rule = "invalid_decision"
	RuleWithdrawNeedsText Rule = "withdraw_reason_required"
	RuleDepartmentChange  Rule = "department_change"  // a revision keeps its draft's department
	RuleNoPerson          Rule = "no_person_at_stage" // the machine checks decide this stage here
	RuleInvalidPolicy     Rule = "invalid_policy"     // a policy StageTable does not allow
	RuleAgency            Rule = "agency_scope"       // another agency's draft, people or settings
	RuleInvalidSlug       Rule = "invalid_slug"       // an agency's public name
	RuleNotExplainable    Rule = "not_explainable"    // only a stage-1 machine block can be explained
	RuleExplanationNeeded Rule = "explanation_required"
	RuleReasonOnlyReject  Rule = "reason_only_with_reject" // a reason code with approve
	RuleReturnReason      Rule = "invalid_return_reason"   // a return's reason code not in ReturnReasons
	RuleTooLong           Rule = "comment_too_long"
	RuleInvalidName       Rule = "invalid_name"  // invisible characters, or the wrong length (ValidName)
	RuleReservedName      Rule = "reserved_name" // reads like the system's own actor (ValidName)
	RuleInvalidDate       Rule = "invalid_date"  // before FormedOnFloor
	RuleInvalidURL        Rule = "invalid_url"   // a publication's address that is not http(s)
	RuleSelf              Rule = "not_on_yourself"
	RuleCorrectionNote    Rule = "correction_note_required"  // a correction says what it corrects
	RuleCorrectionChannel Rule = "correction_keeps_channels" // a correction cannot leave a channel; withdraw instead
	RuleScheduleTime      Rule = "invalid_publish_at"        // a publication time in the past or too far ahead
	RuleRecallDecided     Rule = "recall_after_decision"     // a reviewer decided the revision: too late to recall
	RuleReplyChannel      Rule = "reply_channel"             // a reply goes only to its applicant (CheckReplyChannels)
	RuleCaseInput         Rule = "invalid_application"       // an application's record that breaks its rules (dates, the one 补正 or extension)
	RuleNotCaseHandler    Rule = "not_case_handler"          // not one of the case's handlers (承办人): its identity documents are theirs only
)

// Refusal is an action refused by a rule.
type Refusal struct {
	Rule    Rule
	Message string
	// MessageZH is the message in Chinese, naming the problem as Message
	// does, where there is one (the applications' refusals all have one):
	// the API sends it as message_zh and the pages show it instead of
	// Message, which a Chinese page never shows.
	MessageZH string
	// Field is the input field at fault, where there is one (an
	// application's note, its date): the pages mark it and move the focus
	// there. Not part of the API's answer.
	Field string
}

func (r *Refusal) Error() string { return fmt.Sprintf("%s: %s", r.Rule, r.Message) }

// Conflict reports whether the refusal is about the draft having moved on
// (HTTP 409) rather than about who is asking (403) or what they sent (422).
func (r *Refusal) Conflict() bool {
	return r.Rule == RuleStale || r.Rule == RuleNoSuchTransition || r.Rule == RuleChecksPending || r.Rule == RuleNotExplainable || r.Rule == RuleRecallDecided
}

// Invalid reports whether the refusal is about the request's content.
func (r *Refusal) Invalid() bool {
	switch r.Rule {
	case RuleCommentRequired, RuleReasonRequired, RuleOverrideRequired, RuleInvalidDecision, RuleWithdrawNeedsText,
		RuleDepartmentChange, RuleInvalidPolicy, RuleInvalidSlug, RuleExplanationNeeded, RuleReasonOnlyReject, RuleReturnReason, RuleTooLong,
		RuleInvalidName, RuleReservedName, RuleInvalidDate, RuleInvalidURL, RuleCorrectionNote, RuleCorrectionChannel, RuleScheduleTime,
		RuleReplyChannel, RuleCaseInput:
		return true
	case RuleNoValidity, RuleInvalidSuperseding: // review.go
		return true
	}
	return false
}

func refuse(rule Rule, format string, args ...any) error {
	return &Refusal{Rule: rule, Message: fmt.Sprintf(format, args...)}
}

// refuseZH is refuse with the message in Chinese too.
func refuseZH(rule Rule, zh, format string, args ...any) error {
	return &Refusal{Rule: rule, Message: fmt.Sprintf(format, args...), MessageZH: zh}
}

// Actor is who is asking: a person, or the system. A person belongs to one
// agency; their departments are that agency's.
type Actor struct {
	ID          int64
	Name        string
	AgencyID    int64
	Roles       []Role
	Departments []int64
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// InDepartment reports whether the actor belongs to department d.
func (a Actor) InDepartment(d int64) bool { return slices.Contains(a.Departments, d) }

// PastDecision is a decision already taken on a draft, as separation of duties needs it.
type PastDecision struct {
	ActorID  int64
	Stage    Stage
	Revision int
}

// DraftFacts is what the rules need to know about a draft.
type DraftFacts struct {
	AuthorID     int64
	AgencyID     int64
	DepartmentID int64
	State        State
	Revision     int
	StepDone     bool // the current stage's machine checks have finished
	// Blocking: the current revision has a blocking finding a person must
	// override to approve: one of the current stage's, or one of an earlier
	// stage the author explained (CanExplain) that no override has covered.
	Blocking  bool
	Decisions []PastDecision
	// ReturnedByPerson: a person returned the current revision (else, when
	// returned, stage 1's machine checks did).
	ReturnedByPerson bool
	Policy           Policy // the agency's policy
	// PublishedRevision is the revision the public pages and channels show
	// (0: never published). Above it, Revision is a correction under review.
	PublishedRevision int
	// Saved: the draft was kept unsubmitted (暂存) and never submitted.
	Saved bool
}

// PersonDecides reports whether a person decides stage sp of this draft:
// always, or where the policy asks — and also where the draft already
// waits for a person at sp, though the policy changed since.
func (d DraftFacts) PersonDecides(sp StageSpec) bool {
	return sp.Decides(d.Policy) || sp.Person != PersonNever && d.State == sp.Stage.State() && d.StepDone
}

// reviews reports whether the actor is one of the draft's reviewers: they
// hold the role of a stage a person decides, and the draft is in its scope.
func (d DraftFacts) reviews(a Actor) bool {
	for _, sp := range StageTable {
		if a.Has(sp.Decider) && d.PersonDecides(sp) && sp.InScope(a, d.AgencyID, d.DepartmentID) {
			return true
		}
	}
	return false
}

// DecisionRequest is a reviewer's decision as submitted.
type DecisionRequest struct {
	Stage    Stage
	Revision int
	Decision Decision
	Reason   Reason
	Comment  string
}

// CanView reports whether the actor may read the draft at all: its author,
// its agency's admins and auditors, and its reviewers (StageTable's roles
// and scopes). Scope lives here, so the API, the web pages and the queue
// ask one place. Nobody sees another agency's drafts.
func CanView(a Actor, d DraftFacts) error {
	if a.AgencyID != d.AgencyID {
		return refuse(RuleNotVisible, "the draft belongs to another agency")
	}
	if d.State == StateUnsubmitted && a.ID != d.AuthorID {
		return refuse(RuleNotVisible, "an unsubmitted draft is seen only by its author")
	}
	if a.ID == d.AuthorID || a.Has(RoleAdmin) || a.Has(RoleAuditor) || d.reviews(a) {
		return nil
	}
	return refuse(RuleNotVisible, "draft is not in any of your departments and you did not write it")
}

// CanViewAudit reports whether the actor may read a draft's audit events:
// its agency's auditors and admins, and the draft's reviewers.
func CanViewAudit(a Actor, d DraftFacts) error {
	if a.AgencyID == d.AgencyID && (a.Has(RoleAdmin) || a.Has(RoleAuditor) || d.reviews(a)) {
		return nil
	}
	return refuse(RuleNotVisible, "only the agency's auditors and admins and the draft's reviewers may read its audit trail")
}

// CanSubmit reports whether the actor may submit a new draft for department
// dept. A person's departments are their own agency's (the store holds to
// it), so the draft is their agency's too.
func CanSubmit(a Actor, dept int64) error {
	if !a.Has(RoleOfficer) {
		return refuse(RuleRole, "submitting drafts needs the officer role")
	}
	if !a.InDepartment(dept) {
		return refuse(RuleDepartment, "you may only submit drafts for your own departments")
	}
	return nil
}

// CanManage reports whether the actor may manage agency agency: its
// departments, people, word-list additions, review settings, withdrawals and
// publications. Only that agency's admins may.
func CanManage(a Actor, agency int64) error {
	if !a.Has(RoleAdmin) {
		return refuse(RuleRole, "this needs the admin role")
	}
	if a.AgencyID != agency {
		return refuse(RuleAgency, "you manage only your own agency")
	}
	return nil
}

// CanAudit reports whether the actor may read agency agency's trail as a
// whole: its auditors and admins.
func CanAudit(a Actor, agency int64) error {
	if !a.Has(RoleAuditor) && !a.Has(RoleAdmin) {
		return refuse(RuleRole, "this needs the auditor or admin role")
	}
	if a.AgencyID != agency {
		return refuse(RuleAgency, "you audit only your own agency")
	}
	return nil
}

// CanGrant reports whether the actor may give a new person of agency
// agency these roles: an agency's admin any role but platform_admin, in
// their own agency; a platform admin an agency's admins (admin alone), and
// platform_admin.
func CanGrant(a Actor, agency int64, roles []Role) error {
	platform := CanManagePlatform(a) == nil
	if slices.Contains(roles, RolePlatformAdmin) && !platform {
		return refuse(RuleRole, "only a platform admin may make another")
	}
	if err := CanManage(a, agency); err != nil {
		for _, r := range roles {
			if !platform || (r != RoleAdmin && r != RolePlatformAdmin) {
				return err
			}
		}
	}
	return nil
}

// CanManagePlatform reports whether the actor may create agencies, give
// them their first admin, and keep the platform-wide word list.
func CanManagePlatform(a Actor) error {
	if !a.Has(RolePlatformAdmin) {
		return refuse(RuleRole, "this needs the platform_admin role")
	}
	return nil
}

// CanRevise reports whether the actor may make a new revision of the draft.
func CanRevise(a Actor, d DraftFacts) error {
	if a.ID != d.AuthorID {
		return refuse(RuleNotAuthor, "only the draft's author may revise it")
	}
	if d.State != StateReturned && d.State != StatePublished && d.State != StateUnsubmitted {
		return refuse(RuleNoSuchTransition, "only a returned or recalled draft can be revised, or a published one corrected; this one is %q", d.State)
	}
	return nil
}

// CanSave reports whether the actor may keep a new revision of the draft
// unsubmitted (暂存): its author, while it is unsubmitted (saved, or
// recalled), keeping its department as a revision does.
func CanSave(a Actor, d DraftFacts, dept int64) error {
	if a.ID != d.AuthorID {
		return refuse(RuleNotAuthor, "only the draft's author may save it")
	}
	if d.State != StateUnsubmitted {
		return refuse(RuleNoSuchTransition, "only an unsubmitted draft can be saved unsubmitted; this one is %q", d.State)
	}
	return CanReviseInto(a, d, dept)
}

// CanRecall reports whether the actor may take the draft back (撤回): its
// author, while it is at a stage and before any person decided on its
// current revision (d.Decisions), and not a correction, whose published
// revision is public. Machine checks in flight are simply abandoned.
func CanRecall(a Actor, d DraftFacts) error {
	if a.ID != d.AuthorID {
		return refuse(RuleNotAuthor, "only the draft's author may recall it")
	}
	if _, err := Next(d.State, ActionRecall); err != nil {
		return refuse(RuleNoSuchTransition, "only a draft under review can be recalled; this one is %q", d.State)
	}
	if d.PublishedRevision > 0 {
		return refuse(RuleNoSuchTransition, "a correction cannot be recalled: the published revision stays public; withdraw the correction by resubmitting, or ask a reviewer to return it")
	}
	for _, x := range d.Decisions {
		if x.Revision == d.Revision {
			return refuse(RuleRecallDecided, "a reviewer has already decided on this revision; it can no longer be recalled")
		}
	}
	return nil
}

// ReviseAction is the action a new revision of d is: a correction of a
// published draft, the first submission of a saved one (暂存, never
// submitted), or the revision of a returned or recalled one.
func ReviseAction(d DraftFacts) Action {
	if d.State == StatePublished {
		return ActionCorrect
	}
	if d.State == StateUnsubmitted && d.Saved {
		return ActionSubmit // its first submission
	}
	return ActionRevise
}

// CheckCorrection checks a new revision c of d against what it must keep:
// a correction (d has a published revision) says what it corrects, in
// c.Correction, and reaches every channel the published revision reached
// (published), since a channel it left would keep the uncorrected text; a
// revision of a draft never published carries no correction note.
func CheckCorrection(d DraftFacts, published, c Content) error {
	if d.PublishedRevision == 0 {
		if c.Correction != "" {
			return refuse(RuleCorrectionNote, "only a correction of a published draft carries a correction note")
		}
		return nil
	}
	if !Visible(c.Correction) {
		return refuse(RuleCorrectionNote, "a correction needs a note saying what it corrects; it is shown, dated, on the item")
	}
	for _, ch := range published.Channels {
		if !slices.Contains(c.Channels, ch) {
			return refuse(RuleCorrectionChannel, "a correction must keep channel %q, which the published revision reached; withdraw the item to take it down there", ch)
		}
	}
	return nil
}

// CanSetExpiry reports whether the actor may set the last day a draft
// stays public (有效期至) in place of what stage 2 settled: its reviewers
// and the agency's admins, until it is withdrawn or rejected.
func CanSetExpiry(a Actor, d DraftFacts) error {
	if a.AgencyID != d.AgencyID || !a.Has(RoleAdmin) && !d.reviews(a) {
		return refuse(RuleRole, "setting how long an item stays public needs the admin role or a reviewer of the draft")
	}
	if d.State == StateWithdrawn || d.State == StateRejected {
		return refuse(RuleNoSuchTransition, "the draft is %q: it will not be public", d.State)
	}
	return nil
}

// CanReviseInto is CanRevise for a revision naming department dept: a
// revision keeps its draft's department.
func CanReviseInto(a Actor, d DraftFacts, dept int64) error {
	if err := CanRevise(a, d); err != nil {
		return err
	}
	if dept != d.DepartmentID {
		return refuse(RuleDepartmentChange, "a revision keeps its draft's department; submit a new draft for another department")
	}
	return nil
}

// CanWithdraw reports whether the actor may withdraw a published draft.
func CanWithdraw(a Actor, d DraftFacts, reason string) error {
	if a.AgencyID != d.AgencyID || !a.Has(RoleAdmin) && !(a.Has(RoleDeptHead) && a.InDepartment(d.DepartmentID)) {
		return refuse(RuleRole, "withdrawing needs the admin role or the head of the draft's department")
	}
	if _, err := NextFor(d, ActionWithdraw); err != nil {
		return refuse(RuleNoSuchTransition, "only a published or scheduled draft, or one under correction, can be withdrawn; this one is %q", d.State)
	}
	if !Visible(reason) {
		return refuse(RuleWithdrawNeedsText, "a withdrawal needs a reason")
	}
	return nil
}

// MayDecideStage reports whether the actor could decide the draft at the
// given stage at all: role, department, separation of duties. The queue uses it
// to list only what the caller may decide; Authorize uses it for every decision.
func MayDecideStage(a Actor, d DraftFacts, s Stage) error {
	sp, ok := Spec(s)
	if !ok || !d.PersonDecides(sp) {
		return refuse(RuleNoPerson, "no person decides stage %q of this draft: the machine checks do", s)
	}
	if !a.Has(sp.Decider) {
		return refuse(RuleRole, "deciding stage %q needs the %s role", s, sp.Decider)
	}
	if a.AgencyID != d.AgencyID {
		return refuse(RuleAgency, "the draft belongs to another agency")
	}
	if !sp.InScope(a, d.AgencyID, d.DepartmentID) {
		return refuse(RuleDepartment, "the draft belongs to a department that is not yours")
	}
	if a.ID == d.AuthorID {
		return refuse(RuleAuthorDecides, "you wrote this draft and may not decide it")
	}
	for _, p := range d.Decisions {
		if p.ActorID == a.ID && p.Stage != s {
			return refuse(RuleTwoStages, "you decided stage %q of this draft (revision %d); one person never decides two stages", p.Stage, p.Revision)
		}
	}
	return nil
}

// Authorize checks a decision against the draft as it is now. It returns the
// state the draft moves to, or a *Refusal naming the rule.
func Authorize(a Actor, d DraftFacts, req DecisionRequest) (State, error) {
	if !req.Decision.Valid() {
		return "", refuse(RuleInvalidDecision, "decision must be approve, return or reject, not %q", req.Decision)
	}
	if !req.Stage.HumanDecided() {
		return "", refuse(RuleInvalidDecision, "stage %q is not a stage a person decides", req.Stage)
	}
	if utf8.RuneCountInString(req.Comment) > MaxComment {
		return "", refuse(RuleTooLong, "a comment is at most %d characters", MaxComment)
	}
	if req.Reason != "" && req.Decision == DecisionApprove {
		return "", refuse(RuleReasonOnlyReject, "a reason code goes only with reject or return")
	}
	if err := MayDecideStage(a, d, req.Stage); err != nil {
		return "", err
	}
	if req.Stage.State() != d.State || req.Revision != d.Revision {
		return "", refuse(RuleStale, "the draft is at %q revision %d; this decision is for %q revision %d",
			d.State, d.Revision, req.Stage, req.Revision)
	}
	if !d.StepDone {
		return "", refuse(RuleChecksPending, "the machine checks of this stage have not finished yet")
	}
	switch req.Decision {
	case DecisionReturn:
		if !Visible(req.Comment) {
			return "", refuse(RuleCommentRequired, "a return needs a comment for the author")
		}
		if req.Reason != "" && !req.Reason.ValidReturn() {
			return "", refuse(RuleReturnReason, "a return's reason code is one of %v, not %q", ReturnReasons, req.Reason)
		}
	case DecisionReject:
		if !req.Reason.Valid() {
			return "", refuse(RuleReasonRequired, "a reject needs a reason code from the law's list, not %q", req.Reason)
		}
	case DecisionApprove:
		if d.Blocking && !Visible(req.Comment) {
			return "", refuse(RuleOverrideRequired, "this revision has a blocking finding; approving past it needs an override comment")
		}
	}
	return NextFor(d, ActionFor(req.Decision))
}

// ReservedSlugs are the names under /public/ that are not agencies' columns.
var ReservedSlugs = []string{"items", "feed.json", "transparency", "static", "search", "all"}

// ValidSlug reports whether slug can name an agency's public column:
// lowercase ASCII letters, digits and hyphens, starting with a letter, 2 to
// 40 characters, and not one of ReservedSlugs.
func ValidSlug(slug string) error {
	if len(slug) < 2 || len(slug) > 40 || slug[0] < 'a' || slug[0] > 'z' {
		return refuse(RuleInvalidSlug, "the slug %q must be 2 to 40 lowercase ASCII letters, digits or hyphens, starting with a letter", slug)
	}
	for _, c := range slug {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return refuse(RuleInvalidSlug, "the slug %q must be 2 to 40 lowercase ASCII letters, digits or hyphens, starting with a letter", slug)
		}
	}
	if slices.Contains(ReservedSlugs, slug) {
		return refuse(RuleInvalidSlug, "the slug %q is reserved for the public site's own pages", slug)
	}
	return nil
}

// MaxComment bounds a decision's comment and an author's explanation, in
// characters, on every way in.
const MaxComment = 5000

// Visible reports whether s holds something a reader can see: not only
// spaces (the ideographic one included), line breaks, and format or other
// invisible characters (zero-width space and joiners, BOM, bidi controls).
// A comment, an override's justification or an explanation must be.
func Visible(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.In(r, unicode.Cf, unicode.Cc, unicode.Mn, unicode.Variation_Selector) && r != '\u3164' && r != '\u115F' && r != '\u1160' && r != '\uFFA0' {
			return true
		}
	}
	return false
}

// CanExplain reports whether the actor may send the draft's current
// revision on, unchanged, with explanation: its author, when stage 1's
// machine checks returned it. The checks do not run again; the next person
// sees the blocking findings and the explanation and must override them.
// No draft is stuck because a rule is wrong.
func CanExplain(a Actor, d DraftFacts, explanation string) error {
	if a.ID != d.AuthorID {
		return refuse(RuleNotAuthor, "only the draft's author may explain it")
	}
	if d.State != StateReturned || d.ReturnedByPerson {
		return refuse(RuleNotExplainable, "only a revision returned by stage 1's machine checks can be sent on with an explanation; revise it instead")
	}
	if !Visible(explanation) {
		return refuse(RuleExplanationNeeded, "an explanation of why the blocking findings are wrong is required")
	}
	if utf8.RuneCountInString(explanation) > MaxComment {
		return refuse(RuleTooLong, "an explanation is at most %d characters", MaxComment)
	}
	return nil
}
