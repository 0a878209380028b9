package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// The archive holds everything the agency published: an item only on
// WeChat and one withdrawn since (neither in the public column) included,
// a reply to an applicant not; its filters by month, category and topic
// pick the items an independent filter picks.
func TestArchiveHoldsEveryPublication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	web := o.publishOn(t, 1, "news", []domain.Channel{domain.ChannelWebsite}, "2025-03-10")
	wechat := o.publishOn(t, 2, "news", []domain.Channel{domain.ChannelWebsite}, "2025-03-20")
	gone := o.publishOn(t, 3, "notice", []domain.Channel{domain.ChannelWebsite}, "2025-04-02")
	reply := o.publishOn(t, 4, "news", []domain.Channel{domain.ChannelWebsite}, "2025-03-15")
	// (PublishLocalBatch delivers the website only: the others are made so.)
	exec(t, o.s, fmt.Sprintf(`UPDATE revisions SET channels = '{wechat}' WHERE draft_id = %d`, wechat.id))
	exec(t, o.s, fmt.Sprintf(`UPDATE revisions SET channels = '{applicant}', category = '%s' WHERE draft_id = %d`, domain.CategoryApplicationReply, reply.id))
	exec(t, o.s, fmt.Sprintf(`DELETE FROM public_items WHERE draft_id IN (%d, %d)`, wechat.id, reply.id))
	exec(t, o.s, fmt.Sprintf(`UPDATE drafts SET state = 'withdrawn' WHERE id = %d`, gone.id))
	exec(t, o.s, fmt.Sprintf(`UPDATE public_items SET withdrawn = true WHERE draft_id = %d`, gone.id))
	exec(t, o.s, fmt.Sprintf(`UPDATE revisions SET topics = '{老旧小区改造}' WHERE draft_id IN (%d, %d)`, wechat.id, gone.id))

	ids := func(q store.ArchiveQuery) []int64 {
		t.Helper()
		q.AgencyID, q.Size = 1, 50
		items, total, capped, err := o.s.Archive(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, it := range items {
			out = append(out, it.ID)
		}
		if total != int64(len(out)) || capped {
			t.Errorf("%+v: total %d (capped %v) for %d items", q, total, capped, len(out))
		}
		return out
	}
	for _, c := range []struct {
		q    store.ArchiveQuery
		want []int64
	}{
		{store.ArchiveQuery{}, []int64{gone.id, wechat.id, web.id}}, // newest first, no reply
		{store.ArchiveQuery{Year: 2025, Month: 3}, []int64{wechat.id, web.id}},
		{store.ArchiveQuery{Year: 2025, Month: 4}, []int64{gone.id}},
		{store.ArchiveQuery{Year: 2024}, nil},
		{store.ArchiveQuery{Category: "notice"}, []int64{gone.id}},
		{store.ArchiveQuery{Topic: "老旧小区改造"}, []int64{gone.id, wechat.id}},
		{store.ArchiveQuery{DepartmentID: o.deps[1].ID}, nil},
	} {
		if got := ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
	items, _, _, err := o.s.Archive(ctx, store.ArchiveQuery{AgencyID: 1, Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		switch it.ID {
		case gone.id:
			if it.State != domain.StateWithdrawn || it.IndexNo == "" {
				t.Errorf("the withdrawn item: %+v", it)
			}
		case wechat.id:
			if !slices.Equal(it.Channels, []domain.Channel{domain.ChannelWeChat}) || it.IndexNo != "" || it.Department != o.deps[0].Name {
				t.Errorf("the WeChat item: %+v", it)
			}
		case reply.id:
			t.Errorf("a reply to an applicant is in the archive: %+v", it)
		}
	}
	if ys, err := o.s.ArchiveYears(ctx, 1); err != nil || !slices.Equal(ys, []int{2025}) {
		t.Errorf("years: %v %v", ys, err)
	}
	if ts, err := o.s.ArchiveTopics(ctx, 1); err != nil || len(ts) != 1 || ts[0].Count != 2 {
		t.Errorf("topics: %+v %v", ts, err)
	}
	// Another agency's archive is its own.
	if items, _, _, err := o.s.Archive(ctx, store.ArchiveQuery{AgencyID: o.other.AgencyID, Size: 50}); err != nil || len(items) != 0 {
		t.Errorf("another agency's archive: %+v %v", items, err)
	}
}
