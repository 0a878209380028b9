package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sanshen-gov/sanshen/cmd/sanshen/system"
	"github.com/sanshen-gov/sanshen/internal/channels/douyin/fakedouyin"
	"github.com/sanshen-gov/sanshen/internal/channels/portal/fakeportal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat/fakewechat"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/store"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestChannelsCheck: `sanshen channels check` proves each configured
// channel's credentials with one harmless call, says in Chinese what is
// wrong, and fails when a channel does: the portal's signature, the WeChat
// AppSecret, and a Douyin account never connected, then connected.
func TestChannelsCheck(t *testing.T) {
	ps := httptest.NewServer(fakeportal.New(fakeportal.Options{KeyID: "sanshen", Secret: []byte("portal-secret-for-the-check")}))
	t.Cleanup(ps.Close)
	ws := httptest.NewServer(fakewechat.New(fakewechat.Options{AppID: "wx-check", Secret: "wechat-secret"}))
	t.Cleanup(ws.Close)
	dy := fakedouyin.New(fakedouyin.Options{ClientKey: "dy-key", ClientSecret: "dy-secret"})
	ds := httptest.NewServer(dy)
	t.Cleanup(ds.Close)
	db := testenv.DatabaseURL(t)
	dir := t.TempDir()
	for k, v := range map[string]string{"DATABASE_URL": db, "SANSHEN_DATA_DIR": dir,
		"SANSHEN_PORTAL_URL": ps.URL, "SANSHEN_PORTAL_KEY_ID": "sanshen", "SANSHEN_PORTAL_SECRET": "portal-secret-for-the-check",
		"SANSHEN_WECHAT_URL": ws.URL, "SANSHEN_WECHAT_APPID": "wx-check", "SANSHEN_WECHAT_SECRET": "wechat-secret",
		"SANSHEN_DOUYIN_URL": ds.URL, "SANSHEN_DOUYIN_CLIENT_KEY": "dy-key", "SANSHEN_DOUYIN_CLIENT_SECRET": "dy-secret"} {
		t.Setenv(k, v)
	}
	check := func() (string, error) {
		var out bytes.Buffer
		err := run([]string{"channels", "check"}, &out)
		return out.String(), err
	}
	out, err := check()
	if err == nil || !strings.Contains(out, "portal   正常") || !strings.Contains(out, "wechat   正常") || !strings.Contains(out, "抖音账号尚未授权") {
		t.Fatalf("before Douyin is connected: %v\n%s", err, out)
	}

	// The admin connects the account (the channels page's exchange).
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), db, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sealer, err := system.ChannelSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := system.DouyinClient(cfg, s, sealer, testenv.Logger(t)).Tokens.Exchange(context.Background(), dy.IssueCode()); err != nil {
		t.Fatal(err)
	}
	if out, err = check(); err != nil || !strings.Contains(out, "douyin   正常") || !strings.Contains(out, "授权有效至") {
		t.Fatalf("with everything right: %v\n%s", err, out)
	}

	t.Setenv("SANSHEN_WECHAT_SECRET", "wrong")
	t.Setenv("SANSHEN_PORTAL_SECRET", "a-wrong-portal-secret-0000")
	out, err = check()
	if err == nil || !strings.Contains(out, "AppSecret错误") || !strings.Contains(out, "门户网站拒绝了签名") {
		t.Fatalf("with wrong secrets: %v\n%s", err, out)
	}
}

// TestWebhooksLog: `sanshen webhooks log` lists the delivery attempts
// (none on a new installation) and names its subcommand when given another.
func TestWebhooksLog(t *testing.T) {
	t.Setenv("DATABASE_URL", testenv.DatabaseURL(t))
	t.Setenv("SANSHEN_DATA_DIR", t.TempDir())
	var out bytes.Buffer
	if err := run([]string{"webhooks", "log", "-n", "5"}, &out); err != nil || out.Len() != 0 {
		t.Fatalf("a new installation's log: %v %q", err, out.String())
	}
	if err := run([]string{"webhooks", "list"}, &out); err == nil || !strings.Contains(err.Error(), "log") {
		t.Errorf("an unknown subcommand: %v", err)
	}
}
