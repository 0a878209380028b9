package system_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

// dropAnswer serves a request through the fake and then closes the
// connection without answering, for the first n requests to path: the
// platform committed, and sanshen never learns it.
type dropAnswer struct {
	next http.Handler
	path string
	n    atomic.Int32
}

func (d *dropAnswer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != d.path || d.n.Add(-1) < 0 {
		d.next.ServeHTTP(w, r)
		return
	}
	d.next.ServeHTTP(httptest.NewRecorder(), r)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// wechatHarness is sanshen with the WeChat channel pointed at a contract
// server; wrap, when set, sits in front of it.
func wechatHarness(t *testing.T, opts fakewechat.Options, wrap func(http.Handler) http.Handler) (*harness, *fakewechat.Server) {
	return wechatHarnessWith(t, opts, wrap, nil)
}

func wechatHarnessWith(t *testing.T, opts fakewechat.Options, wrap func(http.Handler) http.Handler, more func(*config.Config, *system.Options)) (*harness, *fakewechat.Server) {
	t.Helper()
	opts.AppID, opts.Secret = "wx-test-app", "wx-test-secret"
	fake := fakewechat.New(opts)
	var hd http.Handler = fake
	if wrap != nil {
		hd = wrap(fake)
	}
	ws := httptest.NewServer(hd)
	t.Cleanup(ws.Close)
	h := start(t, func(cfg *config.Config, o *system.Options) {
		o.ClaimTimeout = 500 * time.Millisecond
		o.Channels = map[domain.Channel]publisher.Channel{domain.ChannelWeChat: &publisher.WeChat{PublicURL: cfg.PublicURL,
			Poll: wechat.Backoff{First: 10 * time.Millisecond, Max: 50 * time.Millisecond}, Wait: 2 * time.Second,
			Client: &wechat.Client{BaseURL: ws.URL, AppID: opts.AppID, Secret: opts.Secret, HTTP: &http.Client{Timeout: 2 * time.Second}}}}
		if more != nil {
			more(cfg, o)
		}
	})
	return h, fake
}

// wechatDraft submits a draft for the website and WeChat with a cover and
// two images placed in its body.
func (h *harness) wechatDraft(title string) int64 {
	h.t.Helper()
	return h.wechatDraftWith(title, nil)
}

// wechatDraftWith is wechatDraft with the body's paragraphs repeated and
// the given channel options.
func (h *harness) wechatDraftWith(title string, options []string, more ...string) int64 {
	h.t.Helper()
	files := []map[string]string{}
	for _, f := range []struct {
		name, role string
		data       []byte
	}{{"封面.jpg", "cover", sample.JPEG(90, 38, 30)}, {"现场一.png", "image", sample.PNG(40, 30, 60)}, {"现场二.jpg", "image", sample.JPEG(40, 30, 90)}} {
		sum := h.mustStatus(h.upload(f.name, f.data), http.StatusCreated).body["sha256"].(string)
		files = append(files, map[string]string{"name": f.name, "sha256": sum, "role": f.role})
	}
	b := draftBody(title)
	b["channels"] = []string{"website", "wechat"}
	b["digest"] = "专项检查情况通报"
	b["body"] = "为进一步做好辖区环境整治工作，街道办事处于本月组织开展了专项检查。\n【图片：现场一.png】\n检查共发现问题十二处，已全部整改。\n【图片：现场二.jpg】\n" +
		strings.Join(more, "\n") + "\n特此通报。"
	b["attachments"] = files
	if options != nil {
		b["options"] = options
	}
	r := h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated)
	return int64(r.body["id"].(float64))
}

// publication is the draft's publication on ch of its latest revision
// that has one.
func publication(d store.DraftDetail, ch domain.Channel) store.Publication {
	var out store.Publication
	for _, p := range d.Publications {
		if p.Channel == string(ch) && p.Revision >= out.Revision {
			out = p
		}
	}
	return out
}

