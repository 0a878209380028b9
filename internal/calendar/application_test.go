package calendar

import (
	"testing"
	"time"
)

// The dates below were counted by hand on the State Council's notices for
// 2025 and 2026 (the comments list the working days that matter).
func TestApplicationDeadline(t *testing.T) {
	c := Official()
	var zero time.Time
	cases := []struct {
		name                string
		k                   ApplicationClock
		today               string
		due, start, suppBy  string
		paused              int
		waiting, run, uncov bool
	}{
		{name: "春节 2025: 1-26 (Sunday) and 2-8 (Saturday) worked, 1-28 to 2-4 off",
			k: ApplicationClock{ReceivedOn: day("2025-01-17")}, today: "2025-01-17",
			due: "2025-02-20", start: "2025-01-17", suppBy: "2025-01-27"},
		{name: "国庆 2025 with a 补正 and the extension: the clock restarts 9-24; 9-28 and 10-11 worked, 10-1 to 10-8 off",
			k: ApplicationClock{ReceivedOn: day("2025-09-15"), SupplementRequestedOn: day("2025-09-19"),
				SupplementReceivedOn: day("2025-09-24"), Extended: true}, today: "2025-10-01",
			due: "2025-11-25", start: "2025-09-24", suppBy: "2025-09-24"},
		{name: "the same without the extension",
			k: ApplicationClock{ReceivedOn: day("2025-09-15"), SupplementRequestedOn: day("2025-09-19"),
				SupplementReceivedOn: day("2025-09-24")}, today: "2025-10-01",
			due: "2025-10-28", start: "2025-09-24", suppBy: "2025-09-24"},
		{name: "a 补正 out: the clock waits",
			k: ApplicationClock{ReceivedOn: day("2025-09-15"), SupplementRequestedOn: day("2025-09-19")}, today: "2025-10-01",
			start: "2025-09-15", suppBy: "2025-09-24", waiting: true},
		{name: "春节 2026 with a third party's consultation 2-10 to 3-6: 14 working days out (2-14 and 2-28 worked)",
			k:     ApplicationClock{ReceivedOn: day("2026-02-02"), Pauses: []Pause{{From: day("2026-02-10"), To: day("2026-03-06")}}},
			today: "2026-03-10", due: "2026-03-26", start: "2026-02-02", suppBy: "2026-02-11", paused: 14},
		{name: "the same consultation still running on 2-27: 8 working days out so far",
			k:     ApplicationClock{ReceivedOn: day("2026-02-02"), Pauses: []Pause{{From: day("2026-02-10"), To: zero}}},
			today: "2026-02-27", due: "2026-03-18", start: "2026-02-02", suppBy: "2026-02-11", paused: 8, run: true},
		{name: "a pause after the deadline changes nothing",
			k:     ApplicationClock{ReceivedOn: day("2025-01-17"), Pauses: []Pause{{From: day("2025-02-20"), To: day("2025-03-05")}}},
			today: "2025-03-05", due: "2025-02-20", start: "2025-01-17", suppBy: "2025-01-27"},
		{name: "国庆 2026 with the extension: 9-20 and 10-10 worked, 9-25 to 9-27 and 10-1 to 10-7 off",
			k: ApplicationClock{ReceivedOn: day("2026-09-17"), Extended: true}, today: "2026-09-17",
			due: "2026-11-18", start: "2026-09-17", suppBy: "2026-09-28"},
		{name: "a deadline in 2027, which the data lacks",
			k: ApplicationClock{ReceivedOn: day("2026-12-10")}, today: "2026-12-10",
			due: "2027-01-07", start: "2026-12-10", suppBy: "2026-12-21", uncov: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.ApplicationDeadline(tc.k, day(tc.today))
			f := func(t time.Time) string {
				if t.IsZero() {
					return ""
				}
				return t.Format(time.DateOnly)
			}
			if f(got.Due) != tc.due || f(got.Start) != tc.start || f(got.SupplementBy) != tc.suppBy {
				t.Errorf("due %s start %s supplement by %s; want %s, %s, %s", f(got.Due), f(got.Start), f(got.SupplementBy), tc.due, tc.start, tc.suppBy)
			}
			if got.PausedDays != tc.paused || got.Waiting != tc.waiting || got.Paused != tc.run || got.Uncovered != tc.uncov {
				t.Errorf("paused %d waiting %v running %v uncovered %v; want %d %v %v %v",
					got.PausedDays, got.Waiting, got.Paused, got.Uncovered, tc.paused, tc.waiting, tc.run, tc.uncov)
			}
		})
	}
}
