package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/douyin"
	"github.com/sanshen-gov/sanshen/internal/channels/portal"
	"github.com/sanshen-gov/sanshen/internal/channels/wechat"
	"github.com/sanshen-gov/sanshen/internal/config"
	"github.com/sanshen-gov/sanshen/internal/testenv"
)

// TestFakeChannels: `sanshen fake-channels` serves a portal that takes a
// signed push with the settings it prints.
func TestFakeChannels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- fakeChannels(ctx, config.Config{PortalKeyID: "sanshen"}, testenv.Logger(t), []string{"--portal", "127.0.0.1:0", "--fetch-attachments=false",
			"--wechat", "127.0.0.1:0", "--douyin", "127.0.0.1:0", "--robots", "127.0.0.1:0"}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var settings string
	env := map[string]string{}
	for lines.Scan() {
		if strings.Contains(lines.Text(), "SANSHEN_") {
			settings += lines.Text()
			for _, kv := range strings.Fields(lines.Text()) {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		}
		if strings.Contains(lines.Text(), "DingTalk robot") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	// The official account answers a token request with the printed credentials.
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	wc := &wechat.Client{BaseURL: env["SANSHEN_WECHAT_URL"], AppID: env["SANSHEN_WECHAT_APPID"], Secret: env["SANSHEN_WECHAT_SECRET"], HTTP: hc}
	if err := wc.Check(ctx); err != nil {
		t.Errorf("the fake WeChat refused its printed credentials: %v", err)
	}
	// Douyin's authorisation page sends the admin back with a code.
	dc := douyin.New(env["SANSHEN_DOUYIN_URL"], env["SANSHEN_DOUYIN_CLIENT_KEY"], env["SANSHEN_DOUYIN_CLIENT_SECRET"], nil)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer noFollow.CloseIdleConnections()
	res, err := noFollow.Get(dc.Tokens.AuthorizeURL("http://localhost:8080/cb", "s1"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !strings.Contains(res.Header.Get("Location"), "code=") {
		t.Errorf("the fake Douyin's authorisation page sent the admin to %q", res.Header.Get("Location"))
	}
	c := &portal.Client{BaseURL: env["SANSHEN_PORTAL_URL"], KeyID: env["SANSHEN_PORTAL_KEY_ID"], Secret: []byte(env["SANSHEN_PORTAL_SECRET"])}
	r, err := c.Create(ctx, "sanshen:test:1:1:portal", portal.Item{Source: "sanshen", Agency: portal.Agency{Slug: "default", Name: "本机关"},
		DraftID: 1, Revision: 1, Title: "演示稿件", BodyText: "正文", SourceURL: "http://localhost:8080/public/default/items/1"})
	if err != nil {
		t.Fatalf("push to the fake portal (settings %q): %v", settings, err)
	}
	res, err = http.Get(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "演示稿件") {
		t.Fatalf("the receipt's page: %d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fake-channels ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("fake-channels did not stop")
	}
}
