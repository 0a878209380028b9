package calendar

import "time"

// ApplicationWorkingDays is Article 33's bound for an application for
// disclosure: 20 working days from receipt, and one extension of as many.
const ApplicationWorkingDays = 20

// SupplementWorkingDays is Article 30's: a 补正 request goes out within 7
// working days of receipt.
const SupplementWorkingDays = 7

// Pause is an interval during which the clock stops (Article 32's
// consultation of a third party, or of other agencies): the working days
// after From up to and including To are not counted. A zero To is a pause
// still running, counted up to today.
type Pause struct {
	From, To time.Time
}

// ApplicationClock is everything Article 33's deadline depends on, as the
// case records it. Dates are civil dates.
type ApplicationClock struct {
	ReceivedOn time.Time
	// SupplementRequestedOn is the day a 补正 went out (zero: none);
	// SupplementReceivedOn the day the corrected application arrived
	// (zero: not yet, and the clock waits).
	SupplementRequestedOn, SupplementReceivedOn time.Time
	Extended                                    bool
	Pauses                                      []Pause
}

// ApplicationDeadline is the clock's reading on a day.
type ApplicationDeadline struct {
	// Start is the day the clock runs from: the receipt, or the day the
	// corrected application arrived.
	Start time.Time
	// Due is the last day to answer; zero while a 补正 is out.
	Due time.Time
	// Waiting: a 补正 is out, the clock waits for the applicant.
	Waiting bool
	// Paused: a pause is running; Due assumes it ends today, and moves
	// each working day it lasts.
	Paused bool
	// PausedDays are the working days the pauses took out of the clock.
	PausedDays int
	// SupplementBy is the last day to send a 补正 request.
	SupplementBy time.Time
	// Uncovered: a date the clock needs lies in a year the calendar's data
	// lacks, where only weekends are known to be days off; the answer may
	// be wrong and the pages say so.
	Uncovered bool
}

// ApplicationDeadline computes Article 33's deadline from the case's
// records, never from a stored date: 20 working days after the start (40
// with the extension), not counting the working days of the pauses that
// fall after the start. today closes a running pause.
func (c *Calendar) ApplicationDeadline(k ApplicationClock, today time.Time) ApplicationDeadline {
	d := ApplicationDeadline{Start: k.ReceivedOn, SupplementBy: c.AddWorkingDays(k.ReceivedOn, SupplementWorkingDays)}
	d.Uncovered = !c.Covers(k.ReceivedOn) || !c.Covers(d.SupplementBy)
	if !k.SupplementRequestedOn.IsZero() {
		if k.SupplementReceivedOn.IsZero() {
			d.Waiting = true
			return d
		}
		d.Start = k.SupplementReceivedOn
	}
	n := ApplicationWorkingDays
	if k.Extended {
		n += ApplicationWorkingDays
	}
	// The due day is the (n + paused)-th working day after the start,
	// where paused counts the pauses' working days up to the due day: grow
	// it until it holds (each round adds the pauses it newly reaches).
	paused := 0
	for {
		d.Due = c.AddWorkingDays(d.Start, n+paused)
		p := 0
		for _, ps := range k.Pauses {
			to := ps.To
			if to.IsZero() {
				to, d.Paused = today, true
			}
			from := ps.From
			if from.Before(d.Start) {
				from = d.Start
			}
			if to.After(d.Due) {
				to = d.Due
			}
			if to.After(from) {
				p += c.WorkingDaysBetween(from, to)
			}
		}
		if p == paused {
			break
		}
		paused = p
	}
	d.PausedDays = paused
	d.Uncovered = d.Uncovered || !c.Covers(d.Start) || !c.Covers(d.Due)
	return d
}
