package publisher_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/work"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

// wantProduction checks the outcome of the production channels: the
// website delivered at the item's public address, WeChat and Douyin
// recorded as not configured, never as done.
func wantProduction(t *testing.T, o *office, id int64) {
	t.Helper()
	ps := o.statuses(id)
	if len(ps) != 3 {
		t.Fatalf("draft %d has publications %+v, want one per channel", id, ps)
	}
	web := ps[string(domain.ChannelWebsite)]
	if web.Status != store.PubDelivered || web.URL != fmt.Sprintf("%s/public/items/%d", publicURL, id) || web.DeliveredAt == nil {
		t.Errorf("website publication %+v, want delivered at its public address", web)
	}
	for _, ch := range []domain.Channel{domain.ChannelWeChat, domain.ChannelDouyin} {
		if p := ps[string(ch)]; p.Status != store.PubNotConfigured || p.DeliveredAt != nil || p.Error == "" {
			t.Errorf("%s publication %+v, want not_configured with its reason", ch, p)
		}
	}
}

// A draft approved at the last stage is published in one pass: every
// channel's outcome, the move to published, and the audit trail of both.
func TestApprovedDraftIsPublishedInOnePass(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	ids := []int64{o.submit("关于开展安全生产大检查的通知", allChannels...), o.submit("关于调整城区公交线路的公告", allChannels...)}
	var ws []work.Item
	for _, id := range ids {
		ws = append(ws, o.toPublishing(id))
	}
	for i, err := range o.publisher(nil).HandleBatch(ctx, ws) {
		if err != nil {
			t.Fatalf("draft %d: %v", ws[i].DraftID, err)
		}
	}
	for _, id := range ids {
		d := o.detail(id)
		if d.State != domain.StatePublished || !d.StepDone || d.PublishedAt == nil {
			t.Fatalf("draft %d is %s (checks done %v, published at %v) after one pass", id, d.State, d.StepDone, d.PublishedAt)
		}
		wantProduction(t, o, id)
		var comment string
		if err := o.s.Pool.QueryRow(ctx, `SELECT comment FROM audit_events WHERE draft_id = $1 AND action = 'published'`, id).Scan(&comment); err != nil {
			t.Fatal(err)
		}
		if comment != "douyin=not_configured website=delivered wechat=not_configured" {
			t.Errorf("the published event says %q", comment)
		}
		if o.events(id, "channel_delivered") != 1 || o.events(id, "channel_not_configured") != 2 {
			t.Errorf("draft %d: channel events %d delivered, %d not configured; want 1 and 2", id,
				o.events(id, "channel_delivered"), o.events(id, "channel_not_configured"))
		}
	}
	if o.published(domain.ChannelWebsite, store.PubDelivered) != 2 || o.published(domain.ChannelWeChat, store.PubNotConfigured) != 2 ||
		o.published(domain.ChannelDouyin, store.PubNotConfigured) != 2 {
		t.Errorf("publications metric: website delivered %v, wechat not configured %v, douyin not configured %v; want 2 each",
			o.published(domain.ChannelWebsite, store.PubDelivered), o.published(domain.ChannelWeChat, store.PubNotConfigured),
			o.published(domain.ChannelDouyin, store.PubNotConfigured))
	}
	o.verifyAudit()
}

// A duplicate message, in the same batch or redelivered later, to either
// path, changes nothing: each channel is published once, the draft is
// published once, and the trail verifies.
func TestDuplicateMessageChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	id := o.submit("关于开展安全生产大检查的通知", allChannels...)
	w := o.toPublishing(id)
	p := o.publisher(nil)
	errs := p.HandleBatch(ctx, []work.Item{w, w})
	if errs[0] != nil || !errors.Is(errs[1], bus.ErrNoop) {
		t.Fatalf("a batch with a duplicate: %v, want [nil noop]", errs)
	}
	const written = `SELECT (SELECT count(*) FROM publications) + (SELECT count(*) FROM audit_events) * 1000 + (SELECT count(*) FROM outbox) * 1000000`
	before := o.count(written)
	if errs := p.HandleBatch(ctx, []work.Item{w}); !errors.Is(errs[0], bus.ErrNoop) {
		t.Fatalf("a redelivery: %v, want a no-op", errs[0])
	}
	if err := p.Handle(ctx, w); !errors.Is(err, bus.ErrNoop) {
		t.Fatalf("a redelivery on the careful path: %v, want a no-op", err)
	}
	if after := o.count(written); after != before {
		t.Fatalf("duplicates wrote to the database (%d -> %d)", before, after)
	}
	if n := o.count(`SELECT count(*) FROM publications WHERE draft_id = $1`, id); n != 3 {
		t.Fatalf("%d publication rows, want 3", n)
	}
	if n := o.events(id, "published"); n != 1 {
		t.Fatalf("%d published events, want 1", n)
	}
	wantProduction(t, o, id)
	if n := o.published(domain.ChannelWebsite, store.PubDelivered); n != 1 {
		t.Fatalf("the website counted %v times", n)
	}
	o.verifyAudit()
}

