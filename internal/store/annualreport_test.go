package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	ar "github.com/sanshen-gov/sanshen/internal/annualreport"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// fakeCases is a CaseSource holding fixed counts.
type fakeCases struct{ c ar.CaseCounts }

func (f *fakeCases) Counts(context.Context, int64, int) (ar.CaseCounts, error) { return f.c, nil }

// item is a published item as the test made it, to count independently.
type item struct {
	id       int64
	category string
	channels []domain.Channel
	day      string // the Beijing date of publication and delivery
}

// publishOn publishes a draft of category on channels, delivered to each,
// at 04:00 on day in Beijing.
func (o *reviewOffice) publishOn(t *testing.T, n int, category string, channels []domain.Channel, day string) item {
	t.Helper()
	ctx := context.Background()
	c := domain.Content{Title: fmt.Sprintf("第%d号%s", n, category), Body: "为规范辖区管理工作，特制定本办法。", Department: o.deps[0].Name,
		Category: category, Channels: channels, FormedOn: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)}
	d, err := o.s.Submit(ctx, o.officers[0], o.deps[0].ID, c, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	errs := o.s.PublishLocalBatch(ctx, publishing(t, o.s, []store.Draft{d}), func(work.Item, domain.Content) ([]store.PublicationOutcome, bool) {
		var out []store.PublicationOutcome
		for _, ch := range channels {
			out = append(out, store.PublicationOutcome{Channel: ch, Status: store.PubDelivered, URL: "https://example.gov.cn/x"})
		}
		return out, true
	})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	at := fmt.Sprintf("'%sT20:00:00Z'::timestamptz - interval '1 day'", day)
	exec(t, o.s, fmt.Sprintf(`UPDATE drafts SET published_at = %s WHERE id = %d`, at, d.ID))
	exec(t, o.s, fmt.Sprintf(`UPDATE publications SET delivered_at = %s WHERE draft_id = %d`, at, d.ID))
	return item{d.ID, category, channels, day}
}

// cells flattens a report into its cells by name, to compare two reports
// cell by cell.
func cells(r ar.Report) map[string]string {
	out := map[string]string{}
	for _, t := range r.Section2Rows() {
		for _, row := range t.Rows {
			for i, v := range row.Cells {
				out[fmt.Sprintf("二/%s/%s", row.Label, t.Columns[i])] = v
			}
		}
	}
	for _, row := range r.CaseRows() {
		for i, v := range row.Cells {
			out[fmt.Sprintf("三/%s/%d", row.Code, i)] = fmt.Sprint(v)
		}
	}
	for _, row := range r.AppealGroups() {
		for i, v := range row.Cells {
			out[fmt.Sprintf("四/%s/%d", row.Code, i)] = fmt.Sprint(v)
		}
	}
	for ch, n := range r.Facts.Channels {
		out["channel/"+ch] = fmt.Sprint(n)
	}
	return out
}

