package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/notify/fakerobot"
	"github.com/sanshen-gov/sanshen/internal/notify/smtpsink"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/totp"
)

// The notifications under fault: the head returns every returnEvery-th
// draft (by id) at its first revision, the officer revises it, and the
// return notifies the officer by mail and the agency's WeCom group robot.
// The two relays' dispatchers race for the deliveries while the suite
// kills them. At the end every return has exactly one notification, every
// mail marked sent arrived (a resend after a dispatcher died mid-send is
// the same mail: the same Message-ID), and no robot post arrived twice.
const returnEvery = 20

// notifyLease is the relays' SANSHEN_NOTIFY_LEASE: how long a send a
// killed dispatcher left behind waits before the other takes it over.
const notifyLease = 15 * time.Second

const robotKey = "chaos-wecom-key"

// notifySinks are the mail server and the group robot the relays send to.
type notifySinks struct {
	mail   *smtpsink.Sink
	robots *fakerobot.Server
	http   *http.Server
	url    string // the WeCom robot's webhook URL
}

func startNotifySinks() (*notifySinks, error) {
	n := &notifySinks{robots: fakerobot.New(fakerobot.Options{WeComKey: robotKey})}
	var err error
	if n.mail, err = smtpsink.Start(); err != nil {
		return nil, fmt.Errorf("error starting the SMTP server: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		n.mail.Close()
		return nil, err
	}
	n.http = &http.Server{Handler: n.robots.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = n.http.Serve(l) }()
	n.url = "http://" + l.Addr().String() + "/cgi-bin/webhook/send?key=" + robotKey
	return n, nil
}

// env is what every process is given to reach the sinks.
func (n *notifySinks) env() []string {
	host, port, _ := net.SplitHostPort(n.mail.Addr)
	return []string{"SANSHEN_SMTP_HOST=" + host, "SANSHEN_SMTP_PORT=" + port, "SANSHEN_SMTP_FROM=三审系统 <sanshen@chaos.test>",
		"SANSHEN_SMTP_TLS=none", "SANSHEN_NOTIFY_LEASE=" + notifyLease.String()}
}

func (n *notifySinks) close() {
	n.robots.Close()
	_ = n.http.Close()
	n.mail.Close()
}

// wire sets the agency's WeCom robot (sealed with the installation's key,
// as the admin's page does) and has the officer told of returns by mail
// and by the robot.
func (n *notifySinks) wire(ctx context.Context, st *store.Store, admin domain.Actor, totpKey []byte, officer int64) error {
	sealer, err := totp.NewSealer(totpKey)
	if err != nil {
		return err
	}
	sealed, err := store.SealRobot(sealer, admin.AgencyID, store.DeliverWeCom, n.url, "")
	if err != nil {
		return err
	}
	if err := st.SetAgencyRobot(ctx, admin, sealed); err != nil {
		return fmt.Errorf("error setting the agency's robot: %w", err)
	}
	p := store.NotificationPrefs{Email: "wang@chaos.test", Kinds: map[store.NotificationKind]store.KindPrefs{}}
	for _, k := range store.NotificationKinds {
		p.Kinds[k] = store.KindPrefs{}
	}
	p.Kinds[store.KindReturned] = store.KindPrefs{Email: true, WeCom: true}
	if err := st.SetNotificationPrefs(ctx, officer, p); err != nil {
		return fmt.Errorf("error setting the officer's notifications: %w", err)
	}
	return nil
}

// notifyCounts is what the notification check found.
type notifyCounts struct {
	returns, notifications                int64
	mailSent, mailArrived, mailResent     int
	postsSent, postsUnknown, postsArrived int
	unknownArrived                        int
	pending                               int64
}

// settle waits until no delivery is pending or being sent (a send a killed
// dispatcher left behind is taken over after the lease), at most limit.
func (s *suite) settleNotifications(ctx context.Context, limit time.Duration) int64 {
	deadline := time.Now().Add(limit)
	var open int64
	for {
		err := s.db.QueryRow(ctx, `SELECT count(*) FROM notification_deliveries WHERE state IN ('pending', 'sending')`).Scan(&open)
		if err == nil && open == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return open
		}
		time.Sleep(time.Second)
	}
}

