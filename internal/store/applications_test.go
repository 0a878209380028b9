package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// noonOn is noon in Beijing on the civil date s: "now" for a store call.
func noonOn(t *testing.T, s string) time.Time {
	return day(t, s).Add(4 * time.Hour) // 12:00 CST
}

func newHandler(t *testing.T, s *store.Store) domain.Actor {
	t.Helper()
	u, _, err := s.AddUser(context.Background(), admin, store.NewUser{Name: "依申请承办人", Roles: []domain.Role{domain.RoleCaseHandler}})
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor()
}

// newHead is the head of the 政府信息公开工作机构: a case handler who is a
// dept_head (of a department of their own).
func newHead(t *testing.T, s *store.Store) domain.Actor {
	t.Helper()
	dep, err := s.AddDepartment(context.Background(), admin, "政务公开办")
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := s.AddUser(context.Background(), admin, store.NewUser{Name: "公开办主任", Roles: []domain.Role{domain.RoleCaseHandler, domain.RoleDeptHead},
		Departments: []int64{dep.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return u.Actor()
}

func refusedAs(t *testing.T, err error, rule domain.Rule) {
	t.Helper()
	var r *domain.Refusal
	if !errors.As(err, &r) || r.Rule != rule {
		t.Fatalf("want a refusal %s, got %v", rule, err)
	}
}

// A letter's case through the clock's records: a late 补正 is refused, a
// timely one stops the clock until the corrected application arrives, the
// extension is asked for by the handler and approved (or declined) by the
// head of the 政府信息公开工作机构 as themselves — never by the handler
// alone, nor by an admin — and every step is an event in the case's chain,
// which verifies.
func TestApplicationClockRecords(t *testing.T) {
	ctx := context.Background()
	s := testenv.Store(t)
	h := newHandler(t, s)
	head := newHead(t, s)
	cal := calendar.Official()
	in := store.NewApplication{Route: domain.RouteLetter, ApplicantType: domain.ApplicantNatural, ApplicantName: "张三",
		ApplicantIDNumber: "110101199003071234", Description: "2025年本街道老旧小区改造项目的资金使用情况", ReceivedOn: day(t, "2025-09-15")}
	officer := domain.Actor{ID: 99, Name: "信息员", AgencyID: 1, Roles: []domain.Role{domain.RoleOfficer}}
	if _, err := s.AddApplication(ctx, officer, in, noonOn(t, "2025-09-15")); err == nil {
		t.Fatal("an officer took in an application")
	}
	a, err := s.AddApplication(ctx, h, in, noonOn(t, "2025-09-15"))
	if err != nil {
		t.Fatal(err)
	}
	// Refused writes on a case are in the agency's trail, as refused
	// submissions are: who tried what, and the rule.
	if _, err := s.ActOnApplication(ctx, cal, officer, a.ID, store.CaseAct{Action: domain.CaseClose}, noonOn(t, "2025-09-15")); err == nil {
		t.Fatal("an officer closed a case")
	}
	var denied []string
	rows, _ := s.Pool.Query(ctx, `SELECT action || ' ' || comment FROM audit_events WHERE action LIKE 'denied:application_%' AND actor_id = 99 ORDER BY seq`)
	denied, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(denied) != 2 || !strings.HasPrefix(denied[0], "denied:application_received application 0: ") ||
		!strings.HasPrefix(denied[1], fmt.Sprintf("denied:application_closed application %d: ", a.ID)) {
		t.Fatalf("the refused writes' events: %q", denied)
	}
	if a.State != domain.CaseReceived || len(a.QueryCode) != 12 || len(a.Handlers) != 1 || a.Handlers[0].UserID != h.ID {
		t.Fatalf("new case: %+v", a)
	}
	actBy := func(by domain.Actor, now string, x store.CaseAct) (store.Application, error) {
		return s.ActOnApplication(ctx, cal, by, a.ID, x, noonOn(t, now))
	}
	act := func(now string, x store.CaseAct) (store.Application, error) { return actBy(h, now, x) }
	// 7 working days from 9-15 end on 9-24.
	_, err = act("2025-09-25", store.CaseAct{Action: domain.CaseRequestSupplement, On: day(t, "2025-09-25"), Note: "请写明项目名称"})
	refusedAs(t, err, domain.RuleCaseInput)
	if a, err = act("2025-09-19", store.CaseAct{Action: domain.CaseRequestSupplement, Note: "请写明项目名称"}); err != nil {
		t.Fatal(err)
	}
	if dl := cal.ApplicationDeadline(a.Clock(), day(t, "2025-09-19")); !dl.Waiting || !dl.Due.IsZero() {
		t.Fatalf("a 补正 out: %+v", dl)
	}
	_, err = actBy(head, "2025-09-19", store.CaseAct{Action: domain.CaseExtend, Note: "需调取档案"})
	refusedAs(t, err, domain.RuleNoSuchTransition)
	if a, err = act("2025-09-24", store.CaseAct{Action: domain.CaseSupplementArrived}); err != nil {
		t.Fatal(err)
	}
	// The handler alone cannot extend (refused and audited), nor can an
	// admin; the handler asks, with the reason.
	_, err = act("2025-10-09", store.CaseAct{Action: domain.CaseExtend, Note: "需调取档案"})
	refusedAs(t, err, domain.RuleRole)
	_, err = actBy(admin, "2025-10-09", store.CaseAct{Action: domain.CaseExtend, Note: "需调取档案"})
	refusedAs(t, err, domain.RuleRole)
	_, err = act("2025-10-09", store.CaseAct{Action: domain.CaseRequestExtension})
	refusedAs(t, err, domain.RuleCaseInput)
	if a, err = act("2025-10-09", store.CaseAct{Action: domain.CaseRequestExtension, Note: "需调取档案"}); err != nil {
		t.Fatal(err)
	}
	if !a.ExtensionPending() || a.ExtensionRequestedBy != h.ID || a.State != domain.CaseProcessing {
		t.Fatalf("requested: %+v", a)
	}
	_, err = act("2025-10-09", store.CaseAct{Action: domain.CaseRequestExtension, Note: "再次申请"})
	refusedAs(t, err, domain.RuleCaseInput)
	// Declined, with the head's reason; asked again; approved by the head
	// as themselves, the request's reason kept.
	_, err = act("2025-10-09", store.CaseAct{Action: domain.CaseDeclineExtension, Note: "理由不充分"})
	refusedAs(t, err, domain.RuleRole)
	if a, err = actBy(head, "2025-10-09", store.CaseAct{Action: domain.CaseDeclineExtension, Note: "请写明需调取哪些档案"}); err != nil {
		t.Fatal(err)
	}
	if a.ExtensionPending() || !a.ExtendedOn.IsZero() {
		t.Fatalf("declined: %+v", a)
	}
	if a, err = act("2025-10-09", store.CaseAct{Action: domain.CaseRequestExtension, Note: "需调取2019年至2021年的城建档案"}); err != nil {
		t.Fatal(err)
	}
	if a, err = actBy(head, "2025-10-09", store.CaseAct{Action: domain.CaseExtend}); err != nil {
		t.Fatal(err)
	}
	if a.State != domain.CaseExtended || a.ExtensionApprover != head.Name || a.ExtensionApproverID != head.ID ||
		a.ExtensionNote != "需调取2019年至2021年的城建档案" || a.ExtensionPending() {
		t.Fatalf("extended: %+v", a)
	}
	_, err = act("2025-10-10", store.CaseAct{Action: domain.CaseRequestExtension, Note: "再延一次"})
	refusedAs(t, err, domain.RuleNoSuchTransition)
	// The hand-computed date of internal/calendar's test: 2025-11-25.
	if dl := cal.ApplicationDeadline(a.Clock(), day(t, "2025-10-09")); dl.Due.Format(domain.DateLayout) != "2025-11-25" {
		t.Fatalf("due %s, want 2025-11-25", dl.Due.Format(domain.DateLayout))
	}
	if a, err = act("2025-10-13", store.CaseAct{Action: domain.CasePauseStart, Reason: domain.PauseThirdParty, Note: "征求第三方意见"}); err != nil {
		t.Fatal(err)
	}
	_, err = act("2025-10-13", store.CaseAct{Action: domain.CasePauseStart, Reason: domain.PauseAgencies})
	refusedAs(t, err, domain.RuleCaseInput)
	if a, err = act("2025-10-17", store.CaseAct{Action: domain.CasePauseEnd}); err != nil {
		t.Fatal(err)
	}
	// 10-14 to 10-17: four working days more.
	if dl := cal.ApplicationDeadline(a.Clock(), day(t, "2025-10-17")); dl.Due.Format(domain.DateLayout) != "2025-12-01" || dl.PausedDays != 4 {
		t.Fatalf("after the pause: %+v", dl)
	}
	if a, err = act("2025-10-20", store.CaseAct{Action: domain.CaseRecordOutcome, Outcome: "partly_disclosed"}); err != nil {
		t.Fatal(err)
	}
	_, err = act("2025-10-20", store.CaseAct{Action: domain.CaseClose})
	refusedAs(t, err, domain.RuleCaseInput)

	events, err := s.ChainEvents(ctx, audit.ApplicationChain(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	want := []string{"application_received", "application_handler_assigned", "application_supplement_requested", "application_supplement_received",
		"application_extension_requested", "application_extension_declined", "application_extension_requested", "application_extended",
		"application_pause_started", "application_pause_ended", "application_outcome"}
	if len(actions) != len(want) {
		t.Fatalf("events %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("events %v, want %v", actions, want)
		}
	}
	if e := events[7]; e.ActorID != head.ID || !strings.Contains(e.Comment, fmt.Sprintf("approved_by=%d %s", head.ID, head.Name)) ||
		!strings.Contains(e.Comment, fmt.Sprintf("requested_by=%d", h.ID)) {
		t.Fatalf("the extension's event: %+v", e)
	}
	var deniedExtensions int
	if err := s.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'denied:application_extended'`).Scan(&deniedExtensions); err != nil || deniedExtensions != 2 {
		t.Fatalf("the refused extensions' events: %d %v", deniedExtensions, err)
	}
	res, err := s.VerifyAgency(ctx, 1)
	if err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
	// Another agency's admin does not see it.
	other := domain.Actor{ID: 1000, Name: "x", AgencyID: 2, Roles: []domain.Role{domain.RoleAdmin}}
	if _, err := s.Application(ctx, other, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another agency: %v", err)
	}
	st, err := s.ApplicationStatusByCode(ctx, 1, a.QueryCode)
	if err != nil || st.State != domain.CaseExtended {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := s.ApplicationStatusByCode(ctx, 1, "WRONGCODE234"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a wrong code: %v", err)
	}
}

// The report's table 三 and 四 from cases across two years: each count
// computed by hand, and the 勾稽 relation of every column holds.
func TestApplicationReportCounts(t *testing.T) {
	ctx := context.Background()
	s := testenv.Store(t)
	h := newHandler(t, s)
	cal := calendar.Official()
	type c struct {
		typ                 domain.ApplicantType
		received, concluded string
		outcome             domain.Outcome
	}
	cases := []c{
		{domain.ApplicantNatural, "2025-03-03", "2025-03-20", "disclosed"},            // in 2025 only
		{domain.ApplicantNatural, "2025-12-15", "2026-01-12", "withheld_third_party"}, // carried into 2026
		{domain.ApplicantNatural, "2026-02-02", "2026-03-02", "disclosed"},
		{domain.ApplicantNatural, "2026-05-06", "", ""}, // open at year end
		{domain.ApplicantBusiness, "2026-06-01", "2026-06-10", "rejected_repeat"},
		{domain.ApplicantLegal, "2025-12-30", "", ""}, // carried in and out
		{domain.ApplicantCharity, "2026-07-01", "2026-07-02", "other_no_fee"},
	}
	var ids []int64
	for _, x := range cases {
		a, err := s.AddApplication(ctx, h, store.NewApplication{Route: domain.RouteVisit, ApplicantType: x.typ, ApplicantName: "申请人",
			Description: "信息", ReceivedOn: day(t, x.received)}, noonOn(t, x.received))
		if err != nil {
			t.Fatal(err)
		}
		if x.outcome != "" {
			if _, err := s.ActOnApplication(ctx, cal, h, a.ID, store.CaseAct{Action: domain.CaseRecordOutcome, Outcome: x.outcome},
				noonOn(t, x.concluded)); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, a.ID)
	}
	appeal := func(id int64, kind domain.AppealKind, after bool, filed string, result domain.AppealOutcome, decided string) {
		t.Helper()
		recordAppeal(t, s, cal, h, id, kind, after, filed, result, decided)
	}
	appeal(ids[1], domain.AppealReview, false, "2026-02-01", domain.AppealUpheld, "2026-04-01")
	appeal(ids[1], domain.AppealLawsuit, true, "2026-04-20", domain.AppealCorrected, "2027-01-10") // decided after the year: pending
	appeal(ids[4], domain.AppealLawsuit, false, "2026-07-01", domain.AppealPending, "")
	appeal(ids[0], domain.AppealReview, false, "2025-04-01", domain.AppealOther, "2025-05-01") // another year
	fee := func(id int64, on string, fen int64) {
		t.Helper()
		if _, err := s.ActOnApplication(ctx, cal, h, id, store.CaseAct{Action: domain.CaseRecordFee, FeeAmountFen: fen, FeePaid: fen == 0,
			On: day(t, on)}, noonOn(t, on)); err != nil {
			t.Fatal(err)
		}
	}
	fee(ids[1], "2025-12-20", 12000) // noticed in 2025,
	fee(ids[1], "2026-01-05", 0)     // paid in 2026
	fee(ids[2], "2026-02-10", 3050)  // noticed in 2026, never paid
	fee(ids[4], "2026-06-03", 10000)
	fee(ids[4], "2026-06-05", 0)

	// 2027-01-10 is after "now" for the others; the store takes dates up to today.
	r, err := s.ApplicationReportCounts(ctx, 1, 2026)
	if err != nil {
		t.Fatal(err)
	}
	want := map[domain.ApplicantType]store.ApplicationColumn{
		domain.ApplicantNatural:  {New: 2, CarriedIn: 1, CarriedOut: 1, Outcomes: map[domain.Outcome]int{"disclosed": 1, "withheld_third_party": 1}},
		domain.ApplicantBusiness: {New: 1, Outcomes: map[domain.Outcome]int{"rejected_repeat": 1}},
		domain.ApplicantLegal:    {CarriedIn: 1, CarriedOut: 1, Outcomes: map[domain.Outcome]int{}},
		domain.ApplicantCharity:  {New: 1, Outcomes: map[domain.Outcome]int{"other_no_fee": 1}},
		domain.ApplicantResearch: {Outcomes: map[domain.Outcome]int{}},
		domain.ApplicantOtherOrg: {Outcomes: map[domain.Outcome]int{}},
	}
	for typ, w := range want {
		got := r.Columns[typ]
		if got.New != w.New || got.CarriedIn != w.CarriedIn || got.CarriedOut != w.CarriedOut || len(got.Outcomes) != len(w.Outcomes) {
			t.Errorf("%s: %+v, want %+v", typ, got, w)
		}
		sum := 0
		for o, n := range w.Outcomes {
			if got.Outcomes[o] != n {
				t.Errorf("%s %s: %d, want %d", typ, o, got.Outcomes[o], n)
			}
		}
		for _, n := range got.Outcomes {
			sum += n
		}
		if got.New+got.CarriedIn != sum+got.CarriedOut {
			t.Errorf("%s: 勾稽 %d + %d != %d + %d", typ, got.New, got.CarriedIn, sum, got.CarriedOut)
		}
	}
	wantAppeals := map[store.AppealColumn]map[domain.AppealOutcome]int{
		store.AppealColumnReview:      {domain.AppealUpheld: 1},
		store.AppealColumnAfterReview: {domain.AppealPending: 1},
		store.AppealColumnDirect:      {domain.AppealPending: 1},
	}
	for g, outs := range r.Appeals {
		for o, n := range outs {
			if wantAppeals[g][o] != n {
				t.Errorf("appeals %s %s: %d, want %d", g, o, n, wantAppeals[g][o])
			}
		}
	}
	if want := (store.FeeTotals{Notices: 2, NoticedFen: 13050, CollectedFen: 22000}); r.Fees != want {
		t.Errorf("2026's fees: %+v, want %+v", r.Fees, want)
	}
	r25, err := s.ApplicationReportCounts(ctx, 1, 2025)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.FeeTotals{Notices: 1, NoticedFen: 12000}); r25.Fees != want {
		t.Errorf("2025's fees: %+v, want %+v", r25.Fees, want)
	}
	if n := r25.Columns[domain.ApplicantNatural]; n.New != 2 || n.CarriedOut != 1 || n.Outcomes["disclosed"] != 1 {
		t.Errorf("2025 natural: %+v", n)
	}
	if r25.Appeals[store.AppealColumnReview][domain.AppealOther] != 1 {
		t.Errorf("2025 appeals: %+v", r25.Appeals)
	}
	// The annual report's source: the same counts in its columns, balanced.
	cc, err := store.Cases{Store: s}.Counts(ctx, 1, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if ok, col := cc.Balanced(); !ok || !cc.Recorded {
		t.Errorf("table 三 from the cases does not balance (column %d) or is not recorded", col)
	}
	if cc.New.Total() != 4 || cc.New[0] != 2 || cc.Outcomes["rejected_repeat"][1] != 1 || cc.Appeals.Review[0] != 1 || cc.Appeals.LawsuitDirect[3] != 1 ||
		cc.Fees.Notices != 2 || cc.Fees.CollectedFen != 22000 {
		t.Errorf("the report's counts: %+v", cc)
	}
}

// Two handlers send the reply of one case at once: one reply draft is made
// and linked to the case in its own transaction, with its event in the
// case's chain; the other is refused and leaves no draft behind.
func TestStartReplyOnce(t *testing.T) {
	ctx := context.Background()
	s := testenv.Store(t)
	cal := calendar.Official()
	dep, err := s.AddDepartment(ctx, admin, "综合办")
	if err != nil {
		t.Fatal(err)
	}
	var handlers []domain.Actor
	for _, name := range []string{"承办人甲", "承办人乙"} {
		u, _, err := s.AddUser(ctx, admin, store.NewUser{Name: name, Roles: []domain.Role{domain.RoleCaseHandler, domain.RoleOfficer},
			Departments: []int64{dep.ID}})
		if err != nil {
			t.Fatal(err)
		}
		handlers = append(handlers, u.Actor())
	}
	now := time.Now()
	received := now.In(domain.Beijing).AddDate(0, 0, -3)
	a, err := s.AddApplication(ctx, handlers[0], store.NewApplication{Route: domain.RouteVisit, ApplicantType: domain.ApplicantNatural,
		ApplicantName: "李四", Description: "本街道2026年低保资金发放情况", ReceivedOn: time.Date(received.Year(), received.Month(), received.Day(), 0, 0, 0, 0, time.UTC)}, now)
	if err != nil {
		t.Fatal(err)
	}
	// Without an outcome there is no reply, and no draft is made.
	_, _, err = s.StartReply(ctx, cal, handlers[0], a.ID, "", now)
	refusedAs(t, err, domain.RuleCaseInput)
	if _, err := s.ActOnApplication(ctx, cal, handlers[0], a.ID, store.CaseAct{Action: domain.CaseRecordOutcome, Outcome: "disclosed"}, now); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		d   store.Draft
		err error
	}
	// The case is held locked while both start, so both pass the checks
	// made before the transaction and meet at the case's lock.
	hold, err := s.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback(ctx) //nolint:errcheck
	if _, err := hold.Exec(ctx, `SELECT 1 FROM applications WHERE id = $1 FOR UPDATE`, a.ID); err != nil {
		t.Fatal(err)
	}
	answers := make(chan answer, 2)
	for _, h := range handlers {
		go func() {
			_, d, err := s.StartReply(ctx, cal, h, a.ID, "", now)
			answers <- answer{d, err}
		}()
	}
	testenv.Eventually(t, "both starts waiting for the case's lock", func() bool {
		var n int
		_ = s.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return n == 2
	})
	if err := hold.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var made []int64
	for range 2 {
		x := <-answers
		switch {
		case x.err == nil:
			made = append(made, x.d.ID)
		default:
			refusedAs(t, x.err, domain.RuleNoSuchTransition)
		}
	}
	if len(made) != 1 {
		t.Fatalf("%d replies started, want 1", len(made))
	}
	var drafts int
	var linked int64
	var state string
	if err := s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM drafts d JOIN revisions r ON r.draft_id = d.id WHERE r.category = 'application_reply'),
		reply_draft_id, state FROM applications WHERE id = $1`, a.ID).Scan(&drafts, &linked, &state); err != nil {
		t.Fatal(err)
	}
	if drafts != 1 || linked != made[0] || state != string(domain.CaseReplyInReview) {
		t.Fatalf("%d reply drafts, the case links %d (want %d), state %s", drafts, linked, made[0], state)
	}
	events, err := s.ChainEvents(ctx, audit.ApplicationChain(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Action != "application_reply_started" || !strings.HasSuffix(last.Comment, fmt.Sprintf("draft=%d", made[0])) {
		t.Fatalf("the case's last event: %+v", last)
	}
	if res, err := s.VerifyAgency(ctx, 1); err != nil || !res.OK {
		t.Fatalf("verify: %+v %v", res, err)
	}
}

// recordAppeal records an appeal of case id filed on filed, pending, and
// its result decided on decided unless it stays pending.
func recordAppeal(t *testing.T, s *store.Store, cal *calendar.Calendar, h domain.Actor, id int64, kind domain.AppealKind, after bool,
	filed string, result domain.AppealOutcome, decided string) {
	t.Helper()
	ctx := context.Background()
	a, err := s.ActOnApplication(ctx, cal, h, id, store.CaseAct{Action: domain.CaseRecordAppeal, AppealKind: kind, AfterReview: after,
		AppealResult: domain.AppealPending, On: day(t, filed)}, noonOn(t, filed))
	if err != nil {
		t.Fatal(err)
	}
	if result != domain.AppealPending {
		if _, err := s.ActOnApplication(ctx, cal, h, id, store.CaseAct{Action: domain.CaseRecordAppeal, AppealID: a.Appeals[len(a.Appeals)-1].ID,
			AppealResult: result, On: day(t, decided)}, noonOn(t, decided)); err != nil {
			t.Fatal(err)
		}
	}
}
