// Package lifecycle is what happens to an item after publication, driven
// by the durable scheduler (internal/schedule): the expiry of items whose
// public period ended (a time-limited notice's 有效期, a penalty decision's
// publication period by its agency's rule, compliance.PenaltyExpiryWith),
// scheduled publishing (定时发布), and the deletion of applicants' identity
// documents whose retention ended (identity_retention). On the day after its last day, an item
// is withdrawn from every channel with reason code expired, and its public
// address answers 410 saying so.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/checks/compliance"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/schedule"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// KindExpirySweep is the scheduler's job that withdraws expired items; it
// schedules its next run for the next day, five minutes after midnight in
// Beijing.
const KindExpirySweep = "expiry_sweep"

// sweepKey is the one expiry sweep's key: the installation has one.
const sweepKey = "all"

// KindIdentityRetention is the scheduler's daily job that deletes the
// identity documents of applications whose retention ended
// (store.ExpireIdentityDocuments) and then removes their bytes. It is a
// job of its own, not a step of the expiry sweep: a file store that is
// down then delays only it (it fails and is retried), never the withdrawal
// of expired items, and each is retried without redoing the other.
const KindIdentityRetention = "identity_retention"

// Lifecycle holds the handlers of the lifecycle's jobs.
type Lifecycle struct {
	Store *store.Store
	// Blobs holds the identity documents' bytes (nil: they are marked
	// deleted and audited, and their bytes wait for a sweep that has it).
	Blobs store.BlobRemover
	Now   func() time.Time // the scheduler's clock
	Log   *slog.Logger
}

// Handlers are the lifecycle's jobs, for a schedule.Runner.
func (l *Lifecycle) Handlers() map[string]schedule.Handler {
	return map[string]schedule.Handler{KindExpirySweep: l.sweepJob, store.JobPublish: l.releaseJob, KindIdentityRetention: l.retentionJob}
}

// releaseJob publishes a scheduled draft (定时发布) at its time: it moves to
// publishing, and the publisher does the rest, as for any approved draft.
// A draft withdrawn meanwhile, or released already, is left alone.
func (l *Lifecycle) releaseJob(ctx context.Context, _ pgx.Tx, j schedule.Job) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(j.Key, "draft/"), 10, 64)
	if err != nil {
		return fmt.Errorf("publish job %q names no draft", j.Key)
	}
	switch err := l.Store.Release(ctx, id); {
	case errors.Is(err, store.ErrNothingToDo) || errors.Is(err, store.ErrNotFound):
		l.log().Info("scheduled publication not released: the draft is no longer scheduled", "draft", id)
		return nil
	case err != nil:
		return err
	}
	l.log().Info("scheduled draft released for publication", "draft", id)
	return nil
}

// Start schedules a sweep now, so one runs at every start (a sweep missed
// while sanshen was down runs at once) and then every day.
func (l *Lifecycle) Start(ctx context.Context) error {
	if err := schedule.Schedule(ctx, l.Store.Pool, KindExpirySweep, sweepKey, l.now(), nil); err != nil {
		return err
	}
	return schedule.Schedule(ctx, l.Store.Pool, KindIdentityRetention, sweepKey, l.now(), nil)
}

// retentionJob runs the identity documents' retention and schedules the
// next run, with the expiry sweep's timing, in the job's transaction.
func (l *Lifecycle) retentionJob(ctx context.Context, tx pgx.Tx, _ schedule.Job) error {
	now := l.now()
	if _, _, err := l.Retention(ctx, now); err != nil {
		return err
	}
	return schedule.Schedule(ctx, tx, KindIdentityRetention, sweepKey, NextSweep(now), nil)
}

// Retention deletes the identity documents whose retention ended by now
// (each deletion audited in its case's chain, by the system), then removes
// the bytes of every deleted document still stored, and returns how many of
// each. Both halves are idempotent: a run cut short is simply run again.
func (l *Lifecycle) Retention(ctx context.Context, now time.Time) (deleted, removed int, err error) {
	docs, err := l.Store.ExpireIdentityDocuments(ctx, now)
	for _, d := range docs {
		l.log().Info("identity document deleted after its retention", "application", d.ApplicationID, "document", d.ID)
	}
	if err != nil {
		return len(docs), 0, err
	}
	if l.Blobs == nil {
		l.log().Warn("identity documents' files not removed: the lifecycle has no file store")
		return len(docs), 0, nil
	}
	removed, err = l.Store.RemoveDeletedDocumentBlobs(ctx, l.Blobs)
	return len(docs), removed, err
}

// sweepJob runs a sweep and schedules the next one in the job's
// transaction, so exactly one next sweep is pending whatever fails.
func (l *Lifecycle) sweepJob(ctx context.Context, tx pgx.Tx, _ schedule.Job) error {
	now := l.now()
	if _, err := l.Sweep(ctx, now); err != nil {
		return err
	}
	// The day's housekeeping: idempotency keys and rate-limit events
	// older than a day.
	if _, err := l.Store.ForgetIdempotency(ctx); err != nil {
		return err
	}
	if _, err := l.Store.ForgetAddressEvents(ctx); err != nil {
		return err
	}
	return schedule.Schedule(ctx, tx, KindExpirySweep, sweepKey, NextSweep(now), nil)
}

// NextSweep is five minutes past the next midnight in Beijing.
func NextSweep(now time.Time) time.Time {
	b := now.In(domain.Beijing)
	return time.Date(b.Year(), b.Month(), b.Day()+1, 0, 5, 0, 0, domain.Beijing)
}

// Sweep withdraws every item whose public period ended before now's date
// in Beijing (its expires_on, which stage 2 settled: the author's 有效期至, or
// a penalty decision's publication period by its agency's rule; or a
// reviewer set), and returns how many. Each withdrawal is its own
// transaction and a second one changes nothing, so a sweep cut short is
// simply run again. Penalty decisions published before sanshen stored
// the date get theirs first, by the same rule.
func (l *Lifecycle) Sweep(ctx context.Context, now time.Time) (int, error) {
	b := now.In(domain.Beijing)
	today := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC) // civil dates are midnight UTC (domain.Content)
	older, err := l.Store.PublishedWithoutExpiry(ctx)
	if err != nil {
		return 0, err
	}
	for _, d := range older {
		p, err := l.Store.Periods(ctx, d.AgencyID)
		if err != nil {
			return 0, err
		}
		if until, ok := compliance.PenaltyExpiryWith(d.Content, p); ok {
			if err := l.Store.SetExpiry(ctx, d.ID, until); err != nil {
				return 0, err
			}
		}
	}
	due, err := l.Store.Expiring(ctx, today)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range due {
		err := l.Store.Expire(ctx, d.ID, d.LastDay)
		switch {
		case errors.Is(err, store.ErrNothingToDo):
		case err != nil:
			return n, fmt.Errorf("error withdrawing expired draft %d: %w", d.ID, err)
		default:
			n++
			l.log().Info("expired item withdrawn", "draft", d.ID, "last_day", d.LastDay.Format(domain.DateLayout))
		}
	}
	return n, nil
}

func (l *Lifecycle) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Lifecycle) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.New(slog.DiscardHandler)
}
