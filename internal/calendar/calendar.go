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
	"sort"
	"sync/atomic"
	"time"
)

//go:embed cn-holidays.json
var officialData []byte

// DeadlineWorkingDays is Article 26's bound: 20 working days.
const DeadlineWorkingDays = 20

// DoublePublicityWorkingDays is the 双公示 bound: a penalty or licence
// decision is public within 7 working days of the decision.
const DoublePublicityWorkingDays = 7

// Calendar answers whether a day is a working day and counts working days
// in constant time per question, whatever the dates: a queue of drafts
// formed long ago costs what one formed yesterday does.
//
// A Calendar can be given a year an admin added (Replace): every holder of
// it then counts with the new data at once, without a restart.
type Calendar struct {
	t atomic.Pointer[tables]
}

// tables are a calendar's data, replaced whole.
type tables struct {
	off, work  map[int]bool // keyed by dayKey
	first, end int          // years covered, [first, end]
	// The count of working days up to a date is the plain Monday-Friday
	// count (a formula) plus the notices' adjustments up to it: -1 for a
	// weekday off, +1 for a weekend day worked. Per covered year: the
	// adjustments of the years before it, and its own adjusted days in
	// order with the running sum.
	years map[int]*yearAdjust
	total int // every covered year's adjustments
}

type yearAdjust struct {
	before int   // the adjustments of the covered years before this one
	days   []int // day numbers (dayNumber) of the adjusted days, ascending
	upto   []int // upto[i]: this year's adjustments through days[i]
}

// dayKey is a civil date as YYYYMMDD.
func dayKey(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

// dayNumber is a civil date as days since 1970-01-01 (negative before).
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// firstMonday is the day number of 1970-01-05, a Monday.
const firstMonday = 4

// weekdaysBefore counts the Mondays to Fridays before day number x, from
// firstMonday (negative for x before it); only differences are used.
func weekdaysBefore(x int) int {
	k := x - firstMonday
	q := k / 7
	if k%7 < 0 {
		q--
	}
	r := k - 7*q
	return 5*q + min(r, 5)
}

// workingThrough counts the working days up to and including day t, from
// an arbitrary origin: the difference of two counts is exact.
func (c *tables) workingThrough(t time.Time) int {
	x := dayNumber(t)
	n := weekdaysBefore(x + 1)
	switch y := t.Year(); {
	case y > c.end:
		n += c.total
	case y >= c.first:
		if ya := c.years[y]; ya != nil {
			n += ya.before
			if i := sort.SearchInts(ya.days, x+1); i > 0 { // the adjusted days up to x
				n += ya.upto[i-1]
			}
		}
	}
	return n
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
	c := &tables{off: map[int]bool{}, work: map[int]bool{}}
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
	c.adjust()
	return newCalendar(c), nil
}

func newCalendar(t *tables) *Calendar {
	c := &Calendar{}
	c.t.Store(t)
	return c
}

// Replace makes c count with n's data from now on: n is an admin's change,
// c the calendar every part of sanshen holds.
func (c *Calendar) Replace(n *Calendar) { c.t.Store(n.t.Load()) }

// Years are the first and last years c covers.
func (c *Calendar) Years() (first, last int) {
	t := c.t.Load()
	return t.first, t.end
}

// adjust builds the per-year adjustments from the off and work days.
func (c *tables) adjust() {
	type adj struct{ day, delta int }
	per := map[int][]adj{}
	add := func(keys map[int]bool, delta int, weekend bool) {
		for k := range keys {
			t := time.Date(k/10000, time.Month(k/100%100), k%100, 0, 0, 0, 0, time.UTC)
			wd := t.Weekday()
			if (wd == time.Saturday || wd == time.Sunday) != weekend {
				continue // an off Saturday or a worked Tuesday changes nothing
			}
			if delta < 0 && c.work[k] || delta > 0 && c.off[k] {
				continue // listed as both: WorkingDay says worked
			}
			per[t.Year()] = append(per[t.Year()], adj{dayNumber(t), delta})
		}
	}
	add(c.off, -1, false)
	add(c.work, +1, true)
	c.years = map[int]*yearAdjust{}
	c.total = 0
	for y := c.first; y <= c.end && c.first != 0; y++ {
		as := per[y]
		sort.Slice(as, func(i, j int) bool { return as[i].day < as[j].day })
		ya := &yearAdjust{before: c.total}
		sum := 0
		for _, a := range as {
			sum += a.delta
			ya.days = append(ya.days, a.day)
			ya.upto = append(ya.upto, sum)
		}
		c.years[y] = ya
		c.total += sum
	}
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
func (c *Calendar) Covers(t time.Time) bool {
	tb := c.t.Load()
	return t.Year() >= tb.first && t.Year() <= tb.end
}

// WorkingDay reports whether t (a civil date) is a working day.
func (c *Calendar) WorkingDay(t time.Time) bool {
	tb := c.t.Load()
	k := dayKey(t)
	if tb.work[k] {
		return true
	}
	if tb.off[k] {
		return false
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the n-th working day after from; from itself is
// not counted, as Article 26 says of the day the information is formed. It
// searches the days after from by halving, so its cost grows with log n.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	tb := c.t.Load()
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	if n <= 0 {
		return d
	}
	target := tb.workingThrough(d) + n
	// Within 2n+31 days there are n working days: no holiday block is that long.
	lo, hi := 1, 2*n+31
	for tb.workingThrough(d.AddDate(0, 0, hi)) < target {
		lo, hi = hi, 2*hi
	}
	for lo < hi { // the first day after d on which the count reaches target
		mid := lo + (hi-lo)/2
		if tb.workingThrough(d.AddDate(0, 0, mid)) >= target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return d.AddDate(0, 0, lo)
}

// Deadline is the last day, under Article 26, to publish information formed on formed.
func (c *Calendar) Deadline(formed time.Time) time.Time {
	return c.AddWorkingDays(formed, DeadlineWorkingDays)
}

// WorkingDaysBetween counts the working days after from up to and including to;
// negative when to is before from. The queue uses it for "days left", for
// every row, so it is a difference of two counts, never a walk over the days.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	tb := c.t.Load()
	return tb.workingThrough(to) - tb.workingThrough(from)
}
