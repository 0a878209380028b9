package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/douyin/fakedouyin"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/notify/fakerobot"
)

// The fake platforms' credentials when the environment sets none: for
// demos on one machine only.
const (
	demoPortalSecret  = "sanshen-fake-portal-demo-secret"
	demoWeChatAppID   = "wx-sanshen-demo"
	demoWeChatSecret  = "sanshen-fake-wechat-demo-secret"
	demoDouyinKey     = "sanshen-demo-client-key"
	demoDouyinSecret  = "sanshen-fake-douyin-demo-secret"
	demoRobotKey      = "sanshen-demo-robot-key"
	demoDingTalkToken = "sanshen-demo-dingtalk-token"
	demoDingTalkSec   = "SECsanshen-fake-dingtalk-demo-secret"
)

// fakeChannels runs local implementations of the channels' contracts, for
// demos and tests: the district portal (docs/portal.md), the WeChat
// official account and Douyin (CHANNELS.md §1-2, with the assumptions the
// fakes' docs mark UNVERIFIED), and the WeCom and DingTalk group robots
// (§4). It prints the settings that point sanshen at them, then serves
// until interrupted.
func fakeChannels(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fake-channels", flag.ContinueOnError)
	portalAddr := fs.String("portal", "127.0.0.1:8091", "where the fake portal listens (host:port; port 0 picks one; empty: none)")
	wechatAddr := fs.String("wechat", "127.0.0.1:8092", "where the fake WeChat official account API listens (empty: none)")
	douyinAddr := fs.String("douyin", "127.0.0.1:8093", "where the fake Douyin open platform listens (empty: none)")
	robotAddr := fs.String("robots", "127.0.0.1:8094", "where the fake WeCom and DingTalk group robots listen (empty: none)")
	fetch := fs.Bool("fetch-attachments", true, "make the portal fetch every attachment and check its SHA-256, as a careful portal would")
	polls := fs.Int("publishing-polls", 2, "how many WeChat status polls answer \"publishing\" before the outcome")
	reviews := fs.Int("review-polls", 1, "how many Douyin status reads answer \"under review\" before the outcome")
	if err := fs.Parse(args); err != nil {
		return err
	}
	secret := cmp.Or(cfg.PortalSecret, demoPortalSecret)
	appID, appSecret := cmp.Or(cfg.WeChatAppID, demoWeChatAppID), cmp.Or(cfg.WeChatSecret, demoWeChatSecret)
	dyKey, dySecret := cmp.Or(cfg.DouyinClientKey, demoDouyinKey), cmp.Or(cfg.DouyinClientSecret, demoDouyinSecret)

	type server struct {
		name, addr string
		handler    func(base string) (http.Handler, string) // the handler and its settings line
	}
	servers := []server{
		{"portal (区政府门户网站)", *portalAddr, func(base string) (http.Handler, string) {
			return fakeportal.New(fakeportal.Options{KeyID: cfg.PortalKeyID, Secret: []byte(secret), FetchAttachments: *fetch, Log: log}),
				fmt.Sprintf("SANSHEN_PORTAL_URL=%s SANSHEN_PORTAL_KEY_ID=%s SANSHEN_PORTAL_SECRET=%s", base, cfg.PortalKeyID, secret)
		}},
		{"WeChat official account (微信公众号)", *wechatAddr, func(base string) (http.Handler, string) {
			return fakewechat.New(fakewechat.Options{AppID: appID, Secret: appSecret, PublishingPolls: *polls, Log: log}),
				fmt.Sprintf("SANSHEN_WECHAT_URL=%s SANSHEN_WECHAT_APPID=%s SANSHEN_WECHAT_SECRET=%s", base, appID, appSecret)
		}},
		{"Douyin (抖音开放平台; its authorisation page connects at once)", *douyinAddr, func(base string) (http.Handler, string) {
			return fakedouyin.New(fakedouyin.Options{ClientKey: dyKey, ClientSecret: dySecret, ReviewPolls: *reviews, Log: log}),
				fmt.Sprintf("SANSHEN_DOUYIN_URL=%s SANSHEN_DOUYIN_CLIENT_KEY=%s SANSHEN_DOUYIN_CLIENT_SECRET=%s", base, dyKey, dySecret)
		}},
		{"group robots (企业微信 / 钉钉)", *robotAddr, func(base string) (http.Handler, string) {
			return fakerobot.New(fakerobot.Options{WeComKey: demoRobotKey, DingTalkToken: demoDingTalkToken, DingTalkSecret: demoDingTalkSec, Log: log}).Handler(),
				fmt.Sprintf("WeCom robot: %s/cgi-bin/webhook/send?key=%s  DingTalk robot: %s/robot/send?access_token=%s (secret %s)",
					base, demoRobotKey, base, demoDingTalkToken, demoDingTalkSec)
		}},
	}
	errs := make(chan error, len(servers))
	n := 0
	for _, s := range servers {
		if s.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			return fmt.Errorf("error listening on %s for the fake %s: %w", s.addr, s.name, err)
		}
		base := "http://" + ln.Addr().String()
		h, settings := s.handler(base)
		fmt.Fprintf(out, "fake %s at %s\n  %s\n", s.name, base, settings)
		n++
		go func() { errs <- serveFake(ctx, ln, h) }()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// serveFake serves h on ln until ctx ends.
func serveFake(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("error serving %s: %w", ln.Addr(), err)
	}
	return nil
}
