package domain

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

// Every state × action: the moves NextCase allows, and nothing else.
func TestNextCase(t *testing.T) {
	allowed := map[CaseState]map[CaseAction]CaseState{
		CaseReceived: {CaseRequestSupplement: CaseSupplementRequested, CasePauseStart: CaseProcessing, CasePauseEnd: CaseProcessing,
			CaseRecordOutcome: CaseProcessing, CaseExtend: CaseExtended, CaseStartReply: CaseReplyInReview, CaseClose: CaseClosed,
			CaseRequestExtension: CaseReceived, CaseDeclineExtension: CaseReceived},
		CaseSupplementRequested: {CaseSupplementArrived: CaseProcessing, CaseRecordOutcome: CaseSupplementRequested, CaseClose: CaseClosed},
		CaseProcessing: {CasePauseStart: CaseProcessing, CasePauseEnd: CaseProcessing, CaseRecordOutcome: CaseProcessing,
			CaseExtend: CaseExtended, CaseStartReply: CaseReplyInReview, CaseClose: CaseClosed,
			CaseRequestExtension: CaseProcessing, CaseDeclineExtension: CaseProcessing},
		CaseExtended: {CasePauseStart: CaseExtended, CasePauseEnd: CaseExtended, CaseRecordOutcome: CaseExtended,
			CaseStartReply: CaseReplyInReview, CaseClose: CaseClosed},
		CaseReplyInReview: {CaseReplyPublished: CaseAnswered},
		CaseAnswered:      {CaseRecordDelivery: CaseAnswered, CaseClose: CaseClosed},
		CaseClosed:        {},
	}
	moves := []CaseAction{CaseRequestSupplement, CaseSupplementArrived, CasePauseStart, CasePauseEnd, CaseExtend, CaseRecordOutcome,
		CaseStartReply, CaseReplyPublished, CaseRecordDelivery, CaseClose, CaseRequestExtension, CaseDeclineExtension}
	for _, s := range CaseStates {
		for _, a := range moves {
			got, err := NextCase(s, a)
			want, ok := allowed[s][a]
			if ok != (err == nil) || got != want {
				t.Errorf("NextCase(%s, %s) = %q, %v; want %q (allowed %v)", s, a, got, err, want, ok)
			}
			var r *Refusal
			if errors.As(err, &r) && !hasHan(r.MessageZH) {
				t.Errorf("NextCase(%s, %s): the refusal has no Chinese message: %+v", s, a, r)
			}
		}
		for _, a := range []CaseAction{CaseRecordFee, CaseRecordAppeal, CaseDocumentAdded, CaseDocumentRead, CaseDocumentDeleted,
			CaseAssignHandler, CaseRemoveHandler, CaseTake} {
			if got, err := NextCase(s, a); err != nil || got != s {
				t.Errorf("NextCase(%s, %s) = %q, %v; a record changes no state", s, a, got, err)
			}
		}
	}
}

func TestOutcomeTableIsTheReportsRows(t *testing.T) {
	groups := map[string]int{}
	for _, o := range OutcomeTable {
		groups[o.Group]++
	}
	want := map[string]int{"disclosed": 1, "partly_disclosed": 1, "withheld": 8, "unavailable": 3, "rejected": 5, "other": 3}
	for g, n := range want {
		if groups[g] != n {
			t.Errorf("group %s has %d rows, want %d", g, groups[g], n)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// Who does what with a case's people: the identity documents are its own
// handlers' only (not another handler, not an admin, not an auditor); the
// extension is the head's (a case handler who is a dept_head), never a
// handler's alone nor an admin's; handlers are assigned by the head or an
// admin and taken by a case handler. Every refusal says it in Chinese.
func TestCaseRoles(t *testing.T) {
	handler := Actor{ID: 7, Name: "承办人", AgencyID: 1, Roles: []Role{RoleCaseHandler}}
	other := Actor{ID: 8, Name: "另一承办人", AgencyID: 1, Roles: []Role{RoleCaseHandler}}
	head := Actor{ID: 9, Name: "负责人", AgencyID: 1, Roles: []Role{RoleCaseHandler, RoleDeptHead}}
	admin := Actor{ID: 10, Name: "管理员", AgencyID: 1, Roles: []Role{RoleAdmin}}
	adminHandler := Actor{ID: 11, Name: "管理员兼承办人", AgencyID: 1, Roles: []Role{RoleAdmin, RoleCaseHandler}}
	auditor := Actor{ID: 12, Name: "审计员", AgencyID: 1, Roles: []Role{RoleAuditor}}
	deptHead := Actor{ID: 13, Name: "科长", AgencyID: 1, Roles: []Role{RoleDeptHead}}
	handlers := []int64{7, 11}
	for _, tc := range []struct {
		who  Actor
		err  error
		want Rule // "" allowed
	}{
		{handler, CanReadIdentity(handler, handlers), ""},
		{adminHandler, CanReadIdentity(adminHandler, handlers), ""},
		{other, CanReadIdentity(other, handlers), RuleNotCaseHandler},
		{head, CanReadIdentity(head, handlers), RuleNotCaseHandler},
		{admin, CanReadIdentity(admin, []int64{10}), RuleRole},
		{auditor, CanReadIdentity(auditor, handlers), RuleRole},
		{Actor{Roles: []Role{RoleCaseHandler}}, CanReadIdentity(Actor{Roles: []Role{RoleCaseHandler}}, []int64{0}), RuleNotCaseHandler},
		{head, CanApproveExtension(head), ""},
		{handler, CanApproveExtension(handler), RuleRole},
		{admin, CanApproveExtension(admin), RuleRole},
		{deptHead, CanApproveExtension(deptHead), RuleRole},
		{head, CanAssignHandlers(head), ""},
		{admin, CanAssignHandlers(admin), ""},
		{handler, CanAssignHandlers(handler), RuleRole},
		{handler, CanTakeCase(handler), ""},
		{admin, CanTakeCase(admin), RuleRole},
		{auditor, CanHandleCases(auditor), RuleRole},
	} {
		var r *Refusal
		switch {
		case tc.want == "" && tc.err != nil:
			t.Errorf("%s: refused: %v", tc.who.Name, tc.err)
		case tc.want == "":
		case !errors.As(tc.err, &r) || r.Rule != tc.want:
			t.Errorf("%s: %v, want a refusal %s", tc.who.Name, tc.err, tc.want)
		case !hasHan(r.MessageZH) || strings.ContainsAny(r.MessageZH, "abcdefghijklmnopqrstuvwxyz"):
			t.Errorf("%s: the refusal's Chinese message is %q", tc.who.Name, r.MessageZH)
		}
	}
}
