// Package publisher publishes approved revisions to their channels, each
// (draft, revision, channel) exactly once: a unique publication row is the
// guard, and an external send is claimed in Postgres before it starts, so a
// crash mid-send is never followed by a blind second send.
package publisher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Channel delivers a revision to one place.
type Channel interface {
	// Configured reports whether the channel can deliver at all; an
	// unconfigured channel is recorded as not delivered, never as done.
	Configured() bool
	// Internal channels deliver inside sanshen's own database and need no claim.
	Internal() bool
	// Deliver sends the content and returns where it can be seen.
	Deliver(ctx context.Context, draftID int64, revision int, c domain.Content) (url, externalID string, err error)
}

// Resender is a channel whose every write carries an idempotency key
// (the portal): a send whose outcome was never recorded is made again
// rather than left to a person, and a send that failed in a way that may
// pass later is retried with the message's backoff.
type Resender interface {
	Idempotent() bool
	Retryable(err error) bool
}

// idempotent reports whether ch is a Resender that says so.
func idempotent(ch Channel) (Resender, bool) {
	r, ok := ch.(Resender)
	return r, ok && r.Idempotent()
}

// Website is the office's public pages, served by sanshen itself: a
// publication row marked delivered is what makes the item appear.
type Website struct{ PublicURL string }

// Configured is always true: the public pages are part of sanshen.
func (Website) Configured() bool { return true }

// Internal is true: delivery is the publication row itself.
func (Website) Internal() bool { return true }

// Deliver returns the item's public address.
func (w Website) Deliver(_ context.Context, id int64, _ int, _ domain.Content) (string, string, error) {
	return fmt.Sprintf("%s/public/items/%d", w.PublicURL, id), "", nil
}

// Applicant is a reply's delivery to the person who applied: the approved
// reply is ready for staff to send by e-mail or post or hand over, and they
// record the delivery on the case. Nothing is public and nothing is sent
// by sanshen itself.
type Applicant struct{}

// Configured is always true: delivery is the staff's, recorded on the case.
func (Applicant) Configured() bool { return true }

// Internal is true: the publication row marks the reply ready to deliver.
func (Applicant) Internal() bool { return true }

// Deliver returns no address: a reply has none.
func (Applicant) Deliver(context.Context, int64, int, domain.Content) (string, string, error) {
	return "", "", nil
}

// NotConfigured stands for a channel whose adapter has no credentials.
type NotConfigured struct{}

// Configured is false.
func (NotConfigured) Configured() bool { return false }

// Internal is false.
func (NotConfigured) Internal() bool { return false }

// Deliver never succeeds.
func (NotConfigured) Deliver(context.Context, int64, int, domain.Content) (string, string, error) {
	return "", "", errors.New("channel not configured")
}

// Publisher consumes the publish subject.
type Publisher struct {
	Store    *store.Store
	JS       jetstream.JetStream
	Channels map[domain.Channel]Channel
	Bus      bus.Options
	// Concurrency is the batches in flight, each up to 64 messages (0: 2):
	// a slow external send holds only its own batch.
	Concurrency int
	Log         *slog.Logger
	Metrics     *metrics.Metrics
	// ClaimTimeout is how long a claimed external send may take before a
	// later delivery of the message concludes the sender died mid-send
	// (outcome unknown). Until then the message is retried. Default 10m.
	ClaimTimeout time.Duration
	// RecheckEvery is how often delivered items are rechecked on the
	// platforms that can take an item down after success (WeChat's
	// statuses 5 and 6); RecheckBudget bounds the calls per channel per
	// round (default 6h and 10: WeChat's status API has a small daily
	// quota). A negative RecheckEvery turns it off.
	RecheckEvery  time.Duration
	RecheckBudget int
}

// Rechecker is a channel that can say whether a delivered item is still
// up: an alert ("" when it is) for the publications page.
type Rechecker interface {
	Recheck(ctx context.Context, x store.Recheck) (alert string, err error)
}

// Run consumes the publish and the withdraw subjects until ctx ends.
func (p *Publisher) Run(ctx context.Context) error {
	c := &bus.Consumer{JS: p.JS, Subject: work.SubjectPublish, BatchHandler: p.HandleBatch, DeadLetters: p.Store.SinkDeadLetter,
		Options: p.Bus, Concurrency: p.Concurrency, Log: p.Log, Metrics: p.Metrics}
	wc := &bus.Consumer{JS: p.JS, Subject: work.SubjectWithdraw, Handler: p.HandleWithdraw, DeadLetters: p.Store.SinkDeadLetter,
		Options: p.Bus, Concurrency: p.Concurrency, Log: p.Log, Metrics: p.Metrics}
	for ch := range p.Channels {
		for _, st := range []string{store.PubDelivered, store.PubNotConfigured, store.PubFailed, store.PubUnknown} {
			p.Metrics.Publications.WithLabelValues(string(ch), st)
		}
	}
	p.Log.Info("publisher started")
	// Both loops end together: the first to stop stops the other.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- c.Run(ctx) }()
	go func() { errs <- wc.Run(ctx) }()
	go p.recheckLoop(ctx)
	err := <-errs
	cancel()
	return cmp.Or(err, <-errs)
}

