package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/notify"
)

// NotificationKind is what a notification is about. People choose per kind
// where it reaches them; the pages name each by its locale key
// notify.kind.<code>.
type NotificationKind string

// The kinds, in the order the preferences page lists them.
const (
	KindReturned        NotificationKind = "returned"         // a draft of theirs was returned (by a reviewer or stage 1's checks)
	KindRejected        NotificationKind = "rejected"         // a draft of theirs was rejected (不予公开)
	KindQueueWaiting    NotificationKind = "queue_waiting"    // a draft waits in their queue longer than the office's limit
	KindDeadlineNear    NotificationKind = "deadline_near"    // an Article 26 or 双公示 deadline within 2 working days
	KindDeadlinePassed  NotificationKind = "deadline_passed"  // that deadline passed
	KindExpirySoon      NotificationKind = "expiry_soon"      // a published penalty decision comes down within 7 days
	KindReviewDue       NotificationKind = "review_due"       // a published item is due for periodic review (定期梳理)
	KindChannelProblem  NotificationKind = "channel_problem"  // a channel send failed, or its outcome is unknown, or the platform took an item down
	KindTokenExpiring   NotificationKind = "token_expiring"   // a channel's authorisation runs out soon
	KindDeadLetter      NotificationKind = "dead_letter"      // a message ended as a dead letter
	KindCalendarMissing NotificationKind = "calendar_missing" // the working-day calendar lacks a year it needs
	KindApplicationDue  NotificationKind = "application_due"  // an application's Article 33 deadline is near or passed
)

// NotificationKinds lists every kind: the one list the producers, the
// preferences and the pages follow.
var NotificationKinds = []NotificationKind{KindReturned, KindRejected, KindQueueWaiting, KindDeadlineNear, KindDeadlinePassed,
	KindExpirySoon, KindReviewDue, KindChannelProblem, KindTokenExpiring, KindDeadLetter, KindCalendarMissing, KindApplicationDue}

