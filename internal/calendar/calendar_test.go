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

// walkBetween and walkAdd are the definitions, day by day: the counts
// must agree with them wherever the data has something to say.
func walkBetween(c *Calendar, from, to time.Time) int {
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if c.WorkingDay(d) {
			n++
		}
	}
	return sign * n
}

func walkAdd(c *Calendar, from time.Time, n int) time.Time {
	d := from
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.WorkingDay(d) {
			n--
		}
	}
	return d
}

func TestCountsAgreeWithTheDays(t *testing.T) {
	c := Official()
	start := day("2023-10-01")
	var days []time.Time
	for d := start; d.Before(day("2027-04-01")); d = d.AddDate(0, 0, 3) {
		days = append(days, d)
	}
	for i, from := range days {
		for _, to := range days[max(0, i-40):min(len(days), i+40)] {
			if got, want := c.WorkingDaysBetween(from, to), walkBetween(c, from, to); got != want {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", from.Format(time.DateOnly), to.Format(time.DateOnly), got, want)
			}
		}
		for _, n := range []int{1, 5, 20, 45} {
			if got, want := c.AddWorkingDays(from, n), walkAdd(c, from, n); !got.Equal(want) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, want %s", from.Format(time.DateOnly), n, got.Format(time.DateOnly), want.Format(time.DateOnly))
			}
		}
	}
}

// TestAncientAndFarDates: a date centuries away costs one count, as a
// queue of drafts formed in 1949 must. (A walk over the days would take
// this test hours, not fail it quickly: the assertion is the answer.)
func TestAncientAndFarDates(t *testing.T) {
	c := Official()
	from, to := day("1949-10-01"), day("9999-12-31")
	// Outside the notices' years only weekends are days off.
	weeks := walkBetween(c, from, day("1950-10-01"))
	for range 200_000 {
		if c.WorkingDaysBetween(from, day("1950-10-01")) != weeks {
			t.Fatal("the count changed between calls")
		}
		c.WorkingDaysBetween(day("0001-01-01"), to)
	}
	if got := c.WorkingDaysBetween(from, to) + c.WorkingDaysBetween(to, from); got != 0 {
		t.Fatalf("the counts of a span and its reverse do not cancel: %d", got)
	}
	if got := c.Deadline(day("0001-01-01")); got.Format(time.DateOnly) != "0001-01-29" {
		t.Fatalf("Deadline(0001-01-01) = %s", got.Format(time.DateOnly))
	}
	if got := c.Deadline(day("9999-12-01")); got.Format(time.DateOnly) != "9999-12-29" {
		t.Fatalf("Deadline(9999-12-01) = %s", got.Format(time.DateOnly))
	}
}
