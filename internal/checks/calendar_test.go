package checks

import (
	"context"
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
