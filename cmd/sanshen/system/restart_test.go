package system_test

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestNATSRestart restarts the NATS server (over TCP, as in split mode)
// while drafts are in flight: the services reconnect, the outbox keeps
// what could not be sent, and every draft is published once.
func TestNATSRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freePort(t)
	ns, err := bus.StartEmbedded(dir, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ns.Shutdown() }()
	h := start(t, func(c *config.Config, o *system.Options) {
		o.Embedded = nil
		c.NATSURL = "nats://" + addr
		c.SweepAfter = 2 * time.Second
	})
	first := h.submit("关于调整垃圾清运时间的通知")
	h.waitFor(first, domain.StateCompliance)

	ns.Shutdown()
	// While NATS is down the API still takes drafts and decisions: Postgres is the truth.
	second := h.submit("关于开展防范电信诈骗宣传的通知")
	h.mustStatus(h.decide(first, "head", "compliance", 1, "approve", nil), http.StatusOK)
	time.Sleep(500 * time.Millisecond)
	if ns, err = bus.StartEmbedded(dir, addr); err != nil {
		t.Fatalf("restarting NATS: %v", err)
	}
	h.waitFor(first, domain.StateConfidentiality)
	h.mustStatus(h.decide(first, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
	h.waitFor(first, domain.StatePublished)
	h.publishAll(second)
	h.exactlyOnce(first)
	h.exactlyOnce(second)
}
