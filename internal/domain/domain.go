// Package domain is the draft's state machine and the rules of who may do
// what. It is pure: no I/O, no imports of ours, so every service and the web
// UI share one definition of the lifecycle instead of re-implementing it.
package domain

import (
	"fmt"
	"slices"
)

// State is where a draft is in its lifecycle. The names are part of the API.
type State string

// The lifecycle states, exactly as the API names them.
const (
	StateCompleteness    State = "completeness"
	StateCompliance      State = "compliance"
	StateConfidentiality State = "confidentiality"
	StatePublishing      State = "publishing"
	StatePublished       State = "published"
	// StateScheduled: approved, waiting for the publication time its
	// revision names (定时发布); the scheduler releases it to publishing.
	StateScheduled State = "scheduled"
	StateReturned  State = "returned"
	StateRejected  State = "rejected"
	StateWithdrawn State = "withdrawn"
	// StateUnsubmitted (暂存): a draft its author saved and never submitted
	// (ActionSave; submitted with ActionSubmit), or recalled before anyone
	// decided on it (resubmitted with ActionRevise); only its author sees
	// it.
	StateUnsubmitted State = "unsubmitted"
)

// States lists every state, in lifecycle order: the stages' states as
// StageTable orders them, then the rest.
func States() []State {
	out := make([]State, 0, len(StageTable)+7)
	out = append(out, StateUnsubmitted)
	for _, sp := range StageTable {
		out = append(out, sp.Stage.State())
	}
	return append(out, StateScheduled, StatePublishing, StatePublished, StateReturned, StateRejected, StateWithdrawn)
}

// Valid reports whether s is one of the lifecycle states.
func (s State) Valid() bool { return slices.Contains(States(), s) }

// Role is what a user may do. A user may hold several.
type Role string

// The roles of the brief.
const (
	RoleOfficer         Role = "officer"
	RoleDeptHead        Role = "dept_head"
	RoleConfidentiality Role = "confidentiality"
	RoleAdmin           Role = "admin"
	RoleAuditor         Role = "auditor"
	// RolePlatformAdmin creates agencies and their first admin; it gives no
	// power inside an agency.
	RolePlatformAdmin Role = "platform_admin"
	// RoleSystem is the machine: the stage workers, the relay and the publisher.
	RoleSystem Role = "system"
)

// Roles lists the roles a person can be given.
var Roles = []Role{RoleOfficer, RoleDeptHead, RoleConfidentiality, RoleAdmin, RoleAuditor, RolePlatformAdmin, RoleCaseHandler}

// Valid reports whether r is a role a person can hold.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Decision is a reviewer's verdict on one revision at one stage.
type Decision string

// The three verdicts.
const (
	DecisionApprove Decision = "approve"
	DecisionReturn  Decision = "return"
	DecisionReject  Decision = "reject"
)

// Valid reports whether d is a known verdict.
func (d Decision) Valid() bool {
	return d == DecisionApprove || d == DecisionReturn || d == DecisionReject
}

// Reason is why a draft is not to be published, after the categories of the
// Regulations on Open Government Information (articles 14-16).
type Reason string

// Reasons lists the reason codes a reject may carry.
var Reasons = []Reason{"state_secret", "law_prohibited", "security_stability",
	"third_party_rights", "internal_affairs", "process_info", "enforcement_file", "admin_inquiry"}

// Valid reports whether r is one of the law's reason codes.
func (r Reason) Valid() bool { return slices.Contains(Reasons, r) }

// ReturnReasons are the codes a return may carry, so that the officers'
// assessment can count returns by why they came back (issue 20 point 4):
// wrong facts or figures, a missing element (文号, 落款, an attachment),
// wording or format against the norms, sensitive content, personal data
// left unmasked, anything else. A return without one counts as unstated.
var ReturnReasons = []Reason{"inaccurate", "incomplete", "nonstandard", "sensitive", "personal_data", "other"}

// ValidReturn reports whether r is one of the return reason codes.
func (r Reason) ValidReturn() bool { return slices.Contains(ReturnReasons, r) }

// Categories are the codes of a draft's kind, after article 20 and the annual
// report's tables; the annual report counts by them.
var Categories = []string{"regulation", "normative_document", "agency_info", "plan",
	"statistics", "license", "penalty", "enforcement", "budget", "fee", "procurement",
	"major_project", "public_service", "emergency", "inspection", "civil_service", "news",
	"annual_report", "other", CategoryApplicationReply}

// CategoryApplicationReply is a reply (答复书) to an application for
// disclosure: its only channel is ChannelApplicant, and it is started from
// its case.
const CategoryApplicationReply = "application_reply"