// A message for a revision or state the draft is not in is a no-op on
// both paths; a message for another state on the publish subject, or for
// no draft, is permanent. Nothing is written for any of them.
func TestStaleAndWrongMessagesChangeNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	waiting := o.submit("关于开展安全生产大检查的通知", allChannels...)
	o.toConfidentiality(waiting) // not approved yet
	published := o.submit("关于调整城区公交线路的公告", allChannels...)
	w := o.toPublishing(published)
	p := o.publisher(nil)
	if errs := p.HandleBatch(ctx, []work.Item{w}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	before := o.count(`SELECT (SELECT count(*) FROM publications) + (SELECT count(*) FROM audit_events) * 1000`)

	noops := []work.Item{
		{DraftID: waiting, Revision: 1, State: domain.StatePublishing},   // not approved at the last stage
		{DraftID: published, Revision: 2, State: domain.StatePublishing}, // a revision the draft does not have
	}
	for i, err := range p.HandleBatch(ctx, noops) {
		if !errors.Is(err, bus.ErrNoop) {
			t.Errorf("HandleBatch %+v: %v, want a no-op", noops[i], err)
		}
	}
	for _, w := range noops {
		if err := p.Handle(ctx, w); !errors.Is(err, bus.ErrNoop) {
			t.Errorf("Handle %+v: %v, want a no-op", w, err)
		}
	}
	wrong := []work.Item{
		{DraftID: waiting, Revision: 1, State: domain.StateConfidentiality},               // another state on the publish subject
		{DraftID: published + waiting + 1000, Revision: 1, State: domain.StatePublishing}, // no such draft
	}
	for i, err := range p.HandleBatch(ctx, wrong) {
		if !permanent(err) {
			t.Errorf("HandleBatch %+v: %v, want permanent", wrong[i], err)
		}
	}
	for _, w := range wrong {
		if err := p.Handle(ctx, w); !permanent(err) {
			t.Errorf("Handle %+v: %v, want permanent", w, err)
		}
	}
	if after := o.count(`SELECT (SELECT count(*) FROM publications) + (SELECT count(*) FROM audit_events) * 1000`); after != before {
		t.Fatalf("stale or wrong messages wrote to the database (%d -> %d)", before, after)
	}
	if d := o.detail(waiting); d.State != domain.StateConfidentiality {
		t.Fatalf("the waiting draft is %s", d.State)
	}
}

// An earlier attempt that wrote the publication rows and died sends the
// redelivery down the careful path, which finishes the job from the rows.
func TestEarlierAttemptIsFinishedOnTheCarefulPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	id := o.submit("关于开展安全生产大检查的通知", allChannels...)
	w := o.toPublishing(id)
	if _, pubs, err := o.s.StartPublishing(ctx, w); err != nil || len(pubs) != 3 {
		t.Fatalf("the earlier attempt: %d rows, %v", len(pubs), err)
	}
	if errs := o.publisher(nil).HandleBatch(ctx, []work.Item{w}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if d := o.detail(id); d.State != domain.StatePublished {
		t.Fatalf("draft is %s", d.State)
	}
	wantProduction(t, o, id)
	if n := o.events(id, "published"); n != 1 {
		t.Fatalf("%d published events", n)
	}
	o.verifyAudit()
}

// An external channel is claimed, sent to once and recorded with where
// it can be seen; a redelivery does not send again.
func TestExternalSendIsMadeOnceAndRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	wechat := &channel{}
	p := o.publisher(map[domain.Channel]publisher.Channel{domain.ChannelWeChat: wechat})
	id := o.submit("关于开展安全生产大检查的通知", domain.ChannelWebsite, domain.ChannelWeChat)
	w := o.toPublishing(id)
	if errs := p.HandleBatch(ctx, []work.Item{w}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	ps := o.statuses(id)
	if wc := ps[string(domain.ChannelWeChat)]; wc.Status != store.PubDelivered || wc.URL != "https://mp.weixin.qq.com/s/test" || wc.ExternalID != "msg-1" {
		t.Fatalf("WeChat publication %+v", wc)
	}
	if ps[string(domain.ChannelWebsite)].Status != store.PubDelivered || o.detail(id).State != domain.StatePublished {
		t.Fatalf("publications %+v, draft %s", ps, o.detail(id).State)
	}
	if errs := p.HandleBatch(ctx, []work.Item{w}); !errors.Is(errs[0], bus.ErrNoop) {
		t.Fatalf("a redelivery: %v, want a no-op", errs[0])
	}
	if n := wechat.calls.Load(); n != 1 {
		t.Fatalf("WeChat called %d times, want 1", n)
	}
	if n := o.count(`SELECT attempts FROM publications WHERE draft_id = $1 AND channel = 'wechat'`, id); n != 1 {
		t.Fatalf("%d claimed attempts, want 1", n)
	}
	if o.published(domain.ChannelWeChat, store.PubDelivered) != 1 {
		t.Fatal("the WeChat delivery was not counted")
	}
	o.verifyAudit()
}

