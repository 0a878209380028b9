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
	StateReturned        State = "returned"
	StateRejected        State = "rejected"
	StateWithdrawn       State = "withdrawn"
)

// States lists every state, in lifecycle order, for tables and tests.
var States = []State{StateCompleteness, StateCompliance, StateConfidentiality,
	StatePublishing, StatePublished, StateReturned, StateRejected, StateWithdrawn}

// Valid reports whether s is one of the lifecycle states.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Stage is one of the three reviews. Each stage has a state of the same name.
type Stage string

// The three review stages.
const (
	StageCompleteness    Stage = "completeness"
	StageCompliance      Stage = "compliance"
	StageConfidentiality Stage = "confidentiality"
)

// Stages lists the review stages in order.
var Stages = []Stage{StageCompleteness, StageCompliance, StageConfidentiality}

// Valid reports whether s names a review stage.
func (s Stage) Valid() bool { return slices.Contains(Stages, s) }

// State is the state a draft is in while it waits at this stage.
func (s Stage) State() State { return State(s) }

// StageOf returns the review stage a state belongs to, if any.
func StageOf(s State) (Stage, bool) {
	st := Stage(s)
	return st, st.Valid()
}

// HumanDecided reports whether a person decides this stage. Stage 1 is decided
// by the machine checks (a human initial reviewer is a later policy option).
func (s Stage) HumanDecided() bool { return s == StageCompliance || s == StageConfidentiality }

// Role is what a user may do. A user may hold several.
type Role string

// The roles of the brief.
const (
	RoleOfficer         Role = "officer"
	RoleDeptHead        Role = "dept_head"
	RoleConfidentiality Role = "confidentiality"
	RoleAdmin           Role = "admin"
	RoleAuditor         Role = "auditor"
	// RoleSystem is the machine: the stage workers, the relay and the publisher.
	RoleSystem Role = "system"
)

// Roles lists the roles a person can be given.
var Roles = []Role{RoleOfficer, RoleDeptHead, RoleConfidentiality, RoleAdmin, RoleAuditor}

// Valid reports whether r is a role a person can hold.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ReviewerRole is the role that decides a human stage.
func ReviewerRole(s Stage) Role {
	switch s {
	case StageCompliance:
		return RoleDeptHead
	case StageConfidentiality:
		return RoleConfidentiality
	}
	return ""
}

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

// Channel is where a published draft goes.
type Channel string

// The publication channels.
const (
	ChannelWebsite Channel = "website"
	ChannelWeChat  Channel = "wechat"
	ChannelDouyin  Channel = "douyin"
)

// Channels lists every channel.
var Channels = []Channel{ChannelWebsite, ChannelWeChat, ChannelDouyin}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Categories are the codes of a draft's kind, after article 20 and the annual
// report's tables; the annual report counts by them.
var Categories = []string{"regulation", "normative_document", "agency_info", "plan",
	"statistics", "license", "penalty", "enforcement", "budget", "fee", "procurement",
	"major_project", "public_service", "emergency", "inspection", "civil_service", "news",
	"annual_report", "other"}

// ValidCategory reports whether c is a known category code.
func ValidCategory(c string) bool { return slices.Contains(Categories, c) }

// Action is anything that moves a draft.
type Action string

// The actions. Machine actions are taken by the workers; the rest by people.
const (
	ActionSubmit      Action = "submit"
	ActionRevise      Action = "revise"
	ActionChecksPass  Action = "checks_pass"  // machine: stage 1 found nothing blocking
	ActionChecksBlock Action = "checks_block" // machine: stage 1 found blocking problems
	ActionChecksDone  Action = "checks_done"  // machine: stage 2/3 findings stored, waits for a person
	ActionApprove     Action = "approve"
	ActionReturn      Action = "return"
	ActionReject      Action = "reject"
	ActionPublished   Action = "published" // machine: every channel reached a final outcome
	ActionWithdraw    Action = "withdraw"
)

// ActionFor maps a verdict to its action.
func ActionFor(d Decision) Action { return Action(d) }

// Next is the state an action moves a draft in state from to. It says nothing
// of who may act; see Authorize for that.
func Next(from State, a Action) (State, error) {
	switch a {
	case ActionSubmit:
		if from == "" {
			return StateCompleteness, nil
		}
	case ActionRevise:
		if from == StateReturned {
			return StateCompleteness, nil
		}
	case ActionChecksPass:
		if from == StateCompleteness {
			return StateCompliance, nil
		}
	case ActionChecksBlock:
		if from == StateCompleteness {
			return StateReturned, nil
		}
	case ActionChecksDone:
		if from == StateCompliance || from == StateConfidentiality {
			return from, nil
		}
	case ActionApprove:
		switch from {
		case StateCompliance:
			return StateConfidentiality, nil
		case StateConfidentiality:
			return StatePublishing, nil
		}
	case ActionReturn:
		if from == StateCompliance || from == StateConfidentiality {
			return StateReturned, nil
		}
	case ActionReject:
		if from == StateCompliance || from == StateConfidentiality {
			return StateRejected, nil
		}
	case ActionPublished:
		if from == StatePublishing {
			return StatePublished, nil
		}
	case ActionWithdraw:
		if from == StatePublished {
			return StateWithdrawn, nil
		}
	}
	return "", &Refusal{Rule: RuleNoSuchTransition,
		Message: fmt.Sprintf("action %q is not possible from state %q", a, from)}
}

// MachineStep reports whether a worker owes work to a draft in state s: the
// sweeper re-sends the work of drafts whose step has not finished in time.
func (s State) MachineStep() bool {
	return s == StateCompleteness || s == StateCompliance || s == StateConfidentiality || s == StatePublishing
}
