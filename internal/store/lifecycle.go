package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

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
		if _, err := domain.NextFor(cur.DraftFacts, domain.ActionWithdraw); err != nil || cur.PublishedRevision == 0 {
			return ErrNothingToDo // withdrawn already, or not public
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

// ChangeExpiry sets the last day the draft stays public (nil: no limit), a
// reviewer's or an admin's decision in place of what stage 2 settled (a
// time-limited notice's 有效期, a penalty decision whose date the rule could
// not read); audited in the draft's chain with their note.
func (s *Store) ChangeExpiry(ctx context.Context, by domain.Actor, id int64, lastDay *time.Time, note string) error {
	err := s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, b *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := domain.CanSetExpiry(by, cur.DraftFacts); err != nil {
			return s.refuseOrHide(ctx, tx, &cur, by, "set_expiry", err)
		}
		b.Queue(`UPDATE drafts SET expires_on = $2 WHERE id = $1`, id, lastDay)
		what := "无期限 (no limit)"
		if lastDay != nil {
			what = lastDay.Format(domain.DateLayout)
		}
		set.event(&cur, audit.Event{ActorID: by.ID, Actor: by.Name, Role: primaryRole(by), Stage: string(cur.State), Action: "expiry_set",
			Revision: cur.Revision, ContentSHA256: cur.Content, Reason: what, Comment: note})
		return nil
	})
	return unwrapRefused(err)
}
