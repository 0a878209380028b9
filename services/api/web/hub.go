package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sanshen-gov/sanshen/internal/store"
)

// hub holds one LISTEN connection for every open page and fans the
// notifications out, so a hundred open queues cost one database connection.
type hub struct {
	store *store.Store
	log   *slog.Logger
	mu    sync.Mutex
	subs  map[chan string]struct{}
}

func newHub(s *store.Store, log *slog.Logger) *hub {
	return &hub{store: s, log: log, subs: map[chan string]struct{}{}}
}

func (h *hub) subscribe() (<-chan string, func()) {
	ch := make(chan string, 16)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

func (h *hub) broadcast(payload string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- payload:
		default: // a slow page misses one nudge; its next refresh catches up
		}
	}
}

// run listens until ctx ends, reconnecting after errors.
func (h *hub) run(ctx context.Context) {
	for ctx.Err() == nil {
		err := func() error {
			conn, err := h.store.Pool.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			if _, err := conn.Exec(ctx, "LISTEN "+store.EventsChannel); err != nil {
				return err
			}
			defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+store.EventsChannel) //nolint:errcheck
			for {
				n, err := conn.Conn().WaitForNotification(ctx)
				if err != nil {
					return err
				}
				h.broadcast(n.Payload)
			}
		}()
		if ctx.Err() != nil {
			break
		}
		h.log.Warn("live events: LISTEN connection lost, reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	h.mu.Lock()
	for ch := range h.subs {
		close(ch)
		delete(h.subs, ch)
	}
	h.mu.Unlock()
}
