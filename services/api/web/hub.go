package web

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/sanshen-gov/sanshen/internal/store"
)

// hub holds one LISTEN connection for every open page and fans the
// notifications out, so a hundred open queues cost one database connection.
// A page hears only its own agency's news.
type hub struct {
	store *store.Store
	mu    sync.Mutex
	subs  map[chan string]int64 // subscriber -> agency
}

func newHub(s *store.Store) *hub {
	return &hub{store: s, subs: map[chan string]int64{}}
}

func (h *hub) subscribe(agencyID int64) (<-chan string, func()) {
	ch := make(chan string, 16)
	h.mu.Lock()
	h.subs[ch] = agencyID
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

func (h *hub) broadcast(payload string) {
	var news struct {
		AgencyID int64 `json:"agency_id"`
	}
	if json.Unmarshal([]byte(payload), &news) != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch, agency := range h.subs {
		if agency != news.AgencyID {
			continue
		}
		select {
		case ch <- payload:
		default: // a slow page misses one nudge; its next refresh catches up
		}
	}
}

// run listens until ctx ends, then closes every subscriber's channel.
func (h *hub) run(ctx context.Context) {
	h.store.Listen(ctx, store.EventsChannel, nil, h.broadcast)
	h.mu.Lock()
	for ch := range h.subs {
		close(ch)
		delete(h.subs, ch)
	}
	h.mu.Unlock()
}