// TestWeChatPublishAndWithdraw: a draft with a cover and two body images
// is published to the website and the official account (cover as permanent
// material, images through uploadimg, draft, submit, poll), with the
// article's URL and id as the receipt, then withdrawn with freepublish/delete.
// The token expires in the middle, and nothing is sent twice.
func TestWeChatPublishAndWithdraw(t *testing.T) {
	t.Parallel()
	h, fake := wechatHarness(t, fakewechat.Options{PublishingPolls: 2}, nil)
	id := h.wechatDraft("关于辖区环境专项检查情况的通报")
	h.waitFor(id, domain.StateCompliance)
	fake.ExpireTokens() // the token the checks never used, but the adapter will
	h.approveFrom(id)
	d := h.waitFor(id, domain.StatePublished)
	p := publication(d, domain.ChannelWeChat)
	if p.Status != store.PubDelivered || !strings.Contains(p.URL, "/s/") || p.ExternalID == "" {
		t.Fatalf("the WeChat publication: %+v", p)
	}
	if fake.Published() != 1 || fake.Calls("/cgi-bin/material/add_material") != 1 || fake.Calls("/cgi-bin/media/uploadimg") != 2 ||
		fake.Calls("/cgi-bin/freepublish/submit") != 1 {
		t.Errorf("published %d; calls: add_material %d, uploadimg %d, submit %d", fake.Published(),
			fake.Calls("/cgi-bin/material/add_material"), fake.Calls("/cgi-bin/media/uploadimg"), fake.Calls("/cgi-bin/freepublish/submit"))
	}
	// The article holds the body's images at WeChat's addresses, and no escapes.
	page := h.get(p.URL)
	if !strings.Contains(page, "<img") || strings.Contains(page, `\u003c`) || strings.Contains(page, "public.test/public/files") {
		t.Errorf("the article's page:\n%s", page)
	}
	health := h.channelHealth(domain.ChannelWeChat)
	if health.LastSuccessAt.IsZero() || health.TokenExpiresAt.IsZero() || health.NotAuthorised {
		t.Errorf("the channel's health: %+v", health)
	}
	m := h.metrics()
	if !strings.Contains(m, `sanshen_channel_not_authorised{channel="wechat"} 0`) || strings.Contains(m, `sanshen_channel_last_success_timestamp_seconds{channel="wechat"} 0`) ||
		!strings.Contains(m, `sanshen_publications_total{channel="wechat",status="delivered"} 1`) {
		t.Errorf("the channel's metrics:\n%s", grepLines(m, "channel=\"wechat\""))
	}

	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "内容有误，撤回"}), http.StatusOK)
	testenv.Eventually(t, "the withdrawal to reach WeChat", func() bool {
		d, err := h.sys.Store.Detail(context.Background(), id)
		return err == nil && d.StepDone && publication(d, domain.ChannelWeChat).WithdrawStatus == store.WithdrawDone
	})
	if fake.Calls("/cgi-bin/freepublish/delete") != 1 {
		t.Errorf("freepublish/delete called %d times", fake.Calls("/cgi-bin/freepublish/delete"))
	}
	// The year's counts for the annual report.
	r := h.mustStatus(h.do("GET", fmt.Sprintf("/api/v1/reports/channels?year=%d", time.Now().In(domain.Beijing).Year()), "admin", nil), http.StatusOK)
	counts := map[string]string{}
	for _, c := range r.body["channels"].([]any) {
		c := c.(map[string]any)
		counts[c["channel"].(string)] = fmt.Sprintf("%v/%v/%v", c["delivered"], c["withdrawn"], c["failed"])
	}
	if counts["wechat"] != "1/1/0" || counts["website"] != "1/1/0" || counts["douyin"] != "0/0/0" {
		t.Errorf("the year's counts (delivered/withdrawn/failed): %v", counts)
	}
	if r.body["published"] != float64(1) || r.body["published_late"] != float64(0) {
		t.Errorf("published %v, late %v: want 1 and 0", r.body["published"], r.body["published_late"])
	}
	if r := h.do("GET", "/api/v1/reports/channels?year=26", "admin", nil); r.status != http.StatusBadRequest {
		t.Errorf("a two-digit year: %d", r.status)
	}
	h.verifyAudit()
}

// TestWeChatAmbiguousSubmitPublishesOnce: the answer to the submit is lost
// after WeChat accepted it. sanshen never submits again blindly: the draft
// has left the draft box, so it finds the article by its title, and the
// account holds exactly one.
func TestWeChatAmbiguousSubmitPublishesOnce(t *testing.T) {
	t.Parallel()
	var drop *dropAnswer
	h, fake := wechatHarness(t, fakewechat.Options{}, func(next http.Handler) http.Handler {
		drop = &dropAnswer{next: next, path: "/cgi-bin/freepublish/submit"}
		drop.n.Store(1)
		return drop
	})
	id := h.wechatDraft("关于开展冬季消防安全检查的通知")
	h.approveThrough(id)
	d := h.waitFor(id, domain.StatePublished)
	if p := publication(d, domain.ChannelWeChat); p.Status != store.PubDelivered || p.URL == "" || p.ExternalID == "" {
		t.Fatalf("the WeChat publication: %+v", p)
	}
	if fake.Published() != 1 || fake.Calls("/cgi-bin/freepublish/submit") != 1 {
		t.Errorf("published %d times with %d submits, want exactly one", fake.Published(), fake.Calls("/cgi-bin/freepublish/submit"))
	}
	if fake.Calls("/cgi-bin/draft/get") == 0 || fake.Calls("/cgi-bin/freepublish/batchget") == 0 {
		t.Errorf("the lost answer was not reconciled through draft/get and batchget")
	}
	h.verifyAudit()
}

