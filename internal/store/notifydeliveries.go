package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
)

// Delivery is one row of the notifications' outbox, as the dispatcher
// claims it.
type Delivery struct {
	ID             int64
	AgencyID       int64
	Channel        string // DeliverMail, DeliverWeCom, DeliverDingTalk
	UserID         int64  // mail: its person
	NotificationID int64  // 0 for a digest
	DigestDay      time.Time
	Attempts       int // this claim's attempt, from 1
}

// UnknownAfterCrash is the reason a robot post claimed by a dispatcher that
// never recorded its outcome is left unknown.
const UnknownAfterCrash = "发送过程中断（进程退出或超时），机器人可能已收到消息；为避免重复，不再自动重发 / the send was interrupted; not resent"

// ClaimDeliveries claims up to limit deliveries due at now for lease, in a
// transaction of its own that commits before anything is sent (SKIP
// LOCKED: any number of dispatchers). A mail whose earlier claim ran out is
// claimed again (a resend is the same mail: its Message-ID is stable); a
// robot post whose claim ran out is marked unknown instead, and never
// posted again. It returns the claims and the channels of the posts that
// became unknown.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, []string, error) {
	var out []Delivery
	var unknown []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `UPDATE notification_deliveries SET state = 'unknown', claimed_until = NULL, done_at = $1, error = $2
			WHERE id IN (SELECT id FROM notification_deliveries WHERE state = 'sending' AND claimed_until <= $1 AND channel <> 'mail'
				FOR UPDATE SKIP LOCKED) RETURNING channel`, now, UnknownAfterCrash)
		var err error
		if unknown, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("error marking interrupted robot posts unknown: %w", err)
		}
		rows, _ = tx.Query(ctx, `UPDATE notification_deliveries d SET state = 'sending', attempts = d.attempts + 1, claimed_until = $2
			FROM (SELECT id FROM notification_deliveries
				WHERE state = 'pending' AND next_at <= $1 OR state = 'sending' AND claimed_until <= $1 AND channel = 'mail'
				ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) c
			WHERE d.id = c.id
			RETURNING d.id, d.agency_id, d.channel, COALESCE(d.user_id, 0), COALESCE(d.notification_id, 0), COALESCE(d.digest_day, '0001-01-01'::date), d.attempts`,
			now, now.Add(lease), limit)
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Delivery])
		if err != nil {
			return fmt.Errorf("error claiming notification deliveries: %w", err)
		}
		return nil
	})
	return out, unknown, err
}

// FinishDelivery records a claimed delivery's outcome: sent, failed or
// unknown (with why, Chinese first), or pending again at retryAt. A claim
// that is no longer this attempt's changes nothing.
func (s *Store) FinishDelivery(ctx context.Context, d Delivery, state, why string, at, retryAt time.Time) error {
	_, err := s.Pool.Exec(ctx, `UPDATE notification_deliveries SET state = $3, error = $4, claimed_until = NULL,
			done_at = CASE WHEN $3 = 'pending' THEN NULL ELSE $5::timestamptz END, next_at = CASE WHEN $3 = 'pending' THEN $6 ELSE next_at END
		WHERE id = $1 AND attempts = $2 AND state = 'sending'`, d.ID, d.Attempts, state, why, at, retryAt)
	if err != nil {
		return fmt.Errorf("error recording a notification delivery: %w", err)
	}
	return nil
}

// DeliveryNotification is a notification's text and its person's address,
// for a mail or a robot post.
type DeliveryNotification struct {
	ID        int64
	UserID    int64
	Email     string
	Subject   string
	Text      string
	Link      string
	CreatedAt time.Time
}

// NotificationForDelivery reads a notification with its person's address.
func (s *Store) NotificationForDelivery(ctx context.Context, id int64) (DeliveryNotification, error) {
	var n DeliveryNotification
	err := s.Pool.QueryRow(ctx, `SELECT n.id, n.user_id, u.email, n.subject, n.body, n.link, n.created_at
		FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1`, id).
		Scan(&n.ID, &n.UserID, &n.Email, &n.Subject, &n.Text, &n.Link, &n.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, fmt.Errorf("error reading a notification to deliver: %w", err)
	}
	return n, nil
}