// changed names the cells that differ between two reports.
func changed(a, b map[string]string) []string {
	var out []string
	for k := range maps.Keys(a) {
		if a[k] != b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// A year of generated data — items of every category on every channel,
// published in the year and around it, with validity statuses, and cases
// of every outcome with appeals — gives the tables the test counts by
// itself; a change of one item or one case changes exactly its cells.
func TestAnnualReportFromTheRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	var items []item
	n := 0
	for _, cat := range domain.Categories {
		if cat == domain.CategoryApplicationReply {
			continue // a reply to an application is never a public item
		}
		for ci, ch := range domain.Channels {
			if ch == domain.ChannelApplicant {
				continue // delivery to an applicant: not a public channel
			}
			chs := []domain.Channel{ch}
			if ci > 0 {
				chs = []domain.Channel{domain.ChannelWebsite, ch}
			}
			for _, day := range []string{"2024-12-31", "2025-01-01", "2025-07-15", "2025-12-31", "2026-01-01"} {
				if day != "2025-07-15" && ci > 0 {
					continue // the year's edges on the website only
				}
				n++
				items = append(items, o.publishOn(t, n, cat, chs, day))
			}
		}
	}
	// Validity: one regulation of 2024 repealed in 2025, one normative
	// document of 2025 amended in 2025, one repealed in 2026.
	var reg2024, norm2025a, norm2025b int64
	for _, it := range items {
		switch {
		case it.category == "regulation" && it.day == "2024-12-31":
			reg2024 = it.id
		case it.category == "normative_document" && it.day == "2025-01-01":
			norm2025a = it.id
		case it.category == "normative_document" && it.day == "2025-07-15" && norm2025b == 0:
			norm2025b = it.id
		}
	}
	today := day(t, "2026-03-01")
	for _, x := range []struct {
		id int64
		v  domain.ValidityChange
	}{
		{reg2024, domain.ValidityChange{Status: domain.ValidityRepealed, On: day(t, "2025-05-01")}},
		{norm2025a, domain.ValidityChange{Status: domain.ValidityAmended, On: day(t, "2025-09-01")}},
		{norm2025b, domain.ValidityChange{Status: domain.ValidityRepealed, On: day(t, "2026-02-01")}},
	} {
		if err := o.s.SetValidity(ctx, o.admin, x.id, today, x.v); err != nil {
			t.Fatal(err)
		}
	}

	// The tables, counted here from what was made.
	in2025 := func(it item) bool { return it.day >= "2025-01-01" && it.day <= "2025-12-31" }
	count := func(f func(item) bool) int {
		k := 0
		for _, it := range items {
			if f(it) {
				k++
			}
		}
		return k
	}
	issued := func(cat string) int { return count(func(it item) bool { return it.category == cat && in2025(it) }) }
	byEnd := func(cat string) int {
		return count(func(it item) bool { return it.category == cat && it.day <= "2025-12-31" })
	}
	want := ar.Section2{
		Regulations:        ar.Issued{Issued: issued("regulation"), Repealed: 1, Valid: byEnd("regulation") - 1},
		NormativeDocuments: ar.Issued{Issued: issued("normative_document"), Repealed: 0, Valid: byEnd("normative_document") - 1},
		Licenses:           issued("license"), Penalties: issued("penalty"), Enforcement: issued("enforcement"), Fees: "3.5"}
	wantChannels := map[string]int{}
	for _, ch := range domain.Channels {
		wantChannels[string(ch)] = count(func(it item) bool { return in2025(it) && slices.Contains(it.channels, ch) })
	}

	cases := &fakeCases{c: ar.CaseCounts{Recorded: true, Outcomes: map[ar.Outcome]ar.Row{}}}
	for i, oc := range ar.Outcomes {
		var r ar.Row
		r[ar.Applicant(i%int(ar.NumApplicants))] = 1 + i%3
		cases.c.Outcomes[oc.Code] = r
		cases.c.New = cases.c.New.Add(r)
	}
	cases.c.CarriedIn, cases.c.CarriedOut = ar.Row{2}, ar.Row{2}
	cases.c.Appeals = ar.Appeals{Review: ar.AppealRow{1, 1, 0, 2}, LawsuitDirect: ar.AppealRow{0, 0, 1, 1}, LawsuitAfterReview: ar.AppealRow{1}}

	report := func() ar.Report {
		t.Helper()
		f, err := store.AnnualFacts{Store: o.s, Cases: cases}.Facts(ctx, 1, 2025)
		if err != nil {
			t.Fatal(err)
		}
		f.Section2.Fees = "3.5"
		r, err := ar.New("建国门街道办事处", f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := report()
	if r.Facts.Section2 != want {
		t.Errorf("section 二:\n got %+v\nwant %+v", r.Facts.Section2, want)
	}
	if !maps.Equal(r.Facts.Channels, wantChannels) {
		t.Errorf("channels: got %v, want %v", r.Facts.Channels, wantChannels)
	}
	rows := r.CaseRows()
	if got := rows[len(rows)-2]; got.Code != "concluded" || got.Cells[ar.NumApplicants] != cases.c.New.Total() {
		t.Errorf("concluded: %+v, want a total of %d", got, cases.c.New.Total())
	}
	before := cells(r)

	// One penalty moves from 2025 to 2024: its cell and its channel's.
	var penalty item
	for _, it := range items {
		if it.category == "penalty" && it.day == "2025-07-15" && len(it.channels) == 2 && it.channels[1] == domain.ChannelWeChat {
			penalty = it
		}
	}
	exec(t, o.s, fmt.Sprintf(`UPDATE drafts SET published_at = published_at - interval '1 year' WHERE id = %d`, penalty.id))
	exec(t, o.s, fmt.Sprintf(`UPDATE publications SET delivered_at = delivered_at - interval '1 year' WHERE draft_id = %d`, penalty.id))
	after := cells(report())
	if got, want := changed(before, after), []string{"channel/website", "channel/wechat", "二/行政处罚/本年处理决定数量"}; !slices.Equal(got, want) {
		t.Errorf("moving a penalty changed %v, want %v", got, want)
	}
	if after["二/行政处罚/本年处理决定数量"] != fmt.Sprint(want.Penalties-1) {
		t.Errorf("penalties: %s, want %d", after["二/行政处罚/本年处理决定数量"], want.Penalties-1)
	}

	// One case of a natural person disclosed is instead withheld as a
	// state secret: the two cells of its column, nothing else.
	before = after
	d := cases.c.Outcomes["disclosed"]
	d[ar.Natural]--
	cases.c.Outcomes["disclosed"] = d
	s := cases.c.Outcomes["withheld_secret"]
	s[ar.Natural]++
	cases.c.Outcomes["withheld_secret"] = s
	after = cells(report())
	if got, want := changed(before, after), []string{"三/disclosed/0", "三/disclosed/6", "三/withheld_secret/0", "三/withheld_secret/6"}; !slices.Equal(got, want) {
		t.Errorf("changing a case's outcome changed %v, want %v", got, want)
	}

	// A case that breaks the balance is refused, not reported.
	cases.c.CarriedOut[ar.Legal]++
	f, err := store.AnnualFacts{Store: o.s, Cases: cases}.Facts(ctx, 1, 2025)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ar.New("建国门街道办事处", f); err == nil {
		t.Error("an unbalanced table 三 was reported")
	}
}
