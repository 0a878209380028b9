package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sanshen-gov/sanshen/internal/channels/portal"
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
		done <- fakeChannels(ctx, config.Config{PortalKeyID: "sanshen"}, testenv.Logger(t), []string{"--portal", "127.0.0.1:0", "--fetch-attachments=false"}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var settings string
	for lines.Scan() {
		if strings.Contains(lines.Text(), "SANSHEN_PORTAL_URL=") {
			settings = lines.Text()
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	env := map[string]string{}
	for _, kv := range strings.Fields(settings) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	c := &portal.Client{BaseURL: env["SANSHEN_PORTAL_URL"], KeyID: env["SANSHEN_PORTAL_KEY_ID"], Secret: []byte(env["SANSHEN_PORTAL_SECRET"])}
	r, err := c.Create(ctx, "sanshen:test:1:1:portal", portal.Item{Source: "sanshen", Agency: portal.Agency{Slug: "default", Name: "本机关"},
		DraftID: 1, Revision: 1, Title: "演示稿件", BodyText: "正文", SourceURL: "http://localhost:8080/public/default/items/1"})
	if err != nil {
		t.Fatalf("push to the fake portal (settings %q): %v", settings, err)
	}
	res, err := http.Get(r.URL)
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
