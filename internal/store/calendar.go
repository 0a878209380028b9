package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/calendar"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// CalendarYear is a year an admin added to the working-day calendar.
type CalendarYear struct {
	calendar.Year
	AddedBy string
	AddedAt time.Time
}

// CalendarYears lists the added years, oldest year first, and when the
// last change was made (zero when none): the calendar every process builds
// from the embedded data and these.
func (s *Store) CalendarYears(ctx context.Context) ([]CalendarYear, time.Time, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT c.year, c.data, u.name, c.added_at FROM calendar_years c JOIN users u ON u.id = c.added_by ORDER BY c.year`)
	var out []CalendarYear
	var last time.Time
	var y CalendarYear
	var raw []byte
	_, err := pgx.ForEachRow(rows, []any{&y.Year.Year, &raw, &y.AddedBy, &y.AddedAt}, func() error {
		cy := CalendarYear{Year: calendar.Year{Year: y.Year.Year}, AddedBy: y.AddedBy, AddedAt: y.AddedAt}
		if err := json.Unmarshal(raw, &cy.Year); err != nil {
			return fmt.Errorf("year %d: %w", y.Year.Year, err)
		}
		out = append(out, cy)
		if y.AddedAt.After(last) {
			last = y.AddedAt
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("error reading the calendar's added years: %w", err)
	}
	return out, last, nil
}

// SetCalendarYear adds (or replaces) a year of the working-day calendar,
// for a platform admin, with the notice it was read from; audited in the
// system chain with the days off and the make-up working days.
func (s *Store) SetCalendarYear(ctx context.Context, by domain.Actor, y calendar.Year, notice string) error {
	if err := domain.CanManagePlatform(by); err != nil {
		return err
	}
	data, err := json.Marshal(y)
	if err != nil {
		return fmt.Errorf("error encoding the calendar year: %w", err)
	}
	dates := func(ds []time.Time) string {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.Format(domain.DateLayout)
		}
		return strings.Join(out, ",")
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO calendar_years (year, data, notice, added_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (year) DO UPDATE SET data = $2, notice = $3, added_by = $4, added_at = now()`, y.Year, data, notice, by.ID); err != nil {
			return fmt.Errorf("error storing the calendar year: %w", err)
		}
		return appendEvent(ctx, tx, &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name, Role: primaryRole(by),
			Action: "calendar_year_set", Reason: fmt.Sprint(y.Year), Comment: "off=" + dates(y.Off) + " workdays=" + dates(y.Workdays)})
	})
}