// recheckLoop rechecks delivered items every RecheckEvery until ctx ends.
func (p *Publisher) recheckLoop(ctx context.Context) {
	every := cmp.Or(p.RecheckEvery, 6*time.Hour)
	if every < 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.Recheck(ctx, time.Now())
		}
	}
}

// Recheck asks each channel that can say so whether the items it
// delivered in the last 30 days are still up, at most RecheckBudget per
// channel, least recently checked first, and records what it finds.
func (p *Publisher) Recheck(ctx context.Context, now time.Time) {
	budget := cmp.Or(p.RecheckBudget, 10)
	for name, ch := range p.Channels {
		rc, ok := ch.(Rechecker)
		if !ok || !ch.Configured() {
			continue
		}
		xs, err := p.Store.RecheckCandidates(ctx, name, now.AddDate(0, 0, -30), budget)
		if err != nil {
			p.Log.Warn("recheck: listing failed", "channel", name, "err", err)
			continue
		}
		for _, x := range xs {
			alert, err := rc.Recheck(ctx, x)
			if err != nil {
				p.Log.Warn("recheck failed", "channel", name, "draft", x.DraftID, "err", err)
				break // quota or outage: the rest wait for the next round
			}
			if alert != "" {
				p.Log.Warn("a platform took a published item down", "channel", name, "draft", x.DraftID, "alert", alert)
			}
			if err := p.Store.RecordRecheck(ctx, x, name, alert); err != nil {
				p.Log.Warn("recheck: recording failed", "channel", name, "draft", x.DraftID, "err", err)
			}
		}
	}
}

// HandleBatch publishes several revisions. Those whose channels all end
// without an external send (the website, unconfigured channels) are
// written together in one transaction; a revision with a channel to send to,
// or with publication rows from an earlier attempt, goes through Handle on
// its own, where each external send is claimed before it starts.
func (p *Publisher) HandleBatch(ctx context.Context, ws []work.Item) []error {
	errs := make([]error, len(ws))
	var todo []work.Item
	var at []int // item index of each todo
	for i, w := range ws {
		if w.State != domain.StatePublishing {
			errs[i] = bus.Permanent(fmt.Errorf("message for state %q on the publish subject", w.State))
			continue
		}
		todo = append(todo, w)
		at = append(at, i)
	}
	var alone []int                                   // items for Handle
	planned := map[int64][]store.PublicationOutcome{} // by draft, for the metrics after commit
	plan := func(w work.Item, c domain.Content) ([]store.PublicationOutcome, bool) {
		outs, ok := p.localOutcomes(ctx, w, c)
		planned[w.DraftID] = outs
		return outs, ok
	}
	for j, err := range p.Store.PublishLocalBatch(ctx, todo, plan) {
		i := at[j]
		switch {
		case errors.Is(err, store.ErrPublishedBefore) || errors.Is(err, store.ErrNeedsSend):
			alone = append(alone, i)
		case errors.Is(err, store.ErrNothingToDo) || errors.Is(err, store.ErrConflict):
			errs[i] = bus.ErrNoop
		case errors.Is(err, store.ErrNotFound):
			errs[i] = bus.Permanent(err)
		case err != nil:
			errs[i] = err
		default:
			for _, o := range planned[ws[i].DraftID] {
				p.Metrics.Publications.WithLabelValues(string(o.Channel), o.Status).Inc()
			}
		}
	}
	// External sends may be slow: side by side.
	var wg sync.WaitGroup
	finished := make([]bool, len(ws))
	for _, i := range alone {
		wg.Go(func() {
			errs[i] = p.Handle(ctx, ws[i])
			finished[i] = true
		})
	}
	wg.Wait()
	for _, i := range alone {
		if !finished[i] {
			// Handle ended abnormally (runtime.Goexit): leave the whole
			// batch unsettled, as a crash of the process would.
			runtime.Goexit()
		}
	}
	return errs
}

// localOutcomes gives every channel's outcome when none needs an external
// send; false when one does.
func (p *Publisher) localOutcomes(ctx context.Context, w work.Item, c domain.Content) ([]store.PublicationOutcome, bool) {
	outs := make([]store.PublicationOutcome, 0, len(c.Channels))
	for _, name := range c.Channels {
		o, ok := p.localOutcome(ctx, w, c, name)
		if !ok {
			return nil, false
		}
		outs = append(outs, o)
	}
	return outs, true
}