// checkNotifications holds the notifications to the invariants.
func (s *suite) checkNotifications(c *checker, returnsAnswered int) notifyCounts {
	var nc notifyCounts
	// The trail's reader may be a poll behind the last return.
	deadline := time.Now().Add(30 * time.Second)
	for {
		nc.returns = c.count(`SELECT count(*) FROM decisions WHERE decision = 'return'`)
		nc.notifications = c.count(`SELECT count(*) FROM notifications WHERE kind = 'returned'`)
		if nc.notifications >= nc.returns || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	nc.pending = s.settleNotifications(c.ctx, notifyLease+45*time.Second)
	s.shares.scrape(c.ctx)
	if nc.returns < int64(returnsAnswered) && s.o.sync {
		c.failf("%d returns answered 200, %d in the database", returnsAnswered, nc.returns)
	}
	if nc.notifications != nc.returns {
		c.failf("%d returns made %d return notifications; want one each", nc.returns, nc.notifications)
	}
	if n := c.count(`SELECT count(*) FROM (SELECT draft_id FROM notifications WHERE kind = 'returned' GROUP BY draft_id HAVING count(*) > 1) x`); n > 0 {
		c.failf("%d drafts' returns were notified more than once", n)
	}
	if nc.pending > 0 {
		c.failf("%d notification deliveries still pending or being sent %s after the last draft was published", nc.pending, notifyLease+45*time.Second)
	}
	mails := map[string]int{}
	for _, m := range s.notify.mail.Mails() {
		mails[strings.Trim(m.MessageID, "<>")]++
	}
	posts := s.notify.robots.Received()
	rows, err := s.db.Query(c.ctx, `SELECT n.id, n.subject, d.channel, d.state FROM notifications n
		JOIN notification_deliveries d ON d.notification_id = n.id WHERE n.kind = 'returned'`)
	if err != nil {
		c.failf("reading the deliveries: %v", err)
		return nc
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var subject, channel, state string
		if err := rows.Scan(&id, &subject, &channel, &state); err != nil {
			c.failf("reading the deliveries: %v", err)
			return nc
		}
		switch channel {
		case store.DeliverMail:
			got := 0
			for mid, k := range mails {
				if strings.HasPrefix(mid, "sanshen-notification-"+strconv.FormatInt(id, 10)+".") {
					got += k
				}
			}
			if state == store.DeliverySent {
				nc.mailSent++
				if got == 0 {
					c.failf("notification %d's mail is marked sent but never arrived", id)
				}
			}
			if got > 0 {
				nc.mailArrived++
				nc.mailResent += got - 1
			}
		case store.DeliverWeCom:
			got := 0
			for _, p := range posts {
				if strings.Contains(p.Content, subject) {
					got++
				}
			}
			nc.postsArrived += got
			switch {
			case got > 1:
				c.failf("notification %d was posted to the group %d times", id, got)
			case state == store.DeliverySent && got == 0:
				c.failf("notification %d's robot post is marked sent but never arrived", id)
			case state == store.DeliveryFailed && got > 0:
				c.failf("notification %d's robot post is marked failed but arrived", id)
			}
			switch state {
			case store.DeliverySent:
				nc.postsSent++
			case store.DeliveryUnknown:
				nc.postsUnknown++
				nc.unknownArrived += got
			}
		}
	}
	if err := rows.Err(); err != nil {
		c.failf("reading the deliveries: %v", err)
	}
	if len(posts) != nc.postsArrived {
		c.failf("the group robot received %d posts, %d of them for the returns", len(posts), nc.postsArrived)
	}
	return nc
}

func (nc notifyCounts) report(s *suite) {
	fmt.Fprintf(s.out, "\nnotifications: %d returns, %d return notifications to the officer (one each)\n", nc.returns, nc.notifications)
	fmt.Fprintf(s.out, "  mail: %d sent, %d arrived; %d sent again with the same Message-ID after a dispatcher died mid-send\n",
		nc.mailSent, nc.mailArrived, nc.mailResent)
	fmt.Fprintf(s.out, "  WeCom group robot: %d posts sent, %d unknown after a dispatcher died mid-post (%d of them arrived, never reposted); %d posts arrived, none twice\n",
		nc.postsSent, nc.postsUnknown, nc.unknownArrived, nc.postsArrived)
}
