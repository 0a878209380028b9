package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// reviewOffice is two departments, an officer and a head in each, and an
// admin: the people of a periodic review.
type reviewOffice struct {
	s            *store.Store
	deps         [2]store.Department
	officers     [2]domain.Actor
	heads        [2]domain.Actor
	admin, other domain.Actor // other: the admin of another agency
}

func newReviewOffice(t *testing.T) *reviewOffice {
	t.Helper()
	ctx := context.Background()
	o := &reviewOffice{s: testenv.Store(t), admin: admin}
	for i, name := range []string{"综合办", "执法队"} {
		dep, err := o.s.AddDepartment(ctx, admin, name)
		if err != nil {
			t.Fatal(err)
		}
		o.deps[i] = dep
		off, _, err := o.s.AddUser(ctx, admin, store.NewUser{Name: name + "信息员", Roles: []domain.Role{domain.RoleOfficer}, Departments: []int64{dep.ID}})
		if err != nil {
			t.Fatal(err)
		}
		head, _, err := o.s.AddUser(ctx, admin, store.NewUser{Name: name + "科长", Roles: []domain.Role{domain.RoleDeptHead}, Departments: []int64{dep.ID}})
		if err != nil {
			t.Fatal(err)
		}
		o.officers[i], o.heads[i] = off.Actor(), head.Actor()
	}
	platform := domain.Actor{Name: "平台", AgencyID: 1, Roles: []domain.Role{domain.RolePlatformAdmin}}
	a2, u2, _, err := o.s.AddAgency(ctx, platform, "xinjie", "新街街道办事处", store.NewUser{Name: "新街管理员"})
	if err != nil {
		t.Fatal(err)
	}
	_ = a2
	o.other = u2.Actor()
	return o
}

