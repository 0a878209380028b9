package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// The states of a channel's withdrawal (publications.withdraw_status).
const (
	WithdrawPending  = "pending"  // the channel has not been asked yet
	WithdrawSending  = "sending"  // claimed: a publisher is asking it
	WithdrawDone     = "done"     // removed
	WithdrawGone     = "gone"     // the channel no longer had it
	WithdrawManual   = "manual"   // a person must remove it (the channel cannot, or failed for good)
	WithdrawResolved = "resolved" // a person removed it and said so
	// WithdrawReplaced: a correction's publication on the same channel
	// replaced it (the portal's item updated in place, or the WeChat or
	// Douyin post deleted before the corrected one went out).
	WithdrawReplaced = "replaced"
)

// Withdrawal is one channel's removal of a withdrawn draft's revision.
type Withdrawal struct {
	DraftID    int64      `json:"draft_id"`
	Title      string     `json:"title"`
	Revision   int        `json:"revision"`
	Channel    string     `json:"channel"`
	Status     string     `json:"status"`
	URL        string     `json:"url,omitempty"`
	ExternalID string     `json:"external_id,omitempty"`
	Code       string     `json:"code"`
	Reason     string     `json:"reason"`
	Error      string     `json:"error,omitempty"`
	ClaimedAt  *time.Time `json:"-"`
}

// queueWithdrawals marks for removal each publication of the draft that is
// still up: of any revision, since a correction may have left an earlier
// one up beside it (a WeChat correction notice beside the article), while a
// publication a correction replaced (WithdrawReplaced) is already down.
// The website's removal is the withdrawal itself (its pages show no
// withdrawn draft): done at once, in the same transaction.
func queueWithdrawals(b *pgx.Batch, id int64, code domain.WithdrawalCode, reason string) {
	b.Queue(`UPDATE publications SET withdraw_reason = $2, withdraw_code = $4,
			withdraw_status = CASE WHEN channel = $3 THEN 'done' ELSE 'pending' END,
			withdrawn_at = CASE WHEN channel = $3 THEN now() END
		WHERE draft_id = $1 AND status = 'delivered' AND withdraw_status IS NULL`,
		id, reason, string(domain.ChannelWebsite), string(code))
	b.Queue(`UPDATE public_items SET withdrawn = true WHERE draft_id = $1`, id)
}

// Withdrawals lists a withdrawn draft's channels still to be removed by a
// machine (pending, or claimed), for the publisher. ErrNothingToDo when the
// draft is not withdrawn at w's revision or its removal is finished.
func (s *Store) Withdrawals(ctx context.Context, w work.Item) ([]Withdrawal, error) {
	var state domain.State
	var rev int
	var done bool
	err := s.Pool.QueryRow(ctx, `SELECT state, revision, step_done FROM drafts WHERE id = $1`, w.DraftID).Scan(&state, &rev, &done)
	if err == pgx.ErrNoRows {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("error loading draft %d: %w", w.DraftID, err)
	}
	if state != domain.StateWithdrawn || rev != w.Revision || done {
		return nil, ErrNothingToDo
	}
	return s.withdrawals(ctx, `p.draft_id = $1 AND p.withdraw_status IN ('pending', 'sending')`, w.DraftID)
}