// TestWeChatBusyThenSuccess: WeChat answers "system busy" (and then a
// quota refusal) before accepting: the send is retried after its backoff,
// published once, and the quota refusal counts on the channels page.
func TestWeChatBusyThenSuccess(t *testing.T) {
	t.Parallel()
	h, fake := wechatHarness(t, fakewechat.Options{}, nil)
	id := h.wechatDraft("关于做好元旦期间安全生产工作的通知")
	h.waitFor(id, domain.StateCompliance)
	fake.FailNext(1, wechat.CodeMinuteQuota)
	h.approveFrom(id)
	d := h.waitFor(id, domain.StatePublished)
	if p := publication(d, domain.ChannelWeChat); p.Status != store.PubDelivered {
		t.Fatalf("the WeChat publication: %+v", p)
	}
	if fake.Published() != 1 || fake.Calls("/cgi-bin/material/add_material") != 2 {
		t.Errorf("published %d; add_material called %d times (once refused, once accepted)", fake.Published(), fake.Calls("/cgi-bin/material/add_material"))
	}
	if health := h.channelHealth(domain.ChannelWeChat); health.QuotaErrorsToday != 1 || !strings.Contains(health.LastError, "频繁") {
		t.Errorf("the channel's health after a quota refusal: %+v", health)
	}
}

// TestWeChatAuditFailedAndNotAuthorised: a job the platform's audit fails
// ends failed with the reason in Chinese; an IP-whitelist refusal marks the
// channel not authorised for the admin and fails the send for good.
func TestWeChatAuditFailedAndNotAuthorised(t *testing.T) {
	t.Parallel()
	h, fake := wechatHarness(t, fakewechat.Options{FinalStatus: int(wechat.StateAuditFailed)}, nil)
	id := h.wechatDraft("关于社区养老服务驿站运营情况的公示")
	h.approveThrough(id)
	d := h.waitFor(id, domain.StatePublished)
	if p := publication(d, domain.ChannelWeChat); p.Status != store.PubFailed || !strings.Contains(p.Error, "平台审核未通过") {
		t.Fatalf("the WeChat publication of a job whose audit failed: %+v", p)
	}
	fake.IPWhitelistError(true)
	id = h.wechatDraft("关于调整社区服务中心开放时间的公告")
	h.approveThrough(id)
	d = h.waitFor(id, domain.StatePublished)
	if p := publication(d, domain.ChannelWeChat); p.Status != store.PubFailed || !strings.Contains(p.Error, "IP白名单") {
		t.Fatalf("the WeChat publication refused for the whitelist: %+v", p)
	}
	if health := h.channelHealth(domain.ChannelWeChat); !health.NotAuthorised {
		t.Errorf("the channel is not marked not authorised: %+v", health)
	}
}

