package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// hub holds one LISTEN connection for every open page and fans the
// notifications out, so a hundred open queues cost one database connection.
// A page hears only of drafts its person may see (domain.CanView), before
// or after the move: the news carries the draft's agency, department,
// author and state (store.News), so the hub asks no query per event and
// page — only the agency's policy, from the auth cache, once per event.
type hub struct {
	store *store.Store
	log   *slog.Logger
	mu    sync.Mutex
	subs  map[chan string]domain.Actor
}

func newHub(s *store.Store, log *slog.Logger) *hub {
	return &hub{store: s, log: log, subs: map[chan string]domain.Actor{}}
}

func (h *hub) subscribe(a domain.Actor) (<-chan string, func()) {
	ch := make(chan string, 16)
	h.mu.Lock()
	h.subs[ch] = a
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// pageNews is what a page is told: which draft moved, to where.
type pageNews struct {
	DraftID  int64        `json:"draft_id"`
	State    domain.State `json:"state"`
	Revision int          `json:"revision"`
}

func (h *hub) broadcast(payload string) {
	var n store.News
	if json.Unmarshal([]byte(payload), &n) != nil || n.DraftID == 0 {
		return
	}
	if !h.listening(n.AgencyID) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	policy, err := h.store.Policy(ctx, n.AgencyID) // outside the lock: it may ask the database
	if err != nil {
		h.log.Warn("live news without the agency's policy", "agency", n.AgencyID, "err", err)
	}
	after := domain.DraftFacts{AuthorID: n.AuthorID, AgencyID: n.AgencyID, DepartmentID: n.DepartmentID, State: n.State,
		Revision: n.Revision, StepDone: n.StepDone, Policy: policy}
	before := after
	before.State, before.StepDone = n.From, n.FromStepDone
	out, _ := json.Marshal(pageNews{DraftID: n.DraftID, State: n.State, Revision: n.Revision})
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch, a := range h.subs {
		if a.AgencyID != n.AgencyID || domain.CanView(a, after) != nil && (n.From == "" || domain.CanView(a, before) != nil) {
			continue
		}
		select {
		case ch <- string(out):
		default: // a slow page misses one nudge; its next refresh catches up
		}
	}
}

// listening reports whether any open page is of agency.
func (h *hub) listening(agency int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.subs {
		if a.AgencyID == agency {
			return true
		}
	}
	return false
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
