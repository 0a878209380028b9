package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// WebhookEvent is an audit event as the outgoing webhooks see it: in the
// transparency log's order (Leaf).
type WebhookEvent struct {
	Leaf, Seq int64
	Chain     string
	AgencyID  *int64
	Actor     string
	Role      string
	Stage     string
	Action    string
	Revision  int
	Reason    string
	Comment   string
	At        time.Time
}

// WebhookDelivery is one attempt to deliver an event, for the log.
type WebhookDelivery struct {
	Leaf      int64     `json:"leaf"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	URL       string    `json:"url"`
	Status    int       `json:"status"`
	Error     string    `json:"error,omitempty"`
	OK        bool      `json:"ok"`
	At        time.Time `json:"at"`
}

// StartWebhooks places the webhooks' cursor after the log's last leaf, the
// first time: an installation that turns webhooks on sends what happens
// from then on, not its whole history.
func (s *Store) StartWebhooks(ctx context.Context) error {
	if _, err := s.Pool.Exec(ctx, `INSERT INTO webhook_cursor (id, next_idx) SELECT 1, COALESCE(max(idx) + 1, 0) FROM audit_leaves
		ON CONFLICT (id) DO NOTHING`); err != nil {
		return fmt.Errorf("error starting the webhooks' cursor: %w", err)
	}
	return nil
}

// WebhookRound hands deliver up to limit events from the cursor, in the
// log's order, in a transaction that holds the cursor (false, and nothing
// done, when another replica holds it). deliver returns how many of them,
// from the first, were delivered or skipped, and the attempts to log; the
// cursor moves past those, and the log is written, when the transaction
// commits.
func (s *Store) WebhookRound(ctx context.Context, limit int, deliver func([]WebhookEvent) (int, []WebhookDelivery)) (bool, int, error) {
	held, done := false, 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var next int64
		err := tx.QueryRow(ctx, `SELECT next_idx FROM webhook_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`).Scan(&next)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error reading the webhooks' cursor: %w", err)
		}
		held = true
		rows, _ := tx.Query(ctx, `SELECT l.idx, e.seq, e.chain, e.agency_id, e.actor, e.role, e.stage, e.action, e.revision, e.reason, e.comment, e.at
			FROM audit_leaves l JOIN audit_events e ON e.seq = l.seq WHERE l.idx >= $1 ORDER BY l.idx LIMIT $2`, next, limit)
		evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookEvent, error) {
			var e WebhookEvent
			return e, r.Scan(&e.Leaf, &e.Seq, &e.Chain, &e.AgencyID, &e.Actor, &e.Role, &e.Stage, &e.Action, &e.Revision, &e.Reason, &e.Comment, &e.At)
		})
		if err != nil || len(evs) == 0 {
			return err
		}
		n, log := deliver(evs)
		done = n
		b := &pgx.Batch{}
		for _, d := range log {
			b.Queue(`INSERT INTO webhook_deliveries (leaf, event_id, event_type, url, status, error, ok) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				d.Leaf, d.EventID, d.EventType, d.URL, d.Status, d.Error, d.OK)
		}
		if n > 0 {
			b.Queue(`UPDATE webhook_cursor SET next_idx = $1 WHERE id = 1`, evs[n-1].Leaf+1)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("error recording webhook deliveries: %w", err)
		}
		return nil
	})
	return held, done, err
}

// WebhookDeliveries lists the latest attempts, newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, limit int) ([]WebhookDelivery, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT leaf, event_id, event_type, url, status, error, ok, at FROM webhook_deliveries ORDER BY id DESC LIMIT $1`, limit)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[WebhookDelivery])
	if err != nil {
		return nil, fmt.Errorf("error reading the webhook deliveries: %w", err)
	}
	return out, nil
}
