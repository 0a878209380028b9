package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sanshen-gov/sanshen/internal/work"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/audit"
	"github.com/sanshen-gov/sanshen/internal/domain"
)

// DeadLetter is a message that kept failing, kept so it is visible and replayable.
type DeadLetter struct {
	ID         int64      `json:"id"`
	Consumer   string     `json:"consumer"`
	Subject    string     `json:"subject"`
	Payload    string     `json:"payload"`
	MsgID      string     `json:"msg_id"`
	Deliveries int        `json:"deliveries"`
	LastError  string     `json:"last_error"`
	CreatedAt  time.Time  `json:"created_at"`
	ReplayedAt *time.Time `json:"replayed_at,omitempty"`
}

// AddDeadLetter records a message that exhausted its deliveries or cannot
// be handled. One about a draft belongs to the draft's agency.
func (s *Store) AddDeadLetter(ctx context.Context, d DeadLetter) (int64, error) {
	var id int64
	var w work.Item
	_ = json.Unmarshal([]byte(d.Payload), &w) // not a work message: the platform's
	err := s.Pool.QueryRow(ctx, `INSERT INTO dead_letters (consumer, subject, payload, msg_id, deliveries, last_error, agency_id)
		VALUES ($1, $2, $3, $4, $5, $6, (SELECT agency_id FROM drafts WHERE id = $7)) RETURNING id`,
		d.Consumer, d.Subject, []byte(d.Payload), d.MsgID, d.Deliveries, d.LastError, w.DraftID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("error storing dead letter: %w", err)
	}
	return id, nil
}

const deadLetterColumns = `id, consumer, subject, encode(payload, 'escape'), msg_id, deliveries, last_error, created_at, replayed_at`

func scanDeadLetter(r pgx.Row, more ...any) (DeadLetter, error) {
	var d DeadLetter
	err := r.Scan(append([]any{&d.ID, &d.Consumer, &d.Subject, &d.Payload, &d.MsgID, &d.Deliveries, &d.LastError, &d.CreatedAt, &d.ReplayedAt}, more...)...)
	return d, err
}

// DeadLetters lists the dead letters an admin sees, newest first: a
// platform admin every one, an agency's admin those about its drafts.
func (s *Store) DeadLetters(ctx context.Context, by domain.Actor, limit int) ([]DeadLetter, error) {
	if domain.CanManagePlatform(by) != nil {
		if err := domain.CanManage(by, by.AgencyID); err != nil {
			return nil, err
		}
	}
	rows, _ := s.Pool.Query(ctx, `SELECT `+deadLetterColumns+` FROM dead_letters
		WHERE $2 OR agency_id = $3 ORDER BY id DESC LIMIT $1`, limit, domain.CanManagePlatform(by) == nil, by.AgencyID)
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeadLetter, error) { return scanDeadLetter(r) })
	if err != nil {
		return nil, fmt.Errorf("error listing dead letters: %w", err)
	}
	return ds, nil
}

// ErrUnreplayable means a dead letter's payload is not a work message (not
// JSON): put back, it would fail the same way.
var ErrUnreplayable = errors.New("its payload is not JSON, so it would fail again; it stays for the record")

// ReplayDeadLetter puts a dead letter's message back in the outbox (a new
// outbox id, so JetStream does not drop it as a duplicate) and marks it replayed.
func (s *Store) ReplayDeadLetter(ctx context.Context, by domain.Actor, id int64) (DeadLetter, error) {
	var d DeadLetter
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		var agency *int64
		d, err = scanDeadLetter(tx.QueryRow(ctx, `SELECT `+deadLetterColumns+`, agency_id FROM dead_letters WHERE id = $1 FOR UPDATE`, id), &agency)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("dead letter %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("error loading dead letter: %w", err)
		}
		if domain.CanManagePlatform(by) != nil && (agency == nil || domain.CanManage(by, *agency) != nil) {
			return fmt.Errorf("dead letter %d: %w", id, ErrNotFound) // another agency's: as if not there
		}
		if !json.Valid([]byte(d.Payload)) {
			return fmt.Errorf("dead letter %d: %w", id, ErrUnreplayable)
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO outbox (subject, payload) VALUES ($1, $2::jsonb)`, d.Subject, d.Payload)
		b.Queue(`SELECT pg_notify($1, '')`, OutboxChannel)
		b.Queue(`UPDATE dead_letters SET replayed_at = now() WHERE id = $1 RETURNING replayed_at`, id).QueryRow(func(r pgx.Row) error {
			return r.Scan(&d.ReplayedAt)
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("error replaying dead letter %d: %w", id, err)
		}
		e := &audit.Event{Chain: audit.SystemChain, ActorID: by.ID, Actor: by.Name, Role: primaryRole(by), Action: "deadletter_replay"}
		if agency != nil {
			e = agencyEvent(*agency, by, "deadletter_replay", "")
		}
		e.Comment = fmt.Sprintf("处理失败的消息 %d %s %s", id, d.Subject, d.Payload)
		return appendEvent(ctx, tx, e)
	})
	return d, err
}

// SinkDeadLetter is the consume loop's bus.DeadLetterSink: it keeps the
// message in Postgres even while the caller's context is ending.
func (s *Store) SinkDeadLetter(ctx context.Context, d work.DeadLetter) error {
	_, err := s.AddDeadLetter(context.WithoutCancel(ctx), DeadLetter{Consumer: d.Consumer, Subject: d.Subject,
		Payload: string(d.Payload), MsgID: d.MsgID, Deliveries: d.Deliveries, LastError: d.Err.Error()})
	return err
}
