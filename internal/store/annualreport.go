package store

import (
	"context"
	"fmt"
	"time"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Section2 counts section 二 of an agency's annual report for year
// (Fees is left to the office: sanshen does not hold the money
// collected). Regulations and normative documents are ValidityCounts'
// (本年制发: published in the year; 本年废止: repeals dated in the year;
// 现行有效: those published by the year's end and neither amended nor
// repealed by then, an item whose status nobody recorded counting as in
// force). Licences, penalties and enforcement decisions count in the year
// of their first publication (drafts.published_at, Beijing time), by the
// published revision's category, even when corrected, expired or
// withdrawn since: they were published that year.
func (s *Store) Section2(ctx context.Context, agencyID int64, year int) (ar.Section2, error) {
	out := ar.Section2{Fees: "0"}
	vs, err := s.ValidityCounts(ctx, agencyID, year)
	if err != nil {
		return out, err
	}
	for _, v := range vs {
		n := ar.Issued{Issued: v.Issued, Repealed: v.RepealedInYear, Valid: v.Valid + v.Unset}
		switch v.Category {
		case "regulation":
			out.Regulations = n
		case "normative_document":
			out.NormativeDocuments = n
		}
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, domain.Beijing)
	err = s.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE r.category = 'license'),
			count(*) FILTER (WHERE r.category = 'penalty'), count(*) FILTER (WHERE r.category = 'enforcement')
		FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = d.published_revision
		WHERE d.agency_id = $1 AND d.published_at >= $2 AND d.published_at < $3 AND r.category IN ('license', 'penalty', 'enforcement')`,
		agencyID, from, from.AddDate(1, 0, 0)).Scan(&out.Licenses, &out.Penalties, &out.Enforcement)
	if err != nil {
		return out, fmt.Errorf("error counting the decisions published in %d: %w", year, err)
	}
	return out, nil
}

// AnnualFacts is an agency's records of a year, as the annual report's
// generator writes them and its validator compares a report with:
// section 二, the items delivered per channel, and the cases from Cases.
type AnnualFacts struct {
	Store *Store
	Cases ar.CaseSource
}

// Facts gathers agencyID's records of year.
func (f AnnualFacts) Facts(ctx context.Context, agencyID int64, year int) (ar.Facts, error) {
	out := ar.Facts{Year: year, Channels: map[string]int{}}
	var err error
	if out.Section2, err = f.Store.Section2(ctx, agencyID, year); err != nil {
		return out, err
	}
	cs, err := f.Store.ChannelCounts(ctx, agencyID, year)
	if err != nil {
		return out, err
	}
	for _, c := range cs {
		out.Channels[string(c.Channel)] = c.Delivered
	}
	if out.Cases, err = f.Cases.Counts(ctx, agencyID, year); err != nil {
		return out, fmt.Errorf("error counting the applications of %d: %w", year, err)
	}
	if out.Cases.Outcomes == nil {
		out.Cases.Outcomes = map[ar.Outcome]ar.Row{}
	}
	return out, nil
}

// Cases is the annual report's CaseSource from the applications sanshen
// records (ApplicationReportCounts): tables 三 and 四 of an agency's year.
type Cases struct{ Store *Store }

// Counts implements ar.CaseSource.
func (c Cases) Counts(ctx context.Context, agencyID int64, year int) (ar.CaseCounts, error) {
	rep, err := c.Store.ApplicationReportCounts(ctx, agencyID, year)
	if err != nil {
		return ar.CaseCounts{}, err
	}
	out := ar.CaseCounts{Outcomes: map[ar.Outcome]ar.Row{}, Recorded: true,
		Fees: ar.Fees{Notices: rep.Fees.Notices, NoticedFen: rep.Fees.NoticedFen, CollectedFen: rep.Fees.CollectedFen}}
	for i, info := range ar.ApplicantTable {
		col := rep.Columns[domain.ApplicantType(info.Code)]
		out.New[i], out.CarriedIn[i], out.CarriedOut[i] = col.New, col.CarriedIn, col.CarriedOut
		for code, n := range col.Outcomes {
			r := out.Outcomes[ar.Outcome(code)]
			r[i] = n
			out.Outcomes[ar.Outcome(code)] = r
		}
	}
	for group, row := range map[AppealColumn]*ar.AppealRow{AppealColumnReview: &out.Appeals.Review,
		AppealColumnDirect: &out.Appeals.LawsuitDirect, AppealColumnAfterReview: &out.Appeals.LawsuitAfterReview} {
		for i, code := range ar.AppealOutcomeCodes {
			row[i] = rep.Appeals[group][domain.AppealOutcome(code)]
		}
	}
	return out, nil
}
