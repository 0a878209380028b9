package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// TestDeadlineInAnUncoveredYearWarns: a draft formed in December 2026 has
// its Article 26 deadline in 2027, whose holidays the calendar lacks: stage
// 1 says so instead of counting weekends only in silence. One formed early
// in 2026 does not warn.
func TestDeadlineInAnUncoveredYearWarns(t *testing.T) {
	r := &Runner{Calendar: calendar.Official(), Now: func() time.Time { return time.Date(2026, 12, 20, 2, 0, 0, 0, time.UTC) }}
	warned := func(formed time.Time) bool {
		c := domain.Content{Title: "关于开展冬季消防安全检查的通知", Body: "为切实做好辖区冬季消防安全工作，街道办事处定于本月开展消防安全专项检查，请各社区做好配合。",
			Department: "综合办", Category: "news", Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: formed}
		fs, err := r.Run(context.Background(), domain.StageCompleteness, 1, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Code == "calendar_year_missing" {
				if f.Severity != domain.SeverityWarn {
					t.Errorf("the missing year blocks: %+v", f)
				}
				return true
			}
		}
		return false
	}
	if !warned(time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)) {
		t.Error("a deadline in 2027 did not warn that the calendar lacks 2027")
	}
	if warned(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("a deadline in 2026 warned")
	}
}

// TestDoublePublicityClock: a penalty decision made on Monday 2026-09-28
// must be public within 7 working days: across the National Day holiday
// (10-01 to 10-07) and with Saturday 10-10 worked, by 10-13. On 10-13 it is
// near; on 10-14, the 8th working day, it is late, by the 双公示 clock,
// which comes before Article 26's. Other categories keep Article 26's.
func TestDoublePublicityClock(t *testing.T) {
	cal := calendar.Official()
	c := domain.Content{Title: "行政处罚决定", Category: "penalty", FormedOn: time.Date(2026, 9, 28, 0, 0, 0, 0, time.UTC),
		Body: "当事人：某某公司\n处罚内容：罚款人民币伍仟元整。\n处罚机关：某某局\n决定日期：2026年9月28日"}
	due, clock := Deadline(cal, c)
	if want := time.Date(2026, 10, 13, 0, 0, 0, 0, time.UTC); !due.Equal(want) || clock != ClockDoublePublicity {
		t.Fatalf("deadline %s by %s, want %s by 双公示", due.Format(domain.DateLayout), clock, want.Format(domain.DateLayout))
	}
	r := NewRunner()
	for day, want := range map[int]string{13: "deadline_near", 14: "deadline_passed"} {
		r.Now = func() time.Time { return time.Date(2026, 10, day, 10, 0, 0, 0, domain.Beijing) }
		fs, err := r.Run(context.Background(), domain.StageCompleteness, 1, c)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range fs {
			if f.Code == want && strings.Contains(f.MessageZH, "双公示") && strings.Contains(f.MessageZH, "2026-10-13") {
				found = true
			}
		}
		if !found {
			t.Errorf("10-%d: no %s by the 双公示 clock in %+v", day, want, fs)
		}
	}
	c.Category = "news"
	if due, clock := Deadline(cal, c); clock != ClockArticle26 || !due.Equal(cal.Deadline(c.FormedOn)) {
		t.Errorf("news: %s by %s", due, clock)
	}
}
