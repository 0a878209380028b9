package system_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/bus"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// Without the relay service, each process relays what it commits: a draft
// goes all the way through, every outbox row is marked sent, and the live
// pages' news arrives on core NATS.
func TestProcessesRelayTheirOwnCommits(t *testing.T) {
	t.Parallel()
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Components = system.Components{API: true, Stages: domain.Stages(), Publisher: true} // no relay service
	})
	news := make(chan string, 64)
	sub, err := h.sys.NATS.Subscribe(bus.SubjectEvents, func(m *nats.Msg) { news <- string(m.Data) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe() //nolint:errcheck
	id := h.submit("关于开展安全生产大检查的通知")
	h.publishAll(id)
	h.waitRelayed()
	h.exactlyOnce(id)
	// Each transition's news, in commit order for the draft.
	want := []domain.State{domain.StateCompleteness, domain.StateCompliance, domain.StateCompliance,
		domain.StateConfidentiality, domain.StateConfidentiality, domain.StatePublishing, domain.StatePublished}
	var got []domain.State
	deadline := time.After(5 * time.Second)
	for len(got) < len(want) {
		select {
		case n := <-news:
			var e struct {
				DraftID  int64        `json:"draft_id"`
				State    domain.State `json:"state"`
				Revision int          `json:"revision"`
			}
			if err := json.Unmarshal([]byte(n), &e); err != nil {
				t.Fatalf("news %q: %v", n, err)
			}
			if e.DraftID == id && e.Revision == 1 {
				got = append(got, e.State)
			}
		case <-deadline:
			t.Fatalf("news of draft %d: got %v, want %v", id, got, want)
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("news of draft %d: got %v, want %v", id, got, want)
		}
	}
}

// dropAll is an Announcer that loses everything: a process that died
// between its commit and its publish.
type dropAll struct{}

func (dropAll) Outbox([]store.OutboxRow) {}
func (dropAll) Events([]string)          {}

// What the committing process did not publish, the relay service sends: a
// process that died after its commit, once the grace has passed, and one
// without an eager relay, woken by its NOTIFY.
func TestRelayServiceSendsWhatProcessesDidNot(t *testing.T) {
	t.Parallel()
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.RelayGrace = 300 * time.Millisecond
	})
	ctx := context.Background()
	officer, err := h.sys.Store.UserByToken(ctx, h.tokens["officer"])
	if err != nil {
		t.Fatal(err)
	}
	submit := func(s *store.Store, title string) int64 {
		t.Helper()
		d, err := s.Submit(ctx, officer.Actor(), officer.Departments[0], domain.Content{Title: title,
			Body: "为方便市民出行，自下月起调整城区部分公交线路。", Department: "综合办", Category: "news",
			Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Now().AddDate(0, 0, -2)},
			time.Now().AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	open := func() *store.Store {
		s, err := store.Open(ctx, h.dbURL, testenv.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return s
	}
	died := open()
	died.Announce = dropAll{}
	lost := submit(died, "关于调整城区公交线路的公告")
	if n := h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NULL AND (payload->>'draft_id')::bigint = $1`, lost); n != 1 {
		t.Fatalf("%d unsent outbox rows for the draft, want 1", n)
	}
	h.waitFor(lost, domain.StateCompliance)
	plain := submit(open(), "关于城区道路施工的通告") // no Announcer: NOTIFY
	h.waitFor(plain, domain.StateCompliance)
	h.waitRelayed()
}
