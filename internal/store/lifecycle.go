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

// JobPublish is the scheduler's job that releases a scheduled draft (定时发布)
// at its publication time; its key is the draft's chain, so one draft has
// one such job, which a later approval moves.
const JobPublish = "publish"

// Release sends a scheduled draft to publishing: the scheduler's, at the
// time its approved revision names. ErrNothingToDo when it is not
// scheduled any more (withdrawn meanwhile, or released already), so a
// second run changes nothing.
func (s *Store) Release(ctx context.Context, id int64) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.State != domain.StateScheduled {
			return ErrNothingToDo
		}
		to, err := domain.Next(cur.State, domain.ActionRelease)
		if err != nil {
			return err
		}
		set.move(&cur, move{to: to, revision: cur.Revision, event: audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem),
			Stage: string(domain.StateScheduled), Action: string(domain.ActionRelease), Revision: cur.Revision, ContentSHA256: cur.Content}})
		return nil
	})
}
