package notifications

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/metrics"
	"github.com/sanshen-gov/sanshen/internal/notify"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// Dispatcher sends the notifications' outbox (notification_deliveries).
// Any number of dispatchers may run: a claim is a committed row taken with
// SKIP LOCKED.
//
// Exactly once where the receiver deduplicates: a mail's Message-ID comes
// from the notification's id (a digest's from its person and day), so a
// mail sent again after a crash between the send and its record is the
// same mail. At most once where it cannot: a robot post is claimed in a
// committed row before it is posted; an ambiguous answer (sent, no reply),
// or a claim found expired (the dispatcher died mid-way), is recorded
// unknown and never posted again, and the agency's admins see it.
type Dispatcher struct {
	Store *store.Store
	// Mailer sends mail; nil: SMTP is not configured, and a mail delivery
	// fails for good saying so.
	Mailer *notify.Mailer
	// Sealer opens the agency robots' sealed URLs and secrets.
	Sealer  store.Sealer
	HTTP    *http.Client     // the robots' client (nil: notify's default, 10 s)
	Now     func() time.Time // nil: time.Now
	Poll    time.Duration    // how often to look for due deliveries (0: a second)
	Lease   time.Duration    // how long a claim lasts (0: DefaultLease)
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// BeforeSend and AfterSend, when set, run around each send (tests
	// kill the dispatcher there).
	BeforeSend, AfterSend func(d store.Delivery)
}

// DefaultLease bounds a send; a claim older than this is another
// dispatcher's to recover.
const DefaultLease = 2 * time.Minute

// MaxAttempts is how many times a retryable failure is tried before the
// delivery fails for good.
const MaxAttempts = 10