// ValidCategory reports whether c is a known category code.
func ValidCategory(c string) bool { return slices.Contains(Categories, c) }

// Action is anything that moves a draft.
type Action string

// The actions. Machine actions are taken by the workers; the rest by people.
const (
	ActionSubmit      Action = "submit"
	ActionRevise      Action = "revise"
	ActionChecksPass  Action = "checks_pass"  // machine: the stage's checks pass the draft on
	ActionChecksBlock Action = "checks_block" // machine: blocking problems at an AutoReturn stage
	ActionChecksDone  Action = "checks_done"  // machine: findings stored, the draft waits for a person
	ActionApprove     Action = "approve"
	ActionReturn      Action = "return"
	ActionReject      Action = "reject"
	ActionExplain     Action = "explain"   // the author sends a stage-1-blocked revision on, unchanged, with a written explanation
	ActionPublished   Action = "published" // machine: every channel reached a final outcome
	ActionWithdraw    Action = "withdraw"
	// ActionCorrect starts a correction (更正): the author's new revision of
	// a published draft, reviewed while the published revision stays public.
	ActionCorrect Action = "correct"
	// ActionRelease is the scheduler's: a scheduled draft's time came.
	ActionRelease Action = "release"
	// ActionRecall: the author takes a submitted draft back before anyone
	// decided on it (撤回); it waits, unsubmitted, for their revision.
	ActionRecall Action = "recall"
	// ActionSave keeps a draft unsubmitted (暂存): a new draft, or a new
	// revision of one still unsubmitted, seen only by its author, neither
	// checked nor sent anywhere until it is submitted.
	ActionSave Action = "save"
)

// ActionFor maps a verdict to its action.
func ActionFor(d Decision) Action { return Action(d) }

// Next is the state an action moves a draft in state from to, as
// StageTable has it. It says nothing of who may act; see Authorize for that.
// Every transition of a draft is asked of Next.
func Next(from State, a Action) (State, error) {
	stage, atStage := StageOf(from)
	sp, _ := Spec(stage)
	decided := atStage && sp.Person != PersonNever
	switch a {
	case ActionSubmit: // a new draft, or one saved and never submitted (DraftFacts.Saved)
		if from == "" || from == StateUnsubmitted {
			return FirstStage().State(), nil
		}
	case ActionSave:
		if from == "" || from == StateUnsubmitted {
			return StateUnsubmitted, nil
		}
	case ActionRevise:
		if from == StateReturned || from == StateUnsubmitted {
			return FirstStage().State(), nil
		}
	case ActionExplain:
		if from == StateReturned {
			return FirstStage().State(), nil
		}
	case ActionRecall:
		if atStage {
			return StateUnsubmitted, nil
		}
	case ActionCorrect:
		if from == StatePublished {
			return FirstStage().State(), nil
		}
	case ActionRelease:
		if from == StateScheduled {
			return StatePublishing, nil
		}
	case ActionChecksPass:
		if atStage && sp.Person != PersonAlways {
			return stage.After(), nil
		}
	case ActionChecksBlock:
		if atStage && sp.AutoReturn {
			return StateReturned, nil
		}
	case ActionChecksDone:
		if decided {
			return from, nil
		}
	case ActionApprove:
		if decided {
			return stage.After(), nil
		}
	case ActionReturn:
		if decided {
			return StateReturned, nil
		}
	case ActionReject:
		if decided {
			return StateRejected, nil
		}
	case ActionPublished:
		if from == StatePublishing {
			return StatePublished, nil
		}
	case ActionWithdraw:
		if from == StatePublished || from == StateScheduled {
			return StateWithdrawn, nil
		}
	}
	return "", &Refusal{Rule: RuleNoSuchTransition,
		Message: fmt.Sprintf("action %q is not possible from state %q", a, from)}
}

// NextFor is Next for the draft d, whose facts change two answers. A
// correction (d has a published revision) that is rejected ends the
// correction, not the item: the draft goes back to published, its published
// revision still public. And an item under correction can be withdrawn at
// any time but while it is being published: withdrawal takes the published
// revision down and abandons the correction.
func NextFor(d DraftFacts, a Action) (State, error) {
	if d.PublishedRevision > 0 {
		switch {
		case a == ActionReject:
			if _, err := Next(d.State, a); err == nil {
				return StatePublished, nil
			}
		case a == ActionWithdraw && d.State != StatePublishing && d.State != StateWithdrawn:
			return StateWithdrawn, nil
		}
	}
	return Next(d.State, a)
}

// MachineStep reports whether a worker owes work to a draft in state s: the
// sweeper re-sends the work of drafts whose step has not finished in time.
func (s State) MachineStep() bool { return slices.Contains(MachineStates(), s) }