func (s *Store) withdrawals(ctx context.Context, where string, args ...any) ([]Withdrawal, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT p.draft_id, r.title, p.revision, p.channel, p.withdraw_status, p.url, p.external_id,
			p.withdraw_code, p.withdraw_reason, p.withdraw_error, p.withdraw_claimed_at
		FROM publications p JOIN revisions r ON r.draft_id = p.draft_id AND r.revision = p.revision
		JOIN drafts d ON d.id = p.draft_id WHERE `+where+` ORDER BY p.draft_id, p.channel`, args...)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Withdrawal, error) {
		var x Withdrawal
		return x, r.Scan(&x.DraftID, &x.Title, &x.Revision, &x.Channel, &x.Status, &x.URL, &x.ExternalID, &x.Code, &x.Reason, &x.Error, &x.ClaimedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("error listing withdrawals: %w", err)
	}
	return out, nil
}

// ClaimWithdrawal claims a channel's removal before the channel is asked:
// a pending one, or (again) one claimed at claimedAt whose outcome was
// never recorded. false when another publisher holds it.
func (s *Store) ClaimWithdrawal(ctx context.Context, x Withdrawal) (bool, error) {
	ct, err := s.Pool.Exec(ctx, `UPDATE publications SET withdraw_status = 'sending', withdraw_claimed_at = now()
		WHERE draft_id = $1 AND revision = $2 AND channel = $3
		  AND (withdraw_status = 'pending' OR withdraw_status = 'sending' AND withdraw_claimed_at = $4)`,
		x.DraftID, x.Revision, x.Channel, x.ClaimedAt)
	if err != nil {
		return false, fmt.Errorf("error claiming withdrawal: %w", err)
	}
	return ct.RowsAffected() == 1, nil
}

// ReleaseWithdrawal gives a claimed removal back (the channel was down; it
// is asked again when the message comes back).
func (s *Store) ReleaseWithdrawal(ctx context.Context, x Withdrawal, why string) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE publications SET withdraw_status = 'pending', withdraw_claimed_at = NULL, withdraw_error = $4
		WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND withdraw_status = 'sending'`, x.DraftID, x.Revision, x.Channel, why); err != nil {
		return fmt.Errorf("error releasing withdrawal: %w", err)
	}
	return nil
}

// RecordWithdrawal stores a channel's removal outcome (done, gone or
// manual, with why) with its audit event, and when no channel is left for
// a machine, finishes the draft's withdrawal step. A second outcome for the
// same channel changes nothing.
func (s *Store) RecordWithdrawal(ctx context.Context, x Withdrawal, status, why string) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, x.DraftID)
		if err != nil {
			return err
		}
		ct, err := tx.Exec(ctx, `UPDATE publications SET withdraw_status = $4, withdraw_error = $5,
				withdrawn_at = CASE WHEN $4 IN ('done', 'gone') THEN now() END
			WHERE draft_id = $1 AND revision = $2 AND channel = $3 AND withdraw_status IN ('pending', 'sending')`,
			x.DraftID, x.Revision, x.Channel, status, why)
		if err != nil {
			return fmt.Errorf("error recording withdrawal: %w", err)
		}
		if ct.RowsAffected() == 1 {
			set.event(&cur, audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Stage: string(domain.StateWithdrawn),
				Action: "channel_withdraw_" + status, Revision: x.Revision, ContentSHA256: cur.Content, Reason: x.Channel,
				Comment: joinNonEmpty(" ", x.URL, why)})
		}
		return finishWithdrawing(ctx, tx, set, &cur)
	})
}

