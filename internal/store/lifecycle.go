package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// PublishedOfCategory lists the published drafts of a category, with the
// content of their published revision, oldest first: what the lifecycle's
// expiry sweep weighs.
func (s *Store) PublishedOfCategory(ctx context.Context, category string) ([]Draft, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+draftColumns+draftFrom+` WHERE d.state = 'published' AND r.category = $1 ORDER BY d.published_at, d.id`, category)
	if err != nil {
		return nil, fmt.Errorf("error listing published %s drafts: %w", category, err)
	}
	defer rows.Close()
	var out []Draft
	for rows.Next() {
		d, err := scanDraft(rows)
		if err != nil {
			return nil, fmt.Errorf("error listing published %s drafts: %w", category, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Expire withdraws a published draft whose publication period ended on
// lastDay, as the system and with reason code expired: the same
// withdrawal as a person's (the public pages at once, every other channel
// by the publisher), audited with the period's last day. ErrNothingToDo
// when the draft is no longer published, so a second sweep changes
// nothing.
func (s *Store) Expire(ctx context.Context, id int64, lastDay time.Time) error {
	reason := fmt.Sprintf("公开期限已于%s届满，系统自动撤下。(the publication period ended on %s)",
		lastDay.Format(domain.DateLayout), lastDay.Format(domain.DateLayout))
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.State != domain.StatePublished {
			return ErrNothingToDo
		}
		return withdraw(set, b, &cur, audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem)}, domain.WithdrawExpired, reason)
	})
}
