// Package calendar knows China's official working days, so the Article 26
// deadline (20 working days from the day after the information was formed)
// is computed the way the State Council's holiday notices define it, not as a
// plain Monday-Friday count.
//
// The data is cn-holidays.json beside this file: for each year, "off" lists
// every day of each holiday block (weekends included) and "workdays" lists the
// weekend days made working days (调休). To add a year, append it from the
// State Council's notice (usually published in November), keep the same
// convention, and run `go test ./internal/calendar/`.
package calendar

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"
)

//go:embed cn-holidays.json
var officialData []byte

// DeadlineWorkingDays is Article 26's bound: 20 working days.
const DeadlineWorkingDays = 20

// Calendar answers whether a day is a working day.
type Calendar struct {
	off, work  map[int]bool // keyed by dayKey: the deadline counts ~30 days per draft
	first, end int          // years covered, [first, end]
}

// dayKey is a civil date as YYYYMMDD.
func dayKey(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

type file struct {
	Years map[string]struct {
		Off      []string `json:"off"`
		Workdays []string `json:"workdays"`
	} `json:"years"`
}

// Parse reads a calendar in the cn-holidays.json format.
func Parse(data []byte) (*Calendar, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("error parsing holiday calendar: %w", err)
	}
	c := &Calendar{off: map[int]bool{}, work: map[int]bool{}}
	for y, days := range f.Years {
		var year int
		if _, err := fmt.Sscanf(y, "%d", &year); err != nil {
			return nil, fmt.Errorf("error parsing holiday calendar: year %q: %w", y, err)
		}
		if c.first == 0 || year < c.first {
			c.first = year
		}
		if year > c.end {
			c.end = year
		}
		for _, d := range days.Off {
			t, err := time.Parse(time.DateOnly, d)
			if err != nil {
				return nil, fmt.Errorf("error parsing holiday calendar: %w", err)
			}
			c.off[dayKey(t)] = true
		}
		for _, d := range days.Workdays {
			t, err := time.Parse(time.DateOnly, d)
			if err != nil {
				return nil, fmt.Errorf("error parsing holiday calendar: %w", err)
			}
			c.work[dayKey(t)] = true
		}
	}
	return c, nil
}

var official = func() *Calendar {
	c, err := Parse(officialData)
	if err != nil {
		panic(err) // the embedded file is tested; a broken one must not ship
	}
	return c
}()

// Official is the calendar of the State Council's notices, embedded.
func Official() *Calendar { return official }

// Covers reports whether the notices for t's year are in the data. Outside
// it, only weekends are known to be days off.
func (c *Calendar) Covers(t time.Time) bool { return t.Year() >= c.first && t.Year() <= c.end }

// WorkingDay reports whether t (a civil date) is a working day.
func (c *Calendar) WorkingDay(t time.Time) bool {
	k := dayKey(t)
	if c.work[k] {
		return true
	}
	if c.off[k] {
		return false
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the n-th working day after from; from itself is
// not counted, as Article 26 says of the day the information is formed.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.WorkingDay(d) {
			n--
		}
	}
	return d
}

// Deadline is the last day, under Article 26, to publish information formed on formed.
func (c *Calendar) Deadline(formed time.Time) time.Time {
	return c.AddWorkingDays(formed, DeadlineWorkingDays)
}

// WorkingDaysBetween counts the working days after from up to and including to;
// negative when to is before from. The queue uses it for "days left".
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
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
