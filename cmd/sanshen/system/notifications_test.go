package system_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/notify"
	"github.com/sanshen-gov/sanshen/internal/notify/fakerobot"
	"github.com/sanshen-gov/sanshen/internal/notify/smtpsink"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/notifications"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

func startSMTP(t *testing.T) *smtpsink.Sink {
	t.Helper()
	sink, err := smtpsink.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sink.Close)
	return sink
}

// movingClock runs with the real one, moved ahead by the test: the
// notifications are dated by the trail's events, in real time.
type movingClock struct {
	mu    sync.Mutex
	ahead time.Duration
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.ahead)
}
func (c *movingClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.ahead += d }

// notifyFixture is a sanshen with SMTP, the fake robots as the default
// agency's WeCom and DingTalk (signed) robots, and a controlled clock.
type notifyFixture struct {
	*harness
	sink   *smtpsink.Sink
	robots *fakerobot.Server
	clk    *movingClock
	mutate func(*config.Config, *system.Options)
	// beforeSend runs before each send when set (the fault tests).
	beforeSend, afterSend atomic.Pointer[func(store.Delivery)]
}

const (
	robotSecret = "SECnotifications-test-secret"
	testTOTPKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes, the same across restarts
)

func startNotify(t *testing.T) *notifyFixture {
	t.Helper()
	f := &notifyFixture{sink: startSMTP(t), clk: &movingClock{},
		robots: fakerobot.New(fakerobot.Options{WeComKey: "wecom-key", DingTalkToken: "ding-token", DingTalkSecret: robotSecret})}
	rs := httptest.NewServer(f.robots.Handler())
	t.Cleanup(func() { f.robots.Close(); rs.Close() })
	host, port, _ := net.SplitHostPort(f.sink.Addr)
	f.mutate = func(c *config.Config, o *system.Options) {
		c.SMTPHost, c.SMTPPort, c.SMTPFrom, c.SMTPTLS = host, port, "三审系统 <sanshen@example.gov.cn>", "none"
		c.TOTPKey = testTOTPKey
		o.Now, o.SchedulerPoll = f.clk.Now, 20*time.Millisecond
		o.NotifyRobotTimeout, o.NotifyLease = 500*time.Millisecond, time.Minute
		o.NotifyBeforeSend = func(d store.Delivery) {
			if fn := f.beforeSend.Load(); fn != nil {
				(*fn)(d)
			}
		}
		o.NotifyAfterSend = func(d store.Delivery) {
			if fn := f.afterSend.Load(); fn != nil {
				(*fn)(d)
			}
		}
	}
	f.harness = start(t, f.mutate)
	key, _ := config.TOTPKey(config.Config{TOTPKey: testTOTPKey}, false)
	sealer, err := system.ChannelSealer(config.Config{TOTPKey: testTOTPKey})
	if err != nil || key == nil {
		t.Fatal(err)
	}
	admin := domain.Actor{ID: f.ids["admin"], Name: "管理员", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	for _, r := range []struct{ ch, url, secret string }{
		{store.DeliverWeCom, rs.URL + "/cgi-bin/webhook/send?key=wecom-key", ""},
		{store.DeliverDingTalk, rs.URL + "/robot/send?access_token=ding-token", robotSecret},
	} {
		sealed, err := store.SealRobot(sealer, 1, r.ch, r.url, r.secret)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(sealed.URLHint, "wecom-key") || strings.Contains(sealed.URLHint, "ding-token") {
			t.Fatalf("the robot's shown URL holds its credential: %s", sealed.URLHint)
		}
		if err := f.sys.Store.SetAgencyRobot(context.Background(), admin, sealed); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// prefs sets the officer's address and choices: mail for the kinds given
// (the others off), robots for those in robots, the digest when asked.
func (f *notifyFixture) prefs(digest bool, mailKinds []store.NotificationKind, robots ...store.NotificationKind) {
	f.t.Helper()
	p := store.NotificationPrefs{Email: "wang@example.gov.cn", Digest: digest, Kinds: map[store.NotificationKind]store.KindPrefs{}}
	for _, k := range store.NotificationKinds {
		p.Kinds[k] = store.KindPrefs{}
	}
	for _, k := range mailKinds {
		kp := p.Kinds[k]
		kp.Email = true
		p.Kinds[k] = kp
	}
	for _, k := range robots {
		kp := p.Kinds[k]
		kp.WeCom, kp.DingTalk = true, true
		p.Kinds[k] = kp
	}
	if err := f.sys.Store.SetNotificationPrefs(context.Background(), f.ids["officer"], p); err != nil {
		f.t.Fatal(err)
	}
}

// returnDraft submits a draft and has the department head return it.
func (f *notifyFixture) returnDraft(title, comment string) int64 {
	f.t.Helper()
	id := f.submitTo(title, "website")
	f.waitFor(id, domain.StateCompliance)
	f.mustStatus(f.decide(id, "head", "compliance", 1, "return", map[string]any{"comment": comment, "reason": "incomplete"}), http.StatusOK)
	return id
}

func (f *notifyFixture) rejectDraft(title string) int64 {
	f.t.Helper()
	id := f.submitTo(title, "website")
	f.waitFor(id, domain.StateCompliance)
	f.mustStatus(f.decide(id, "head", "compliance", 1, "reject", map[string]any{"reason": "internal_affairs", "comment": "内部事务，不予公开"}), http.StatusOK)
	return id
}

func (f *notifyFixture) notificationID(draft int64) int64 {
	f.t.Helper()
	var id int64
	if err := f.sys.Store.Pool.QueryRow(context.Background(), `SELECT id FROM notifications WHERE draft_id = $1 AND user_id = $2`,
		draft, f.ids["officer"]).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// TestNotificationsReachPeopleOnce: a returned draft reaches its author
// as one mail (with a Message-ID from the notification), one WeCom post and
// one signed DingTalk post, as the author chose; a rejection, for which
// they chose mail alone, reaches them by mail alone.
func TestNotificationsReachPeopleOnce(t *testing.T) {
	t.Parallel()
	f := startNotify(t)
	f.prefs(false, []store.NotificationKind{store.KindReturned, store.KindRejected}, store.KindReturned)

	id := f.returnDraft("关于做好冬季供暖保障工作的通知", "请补充供暖热线电话")
	testenv.Eventually(t, "the mail and both robot posts", func() bool {
		return len(f.sink.Mails()) >= 1 && len(f.robots.Received()) >= 2
	})
	mails := f.sink.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	m := mails[0]
	nid := f.notificationID(id)
	if want := notify.MessageID("sanshen-notification-"+jsonNum(nid), "example.gov.cn"); m.MessageID != want {
		t.Errorf("Message-ID %q, want %q", m.MessageID, want)
	}
	if len(m.To) != 1 || m.To[0] != "wang@example.gov.cn" || !strings.Contains(m.Subject, "稿件被退回") ||
		!strings.Contains(m.Body, "关于做好冬季供暖保障工作的通知") || !strings.Contains(m.Body, "请补充供暖热线电话") || !strings.Contains(m.Body, "退回原因：要素不全") ||
		!strings.Contains(m.Body, "http://public.test/web/drafts/"+jsonNum(id)) {
		t.Errorf("the mail: %+v", m)
	}
	posts := map[string]fakerobot.Received{}
	for _, r := range f.robots.Received() {
		posts[r.Robot] = r
	}
	wc, dt := posts[notify.ChannelWeCom], posts[notify.ChannelDingTalk]
	if wc.MsgType != "markdown" || !strings.Contains(wc.Content, "稿件被退回") || !strings.Contains(wc.Content, "关于做好冬季供暖保障工作的通知") {
		t.Errorf("the WeCom post: %+v", wc)
	}
	// The fake accepts a DingTalk post only with a valid signature of the
	// secret and a timestamp within the hour.
	if dt.MsgType != "markdown" || !strings.Contains(dt.Title, "稿件被退回") || !strings.Contains(dt.RawQuery, "sign=") || !strings.Contains(dt.RawQuery, "timestamp=") {
		t.Errorf("the DingTalk post: %+v", dt)
	}
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Title, Text string }
	}
	if err := json.Unmarshal(dt.Body, &body); err != nil || body.MsgType != "markdown" || !strings.Contains(body.Markdown.Text, "请补充供暖热线电话") {
		t.Errorf("the DingTalk JSON: %s (%v)", dt.Body, err)
	}

	// Rejected: mail only, as chosen.
	f.rejectDraft("关于机关内部会议安排的说明")
	testenv.Eventually(t, "the rejection's mail", func() bool { return len(f.sink.Mails()) >= 2 })
	if m := f.sink.Mails()[1]; !strings.Contains(m.Subject, "不予公开") || !strings.Contains(m.Body, "内部事务信息") {
		t.Errorf("the rejection's mail: %+v", m)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(f.robots.Received()); n != 2 {
		t.Errorf("%d robot posts, want the 2 of the return (the rejection was chosen for mail only)", n)
	}
	if n := f.count(`SELECT count(*) FROM notification_deliveries WHERE state <> 'sent'`); n != 0 {
		t.Errorf("%d deliveries not sent", n)
	}
	if n := f.count(`SELECT count(*) FROM notifications WHERE user_id = $1`, f.ids["officer"]); n != 2 {
		t.Errorf("%d notifications for the officer, want 2", n)
	}
	if mt := f.metrics(); !strings.Contains(mt, `sanshen_notification_deliveries_total{channel="mail",outcome="sent"} 2`) ||
		!strings.Contains(mt, `sanshen_notification_deliveries_total{channel="dingtalk",outcome="sent"} 1`) {
		t.Errorf("the delivery metrics are missing from /metrics")
	}
}

// TestNotificationsAcrossACrash: sanshen stops after claiming a mail and
// before sending it: after the restart, once the claim has run out, the
// mail is sent, once. It stops after claiming a WeCom post and before
// posting it: the post is left unknown and never posted, and the admins
// see it. A robot that takes the message and never answers (ambiguous) is
// recorded unknown too, and not posted again.
func TestNotificationsAcrossACrash(t *testing.T) {
	t.Parallel()
	f := startNotify(t)
	f.prefs(false, []store.NotificationKind{store.KindRejected, store.KindReturned}, store.KindRejected, store.KindReturned)

	// Between a mail's claim and its send.
	f.crashMidway(&f.beforeSend, store.DeliverMail, func() { f.rejectDraft("关于调整办事大厅开放时间的公告") })
	if n := len(f.sink.Mails()); n != 0 {
		t.Fatalf("%d mails before the restart", n)
	}
	testenv.Eventually(t, "the robot posts, which waited behind the mail's claim", func() bool { return len(f.robots.Received()) >= 2 })
	f.clk.Advance(2 * time.Minute) // past the claim's lease
	testenv.Eventually(t, "the mail after the restart", func() bool { return len(f.sink.Mails()) >= 1 })

	// Between a WeCom post's claim and the post.
	f.crashMidway(&f.beforeSend, store.DeliverWeCom, func() { f.returnDraft("关于开展社区义诊活动的通知", "请写明义诊时间") })
	f.clk.Advance(2 * time.Minute)
	testenv.Eventually(t, "the interrupted post left unknown", func() bool {
		return f.count(`SELECT count(*) FROM notification_deliveries WHERE channel = 'wecom' AND state = 'unknown'`) == 1 &&
			len(f.robots.Received()) >= 3
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(f.sink.Mails()); n != 2 {
		t.Errorf("%d mails, want 2", n)
	}
	if n := len(f.robots.Received()); n != 3 {
		t.Errorf("%d robot posts, want 3: the interrupted one is never posted (at most once)", n)
	}
	problems, err := f.sys.Store.DeliveryProblems(context.Background(), 1, 10)
	if err != nil || len(problems) != 1 || problems[0].State != store.DeliveryUnknown || problems[0].Channel != store.DeliverWeCom ||
		!strings.Contains(problems[0].Error, "不再自动重发") {
		t.Fatalf("the admins' list: %+v %v", problems, err)
	}

	// Ambiguous: WeCom takes the post and never answers.
	f.robots.HangNext(1)
	f.returnDraft("关于开展冬季安全生产检查的通知", "请补充检查范围")
	testenv.Eventually(t, "the return's posts", func() bool {
		return len(f.robots.Received()) >= 5 && f.count(`SELECT count(*) FROM notification_deliveries WHERE state IN ('pending', 'sending')`) == 0
	})
	f.clk.Advance(time.Hour)
	time.Sleep(500 * time.Millisecond)
	if n := len(f.robots.Received()); n != 5 {
		t.Errorf("%d robot posts, want 5: the hung one is not posted again", n)
	}
	if n := f.count(`SELECT count(*) FROM notification_deliveries WHERE channel = 'wecom' AND state = 'unknown'`); n != 2 {
		t.Errorf("%d unknown WeCom posts, want 2", n)
	}
	if n := len(f.sink.Mails()); n != 3 {
		t.Errorf("%d mails, want 3", n)
	}
	if mt := f.metrics(); !strings.Contains(mt, `sanshen_notification_deliveries_total{channel="wecom",outcome="unknown"} 2`) {
		t.Errorf("the unknown posts (the one left by the crash, the ambiguous one) are not counted")
	}
}

// crashMidway stops sanshen while the dispatcher is held at a hook (at:
// beforeSend or afterSend) on a delivery of channel, and starts it again.
func (f *notifyFixture) crashMidway(at *atomic.Pointer[func(store.Delivery)], channel string, trigger func()) {
	f.t.Helper()
	held, release := make(chan struct{}), make(chan struct{})
	var holding, releasing sync.Once
	free := func() { releasing.Do(func() { close(release) }) }
	f.t.Cleanup(free) // a failing test never leaves the dispatcher held
	hook := func(d store.Delivery) {
		if d.Channel == channel {
			holding.Do(func() { close(held); <-release })
		}
	}
	at.Store(&hook)
	trigger()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		f.t.Fatal("the dispatcher never got there")
	}
	stopped := make(chan struct{})
	go func() { f.sys.Stop(); close(stopped) }()
	time.Sleep(200 * time.Millisecond) // the stop has cancelled the dispatcher's context
	free()
	<-stopped
	at.Store(nil)
	f.sys = f.startSystem(f.mutate)
	f.base = "http://" + f.sys.Addr
}

// TestNotificationsMailAfterACrash: sanshen stops after the SMTP server
// took a mail and before the delivery was recorded. After the restart the
// mail is sent again as the same mail: the same Message-ID, which the
// receiving server and clients deduplicate by.
func TestNotificationsMailAfterACrash(t *testing.T) {
	t.Parallel()
	f := startNotify(t)
	f.prefs(false, []store.NotificationKind{store.KindReturned})
	f.crashMidway(&f.afterSend, store.DeliverMail, func() { f.returnDraft("关于开展防范电信诈骗宣传的通知", "请补充宣传时间") })
	if n := len(f.sink.Mails()); n != 1 {
		t.Fatalf("%d mails before the restart, want 1", n)
	}
	f.clk.Advance(2 * time.Minute) // past the claim's lease
	testenv.Eventually(t, "the mail sent again", func() bool {
		return f.count(`SELECT count(*) FROM notification_deliveries WHERE state = 'sent' AND attempts = 2`) == 1
	})
	mails := f.sink.Mails()
	if len(mails) != 2 || mails[0].MessageID != mails[1].MessageID || mails[0].Body != mails[1].Body {
		t.Fatalf("the mail and its resend differ: %+v", mails)
	}
}

// TestNotificationsDailyDigest: a person who chose the digest gets no mail
// per notification, and one mail after the day ends that gathers the day's.
func TestNotificationsDailyDigest(t *testing.T) {
	t.Parallel()
	f := startNotify(t)
	f.prefs(true, store.NotificationKinds)
	f.returnDraft("关于垃圾分类宣传周的通知", "请补充活动地点")
	f.returnDraft("关于老旧小区改造意见征集的公告", "请补充征集截止日期")
	testenv.Eventually(t, "both notifications", func() bool {
		return f.count(`SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'returned'`, f.ids["officer"]) == 2
	})
	time.Sleep(300 * time.Millisecond)
	if n := len(f.sink.Mails()); n != 0 {
		t.Fatalf("%d mails before the day ended, want none (digest)", n)
	}
	if n := f.count(`SELECT count(*) FROM notification_deliveries WHERE digest_day IS NOT NULL`); n != 1 {
		t.Fatalf("%d digests, want 1", n)
	}
	f.clk.Advance(24 * time.Hour)
	testenv.Eventually(t, "the digest", func() bool { return len(f.sink.Mails()) >= 1 })
	time.Sleep(300 * time.Millisecond)
	mails := f.sink.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1 digest", len(mails))
	}
	m := mails[0]
	if !strings.Contains(m.Subject, "每日通知汇总（2条）") || !strings.Contains(m.Body, "关于垃圾分类宣传周的通知") ||
		!strings.Contains(m.Body, "关于老旧小区改造意见征集的公告") || !strings.Contains(m.Body, "请补充征集截止日期") {
		t.Errorf("the digest: %+v", m)
	}
	day := store.DigestDay(time.Now()).Format(domain.DateLayout)
	if want := notify.MessageID("sanshen-digest-"+jsonNum(f.ids["officer"])+"-"+day, "example.gov.cn"); m.MessageID != want {
		t.Errorf("the digest's Message-ID %q, want %q", m.MessageID, want)
	}
}

// TestNotificationsScan: the periodic scan tells a stage's reviewers of a
// draft waiting longer than the office's limit, and the author and those
// reviewers of its deadline passed, once however often it runs.
func TestNotificationsScan(t *testing.T) {
	t.Parallel()
	f := startNotify(t)
	id := f.submitTo("关于征集民生实事项目的公告", "website")
	f.waitFor(id, domain.StateCompliance)
	f.clk.Advance(60 * 24 * time.Hour)
	// 综合办's department heads, never the author (吴副科长 is both).
	q := `SELECT count(*) FROM notifications WHERE draft_id = $1 AND kind = $2`
	testenv.Eventually(t, "the scan's notifications", func() bool {
		return f.count(q, id, store.KindQueueWaiting) == 3 && f.count(q, id, store.KindDeadlinePassed) == 4
	})
	if n := f.count(`SELECT count(*) FROM notifications WHERE draft_id = $1 AND kind = 'queue_waiting' AND user_id IN ($2, $3, $4)`,
		id, f.ids["head"], f.ids["both"], f.ids["authorhead"]); n != 3 {
		t.Errorf("queue reminders to the wrong people: %d of 3", n)
	}
	var text string
	if err := f.sys.Store.Pool.QueryRow(context.Background(), `SELECT body FROM notifications WHERE draft_id = $1 AND kind = 'queue_waiting' LIMIT 1`, id).Scan(&text); err != nil ||
		!strings.Contains(text, "超过本机关规定的2个工作日") {
		t.Errorf("the reminder: %q %v", text, err)
	}
	f.clk.Advance(time.Hour) // the scan runs again
	testenv.Eventually(t, "the scan to run again", func() bool {
		return f.count(`SELECT count(*) FROM scheduled_jobs WHERE kind = $1 AND state = 'done'`, notifications.KindScan) >= 3
	})
	if f.count(q, id, store.KindQueueWaiting) != 3 || f.count(q, id, store.KindDeadlinePassed) != 4 {
		t.Errorf("a second scan notified again")
	}
}

// TestNotificationsScanTheRest: the scan's other events, each once however
// often it runs: a penalty decision coming down within 7 days (its author
// and the admins), a yearly review due within the week (the department's
// head), a channel's authorisation running out and a dead letter
// of no agency (platform admins), a dead letter of a draft (its agency's
// admins), and, in December, next year missing from the calendar
// (platform admins).
func TestNotificationsScanTheRest(t *testing.T) {
	t.Parallel()
	h := start(t, nil)
	ctx := context.Background()
	op := domain.Actor{Name: "运维", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin, domain.RolePlatformAdmin}}
	plat, _, err := h.sys.Store.AddUser(ctx, op, store.NewUser{Name: "平台管理员", Roles: []domain.Role{domain.RolePlatformAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	// Decided 3 months ago less 3 days: its period ends within the week.
	id, until := h.penalty(beijingDay(time.Now()).AddDate(0, -3, 3))
	h.approveThrough(id)
	// Published 360 days ago, reviewed yearly: its review is due within the week.
	ib := draftBody("本机关内设机构及联系电话")
	ib["category"] = "agency_info"
	info := int64(h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", ib), http.StatusCreated).body["id"].(float64))
	h.approveThrough(info)
	h.sys.Store.Pool.Exec(ctx, `UPDATE drafts SET published_at = now() - interval '360 days' WHERE id = $1`, info)
	now := time.Now()
	if err := h.sys.Store.RecordChannelTokens(ctx, domain.ChannelDouyin, new(now.Add(time.Hour)), new(now.Add(72*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sys.Store.AddDeadLetter(ctx, store.DeadLetter{Consumer: "publisher", Subject: "work.publish", Payload: `{"draft_id":` + jsonNum(id) + `}`,
		MsgID: "m1", Deliveries: 3, LastError: "门户网站接口超时"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sys.Store.AddDeadLetter(ctx, store.DeadLetter{Consumer: "relay", Subject: "x", Payload: `{}`, MsgID: "m2", Deliveries: 3, LastError: "无法解析"}); err != nil {
		t.Fatal(err)
	}
	n := &notifications.Notifier{Store: h.sys.Store, Calendar: h.sys.Calendar, PublicURL: "http://public.test"}
	_, last := h.sys.Calendar.Years()
	december := time.Date(last, 12, 5, 10, 0, 0, 0, domain.Beijing)
	for range 2 {
		for _, at := range []time.Time{now, december} {
			if err := pgx.BeginFunc(ctx, h.sys.Store.Pool, func(tx pgx.Tx) error { return n.Scan(ctx, tx, at) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	kinds := func(user int64) map[store.NotificationKind]int {
		ns, err := h.sys.Store.Notifications(ctx, user, 100)
		if err != nil {
			t.Fatal(err)
		}
		out := map[store.NotificationKind]int{}
		for _, n := range ns {
			out[n.Kind]++
		}
		return out
	}
	if k := kinds(h.ids["officer"]); k[store.KindExpirySoon] != 1 || k[store.KindReviewDue] != 0 {
		t.Errorf("the author's notifications: %v", k)
	}
	if k := kinds(h.ids["head"]); k[store.KindReviewDue] != 1 {
		t.Errorf("the department head's notifications: %v", k)
	}
	if k := kinds(h.ids["admin"]); k[store.KindExpirySoon] != 1 || k[store.KindDeadLetter] != 1 || k[store.KindTokenExpiring] != 0 {
		t.Errorf("the admin's notifications: %v", k)
	}
	if k := kinds(plat.ID); k[store.KindTokenExpiring] != 1 || k[store.KindDeadLetter] != 1 || k[store.KindCalendarMissing] != 1 || k[store.KindExpirySoon] != 0 {
		t.Errorf("the platform admin's notifications: %v", k)
	}
	var text string
	if err := h.sys.Store.Pool.QueryRow(ctx, `SELECT body FROM notifications WHERE kind = 'expiry_soon' AND user_id = $1`, h.ids["officer"]).Scan(&text); err != nil ||
		!strings.Contains(text, until.Format(domain.DateLayout)) {
		t.Errorf("the expiry notice: %q %v", text, err)
	}
	if err := h.sys.Store.Pool.QueryRow(ctx, `SELECT subject FROM notifications WHERE kind = 'calendar_missing'`).Scan(&text); err != nil ||
		!strings.Contains(text, strconv.Itoa(last+1)) {
		t.Errorf("the calendar notice: %q %v", text, err)
	}
}

// TestNotificationsChannelProblemToAdmins: a send whose outcome is unknown
// (the publisher crashed mid-send) tells the agency's admins, in the pages,
// once, from the audit trail.
func TestNotificationsChannelProblemToAdmins(t *testing.T) {
	t.Parallel()
	wechat := &crashingChannel{}
	h := start(t, func(_ *config.Config, o *system.Options) {
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelWeChat: wechat}
		o.ClaimTimeout = time.Second
		o.SchedulerPoll = 20 * time.Millisecond
	})
	id := h.submit("关于春节期间办事大厅开放时间的公告")
	h.waitFor(id, domain.StateCompliance)
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StatePublished)
	testenv.Eventually(t, "the admins' notification", func() bool {
		return h.count(`SELECT count(*) FROM notifications WHERE kind = 'channel_problem' AND draft_id = $1`, id) >= 1
	})
	time.Sleep(300 * time.Millisecond)
	ns, err := h.sys.Store.Notifications(context.Background(), h.ids["admin"], 10)
	if err != nil || len(ns) != 1 || ns[0].Kind != store.KindChannelProblem || !strings.Contains(ns[0].Subject, "发布结果未知") ||
		!strings.Contains(ns[0].Text, "微信公众号") || !strings.Contains(ns[0].Text, "不会自动重发") {
		t.Fatalf("the admin's notifications: %+v %v", ns, err)
	}
	if n := h.count(`SELECT count(*) FROM notifications WHERE kind = 'channel_problem'`); n != 1 {
		t.Errorf("%d channel notifications, want 1 (the agency has one admin)", n)
	}
}