// Valid reports whether k is one of NotificationKinds.
func (k NotificationKind) Valid() bool {
	for _, x := range NotificationKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Notification delivery channels and states.
const (
	DeliverMail     = "mail"
	DeliverWeCom    = "wecom"
	DeliverDingTalk = "dingtalk"

	DeliveryPending = "pending"
	DeliverySending = "sending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
	DeliveryUnknown = "unknown"
)

// NewNotification is one notification to be written.
type NewNotification struct {
	AgencyID int64
	UserID   int64
	Kind     NotificationKind
	DraftID  int64 // 0: about no draft
	// Key names the event, the same for every recipient; a person gets
	// one notification per key.
	Key     string
	Subject string // Chinese
	Text    string // Chinese first
	Link    string // absolute URL of the page concerned, or ""
	At      time.Time
}

// Notify writes ns in tx with their deliveries, as each recipient's
// preferences ask: a mail (or the day's digest), and one post per event to
// each robot of the agency that a recipient chose. A notification whose
// person already has its key is skipped, deliveries and all. It returns how
// many were new. A disabled person is skipped.
func Notify(ctx context.Context, tx pgx.Tx, ns []NewNotification) (int, error) {
	added := 0
	for _, n := range ns {
		if !n.Kind.Valid() || n.Key == "" || n.UserID == 0 {
			return added, fmt.Errorf("error writing a notification: kind %q, key %q, user %d", n.Kind, n.Key, n.UserID)
		}
		var draft *int64
		if n.DraftID != 0 {
			draft = &n.DraftID
		}
		var id int64
		// A disabled account is told nothing.
		err := tx.QueryRow(ctx, `INSERT INTO notifications (agency_id, user_id, kind, draft_id, dedupe_key, subject, body, link, created_at)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND NOT disabled)
			ON CONFLICT (user_id, dedupe_key) DO NOTHING RETURNING id`,
			n.AgencyID, n.UserID, n.Kind, draft, n.Key, n.Subject, n.Text, n.Link, n.At).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return added, fmt.Errorf("error writing a notification: %w", err)
		}
		added++
		var email string
		var digest, byMail, byWeCom, byDingTalk, hasWeCom, hasDingTalk bool
		err = tx.QueryRow(ctx, `SELECT u.email, u.notify_digest, COALESCE(p.email, true), COALESCE(p.wecom, false), COALESCE(p.dingtalk, false),
				EXISTS (SELECT 1 FROM agency_robots r WHERE r.agency_id = $3 AND r.channel = 'wecom'),
				EXISTS (SELECT 1 FROM agency_robots r WHERE r.agency_id = $3 AND r.channel = 'dingtalk')
			FROM users u LEFT JOIN notification_prefs p ON p.user_id = u.id AND p.kind = $2 WHERE u.id = $1`, n.UserID, n.Kind, n.AgencyID).
			Scan(&email, &digest, &byMail, &byWeCom, &byDingTalk, &hasWeCom, &hasDingTalk)
		if err != nil {
			return added, fmt.Errorf("error reading a person's notification preferences: %w", err)
		}
		b := &pgx.Batch{}
		const ins = `INSERT INTO notification_deliveries (agency_id, channel, user_id, notification_id, digest_day, dedupe_key, next_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING`
		switch {
		case !byMail || email == "":
		case digest:
			day := DigestDay(n.At)
			b.Queue(ins, n.AgencyID, DeliverMail, n.UserID, nil, day, "digest:"+strconv.FormatInt(n.UserID, 10)+":"+day.Format(domain.DateLayout), DigestDue(day))
		default:
			b.Queue(ins, n.AgencyID, DeliverMail, n.UserID, id, nil, "mail:"+strconv.FormatInt(id, 10), n.At)
		}
		// A robot posts to a group: once per event, whoever of its
		// recipients asked for it.
		if byWeCom && hasWeCom {
			b.Queue(ins, n.AgencyID, DeliverWeCom, nil, id, nil, robotKey(DeliverWeCom, n.AgencyID, n.Key), n.At)
		}
		if byDingTalk && hasDingTalk {
			b.Queue(ins, n.AgencyID, DeliverDingTalk, nil, id, nil, robotKey(DeliverDingTalk, n.AgencyID, n.Key), n.At)
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return added, fmt.Errorf("error writing a notification's deliveries: %w", err)
			}
		}
	}
	return added, nil
}

func robotKey(channel string, agencyID int64, key string) string {
	return channel + ":" + strconv.FormatInt(agencyID, 10) + ":" + key
}

// DigestDay is the civil date (in Beijing) whose digest a notification at
// t joins, as midnight UTC like every civil date.
func DigestDay(t time.Time) time.Time {
	b := t.In(domain.Beijing)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
}

// DigestDue is when the digest of day goes out: five minutes after the
// day ends in Beijing, so that the events of its last seconds, read from the
// trail a moment later, are in it.
func DigestDue(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 5, 0, 0, domain.Beijing)
}

// NotifyRecipients lists the enabled people holding role: of agency
// agencyID (0: every agency), and when dept is not 0, of that department.
func NotifyRecipients(ctx context.Context, q pgx.Tx, agencyID int64, role domain.Role, dept int64) ([]int64, error) {
	rows, _ := q.Query(ctx, `SELECT id FROM users WHERE NOT disabled AND $1 = ANY (roles)
		AND ($2::bigint = 0 OR agency_id = $2) AND ($3::bigint = 0 OR $3 = ANY (departments)) ORDER BY id`, string(role), agencyID, dept)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("error listing the people to notify: %w", err)
	}
	return ids, nil
}

// Notification is one as its person sees it.
type Notification struct {
	ID        int64            `json:"id"`
	Kind      NotificationKind `json:"kind"`
	DraftID   *int64           `json:"draft_id,omitempty"`
	Subject   string           `json:"subject"`
	Text      string           `json:"text"`
	Link      string           `json:"link,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	ReadAt    *time.Time       `json:"read_at,omitempty"`
}

// Notifications lists a person's notifications: unread first, then newest
// first, at most limit.
func (s *Store) Notifications(ctx context.Context, userID int64, limit int) ([]Notification, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT id, kind, draft_id, subject, body, link, created_at, read_at FROM notifications
		WHERE user_id = $1 ORDER BY read_at IS NOT NULL, created_at DESC, id DESC LIMIT $2`, userID, limit)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Notification])
	if err != nil {
		return nil, fmt.Errorf("error listing notifications: %w", err)
	}
	return out, nil
}