// finishWithdrawing marks the draft's withdrawal step done once no channel
// waits for a machine (the ones left to people do not hold it).
func finishWithdrawing(ctx context.Context, tx pgx.Tx, set *moveSet, cur *lockedDraft) error {
	if cur.State != domain.StateWithdrawn || cur.StepDone {
		return nil
	}
	var open int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM publications WHERE draft_id = $1
		AND withdraw_status IN ('pending', 'sending')`, cur.ID).Scan(&open); err != nil {
		return fmt.Errorf("error reading withdrawals: %w", err)
	}
	if open > 0 {
		return nil
	}
	set.move(cur, move{to: cur.State, revision: cur.Revision, stepDone: true,
		event: audit.Event{Actor: SystemActor.Name, Role: string(domain.RoleSystem), Stage: string(domain.StateWithdrawn),
			Action: "withdrawn_everywhere", Revision: cur.Revision, ContentSHA256: cur.Content}})
	return nil
}

// FinishWithdrawing ends a withdrawal step with nothing left for a
// machine (a draft withdrawn with no external channel, or swept after its
// last outcome was recorded).
func (s *Store) FinishWithdrawing(ctx context.Context, w work.Item) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, w.DraftID)
		if err != nil {
			return err
		}
		if cur.State != domain.StateWithdrawn || cur.Revision != w.Revision || cur.StepDone {
			return ErrNothingToDo
		}
		return finishWithdrawing(ctx, tx, set, &cur)
	})
}

// ManualWithdrawals are the channels of an agency's withdrawn drafts that
// a person must remove by hand, for the publications page.
func (s *Store) ManualWithdrawals(ctx context.Context, agencyID int64) ([]Withdrawal, error) {
	return s.withdrawals(ctx, `p.withdraw_status = 'manual' AND d.agency_id = $1`, agencyID)
}

// ResolveWithdrawal records that a person removed the item from a channel
// that could not be asked to (or failed to): audited with their note.
func (s *Store) ResolveWithdrawal(ctx context.Context, by domain.Actor, draftID int64, ch domain.Channel, note string) error {
	return s.moveTx(ctx, func(tx pgx.Tx, set *moveSet, _ *pgx.Batch) error {
		cur, err := lockDraft(ctx, tx, draftID)
		if err != nil {
			return err
		}
		if err := domain.CanManage(by, cur.AgencyID); err != nil {
			return s.refuse(ctx, tx, &cur, by, "resolve_withdrawal", err)
		}
		ct, err := tx.Exec(ctx, `UPDATE publications SET withdraw_status = 'resolved', resolved_by = $3, resolution = $4, withdrawn_at = now()
			WHERE draft_id = $1 AND channel = $2 AND withdraw_status = 'manual'`, draftID, ch, by.ID, note)
		if err != nil {
			return fmt.Errorf("error resolving withdrawal: %w", err)
		}
		if ct.RowsAffected() == 0 {
			return fmt.Errorf("draft %d has no %s removal waiting for a person: %w", draftID, ch, ErrNotFound)
		}
		set.event(&cur, audit.Event{ActorID: by.ID, Actor: by.Name, Role: primaryRole(by), Stage: string(domain.StateWithdrawn),
			Action: "channel_withdraw_resolved", Revision: cur.Revision, ContentSHA256: cur.Content, Reason: string(ch), Comment: note})
		return nil
	})
}

// WithdrawnItem is what the public page of an item taken down says: when
// and why.
type WithdrawnItem struct {
	Title       string
	Code        domain.WithdrawalCode
	WithdrawnAt time.Time
}

// PublicWithdrawnFile finds the withdrawn item whose website revision had
// the file sum attached under name, and its agency: a link to the file
// answers as the item's page does. ErrNotFound when no such item (a file
// of an item still published is PublicFile's).
func (s *Store) PublicWithdrawnFile(ctx context.Context, sum, name string) (int64, WithdrawnItem, error) {
	var agencyID int64
	var w WithdrawnItem
	err := s.Pool.QueryRow(ctx, `SELECT d.agency_id, r.title, p.withdraw_code, p.withdrawn_at FROM revision_attachments ra
		JOIN drafts d ON d.id = ra.draft_id AND d.state = 'withdrawn' AND ra.revision = COALESCE(d.published_revision, d.revision)
		JOIN publications p ON p.draft_id = d.id AND p.revision = ra.revision AND p.channel = 'website' AND p.withdrawn_at IS NOT NULL
		JOIN revisions r ON r.draft_id = d.id AND r.revision = p.revision
		WHERE ra.sha256 = $1 AND ra.name = $2
		ORDER BY p.withdrawn_at DESC, d.id DESC LIMIT 1`, sum, name).Scan(&agencyID, &w.Title, &w.Code, &w.WithdrawnAt)
	if err == pgx.ErrNoRows {
		return 0, w, ErrNotFound
	}
	if err != nil {
		return 0, w, fmt.Errorf("error loading the withdrawn item of file %s: %w", sum, err)
	}
	return agencyID, w, nil
}

// PublicWithdrawn finds an agency's item that was on its website and has
// been withdrawn (agencyID 0: of any agency); ErrNotFound otherwise.
func (s *Store) PublicWithdrawn(ctx context.Context, agencyID, id int64) (WithdrawnItem, error) {
	var w WithdrawnItem
	err := s.Pool.QueryRow(ctx, `SELECT r.title, p.withdraw_code, p.withdrawn_at FROM drafts d
		JOIN publications p ON p.draft_id = d.id AND p.revision = COALESCE(d.published_revision, d.revision) AND p.channel = 'website' AND p.withdrawn_at IS NOT NULL
		JOIN revisions r ON r.draft_id = d.id AND r.revision = p.revision
		WHERE d.id = $2 AND d.state = 'withdrawn' AND ($1::bigint = 0 OR d.agency_id = $1)`, agencyID, id).Scan(&w.Title, &w.Code, &w.WithdrawnAt)
	if err == pgx.ErrNoRows {
		return w, ErrNotFound
	}
	if err != nil {
		return w, fmt.Errorf("error loading withdrawn item: %w", err)
	}
	return w, nil
}