// Backoff is the wait after the attempt-th failed attempt: 30 s doubling,
// at most an hour.
func Backoff(attempt int) time.Duration {
	if attempt > 8 {
		return time.Hour
	}
	return min(30*time.Second<<max(attempt-1, 0), time.Hour)
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// Run sends due deliveries until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	poll := d.Poll
	if poll <= 0 {
		poll = time.Second
	}
	for {
		for ctx.Err() == nil {
			n, err := d.Round(ctx)
			if err != nil {
				if ctx.Err() == nil {
					d.Log.Warn("notification round failed", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(poll):
		}
	}
}

// Round claims and sends one due delivery; it returns how many it claimed.
// One at a time, so that a claim's lease covers its one send: a claim left
// waiting behind slow sends would run out, and its robot post be counted
// unknown.
func (d *Dispatcher) Round(ctx context.Context) (int, error) {
	lease := d.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	claims, unknown, err := d.Store.ClaimDeliveries(ctx, d.now(), lease, 1)
	if err != nil {
		return 0, err
	}
	for _, ch := range unknown {
		d.Log.Warn("a robot post was interrupted before its outcome was recorded: left unknown, not resent", "channel", ch)
		d.count(ch, "unknown", 1)
	}
	for _, c := range claims {
		if ctx.Err() != nil {
			return len(claims), nil // the claims run out and are recovered
		}
		sctx, cancel := context.WithTimeout(ctx, lease)
		if d.BeforeSend != nil {
			d.BeforeSend(c)
		}
		if sctx.Err() != nil {
			cancel()
			return len(claims), nil
		}
		err := d.send(sctx, c)
		cancel()
		if d.AfterSend != nil {
			d.AfterSend(c)
		}
		if ctx.Err() != nil {
			return len(claims), nil // stopped mid-way: recorded by the recovery
		}
		if err := d.record(ctx, c, err); err != nil {
			return len(claims), err
		}
	}
	return len(claims), nil
}

// record stores a send's outcome.
func (d *Dispatcher) record(ctx context.Context, c store.Delivery, err error) error {
	now := d.now()
	log := d.Log.With("delivery", c.ID, "channel", c.Channel, "attempt", c.Attempts)
	if err == nil {
		d.count(c.Channel, "sent", 1)
		return d.Store.FinishDelivery(ctx, c, store.DeliverySent, "", now, now)
	}
	var ne *notify.Error
	if !errors.As(err, &ne) {
		ne = &notify.Error{Channel: c.Channel, Message: err.Error(), MessageZH: "发送通知时出错，稍后重试"}
	}
	why := ne.MessageZH + " / " + ne.Message
	switch {
	case ne.Ambiguous && c.Channel != store.DeliverMail:
		log.Warn("robot post's outcome unknown: not resent", "err", err)
		d.count(c.Channel, "unknown", 1)
		return d.Store.FinishDelivery(ctx, c, store.DeliveryUnknown, why, now, now)
	case ne.Permanent || c.Attempts >= MaxAttempts:
		log.Error("notification delivery failed", "err", err)
		d.count(c.Channel, "failed", 1)
		return d.Store.FinishDelivery(ctx, c, store.DeliveryFailed, why, now, now)
	default: // retryable; a mail after an ambiguous end of DATA too: its Message-ID makes a resend the same mail
		log.Info("notification delivery failed; retrying", "err", err)
		d.count(c.Channel, "retry", 1)
		return d.Store.FinishDelivery(ctx, c, store.DeliveryPending, why, now, now.Add(Backoff(c.Attempts)))
	}
}

func (d *Dispatcher) count(channel, outcome string, n int) {
	if d.Metrics != nil {
		d.Metrics.NotificationDeliveries.WithLabelValues(channel, outcome).Add(float64(n))
	}
}

// send makes one attempt at a delivery.
func (d *Dispatcher) send(ctx context.Context, c store.Delivery) error {
	switch c.Channel {
	case store.DeliverMail:
		return d.sendMail(ctx, c)
	case store.DeliverWeCom, store.DeliverDingTalk:
		n, err := d.Store.NotificationForDelivery(ctx, c.NotificationID)
		if err != nil {
			return err
		}
		r, err := d.Store.AgencyRobot(ctx, c.AgencyID, c.Channel)
		if errors.Is(err, store.ErrNotFound) {
			return &notify.Error{Channel: c.Channel, Permanent: true, Message: "the agency's robot was removed", MessageZH: "本机关已删除该机器人配置"}
		}
		if err != nil {
			return err
		}
		url, secret, err := store.OpenRobot(d.Sealer, r)
		if err != nil {
			return &notify.Error{Channel: c.Channel, Permanent: true, Message: err.Error(), MessageZH: "机器人配置无法解密（安装密钥SANSHEN_TOTP_KEY已更换？），请管理员重新配置"}
		}
		// 【三审】 names the sender in the group, and is the keyword a
		// DingTalk robot secured by keywords can be given.
		m := notify.Message{ID: "sanshen-notification-" + strconv.FormatInt(n.ID, 10), Subject: "【三审】" + n.Subject, Text: n.Text, Link: n.Link, At: n.CreatedAt}
		if c.Channel == store.DeliverWeCom {
			return (&notify.WeCom{URL: url, Client: d.HTTP}).Send(ctx, m)
		}
		return (&notify.DingTalk{URL: url, Secret: secret, Client: d.HTTP}).Send(ctx, m)
	}
	return &notify.Error{Channel: c.Channel, Permanent: true, Message: "unknown delivery channel", MessageZH: "未知的通知渠道"}
}

func (d *Dispatcher) sendMail(ctx context.Context, c store.Delivery) error {
	if d.Mailer == nil {
		return &notify.Error{Channel: notify.ChannelMail, Permanent: true, Message: "SMTP is not configured (SANSHEN_SMTP_HOST)",
			MessageZH: "本系统未配置邮件服务器（SANSHEN_SMTP_HOST），无法发送邮件"}
	}
	var to string
	var m notify.Message
	if c.NotificationID != 0 {
		n, err := d.Store.NotificationForDelivery(ctx, c.NotificationID)
		if err != nil {
			return err
		}
		to = n.Email
		m = notify.Message{ID: "sanshen-notification-" + strconv.FormatInt(n.ID, 10), Subject: "【三审】" + n.Subject, Text: n.Text, Link: n.Link, At: n.CreatedAt}
	} else {
		email, ns, err := d.Store.DigestNotifications(ctx, c.UserID, c.DigestDay)
		if err != nil {
			return err
		}
		to = email
		m = Digest(c.UserID, c.DigestDay, ns)
	}
	if to == "" {
		return &notify.Error{Channel: notify.ChannelMail, Permanent: true, Message: "the person has no e-mail address", MessageZH: "收件人未填写邮箱地址"}
	}
	return d.Mailer.Send(ctx, []string{to}, m)
}

// Digest is the mail that gathers a person's notifications of a day. Its
// ID is the person's and the day's, so it is the same mail however often
// it is sent.
func Digest(userID int64, day time.Time, ns []store.DeliveryNotification) notify.Message {
	date := day.Format(domain.DateLayout)
	var b strings.Builder
	fmt.Fprintf(&b, "%s 共有%d条通知：\n", date, len(ns))
	for i, n := range ns {
		fmt.Fprintf(&b, "\n%d. %s（%s）\n%s\n", i+1, n.Subject, n.CreatedAt.In(domain.Beijing).Format("15:04"), n.Text)
		if n.Link != "" {
			b.WriteString(n.Link + "\n")
		}
	}
	b.WriteString("\nDaily digest of your sanshen notifications.")
	return notify.Message{ID: fmt.Sprintf("sanshen-digest-%d-%s", userID, date), Subject: fmt.Sprintf("【三审】%s 每日通知汇总（%d条）", date, len(ns)),
		Text: b.String(), At: store.DigestDue(day)}
}