// DigestNotifications reads a person's address and their notifications of
// a day (in Beijing), oldest first: what their digest gathers.
func (s *Store) DigestNotifications(ctx context.Context, userID int64, day time.Time) (string, []DeliveryNotification, error) {
	var email string
	if err := s.Pool.QueryRow(ctx, `SELECT email FROM users WHERE id = $1`, userID).Scan(&email); err != nil {
		return "", nil, fmt.Errorf("error reading a digest's address: %w", err)
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, domain.Beijing)
	rows, _ := s.Pool.Query(ctx, `SELECT n.id, n.user_id, '', n.subject, n.body, n.link, n.created_at FROM notifications n
		WHERE n.user_id = $1 AND n.created_at >= $2 AND n.created_at < $3 ORDER BY n.created_at, n.id`, userID, from, from.AddDate(0, 0, 1))
	ns, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DeliveryNotification])
	if err != nil {
		return "", nil, fmt.Errorf("error reading a digest's notifications: %w", err)
	}
	return email, ns, nil
}

// AgencyRobot reads one robot of an agency; ErrNotFound when it has none.
func (s *Store) AgencyRobot(ctx context.Context, agencyID int64, channel string) (AgencyRobot, error) {
	rs, err := s.AgencyRobots(ctx, agencyID)
	if err != nil {
		return AgencyRobot{}, err
	}
	r, ok := rs[channel]
	if !ok {
		return r, ErrNotFound
	}
	return r, nil
}

// DeliveryProblem is a delivery that failed for good or whose outcome is
// unknown, for the agency's admins.
type DeliveryProblem struct {
	ID        int64
	Channel   string
	State     string
	Error     string
	Person    string // mail: whose
	Subject   string // the notification's, or the digest's day
	DigestDay *time.Time
	Attempts  int
	CreatedAt time.Time
	DoneAt    *time.Time
}

