package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/store"
)

// channelsCmd runs `sanshen channels check`: one harmless call to each
// configured channel with its credentials, and a line per channel saying
// whether it works and, if not, what an admin must fix. It fails when any
// configured channel does not work.
func channelsCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) != 1 || args[0] != "check" {
		return errors.New("channels needs the subcommand check")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var failed int
	report := func(name string, err error) {
		if err == nil {
			fmt.Fprintf(out, "%-8s 正常 (ok)\n", name)
			return
		}
		failed++
		fmt.Fprintf(out, "%-8s 失败 (failed): %v\n", name, err)
	}
	fmt.Fprintf(out, "%-8s 本系统自有页面，无需凭据 (sanshen's own pages)\n", "website")

	if cfg.PortalURL == "" {
		fmt.Fprintf(out, "%-8s 未配置 (SANSHEN_PORTAL_URL unset)\n", "portal")
	} else {
		c := &portal.Client{BaseURL: cfg.PortalURL, KeyID: cfg.PortalKeyID, Secret: []byte(cfg.PortalSecret), Log: log}
		// A signed read of an item that does not exist: 404 means the
		// portal accepted the signature.
		_, err := c.Get(ctx, "sanshen-channels-check")
		var pe *portal.Error
		if errors.As(err, &pe) && pe.Status == http.StatusNotFound {
			err = nil
		} else if errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Status == http.StatusForbidden) {
			err = fmt.Errorf("门户网站拒绝了签名，请核对 SANSHEN_PORTAL_KEY_ID 与 SANSHEN_PORTAL_SECRET：%w", err)
		} else if err == nil {
			err = errors.New("门户网站对不存在的信息也返回了内容，接口不符合 docs/portal.md")
		}
		report("portal", err)
	}

	if cfg.WeChatAppID == "" {
		fmt.Fprintf(out, "%-8s 未配置 (SANSHEN_WECHAT_APPID unset)\n", "wechat")
	} else {
		c := &wechat.Client{BaseURL: cfg.WeChatURL, AppID: cfg.WeChatAppID, Secret: cfg.WeChatSecret, Log: log}
		err := c.Check(ctx)
		var we *wechat.Error
		if errors.As(err, &we) {
			err = errors.New(we.Describe())
		}
		report("wechat", err)
	}

	if cfg.DouyinClientKey == "" {
		fmt.Fprintf(out, "%-8s 未配置 (SANSHEN_DOUYIN_CLIENT_KEY unset)\n", "douyin")
		return checked(failed)
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		sealer, err := system.ChannelSealer(cfg)
		if err != nil {
			return err
		}
		c := system.DouyinClient(cfg, s, sealer, log)
		err = c.Check(ctx)
		var de *douyin.Error
		switch {
		case errors.Is(err, douyin.ErrNoTokens):
			err = errors.New("抖音账号尚未授权：请管理员在“渠道”页面（/web/admin/channels）连接抖音账号")
		case errors.As(err, &de) && de.MessageZH != "":
			err = fmt.Errorf("%s (%w)", de.MessageZH, err)
		}
		if err == nil {
			if t, lerr := c.Tokens.Store.Load(ctx); lerr == nil {
				fmt.Fprintf(out, "%-8s 授权有效至 %s (authorisation until)\n", "", t.RefreshExpiresAt.In(time.Local).Format(time.DateTime))
			}
		}
		report("douyin", err)
		return checked(failed)
	})
}

func checked(failed int) error {
	if failed > 0 {
		return fmt.Errorf("%d 个渠道检查未通过 (%d channels failed the check)", failed, failed)
	}
	return nil
}

// webhooksCmd runs `sanshen webhooks log [-n N]`: the latest delivery
// attempts of the outgoing webhooks, newest first.
func webhooksCmd(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, out io.Writer) error {
	if len(args) == 0 || args[0] != "log" {
		return errors.New("webhooks needs the subcommand log")
	}
	fs := flag.NewFlagSet("webhooks log", flag.ContinueOnError)
	n := fs.Int("n", 50, "how many attempts to show")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	return withStore(ctx, cfg, log, func(s *store.Store) error {
		ds, err := s.WebhookDeliveries(ctx, *n)
		if err != nil {
			return err
		}
		for _, d := range ds {
			status := "delivered"
			if !d.OK {
				status = "failed: " + d.Error
			}
			fmt.Fprintf(out, "%s\tleaf %d\t%s\t%s\t%d\t%s\n", d.At.In(time.Local).Format(time.DateTime), d.Leaf, d.EventType, d.EventID, d.Status, status)
		}
		return nil
	})
}
