package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// The keys of a window of days: whole years and months as one key each.
func TestDayKeys(t *testing.T) {
	d := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02", s, domain.Beijing)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ from, to, want string }{
		{"2024-03-05", "2024-03-05", "'#d:2024-03-05'"},
		{"2023-12-30", "2025-02-02", "'#d:2023-12-30' '#d:2023-12-31' '#y:2024' '#m:2025-01' '#d:2025-02-01' '#d:2025-02-02'"},
		{"2024-02-01", "2024-02-29", "'#m:2024-02'"},
		{"2024-02-01", "2024-02-28", dayList("2024-02", 1, 28)},
		{"2024-01-01", "2024-12-31", "'#y:2024'"},
		{"2024-03-06", "2024-03-05", ""},
	} {
		if got := strings.Join(store.DayKeys(d(c.from), d(c.to)), " "); got != c.want {
			t.Errorf("%s..%s: %s, want %s", c.from, c.to, got, c.want)
		}
	}
}

func dayList(month string, from, to int) string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("'#d:%s-%02d'", month, i))
	}
	return strings.Join(out, " ")
}

// TestSearchWindows: a search reads its hits a window of days at a time.
// Whatever the spread of its hits (a week's worth at once, or a few over
// years), it returns every hit in the column's order, page by page, with
// the filters answered from the index's keys, and counts up to its cap.
func TestSearchWindows(t *testing.T) { // not parallel: it sets the cap
	ctx := context.Background()
	o := newReviewOffice(t)
	type item struct {
		id    int64
		dep   int
		cat   string
		at    time.Time
		body  string
		topic bool // of 老旧小区改造
	}
	cats := []string{"penalty", "license", "news"}
	base := time.Date(2025, 6, 30, 12, 0, 0, 0, domain.Beijing)
	var items []item
	var ds []store.Draft
	for i := range 60 {
		body := "加强安全生产管理。"
		if i%3 == 0 {
			body += "开展消防检查。"
		}
		if i >= 50 {
			body += "发放低保金。"
		}
		// one a day for a month (0 and 1 at the same time), then ever further apart
		days := max(i-1, 0)
		if i > 30 {
			days = 30 + (i-30)*(i-30)*3/2
		}
		it := item{dep: i % 2, cat: cats[i%3], body: body, at: base.AddDate(0, 0, -days), topic: i%4 == 1}
		c := domain.Content{Title: fmt.Sprintf("第%d号通知", i), Body: body, Department: o.deps[it.dep].Name, Category: it.cat,
			Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Date(2022, 1, 2, 0, 0, 0, 0, time.UTC)}
		if it.topic {
			c.Topics = []string{"老旧小区改造"}
		}
		d, err := o.s.Submit(ctx, o.officers[it.dep], o.deps[it.dep].ID, c, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		it.id = d.ID
		items, ds = append(items, it), append(ds, d)
	}
	errs := o.s.PublishLocalBatch(ctx, publishing(t, o.s, ds), func(work.Item, domain.Content) ([]store.PublicationOutcome, bool) {
		return []store.PublicationOutcome{{Channel: domain.ChannelWebsite, Status: store.PubDelivered, URL: "https://example.gov.cn/x"}}, true
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Publishing wrote each topic's key (public_item_topic_keys).
	var keyed int
	if err := o.s.Pool.QueryRow(ctx, `SELECT count(*) FROM public_items WHERE terms @@ $1::tsquery`, "'#t:老旧小区改造'").Scan(&keyed); err != nil || keyed != 15 {
		t.Fatalf("%d items with the topic's key (%v), want 15", keyed, err)
	}
	for _, it := range items { // move each item to its time, its keys with it
		if _, err := o.s.Pool.Exec(ctx, `UPDATE public_items SET published_at = $2,
			terms = array_to_tsvector(ARRAY(SELECT x FROM unnest(tsvector_to_array(terms)) x WHERE x NOT LIKE '#%')) || public_item_keys(category, department_id, $2)
				|| public_item_topic_keys(topics)
			WHERE draft_id = $1`, it.id, it.at); err != nil {
			t.Fatal(err)
		}
	}
	want := func(q store.PublicQuery) []int64 {
		var out []item
		for _, it := range items {
			in := (q.Category == "" || it.cat == q.Category) && (q.Categories == nil || slices.Contains(q.Categories, it.cat)) &&
				(q.DepartmentID == 0 || o.deps[it.dep].ID == q.DepartmentID) &&
				(q.Year == 0 || it.at.Year() == q.Year && (q.Month == 0 || int(it.at.Month()) == q.Month)) &&
				(q.Topic == "" || it.topic)
			for _, w := range strings.Fields(q.Q) {
				in = in && strings.Contains(it.body, w)
			}
			if in {
				out = append(out, it)
			}
		}
		slices.SortFunc(out, func(a, b item) int {
			if c := a.at.Compare(b.at); c != 0 {
				return c
			}
			return int(a.id - b.id)
		})
		if !q.Oldest {
			slices.Reverse(out)
		}
		var ids []int64
		for _, it := range out {
			ids = append(ids, it.id)
		}
		return ids
	}
	check := func(q store.PublicQuery, cap int) {
		t.Helper()
		all := want(q)
		q.Size = 7
		var got []int64
		for q.Page = 1; q.Page <= 20; q.Page++ {
			p, err := o.s.PublicList(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			if n := min(len(all), cap); p.Total != int64(n) || p.Capped != (len(all) > cap) {
				t.Errorf("%+v: total %d capped %v, want %d of %d", q, p.Total, p.Capped, n, len(all))
			}
			if len(p.Items) == 0 {
				break
			}
			for _, it := range p.Items {
				got = append(got, it.ID)
			}
		}
		if n := min(len(all), cap); fmt.Sprint(got) != fmt.Sprint(all[:n]) {
			t.Errorf("%+v: %v\nwant %v", q, got, all[:n])
		}
	}
	a := store.DefaultAgency
	queries := []store.PublicQuery{
		{Q: "安全"}, {Q: "消防"}, {Q: "低保"}, {Q: "低保 消防"}, {Q: "安全", Oldest: true}, {Q: "低保", Oldest: true},
		{Q: "消防", Category: "penalty"}, {Q: "安全", Categories: []string{"license", "news"}},
		{Q: "安全", DepartmentID: o.deps[1].ID}, {Q: "安全", Year: 2024}, {Q: "安全", Year: 2025, Month: 5},
		{Q: "消防", Year: 2023, Category: "penalty", DepartmentID: o.deps[0].ID}, {Q: "税"},
		{Q: "安全", Topic: "老旧小区改造", Oldest: true}, {Q: "消防", Topic: "老旧小区改造"}, {Q: "低保", Topic: "老旧小区改造", Category: "news"},
	}
	for _, q := range queries {
		q.AgencyID = a
		check(q, 1000)
	}
	// Windows of a few weeks at most (a window spans about windowItems
	// items at the column's mean rate, counted by ANALYZE): the same hits.
	exec(t, o.s, `ANALYZE public_items`)
	store.SetWindowItems(t, 1)
	for _, q := range queries {
		q.AgencyID = a
		check(q, 1000)
	}
	// A topic too large to read at once: through the windows, the same.
	store.SetTopicDirect(t, 3)
	for _, q := range queries[len(queries)-3:] {
		q.AgencyID = a
		check(q, 1000)
	}
	store.SetSearchHitCap(t, 10)
	check(store.PublicQuery{AgencyID: a, Q: "安全"}, 10)
	check(store.PublicQuery{AgencyID: a, Q: "低保", Oldest: true}, 10)
	check(store.PublicQuery{AgencyID: a, Q: "消防"}, 10)
}
