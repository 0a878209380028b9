package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// A year of real cases, recorded through the store as a handler records
// them — every outcome for every applicant type, cases carried in from the
// year before and out to the next, appeals of every kind and result, one
// filed the year before and one decided the year after — gives tables 三
// and 四 as the test counts them from what it made; one more case changes
// exactly its cells.
func TestAnnualReportFromRealCases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	s := o.s
	h := newHandler(t, s)
	cal := calendar.Official()
	column := func(typ domain.ApplicantType) int {
		for i, a := range ar.ApplicantTable {
			if a.Code == string(typ) {
				return i
			}
		}
		t.Fatalf("no column for %s", typ)
		return 0
	}
	type made struct {
		typ                 domain.ApplicantType
		received, concluded string // concluded "" while open
		outcome             domain.Outcome
	}
	var cases []made
	var ids []int64
	add := func(m made) int64 {
		t.Helper()
		a, err := s.AddApplication(ctx, h, store.NewApplication{Route: domain.RouteLetter, ApplicantType: m.typ, ApplicantName: "申请人",
			Description: "所需信息", ReceivedOn: day(t, m.received)}, noonOn(t, m.received))
		if err != nil {
			t.Fatal(err)
		}
		if m.outcome != "" {
			if _, err := s.ActOnApplication(ctx, cal, h, a.ID, store.CaseAct{Action: domain.CaseRecordOutcome, Outcome: m.outcome, On: day(t, m.concluded)},
				noonOn(t, m.concluded)); err != nil {
				t.Fatalf("%+v: %v", m, err)
			}
		}
		cases, ids = append(cases, m), append(ids, a.ID)
		return a.ID
	}
	for i, oc := range ar.Outcomes {
		for j, typ := range domain.ApplicantTypes {
			if (i+j)%3 == 0 {
				continue // not every cell: zeros too
			}
			add(made{typ, fmt.Sprintf("2025-%02d-10", 1+(i+j)%11), fmt.Sprintf("2025-%02d-20", 1+(i+j)%11), domain.Outcome(oc.Code)})
		}
	}
	add(made{domain.ApplicantNatural, "2024-12-20", "2025-01-15", "disclosed"})            // carried in, concluded
	add(made{domain.ApplicantBusiness, "2024-12-28", "", ""})                              // carried in and out
	add(made{domain.ApplicantLegal, "2025-12-22", "", ""})                                 // carried out
	add(made{domain.ApplicantCharity, "2025-12-30", "2026-01-08", "unavailable_not_held"}) // concluded the next year: carried out
	add(made{domain.ApplicantNatural, "2024-06-01", "2024-06-20", "disclosed"})            // another year altogether

	appeal := func(id int64, kind domain.AppealKind, after bool, filed string, result domain.AppealOutcome, decided string) {
		t.Helper()
		recordAppeal(t, s, cal, h, id, kind, after, filed, result, decided)
	}
	type filed struct {
		group  string
		result int // index in ar.AppealOutcomeCodes
	}
	var appeals []filed
	// The appeals follow their cases' conclusions: cases concluded by
	// August, so that the appeals are decided within the year.
	var early []int
	for i, c := range cases {
		if c.concluded != "" && c.concluded[:4] == "2025" && c.concluded < "2025-09" {
			early = append(early, i)
		}
	}
	after := func(i, days int) string {
		return day(t, cases[i].concluded).AddDate(0, 0, days).Format(domain.DateLayout)
	}
	for i, res := range []domain.AppealOutcome{domain.AppealUpheld, domain.AppealCorrected, domain.AppealOther, domain.AppealPending} {
		appeal(ids[early[i]], domain.AppealReview, false, after(early[i], 5), res, after(early[i], 60))
		appeal(ids[early[i+4]], domain.AppealLawsuit, false, after(early[i+4], 5), res, after(early[i+4], 90))
		appeal(ids[early[i+8]], domain.AppealLawsuit, true, after(early[i+8], 10), res, after(early[i+8], 100))
		appeals = append(appeals, filed{"review", i}, filed{"lawsuit_direct", i}, filed{"lawsuit_after_review", i})
	}
	late := slices.IndexFunc(cases, func(c made) bool { return c.concluded == "2025-11-20" })
	appeal(ids[late], domain.AppealReview, false, "2025-11-25", domain.AppealUpheld, "2026-01-20") // decided after the year: pending
	appeals = append(appeals, filed{"review", slices.Index(ar.AppealOutcomeCodes[:], "pending")})
	appeal(ids[len(ids)-1], domain.AppealReview, false, "2024-07-01", domain.AppealUpheld, "2024-08-01") // the year before

	// Tables 三 and 四, counted here from what was made.
	want := map[string]int{}
	cell := func(code string, col, n int) {
		want[fmt.Sprintf("三/%s/%d", code, col)] += n
		want[fmt.Sprintf("三/%s/%d", code, ar.NumApplicants)] += n
	}
	for _, c := range cases {
		col := column(c.typ)
		received, open := c.received[:4], c.concluded == "" || c.concluded[:4] > "2025"
		if received > "2025" || c.concluded != "" && c.concluded[:4] < "2025" {
			continue
		}
		if received == "2025" {
			cell("new", col, 1)
		} else {
			cell("carried_in", col, 1)
		}
		if open {
			cell("carried_out", col, 1)
		} else {
			cell(string(c.outcome), col, 1)
			cell("concluded", col, 1)
		}
	}
	for _, a := range appeals {
		want[fmt.Sprintf("四/%s/%d", a.group, a.result)]++
		want[fmt.Sprintf("四/%s/%d", a.group, ar.NumAppealOutcomes)]++
	}
	report := func() map[string]string {
		t.Helper()
		f, err := store.AnnualFacts{Store: s, Cases: store.Cases{Store: s}}.Facts(ctx, 1, 2025)
		if err != nil {
			t.Fatal(err)
		}
		f.Section2.Fees = "0"
		r, err := ar.New("建国门街道办事处", f)
		if err != nil {
			t.Fatalf("the report of real cases: %v", err)
		}
		return cells(r)
	}
	got := report()
	for k, v := range got {
		if k[0:3] != "三" && k[0:3] != "四" {
			continue
		}
		if v != fmt.Sprint(want[k]) {
			t.Errorf("%s: %s, want %d", k, v, want[k])
		}
	}

	// One more case: a business's application disclosed in June.
	add(made{domain.ApplicantBusiness, "2025-06-02", "2025-06-12", "disclosed"})
	col := column(domain.ApplicantBusiness)
	var wantChanged []string
	for _, code := range []string{"new", "disclosed", "concluded"} {
		wantChanged = append(wantChanged, fmt.Sprintf("三/%s/%d", code, col), fmt.Sprintf("三/%s/%d", code, ar.NumApplicants))
	}
	slices.Sort(wantChanged)
	if c := changed(got, report()); !slices.Equal(c, wantChanged) {
		t.Errorf("one more case changed %v, want %v", c, wantChanged)
	}
}