// MarkNotificationsRead marks a person's notification read, or all of
// them when id is 0. Another person's id changes nothing.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID, id int64, at time.Time) error {
	if _, err := s.Pool.Exec(ctx, `UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND ($2 = 0 OR id = $2) AND read_at IS NULL`,
		userID, id, at); err != nil {
		return fmt.Errorf("error marking notifications read: %w", err)
	}
	return nil
}

// ToDo are the counts in a page's header: unread notifications, the
// person's returned drafts, and the drafts in each of their queues.
type ToDo struct {
	Unread   int
	Returned int
	Queues   map[domain.Stage]int
	// An agency admin's: notification deliveries that failed or whose
	// outcome is unknown, not yet acknowledged; dead letters about the
	// agency's drafts not yet replayed.
	DeliveryProblems, DeadLetters int
}

// ToDoCounts counts a's to-do list; queues are the stages whose queues a
// works from (domain.QueueStages). The queue counts follow Queue's rules.
func (s *Store) ToDoCounts(ctx context.Context, a domain.Actor, queues []domain.Stage) (ToDo, error) {
	t := ToDo{Queues: map[domain.Stage]int{}}
	admin := a.Has(domain.RoleAdmin)
	err := s.readTx(ctx, func(b *pgx.Batch) {
		b.Queue(`SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, a.ID)
		b.Queue(`SELECT count(*) FROM drafts WHERE author_id = $1 AND state = 'returned'`, a.ID)
		for _, st := range queues {
			spec, _ := domain.Spec(st)
			b.Queue(`SELECT count(*) FROM drafts d WHERE d.agency_id = $1 AND d.state = $2 AND d.awaits_person AND d.author_id <> $3
				AND ($4 OR d.department_id = ANY($5))
				AND NOT EXISTS (SELECT 1 FROM decisions x WHERE x.draft_id = d.id AND x.actor_id = $3 AND x.stage <> $2)`,
				a.AgencyID, string(st), a.ID, spec.Scope == domain.ScopeAgency, a.Departments)
		}
		if admin {
			b.Queue(`SELECT count(*) FROM notification_deliveries WHERE agency_id = $1 AND state IN ('failed', 'unknown') AND acknowledged_at IS NULL`, a.AgencyID)
			b.Queue(`SELECT count(*) FROM dead_letters WHERE agency_id = $1 AND replayed_at IS NULL`, a.AgencyID)
		}
	}, func(br pgx.BatchResults) error {
		if err := br.QueryRow().Scan(&t.Unread); err != nil {
			return err
		}
		if err := br.QueryRow().Scan(&t.Returned); err != nil {
			return err
		}
		for _, st := range queues {
			var n int
			if err := br.QueryRow().Scan(&n); err != nil {
				return err
			}
			t.Queues[st] = n
		}
		if admin {
			if err := br.QueryRow().Scan(&t.DeliveryProblems); err != nil {
				return err
			}
			return br.QueryRow().Scan(&t.DeadLetters)
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("error counting the to-do list: %w", err)
	}
	return t, nil
}

// NotificationPrefs are a person's choices: their address, the digest,
// and per kind which outside channels.
type NotificationPrefs struct {
	Email  string
	Digest bool
	Kinds  map[NotificationKind]KindPrefs
}

// KindPrefs is where one kind reaches a person besides the pages.
type KindPrefs struct {
	Email, WeCom, DingTalk bool
}

// DefaultKindPrefs is a kind's choice until the person makes one: mail on
// (when they have an address), the robots off (a group chat is the
// office's to choose into).
var DefaultKindPrefs = KindPrefs{Email: true}

// NotificationPrefs reads a person's choices, the defaults filled in.
func (s *Store) NotificationPrefs(ctx context.Context, userID int64) (NotificationPrefs, error) {
	p := NotificationPrefs{Kinds: map[NotificationKind]KindPrefs{}}
	for _, k := range NotificationKinds {
		p.Kinds[k] = DefaultKindPrefs
	}
	if err := s.Pool.QueryRow(ctx, `SELECT email, notify_digest FROM users WHERE id = $1`, userID).Scan(&p.Email, &p.Digest); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return p, ErrNotFound
		}
		return p, fmt.Errorf("error reading notification preferences: %w", err)
	}
	rows, _ := s.Pool.Query(ctx, `SELECT kind, email, wecom, dingtalk FROM notification_prefs WHERE user_id = $1`, userID)
	var k string
	var kp KindPrefs
	_, err := pgx.ForEachRow(rows, []any{&k, &kp.Email, &kp.WeCom, &kp.DingTalk}, func() error {
		if NotificationKind(k).Valid() {
			p.Kinds[NotificationKind(k)] = kp
		}
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("error reading notification preferences: %w", err)
	}
	return p, nil
}

// ErrBadEmail is an address that is not one plain mailbox.
var ErrBadEmail = errors.New("not an e-mail address")

// CheckEmail trims an address and checks it is one plain mailbox
// (name@domain, no display name); "" is allowed and means none.
func CheckEmail(raw string) (string, error) {
	e := strings.TrimSpace(raw)
	if e == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", ErrBadEmail
	}
	return e, nil
}

// SetNotificationPrefs stores a person's choices (the address checked by
// CheckEmail).
func (s *Store) SetNotificationPrefs(ctx context.Context, userID int64, p NotificationPrefs) error {
	email, err := CheckEmail(p.Email)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`UPDATE users SET email = $2, notify_digest = $3 WHERE id = $1`, userID, email, p.Digest)
		for _, k := range NotificationKinds {
			kp, ok := p.Kinds[k]
			if !ok {
				kp = DefaultKindPrefs
			}
			b.Queue(`INSERT INTO notification_prefs (user_id, kind, email, wecom, dingtalk) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (user_id, kind) DO UPDATE SET email = $3, wecom = $4, dingtalk = $5`, userID, k, kp.Email, kp.WeCom, kp.DingTalk)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("error saving notification preferences: %w", err)
		}
		return nil
	})
}

// AgencyRobot is an agency's group robot as stored: its URL and secret
// sealed, a redacted URL to show.
type AgencyRobot struct {
	AgencyID     int64
	Channel      string // DeliverWeCom or DeliverDingTalk
	URLSealed    []byte
	SecretSealed []byte // nil: no signing secret
	URLHint      string
	UpdatedAt    time.Time
}

// AgencyRobots lists an agency's robots.
func (s *Store) AgencyRobots(ctx context.Context, agencyID int64) (map[string]AgencyRobot, error) {
	rows, _ := s.Pool.Query(ctx, `SELECT agency_id, channel, url_sealed, secret_sealed, url_hint, updated_at FROM agency_robots WHERE agency_id = $1`, agencyID)
	rs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AgencyRobot])
	if err != nil {
		return nil, fmt.Errorf("error reading the agency's robots: %w", err)
	}
	out := map[string]AgencyRobot{}
	for _, r := range rs {
		out[r.Channel] = r
	}
	return out, nil
}

// SetAgencyRobot stores (or, with a nil urlSealed, removes) an agency's
// robot, by an admin of the agency, audited on the agency's chain without
// the URL or the secret.
func (s *Store) SetAgencyRobot(ctx context.Context, by domain.Actor, r AgencyRobot) error {
	if err := domain.CanManage(by, r.AgencyID); err != nil {
		return err
	}
	if r.Channel != DeliverWeCom && r.Channel != DeliverDingTalk {
		return fmt.Errorf("no robot channel %q", r.Channel)
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		if r.URLSealed == nil {
			_, err = tx.Exec(ctx, `DELETE FROM agency_robots WHERE agency_id = $1 AND channel = $2`, r.AgencyID, r.Channel)
		} else {
			_, err = tx.Exec(ctx, `INSERT INTO agency_robots (agency_id, channel, url_sealed, secret_sealed, url_hint, updated_by, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, now()) ON CONFLICT (agency_id, channel) DO UPDATE
				SET url_sealed = $3, secret_sealed = $4, url_hint = $5, updated_by = $6, updated_at = now()`,
				r.AgencyID, r.Channel, r.URLSealed, r.SecretSealed, r.URLHint, nullID(by.ID))
		}
		if err != nil {
			return fmt.Errorf("error saving the agency's robot: %w", err)
		}
		comment := "removed"
		if r.URLSealed != nil {
			comment = r.URLHint
			if r.SecretSealed != nil {
				comment += " (signed)"
			}
		}
		return appendEvent(ctx, tx, agencyEvent(r.AgencyID, by, "notify_robot_set", r.Channel+" "+comment))
	})
}

// SetQueueLimit sets how many working days a draft may wait in a queue
// before its reviewers are reminded, audited.
func (s *Store) SetQueueLimit(ctx context.Context, by domain.Actor, agencyID int64, days int) error {
	if err := domain.CanManage(by, agencyID); err != nil {
		return err
	}
	if days < 1 || days > 60 {
		return fmt.Errorf("a queue limit is 1 to 60 working days, not %d", days)
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agencies SET notify_queue_days = $2 WHERE id = $1`, agencyID, days); err != nil {
			return fmt.Errorf("error setting the queue limit: %w", err)
		}
		return appendEvent(ctx, tx, agencyEvent(agencyID, by, "notify_queue_limit_set", "days="+strconv.Itoa(days)))
	})
}