// TestWeChatBannedAfterSuccess: an article published successfully is
// later banned by the platform (publish_status 6). The publisher's recheck
// finds it, and the publications page shows the alert, audited, until an
// admin records what was done.
func TestWeChatBannedAfterSuccess(t *testing.T) {
	t.Parallel()
	h, fake := wechatHarnessWith(t, fakewechat.Options{}, nil, func(_ *config.Config, o *system.Options) { o.RecheckEvery = 100 * time.Millisecond })
	id := h.wechatDraft("关于公布第二批社区志愿服务队名单的通知")
	h.approveThrough(id)
	p := publication(h.waitFor(id, domain.StatePublished), domain.ChannelWeChat)
	fake.TakeDown(p.ExternalID, int(wechat.StateBanned))
	var alerts []store.ChannelAlert
	testenv.Eventually(t, "the recheck to find the ban", func() bool {
		var err error
		alerts, err = h.sys.Store.ChannelAlerts(context.Background(), 1)
		return err == nil && len(alerts) == 1
	})
	if a := alerts[0]; a.DraftID != id || a.Channel != "wechat" || !strings.Contains(a.Alert, "封禁") {
		t.Fatalf("the alert: %+v", a)
	}
	if n := h.count(`SELECT count(*) FROM audit_events WHERE action = 'channel_alert'`); n != 1 {
		t.Errorf("%d channel_alert events, want 1 (rechecked again and again)", n)
	}
	admin := domain.Actor{ID: h.ids["admin"], Name: "admin", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := h.sys.Store.AcknowledgeAlert(context.Background(), admin, id, domain.ChannelWeChat, "已在其他渠道撤回"); err != nil {
		t.Fatal(err)
	}
	if as, _ := h.sys.Store.ChannelAlerts(context.Background(), 1); len(as) != 0 {
		t.Errorf("alerts after the acknowledgement: %+v", as)
	}
	h.verifyAudit()
}

// signedEventURL is the events URL with WeChat's signature for token.
func signedEventURL(base, token string, at time.Time) string {
	ts, nonce := fmt.Sprint(at.Unix()), "8211"
	parts := []string{token, ts, nonce}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return fmt.Sprintf("%s/channels/wechat/events?signature=%s&timestamp=%s&nonce=%s", base, hex.EncodeToString(sum[:]), ts, nonce)
}

// TestWeChatPublishJobFinishEvent: with the server configuration's token
// set, WeChat's check of the URL is answered, and a signed
// PUBLISHJOBFINISH event records the outcome while the publisher is still
// polling; a forged or stale event changes nothing.
func TestWeChatPublishJobFinishEvent(t *testing.T) {
	t.Parallel()
	const token = "sanshen-event-token"
	// The job answers "publishing" to every poll: only the event ends it.
	h, _ := wechatHarnessWith(t, fakewechat.Options{PublishingPolls: 1 << 20}, nil, func(cfg *config.Config, o *system.Options) {
		cfg.WeChatCallbackToken = token
		o.Channels[domain.ChannelWeChat].(*publisher.WeChat).Events = true
	})
	now := time.Now()
	check := h.get(signedEventURL(h.base, token, now) + "&echostr=hello-wechat")
	if !strings.HasPrefix(check, "200") || !strings.HasSuffix(check, "hello-wechat") {
		t.Fatalf("WeChat's URL check: %q", check)
	}
	id := h.wechatDraft("关于开展“文明交通”主题宣传活动的通知")
	h.waitFor(id, domain.StateCompliance)
	h.approveFrom(id)
	var publishID string
	testenv.Eventually(t, "the submit to be recorded", func() bool {
		err := h.sys.Store.Pool.QueryRow(context.Background(), `SELECT steps ->> 'publish_id' FROM publications
			WHERE draft_id = $1 AND channel = 'wechat' AND steps ? 'publish_id'`, id).Scan(&publishID)
		return err == nil
	})
	event := func(url string) int {
		body := `<xml><ToUserName><![CDATA[gh_sanshen]]></ToUserName><FromUserName><![CDATA[oa-mphelper]]></FromUserName>` +
			`<CreateTime>` + fmt.Sprint(now.Unix()) + `</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event>` +
			`<PublishEventInfo><publish_id>` + publishID + `</publish_id><publish_status>0</publish_status><article_id><![CDATA[ART_EVENT]]></article_id>` +
			`<article_detail><count>1</count><item><idx>1</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/event]]></article_url></item></article_detail>` +
			`</PublishEventInfo></xml>`
		res, err := http.Post(url, "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := event(signedEventURL(h.base, "not-the-token", now)); st != http.StatusForbidden {
		t.Errorf("a forged event: %d", st)
	}
	if st := event(signedEventURL(h.base, token, now.Add(-time.Hour))); st != http.StatusForbidden {
		t.Errorf("a stale event: %d", st)
	}
	if p := publication(h.detail(id), domain.ChannelWeChat); p.Status == store.PubDelivered {
		t.Fatalf("delivered before any valid event: %+v", p)
	}
	if st := event(signedEventURL(h.base, token, now)); st != http.StatusOK {
		t.Fatalf("the event: %d", st)
	}
	d := h.waitFor(id, domain.StatePublished)
	if p := publication(d, domain.ChannelWeChat); p.Status != store.PubDelivered || p.URL != "https://mp.weixin.qq.com/s/event" || p.ExternalID != "ART_EVENT" {
		t.Fatalf("the publication after the event: %+v", p)
	}
	h.verifyAudit()
}

func (h *harness) detail(id int64) store.DraftDetail {
	h.t.Helper()
	d, err := h.sys.Store.Detail(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// TestWeChatMassSendAndReadMore: a draft whose author chose 群发 is
// mass-sent, not published; the first answer is lost and the send made
// again with the same clientmsgid reaches the followers once. A second
// mass send that day waits for the quota. Its withdrawal is a person's
// task. A body over WeChat's limit, with the read-more option, goes out
// cut short with the note that the full text is behind 阅读原文.
func TestWeChatMassSendAndReadMore(t *testing.T) {
	t.Parallel()
	var drop *dropAnswer
	h, fake := wechatHarnessWith(t, fakewechat.Options{}, func(next http.Handler) http.Handler {
		drop = &dropAnswer{next: next, path: "/cgi-bin/message/mass/sendall"}
		drop.n.Store(1)
		return drop
	}, func(cfg *config.Config, _ *system.Options) { cfg.MaxBodySize = 256 << 10 }) // the long draft: the default limit
	id := h.wechatDraftWith("关于元旦假期安全提示的公告", []string{"wechat_mass_send"})
	d := h.waitFor(id, domain.StateCompliance)
	if len(findingsAt(d, domain.StageCompleteness, "channel_mass_send")) != 1 {
		t.Errorf("the reviewers are not warned of the mass send: %+v", d.Findings)
	}
	h.approveFrom(id)
	d = h.waitFor(id, domain.StatePublished)
	p := publication(d, domain.ChannelWeChat)
	if p.Status != store.PubDelivered || !strings.HasPrefix(p.ExternalID, "mass:") {
		t.Fatalf("the mass send: %+v", p)
	}
	if fake.MassSent() != 1 || fake.Published() != 0 || fake.Calls("/cgi-bin/message/mass/sendall") != 2 {
		t.Errorf("mass sent %d times with %d calls, published %d: want one send, made twice", fake.MassSent(),
			fake.Calls("/cgi-bin/message/mass/sendall"), fake.Published())
	}

	// The account's one mass send today is used: the second waits.
	second := h.wechatDraftWith("关于春节假期安全提示的公告", []string{"wechat_mass_send"})
	h.waitFor(second, domain.StateCompliance)
	h.approveFrom(second)
	testenv.Eventually(t, "the quota refusal", func() bool { return h.channelHealth(domain.ChannelWeChat).QuotaErrorsToday > 0 })
	if fake.MassSent() != 1 || publication(h.detail(second), domain.ChannelWeChat).Status == store.PubDelivered {
		t.Errorf("a second mass send went out the same day")
	}

	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "误发"}), http.StatusOK)
	testenv.Eventually(t, "the mass send's removal to be a person's task", func() bool {
		return publication(h.detail(id), domain.ChannelWeChat).WithdrawStatus == store.WithdrawManual
	})

	long := strings.Repeat("辖区各社区结合实际，组织开展了形式多样的宣传活动，共发放宣传材料三千余份，入户走访居民两千余户，排查整改隐患四十余处。", 8)
	paras := make([]string, 60) // about 27,000 characters
	for i := range paras {
		paras[i] = long
	}
	rm := h.wechatDraftWith("关于辖区冬季安全宣传工作情况的报告", []string{"wechat_read_more"}, paras...)
	d = h.waitFor(rm, domain.StateCompliance)
	if len(findingsAt(d, domain.StageCompleteness, "channel_body_cut")) != 1 {
		t.Errorf("no warning that the body goes out cut: %+v", d.Findings)
	}
	h.approveFrom(rm)
	p = publication(h.waitFor(rm, domain.StatePublished), domain.ChannelWeChat)
	page := h.get(p.URL)
	if p.Status != store.PubDelivered || !strings.Contains(page, "全文请点击下方“阅读原文”") || utf8.RuneCountInString(page) > 20000 {
		t.Errorf("the cut article (%d characters): %+v", utf8.RuneCountInString(page), p)
	}
}

// approveFrom approves a draft waiting in compliance through to published.
func (h *harness) approveFrom(id int64) {
	h.t.Helper()
	h.mustStatus(h.decide(id, "head", "compliance", 1, "approve", nil), http.StatusOK)
	h.waitFor(id, domain.StateConfidentiality)
	h.mustStatus(h.decide(id, "sec", "confidentiality", 1, "approve", nil), http.StatusOK)
}

func (h *harness) channelHealth(ch domain.Channel) store.ChannelStatus {
	h.t.Helper()
	all, err := h.sys.Store.ChannelStatuses(context.Background(), time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return all[ch]
}

func (h *harness) get(url string) string {
	h.t.Helper()
	res, err := http.Get(url)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = fmt.Fprint(&b, res.Status, "\n")
	buf := make([]byte, 64<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
