package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// A decision's time in its stage counts from the decision before it on
// the same revision, even when that one was made before the period: a
// draft approved at 复审 on 27 February and at 终审 on 1 March spent 48
// hours at 终审 in March's assessment, not the 96 since its revision was
// made on 25 February. (Fails if the window function sees only the
// period's decisions.)
func TestAssessmentStageTimeAcrossThePeriodsStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	s, by, dep := o.s, o.officers[0], o.deps[0]
	c := domain.Content{Title: "关于春季植树的通知", Body: "本街道将于三月开展植树活动。", Department: dep.Name, Category: "news",
		Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC)}
	d, err := s.Submit(ctx, by, dep.ID, c, time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	exec(t, s, fmt.Sprintf(`UPDATE revisions SET created_at = '2025-02-25T10:00:00+08:00' WHERE draft_id = %d`, d.ID))
	exec(t, s, fmt.Sprintf(`INSERT INTO decisions (draft_id, revision, stage, actor_id, decision, content_sha256, created_at) VALUES
		(%[1]d, 1, 'compliance', %[2]d, 'approve', '\x00', '2025-02-27T10:00:00+08:00'),
		(%[1]d, 1, 'confidentiality', %[2]d, 'approve', '\x00', '2025-03-01T10:00:00+08:00')`, d.ID, o.heads[0].ID))
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, domain.Beijing)
	officers, _, err := s.Assessment(ctx, 1, march, march.AddDate(0, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range officers {
		if l.ID != by.ID {
			continue
		}
		if h := l.StageHours["confidentiality"]; h.Count != 1 || h.Mean != 48 {
			t.Errorf("终审 in March: %+v; want one decision after 48 hours", h)
		}
		if _, ok := l.StageHours["compliance"]; ok {
			t.Errorf("复审 in March: %+v; its decision was in February", l.StageHours)
		}
		return
	}
	t.Fatalf("the officer is not in March's assessment: %+v", officers)
}

// A reply to an applicant is on its case's clock (Article 33), not Article
// 26's: the assessment's Article 26 timeliness leaves it out, though it is
// the officer's published work. (Fails if it counts under Article 26.)
func TestAssessmentLeavesRepliesOffArticle26(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newReviewOffice(t)
	news := o.publishOn(t, 1, "news", []domain.Channel{domain.ChannelWebsite}, "2025-03-10")
	reply := o.publishOn(t, 2, "news", []domain.Channel{domain.ChannelWebsite}, "2025-03-12")
	exec(t, o.s, fmt.Sprintf(`UPDATE revisions SET category = '%s', channels = '{applicant}' WHERE draft_id = %d`, domain.CategoryApplicationReply, reply.id))
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, domain.Beijing)
	officers, _, err := o.s.Assessment(ctx, 1, march, march.AddDate(0, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range officers {
		if l.ID == o.officers[0].ID {
			if l.Published != 2 || l.Article26.Published != 1 {
				t.Errorf("published %d, on Article 26's clock %d; want 2 and 1 (the news item %d, not the reply)", l.Published, l.Article26.Published, news.id)
			}
			return
		}
	}
	t.Fatalf("the officer is not in March's assessment: %+v", officers)
}