// publish submits a draft of category for department i and puts it at
// published (the reviews before it are not what these tests are about),
// published at noon Beijing time on day.
func (o *reviewOffice) publish(t *testing.T, i int, category, day string) int64 {
	t.Helper()
	ctx := context.Background()
	c := domain.Content{Title: fmt.Sprintf("关于%s的%s", day, category), Body: "为规范辖区管理工作，特制定本办法。", Department: o.deps[i].Name,
		Category: category, Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	d, err := o.s.Submit(ctx, o.officers[i], o.deps[i].ID, c, time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	ws := publishing(t, o.s, []store.Draft{d})
	errs := o.s.PublishLocalBatch(ctx, ws, func(work.Item, domain.Content) ([]store.PublicationOutcome, bool) {
		return []store.PublicationOutcome{{Channel: domain.ChannelWebsite, Status: store.PubDelivered, URL: "https://example.gov.cn/x"}}, true
	})
	if errs[0] != nil {
		t.Fatal(errs[0])
	}
	// 04:00 UTC is noon in Beijing; 20:00 UTC the day before would be
	// 04:00 on day in Beijing: the date is Beijing's either way.
	exec(t, o.s, fmt.Sprintf(`UPDATE drafts SET published_at = '%sT20:00:00Z'::timestamptz - interval '1 day' WHERE id = %d`, day, d.ID))
	return d.ID
}

func day(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(domain.DateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func dateOf(p *time.Time) string {
	if p == nil {
		return "never"
	}
	return p.Format(domain.DateLayout)
}

// A yearly category published on D is due on D plus a year (the Beijing
// date of publication, PostgreSQL's month arithmetic at a leap day); a
// category never reviewed has no date; keeping it moves the date a period
// on from the day kept; the agency's own period replaces the default for
// its items at once, and not for another agency's.
func TestReviewDatesFollowThePolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	norm := o.publish(t, 0, "normative_document", "2025-03-10")
	leap := o.publish(t, 0, "regulation", "2024-02-29")
	news := o.publish(t, 0, "news", "2025-03-10")

	next := func(id int64) string {
		t.Helper()
		it, err := o.s.ReviewOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return dateOf(it.ReviewDueOn)
	}
	for id, want := range map[int64]string{norm: "2026-03-10", leap: "2025-02-28", news: "never"} {
		if got := next(id); got != want {
			t.Errorf("draft %d: next review %s, want %s", id, got, want)
		}
	}
	it, _ := o.s.ReviewOf(ctx, norm)
	if it.PublishedOn.Format(domain.DateLayout) != "2025-03-10" || it.Months != 12 || it.LastReviewedOn != nil {
		t.Errorf("review of the normative document: %+v", it)
	}

	// Due on the day, not the day before; the news item never.
	due := func(on string) []int64 {
		t.Helper()
		items, err := o.s.ReviewsDue(ctx, 1, day(t, on))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	if got := due("2025-02-27"); len(got) != 0 {
		t.Errorf("due the day before: %v", got)
	}
	if got := due("2026-03-10"); fmt.Sprint(got) != fmt.Sprint([]int64{leap, norm}) {
		t.Errorf("due on 2026-03-10: %v, want the regulation then the normative document (longest due first)", got)
	}

	// Kept on 2026-03-12: next 2027-03-12.
	if err := o.s.KeepReviewed(ctx, o.heads[0], norm, day(t, "2026-03-12"), "仍然适用"); err != nil {
		t.Fatal(err)
	}
	if got := next(norm); got != "2027-03-12" {
		t.Errorf("after keeping: next review %s, want 2027-03-12", got)
	}
	if got := due("2026-12-31"); fmt.Sprint(got) != fmt.Sprint([]int64{leap}) {
		t.Errorf("due by the end of 2026 after keeping: %v", got)
	}

	// The agency's own periods: normative documents every 6 months, news yearly.
	if err := o.s.SetReviewPolicy(ctx, o.admin, domain.ReviewPolicy{"normative_document": 6, "news": 12}); err != nil {
		t.Fatal(err)
	}
	if got, want := next(norm), "2026-09-12"; got != want {
		t.Errorf("after the policy change: next review %s, want %s", got, want)
	}
	if got := next(news); got != "2026-03-10" {
		t.Errorf("news after the policy change: %s", got)
	}
	if got := next(leap); got != "2025-02-28" {
		t.Errorf("the regulation's period changed with another category's: %s", got)
	}
	p, err := o.s.ReviewPolicy(ctx, o.other.AgencyID)
	if err != nil || p["normative_document"] != 12 || p["news"] != 0 {
		t.Errorf("the other agency's policy: %v %v", p, err)
	}

	// A head may not set the policy; a bad period is refused.
	var r *domain.Refusal
	if err := o.s.SetReviewPolicy(ctx, o.heads[0], domain.ReviewPolicy{"news": 1}); !errors.As(err, &r) || r.Rule != domain.RuleRole {
		t.Errorf("a head set the policy: %v", err)
	}
	for _, bad := range []domain.ReviewPolicy{{"news": -1}, {"news": 121}, {"gossip": 12}} {
		if err := o.s.SetReviewPolicy(ctx, o.admin, bad); !errors.As(err, &r) || r.Rule != domain.RuleInvalidPolicy {
			t.Errorf("policy %v: %v", bad, err)
		}
	}
	if res, err := o.s.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
}

// The review queue of a department head holds their department's items
// due within 30 days, an admin's the whole agency's; an officer has none;
// nobody sees another agency's.
func TestReviewQueueIsTheHeadsDepartment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	mine := o.publish(t, 0, "normative_document", "2025-03-10")
	soon := o.publish(t, 0, "agency_info", "2025-04-05") // due 2026-04-05: within 30 days of 2026-03-10
	later := o.publish(t, 0, "plan", "2025-05-01")       // due 2026-05-01: not yet
	theirs := o.publish(t, 1, "normative_document", "2025-01-10")
	o.publish(t, 0, "news", "2024-01-10")
	today := day(t, "2026-03-10")

	ids := func(a domain.Actor) string {
		t.Helper()
		items, err := o.s.ReviewQueue(ctx, a, today)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, it := range items {
			out = append(out, it.ID)
		}
		return fmt.Sprint(out)
	}
	if got, want := ids(o.heads[0]), fmt.Sprint([]int64{mine, soon}); got != want {
		t.Errorf("head of 综合办: %s, want %s", got, want)
	}
	if got, want := ids(o.heads[1]), fmt.Sprint([]int64{theirs}); got != want {
		t.Errorf("head of 执法队: %s, want %s", got, want)
	}
	if got, want := ids(o.admin), fmt.Sprint([]int64{theirs, mine, soon}); got != want {
		t.Errorf("admin: %s, want %s", got, want)
	}
	if got := ids(o.other); got != "[]" {
		t.Errorf("the other agency's admin: %s", got)
	}
	var r *domain.Refusal
	if _, err := o.s.ReviewQueue(ctx, o.officers[0], today); !errors.As(err, &r) || r.Rule != domain.RuleRole {
		t.Errorf("an officer's review queue: %v", err)
	}
	_ = later
}

// Keeping, setting the validity and withdrawing from the review are each
// an event of the draft's chain, refusals too, and the trail verifies.
func TestReviewDecisionsAreAudited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	old := o.publish(t, 0, "normative_document", "2025-03-10")
	amending := o.publish(t, 0, "normative_document", "2026-02-01")
	news := o.publish(t, 0, "news", "2025-03-10")
	other := o.publish(t, 1, "normative_document", "2025-03-10")
	today := day(t, "2026-03-12")
	var r *domain.Refusal

	if err := o.s.KeepReviewed(ctx, o.heads[0], old, today, "内容仍然适用"); err != nil {
		t.Fatal(err)
	}
	// Another department's head does not see it: refused as if it did
	// not exist, and audited.
	if err := o.s.KeepReviewed(ctx, o.heads[1], old, today, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the other head kept it: %v", err)
	}
	// Another agency: as if it did not exist.
	if err := o.s.KeepReviewed(ctx, o.other, old, today, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another agency's admin kept it: %v", err)
	}

	amended := domain.ValidityChange{Status: domain.ValidityAmended, On: day(t, "2026-02-01"), SupersededBy: amending, Comment: "第三条已修改"}
	if err := o.s.SetValidity(ctx, o.heads[0], old, today, amended); err != nil {
		t.Fatal(err)
	}
	it, err := o.s.ReviewOf(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	if v := it.Validity; v == nil || v.Status != domain.ValidityAmended || v.On.Format(domain.DateLayout) != "2026-02-01" ||
		v.SupersededBy != amending || v.SupersededTitle == "" || !v.SupersededPublic {
		t.Errorf("the validity recorded: %+v", it.Validity)
	}
	// A superseding draft that is not public: its title is not given.
	pending, err := o.s.Submit(ctx, o.officers[1], o.deps[1].ID, domain.Content{Title: "关于修改执法规范的决定（征求意见中）", Body: "正文。",
		Department: o.deps[1].Name, Category: "normative_document", Channels: []domain.Channel{domain.ChannelWebsite},
		FormedOn: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.s.SetValidity(ctx, o.admin, other, today, domain.ValidityChange{Status: domain.ValidityAmended, On: today, SupersededBy: pending.ID}); err != nil {
		t.Fatal(err)
	}
	if it, err := o.s.ReviewOf(ctx, other); err != nil || it.Validity.SupersededBy != pending.ID || it.Validity.SupersededPublic || it.Validity.SupersededTitle != "" {
		t.Errorf("a superseding draft not yet public: %+v %v", it.Validity, err)
	}
	for name, c := range map[string]struct {
		id   int64
		v    domain.ValidityChange
		rule domain.Rule
	}{
		"news has none":            {news, domain.ValidityChange{Status: domain.ValidityValid, On: today}, domain.RuleNoValidity},
		"unknown status":           {old, domain.ValidityChange{Status: "lapsed", On: today}, domain.RuleNoValidity},
		"in the future":            {old, domain.ValidityChange{Status: domain.ValidityRepealed, On: today.AddDate(0, 0, 1)}, domain.RuleInvalidDate},
		"before publication":       {old, domain.ValidityChange{Status: domain.ValidityRepealed, On: day(t, "2025-03-09")}, domain.RuleInvalidDate},
		"superseded by itself":     {old, domain.ValidityChange{Status: domain.ValidityRepealed, On: today, SupersededBy: old}, domain.RuleInvalidSuperseding},
		"in force but superseded":  {old, domain.ValidityChange{Status: domain.ValidityValid, On: today, SupersededBy: amending}, domain.RuleInvalidSuperseding},
		"superseded by no draft":   {old, domain.ValidityChange{Status: domain.ValidityRepealed, On: today, SupersededBy: 99999}, domain.RuleInvalidSuperseding},
		"not the head's":           {other, domain.ValidityChange{Status: domain.ValidityRepealed, On: today}, ""},
		"a head of the wrong dept": {old, domain.ValidityChange{Status: domain.ValidityRepealed, On: today}, ""},
	} {
		by := o.heads[0]
		if name == "a head of the wrong dept" {
			by = o.heads[1]
		}
		err := o.s.SetValidity(ctx, by, c.id, today, c.v)
		if c.rule == "" && !errors.Is(err, store.ErrNotFound) || c.rule != "" && (!errors.As(err, &r) || r.Rule != c.rule) {
			t.Errorf("%s: %v, want %q (none: not found)", name, err, c.rule)
		}
	}
	// An admin may, where the category has a validity.
	if err := o.s.SetValidity(ctx, o.admin, news, today, domain.ValidityChange{Status: domain.ValidityValid, On: today}); !errors.As(err, &r) || r.Rule != domain.RuleNoValidity {
		t.Errorf("admin on news: %v", err)
	}

	// Withdrawn from the review: the existing withdrawal, and it leaves the queue.
	if err := o.s.Withdraw(ctx, o.heads[0], old, domain.WithdrawSuperseded, "已被新文件替代"); err != nil {
		t.Fatal(err)
	}
	items, err := o.s.ReviewQueue(ctx, o.heads[0], day(t, "2027-12-31"))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.ID == old {
			t.Error("the withdrawn item is still in the review queue")
		}
	}
	// Nothing can be kept after it.
	if err := o.s.KeepReviewed(ctx, o.heads[0], old, today, ""); !errors.As(err, &r) || r.Rule != domain.RuleNoSuchTransition {
		t.Errorf("kept a withdrawn item: %v", err)
	}

	evs, err := o.s.DraftEvents(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := o.s.LastEvent(ctx, old, store.ActionReviewKept)
	if err != nil || kept.Reason != "2026-03-12" || kept.Comment != "内容仍然适用" || kept.Actor != o.heads[0].Name || kept.Role != "dept_head" {
		t.Errorf("the keep event: %+v %v", kept, err)
	}
	set, err := o.s.LastEvent(ctx, old, store.ActionValiditySet)
	if err != nil || set.Reason != "amended" || set.Comment != fmt.Sprintf("amended since 2026-02-01, superseded by draft %d; 第三条已修改", amending) {
		t.Errorf("the validity event: %+v %v", set, err)
	}
	denied := 0
	for _, e := range evs {
		if e.Action == "denied:"+store.ActionReviewKept || e.Action == "denied:"+store.ActionValiditySet {
			denied++
		}
	}
	// old's own refusals: the other head's and the other agency's keeps,
	// seven of the validity cases (news's and other's are in their own
	// drafts' chains), the keep after the withdrawal.
	if denied != 10 {
		t.Errorf("%d refusals in the chain of draft %d, want 10", denied, old)
	}
	if res, err := o.s.VerifyAll(ctx); err != nil || !res.OK {
		t.Fatalf("audit trail: %+v %v", res, err)
	}
}

// The annual report's counts: issued in the year, amended and repealed in
// the year, and the status at the year's end.
func TestValidityCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	a := o.publish(t, 0, "normative_document", "2025-03-10") // valid since 2025-03-10
	b := o.publish(t, 0, "normative_document", "2025-06-01") // repealed 2026-01-15
	c := o.publish(t, 0, "normative_document", "2026-02-01") // amends a, 2026: valid, none recorded
	d := o.publish(t, 1, "regulation", "2025-08-01")         // amended 2025-12-01
	o.publish(t, 0, "news", "2025-03-10")
	today := day(t, "2026-03-12")
	for _, x := range []struct {
		id int64
		v  domain.ValidityChange
	}{
		{a, domain.ValidityChange{Status: domain.ValidityValid, On: day(t, "2025-03-10")}},
		{b, domain.ValidityChange{Status: domain.ValidityRepealed, On: day(t, "2026-01-15"), SupersededBy: c}},
		{d, domain.ValidityChange{Status: domain.ValidityAmended, On: day(t, "2025-12-01")}},
	} {
		if err := o.s.SetValidity(ctx, o.admin, x.id, today, x.v); err != nil {
			t.Fatal(err)
		}
	}
	counts := func(year int) string {
		t.Helper()
		ys, err := o.s.ValidityCounts(ctx, 1, year)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v", ys)
	}
	// 2025: a and b issued and (b's repeal dated 2026) in force; d issued and amended.
	if got, want := counts(2025), "[{Category:regulation Issued:1 AmendedInYear:1 RepealedInYear:0 Valid:0 Amended:1 Repealed:0 Unset:0} "+
		"{Category:normative_document Issued:2 AmendedInYear:0 RepealedInYear:0 Valid:2 Amended:0 Repealed:0 Unset:0}]"; got != want {
		t.Errorf("2025:\n got %s\nwant %s", got, want)
	}
	if got, want := counts(2026), "[{Category:regulation Issued:0 AmendedInYear:0 RepealedInYear:0 Valid:0 Amended:1 Repealed:0 Unset:0} "+
		"{Category:normative_document Issued:1 AmendedInYear:0 RepealedInYear:1 Valid:1 Amended:0 Repealed:1 Unset:1}]"; got != want {
		t.Errorf("2026:\n got %s\nwant %s", got, want)
	}
	// Another agency counts nothing of these.
	ys, err := o.s.ValidityCounts(ctx, o.other.AgencyID, 2025)
	if err != nil || ys[0].Issued+ys[1].Issued != 0 {
		t.Errorf("the other agency: %+v %v", ys, err)
	}
}
