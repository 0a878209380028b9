package domain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var allActions = []Action{ActionSubmit, ActionRevise, ActionChecksPass, ActionChecksBlock, ActionChecksDone,
	ActionApprove, ActionReturn, ActionReject, ActionPublished, ActionWithdraw, ActionCorrect, ActionRelease, ActionRecall, ActionSave}

// TestNextEveryStateAndAction checks every state × action against the
// lifecycle written out by hand from the brief.
func TestNextEveryStateAndAction(t *testing.T) {
	allowed := map[State]map[Action]State{
		// A new draft is submitted, or saved unsubmitted (暂存).
		"": {ActionSubmit: StateCompleteness, ActionSave: StateUnsubmitted},
		// Stage 1: the machine checks pass or return it; where the agency
		// asks for an initial reviewer, it waits for one (checks_done).
		// At every stage the author may recall it (CanRecall says until when).
		StateCompleteness:    {ActionChecksPass: StateCompliance, ActionChecksBlock: StateReturned, ActionChecksDone: StateCompleteness, ActionApprove: StateCompliance, ActionReturn: StateReturned, ActionReject: StateRejected, ActionRecall: StateUnsubmitted},
		StateCompliance:      {ActionChecksDone: StateCompliance, ActionApprove: StateConfidentiality, ActionReturn: StateReturned, ActionReject: StateRejected, ActionRecall: StateUnsubmitted},
		StateConfidentiality: {ActionChecksDone: StateConfidentiality, ActionApprove: StatePublishing, ActionReturn: StateReturned, ActionReject: StateRejected, ActionRecall: StateUnsubmitted},
		// Unsubmitted: saved again, or sent to stage 1 — its first
		// submission if it was saved, a revision if it was recalled.
		StateUnsubmitted: {ActionRevise: StateCompleteness, ActionSubmit: StateCompleteness, ActionSave: StateUnsubmitted},
		StatePublishing:  {ActionPublished: StatePublished},
		StatePublished:   {ActionWithdraw: StateWithdrawn, ActionCorrect: StateCompleteness},
		StateScheduled:   {ActionRelease: StatePublishing, ActionWithdraw: StateWithdrawn},
		StateReturned:    {ActionRevise: StateCompleteness},
		StateRejected:    {},
		StateWithdrawn:   {},
	}
	for _, from := range append([]State{""}, States()...) {
		for _, a := range allActions {
			got, err := Next(from, a)
			want, ok := allowed[from][a]
			if ok {
				if err != nil || got != want {
					t.Errorf("Next(%q, %q) = %q, %v; want %q", from, a, got, err, want)
				}
				continue
			}
			var r *Refusal
			if !errors.As(err, &r) || r.Rule != RuleNoSuchTransition {
				t.Errorf("Next(%q, %q) = %q, %v; want refusal %s", from, a, got, err, RuleNoSuchTransition)
			}
		}
	}
}