// A failed external send is recorded as failed and left for a person: the
// draft is published (its other channels are done), the failure is listed
// among the open publications, and no redelivery retries it.
func TestFailedSendWaitsForAPerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	wechat := &channel{err: errors.New("wechat: access token expired")}
	p := o.publisher(map[domain.Channel]publisher.Channel{domain.ChannelWeChat: wechat})
	id := o.submit("关于开展安全生产大检查的通知", allChannels...)
	w := o.toPublishing(id)
	if errs := p.HandleBatch(ctx, []work.Item{w}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if wc := o.statuses(id)[string(domain.ChannelWeChat)]; wc.Status != store.PubFailed || wc.Error != "wechat: access token expired" {
		t.Fatalf("WeChat publication %+v, want failed with the channel's error", wc)
	}
	if d := o.detail(id); d.State != domain.StatePublished {
		t.Fatalf("draft is %s", d.State)
	}
	open, err := o.s.OpenPublications(ctx, 1)
	if err != nil || len(open) != 1 || open[0].DraftID != id || open[0].Channel != "wechat" || open[0].Status != store.PubFailed {
		t.Fatalf("open publications %+v (%v), want the failed WeChat send", open, err)
	}
	if errs := p.HandleBatch(ctx, []work.Item{w}); !errors.Is(errs[0], bus.ErrNoop) {
		t.Fatalf("a redelivery: %v, want a no-op", errs[0])
	}
	if n := wechat.calls.Load(); n != 1 {
		t.Fatalf("WeChat called %d times; a failure is for a person, not a blind retry", n)
	}
	if o.published(domain.ChannelWeChat, store.PubFailed) != 1 {
		t.Fatal("the failure was not counted")
	}
	o.verifyAudit()
}

// claimed leaves the draft as a publisher that died mid-send would: the
// rows written, and WeChat's send claimed but never recorded.
func claimed(t *testing.T, o *office, id int64) work.Item {
	t.Helper()
	ctx := context.Background()
	w := o.toPublishing(id)
	if _, _, err := o.s.StartPublishing(ctx, w); err != nil {
		t.Fatal(err)
	}
	if won, err := o.s.ClaimPublication(ctx, w, domain.ChannelWeChat); err != nil || !won {
		t.Fatalf("claim: %v %v", won, err)
	}
	return w
}

// A send claimed and never recorded, once its claim is older than the
// claim timeout, may have gone out: it is recorded as unknown for a person
// to check and is never sent again; the draft is published.
func TestUnrecordedSendBecomesUnknownAndIsNeverRepeated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	wechat := &channel{}
	p := o.publisher(map[domain.Channel]publisher.Channel{domain.ChannelWeChat: wechat})
	p.ClaimTimeout = time.Nanosecond // any claim is stale
	id := o.submit("关于开展安全生产大检查的通知", allChannels...)
	w := claimed(t, o, id)
	if errs := p.HandleBatch(ctx, []work.Item{w}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	ps := o.statuses(id)
	if wc := ps[string(domain.ChannelWeChat)]; wc.Status != store.PubUnknown || wc.Error == "" {
		t.Fatalf("WeChat publication %+v, want unknown with a note", wc)
	}
	if ps[string(domain.ChannelWebsite)].Status != store.PubDelivered || ps[string(domain.ChannelDouyin)].Status != store.PubNotConfigured {
		t.Fatalf("publications %+v", ps)
	}
	if d := o.detail(id); d.State != domain.StatePublished {
		t.Fatalf("draft is %s", d.State)
	}
	if n := wechat.calls.Load(); n != 0 {
		t.Fatalf("WeChat called %d times after a send of unknown outcome", n)
	}
	open, err := o.s.OpenPublications(ctx, 1)
	if err != nil || len(open) != 1 || open[0].Channel != "wechat" || open[0].Status != store.PubUnknown {
		t.Fatalf("open publications %+v (%v), want the unknown WeChat send", open, err)
	}
	o.verifyAudit()
}

// While a claim is younger than the claim timeout another publisher may
// still be sending: the message is retried later (neither done, nor a
// no-op, nor permanent) and nothing is sent or written meanwhile.
func TestSendStillInProgressIsRetriedLater(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	wechat := &channel{}
	p := o.publisher(map[domain.Channel]publisher.Channel{domain.ChannelWeChat: wechat}) // default claim timeout: 10 minutes
	id := o.submit("关于开展安全生产大检查的通知", allChannels...)
	w := claimed(t, o, id)
	err := p.HandleBatch(ctx, []work.Item{w})[0]
	if err == nil || errors.Is(err, bus.ErrNoop) || permanent(err) {
		t.Fatalf("a send in progress elsewhere: %v, want an error to retry", err)
	}
	if d := o.detail(id); d.State != domain.StatePublishing {
		t.Fatalf("draft is %s", d.State)
	}
	if wc := o.statuses(id)[string(domain.ChannelWeChat)]; wc.Status != store.PubSending {
		t.Fatalf("WeChat publication %+v, want still sending", wc)
	}
	if n := wechat.calls.Load(); n != 0 {
		t.Fatalf("WeChat called %d times while another send holds the claim", n)
	}
}