// localOutcome is the outcome of a pending channel that needs no external
// send: not configured, or internal (the website). false means the channel
// is sent to, after a claim.
func (p *Publisher) localOutcome(ctx context.Context, w work.Item, c domain.Content, name domain.Channel) (store.PublicationOutcome, bool) {
	ch := p.Channels[name]
	o := store.PublicationOutcome{Channel: name}
	switch {
	case ch == nil || !ch.Configured():
		o.Status, o.Error = store.PubNotConfigured, "channel not configured"
	case ch.Internal():
		o.URL, o.ExternalID, _ = ch.Deliver(ctx, w.DraftID, w.Revision, c)
		o.Status = store.PubDelivered
	default:
		return o, false
	}
	return o, true
}

// Handle publishes one revision to each of its channels, then marks it published.
func (p *Publisher) Handle(ctx context.Context, w work.Item) error {
	if w.State != domain.StatePublishing {
		return bus.Permanent(fmt.Errorf("message for state %q on the publish subject", w.State))
	}
	content, pubs, err := p.Store.StartPublishing(ctx, w)
	if errors.Is(err, store.ErrNothingToDo) {
		return bus.ErrNoop
	}
	if errors.Is(err, store.ErrNotFound) {
		return bus.Permanent(err)
	}
	if err != nil {
		return err
	}
	var local []store.PublicationOutcome // outcomes written with the finish, in one transaction
	for _, pub := range pubs {
		o, err := p.deliver(ctx, w, content, pub)
		if err != nil {
			return err
		}
		if o != nil {
			local = append(local, *o)
		}
	}
	err = p.Store.FinishPublishing(ctx, w, local...)
	if err == nil {
		for _, o := range local {
			p.Metrics.Publications.WithLabelValues(string(o.Channel), o.Status).Inc()
		}
	}
	if errors.Is(err, store.ErrNothingToDo) {
		return bus.ErrNoop
	}
	return err
}

func (p *Publisher) claimTimeout() time.Duration {
	if p.ClaimTimeout > 0 {
		return p.ClaimTimeout
	}
	return 10 * time.Minute
}

// deliver publishes one channel. An external send is claimed, made and
// recorded here; every other outcome is returned, to be written with the
// finish in one transaction.
func (p *Publisher) deliver(ctx context.Context, w work.Item, content domain.Content, pub store.Publication) (*store.PublicationOutcome, error) {
	name := domain.Channel(pub.Channel)
	o := store.PublicationOutcome{Channel: name}
	switch {
	case pub.Status == store.PubSending && pub.ClaimedAt != nil && time.Since(*pub.ClaimedAt) < p.claimTimeout():
		// Another publisher may still be at it (a sweeper's duplicate, a replica).
		return nil, fmt.Errorf("the %s send claimed at %s is still in progress", name, pub.ClaimedAt.Format(time.RFC3339))
	case pub.Status == store.PubSending:
		if _, ok := idempotent(p.Channels[name]); ok && pub.ClaimedAt != nil {
			// The same key again: the channel answers as the first time.
			won, err := p.Store.ReclaimPublication(ctx, w, name, *pub.ClaimedAt)
			if err != nil || !won {
				return nil, err
			}
			return p.send(ctx, w, content, name)
		}
		// A send was claimed and never recorded: it may have gone out. A
		// WeChat mass-send cannot be taken back, so a person must check.
		o.Status, o.Error = store.PubUnknown, "a send was started but its outcome was not recorded; check the channel before sending again"
		return &o, nil
	case pub.Status != store.PubPending:
		return nil, nil // already final
	}
	if local, ok := p.localOutcome(ctx, w, content, name); ok {
		return &local, nil
	}
	won, err := p.Store.ClaimPublication(ctx, w, name)
	if err != nil || !won {
		return nil, err
	}
	return p.send(ctx, w, content, name)
}

// send makes a claimed send and records its outcome. A failure an
// idempotent channel calls passing (it was down) releases the claim and
// returns the error, so the message comes back after its backoff; any
// other failure is recorded as the channel's outcome.
func (p *Publisher) send(ctx context.Context, w work.Item, content domain.Content, name domain.Channel) (*store.PublicationOutcome, error) {
	ch := p.Channels[name]
	o := store.PublicationOutcome{Channel: name}
	url, ext, derr := ch.Deliver(ctx, w.DraftID, w.Revision, content)
	o.URL, o.ExternalID, o.Status = url, ext, store.PubDelivered
	if derr != nil {
		if r, ok := idempotent(ch); ok && r.Retryable(derr) && ctx.Err() == nil {
			if err := p.Store.ReleasePublication(context.WithoutCancel(ctx), w, name); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("the %s send will be retried: %w", name, derr)
		}
		o.Status, o.Error = store.PubFailed, derr.Error()
	}
	err := p.Store.RecordPublication(ctx, w, o)
	if errors.Is(err, store.ErrNothingToDo) {
		return nil, nil
	}
	if err == nil {
		p.Metrics.Publications.WithLabelValues(string(name), o.Status).Inc()
	}
	return nil, err
}
