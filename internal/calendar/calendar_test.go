package calendar

import (
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDeadline(t *testing.T) {
	c := Official()
	cases := []struct{ formed, due string }{
		{"2025-09-25", "2025-10-29"}, // the brief's example: National Day break with two make-up Saturdays
		{"2025-06-02", "2025-06-30"}, // no holiday inside
		{"2024-09-27", "2024-10-30"}, // 2024-09-29 and 10-12 are make-up working days
		{"2026-02-06", "2026-03-12"}, // Spring Festival 2026
	}
	for _, tc := range cases {
		if got := c.Deadline(day(tc.formed)).Format(time.DateOnly); got != tc.due {
			t.Errorf("Deadline(%s) = %s, want %s", tc.formed, got, tc.due)
		}
	}
}

func TestWorkingDay(t *testing.T) {
	c := Official()
	cases := map[string]bool{
		"2025-10-01": false, // National Day
		"2025-09-28": true,  // Sunday made a working day
		"2025-10-11": true,  // Saturday made a working day
		"2025-10-12": false, // plain Sunday
		"2024-02-09": true,  // 除夕 2024 was only encouraged leave
		"2026-01-01": false,
	}
	for d, want := range cases {
		if got := c.WorkingDay(day(d)); got != want {
			t.Errorf("WorkingDay(%s) = %v, want %v", d, got, want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := Official()
	if n := c.WorkingDaysBetween(day("2025-09-25"), day("2025-10-29")); n != 20 {
		t.Fatalf("between formed and due = %d, want 20", n)
	}
	if n := c.WorkingDaysBetween(day("2025-10-29"), day("2025-09-25")); n != -20 {
		t.Fatalf("reversed = %d, want -20", n)
	}
}

func TestCovers(t *testing.T) {
	c := Official()
	for y := 2024; y <= 2026; y++ {
		if !c.Covers(time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("calendar does not cover %d", y)
		}
	}
	if c.Covers(day("2030-01-01")) {
		t.Error("calendar claims to cover 2030")
	}
}

func TestParseRejectsBadDates(t *testing.T) {
	if _, err := Parse([]byte(`{"years":{"2027":{"off":["2027-02-30"]}}}`)); err == nil {
		t.Fatal("Parse accepted 2027-02-30")
	}
}
