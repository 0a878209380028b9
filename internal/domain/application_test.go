package domain

import "testing"

// Every state × action: the moves NextCase allows, and nothing else.
func TestNextCase(t *testing.T) {
	allowed := map[CaseState]map[CaseAction]CaseState{
		CaseReceived: {CaseRequestSupplement: CaseSupplementRequested, CasePauseStart: CaseProcessing, CasePauseEnd: CaseProcessing,
			CaseRecordOutcome: CaseProcessing, CaseExtend: CaseExtended, CaseStartReply: CaseReplyInReview, CaseClose: CaseClosed},
		CaseSupplementRequested: {CaseSupplementArrived: CaseProcessing, CaseRecordOutcome: CaseSupplementRequested, CaseClose: CaseClosed},
		CaseProcessing: {CasePauseStart: CaseProcessing, CasePauseEnd: CaseProcessing, CaseRecordOutcome: CaseProcessing,
			CaseExtend: CaseExtended, CaseStartReply: CaseReplyInReview, CaseClose: CaseClosed},
		CaseExtended: {CasePauseStart: CaseExtended, CasePauseEnd: CaseExtended, CaseRecordOutcome: CaseExtended,
			CaseStartReply: CaseReplyInReview, CaseClose: CaseClosed},
		CaseReplyInReview: {CaseReplyPublished: CaseAnswered},
		CaseAnswered:      {CaseRecordDelivery: CaseAnswered, CaseClose: CaseClosed},
		CaseClosed:        {},
	}
	moves := []CaseAction{CaseRequestSupplement, CaseSupplementArrived, CasePauseStart, CasePauseEnd, CaseExtend, CaseRecordOutcome,
		CaseStartReply, CaseReplyPublished, CaseRecordDelivery, CaseClose}
	for _, s := range CaseStates {
		for _, a := range moves {
			got, err := NextCase(s, a)
			want, ok := allowed[s][a]
			if ok != (err == nil) || got != want {
				t.Errorf("NextCase(%s, %s) = %q, %v; want %q (allowed %v)", s, a, got, err, want, ok)
			}
		}
		for _, a := range []CaseAction{CaseRecordFee, CaseRecordAppeal, CaseDocumentAdded, CaseDocumentRead, CaseDocumentDeleted} {
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
