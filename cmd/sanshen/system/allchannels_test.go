package system_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin/fakedouyin"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/domain"
	"github.com/sanshen-gov/sanshen/internal/media/sample"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
	"github.com/sanshen-gov/sanshen/services/publisher"
)

// TestEveryChannel: one draft with a cover, two body images and a video
// goes through the three stages and is published to the website, the
// portal, WeChat and Douyin, each with its receipt; withdrawn, it leaves
// the website, the portal and WeChat by their APIs, and Douyin (no delete
// scope) becomes a person's task, which an admin records. The trail
// verifies.
func TestEveryChannel(t *testing.T) {
	t.Parallel()
	pf := fakeportal.New(fakeportal.Options{KeyID: "sanshen", Secret: []byte(portalSecret), FetchAttachments: true})
	ps := httptest.NewServer(pf)
	t.Cleanup(ps.Close)
	wf := fakewechat.New(fakewechat.Options{AppID: "wx-all", Secret: "wx-all-secret", PublishingPolls: 1})
	ws := httptest.NewServer(wf)
	t.Cleanup(ws.Close)
	df := fakedouyin.New(fakedouyin.Options{ClientKey: "dy-all", ClientSecret: "dy-all-secret", ReviewPolls: 0})
	ds := httptest.NewServer(df)
	t.Cleanup(ds.Close)
	var cfg config.Config
	h := start(t, func(c *config.Config, o *system.Options) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		o.Listener = ln
		c.PublicURL = "http://" + ln.Addr().String() // the portal fetches the files from here
		c.DouyinClientKey, c.DouyinClientSecret, c.DouyinURL = "dy-all", "dy-all-secret", ds.URL
		o.ClaimTimeout = 500 * time.Millisecond
		o.Channels = map[domain.Channel]publisher.Channel{
			domain.ChannelPortal: &publisher.Portal{PublicURL: c.PublicURL,
				Client: &portal.Client{BaseURL: ps.URL, KeyID: "sanshen", Secret: []byte(portalSecret), Backoff: 20 * time.Millisecond}},
			domain.ChannelWeChat: &publisher.WeChat{PublicURL: c.PublicURL, Poll: wechat.Backoff{First: 10 * time.Millisecond, Max: 50 * time.Millisecond},
				Client: &wechat.Client{BaseURL: ws.URL, AppID: "wx-all", Secret: "wx-all-secret"}},
		}
		cfg = *c
	})
	sealer, err := system.ChannelSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := system.DouyinClient(cfg, h.sys.Store, sealer, testenv.Logger(t)).Tokens.Exchange(context.Background(), df.IssueCode()); err != nil {
		t.Fatal(err)
	}

	var files []map[string]string
	for _, f := range []struct {
		name, role string
		data       []byte
	}{{"封面.jpg", "cover", sample.JPEG(90, 38, 30)}, {"现场一.png", "image", sample.PNG(40, 30, 60)},
		{"现场二.jpg", "image", sample.JPEG(40, 30, 90)}, {"宣传片.mp4", "video", sample.MP4(40*time.Second, 720, 1280, 0)}} {
		sum := h.mustStatus(h.upload(f.name, f.data), http.StatusCreated).body["sha256"].(string)
		files = append(files, map[string]string{"name": f.name, "sha256": sum, "role": f.role})
	}
	b := draftBody("关于开展冬季消防安全宣传月活动的通知")
	b["channels"] = []string{"website", "portal", "wechat", "douyin"}
	b["digest"] = "冬季消防安全宣传月活动安排"
	b["body"] = "为提高居民冬季消防安全意识，街道办事处决定开展冬季消防安全宣传月活动。\n【图片：现场一.png】\n各社区要结合实际制定方案。\n【图片：现场二.jpg】\n特此通知。"
	b["attachments"] = files
	id := int64(h.mustStatus(h.do("POST", "/api/v1/drafts", "officer", b), http.StatusCreated).body["id"].(float64))
	h.approveThrough(id)
	d := h.detail(id)
	receipts := map[domain.Channel]store.Publication{}
	for _, ch := range []domain.Channel{domain.ChannelWebsite, domain.ChannelPortal, domain.ChannelWeChat, domain.ChannelDouyin} {
		p := publication(d, ch)
		receipts[ch] = p
		if p.Status != store.PubDelivered || p.URL == "" {
			t.Errorf("%s: %+v", ch, p)
		}
	}
	if receipts[domain.ChannelWeChat].ExternalID == "" || receipts[domain.ChannelDouyin].ExternalID == "" || receipts[domain.ChannelPortal].ExternalID == "" {
		t.Errorf("receipts without ids: %+v", receipts)
	}
	if len(pf.Items()) != 1 || wf.Published() != 1 || df.Creates() != 1 {
		t.Fatalf("portal items %d, WeChat articles %d, Douyin posts %d: want one each", len(pf.Items()), wf.Published(), df.Creates())
	}
	if !strings.Contains(h.get(receipts[domain.ChannelWeChat].URL), "<img") {
		t.Errorf("the WeChat article has no images")
	}

	h.mustStatus(h.do("POST", fmt.Sprintf("/api/v1/drafts/%d/withdraw", id), "admin", map[string]any{"reason": "活动取消", "code": "other"}), http.StatusOK)
	testenv.Eventually(t, "every channel's removal to end", func() bool {
		d := h.detail(id)
		return d.StepDone && publication(d, domain.ChannelDouyin).WithdrawStatus == store.WithdrawManual
	})
	d = h.detail(id)
	for ch, want := range map[domain.Channel]string{domain.ChannelWebsite: store.WithdrawDone, domain.ChannelPortal: store.WithdrawDone,
		domain.ChannelWeChat: store.WithdrawDone, domain.ChannelDouyin: store.WithdrawManual} {
		if got := publication(d, ch).WithdrawStatus; got != want {
			t.Errorf("%s removal: %s, want %s", ch, got, want)
		}
	}
	if pf.Items()[0].Deleted.IsZero() || wf.Calls("/cgi-bin/freepublish/delete") != 1 || df.Items()[0].Deleted {
		t.Errorf("portal deleted %v, WeChat deletes %d, Douyin deleted %v", !pf.Items()[0].Deleted.IsZero(),
			wf.Calls("/cgi-bin/freepublish/delete"), df.Items()[0].Deleted)
	}
	admin := domain.Actor{ID: h.ids["admin"], Name: "admin", AgencyID: 1, Roles: []domain.Role{domain.RoleAdmin}}
	if err := h.sys.Store.ResolveWithdrawal(context.Background(), admin, id, domain.ChannelDouyin, "已在抖音App中删除该作品"); err != nil {
		t.Fatal(err)
	}
	if got := publication(h.detail(id), domain.ChannelDouyin).WithdrawStatus; got != store.WithdrawResolved {
		t.Errorf("Douyin after the admin's record: %s", got)
	}
	h.verifyAudit()
}
