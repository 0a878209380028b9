package annualreport_test

import (
	"errors"
	"strings"
	"testing"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/checks/annualreport"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// everyOutcome is a year of cases with every outcome in some column, and
// appeals of every kind and outcome; balanced.
func everyOutcome() ar.CaseCounts {
	c := ar.CaseCounts{Recorded: true, Outcomes: map[ar.Outcome]ar.Row{}}
	for i, o := range ar.Outcomes {
		var r ar.Row
		r[ar.Applicant(i%int(ar.NumApplicants))] = i + 1
		r[ar.Natural]++
		c.Outcomes[o.Code] = r
	}
	c.CarriedIn = ar.Row{2, 0, 1}
	c.CarriedOut = ar.Row{3, 1}
	// new = concluded + carried out - carried in, column by column
	concluded := c.Concluded()
	for i := range ar.NumApplicants {
		c.New[i] = concluded[i] + c.CarriedOut[i] - c.CarriedIn[i]
	}
	c.Fees = ar.Fees{Notices: 3, NoticedFen: 4550, CollectedFen: 3000}
	c.Appeals = ar.Appeals{Review: ar.AppealRow{1, 2, 3, 4}, LawsuitDirect: ar.AppealRow{0, 1, 0, 2}, LawsuitAfterReview: ar.AppealRow{1, 0, 1, 0}}
	return c
}

func facts() ar.Facts {
	return ar.Facts{Year: 2025, Cases: everyOutcome(),
		Section2: ar.Section2{Regulations: ar.Issued{1, 2, 3}, NormativeDocuments: ar.Issued{4, 5, 6}, Licenses: 7, Penalties: 139, Enforcement: 9, Fees: "1.25"},
		Channels: map[string]int{"website": 269, "portal": 12, "wechat": 574, "douyin": 30, "applicant": 17}}
}

// TestGeneratedPasses: the validator reads back every figure of a
// generated report and finds nothing, against the records it came from.
func TestGeneratedPasses(t *testing.T) {
	f := facts()
	r, err := ar.New("某某街道办事处", f)
	if err != nil {
		t.Fatal(err)
	}
	c := domain.Content{Title: r.Title(), Body: r.Text(), Category: "annual_report"}
	if fs := annualreport.Check(c, &f); len(fs) != 0 {
		t.Errorf("findings on a generated report: %+v\n%s", fs, c.Body)
	}
	// 主动公开 counts the public channels only, never the replies
	// delivered to applicants; part 六 states the year's fees.
	for _, want := range []string{"在微信公众号公开信息574条", "全年发出收费通知3件，总金额45.50元，实际收取30.00元。"} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("the report lacks %q:\n%s", want, c.Body)
		}
	}
	if strings.Contains(c.Body, "送达申请人") {
		t.Errorf("the report counts the replies to applicants as published:\n%s", c.Body)
	}
	// A fee count in the text that the records do not bear out is a finding.
	wrong := c
	wrong.Body = strings.Replace(c.Body, "收费通知3件", "收费通知4件", 1)
	if fs := annualreport.Check(wrong, &f); len(fs) != 1 || fs[0].Code != annualreport.CodeRecords {
		t.Errorf("a wrong fee count: %+v; want one %s finding", fs, annualreport.CodeRecords)
	}
	p := annualreport.Parse(c.Body)
	if p.Cases == nil || p.Appeals == nil || p.Section2 == nil {
		t.Fatalf("tables not read back:\n%s", c.Body)
	}
	for _, o := range ar.Outcomes {
		cells := p.Cases.Outcomes[o.Code]
		for i := range ar.NumApplicants {
			if cells[i].Value != f.Cases.Outcomes[o.Code][i] {
				t.Errorf("%s column %d: read %d, generated %d", o.Code, i, cells[i].Value, f.Cases.Outcomes[o.Code][i])
			}
		}
	}
	if got := p.Appeals.LawsuitAfterReview[ar.NumAppealOutcomes].Value; got != 2 {
		t.Errorf("lawsuits after review: total %d, want 2", got)
	}
	if annualreport.Year(c) != 2025 {
		t.Errorf("year %d", annualreport.Year(c))
	}
	// Without cases recorded, the report says so and still passes.
	f.Cases, _ = ar.NoCases{}.Counts(t.Context(), 1, 2025)
	r, err = ar.New("某某街道办事处", f)
	if err != nil {
		t.Fatal(err)
	}
	c.Body = r.Text()
	if fs := annualreport.Check(c, &f); len(fs) != 0 {
		t.Errorf("findings on a generated report without cases: %+v", fs)
	}
}

func TestUnbalancedRefused(t *testing.T) {
	f := facts()
	f.Cases.New[ar.Charity]++
	if _, err := ar.New("某某街道办事处", f); !errors.Is(err, ar.ErrUnbalanced) {
		t.Errorf("an unbalanced table 三 gave %v, want ErrUnbalanced", err)
	}
}
