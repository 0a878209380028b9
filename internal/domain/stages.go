package domain

import "slices"

// Stage is one of the reviews. Each stage has a state of the same name.
type Stage string

// The review stages' names. What each stage is — its order, who decides it,
// whose queue it is — is its row in StageTable, not these names.
const (
	StageCompleteness    Stage = "completeness"
	StageCompliance      Stage = "compliance"
	StageConfidentiality Stage = "confidentiality"
)

// Person says whether a person decides a stage after its machine checks.
type Person int

const (
	// PersonNever: the machine checks alone move the draft on.
	PersonNever Person = iota
	// PersonIfRequired: a person decides where the agency's Policy asks
	// for one; otherwise the machine checks move the draft on.
	PersonIfRequired
	// PersonAlways: the draft waits for a person after the machine checks.
	PersonAlways
)

// Scope is which drafts a stage's reviewers see and decide.
type Scope string

const (
	// ScopeDepartment: the drafts of the reviewer's own departments.
	ScopeDepartment Scope = "department"
	// ScopeAgency: every department's drafts of the reviewer's agency.
	ScopeAgency Scope = "agency"
)

// StageSpec is one review stage: everything the rest of sanshen derives
// from — the bus subjects and consumers, the sweeper, the metrics labels,
// the queues and their scope, the pages' defaults and the locale keys.
type StageSpec struct {
	Stage Stage
	// Decider is the role whose queue the stage is.
	Decider Role
	// Person says whether a person decides after the machine checks.
	Person Person
	// Scope is which drafts the Decider sees.
	Scope Scope
	// AutoReturn: a blocking machine finding returns the draft to its
	// author at once. Otherwise a person sees the findings and may
	// approve past them with a written override.
	AutoReturn bool
}

// StageTable is the review stages in order. A stage is added here (and
// its checks, locale strings and tests); docs/architecture.md lists the
// files. Tests may append a dummy stage and restore it; nothing else
// changes it at run time.
var StageTable = []StageSpec{
	// 初审: the machine checks of completeness and accuracy; where the
	// agency asks for it, an officer of the draft's department (never its
	// author) decides after them.
	{Stage: StageCompleteness, Decider: RoleOfficer, Person: PersonIfRequired, Scope: ScopeDepartment, AutoReturn: true},
	// 复审: the head of the drafting department.
	{Stage: StageCompliance, Decider: RoleDeptHead, Person: PersonAlways, Scope: ScopeDepartment},
	// 终审: a confidentiality reviewer, for every department.
	{Stage: StageConfidentiality, Decider: RoleConfidentiality, Person: PersonAlways, Scope: ScopeAgency},
}

// Stages lists the review stages in order.
func Stages() []Stage {
	out := make([]Stage, len(StageTable))
	for i, s := range StageTable {
		out[i] = s.Stage
	}
	return out
}

// Spec is stage s's row of StageTable.
func Spec(s Stage) (StageSpec, bool) {
	for _, sp := range StageTable {
		if sp.Stage == s {
			return sp, true
		}
	}
	return StageSpec{}, false
}

// Valid reports whether s names a review stage.
func (s Stage) Valid() bool { _, ok := Spec(s); return ok }

// State is the state a draft is in while it waits at this stage.
func (s Stage) State() State { return State(s) }

// Order is the stage's place in the review, from 1.
func (s Stage) Order() int {
	for i, sp := range StageTable {
		if sp.Stage == s {
			return i + 1
		}
	}
	return 0
}

// HumanDecided reports whether a person may decide this stage (always, or
// where the agency's policy asks for one).
func (s Stage) HumanDecided() bool {
	sp, ok := Spec(s)
	return ok && sp.Person != PersonNever
}

// After is the state a draft enters when it passes stage s: the next
// stage's, or publishing after the last.
func (s Stage) After() State {
	for i, sp := range StageTable {
		if sp.Stage == s && i+1 < len(StageTable) {
			return StageTable[i+1].Stage.State()
		}
	}
	return StatePublishing
}

// FirstStage is where a submitted or revised draft starts.
func FirstStage() Stage { return StageTable[0].Stage }

// StageOf returns the review stage a state belongs to, if any.
func StageOf(s State) (Stage, bool) {
	st := Stage(s)
	return st, st.Valid()
}

// ReviewerRole is the role that decides stage s ("" for no such stage).
func ReviewerRole(s Stage) Role {
	sp, _ := Spec(s)
	return sp.Decider
}

// MachineStates are the states that owe a machine step, in order: each
// stage's checks, then publishing, then a withdrawal's removal from every
// channel. Each has its own work subject and consumer, its queue-depth
// metric, and the sweeper's attention.
func MachineStates() []State {
	out := make([]State, 0, len(StageTable)+2)
	for _, s := range StageTable {
		out = append(out, s.Stage.State())
	}
	return append(out, StatePublishing, StateWithdrawn)
}

// Policy is an agency's choices that the lifecycle follows.
type Policy struct {
	// People are the stages of PersonIfRequired at which the agency
	// requires a person's decision (the initial reviewer at stage 1).
	People []Stage
}

// Requires reports whether the policy asks for a person at stage s.
func (p Policy) Requires(s Stage) bool { return slices.Contains(p.People, s) }

// OptionalPeople are the stages at which an agency may require a person:
// the settings its admins see.
func OptionalPeople() []Stage {
	var out []Stage
	for _, s := range StageTable {
		if s.Person == PersonIfRequired {
			out = append(out, s.Stage)
		}
	}
	return out
}

// Decides reports whether a person decides stage sp under policy p.
func (sp StageSpec) Decides(p Policy) bool {
	switch sp.Person {
	case PersonAlways:
		return true
	case PersonIfRequired:
		return p.Requires(sp.Stage)
	}
	return false
}

// ChecksAction is what a stage's machine checks do with a draft under
// policy p: return it to its author (a blocking finding at an AutoReturn
// stage), leave it for a person, or pass it on.
func ChecksAction(s Stage, p Policy, blocking bool) Action {
	sp, _ := Spec(s)
	switch {
	case blocking && sp.AutoReturn:
		return ActionChecksBlock
	case sp.Decides(p):
		return ActionChecksDone
	}
	return ActionChecksPass
}

// QueueStages are the stages whose queue actor a works from under policy
// p, in order; the first is their default queue.
func QueueStages(a Actor, p Policy) []Stage {
	var out []Stage
	for _, sp := range StageTable {
		if sp.Decides(p) && a.Has(sp.Decider) {
			out = append(out, sp.Stage)
		}
	}
	return out
}

// InScope reports whether the draft of department dept of agency agency is
// within what actor a reviews at stage sp: always their own agency's, and
// their own departments' where the stage's scope is the department.
func (sp StageSpec) InScope(a Actor, agency, dept int64) bool {
	return a.AgencyID == agency && (sp.Scope == ScopeAgency || a.InDepartment(dept))
}