// QueueLimit is an agency's queue limit in working days.
func (s *Store) QueueLimit(ctx context.Context, agencyID int64) (int, error) {
	var n int
	if err := s.Pool.QueryRow(ctx, `SELECT notify_queue_days FROM agencies WHERE id = $1`, agencyID).Scan(&n); err != nil {
		return 0, fmt.Errorf("error reading the queue limit: %w", err)
	}
	return n, nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Sealer seals the robots' credentials at rest (a *totp.Sealer, under the
// installation's key).
type Sealer interface {
	Seal(secret []byte, id int64) ([]byte, error)
	Open(sealed []byte, id int64) ([]byte, error)
}

// robotSealID binds a sealed robot credential to its agency and channel
// (the Sealer binds each sealed value to an id; negative ids are no
// person's).
func robotSealID(agencyID int64, channel string, secret bool) int64 {
	id := agencyID * 4
	if channel == DeliverDingTalk {
		id += 2
	}
	if secret {
		id++
	}
	return -1_000_000 - id
}

// SealRobot seals a robot's URL and, when given, its signing secret, and
// returns the row to store with a redacted URL to show.
func SealRobot(s Sealer, agencyID int64, channel, url, secret string) (AgencyRobot, error) {
	r := AgencyRobot{AgencyID: agencyID, Channel: channel, URLHint: notify.RedactURL(url)}
	var err error
	if r.URLSealed, err = s.Seal([]byte(url), robotSealID(agencyID, channel, false)); err != nil {
		return r, err
	}
	if secret != "" {
		if r.SecretSealed, err = s.Seal([]byte(secret), robotSealID(agencyID, channel, true)); err != nil {
			return r, err
		}
	}
	return r, nil
}

// OpenRobot opens a stored robot's URL and secret.
func OpenRobot(s Sealer, r AgencyRobot) (url, secret string, err error) {
	if s == nil {
		return "", "", errors.New("no sealer to open the robot's URL")
	}
	u, err := s.Open(r.URLSealed, robotSealID(r.AgencyID, r.Channel, false))
	if err != nil {
		return "", "", err
	}
	if r.SecretSealed != nil {
		sec, err := s.Open(r.SecretSealed, robotSealID(r.AgencyID, r.Channel, true))
		if err != nil {
			return "", "", err
		}
		secret = string(sec)
	}
	return string(u), secret, nil
}
