package publisher

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/work"
)

// Withdrawer is a channel that can take an item back: the portal's DELETE,
// the platforms' deletes. gone reports that the channel no longer had it.
type Withdrawer interface {
	Withdraw(ctx context.Context, draftID int64, revision int, externalID, reason, note string) (gone bool, err error)
}

// HandleWithdraw removes a withdrawn draft from each channel it reached
// but the website (removed in the withdrawal's own transaction). Each
// removal is claimed before the channel is asked and its outcome recorded
// and audited after, so a crash between two channels neither skips one nor
// asks one twice, but for a channel whose delete carries an idempotency key
// (the portal), which is simply asked again. A channel that cannot delete,
// or whose removal failed for good or ended unknown, is left to a person
// (the publications page).
func (p *Publisher) HandleWithdraw(ctx context.Context, w work.Item) error {
	if w.State != domain.StateWithdrawn {
		return bus.Permanent(fmt.Errorf("message for state %q on the withdraw subject", w.State))
	}
	xs, err := p.Store.Withdrawals(ctx, w)
	switch {
	case errors.Is(err, store.ErrNothingToDo):
		return bus.ErrNoop
	case errors.Is(err, store.ErrNotFound):
		return bus.Permanent(err)
	case err != nil:
		return err
	}
	for _, x := range xs {
		if err := p.withdrawOne(ctx, x); err != nil {
			return err
		}
	}
	if err := p.Store.FinishWithdrawing(ctx, w); err != nil && !errors.Is(err, store.ErrNothingToDo) {
		return err
	}
	return nil
}

func (p *Publisher) withdrawOne(ctx context.Context, x store.Withdrawal) error {
	ch := p.Channels[domain.Channel(x.Channel)]
	wd, canDelete := ch.(Withdrawer)
	canDelete = canDelete && domain.Channel(x.Channel).Info().Deletes
	if d, ok := ch.(interface{ Deletes() bool }); ok {
		// The account decides (Douyin: whether it granted the delete scope).
		canDelete = wd != nil && d.Deletes()
	}
	_, resend := idempotent(ch)
	switch {
	case !canDelete:
		return p.recordWithdrawal(ctx, x, store.WithdrawManual, "该渠道不能通过接口删除：请在渠道后台手工撤下，再在此记录。(this channel cannot delete through its API)")
	case x.Status == store.WithdrawSending && x.ClaimedAt != nil && time.Since(*x.ClaimedAt) < p.claimTimeout():
		return fmt.Errorf("the %s removal claimed at %s is still in progress", x.Channel, x.ClaimedAt.Format(time.RFC3339))
	case x.Status == store.WithdrawSending && !resend:
		return p.recordWithdrawal(ctx, x, store.WithdrawManual, "撤下操作已开始但结果未记录：请先在渠道后台核实。(a removal was started but its outcome was not recorded)")
	}
	won, err := p.Store.ClaimWithdrawal(ctx, x)
	if err != nil || !won {
		return err
	}
	code := x.Code
	if !domain.WithdrawalCode(code).Valid() {
		code = string(domain.WithdrawOther)
	}
	gone, derr := wd.Withdraw(ctx, x.DraftID, x.Revision, x.ExternalID, code, x.Reason)
	switch {
	case derr == nil && gone:
		return p.recordWithdrawal(ctx, x, store.WithdrawGone, "")
	case derr == nil:
		return p.recordWithdrawal(ctx, x, store.WithdrawDone, "")
	}
	if r, ok := idempotent(ch); ok && r.Retryable(derr) && ctx.Err() == nil {
		if err := p.Store.ReleaseWithdrawal(context.WithoutCancel(ctx), x, derr.Error()); err != nil {
			return err
		}
		return fmt.Errorf("the %s removal will be retried: %w", x.Channel, derr)
	}
	return p.recordWithdrawal(ctx, x, store.WithdrawManual, derr.Error())
}

func (p *Publisher) recordWithdrawal(ctx context.Context, x store.Withdrawal, status, why string) error {
	err := p.Store.RecordWithdrawal(ctx, x, status, why)
	if errors.Is(err, store.ErrNothingToDo) {
		return nil
	}
	return err
}
