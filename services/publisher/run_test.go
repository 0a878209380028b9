package publisher_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/relay"
)

// Run consumes the publish subject: the last approval's work, published by
// the committing process's eager relay, is published to every channel. The
// publications metric has every channel's series from the start.
func TestRunPublishesWhatTheLastApprovalSends(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := newOffice(t)
	srv := testenv.NATS(t)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Declare(ctx, js, testBus); err != nil {
		t.Fatal(err)
	}
	id := o.submit("关于开展安全生产大检查的通知", allChannels...)
	o.toConfidentiality(id)

	eager := relay.NewEager(js, nc, o.s, testenv.Logger(t), o.m)
	o.s.Announce = eager
	run(t, eager.Run)
	p := o.publisher(nil)
	p.JS, p.Bus = js, testBus
	run(t, p.Run)
	testenv.Eventually(t, "the publications metric's series to exist", func() bool {
		return o.series(domain.ChannelDouyin, store.PubUnknown)
	})

	o.approve(o.sec, id, domain.StageConfidentiality)
	testenv.Eventually(t, "the approved draft to be published", func() bool {
		return o.detail(id).State == domain.StatePublished
	})
	wantProduction(t, o, id)
	o.verifyAudit()
}
