package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestNotificationPages: the header counts each person's to-do list (the
// reviewer's queue, the officer's returned drafts, everyone's unread
// notifications); the notifications page lists unread first and marks them
// read; a person sets their address and choices; an admin sets the
// robots, whose URLs and secrets are never shown back, and sees and clears
// the deliveries that failed or whose outcome is unknown.
func TestNotificationPages(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	wang, _, _ := s.sys.Store.UserForSignIn(ctx, "wang")
	li, _, _ := s.sys.Store.UserForSignIn(ctx, "li")
	d, err := s.sys.Store.Submit(ctx, wang.Actor(), wang.Departments[0], domain.Content{Title: "关于开展消防安全宣传月活动的通知",
		Body: "为提高居民消防安全意识，街道将于下月开展消防安全宣传月活动，请各社区做好组织工作。", Department: "综合办", Category: "news",
		Channels: []domain.Channel{domain.ChannelWebsite}, FormedOn: time.Now().UTC().Truncate(24 * time.Hour)}, time.Now().AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "the draft to wait for the department head", func() bool {
		dd, err := s.sys.Store.Detail(ctx, d.ID)
		return err == nil && dd.State == domain.StateCompliance && dd.StepDone
	})
	notify := func(u store.User, key, subject string) {
		t.Helper()
		err := pgx.BeginFunc(ctx, s.sys.Store.Pool, func(tx pgx.Tx) error {
			_, err := store.Notify(ctx, tx, []store.NewNotification{{AgencyID: 1, UserID: u.ID, Kind: store.KindQueueWaiting, DraftID: d.ID,
				Key: key, Subject: subject, Text: "请尽快审核。", Link: "http://x.test/web/drafts/1", At: time.Now()}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	notify(li, "k1", "第一条通知")
	notify(li, "k2", "第二条通知")
	notify(li, "k2", "第二条通知") // the same event: nothing new

	c := s.client()
	c.signIn("li", password)
	_, page := c.req("GET", "/web/account", nil)
	if !strings.Contains(page, `id="count-compliance" title="等待您审核的稿件">1<`) || !strings.Contains(page, `id="count-unread" title="未读通知">2<`) {
		t.Fatalf("the header's counts are missing: %s", header(page))
	}
	_, page = c.req("GET", "/web/notifications", nil)
	if !strings.Contains(page, "第一条通知") || !strings.Contains(page, "第二条通知") || strings.Count(page, `class="unread"`) != 2 {
		t.Fatalf("the notifications page: %s", page)
	}
	ns, _ := s.sys.Store.Notifications(ctx, li.ID, 10)
	token := csrfField.FindStringSubmatch(page)[1]
	if r, _ := c.req("POST", "/web/notifications/"+jsonID(ns[1].ID)+"/read", url.Values{"_csrf": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark read: %d", r.StatusCode)
	}
	_, page = c.req("GET", "/web/notifications", nil)
	if strings.Count(page, `class="unread"`) != 1 || !strings.Contains(page, `id="count-unread" title="未读通知">1<`) {
		t.Fatalf("after marking one read: %s", header(page))
	}
	// Another person cannot mark li's.
	wc := s.client()
	wc.signIn("wang", password)
	_, wpage := wc.req("GET", "/web/notifications", nil)
	wc.req("POST", "/web/notifications/"+jsonID(ns[0].ID)+"/read", url.Values{"_csrf": {csrfField.FindStringSubmatch(wpage)[1]}})
	if n, _ := s.sys.Store.Notifications(ctx, li.ID, 10); n[0].ReadAt != nil && n[1].ReadAt != nil {
		t.Fatal("another person marked li's notification read")
	}
	c.req("POST", "/web/notifications/read-all", url.Values{"_csrf": {token}})
	if _, page = c.req("GET", "/web/notifications", nil); strings.Contains(page, `id="count-unread"`) {
		t.Fatalf("unread after read-all: %s", header(page))
	}

	// The officer's returned draft counts in their header.
	if _, err := s.sys.Store.Decide(ctx, li.Actor(), d.ID, domain.DecisionRequest{Stage: domain.StageCompliance, Revision: 1,
		Decision: domain.DecisionReturn, Comment: "请补充活动时间"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, wpage = wc.req("GET", "/web/drafts", nil); !strings.Contains(wpage, `id="count-returned" title="被退回待修改的稿件">1<`) {
		t.Fatalf("the officer's header: %s", header(wpage))
	}

	// Preferences: a bad address is refused in Chinese; a good one is kept.
	_, page = wc.req("GET", "/web/account/notifications", nil)
	token = csrfField.FindStringSubmatch(page)[1]
	if !strings.Contains(page, "本机关未配置") {
		t.Errorf("the robots are offered though the agency has none")
	}
	if r, body := wc.req("POST", "/web/account/notifications", url.Values{"_csrf": {token}, "email": {"不是邮箱"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "邮箱地址格式不正确") {
		t.Fatalf("a bad address: %d", r.StatusCode)
	}
	form := url.Values{"_csrf": {token}, "email": {"wang@example.gov.cn"}, "digest": {"on"}, "mail_returned": {"on"}}
	if r, _ := wc.req("POST", "/web/account/notifications", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the preferences: %d", r.StatusCode)
	}
	p, err := s.sys.Store.NotificationPrefs(ctx, wang.ID)
	if err != nil || p.Email != "wang@example.gov.cn" || !p.Digest || !p.Kinds[store.KindReturned].Email || p.Kinds[store.KindRejected].Email {
		t.Fatalf("the saved preferences: %+v %v", p, err)
	}

	// The admin's robots: kept sealed, shown redacted.
	ac := s.client()
	ac.signIn("admin", password)
	_, page = ac.req("GET", "/web/admin/notifications", nil)
	token = csrfField.FindStringSubmatch(page)[1]
	bad := url.Values{"_csrf": {token}, "wecom_url": {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}}
	if r, body := ac.req("POST", "/web/admin/notifications/robots", bad); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "机器人地址不正确") {
		t.Fatalf("a URL without its key: %d", r.StatusCode)
	}
	good := url.Values{"_csrf": {token}, "wecom_url": {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-secret-key"},
		"dingtalk_url": {"https://oapi.dingtalk.com/robot/send?access_token=ding-secret-token"}, "dingtalk_secret": {"SECsigning-secret"}}
	if r, _ := ac.req("POST", "/web/admin/notifications/robots", good); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the robots: %d", r.StatusCode)
	}
	_, page = ac.req("GET", "/web/admin/notifications", nil)
	if strings.Contains(page, "wecom-secret-key") || strings.Contains(page, "ding-secret-token") || strings.Contains(page, "SECsigning-secret") ||
		!strings.Contains(page, "access_token=REDACTED") || !strings.Contains(page, "已设置加签密钥") {
		t.Fatalf("the robots as shown: %s", page)
	}
	if _, page = wc.req("GET", "/web/account/notifications", nil); !strings.Contains(page, `name="wecom_returned"`) {
		t.Errorf("the robots are not offered once set up")
	}

	// A delivery whose outcome is unknown: listed, then acknowledged.
	if _, err := s.sys.Store.Pool.Exec(ctx, `INSERT INTO notification_deliveries (agency_id, channel, notification_id, dedupe_key, state, next_at, error, attempts)
		VALUES (1, 'wecom', $1, 'test-unknown', 'unknown', now(), '消息已发出但未收到机器人应答', 1)`, ns[0].ID); err != nil {
		t.Fatal(err)
	}
	_, page = ac.req("GET", "/web/admin/notifications", nil)
	if !strings.Contains(page, `id="count-delivery-problems" title="发送失败或结果未知的通知">1<`) {
		t.Errorf("the admin's header does not count the delivery problem: %s", header(page))
	}
	if !strings.Contains(page, "结果未知") || !strings.Contains(page, "消息已发出但未收到机器人应答") {
		t.Fatalf("the unknown delivery is not listed: %s", page)
	}
	probs, _ := s.sys.Store.DeliveryProblems(ctx, 1, 10)
	if r, _ := ac.req("POST", "/web/admin/notifications/deliveries/"+jsonID(probs[0].ID)+"/acknowledge", url.Values{"_csrf": {token}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", r.StatusCode)
	}
	if _, page = ac.req("GET", "/web/admin/notifications", nil); strings.Contains(page, "消息已发出但未收到机器人应答") {
		t.Fatal("the acknowledged delivery is still listed")
	}
	// Not an admin: refused.
	if r, _ := wc.req("GET", "/web/admin/notifications", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("an officer on the notification settings: %d", r.StatusCode)
	}
}

// TestNotificationSettingsRefusedInPlace: a person's preferences and the
// admin's robots and queue limit, refused for what they say, come back on
// their page, 422, as posted (the robots' URLs and secret never: they
// carry the credentials), the field at fault marked; nothing is saved. A
// good post still saves.
func TestNotificationSettingsRefusedInPlace(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	ctx := context.Background()
	wang := s.userID("wang")
	wc := s.client()
	wc.signIn("wang", password)
	_, page := wc.req("GET", "/web/account/notifications", nil)
	tok := csrfField.FindStringSubmatch(page)[1]
	before, err := s.sys.Store.NotificationPrefs(ctx, wang)
	if err != nil {
		t.Fatal(err)
	}
	typed := url.Values{"_csrf": {tok}, "email": {"wang@不是邮箱"}, "digest": {"on"}, "mail_returned": {"on"}}
	r, page := wc.req("POST", "/web/account/notifications", typed)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "邮箱地址格式不正确") || !strings.Contains(page, `id="notify-prefs"`) {
		t.Fatalf("a bad address: %d\n%s", r.StatusCode, page)
	}
	if p := mustPostedBack(t, page); p.Kind != "refused" || p.Action != "/web/account/notifications" || p.Field != "email" ||
		fmt.Sprint(p.Fields["email"], p.Fields["digest"], p.Fields["mail_returned"]) != "[wang@不是邮箱] [on] [on]" {
		t.Errorf("a bad address posted back: %+v", p)
	}
	if p, err := s.sys.Store.NotificationPrefs(ctx, wang); err != nil || fmt.Sprint(p) != fmt.Sprint(before) {
		t.Errorf("a refused form changed the preferences: %+v → %+v (%v)", before, p, err)
	}
	typed.Set("email", "wang@example.gov.cn")
	if r, _ := wc.req("POST", "/web/account/notifications", typed); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a good address: %d", r.StatusCode)
	}
	if p, _ := s.sys.Store.NotificationPrefs(ctx, wang); p.Email != "wang@example.gov.cn" || !p.Digest || !p.Kinds[store.KindReturned].Email {
		t.Errorf("the good preferences not saved: %+v", p)
	}

	ac := s.client()
	ac.signIn("admin", password)
	_, page = ac.req("GET", "/web/admin/notifications", nil)
	tok = csrfField.FindStringSubmatch(page)[1]
	days, err := s.sys.Store.QueueLimit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	const (
		wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-secret-key"
		ding  = "https://oapi.dingtalk.com/robot/send?access_token=ding-secret-token"
	)
	for _, tc := range []struct {
		name, path, field, want string
		form                    url.Values
	}{
		{"a WeCom URL without its key", "/web/admin/notifications/robots", "wecom_url", "机器人地址不正确",
			url.Values{"wecom_url": {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send"}, "dingtalk_url": {ding}, "dingtalk_secret": {"SECsigning-secret"}}},
		{"a DingTalk secret that is not one", "/web/admin/notifications/robots", "dingtalk_secret", "钉钉加签密钥应以SEC开头",
			url.Values{"wecom_url": {wecom}, "dingtalk_url": {ding}, "dingtalk_secret": {"signing-secret"}}},
		{"a DingTalk secret without its URL", "/web/admin/notifications/robots", "dingtalk_url", "请同时填写机器人地址",
			url.Values{"dingtalk_secret": {"SECsigning-secret"}}},
		{"a queue limit out of range", "/web/admin/notifications/queue-limit", "days", "待审时限应为1到60个工作日",
			url.Values{"days": {"61"}}},
	} {
		tc.form.Set("_csrf", tok)
		r, page := ac.req("POST", tc.path, tc.form)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) || !strings.Contains(page, `id="robots"`) {
			t.Errorf("%s: %d, the settings page with %q?\n%s", tc.name, r.StatusCode, tc.want, page)
			continue
		}
		p := mustPostedBack(t, page)
		if p.Kind != "refused" || p.Action != tc.path || p.Field != tc.field || fmt.Sprint(p.Fields["days"]) != fmt.Sprint(tc.form["days"]) {
			t.Errorf("%s: posted back %+v", tc.name, p)
		}
		for _, secret := range []string{"wecom_url", "dingtalk_url", "dingtalk_secret", "_csrf"} {
			if _, ok := p.Fields[secret]; ok {
				t.Errorf("%s: %s posted back", tc.name, secret)
			}
		}
		if strings.Contains(page, "secret-key") || strings.Contains(page, "secret-token") || strings.Contains(page, "signing-secret") {
			t.Errorf("%s: a credential shown back", tc.name)
		}
	}
	if rs, err := s.sys.Store.AgencyRobots(ctx, 1); err != nil || len(rs) != 0 {
		t.Errorf("refused forms saved robots: %v %v", rs, err)
	}
	if n, err := s.sys.Store.QueueLimit(ctx, 1); err != nil || n != days {
		t.Errorf("a refused form changed the queue limit: %d → %d (%v)", days, n, err)
	}
	if r, _ := ac.req("POST", "/web/admin/notifications/queue-limit", url.Values{"_csrf": {tok}, "days": {"7"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a good queue limit: %d", r.StatusCode)
	}
	if n, _ := s.sys.Store.QueueLimit(ctx, 1); n != 7 {
		t.Errorf("the good queue limit not saved: %d", n)
	}
	good := url.Values{"_csrf": {tok}, "wecom_url": {wecom}, "dingtalk_url": {ding}, "dingtalk_secret": {"SECsigning-secret"}}
	if r, _ := ac.req("POST", "/web/admin/notifications/robots", good); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("good robots: %d", r.StatusCode)
	}
	if rs, _ := s.sys.Store.AgencyRobots(ctx, 1); len(rs) != 2 {
		t.Errorf("the good robots not saved: %v", rs)
	}
}

func jsonID(id int64) string { return strconv.FormatInt(id, 10) }

// header is the page's header, for a failure's message.
func header(page string) string {
	if i := strings.Index(page, "</header>"); i > 0 {
		return page[:i]
	}
	return page
}