// DeliveryProblems lists an agency's failed and unknown deliveries that no
// admin has acknowledged yet, newest first.
func (s *Store) DeliveryProblems(ctx context.Context, agencyID int64, limit int) ([]DeliveryProblem, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT d.id, d.channel, d.state, d.error, COALESCE(u.name, ''), COALESCE(n.subject, ''), d.digest_day,
			d.attempts, d.created_at, d.done_at
		FROM notification_deliveries d LEFT JOIN users u ON u.id = d.user_id LEFT JOIN notifications n ON n.id = d.notification_id
		WHERE d.agency_id = $1 AND d.state IN ('failed', 'unknown') AND d.acknowledged_at IS NULL
		ORDER BY d.created_at DESC, d.id DESC LIMIT $2`, agencyID, limit)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DeliveryProblem])
	if err != nil {
		return nil, fmt.Errorf("error listing notification delivery problems: %w", err)
	}
	return out, nil
}

// AcknowledgeDelivery records that an admin of the delivery's agency has
// seen a failed or unknown delivery; it leaves their list. ErrNotFound when
// there is no such open problem in their agency.
func (s *Store) AcknowledgeDelivery(ctx context.Context, by domain.Actor, id int64) error {
	if err := domain.CanManage(by, by.AgencyID); err != nil {
		return err
	}
	ct, err := s.Pool.Exec(ctx, `UPDATE notification_deliveries SET acknowledged_at = now(), acknowledged_by = $3
		WHERE id = $1 AND agency_id = $2 AND state IN ('failed', 'unknown') AND acknowledged_at IS NULL`, id, by.AgencyID, by.ID)
	if err != nil {
		return fmt.Errorf("error acknowledging a notification delivery: %w", err)
	}
	if ct.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// StartNotifications places the notifications' cursor after the log's last
// leaf, the first time: an installation notifies what happens from then
// on, not its history.
func (s *Store) StartNotifications(ctx context.Context) error {
	if _, err := s.Pool.Exec(ctx, `INSERT INTO notification_cursor (id, next_idx) SELECT 1, COALESCE(max(idx) + 1, 0) FROM audit_leaves
		ON CONFLICT (id) DO NOTHING`); err != nil {
		return fmt.Errorf("error starting the notifications' cursor: %w", err)
	}
	return nil
}

// NotificationRound hands fn up to limit events of the trail from the
// notifications' cursor, in the log's order, with the transaction that
// moves the cursor past them: the notifications fn writes in it commit
// with the move, so each event is turned into notifications exactly once.
// held is false, and nothing done, when another replica holds the cursor.
func (s *Store) NotificationRound(ctx context.Context, limit int, fn func(tx pgx.Tx, evs []WebhookEvent) error) (held bool, n int, err error) {
	err = s.tx(ctx, func(tx pgx.Tx) error {
		held, n = false, 0
		var next int64
		err := tx.QueryRow(ctx, `SELECT next_idx FROM notification_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`).Scan(&next)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("error reading the notifications' cursor: %w", err)
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
		if err := fn(tx, evs); err != nil {
			return err
		}
		n = len(evs)
		if _, err := tx.Exec(ctx, `UPDATE notification_cursor SET next_idx = $1 WHERE id = 1`, evs[len(evs)-1].Leaf+1); err != nil {
			return fmt.Errorf("error moving the notifications' cursor: %w", err)
		}
		return nil
	})
	return held, n, err
}

// DraftBrief is what a notification says of a draft.
type DraftBrief struct {
	ID             int64
	AgencyID       int64
	AuthorID       int64
	DepartmentID   int64
	State          domain.State
	Revision       int
	AwaitsPerson   bool
	StateEnteredAt time.Time
	Deadline       time.Time
	Title          string
	Category       string
}

const briefSelect = `SELECT d.id, d.agency_id, d.author_id, d.department_id, d.state, d.revision, d.awaits_person, d.state_entered_at, d.deadline,
	r.title, r.category FROM drafts d JOIN revisions r ON r.draft_id = d.id AND r.revision = d.revision`

// BriefOf reads a draft's brief in tx.
func BriefOf(ctx context.Context, tx pgx.Tx, id int64) (DraftBrief, error) {
	rows, _ := tx.Query(ctx, briefSelect+` WHERE d.id = $1`, id)
	b, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[DraftBrief])
	if errors.Is(err, pgx.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("error reading draft %d: %w", id, err)
	}
	return b, nil
}

// OpenDrafts lists the drafts still on their way to publication (in a
// review stage or returned), for the periodic scan of queues and deadlines.
func (s *Store) OpenDrafts(ctx context.Context) ([]DraftBrief, error) {
	states := []string{string(domain.StateReturned)}
	for _, st := range domain.Stages() {
		states = append(states, string(st.State()))
	}
	rows, _ := s.Pool.Query(ctx, briefSelect+` WHERE d.state = ANY($1) ORDER BY d.id`, states)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DraftBrief])
	if err != nil {
		return nil, fmt.Errorf("error listing open drafts: %w", err)
	}
	return out, nil
}

// OpenDeadLetter is a dead letter not yet replayed, with its agency (0:
// the platform's).
type OpenDeadLetter struct {
	ID        int64
	AgencyID  int64
	Consumer  string
	LastError string
	CreatedAt time.Time
}

// OpenDeadLetters lists the dead letters not replayed since since.
func (s *Store) OpenDeadLetters(ctx context.Context, since time.Time) ([]OpenDeadLetter, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, COALESCE(agency_id, 0), consumer, last_error, created_at FROM dead_letters
		WHERE replayed_at IS NULL AND created_at >= $1 ORDER BY id`, since)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[OpenDeadLetter])
	if err != nil {
		return nil, fmt.Errorf("error listing open dead letters: %w", err)
	}
	return out, nil
}

// QueueLimits are every agency's queue limit in working days.
func (s *Store) QueueLimits(ctx context.Context) (map[int64]int, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, notify_queue_days FROM agencies`)
	out := map[int64]int{}
	var id int64
	var n int
	_, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("error reading the queue limits: %w", err)
	}
	return out, nil
}