// TestNextForACorrection checks the two answers a published revision
// changes: a rejected correction leaves the item published, and an item
// under correction can be withdrawn from any state but publishing.
func TestNextForACorrection(t *testing.T) {
	for _, tc := range []struct {
		state     State
		published int
		a         Action
		want      State
	}{
		{StateCompliance, 1, ActionReject, StatePublished},
		{StateCompliance, 0, ActionReject, StateRejected},
		{StateReturned, 2, ActionWithdraw, StateWithdrawn},
		{StateConfidentiality, 1, ActionWithdraw, StateWithdrawn},
		{StatePublishing, 1, ActionWithdraw, ""},
		{StateReturned, 0, ActionWithdraw, ""},
		{StateConfidentiality, 1, ActionApprove, StatePublishing},
		{StateReturned, 1, ActionReject, ""},
	} {
		got, err := NextFor(DraftFacts{State: tc.state, PublishedRevision: tc.published}, tc.a)
		if tc.want == "" {
			if err == nil {
				t.Errorf("NextFor(%s, published %d, %s) = %s; want a refusal", tc.state, tc.published, tc.a, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NextFor(%s, published %d, %s) = %s, %v; want %s", tc.state, tc.published, tc.a, got, err, tc.want)
		}
	}
}

// TestCanRecall: the author alone, at a stage, before any person decided
// the current revision, and never a correction.
func TestCanRecall(t *testing.T) {
	author := Actor{ID: 7, AgencyID: 1, Roles: []Role{RoleOfficer}}
	other := Actor{ID: 8, AgencyID: 1, Roles: []Role{RoleOfficer}}
	decided := []PastDecision{{ActorID: 9, Stage: StageCompliance, Revision: 2}}
	for _, tc := range []struct {
		name string
		a    Actor
		d    DraftFacts
		rule Rule
	}{
		{"waiting for the head", author, DraftFacts{AuthorID: 7, State: StateCompliance, Revision: 1}, ""},
		{"checks running", author, DraftFacts{AuthorID: 7, State: StateCompleteness, Revision: 1}, ""},
		{"an earlier revision was decided", author, DraftFacts{AuthorID: 7, State: StateCompliance, Revision: 3, Decisions: decided}, ""},
		{"someone else", other, DraftFacts{AuthorID: 7, State: StateCompliance, Revision: 1}, RuleNotAuthor},
		{"the head approved", author, DraftFacts{AuthorID: 7, State: StateConfidentiality, Revision: 2, Decisions: decided}, RuleRecallDecided},
		{"returned", author, DraftFacts{AuthorID: 7, State: StateReturned, Revision: 1}, RuleNoSuchTransition},
		{"published", author, DraftFacts{AuthorID: 7, State: StatePublished, Revision: 1}, RuleNoSuchTransition},
		{"a correction", author, DraftFacts{AuthorID: 7, State: StateCompliance, Revision: 2, PublishedRevision: 1}, RuleNoSuchTransition},
	} {
		err := CanRecall(tc.a, tc.d)
		var r *Refusal
		switch {
		case tc.rule == "" && err != nil:
			t.Errorf("%s: %v; want allowed", tc.name, err)
		case tc.rule != "" && (!errors.As(err, &r) || r.Rule != tc.rule):
			t.Errorf("%s: %v; want %s", tc.name, err, tc.rule)
		}
	}
	if err := CanView(other, DraftFacts{AuthorID: 7, AgencyID: 1, State: StateUnsubmitted}); err == nil {
		t.Error("another officer sees an unsubmitted draft")
	}
}

func TestCheckCorrection(t *testing.T) {
	pub := Content{Channels: []Channel{ChannelWebsite, ChannelPortal}}
	never := DraftFacts{}
	corr := DraftFacts{PublishedRevision: 1}
	if err := CheckCorrection(never, Content{}, Content{Correction: "x"}); err == nil {
		t.Error("a draft never published took a correction note")
	}
	if err := CheckCorrection(corr, pub, Content{Channels: pub.Channels, Correction: " \u200b"}); err == nil {
		t.Error("a correction went without a visible note")
	}
	if err := CheckCorrection(corr, pub, Content{Channels: []Channel{ChannelWebsite}, Correction: "更正文号"}); err == nil {
		t.Error("a correction left the portal")
	}
	if err := CheckCorrection(corr, pub, Content{Channels: []Channel{ChannelWebsite, ChannelPortal, ChannelWeChat}, Correction: "更正文号"}); err != nil {
		t.Errorf("a correction adding a channel: %v", err)
	}
}

const (
	author = 1
	me     = 2
	dept   = 10
	other  = 20
)

func facts(s State) DraftFacts {
	return DraftFacts{AuthorID: author, DepartmentID: dept, State: s, Revision: 3, StepDone: true}
}

func refusalRule(err error) Rule {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Rule
	}
	if err != nil {
		return "other-error"
	}
	return ""
}

// TestAuthorizeEveryStateDecisionRole checks each state × decision × role
// for a reviewer of the draft's department who did not write it.
func TestAuthorizeEveryStateDecisionRole(t *testing.T) {
	decisions := []Decision{DecisionApprove, DecisionReturn, DecisionReject}
	for _, policy := range []Policy{{}, {People: []Stage{StageCompleteness}}} {
		for _, st := range States() {
			for _, d := range decisions {
				for _, role := range Roles {
					for _, stage := range Stages() {
						name := fmt.Sprintf("%v/%s/%s/%s/%s", policy, st, stage, d, role)
						a := Actor{ID: me, Roles: []Role{role}, Departments: []int64{dept}}
						req := DecisionRequest{Stage: stage, Revision: 3, Decision: d, Comment: "请修改"}
						if d == DecisionReject {
							req.Reason = "state_secret"
						}
						f := facts(st)
						f.Policy = policy
						got, err := Authorize(a, f, req)
						var want Rule
						switch {
						// Stage 1 has a person where the policy asks, or where
						// a draft already waits for one there.
						case stage == StageCompleteness && !policy.Requires(stage) && st != StateCompleteness:
							want = RuleNoPerson
						case role != ReviewerRole(stage):
							want = RuleRole
						case State(stage) != st:
							want = RuleStale
						}
						if rule := refusalRule(err); rule != want {
							t.Errorf("%s: rule %q (%v), want %q", name, rule, err, want)
							continue
						}
						if want == "" {
							next, _ := Next(st, ActionFor(d))
							if got != next {
								t.Errorf("%s: moved to %q, want %q", name, got, next)
							}
						}
					}
				}
			}
		}
	}
}

func TestAuthorizeRules(t *testing.T) {
	head := Actor{ID: me, Roles: []Role{RoleDeptHead}, Departments: []int64{dept}}
	sec := Actor{ID: me, Roles: []Role{RoleConfidentiality}}
	both := Actor{ID: me, Roles: []Role{RoleDeptHead, RoleConfidentiality}, Departments: []int64{dept}}
	approve := func(s Stage, rev int) DecisionRequest {
		return DecisionRequest{Stage: s, Revision: rev, Decision: DecisionApprove}
	}
	officer := Actor{ID: me, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}
	withDecisions := func(f DraftFacts, ps ...PastDecision) DraftFacts { f.Decisions = ps; return f }
	initial := func(f DraftFacts) DraftFacts { f.Policy = Policy{People: []Stage{StageCompleteness}}; return f }
	checking := func(s State) DraftFacts { f := facts(s); f.StepDone = false; return f }
	cases := []struct {
		name string
		a    Actor
		f    DraftFacts
		req  DecisionRequest
		want Rule
	}{
		{"head approves own department", head, facts(StateCompliance), approve(StageCompliance, 3), ""},
		{"head of another department", Actor{ID: me, Roles: []Role{RoleDeptHead}, Departments: []int64{other}}, facts(StateCompliance), approve(StageCompliance, 3), RuleDepartment},
		{"confidentiality covers every department", sec, DraftFacts{AuthorID: author, DepartmentID: other, State: StateConfidentiality, Revision: 3, StepDone: true}, approve(StageConfidentiality, 3), ""},
		{"author never decides", Actor{ID: author, Roles: []Role{RoleDeptHead}, Departments: []int64{dept}}, facts(StateCompliance), approve(StageCompliance, 3), RuleAuthorDecides},
		{"one person, two stages", both, withDecisions(facts(StateConfidentiality), PastDecision{ActorID: me, Stage: StageCompliance, Revision: 3}), approve(StageConfidentiality, 3), RuleTwoStages},
		{"two stages across revisions too", both, withDecisions(facts(StateConfidentiality), PastDecision{ActorID: me, Stage: StageCompliance, Revision: 1}), approve(StageConfidentiality, 3), RuleTwoStages},
		{"same stage on a later revision is fine", head, withDecisions(facts(StateCompliance), PastDecision{ActorID: me, Stage: StageCompliance, Revision: 1}), approve(StageCompliance, 3), ""},
		{"someone else's decision does not count", both, withDecisions(facts(StateConfidentiality), PastDecision{ActorID: 99, Stage: StageCompliance, Revision: 3}), approve(StageConfidentiality, 3), ""},
		{"older revision is stale", head, facts(StateCompliance), approve(StageCompliance, 2), RuleStale},
		{"wrong stage is stale", both, facts(StateCompliance), approve(StageConfidentiality, 3), RuleStale},
		{"checks not finished", head, DraftFacts{AuthorID: author, DepartmentID: dept, State: StateCompliance, Revision: 3}, approve(StageCompliance, 3), RuleChecksPending},
		{"return needs a comment", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionReturn, Comment: "  "}, RuleCommentRequired},
		{"reject needs a reason code", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionReject, Reason: "dislike"}, RuleReasonRequired},
		{"reject with a law reason", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionReject, Reason: "third_party_rights"}, ""},
		{"unknown decision", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: "maybe"}, RuleInvalidDecision},
		{"stage 1 is decided by the machine by default", officer, checking(StateCompleteness), approve(StageCompleteness, 3), RuleNoPerson},
		{"initial reviewer approves a colleague's draft", officer, initial(facts(StateCompleteness)), approve(StageCompleteness, 3), ""},
		{"initial reviewer of another department", Actor{ID: me, Roles: []Role{RoleOfficer}, Departments: []int64{other}}, initial(facts(StateCompleteness)), approve(StageCompleteness, 3), RuleDepartment},
		{"the author is never the initial reviewer", Actor{ID: author, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}, initial(facts(StateCompleteness)), approve(StageCompleteness, 3), RuleAuthorDecides},
		{"a head is not an initial reviewer", head, initial(facts(StateCompleteness)), approve(StageCompleteness, 3), RuleRole},
		{"initial reviewer then head: two stages", Actor{ID: me, Roles: []Role{RoleOfficer, RoleDeptHead}, Departments: []int64{dept}}, withDecisions(initial(facts(StateCompliance)), PastDecision{ActorID: me, Stage: StageCompleteness, Revision: 3}), approve(StageCompliance, 3), RuleTwoStages},
		{"initial review checks not finished", officer, initial(checking(StateCompleteness)), approve(StageCompleteness, 3), RuleChecksPending},
		{"a draft waiting at stage 1 stays decidable after the policy is turned off", officer, facts(StateCompleteness), approve(StageCompleteness, 3), ""},
		{"stage names outside the table", head, facts(StateCompliance), approve("legal", 3), RuleInvalidDecision},
		{"every department is every department of one's own agency", Actor{ID: me, AgencyID: 2, Roles: []Role{RoleConfidentiality}}, facts(StateConfidentiality), approve(StageConfidentiality, 3), RuleAgency},
		{"a head of the same department id in another agency", Actor{ID: me, AgencyID: 2, Roles: []Role{RoleDeptHead}, Departments: []int64{dept}}, facts(StateCompliance), approve(StageCompliance, 3), RuleAgency},
		{"a reason goes only with reject or return", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionApprove, Reason: "state_secret"}, RuleReasonOnlyReject},
		{"a return with a return reason", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionReturn, Comment: "请核实", Reason: "inaccurate"}, ""},
		{"a return's reason is a return reason", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionReturn, Comment: "请核实", Reason: "state_secret"}, RuleReturnReason},
		{"an ideographic space is not a comment", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionReturn, Comment: "\u3000\u200b\n"}, RuleCommentRequired},
		{"zero-width characters are no override", head, DraftFacts{AuthorID: author, DepartmentID: dept, State: StateCompliance, Revision: 3, StepDone: true, Blocking: true}, DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionApprove, Comment: "\u200b\u200d\ufeff"}, RuleOverrideRequired},
		{"a comment too long", head, facts(StateCompliance), DecisionRequest{Stage: StageCompliance, Revision: 3, Decision: DecisionReturn, Comment: strings.Repeat("改", MaxComment+1)}, RuleTooLong},
		{"blocking finding needs override comment", head, DraftFacts{AuthorID: author, DepartmentID: dept, State: StateCompliance, Revision: 3, StepDone: true, Blocking: true}, approve(StageCompliance, 3), RuleOverrideRequired},
	}
	for _, tc := range cases {
		_, err := Authorize(tc.a, tc.f, tc.req)
		if got := refusalRule(err); got != tc.want {
			t.Errorf("%s: rule %q (%v), want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestViewAndRevise(t *testing.T) {
	f := facts(StateReturned)
	cases := []struct {
		a    Actor
		view bool
	}{
		{Actor{ID: author, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}, true},
		{Actor{ID: me, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}, false}, // a colleague's draft
		{Actor{ID: me, Roles: []Role{RoleDeptHead}, Departments: []int64{dept}}, true},
		{Actor{ID: me, Roles: []Role{RoleDeptHead}, Departments: []int64{other}}, false},
		{Actor{ID: me, Roles: []Role{RoleConfidentiality}}, true},
		{Actor{ID: me, Roles: []Role{RoleAuditor}}, true},
	}
	for i, tc := range cases {
		if got := CanView(tc.a, f) == nil; got != tc.view {
			t.Errorf("case %d: CanView = %v, want %v", i, got, tc.view)
		}
	}
	// Where the agency has initial reviewers, the department's officers
	// see its drafts; a colleague of another department still does not.
	f.Policy = Policy{People: []Stage{StageCompleteness}}
	if err := CanView(Actor{ID: me, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}, f); err != nil {
		t.Errorf("initial reviewer cannot see a colleague's draft: %v", err)
	}
	if err := CanView(Actor{ID: me, Roles: []Role{RoleOfficer}, Departments: []int64{other}}, f); err == nil {
		t.Error("an officer of another department sees the draft")
	}
	// Nobody sees another agency's drafts, whatever their roles.
	for _, r := range Roles {
		a := Actor{ID: me, AgencyID: 2, Roles: []Role{r}, Departments: []int64{dept}}
		if CanView(a, f) == nil || CanViewAudit(a, f) == nil {
			t.Errorf("a %s of another agency sees the draft or its trail", r)
		}
	}
	if err := CanRevise(Actor{ID: author}, f); err != nil {
		t.Errorf("author cannot revise a returned draft: %v", err)
	}
	if rule := refusalRule(CanRevise(Actor{ID: me}, f)); rule != RuleNotAuthor {
		t.Errorf("non-author revise: %q", rule)
	}
	if rule := refusalRule(CanRevise(Actor{ID: author}, facts(StateCompliance))); rule != RuleNoSuchTransition {
		t.Errorf("revise outside returned: %q", rule)
	}
}

// TestCanSave: only its author keeps an unsubmitted draft unsubmitted, in
// its own department; its first submission is a submit, a recalled one's
// a revision.
func TestCanSave(t *testing.T) {
	const author, other, dept = 1, 2, 10
	a := Actor{ID: author, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}
	f := DraftFacts{AuthorID: author, DepartmentID: dept, State: StateUnsubmitted, Saved: true}
	if err := CanSave(a, f, dept); err != nil {
		t.Errorf("the author cannot save their draft: %v", err)
	}
	if rule := refusalRule(CanSave(Actor{ID: other, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}, f, dept)); rule != RuleNotAuthor {
		t.Errorf("another saves it: %q", rule)
	}
	if rule := refusalRule(CanSave(a, f, 11)); rule != RuleDepartmentChange {
		t.Errorf("saved into another department: %q", rule)
	}
	for _, st := range []State{StateReturned, StateCompleteness, StatePublished} {
		g := f
		g.State = st
		if rule := refusalRule(CanSave(a, g, dept)); rule != RuleNoSuchTransition {
			t.Errorf("a %s draft saved unsubmitted: %q", st, rule)
		}
	}
	if got := ReviseAction(f); got != ActionSubmit {
		t.Errorf("a saved draft's first submission is %q", got)
	}
	f.Saved = false // recalled
	if got := ReviseAction(f); got != ActionRevise {
		t.Errorf("a recalled draft's resubmission is %q", got)
	}
}

func TestContentHashChangesWithContent(t *testing.T) {
	c := Content{Title: "标题", Body: "正文", Department: "综合办", Category: "news", Channels: []Channel{ChannelWebsite}}
	h1 := fmt.Sprintf("%x", c.SHA256())
	c.Body = "正文。"
	if h2 := fmt.Sprintf("%x", c.SHA256()); h1 == h2 {
		t.Fatal("content hash did not change with the body")
	}
}

func TestExplain(t *testing.T) {
	returned := facts(StateReturned)
	officer := Actor{ID: author, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}
	if err := CanExplain(officer, returned, "文号为执法文书格式，非公文文号。"); err != nil {
		t.Errorf("the author explains a machine return: %v", err)
	}
	byPerson := returned
	byPerson.ReturnedByPerson = true
	for _, tc := range []struct {
		name string
		a    Actor
		f    DraftFacts
		text string
		want Rule
	}{
		{"someone else", Actor{ID: me, Roles: []Role{RoleOfficer}, Departments: []int64{dept}}, returned, "说明", RuleNotAuthor},
		{"a person's return is revised, not explained", officer, byPerson, "说明", RuleNotExplainable},
		{"not returned", officer, facts(StateCompliance), "说明", RuleNotExplainable},
		{"no visible explanation", officer, returned, " \u3000\u200b", RuleExplanationNeeded},
	} {
		if got := refusalRule(CanExplain(tc.a, tc.f, tc.text)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if next, err := Next(StateReturned, ActionExplain); err != nil || next != StateCompleteness {
		t.Errorf("explain from returned: %q %v", next, err)
	}
}

func TestVisible(t *testing.T) {
	for s, want := range map[string]bool{"": false, " \t\n": false, "\u3000": false, "\u200b\u200c\u200d\u2060\ufeff\u00ad": false,
		"\u202e\u2066": false, "\ufe0f": false, "\u3164": false, "同意": true, " 同意 ": true, "\u200b同\u200b": true, "ok": true} {
		if got := Visible(s); got != want {
			t.Errorf("Visible(%q) = %v, want %v", s, got, want)
		}
	}
}
