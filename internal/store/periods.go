package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/checks/compliance"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Periods reads an agency's publication periods of penalty decisions:
// compliance.DefaultPeriods where it set none.
func (s *Store) Periods(ctx context.Context, agencyID int64) (compliance.Periods, error) {
	p := compliance.DefaultPeriods
	err := s.Pool.QueryRow(ctx, `SELECT light_months, heavy_months, small_fine, source FROM agency_periods WHERE agency_id = $1`, agencyID).
		Scan(&p.LightMonths, &p.HeavyMonths, &p.SmallFine, &p.Source)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("error reading the agency's publication periods: %w", err)
	}
	return p, nil
}

// SetPeriods sets the publication periods of penalty decisions of the
// admin's own agency, with their source, audited in its chain. Drafts
// already past stage 2 keep the expiry it settled; later ones, and
// corrections, get the new periods.
func (s *Store) SetPeriods(ctx context.Context, by domain.Actor, p compliance.Periods) error {
	if err := domain.CanManage(by, by.AgencyID); err != nil {
		return err
	}
	if why := p.Valid(); why != "" {
		return &domain.Refusal{Rule: domain.RuleInvalidPolicy, Message: why}
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agency_periods (agency_id, light_months, heavy_months, small_fine, source) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (agency_id) DO UPDATE SET light_months = $2, heavy_months = $3, small_fine = $4, source = $5, updated_at = now()`,
			by.AgencyID, p.LightMonths, p.HeavyMonths, p.SmallFine, p.Source); err != nil {
			return fmt.Errorf("error setting the publication periods: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(by.AgencyID, by, "periods_set",
			fmt.Sprintf("light=%d months, heavy=%d months, small fine under %d yuan; source: %s", p.LightMonths, p.HeavyMonths, p.SmallFine, p.Source)))
	})
}

// PeriodCache gives the stage 2 checks an agency's periods
// (checks.PeriodSource), read again after Refresh.
type PeriodCache struct {
	Store   *Store
	Refresh time.Duration

	mu   sync.Mutex
	seen map[int64]cachedPeriods
}

type cachedPeriods struct {
	p  compliance.Periods
	at time.Time
}

// Periods is the agency's periods, at most Refresh old.
func (c *PeriodCache) Periods(ctx context.Context, agencyID int64) (compliance.Periods, error) {
	c.mu.Lock()
	x, ok := c.seen[agencyID]
	c.mu.Unlock()
	if ok && time.Since(x.at) < c.Refresh {
		return x.p, nil
	}
	p, err := c.Store.Periods(ctx, agencyID)
	if err != nil {
		return p, err
	}
	c.mu.Lock()
	if c.seen == nil {
		c.seen = map[int64]cachedPeriods{}
	}
	c.seen[agencyID] = cachedPeriods{p, time.Now()}
	c.mu.Unlock()
	return p, nil
}

// Expiring lists the drafts whose public period ended before today (a
// civil date): published, or under correction with a published revision,
// and not being published right now.
func (s *Store) Expiring(ctx context.Context, today time.Time) ([]ExpiringDraft, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, expires_on FROM drafts WHERE expires_on < $1 AND published_revision IS NOT NULL
		AND state NOT IN ('withdrawn', 'publishing') ORDER BY expires_on, id`, today)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ExpiringDraft])
	if err != nil {
		return nil, fmt.Errorf("error listing expired items: %w", err)
	}
	return out, nil
}

// ExpiringDraft is a draft whose public period ended.
type ExpiringDraft struct {
	ID      int64
	LastDay time.Time
}

// SetExpiry stores the expiry the stage 2 rule gives a published draft
// that has none stored (one published before sanshen stored it): the
// lifecycle's sweep settles those once. Changes nothing when one is set.
func (s *Store) SetExpiry(ctx context.Context, id int64, lastDay time.Time) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE drafts SET expires_on = $2 WHERE id = $1 AND expires_on IS NULL`, id, lastDay); err != nil {
		return fmt.Errorf("error storing draft %d's expiry: %w", id, err)
	}
	return nil
}

// PublishedWithoutExpiry lists published penalty decisions with no stored
// expiry, with their published revision's content.
func (s *Store) PublishedWithoutExpiry(ctx context.Context) ([]Draft, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT `+draftColumns+draftFrom+` WHERE d.state = 'published' AND d.expires_on IS NULL
		AND r.category = 'penalty' AND d.revision = d.published_revision ORDER BY d.id`)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Draft, error) { return scanDraft(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing published decisions without an expiry: %w", err)
	}
	return out, nil
}

// ExpiringItem is a public item whose last day is near.
type ExpiringItem struct {
	ID, AgencyID, AuthorID int64
	Title                  string
	LastDay                time.Time
}

// ExpiringSoon lists the public items whose last day (expires_on) falls
// between from and to, civil dates both included: for the notifications.
func (s *Store) ExpiringSoon(ctx context.Context, from, to time.Time) ([]ExpiringItem, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT d.id, d.agency_id, d.author_id, r.title, d.expires_on FROM drafts d
		JOIN revisions r ON r.draft_id = d.id AND r.revision = d.published_revision
		WHERE d.expires_on BETWEEN $1 AND $2 AND d.published_revision IS NOT NULL AND d.state NOT IN ('withdrawn', 'publishing')
		ORDER BY d.expires_on, d.id`, from, to)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ExpiringItem])
	if err != nil {
		return nil, fmt.Errorf("error listing items expiring soon: %w", err)
	}
	return out, nil
}
