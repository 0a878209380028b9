package store_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

type heard struct {
	mu    sync.Mutex
	rows  []store.OutboxRow
	notes []string
}

func (h *heard) Outbox(rows []store.OutboxRow) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rows = append(h.rows, rows...)
}

func (h *heard) Events(notes []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.notes = append(h.notes, notes...)
}

// listen holds a LISTEN on the store's two channels.
func listen(t *testing.T, s *store.Store) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, s.Pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	for _, ch := range []string{store.OutboxChannel, store.EventsChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

// firstNotification is the first notification conn gets after what is
// already queued, once a marker is sent behind it.
func firstNotification(t *testing.T, s *store.Store, conn *pgx.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.Pool.Exec(ctx, `SELECT pg_notify($1, 'marker')`, store.EventsChannel); err != nil {
		t.Fatal(err)
	}
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n.Channel + " " + n.Payload
}

// With an Announcer, a commit hands it exactly the outbox rows it wrote,
// with their ids, and one note per transition, and sends no NOTIFY.
func TestAnnouncerHearsWhatCommitted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := testenv.Store(t)
	h := &heard{}
	s.Announce = h
	conn := listen(t, s)
	ds := officeIn(t, s, 3)
	ws := []work.Item{stage1(ds[0]), stage1(ds[1]), {DraftID: ds[2].ID, Revision: 2, State: domain.StateCompleteness}}
	s.CompleteChecksBatch(ctx, ws, func(work.Item, int64, domain.Content) ([]domain.Finding, error) { return nil, nil })

	if got := firstNotification(t, s, conn); got != store.EventsChannel+" marker" {
		t.Fatalf("a commit with an Announcer sent a NOTIFY: %s", got)
	}
	// Three submissions and two checks passed: five rows, five notes.
	if len(h.rows) != 5 || len(h.notes) != 5 {
		t.Fatalf("heard %d outbox rows and %d notes, want 5 and 5", len(h.rows), len(h.notes))
	}
	for _, r := range h.rows {
		var subject string
		var payload []byte
		var sent *time.Time
		if err := s.Pool.QueryRow(ctx, `SELECT subject, payload, sent_at FROM outbox WHERE id = $1`, r.ID).Scan(&subject, &payload, &sent); err != nil {
			t.Fatalf("outbox row %d: %v", r.ID, err)
		}
		if subject != r.Subject || string(payload) != string(r.Payload) || sent != nil {
			t.Errorf("row %d: heard %s %s, the table has %s %s (sent %v)", r.ID, r.Subject, r.Payload, subject, payload, sent)
		}
		var w work.Item
		if err := json.Unmarshal(r.Payload, &w); err != nil {
			t.Errorf("row %d: %v", r.ID, err)
		}
	}
	var note struct {
		DraftID int64        `json:"draft_id"`
		State   domain.State `json:"state"`
	}
	if err := json.Unmarshal([]byte(h.notes[4]), &note); err != nil || note.DraftID != ds[1].ID || note.State != domain.StateCompliance {
		t.Errorf("last note %s (%v), want draft %d entering compliance", h.notes[4], err, ds[1].ID)
	}

	// The relay leaves rows younger than its grace, takes the rest, and
	// nothing marked by MarkSent comes back.
	relayed := func(grace time.Duration) []int64 {
		var ids []int64
		if _, err := s.RelayOutbox(ctx, 100, grace, func(rows []store.OutboxRow) ([]int64, error) {
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			return nil, nil // published nothing: nothing is marked
		}); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if ids := relayed(time.Hour); len(ids) != 0 {
		t.Errorf("the relay took rows %v younger than its grace", ids)
	}
	if ids := relayed(0); len(ids) != 5 {
		t.Errorf("the relay took %v without a grace, want the 5 rows", ids)
	}
	if err := s.MarkSent(ctx, []int64{h.rows[0].ID, h.rows[1].ID}); err != nil {
		t.Fatal(err)
	}
	if ids := relayed(0); len(ids) != 3 {
		t.Errorf("after marking two, the relay took %v, want the other 3", ids)
	}
}

// Without one, the commit announces by NOTIFY, as before.
func TestWithoutAnnouncerCommitsNotify(t *testing.T) {
	t.Parallel()
	s := testenv.Store(t)
	conn := listen(t, s)
	officeIn(t, s, 1)
	if got := firstNotification(t, s, conn); got == store.EventsChannel+" marker" {
		t.Fatal("a submission without an Announcer sent no NOTIFY")
	}
}
